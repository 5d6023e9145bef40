# frozen_string_literal: true

require_relative "test_helper"

# The request shapes of /v1/me and the principal routes, over a stub server.
class PrincipalsTest < Minitest::Test
  PID = "pr_YXJuOmF3czppYW06OjAwMDAwMDAwMDAwMDp1c2VyL3g"

  def setup
    @server = stub_server do |req, _i|
      case [req.method, req.path]
      when ["POST", "/v1/principals"]
        json(201, JSON.parse(req.body).merge("principalId" => PID), { "Location" => "/v1/principals/#{PID}" })
      when ["GET", "/v1/principals"]
        json(200, { "items" => req.query.include?("tenantId=tn_1") ? [{ "principalId" => PID, "arn" => "arn:aws:iam::000000000000:user/x" }] : [] })
      when ["DELETE", "/v1/principals/#{PID}"]
        StubServer.response(204, "")
      else
        json(200, { "role" => "tenant", "tenantId" => "tn_1" })
      end
    end
    @client = stub_client(@server)
  end

  def test_me
    assert_equal "tn_1", @client.me["tenantId"]
    assert_equal ["GET", "/v1/me", ""], [@server.requests.first.method, @server.requests.first.path, @server.requests.first.query]
  end

  def test_register_for_a_tenant_and_for_the_operator
    r = @client.register_principal("tn_1", arn: "arn:aws:iam::000000000000:user/x", access_key: true)
    assert_equal 201, r.status
    assert_equal "/v1/principals/#{PID}", r.location
    @client.register_principal(:operator, arn: "arn:aws:iam::000000000000:role/cms")
    bodies = @server.requests.map { |q| JSON.parse(q.body) }
    assert_equal({ "arn" => "arn:aws:iam::000000000000:user/x", "role" => "tenant", "tenantId" => "tn_1", "accessKey" => true }, bodies[0])
    assert_equal({ "arn" => "arn:aws:iam::000000000000:role/cms", "role" => "operator", "accessKey" => false }, bodies[1])
    assert(@server.requests.all? { |q| q.headers["content-type"] == "application/json" })
  end

  def test_list_and_remove
    assert_equal [PID], @client.principals("tn_1").map { |p| p["principalId"] }
    assert_equal [], @client.principals(:operator)
    assert_equal ["tenantId=tn_1", "role=operator"], @server.requests.map(&:query)
    assert @client.remove_principal("tn_1", PID)
    assert_equal %w[GET DELETE], @server.requests.last(2).map(&:method)
  end

  def test_removing_another_owners_principal_is_refused_before_any_delete
    e = assert_raises(Seikyu::NotFound) { @client.remove_principal(:operator, PID) }
    assert_includes e.message, "not a principal of the operator"
    assert(@server.requests.none? { |q| q.method == "DELETE" })
  end

  def test_iam_policy
    @client.iam_policy("tn_1")
    assert_equal "/v1/tenants/tn_1/iam-policy", @server.requests.first.path
  end
end

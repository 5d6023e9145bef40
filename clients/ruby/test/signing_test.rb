# frozen_string_literal: true

require_relative "test_helper"
require "openssl"

# Checks the signatures the client sends the way the gateway checks them
# (infra/local-gateway/src/sigv4.rs): the path as sent, encoded once more; every query parameter
# decoded from its raw text and re-encoded strictly, sorted; the signed headers as received.
class SigningTest < Minitest::Test
  module ServerRules
    module_function

    def encode(bytes, keep_slash)
      bytes.b.gsub(/[^A-Za-z0-9\-_.~#{keep_slash ? '/' : ''}]/n) { |c| format("%%%02X", c.ord) }
    end

    def decode(text)
      text.b.gsub(/%([0-9A-Fa-f]{2})/n) { Regexp.last_match(1).hex.chr }
    end

    def canonical_query(raw)
      raw.split("&").reject(&:empty?).map do |p|
        k, v = p.split("=", 2)
        [encode(decode(k), false), encode(decode(v.to_s), false)]
      end.sort.map { |k, v| "#{k}=#{v}" }.join("&")
    end

    def verify(request, secret, region: "ap-northeast-1")
      auth = request.headers.fetch("authorization")
      credential = auth[/Credential=([^,]+)/, 1]
      signed = auth[/SignedHeaders=([^,]+)/, 1].split(";")
      signature = auth[/Signature=(\h+)/, 1]
      _key, date, = credential.split("/")
      payload = request.headers["x-amz-content-sha256"] || OpenSSL::Digest::SHA256.hexdigest(request.body)
      headers = signed.map { |h| "#{h}:#{request.headers.fetch(h).split.join(' ')}\n" }.join
      canonical = [request.method, encode(request.path, true), canonical_query(request.query), headers, signed.join(";"), payload].join("\n")
      scope = "#{date}/#{region}/execute-api/aws4_request"
      to_sign = ["AWS4-HMAC-SHA256", request.headers.fetch("x-amz-date"), scope, OpenSSL::Digest::SHA256.hexdigest(canonical)].join("\n")
      key = ["AWS4#{secret}", date, region, "execute-api", "aws4_request"].reduce { |k, part| OpenSSL::HMAC.digest("SHA256", k, part) }
      [OpenSSL::HMAC.hexdigest("SHA256", key, to_sign) == signature, signed]
    end
  end

  def setup
    @server = stub_server { |_req, _i| json(200, { "items" => [], "nextCursor" => nil }) }
  end

  def test_query_encoding_is_sigv4_strict
    assert_equal "%E6%9C%89%E5%8A%B9%20a%2Bb%26c%3Dd%2F%2A~-_.", Seikyu::UriEncoding.escape("有効 a+b&c=d/*~-_.")
    assert_equal "status=a%20b&limit=1", Seikyu::UriEncoding.query([["status", "a b"], ["cursor", nil], ["limit", 1]])
    assert_equal "C%2F1%3Fx", Seikyu::UriEncoding.segment("C/1?x")
    assert_raises(ArgumentError) { Seikyu::UriEncoding.segment("") }
  end

  def test_japanese_and_reserved_characters_in_the_query_verify_under_the_servers_rules
    client = stub_client(@server)
    client.contracts("tn_1", status: "有効 a+b&c=d/*~=%", page_size: 5).to_a
    client.invoices("tn_1", period: "2025-04").to_a
    client.billings("tn_1", from: Date.new(2025, 4, 9), to: "2025-05").to_a
    client.usage("tn_1", from: Date.new(2025, 4, 1), to: "2025-04-30")
    assert_equal 4, @server.requests.size
    @server.requests.each do |req|
      ok, signed = ServerRules.verify(req, SeikyuTest::SECRET)
      assert ok, "signature of #{req.target}"
      assert_equal %w[host x-amz-content-sha256 x-amz-date x-api-key], signed
    end
    first = @server.requests.first
    assert_equal "status=%E6%9C%89%E5%8A%B9%20a%2Bb%26c%3Dd%2F%2A~%3D%25&limit=5", first.query
    assert_equal "from=2025-04&to=2025-05", @server.requests[2].query
    assert_equal "from=2025-04-01&to=2025-04-30", @server.requests[3].query
  end

  # The query goes out in the order the client builds it; SigV4 signs the parameters sorted by
  # name (then value), as the gateway re-sorts them: the aws-sigv4 gem must sort the same way, for
  # every page of a search (the cursor joins the query).
  def test_a_search_with_many_parameters_is_signed_with_the_parameters_sorted
    server = stub_server do |req, _i|
      more = !req.query.include?("cursor=")
      json(200, { "items" => [{ "invoiceNumber" => "X" }], "nextCursor" => more ? "c/2+=" : nil })
    end
    client = stub_client(server)
    client.invoices("tn_1", period: "2025-05", status: "issued", issued_from: Date.new(2025, 5, 1), issued_to: "2025-05-31",
                            min_total: 1000, max_total: 60_000, recipient: "ＳＨＩＭＡＮＥ しまね&(株)=1", page_size: 1).to_a
    client.invoices("tn_1", recipient: "商", min_total: 5).to_a
    assert_equal 4, server.requests.size, "two searches of two pages each"
    first = server.requests.first
    names = first.query.split("&").map { |p| p.split("=").first }
    assert_equal %w[period status issuedFrom issuedTo minTotal maxTotal recipient limit], names, "sent as built"
    refute_equal names.sort, names, "unsorted as sent: the signer's sorting is what this checks"
    assert_equal %w[issuedFrom issuedTo limit maxTotal minTotal period recipient status],
                 ServerRules.canonical_query(first.query).split("&").map { |p| p.split("=").first }
    assert_includes server.requests[1].query, "cursor=c%2F2%2B%3D"
    server.requests.each do |req|
      ok, = ServerRules.verify(req, SeikyuTest::SECRET)
      assert ok, "signature of #{req.target}"
    end
  end

  def test_ids_are_encoded_as_one_path_segment_and_signed
    client = stub_client(stub_server { |_r, _i| json(200, { "contractId" => "x" }) })
    client.contract("tn_1", "C 1/…")
    req = @servers.last.requests.first
    assert_equal "/v1/tenants/tn_1/contracts/C%201%2F%E2%80%A6", req.path
    assert ServerRules.verify(req, SeikyuTest::SECRET).first
  end

  def test_json_bodies_are_signed_byte_for_byte_with_their_headers
    server = stub_server { |_r, _i| json(201, { "billingId" => "b" }) }
    client = stub_client(server)
    client.create_billing("tn_1", { "period" => "2025-04", "notes" => "お茶 ①㈱髙" }, idempotency_key: "key-1")
    req = server.requests.first
    ok, signed = ServerRules.verify(req, SeikyuTest::SECRET)
    assert ok
    assert_equal %w[content-type host idempotency-key x-amz-content-sha256 x-amz-date x-api-key], signed
    assert_equal "application/json", req.headers["content-type"]
    assert_equal "key-1", req.headers["idempotency-key"]
    assert_equal SeikyuTest::API_KEY, req.headers["x-api-key"]
    assert_equal({ "period" => "2025-04", "notes" => "お茶 ①㈱髙" }, JSON.parse(req.body))
    assert_equal OpenSSL::Digest::SHA256.hexdigest(req.body), req.headers["x-amz-content-sha256"]
    assert_includes req.headers["accept"], "application/json"
    assert_includes req.headers["accept"], "application/problem+json"
    assert_nil req.headers["x-amz-security-token"], "no token for long-term credentials"
  end

  def test_if_match_is_quoted_and_signed
    server = stub_server { |_r, _i| json(200, { "tenantId" => "tn_1" }) }
    client = stub_client(server)
    client.update_tenant("tn_1", { "name" => "x" }, if_match: 3)
    client.update_tenant("tn_1", { "name" => "x" }, if_match: '"4"')
    client.put_contract("tn_1", "C-1", { "planName" => "x" }, if_match: "W/\"5\"")
    assert_equal ['"3"', '"4"', 'W/"5"'], server.requests.map { |r| r.headers["if-match"] }
    assert_equal %w[PATCH PATCH PUT], server.requests.map(&:method)
    server.requests.each { |r| assert ServerRules.verify(r, SeikyuTest::SECRET).first }
  end

  def test_session_token_is_sent_and_signed
    server = stub_server { |_r, _i| json(200, { "role" => "tenant" }) }
    client = Seikyu::Client.new(endpoint: server.endpoint, region: "ap-northeast-1", access_key_id: "ASIAEXAMPLE",
                                secret_access_key: SeikyuTest::SECRET, session_token: "FwoGZXIvYXdzE-token", api_key: "k" * 20)
    client.me
    req = server.requests.first
    assert_equal "FwoGZXIvYXdzE-token", req.headers["x-amz-security-token"]
    ok, signed = ServerRules.verify(req, SeikyuTest::SECRET)
    assert ok
    assert_includes signed, "x-amz-security-token"
  end

  def test_posts_without_a_body_send_an_empty_one
    server = stub_server { |_r, _i| json(200, { "status" => "issued" }) }
    stub_client(server).issue_invoice("tn_1", "2025-04-abc")
    req = server.requests.first
    assert_equal "0", req.headers["content-length"]
    assert_nil req.headers["content-type"]
    assert ServerRules.verify(req, SeikyuTest::SECRET).first
  end

  def test_a_stage_in_the_endpoint_is_part_of_the_signed_path
    client = stub_client("#{@server.endpoint}/prod/")
    client.contracts("tn_1").to_a
    req = @server.requests.first
    assert_equal "/prod/v1/tenants/tn_1/contracts", req.path
    assert ServerRules.verify(req, SeikyuTest::SECRET).first
  end

  def test_user_agent
    stub_client(@server, user_agent: "redmine_seikyu/1.0").contracts("tn_1").to_a
    assert_match(%r{\Aredmine_seikyu/1.0 seikyu-ruby/\S+ ruby/}, @server.requests.first.headers["user-agent"])
  end
end

# frozen_string_literal: true

require_relative "test_helper"

# The invoice search (GET …/invoices?issuedFrom=&issuedTo=&minTotal=&maxTotal=&recipient=):
# keywords in snake_case, query names in camelCase, combined with period and status, kept on
# every page. (That such a query is signed as the gateway checks it: signing_test.rb.)
class InvoiceSearchTest < Minitest::Test
  def params_of(request)
    URI.decode_www_form(request.query.gsub("+", "%2B")).to_h
  end

  def test_search_keywords_become_the_apis_query_parameters
    server = stub_server { |_r, _i| json(200, { "items" => [{ "invoiceNumber" => "INV-2025-000001" }] }) }
    found = stub_client(server).invoices("tn_1", period: Date.new(2025, 4, 9), status: "issued",
                                                 issued_from: Date.new(2025, 4, 1), issued_to: "2025-04-30",
                                                 min_total: 10_000, max_total: "99999", recipient: "しまね ㈱",
                                                 page_size: 50).to_a
    assert_equal ["INV-2025-000001"], found.map { |i| i["invoiceNumber"] }
    req = server.requests.first
    assert_equal "/v1/tenants/tn_1/invoices", req.path
    assert_equal({ "period" => "2025-04", "status" => "issued", "issuedFrom" => "2025-04-01", "issuedTo" => "2025-04-30",
                   "minTotal" => "10000", "maxTotal" => "99999", "recipient" => "しまね ㈱", "limit" => "50" },
                 params_of(req))
    assert_includes req.query, "recipient=%E3%81%97%E3%81%BE%E3%81%AD%20%E3%88%B1", "strict SigV4 encoding, %20 for the space"
  end

  def test_conditions_left_nil_are_not_sent
    server = stub_server { |_r, _i| json(200, { "items" => [] }) }
    client = stub_client(server)
    client.invoices("tn_1").to_a
    client.invoices("tn_1", issued_from: nil, issued_to: nil, min_total: nil, max_total: nil, recipient: nil).to_a
    client.invoices("tn_1", min_total: 0).to_a
    client.invoices("tn_1", recipient: "出雲").to_a
    assert_equal ["", "", "minTotal=0", "recipient=%E5%87%BA%E9%9B%B2"], server.requests.map(&:query)
  end

  def test_every_page_of_a_search_carries_the_same_search
    server = stub_server do |req, _i|
      cursor = params_of(req)["cursor"]
      case cursor
      when nil then json(200, { "items" => [{ "invoiceNumber" => "A" }], "nextCursor" => "p2+/=" })
      when "p2+/=" then json(200, { "items" => [{ "invoiceNumber" => "B" }], "nextCursor" => "p3" })
      else json(200, { "items" => [{ "invoiceNumber" => "C" }], "nextCursor" => nil })
      end
    end
    search = stub_client(server).invoices("tn_1", issued_from: "2025-05-01", max_total: 60_000, recipient: "商", page_size: 1)
    assert_equal %w[A], search.first(1).map { |i| i["invoiceNumber"] }
    assert_equal 1, server.requests.size, "a page only when needed"
    assert_equal %w[A B C], search.to_a.map { |i| i["invoiceNumber"] }
    pages = server.requests.drop(1).map { |r| params_of(r) }
    assert_equal [nil, "p2+/=", "p3"], pages.map { |p| p["cursor"] }
    pages.each do |p|
      assert_equal({ "issuedFrom" => "2025-05-01", "maxTotal" => "60000", "recipient" => "商", "limit" => "1" }, p.except("cursor"))
    end
  end

  def test_a_refused_search_is_a_bad_request_naming_each_field
    server = stub_server do |_r, _i|
      problem(400, "Your request is not valid. See errors for each field that needs changing.",
              type: "urn:seikyu:problem:validation-error",
              errors: [{ field: "query.issuedTo", message: "must not be before issuedFrom" },
                       { field: "query.maxTotal", message: "must not be less than minTotal" }])
    end
    search = stub_client(server).invoices("tn_1", issued_from: "2025-06-02", issued_to: "2025-06-01", min_total: 100, max_total: 99)
    e = assert_raises(Seikyu::BadRequest) { search.first }
    assert_equal [["query.issuedTo", "must not be before issuedFrom"], ["query.maxTotal", "must not be less than minTotal"]],
                 e.errors.map { |x| [x["field"], x["message"]] }
    assert_equal 1, server.requests.size, "a 400 is not retried"
  end
end

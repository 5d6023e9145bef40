# frozen_string_literal: true

require_relative "test_helper"

class PaginationTest < Minitest::Test
  PAGES = {
    nil => { "items" => [{ "contractId" => "C-1" }, { "contractId" => "C-2" }], "nextCursor" => "c2" },
    "c2" => { "items" => [{ "contractId" => "C-3" }, { "contractId" => "C-4" }], "nextCursor" => "c3=/+" },
    "c3=/+" => { "items" => [{ "contractId" => "C-5" }] }
  }.freeze

  def paged_server
    stub_server do |req, _i|
      params = URI.decode_www_form(req.query.gsub("+", "%2B")).to_h
      json(200, PAGES.fetch(params["cursor"]))
    end
  end

  def test_each_page_is_fetched_only_when_needed
    server = paged_server
    contracts = stub_client(server).contracts("tn_1", status: "active", page_size: 2)
    assert_kind_of Enumerator, contracts
    assert_equal 0, server.requests.size, "nothing before enumeration"
    assert_equal ["C-1"], contracts.first(1).map { |c| c["contractId"] }
    assert_equal 1, server.requests.size
    assert_equal %w[C-1 C-2 C-3], contracts.first(3).map { |c| c["contractId"] }
    assert_equal 3, server.requests.size
  end

  def test_to_a_follows_next_cursor_to_the_end
    server = paged_server
    all = stub_client(server).contracts("tn_1", page_size: 2).to_a
    assert_equal %w[C-1 C-2 C-3 C-4 C-5], all.map { |c| c["contractId"] }
    assert_equal ["limit=2", "limit=2&cursor=c2", "limit=2&cursor=c3%3D%2F%2B"], server.requests.map(&:query)
  end

  def test_each_and_lazy
    server = paged_server
    client = stub_client(server)
    ids = []
    client.invoices("tn_1").each { |i| ids << i["contractId"] }
    assert_equal 5, ids.size
    assert_equal ["C-2"], client.billings("tn_1").lazy.select { |c| c["contractId"] == "C-2" }.first(1).map { |c| c["contractId"] }
  end

  def test_a_null_next_cursor_ends_the_list
    server = stub_server { |_r, _i| json(200, { "items" => [{ "a" => 1 }], "nextCursor" => nil }) }
    assert_equal 1, stub_client(server).billings("tn_1").to_a.size
    assert_equal 1, server.requests.size
  end

  def test_a_repeated_cursor_is_an_error_not_an_endless_loop
    server = stub_server { |_r, _i| json(200, { "items" => [{ "a" => 1 }], "nextCursor" => "same" }) }
    assert_raises(Seikyu::InvalidResponseError) { stub_client(server).contracts("tn_1").to_a }
  end

  def test_errors_surface_during_enumeration
    server = stub_server { |_r, _i| problem(404, "The requested resource does not exist.") }
    contracts = stub_client(server).contracts("tn_other")
    assert_raises(Seikyu::NotFound) { contracts.first }
  end
end

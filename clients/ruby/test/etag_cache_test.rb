# frozen_string_literal: true

require_relative "test_helper"

class EtagCacheTest < Minitest::Test
  TENANT = { "tenantId" => "tn_1", "name" => "しまね商事", "version" => 3 }.freeze

  # Answers 304 when If-None-Match names the current ETag, as RFC 9110 says.
  def conditional_server(etag: '"3"', body: TENANT)
    stub_server do |req, _i|
      if req.headers["if-none-match"] == etag
        StubServer.response(304, "", { "ETag" => etag })
      else
        json(200, body, { "ETag" => etag })
      end
    end
  end

  def test_revalidates_and_serves_a_304_from_the_cache
    server = conditional_server
    client = stub_client(server)
    first = client.tenant("tn_1")
    second = client.tenant("tn_1")
    assert_equal TENANT, first
    assert_equal TENANT, second
    refute first.from_cache?
    assert second.from_cache?
    assert_equal 304, second.status
    assert_equal '"3"', second.etag
    assert_nil server.requests[0].headers["if-none-match"]
    assert_equal '"3"', server.requests[1].headers["if-none-match"]
    assert_equal 1, @logger.exchanges("/v1/tenants/tn_1", status: 304).size
  end

  def test_a_changed_resource_replaces_the_cached_copy
    version = 1
    server = stub_server do |req, _i|
      etag = %("#{version}")
      req.headers["if-none-match"] == etag ? StubServer.response(304, "", { "ETag" => etag }) : json(200, { "version" => version }, { "ETag" => etag })
    end
    client = stub_client(server)
    assert_equal 1, client.tenant("tn_1")["version"]
    version = 2
    assert_equal 2, client.tenant("tn_1")["version"]
    assert_equal 2, client.tenant("tn_1")["version"]
    assert_equal [nil, '"1"', '"2"'], server.requests.map { |r| r.headers["if-none-match"] }
  end

  def test_cache_entries_are_per_access_key
    server = conditional_server
    cache = Seikyu::MemoryCache.new
    stub_client(server, cache: cache).tenant("tn_1")
    stub_client(server, cache: cache, access_key_id: "AKIDOTHER").tenant("tn_1")
    assert_nil server.requests[1].headers["if-none-match"], "another caller never gets this caller's copy"
    entry = cache.instance_variable_get(:@entries).values.first
    assert_equal({ "etag" => '"3"', "body" => JSON.generate(TENANT) }, entry)
  end

  def test_answers_without_an_etag_are_not_cached
    server = stub_server { |_r, _i| json(200, { "items" => [{ "id" => 1 }], "nextCursor" => nil }) }
    cache = Seikyu::MemoryCache.new
    client = stub_client(server, cache: cache)
    2.times { client.contracts("tn_1").to_a }
    client.usage("tn_1")
    assert_equal 0, cache.size
    assert(server.requests.none? { |r| r.headers.key?("if-none-match") })
  end

  def test_a_304_without_a_cached_copy_is_fetched_again
    calls = 0
    server = stub_server do |_req, _i|
      calls += 1
      calls == 2 ? StubServer.response(304, "", { "ETag" => '"3"' }) : json(200, TENANT, { "ETag" => '"3"' })
    end
    cache = Seikyu::MemoryCache.new
    client = stub_client(server, cache: cache)
    client.tenant("tn_1")
    cache.clear
    # the cache lost its entry between our read of it and the answer: simulate by answering 304
    # to a request that carried no If-None-Match
    assert_equal TENANT, client.tenant("tn_1")
    assert_equal 3, server.requests.size
  end

  # What Rails.cache looks like to the client: read/write, values may come back as copies.
  class CopyingCache
    attr_reader :writes

    def initialize
      @data = {}
      @writes = 0
    end

    def read(key)
      v = @data[key]
      v && Marshal.load(Marshal.dump(v))
    end

    def write(key, value, _options = nil)
      @writes += 1
      @data[key] = Marshal.load(Marshal.dump(value))
      true
    end
  end

  def test_any_read_write_cache_works
    server = conditional_server
    cache = CopyingCache.new
    client = stub_client(server, cache: cache)
    client.contract("tn_1", "C-1")
    assert client.contract("tn_1", "C-1").from_cache?
    assert_equal 1, cache.writes
  end

  def test_a_failing_cache_is_bypassed
    broken = Object.new
    def broken.read(_key) = raise("redis down")
    def broken.write(_key, _value) = raise("redis down")
    server = conditional_server
    client = stub_client(server, cache: broken)
    assert_equal TENANT, client.tenant("tn_1")
    assert_match(/cache read failed/, @logger.text)
    refute_match(/redis down/, @logger.text)
  end

  def test_caching_can_be_turned_off
    server = conditional_server
    client = stub_client(server, cache: false)
    2.times { client.tenant("tn_1") }
    assert(server.requests.none? { |r| r.headers.key?("if-none-match") })
  end
end

# frozen_string_literal: true

require "test_helper"

class ConnectionTest < Minitest::Test
  Settings = RedmineSeikyu::PluginSettings

  # The part of Rails.cache the connection uses.
  class FakeCache
    attr_reader :data

    def initialize
      @data = {}
    end

    def read(key)
      @data[key]
    end

    def write(key, value, **_options)
      @data[key] = value
    end

    def delete(key)
      @data.delete(key)
    end

    def fetch(key, **_options)
      @data.key?(key) ? @data[key] : (@data[key] = yield)
    end
  end

  def settings(extra = {})
    Settings.new({ "endpoint" => "http://127.0.0.1:9", "region" => "ap-northeast-1", "access_key_id" => "AKIASTORED",
                   "secret_access_key" => "s", "api_key" => "k", "cache_seconds" => "60" }.merge(extra))
  end

  def test_incomplete_settings_are_refused_before_any_request
    error = assert_raises(RedmineSeikyu::ErrorMessage::NotConfigured) do
      RedmineSeikyu::Connection.new(Settings.new({}), cache: FakeCache.new)
    end
    assert_includes error.fields, "api_key"
  end

  def test_signs_with_the_stored_key_or_the_hosts_credentials
    stored = RedmineSeikyu::Connection.new(settings, cache: nil, host_credentials: -> { flunk "not asked" })
    assert_includes stored.client.inspect, "access_key_id=AKIASTORED"
    host = RedmineSeikyu::Connection.new(settings("credentials" => "host"), cache: nil,
                                         host_credentials: -> { %w[ASIAHOST secret token] })
    assert_includes host.client.inspect, "access_key_id=ASIAHOST"
  end

  def test_reads_are_reused_and_refreshed_on_demand
    cache = FakeCache.new
    connection = RedmineSeikyu::Connection.new(settings, cache: cache)
    calls = 0
    2.times { connection.read("contracts") { calls += 1 } }
    assert_equal 1, calls
    connection.read("contracts", refresh: true) { calls += 1 }
    assert_equal 2, calls
    assert cache.data.keys.all? { |k| k.start_with?("redmine_seikyu/#{settings.fingerprint}/") }
  end

  def test_nothing_is_reused_with_cache_seconds_zero
    connection = RedmineSeikyu::Connection.new(settings("cache_seconds" => "0"), cache: FakeCache.new)
    calls = 0
    2.times { connection.read("contracts") { calls += 1 } }
    assert_equal 2, calls
  end

  def test_operator_credentials_are_refused
    cache = FakeCache.new
    connection = RedmineSeikyu::Connection.new(settings, cache: cache)
    cache.write("redmine_seikyu/#{settings.fingerprint}/me", { "role" => "operator", "plan" => { "quota" => { "period" => "MONTH" } } })
    assert_raises(RedmineSeikyu::ErrorMessage::OperatorCredentials) { connection.tenant_id }
    assert_equal "MONTH", connection.quota_period
  end

  def test_an_unreachable_api_is_a_connection_error
    connection = RedmineSeikyu::Connection.new(settings, cache: FakeCache.new)
    error = assert_raises(Seikyu::ConnectionError) { connection.tenant_id }
    assert_equal "unreachable", RedmineSeikyu::ErrorMessage.for(error).key
  end
end

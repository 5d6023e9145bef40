# frozen_string_literal: true

require "test_helper"

class PluginSettingsTest < Minitest::Test
  Settings = RedmineSeikyu::PluginSettings
  ENCRYPT = ->(text) { "enc:#{text}" }
  DECRYPT = ->(text) { text.delete_prefix("enc:") }

  def saved
    Settings.to_store({}, { "endpoint" => "https://api.example.jp/prod", "region" => "ap-northeast-1",
                            "access_key_id" => "AKIAEXAMPLE", "secret_access_key" => "s3cret",
                            "api_key" => "key-1", "pdf_delivery" => "stream", "cache_seconds" => "60" },
                      encrypt: ENCRYPT)
  end

  def test_new_secrets_are_stored_encrypted
    assert_equal "enc:s3cret", saved["secret_access_key"]
    assert_equal "enc:key-1", saved["api_key"]
    assert_equal "AKIAEXAMPLE", saved["access_key_id"]
  end

  def test_a_blank_secret_keeps_the_saved_one
    stored = Settings.to_store(saved, { "endpoint" => "https://api.example.jp/prod ", "secret_access_key" => "",
                                        "api_key" => "  " }, encrypt: ENCRYPT)
    assert_equal "enc:s3cret", stored["secret_access_key"], "kept as stored, not encrypted twice"
    assert_equal "enc:key-1", stored["api_key"]
    assert_equal "https://api.example.jp/prod", stored["endpoint"], "trimmed"
  end

  def test_a_new_secret_replaces_the_saved_one
    stored = Settings.to_store(saved, { "secret_access_key" => "other", "api_key" => "" }, encrypt: ENCRYPT)
    assert_equal "enc:other", stored["secret_access_key"]
    assert_equal "enc:key-1", stored["api_key"]
  end

  def test_unknown_fields_are_dropped
    stored = Settings.to_store({}, { "endpoint" => "x", "admin" => "true" })
    refute stored.key?("admin")
    assert_equal Settings::FIELDS.sort, stored.keys.sort
  end

  def test_reads_decrypt_the_secrets
    settings = Settings.new(saved, decrypt: DECRYPT)
    assert_equal "s3cret", settings.secret_access_key
    assert_equal "key-1", settings.api_key
    assert settings.complete?
    assert settings.saved?("api_key")
  end

  def test_trying_out_the_form_uses_saved_secrets_for_blank_fields
    settings = Settings.new(saved, decrypt: DECRYPT)
    tried = settings.with_submitted({ "endpoint" => "https://other.example.jp", "region" => "ap-northeast-1",
                                      "access_key_id" => "AKIAOTHER", "secret_access_key" => "", "api_key" => "new-key" })
    assert_equal "https://other.example.jp", tried.endpoint
    assert_equal "s3cret", tried.secret_access_key
    assert_equal "new-key", tried.api_key
  end

  def test_missing_names_the_empty_fields_and_a_bad_endpoint
    assert_equal %w[endpoint access_key_id secret_access_key api_key], Settings.new({}).missing
    settings = Settings.new(saved.merge("endpoint" => "api.example.jp"), decrypt: DECRYPT)
    assert_equal %w[endpoint], settings.missing
    refute settings.complete?
  end

  def test_defaults_and_limits
    settings = Settings.new({ "pdf_delivery" => "carrier-pigeon", "cache_seconds" => "99999" })
    assert_equal "stream", settings.pdf_delivery
    refute settings.redirect_pdf?
    assert_equal Settings::MAX_CACHE_SECONDS, settings.cache_seconds
    assert_equal 60, Settings.new({ "cache_seconds" => "soon" }).cache_seconds
    assert_equal 0, Settings.new({ "cache_seconds" => "0" }).cache_seconds
    assert Settings.new({ "pdf_delivery" => "redirect" }).redirect_pdf?
  end

  def test_the_fingerprint_holds_no_secret_and_follows_the_credentials
    settings = Settings.new(saved, decrypt: DECRYPT)
    refute_includes settings.fingerprint, "s3cret"
    refute_includes settings.fingerprint, "key-1"
    other = Settings.new(saved.merge("api_key" => "enc:key-2"), decrypt: DECRYPT)
    refute_equal settings.fingerprint, other.fingerprint
  end

  def test_with_the_hosts_role_the_access_key_is_not_required
    settings = Settings.new({ "endpoint" => "https://api.example.jp", "credentials" => "host", "api_key" => "enc:k" },
                            decrypt: DECRYPT)
    assert settings.host_credentials?
    assert settings.complete?, settings.missing.inspect
    other = Settings.new({ "endpoint" => "https://api.example.jp", "credentials" => "host", "api_key" => "enc:k",
                           "access_key_id" => "AKIASTALE" }, decrypt: DECRYPT)
    assert_equal settings.fingerprint, other.fingerprint, "the host's keys change; its identity does not"
    refute Settings.new({ "credentials" => "telepathy" }).host_credentials?
  end

  def test_symbol_keys_and_parameters_like_objects_are_read
    settings = Settings.new({ endpoint: "https://api.example.jp", region: "ap-northeast-1" })
    assert_equal "https://api.example.jp", settings.endpoint
  end
end

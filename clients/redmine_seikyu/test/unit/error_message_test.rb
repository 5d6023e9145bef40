# frozen_string_literal: true

require "test_helper"
require "yaml"

class ErrorMessageTest < Minitest::Test
  Message = RedmineSeikyu::ErrorMessage
  NOW = Time.utc(2026, 12, 5, 2, 30) # a Saturday

  def api_error(status, headers: {}, body: "")
    Seikyu::ApiError.from_response(status, headers, body)
  end

  def problem(status, type, detail, errors: [])
    api_error(status, headers: { "content-type" => "application/problem+json" },
                      body: JSON.generate("type" => type, "title" => "t", "status" => status, "detail" => detail,
                                          "instance" => "req-1", "errors" => errors))
  end

  def explain(error, **options)
    Message.for(error, now: NOW, **options)
  end

  def test_unreachable
    m = explain(Seikyu::ConnectionError.new("GET http://127.0.0.1:9/v1/me: Connection refused"))
    assert_equal ["unreachable", 502], [m.key, m.status]
    raw = explain(Errno::ECONNREFUSED.new) # should the client ever let one through
    assert_equal ["unreachable", 502], [raw.key, raw.status]
  end

  def test_timeout
    m = explain(Seikyu::TimeoutError.new("no data for 30 s"))
    assert_equal ["timeout", 504], [m.key, m.status]
    assert_equal "timeout", explain(RedmineSeikyu::BoundedChannel::Timeout.new).key
  end

  def test_not_authorised_for_the_gateway_and_the_api
    gateway = api_error(403, headers: { "x-amzn-errortype" => "ForbiddenException" }, body: '{"message":"Forbidden"}')
    assert_equal ["not_authorised", 502], [explain(gateway).key, explain(gateway).status]
    api = problem(403, "urn:seikyu:problem:forbidden", "principal not registered")
    assert_equal "not_authorised", explain(api).key
  end

  def test_not_found
    m = explain(problem(404, "urn:seikyu:problem:not-found", "no such invoice"))
    assert_equal ["not_found", 404], [m.key, m.status]
    assert_equal "req-1", m.request_id
  end

  def test_throttled_says_when_to_retry
    m = explain(api_error(429, headers: { "retry-after" => "7", "x-amzn-errortype" => "TooManyRequestsException" },
                               body: '{"message":"Too Many Requests"}'))
    assert_equal ["throttled", 503, 7, { seconds: 7 }], [m.key, m.status, m.retry_after, m.params]
    soon = explain(api_error(429, body: '{"message":"Too Many Requests"}'))
    assert_equal ["throttled_soon", nil], [soon.key, soon.retry_after]
  end

  def test_an_exhausted_quota_says_when_it_comes_back
    limit = api_error(429, headers: { "x-amzn-errortype" => "LimitExceededException" }, body: '{"message":"Limit Exceeded"}')
    day = explain(limit, quota_period: "DAY")
    assert_equal ["quota_exceeded_until", Time.utc(2026, 12, 6)], [day.key, day.params[:time]]
    assert_equal (Time.utc(2026, 12, 6) - NOW).ceil, day.retry_after
    assert_equal Time.utc(2026, 12, 7), explain(limit, quota_period: "WEEK").params[:time], "weeks start on Monday"
    assert_equal Time.utc(2027, 1, 1), explain(limit, quota_period: "MONTH").params[:time]
    assert_equal "quota_exceeded", explain(limit).key, "without the plan: no time"
  end

  def test_quota_weeks_from_monday
    assert_equal Time.utc(2026, 12, 14), Message.quota_resets_at("WEEK", Time.utc(2026, 12, 7, 0, 0, 1)), "on a Monday: next Monday"
    assert_equal Time.utc(2026, 12, 14), Message.quota_resets_at("WEEK", Time.utc(2026, 12, 13, 23, 59)), "on a Sunday: tomorrow"
  end

  def test_unavailable
    m = explain(problem(503, "urn:seikyu:problem:unavailable", "storage").tap { |e| e.instance_variable_set(:@retry_after, 3) })
    assert_equal ["unavailable", 503, 3], [m.key, m.status, m.retry_after]
    assert_equal "unavailable_soon", explain(problem(503, "urn:seikyu:problem:unavailable", "storage")).key
  end

  def test_server_errors_and_surprises
    server = explain(api_error(500))
    assert_equal ["server_error", 502], [server.key, server.status]
    assert_equal "server_error", explain(api_error(409)).key
    surprise = explain(Seikyu::InvalidResponseError.new("not JSON"))
    assert_equal ["unexpected", 502], [surprise.key, surprise.status]
    assert_equal "interrupted", explain(Seikyu::IncompleteResponseError.new("cut")).key
    assert_equal "interrupted", explain(Seikyu::IntegrityError.new("sha")).key
  end

  def test_bad_request_lists_the_fields
    m = explain(problem(400, "urn:seikyu:problem:validation-error", "See errors",
                        errors: [{ "field" => "query.period", "message" => "must be YYYY-MM" }]))
    assert_equal ["bad_request", 400, "query.period: must be YYYY-MM"], [m.key, m.status, m.params[:details]]
  end

  def test_configuration_problems
    m = explain(Message::NotConfigured.new(%w[endpoint api_key]))
    assert_equal ["not_configured", 503, %w[endpoint api_key]], [m.key, m.status, m.params[:fields]]
    operator = explain(Message::OperatorCredentials.new)
    assert_equal ["operator_credentials", 503], [operator.key, operator.status]
  end

  def test_handles_what_the_controller_rescues_and_nothing_else
    assert Message.handles?(Seikyu::ConnectionError.new("x"))
    assert Message.handles?(Errno::ECONNRESET.new)
    assert Message.handles?(Message::NotConfigured.new([]))
    refute Message.handles?(NoMethodError.new("bug"))
    refute Message.handles?(ArgumentError.new("bug"))
  end

  # Every message exists in English and Japanese, with the same interpolations.
  def test_every_key_is_translated_in_en_and_ja
    en = YAML.load_file(File.join(PLUGIN_ROOT, "config/locales/en.yml")).fetch("en")
    ja = YAML.load_file(File.join(PLUGIN_ROOT, "config/locales/ja.yml")).fetch("ja")
    assert_equal en.keys.sort, ja.keys.sort
    en.each do |key, text|
      assert_equal text.scan(/%\{(\w+)\}/).sort, ja[key].scan(/%\{(\w+)\}/).sort, "interpolations of #{key}"
    end
    keys = %w[unreachable timeout not_authorised not_found throttled throttled_soon quota_exceeded
              quota_exceeded_until unavailable unavailable_soon server_error bad_request interrupted unexpected
              not_configured operator_credentials period]
    keys.each { |k| assert en.key?("seikyu_error_#{k}"), "seikyu_error_#{k} missing" }
    source = Dir[File.join(PLUGIN_ROOT, "lib/**/*.rb")].map { |f| File.read(f) }.join
    produced = source.scan(/\["(\w+)", \d{3}\]/).flatten + source.scan(/later\("(\w+)"/).flatten.flat_map { |k| [k, "#{k}_soon"] }
    produced.uniq.each { |k| assert en.key?("seikyu_error_#{k}"), "ErrorMessage produces #{k} but en.yml lacks seikyu_error_#{k}" }
  end

  def test_the_page_words_are_japanese_in_ja
    ja = YAML.load_file(File.join(PLUGIN_ROOT, "config/locales/ja.yml")).fetch("ja")
    assert_match(/接続できません/, ja["seikyu_error_unreachable"])
    assert_match(/%\{seconds\}/, ja["seikyu_error_throttled"])
  end
end

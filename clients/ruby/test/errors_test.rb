# frozen_string_literal: true

require_relative "test_helper"

class ErrorsTest < Minitest::Test
  def from(status, body, headers = {})
    Seikyu::ApiError.from_response(status, headers, body)
  end

  def test_problem_json_with_field_errors
    body = JSON.generate(
      type: "urn:seikyu:problem:validation-error", title: "Your request is not valid.", status: 400,
      detail: "See errors for each field that needs changing.", instance: "abc-123",
      errors: [{ field: "name", message: "is required" }, { field: "lines[0].unitPrice", message: "must be an integer (whole yen), not 1.5" }]
    )
    e = from(400, body, { "content-type" => "application/problem+json", "x-amzn-requestid" => "other" })
    assert_instance_of Seikyu::BadRequest, e
    assert_kind_of Seikyu::ClientError, e
    assert_kind_of Seikyu::ApiError, e
    assert_kind_of Seikyu::Error, e
    assert_equal 400, e.status
    assert_equal "urn:seikyu:problem:validation-error", e.type
    assert_equal "Your request is not valid.", e.title
    assert_equal "See errors for each field that needs changing.", e.detail
    assert_equal [{ "field" => "name", "message" => "is required" },
                  { "field" => "lines[0].unitPrice", "message" => "must be an integer (whole yen), not 1.5" }], e.errors
    assert_equal "abc-123", e.request_id, "the problem's instance wins"
    assert_nil e.retry_after
    assert_includes e.message, "name: is required"
    assert_includes e.message, "lines[0].unitPrice: must be an integer (whole yen), not 1.5"
    assert_includes e.message, "See errors for each field"
    assert_includes e.message, "abc-123"
  end

  def test_gateway_message_bodies
    e = from(403, '{"message":"Forbidden"}', { "content-type" => "application/json", "x-amzn-errortype" => "ForbiddenException",
                                                "x-amzn-requestid" => "gw-1" })
    assert_instance_of Seikyu::Forbidden, e
    assert_equal "Forbidden", e.detail
    assert_nil e.type
    assert_equal [], e.errors
    assert_equal "gw-1", e.request_id
    assert_equal "ForbiddenException", e.error_type
    assert e.gateway?
    assert_match(/Forbidden \(HTTP 403, ForbiddenException, request id gw-1\)/, e.message)
  end

  def test_throttled_tells_quota_from_rate
    quota = from(429, '{"message":"Limit Exceeded"}', { "x-amzn-errortype" => "LimitExceededException" })
    rate = from(429, '{"message":"Too Many Requests"}', { "x-amzn-errortype" => "TooManyRequestsException" })
    assert_instance_of Seikyu::Throttled, quota
    assert quota.quota_exceeded?
    refute rate.quota_exceeded?
    assert from(429, '{"message":"Limit Exceeded"}').quota_exceeded?, "by the message alone too"
  end

  def test_status_classes
    {
      400 => Seikyu::BadRequest, 403 => Seikyu::Forbidden, 404 => Seikyu::NotFound, 409 => Seikyu::Conflict,
      412 => Seikyu::PreconditionFailed, 422 => Seikyu::UnprocessableEntity, 428 => Seikyu::PreconditionRequired,
      429 => Seikyu::Throttled, 503 => Seikyu::ServiceUnavailable, 500 => Seikyu::ServerError, 502 => Seikyu::ServerError,
      504 => Seikyu::ServerError, 413 => Seikyu::PayloadTooLarge, 415 => Seikyu::UnsupportedMediaType, 418 => Seikyu::ClientError
    }.each do |status, klass|
      assert_instance_of klass, from(status, ""), status.to_s
    end
    assert_kind_of Seikyu::ServerError, from(503, "")
  end

  def test_retry_after_seconds_or_http_date
    assert_equal 7, from(503, "", { "retry-after" => "7" }).retry_after
    now = Time.now
    assert_includes 118..121, Seikyu::ApiError.parse_retry_after((now + 120).httpdate, now: now)
    assert_equal 0, Seikyu::ApiError.parse_retry_after((now - 60).httpdate, now: now)
    assert_nil Seikyu::ApiError.parse_retry_after("soon")
    assert_nil Seikyu::ApiError.parse_retry_after(nil)
  end

  def test_non_json_error_body
    e = from(502, "<html>Bad Gateway</html>", { "content-type" => "text/html" })
    assert_instance_of Seikyu::ServerError, e
    assert_equal "<html>Bad Gateway</html>", e.detail
    assert_includes e.message, "HTTP 502"
  end

  def test_secrets_are_removed_from_a_signature_mismatch_message
    canonical = "The request signature we calculated does not match the signature you provided.\n\n" \
                "The Canonical String for this request should have been\n'GET\n/v1/me\n\nhost:127.0.0.1:3000\n" \
                "x-amz-date:20250101T000000Z\nx-amz-security-token:TOKENVALUE123\nx-api-key:#{SeikyuTest::API_KEY}\n\n" \
                "host;x-amz-date;x-api-key\ne3b0'\n"
    redactor = Seikyu::Redactor.new(SeikyuTest::SECRET, "TOKENVALUE123", SeikyuTest::API_KEY)
    e = Seikyu::ApiError.from_response(403, { "x-amzn-errortype" => "InvalidSignatureException" },
                                       JSON.generate(message: canonical), redactor: redactor)
    refute_includes e.message, SeikyuTest::API_KEY
    refute_includes e.message, "TOKENVALUE123"
    assert_includes e.message, "x-api-key:[REDACTED]"
    assert_includes e.message, "The request signature we calculated does not match"
  end
end

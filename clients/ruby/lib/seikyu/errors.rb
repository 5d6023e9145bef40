# frozen_string_literal: true

require "json"
require "time"

module Seikyu
  # Every error this library raises (argument errors aside) is a Seikyu::Error.
  class Error < StandardError; end

  # The request did not get a complete answer: connection refused, DNS failure, reset, TLS failure.
  class ConnectionError < Error; end

  # The connection could not be opened, or the answer stalled, within the configured timeouts.
  class TimeoutError < ConnectionError; end

  # The connection ended before the whole body arrived (a cut-short download: the server aborts
  # a stream it cannot complete, so a short body is never mistaken for a whole one).
  class IncompleteResponseError < ConnectionError
    attr_reader :bytes_received, :bytes_expected

    def initialize(message, bytes_received: nil, bytes_expected: nil)
      super(message)
      @bytes_received = bytes_received
      @bytes_expected = bytes_expected
    end
  end

  # A successful status with a body that is not what the API sends (e.g. JSON that does not parse).
  class InvalidResponseError < Error; end

  # Downloaded bytes that do not match the digest the server announced in the ETag.
  class IntegrityError < Error; end

  # The API (or the gateway in front of it) answered with an error status.
  #
  # * +status+      HTTP status (Integer)
  # * +type+        problem type URI (e.g. "urn:seikyu:problem:validation-error"), nil for gateway answers
  # * +title+       problem title, nil for gateway answers
  # * +detail+      problem detail, or the gateway's +message+
  # * +errors+      Array of {"field" => ..., "message" => ...} (validation), [] otherwise
  # * +request_id+  the problem's +instance+, else the x-amzn-RequestId header
  # * +retry_after+ seconds from Retry-After (Integer), or nil
  # * +error_type+  the gateway's x-amzn-ErrorType header (e.g. "ForbiddenException"), or nil
  # * +headers+     the response headers (lower-case names)
  class ApiError < Error
    attr_reader :status, :type, :title, :detail, :errors, :request_id, :retry_after, :error_type, :headers

    def initialize(message = nil, status: nil, type: nil, title: nil, detail: nil, errors: [], request_id: nil,
                   retry_after: nil, error_type: nil, headers: {})
      @status = status
      @type = type
      @title = title
      @detail = detail
      @errors = errors || []
      @request_id = request_id
      @retry_after = retry_after
      @error_type = error_type
      @headers = headers || {}
      super(message || compose_message)
    end

    # True when the answer came from the gateway itself ({"message": ...}), not from the API.
    def gateway?
      type.nil? && !error_type.nil?
    end

    # Builds the exception for an error response. +redactor+ removes secrets from the text.
    def self.from_response(status, headers, body, redactor: nil)
      headers ||= {}
      fields = parse_body(body.to_s, headers["content-type"].to_s)
      scrub = ->(s) { s.nil? || redactor.nil? ? s : redactor.call(s) }
      class_for(status).new(
        status: status,
        type: fields[:type],
        title: scrub.call(fields[:title]),
        detail: scrub.call(fields[:detail]),
        errors: fields[:errors].map { |e| { "field" => e["field"].to_s, "message" => scrub.call(e["message"].to_s) } },
        request_id: fields[:instance] || headers["x-amzn-requestid"],
        retry_after: parse_retry_after(headers["retry-after"]),
        error_type: headers["x-amzn-errortype"],
        headers: headers
      )
    end

    def self.class_for(status)
      STATUS_CLASSES.fetch(status) do
        if status >= 500 then ServerError
        elsif status >= 400 then ClientError
        else ApiError
        end
      end
    end

    # Retry-After as whole seconds: delta-seconds, or an HTTP-date counted from now. nil when absent
    # or unreadable.
    def self.parse_retry_after(value, now: Time.now)
      return nil if value.nil?

      v = value.to_s.strip
      return Integer(v, 10) if v.match?(/\A\d+\z/)

      at = Time.httpdate(v)
      [(at - now).ceil, 0].max
    rescue ArgumentError
      nil
    end

    def self.parse_body(text, content_type)
      out = { type: nil, title: nil, detail: nil, instance: nil, errors: [] }
      return out if text.strip.empty?

      json = begin
        JSON.parse(text)
      rescue JSON::ParserError
        nil
      end
      if json.is_a?(Hash)
        if json.key?("type") || json.key?("title") || content_type.include?("problem+json")
          out[:type] = json["type"]&.to_s
          out[:title] = json["title"]&.to_s
          out[:detail] = json["detail"]&.to_s
          out[:instance] = json["instance"]&.to_s
          out[:errors] = Array(json["errors"]).select { |e| e.is_a?(Hash) }
        elsif json.key?("message") || json.key?("Message")
          out[:detail] = (json["message"] || json["Message"]).to_s
        end
      else
        out[:detail] = text.strip[0, 300]
      end
      out
    end
    private_class_method :parse_body

    private

    # "Your request is not valid. See errors ... name: is required; lines[0].unitPrice: must be ...
    # (HTTP 400, request id ...)"
    def compose_message
      parts = [title, detail].compact.map(&:strip).reject(&:empty?).uniq
      text = parts.join(parts.first.to_s.match?(/[.!?。]\z/) ? " " : ": ")
      text = self.class.name.split("::").last if text.empty?
      text += " #{errors.map { |e| "#{e['field']}: #{e['message']}" }.join('; ')}" unless errors.empty?
      notes = ["HTTP #{status}"]
      notes << error_type if error_type && type.nil?
      notes << "retry after #{retry_after} s" if retry_after
      notes << "request id #{request_id}" if request_id
      "#{text} (#{notes.join(', ')})"
    end
  end

  # 4xx answers.
  class ClientError < ApiError; end
  # 400: validation; +errors+ lists every bad field.
  class BadRequest < ClientError; end
  # 403: the gateway refused (signature, unknown or disabled API key: see +detail+) or the API did
  # (principal not registered, key of another tenant, tenant on an operator route).
  class Forbidden < ClientError; end
  # 404: no such resource, or another tenant's (the answers are identical).
  class NotFound < ClientError; end
  # 409: a create that collides, a change to what is no longer a draft, a duplicate request running.
  class Conflict < ClientError; end
  # 412: If-Match names an old version.
  class PreconditionFailed < ClientError; end
  # 413: body too large.
  class PayloadTooLarge < ClientError; end
  # 415: body not application/json.
  class UnsupportedMediaType < ClientError; end
  # 422: an Idempotency-Key reused with a different request, an upload refused.
  class UnprocessableEntity < ClientError; end
  # 428: an update without If-Match.
  class PreconditionRequired < ClientError; end

  # 429: the API key's usage plan refused the request.
  class Throttled < ClientError
    # True for the gateway's "Limit Exceeded": the key's quota for the day/week/month is used up
    # (retrying is pointless until the period ends). False for "Too Many Requests" (rate/burst).
    def quota_exceeded?
      error_type == "LimitExceededException" || detail.to_s.strip.casecmp?("Limit Exceeded")
    end
  end

  # 5xx answers.
  class ServerError < ApiError; end
  # 503: storage or key management unavailable (retry after +retry_after+), or without Retry-After
  # and type "urn:seikyu:problem:limit-reached": an account limit (no retry helps).
  class ServiceUnavailable < ServerError
    def limit_reached?
      type.to_s.end_with?(":limit-reached")
    end
  end

  ApiError::STATUS_CLASSES = {
    400 => BadRequest,
    403 => Forbidden,
    404 => NotFound,
    409 => Conflict,
    412 => PreconditionFailed,
    413 => PayloadTooLarge,
    415 => UnsupportedMediaType,
    422 => UnprocessableEntity,
    428 => PreconditionRequired,
    429 => Throttled,
    503 => ServiceUnavailable
  }.freeze
end

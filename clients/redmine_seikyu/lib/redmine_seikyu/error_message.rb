# frozen_string_literal: true

require "time"

module RedmineSeikyu
  # Turns what went wrong talking to the API into what a Redmine user is told: a message (an I18n
  # key under seikyu_error_*, with its interpolations), the HTTP status of Redmine's page, and for
  # "try again later" answers the seconds to wait (sent as Retry-After too).
  #
  # Kept free of Rails so that it is unit-tested on its own (test/unit/error_message_test.rb);
  # the keys must exist in config/locales/en.yml and ja.yml (checked by the same tests).
  class ErrorMessage
    # Raised when the plugin has no (complete) settings yet.
    class NotConfigured < StandardError
      attr_reader :fields

      def initialize(fields)
        @fields = fields
        super("seikyu plugin settings incomplete: #{fields.join(', ')}")
      end
    end

    # Raised when the credentials are the operator's: the plugin shows one tenant's own data.
    class OperatorCredentials < StandardError
      def initialize
        super("seikyu plugin configured with operator credentials, not a tenant's")
      end
    end

    # Errors from below the client (it maps network failures itself; these are a safety net).
    NETWORK_ERRORS = [SocketError, SystemCallError, IOError, Timeout::Error].freeze

    attr_reader :key, :params, :status, :retry_after, :request_id, :detail

    # +quota_period+: the usage plan's quota period from GET /v1/me ("DAY", "WEEK", "MONTH"), to say
    # when an exhausted quota comes back; +now+ for tests.
    def self.for(error, quota_period: nil, now: Time.now)
      new(error, quota_period, now)
    end

    # True for what this class knows how to explain (the controller rescues exactly these).
    def self.handles?(error)
      [NotConfigured, OperatorCredentials, BoundedChannel::Timeout, HostCredentials::Unavailable].any? { |k| error.is_a?(k) } ||
        (defined?(Seikyu::Error) && error.is_a?(Seikyu::Error)) ||
        NETWORK_ERRORS.any? { |klass| error.is_a?(klass) }
    end

    # When a quota of +period+ (UTC, weeks from Monday, as API Gateway counts) starts again.
    def self.quota_resets_at(period, now)
      now = now.utc
      today = Time.utc(now.year, now.month, now.day)
      case period.to_s.upcase
      when "DAY" then today + 86_400
      when "WEEK" then today + (((7 - ((today.wday + 6) % 7)) * 86_400))
      when "MONTH" then now.month == 12 ? Time.utc(now.year + 1, 1, 1) : Time.utc(now.year, now.month + 1, 1)
      end
    end

    def initialize(error, quota_period, now)
      @params = {}
      @retry_after = nil
      @request_id = error.respond_to?(:request_id) ? error.request_id : nil
      @detail = error.respond_to?(:detail) ? error.detail : nil
      @key, @status = classify(error, quota_period, now)
    end

    # The I18n key as a Symbol (Redmine's l() takes Symbols).
    def i18n_key
      :"seikyu_error_#{key}"
    end

    private

    def classify(error, quota_period, now)
      case error
      when NotConfigured
        @params[:fields] = error.fields
        ["not_configured", 503]
      when OperatorCredentials
        ["operator_credentials", 503]
      when BoundedChannel::Timeout
        ["timeout", 504]
      when HostCredentials::Unavailable
        ["no_host_credentials", 503]
      else
        defined?(Seikyu::Error) && error.is_a?(Seikyu::Error) ? classify_client(error, quota_period, now) : network
      end
    end

    def classify_client(error, quota_period, now)
      case error
      when Seikyu::IncompleteResponseError, Seikyu::IntegrityError then ["interrupted", 502]
      when Seikyu::TimeoutError then ["timeout", 504]
      when Seikyu::ConnectionError then network
      when Seikyu::Throttled then throttled(error, quota_period, now)
      when Seikyu::Forbidden then ["not_authorised", 502]
      when Seikyu::NotFound then ["not_found", 404]
      when Seikyu::BadRequest
        @params[:details] = Array(error.errors).map { |e| "#{e['field']}: #{e['message']}" }.join("; ")
        @params[:details] = error.detail.to_s if @params[:details].empty?
        ["bad_request", 400]
      when Seikyu::ServiceUnavailable then later("unavailable", error.retry_after)
      when Seikyu::ApiError then ["server_error", 502]
      else ["unexpected", 502]
      end
    end

    def network
      ["unreachable", 502]
    end

    # 429: "Too Many Requests" passes in seconds; "Limit Exceeded" lasts until the quota period ends.
    def throttled(error, quota_period, now)
      return later("throttled", error.retry_after) unless error.quota_exceeded?

      resets_at = self.class.quota_resets_at(quota_period, now)
      return ["quota_exceeded", 503] unless resets_at

      @params[:time] = resets_at
      @retry_after = (resets_at - now).ceil
      ["quota_exceeded_until", 503]
    end

    def later(key, seconds)
      return ["#{key}_soon", 503] if seconds.nil?

      @retry_after = [seconds.to_i, 1].max
      @params[:seconds] = @retry_after
      [key, 503]
    end
  end
end

# frozen_string_literal: true

module Seikyu
  # When to try a request again, and how long to wait first.
  #
  # Retried, up to +max_retries+ times after the first attempt:
  # * 429 "Too Many Requests" (the usage plan's rate/burst): the gateway refused the request before
  #   any handler ran, so it is safe for every request.
  # * 503 Service Unavailable, for requests that are safe to repeat (GET, PUT, PATCH, DELETE, POSTs
  #   with an Idempotency-Key, and POSTs the API documents as repeatable); not a 503 without
  #   Retry-After of type limit-reached (an account limit: nothing to gain).
  # * 409 "still being processed" for a POST with an Idempotency-Key whose earlier attempt failed on
  #   the network: the first attempt is still running; the replay will answer as it did.
  # * Connection failures and timeouts, only for GET and for POSTs with an Idempotency-Key (any
  #   other write may have been applied although its answer was lost).
  #
  # Never retried: 429 "Limit Exceeded" (the quota is used up until its period ends), other
  # statuses, and a Retry-After longer than +max_retry_after+ (the error is raised at once, with
  # its +retry_after+, rather than sleeping that long).
  #
  # The wait: the server's Retry-After when it sends one (plus up to 10% jitter), else exponential
  # backoff with jitter: base_delay * 2**(retry - 1), capped at max_delay, drawn from
  # [half of it, all of it].
  class RetryPolicy
    attr_reader :max_retries, :base_delay, :max_delay, :max_retry_after

    # +sleeper+: anything with call(seconds); tests pass one that records instead of sleeping.
    # +random+: anything with rand (Float in [0, 1)).
    def initialize(max_retries: 3, base_delay: 0.5, max_delay: 8.0, max_retry_after: 30,
                   sleeper: nil, random: Random.new)
      raise ArgumentError, "max_retries must be >= 0" if max_retries.to_i.negative?

      @max_retries = max_retries.to_i
      @base_delay = base_delay.to_f
      @max_delay = max_delay.to_f
      @max_retry_after = max_retry_after
      @sleeper = sleeper || ->(seconds) { Kernel.sleep(seconds) }
      @random = random
    end

    # A copy with another sleeper (or other settings).
    def with(**changes)
      self.class.new(max_retries: @max_retries, base_delay: @base_delay, max_delay: @max_delay,
                     max_retry_after: @max_retry_after, sleeper: @sleeper, random: @random, **changes)
    end

    # Seconds to wait before retry number +retry_number+ (1-based) after +error+, or nil when the
    # error must be raised. +request+ is a Hash: :method, :idempotency_key (or nil), :repeatable
    # (true when repeating the request cannot apply it twice), :network_failure_before (an earlier
    # attempt of this call failed on the network).
    def delay_for(error, retry_number, request)
      return nil if retry_number > @max_retries

      case error
      when Throttled
        return nil if error.quota_exceeded?

        server_or_backoff(error, retry_number)
      when ServiceUnavailable
        return nil unless request[:repeatable]
        return nil if error.retry_after.nil? && error.limit_reached?

        server_or_backoff(error, retry_number)
      when Conflict
        return nil unless request[:idempotency_key] && request[:network_failure_before]

        backoff(retry_number)
      when ConnectionError
        return nil unless connection_retry_allowed?(request)

        backoff(retry_number)
      end
    end

    def connection_retry_allowed?(request)
      method = request[:method].to_s.upcase
      method == "GET" || method == "HEAD" || (method == "POST" && !request[:idempotency_key].nil?)
    end

    def backoff(retry_number)
      ceiling = [@base_delay * (2**(retry_number - 1)), @max_delay].min
      (ceiling / 2.0) + (@random.rand * ceiling / 2.0)
    end

    def sleep(seconds)
      @sleeper.call(seconds)
    end

    private

    def server_or_backoff(error, retry_number)
      after = error.retry_after
      return backoff(retry_number) if after.nil?
      return nil if @max_retry_after && after > @max_retry_after
      return backoff(retry_number) if after <= 0

      after + (@random.rand * after * 0.1)
    end
  end
end

# frozen_string_literal: true

require_relative "test_helper"

class RetryPolicyTest < Minitest::Test
  class FixedRandom
    def initialize(value)
      @value = value
    end

    def rand
      @value
    end
  end

  def policy(**options)
    Seikyu::RetryPolicy.new(random: FixedRandom.new(0.5), **options)
  end

  def error(status, detail: nil, retry_after: nil, type: nil, error_type: nil)
    Seikyu::ApiError.class_for(status).new(status: status, detail: detail, retry_after: retry_after, type: type,
                                           error_type: error_type)
  end

  GET = { method: "GET", idempotency_key: nil, repeatable: true }.freeze
  POST = { method: "POST", idempotency_key: nil, repeatable: false }.freeze
  POST_WITH_KEY = { method: "POST", idempotency_key: "k", repeatable: true }.freeze

  def test_too_many_requests_backs_off_exponentially_with_jitter_and_a_cap
    p = policy(base_delay: 0.25, max_delay: 1.0, max_retries: 5)
    throttled = error(429, detail: "Too Many Requests", error_type: "TooManyRequestsException")
    delays = (1..5).map { |n| p.delay_for(throttled, n, POST) }
    # half of the ceiling plus half the random share: 0.75 of 0.25, 0.5, 1.0, 1.0 (cap), 1.0
    assert_equal [0.1875, 0.375, 0.75, 0.75, 0.75], delays
    assert_nil p.delay_for(throttled, 6, POST), "max_retries reached"
  end

  def test_backoff_stays_between_half_and_all_of_the_ceiling
    low = Seikyu::RetryPolicy.new(random: FixedRandom.new(0.0), base_delay: 1.0)
    high = Seikyu::RetryPolicy.new(random: FixedRandom.new(0.999), base_delay: 1.0)
    assert_in_delta 2.0, low.backoff(3), 1e-9
    assert_operator high.backoff(3), :<, 4.0
    assert_operator high.backoff(3), :>, 3.9
  end

  def test_limit_exceeded_is_never_retried
    quota = error(429, detail: "Limit Exceeded", error_type: "LimitExceededException")
    assert quota.quota_exceeded?
    assert_nil policy.delay_for(quota, 1, GET)
  end

  def test_retry_after_is_honoured_with_a_little_jitter
    busy = error(503, retry_after: 2)
    delay = policy.delay_for(busy, 1, GET)
    assert_operator delay, :>=, 2
    assert_operator delay, :<=, 2.2
  end

  def test_a_retry_after_beyond_the_cap_raises_instead_of_sleeping
    assert_nil policy.delay_for(error(503, retry_after: 31), 1, GET)
    assert_nil policy.delay_for(error(429, detail: "Too Many Requests", retry_after: 3600), 1, GET)
    refute_nil policy(max_retry_after: 60).delay_for(error(503, retry_after: 31), 1, GET)
  end

  def test_service_unavailable_only_for_repeatable_requests_and_not_for_account_limits
    assert policy.delay_for(error(503), 1, GET)
    assert policy.delay_for(error(503), 1, POST_WITH_KEY)
    assert_nil policy.delay_for(error(503), 1, POST), "a plain POST may have been applied"
    limit = error(503, type: "urn:seikyu:problem:limit-reached")
    assert limit.limit_reached?
    assert_nil policy.delay_for(limit, 1, GET)
  end

  def test_connection_failures_only_for_get_and_posts_with_an_idempotency_key
    failure = Seikyu::ConnectionError.new("reset")
    assert policy.delay_for(failure, 1, GET)
    assert policy.delay_for(Seikyu::TimeoutError.new("slow"), 1, GET)
    assert policy.delay_for(failure, 1, POST_WITH_KEY)
    assert_nil policy.delay_for(failure, 1, POST)
    assert_nil policy.delay_for(failure, 1, { method: "PUT", repeatable: true })
    assert_nil policy.delay_for(failure, 1, { method: "PATCH", repeatable: true })
  end

  def test_in_progress_conflict_after_a_lost_answer_is_retried
    conflict = error(409, detail: "A request with this Idempotency-Key is still being processed; retry shortly.")
    assert_nil policy.delay_for(conflict, 1, POST_WITH_KEY)
    assert policy.delay_for(conflict, 2, POST_WITH_KEY.merge(network_failure_before: true))
    assert_nil policy.delay_for(conflict, 2, POST.merge(network_failure_before: true))
  end

  def test_other_errors_are_not_retried
    [400, 403, 404, 412, 422, 428, 500].each do |status|
      assert_nil policy.delay_for(error(status), 1, GET), status.to_s
    end
  end

  def test_zero_retries
    assert_nil policy(max_retries: 0).delay_for(error(503), 1, GET)
  end

  def test_the_sleeper_is_injectable
    sleeper = SeikyuTest::FakeSleeper.new
    Seikyu::RetryPolicy.new(sleeper: sleeper).sleep(1.5)
    assert_equal [1.5], sleeper.waits
  end
end

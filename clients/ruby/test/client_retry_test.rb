# frozen_string_literal: true

require_relative "test_helper"

# Retries end to end over a local stub server, with a sleeper that records instead of sleeping.
class ClientRetryTest < Minitest::Test
  TOO_MANY = { "x-amzn-ErrorType" => "TooManyRequestsException" }.freeze

  def test_429_with_retry_after_then_200
    server = stub_server do |_req, i|
      if i.zero?
        json(429, { "message" => "Too Many Requests" }, TOO_MANY.merge("Retry-After" => "2"))
      else
        json(200, { "tenantId" => "tn_1" })
      end
    end
    client = stub_client(server)
    assert_equal "tn_1", client.tenant("tn_1")["tenantId"]
    assert_equal 2, server.requests.size
    assert_equal 1, @sleeper.waits.size
    assert_operator @sleeper.waits.first, :>=, 2
    assert_operator @sleeper.waits.first, :<=, 2.2
    # each attempt is signed afresh
    assert_equal 2, server.requests.map { |r| r.headers["authorization"] }.size
    assert_match(/seikyu retry 1\/3 of GET \/v1\/tenants\/tn_1/, @logger.text)
  end

  def test_429_without_retry_after_backs_off_even_for_a_plain_post
    server = stub_server do |_req, i|
      i < 2 ? json(429, { "message" => "Too Many Requests" }, TOO_MANY) : json(200, { "invoiceNumber" => "INV-1" })
    end
    client = stub_client(server)
    assert_equal "INV-1", client.issue_invoice("tn_1", "b")["invoiceNumber"]
    assert_equal 3, server.requests.size
    assert_equal 2, @sleeper.waits.size
    assert(@sleeper.waits.all? { |w| w.positive? && w <= 8 })
  end

  def test_503_then_200
    server = stub_server do |_req, i|
      i.zero? ? problem(503, "Storage did not answer in time.", headers: { "Retry-After" => "1" }) : json(200, { "ok" => true })
    end
    client = stub_client(server)
    assert client.contract("tn_1", "C-1")["ok"]
    assert_equal 2, server.requests.size
    assert_operator @sleeper.waits.first, :>=, 1
  end

  def test_503_every_time_gives_up_after_max_retries
    server = stub_server { |_req, _i| problem(503, "Storage did not answer in time.", headers: { "Retry-After" => "1" }) }
    client = stub_client(server, max_retries: 2)
    e = assert_raises(Seikyu::ServiceUnavailable) { client.tenant("tn_1") }
    assert_equal 1, e.retry_after
    assert_equal 3, server.requests.size
    assert_equal 2, @sleeper.waits.size
  end

  def test_retry_after_too_long_raises_without_sleeping
    server = stub_server { |_req, _i| problem(503, "Busy.", headers: { "Retry-After" => "120" }) }
    client = stub_client(server)
    e = assert_raises(Seikyu::ServiceUnavailable) { client.tenant("tn_1") }
    assert_equal 120, e.retry_after
    assert_equal 1, server.requests.size
    assert_empty @sleeper.waits
  end

  def test_limit_exceeded_is_raised_at_once
    server = stub_server do |_req, _i|
      json(429, { "message" => "Limit Exceeded" }, { "x-amzn-ErrorType" => "LimitExceededException" })
    end
    client = stub_client(server)
    e = assert_raises(Seikyu::Throttled) { client.tenant("tn_1") }
    assert e.quota_exceeded?
    assert_equal 1, server.requests.size
    assert_empty @sleeper.waits
  end

  def test_503_on_a_plain_post_is_not_repeated
    server = stub_server { |_req, _i| problem(503, "Busy.", headers: { "Retry-After" => "1" }) }
    client = stub_client(server)
    assert_raises(Seikyu::ServiceUnavailable) { client.register_principal("tn_1", arn: "arn:aws:iam::123456789012:user/x") }
    assert_equal 1, server.requests.size
  end

  def test_503_limit_reached_is_not_retried
    server = stub_server { |_req, _i| problem(503, "10,000 API keys", type: "urn:seikyu:problem:limit-reached") }
    e = assert_raises(Seikyu::ServiceUnavailable) { stub_client(server).tenant("tn_1") }
    assert e.limit_reached?
    assert_equal 1, server.requests.size
  end

  # The first answer is lost (the connection closes after the request was read): the retry sends
  # the very same Idempotency-Key and body, and the server replays the first answer.
  def test_create_billing_retries_a_lost_answer_with_the_same_idempotency_key
    server = stub_server do |_req, i|
      if i.zero?
        ->(socket) { socket.close }
      else
        json(201, { "billingId" => "2025-04-x" }, { "Idempotent-Replayed" => "true" })
      end
    end
    client = stub_client(server)
    record = client.create_billing("tn_1", { "period" => "2025-04" })
    assert_equal "2025-04-x", record["billingId"]
    assert record.replayed?
    assert_equal 201, record.status
    keys = server.requests.map { |r| r.headers["idempotency-key"] }
    assert_equal 2, keys.size
    assert_equal 1, keys.uniq.size
    assert_match(/\A\h{8}-\h{4}-\h{4}-\h{4}-\h{12}\z/, keys.first, "a generated UUID")
    assert_equal 1, server.requests.map(&:body).uniq.size, "the same bytes each time"
  end

  # Onboarding too: a lost answer is asked for again under the same key, never onboarded twice.
  def test_create_tenant_retries_a_lost_answer_with_the_same_idempotency_key
    server = stub_server do |_req, i|
      i.zero? ? ->(socket) { socket.close } : json(201, { "tenantId" => "tn_new" }, { "Idempotent-Replayed" => "true" })
    end
    tenant = stub_client(server).create_tenant({ "name" => "x" })
    assert_equal ["tn_new", true], [tenant["tenantId"], tenant.replayed?]
    keys = server.requests.map { |r| r.headers["idempotency-key"] }
    assert_equal 2, keys.size
    assert_equal 1, keys.uniq.size
    assert_match(/\A\h{8}-\h{4}-\h{4}-\h{4}-\h{12}\z/, keys.first, "a generated UUID")
  end

  def test_in_progress_conflict_after_a_lost_answer_is_retried
    server = stub_server do |_req, i|
      case i
      when 0 then ->(socket) { socket.close }
      when 1 then problem(409, "A request with this Idempotency-Key is still being processed; retry shortly.")
      else json(202, { "runId" => "run-2025-04-1" })
      end
    end
    client = stub_client(server)
    assert_equal "run-2025-04-1", client.create_invoice_run({ "period" => "2025-04" }, idempotency_key: "mine")["runId"]
    assert_equal ["mine"] * 3, server.requests.map { |r| r.headers["idempotency-key"] }
  end

  def test_a_post_without_an_idempotency_key_is_not_repeated_after_a_lost_answer
    server = stub_server { |_req, _i| ->(socket) { socket.close } }
    client = stub_client(server)
    assert_raises(Seikyu::ConnectionError) { client.issue_invoice("tn_1", "b") }
    assert_raises(Seikyu::ConnectionError) { client.put_contract("tn_1", "C-1", {}) }
    assert_equal 2, server.requests.size
    assert_empty @sleeper.waits
  end

  def test_get_is_repeated_after_a_reset
    server = stub_server { |_req, i| i < 2 ? ->(socket) { socket.close } : json(200, { "tenantId" => "tn_1" }) }
    client = stub_client(server)
    assert_equal "tn_1", client.tenant("tn_1")["tenantId"]
    assert_equal 3, server.requests.size
    assert_equal 2, @sleeper.waits.size
  end

  def test_refused_connection
    port = TCPServer.open("127.0.0.1", 0) { |s| s.addr[1] }
    client = stub_client("http://127.0.0.1:#{port}", max_retries: 2)
    e = assert_raises(Seikyu::ConnectionError) { client.tenant("tn_1") }
    refute_kind_of Seikyu::TimeoutError, e
    assert_match(/refused/i, e.message)
    assert_equal 2, @sleeper.waits.size, "GETs are retried"
  end

  def test_unknown_host
    client = stub_client("http://seikyu.invalid", max_retries: 0)
    assert_raises(Seikyu::ConnectionError) { client.tenant("tn_1") }
  end

  def test_read_timeout
    server = stub_server { |_req, _i| ->(socket) { sleep 2; socket.close } }
    client = stub_client(server, read_timeout: 0.3, max_retries: 1)
    e = assert_raises(Seikyu::TimeoutError) { client.tenant("tn_1") }
    assert_kind_of Seikyu::ConnectionError, e
    assert_match(/read_timeout/, e.message)
    assert_equal 2, server.requests.size
  end

  def test_open_timeout
    # A listener that never accepts, its backlog filled: further handshakes are not answered.
    listener = Socket.new(:INET, :STREAM)
    listener.bind(Addrinfo.tcp("127.0.0.1", 0))
    listener.listen(0)
    port = listener.local_address.ip_port
    fillers = 4.times.map do
      s = Socket.new(:INET, :STREAM)
      begin
        s.connect_nonblock(Addrinfo.tcp("127.0.0.1", port))
      rescue IO::WaitWritable, Errno::EINPROGRESS, Errno::EISCONN
        nil
      end
      s
    end
    client = stub_client("http://127.0.0.1:#{port}", open_timeout: 0.3, max_retries: 0)
    e = assert_raises(Seikyu::ConnectionError) { client.tenant("tn_1") }
    skip "this system answers a full backlog at once (#{e.class}: #{e.message})" unless e.is_a?(Seikyu::TimeoutError)
    assert_match(/open_timeout/, e.message)
  ensure
    fillers&.each(&:close)
    listener&.close
  end

  def test_a_truncated_json_body_is_an_incomplete_response
    body = JSON.generate({ "tenantId" => "tn_1", "name" => "x" * 100 })
    server = stub_server do |_req, _i|
      lambda do |socket|
        socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: #{body.bytesize}\r\n\r\n#{body[0, 40]}")
        socket.close
      end
    end
    client = stub_client(server, max_retries: 0)
    e = assert_raises(Seikyu::IncompleteResponseError) { client.tenant("tn_1") }
    assert_equal 40, e.bytes_received
    assert_equal body.bytesize, e.bytes_expected
  end

  def test_no_secrets_in_logs_errors_or_inspect
    server = stub_server do |_req, _i|
      json(403, { "message" => "The request signature we calculated does not match.\nx-api-key:#{SeikyuTest::API_KEY}\n#{SeikyuTest::SECRET}" },
           { "x-amzn-ErrorType" => "InvalidSignatureException" })
    end
    client = stub_client(server)
    e = assert_raises(Seikyu::Forbidden) { client.tenant("tn_1") }
    [e.message, e.detail, @logger.text, client.inspect, client.to_s].each do |text|
      refute_includes text, SeikyuTest::API_KEY
      refute_includes text, SeikyuTest::SECRET
    end
  end
end

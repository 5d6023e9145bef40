# frozen_string_literal: true

require "test_helper"

class DownloadRelayTest < Minitest::Test
  Relay = RedmineSeikyu::DownloadRelay
  Head = Struct.new(:status, :content_type)

  def test_chunks_reach_the_body_while_the_download_is_still_running
    gate = Queue.new
    relay = Relay.start(idle_timeout: 5) do |on_response, sink|
      on_response.call(Head.new(200, "application/pdf"))
      sink.call("%PDF-")
      gate.pop # the download waits here until the first chunk was taken
      sink.call("rest")
    end
    assert_equal 200, relay.head.status
    seen = []
    relay.each do |chunk|
      seen << chunk
      gate << :go if seen.size == 1
    end
    assert_equal ["%PDF-", "rest"], seen
  end

  def test_an_error_before_the_head_is_raised_by_head
    relay = Relay.start(idle_timeout: 5) { |_on_response, _sink| raise Seikyu::NotFound.new(status: 404) }
    assert_raises(Seikyu::NotFound) { relay.head }
  end

  def test_an_error_after_the_head_ends_the_body_with_it
    errors = []
    relay = Relay.start(idle_timeout: 5, on_error: ->(e) { errors << e }) do |on_response, sink|
      on_response.call(Head.new(200, "application/zip"))
      sink.call("PK")
      raise Seikyu::IncompleteResponseError, "cut short"
    end
    relay.head
    seen = []
    assert_raises(Seikyu::IncompleteResponseError) { relay.each { |c| seen << c } }
    assert_equal ["PK"], seen
    assert_equal [Seikyu::IncompleteResponseError], errors.map(&:class)
  end

  def test_a_browser_that_goes_away_stops_the_download
    chunks_sent = 0
    relay = Relay.start(idle_timeout: 5, capacity: 2) do |on_response, sink|
      on_response.call(Head.new(200, "text/csv"))
      1000.times do
        sink.call("row\r\n")
        chunks_sent += 1
      end
    end
    relay.head
    assert_raises(IOError) do
      relay.each { |_chunk| raise IOError, "client disconnected" } # what a web server's write does
    end
    relay.thread.join(2)
    refute relay.thread.alive?
    assert_operator chunks_sent, :<, 10, "the download stopped instead of reading on"
  end

  def test_a_body_nobody_reads_gives_up_after_the_idle_timeout
    relay = Relay.start(idle_timeout: 0.2, capacity: 1) do |on_response, sink|
      on_response.call(Head.new(200, "application/pdf"))
      loop { sink.call("x") }
    end
    relay.head
    relay.thread.join(2)
    refute relay.thread.alive?
  end

  def test_a_download_that_never_answers_times_out_the_head
    relay = Relay.start(idle_timeout: 5) { |_on_response, _sink| sleep 1 }
    assert_raises(RedmineSeikyu::BoundedChannel::Timeout) { relay.head(timeout: 0.1) }
  end

  def test_memory_stays_bounded_by_the_capacity
    relay = Relay.start(idle_timeout: 5, capacity: 4) do |on_response, sink|
      on_response.call(Head.new(200, "application/zip"))
      100.times { sink.call("x" * 1024) }
    end
    relay.head
    sleep 0.1
    buffered = relay.instance_variable_get(:@chunks).instance_variable_get(:@items).size
    assert_operator buffered, :<=, 4
    assert_equal 100, relay.to_enum(:each).count
  end
end

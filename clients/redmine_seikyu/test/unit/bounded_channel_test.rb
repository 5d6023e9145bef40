# frozen_string_literal: true

require "test_helper"

class BoundedChannelTest < Minitest::Test
  Channel = RedmineSeikyu::BoundedChannel

  def test_items_come_out_in_order
    channel = Channel.new(3)
    3.times { |i| channel.push(i, timeout: 1) }
    assert_equal [0, 1, 2], Array.new(3) { channel.pop(timeout: 1) }
  end

  def test_a_full_channel_makes_the_producer_wait_then_time_out
    channel = Channel.new(1)
    channel.push(:a, timeout: 1)
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    assert_raises(Channel::Timeout) { channel.push(:b, timeout: 0.1) }
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :>=, 0.09
  end

  def test_a_waiting_producer_goes_on_when_the_consumer_takes_one
    channel = Channel.new(1)
    channel.push(:a, timeout: 1)
    producer = Thread.new { channel.push(:b, timeout: 5) }
    assert_equal :a, channel.pop(timeout: 1)
    producer.join(2)
    assert_equal :b, channel.pop(timeout: 1)
  end

  def test_close_wakes_both_sides
    channel = Channel.new(1)
    channel.push(:a, timeout: 1)
    producer = Thread.new { channel.push(:b, timeout: 5) rescue $! }
    sleep 0.05
    channel.close
    assert_kind_of Channel::Closed, producer.value
    assert_equal :a, channel.pop(timeout: 1), "what was pushed before close is still handed out"
    assert_raises(Channel::Closed) { channel.pop(timeout: 1) }
  end

  def test_an_empty_channel_times_out_the_consumer
    assert_raises(Channel::Timeout) { Channel.new(2).pop(timeout: 0.05) }
  end
end

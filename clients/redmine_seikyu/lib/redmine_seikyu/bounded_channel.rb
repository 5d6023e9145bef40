# frozen_string_literal: true

module RedmineSeikyu
  # A queue of at most +capacity+ items between one producer and one consumer, whose waits end
  # after a timeout and which either side can close. Ruby 3.1's SizedQueue (Debian bookworm's
  # Ruby) has no timeouts: a download whose browser went away would block its thread for ever.
  class BoundedChannel
    # The other side closed the channel.
    class Closed < StandardError; end
    # Nothing could be pushed or popped within the timeout.
    class Timeout < StandardError; end

    def initialize(capacity)
      raise ArgumentError, "capacity must be positive" unless capacity.to_i.positive?

      @capacity = capacity.to_i
      @items = []
      @closed = false
      @mutex = Mutex.new
      @readable = ConditionVariable.new
      @writable = ConditionVariable.new
    end

    # Waits up to +timeout+ seconds for room. Raises Closed once the channel is closed.
    def push(item, timeout:)
      deadline = clock + timeout
      @mutex.synchronize do
        loop do
          raise Closed, "channel closed" if @closed

          if @items.size < @capacity
            @items << item
            @readable.signal
            return self
          end
          wait(@writable, deadline)
        end
      end
    end

    # Waits up to +timeout+ seconds for an item. Items pushed before close are still handed out;
    # after them, raises Closed.
    def pop(timeout:)
      deadline = clock + timeout
      @mutex.synchronize do
        loop do
          unless @items.empty?
            item = @items.shift
            @writable.signal
            return item
          end
          raise Closed, "channel closed" if @closed

          wait(@readable, deadline)
        end
      end
    end

    def close
      @mutex.synchronize do
        @closed = true
        @readable.broadcast
        @writable.broadcast
      end
      self
    end

    def closed?
      @mutex.synchronize { @closed }
    end

    private

    # Called with the mutex held.
    def wait(condition, deadline)
      remaining = deadline - clock
      raise Timeout, "no progress for the whole timeout" if remaining <= 0

      condition.wait(@mutex, remaining)
    end

    def clock
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end
  end
end

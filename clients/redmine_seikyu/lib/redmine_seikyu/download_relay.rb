# frozen_string_literal: true

module RedmineSeikyu
  # Passes a download from the API to the browser while it arrives, holding only a few chunks.
  #
  # The client reads the API's answer in a thread of its own and hands each chunk over through a
  # BoundedChannel; the relay is the body of Redmine's response, so the web server writes the
  # chunks to the browser as it takes them (#each). Before that, the controller waits for the
  # answer's head (#head): it then answers with the API's type, filename and ETag, or, when the
  # API refused, with an error page, since nothing has been sent yet.
  #
  # When the browser goes away, #each stops and closes the channel: the reading thread's next
  # hand-over fails and the client drops the API connection. When #each is never called (a
  # client that disconnected before the body), the thread gives up after +idle_timeout+.
  class DownloadRelay
    # Net::HTTP hands over at most 16 KiB at a time: at most about 256 KiB per download in memory.
    CAPACITY = 16

    # Starts +download+ in a thread and returns the relay. +download+ is called with two
    # callables: on_response (give it the client's Seikyu::StreamResponse) and sink (each chunk).
    # +on_error+ is called with an error that ends the stream after its head was sent (the web
    # server then cuts the connection: the browser sees an incomplete download, never a short one).
    def self.start(idle_timeout: 60, capacity: CAPACITY, on_error: nil, &download)
      new(idle_timeout: idle_timeout, capacity: capacity, on_error: on_error).tap { |relay| relay.send(:run, download) }
    end

    def initialize(idle_timeout:, capacity:, on_error:)
      @idle_timeout = idle_timeout
      @chunks = BoundedChannel.new(capacity)
      @head = BoundedChannel.new(1)
      @head_sent = false
      @on_error = on_error
    end

    # The answer's head (whatever the download gave on_response), waiting for it at most
    # +timeout+ seconds; raises what the download raised before it (a Seikyu::ApiError, say).
    def head(timeout: @idle_timeout)
      kind, value = @head.pop(timeout: timeout)
      raise value if kind == :error

      value
    rescue BoundedChannel::Timeout
      close
      raise
    end

    # The response body: yields each chunk as it comes.
    def each
      loop do
        kind, value = @chunks.pop(timeout: @idle_timeout)
        case kind
        when :chunk then yield value
        when :done then break
        when :error
          @on_error&.call(value)
          raise value
        end
      end
    rescue BoundedChannel::Timeout => e
      @on_error&.call(e)
      raise
    ensure
      close
    end

    def close
      @chunks.close
      @head.close
    end

    # The reading thread (tests join it).
    attr_reader :thread

    private

    def run(download)
      @thread = Thread.new do
        Thread.current.report_on_exception = false
        begin
          download.call(method(:deliver_head), method(:deliver_chunk))
          raise "the download ended without a response" unless @head_sent

          @chunks.push([:done], timeout: @idle_timeout)
        rescue BoundedChannel::Closed, BoundedChannel::Timeout
          nil # the browser is gone, or stopped reading: stop reading from the API
        rescue StandardError => e
          fail_with(e)
        end
      end
    end

    def deliver_head(response)
      @head_sent = true
      @head.push([:head, response], timeout: @idle_timeout)
    end

    def deliver_chunk(chunk)
      @chunks.push([:chunk, chunk], timeout: @idle_timeout)
    end

    def fail_with(error)
      channel = @head_sent ? @chunks : @head
      channel.push([:error, error], timeout: @idle_timeout)
    rescue BoundedChannel::Closed, BoundedChannel::Timeout
      nil
    end
  end
end

# frozen_string_literal: true

require_relative "test_helper"

module SeikyuTest
  # The demo the local gateway writes (demo-credentials.json), named by SEIKYU_DEMO.
  module Live
    module_function

    def demo_file
      ENV["SEIKYU_DEMO"].to_s.empty? ? nil : ENV["SEIKYU_DEMO"]
    end

    def demo
      @demo ||= JSON.parse(File.read(demo_file))
    end

    SKIP_MESSAGE = "live tests skipped: set SEIKYU_DEMO to a local gateway's demo-credentials.json " \
                   "(e.g. local-gateway --port 3000 --data-dir DIR; SEIKYU_DEMO=DIR/demo-credentials.json)"
  end

  # A TCP proxy in front of the gateway that records each request's head and can lose an answer:
  # for a request for which +drop+ answers true it forwards the request, waits for the whole
  # answer, then closes the client's connection without passing it on (an answer lost on the way
  # back, after the server did the work). The Host header stays the proxy's, as signed.
  class LossyProxy
    include Listening
    attr_reader :requests, :port

    def initialize(upstream, &drop)
      uri = URI(upstream)
      @upstream_host = uri.host
      @upstream_port = uri.port
      @drop = drop || ->(_index, _request) { false }
      listen
    end

    private

    def accept_loop
      loop do
        client = @server.accept
        @threads << Thread.new(client) { |c| relay(c) }
      end
    rescue IOError, Errno::EBADF
      nil
    end

    def relay(client)
      head = +""
      head << client.readpartial(1) until head.end_with?("\r\n\r\n")
      lines = head.split("\r\n")
      headers = lines[1..].to_h { |l| k, v = l.split(":", 2); [k.strip.downcase, v.to_s.strip] }
      body = headers["content-length"].to_i.positive? ? client.read(headers["content-length"].to_i) : ""
      method, target, = lines.first.split(" ", 3)
      request = Request.new(method, target, headers, body)
      index = @lock.synchronize { @requests << request; @requests.size - 1 }
      forwarded = lines.reject { |l| l.downcase.start_with?("connection:") }.join("\r\n") + "\r\nConnection: close\r\n\r\n"
      answer = TCPSocket.open(@upstream_host, @upstream_port) do |up|
        up.write(forwarded)
        up.write(body)
        up.read
      end
      client.write(answer) unless @drop.call(index, request)
    rescue IOError, SystemCallError
      nil
    ensure
      client.close unless client.closed?
    end
  end
end

# frozen_string_literal: true

require "minitest/autorun"
require "json"
require "socket"
require "seikyu"

module SeikyuTest
  SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
  API_KEY = "test-api-key-0123456789abcdefghijklmnop"
  ACCESS_KEY_ID = "AKIDEXAMPLE123456789"

  # Records the waits instead of sleeping.
  class FakeSleeper
    attr_reader :waits

    def initialize
      @waits = []
    end

    def call(seconds)
      @waits << seconds
    end
  end

  # A logger that keeps every line.
  class CapturingLogger
    attr_reader :lines

    def initialize
      @lines = []
      @lock = Mutex.new
    end

    %i[debug info warn error fatal].each do |level|
      define_method(level) do |message = nil, &block|
        @lock.synchronize { @lines << "#{level.upcase} #{message || block&.call}" }
        true
      end
    end

    # Requests that reached the server and got an answer with +status+ for +path+ (a path or regexp).
    def exchanges(path = nil, status: nil)
      @lock.synchronize do
        @lines.select do |l|
          next false unless l =~ %r{\A(?:DEBUG|WARN) seikyu (\w+) (\S+) (\S+) }

          target = Regexp.last_match(2)
          code = Regexp.last_match(3)
          path_ok = path.nil? || (path.is_a?(Regexp) ? target.match?(path) : target.split("?").first == path)
          path_ok && (status.nil? || code == status.to_s)
        end
      end
    end

    def text
      @lock.synchronize { @lines.join("\n") }
    end
  end

  # One request as the stub server received it.
  Request = Struct.new(:method, :target, :headers, :body) do
    def path
      target.split("?", 2).first
    end

    def query
      target.split("?", 2)[1].to_s
    end
  end

  # A listening socket on a free loopback port, accepting in a thread of its own (each server
  # defines accept_loop); shared by the stub server and the live tests' proxy.
  module Listening
    def listen
      @requests = []
      @lock = Mutex.new
      @server = TCPServer.new("127.0.0.1", 0)
      @port = @server.addr[1]
      @threads = []
      @acceptor = Thread.new { accept_loop }
    end

    def endpoint
      "http://127.0.0.1:#{@port}"
    end

    def stop
      @server.close unless @server.closed?
      @acceptor.kill
      @threads.each(&:kill)
    end
  end

  # A tiny HTTP/1.1 server on a free local port: the block gets each Request (and its 0-based
  # index) and returns {status:, headers:, body:}, or a Proc that is given the client socket to
  # answer (or not) however it likes.
  class StubServer
    REASONS = { 200 => "OK", 201 => "Created", 303 => "See Other", 304 => "Not Modified", 400 => "Bad Request",
                403 => "Forbidden", 404 => "Not Found", 409 => "Conflict", 429 => "Too Many Requests",
                500 => "Internal Server Error", 503 => "Service Unavailable" }.freeze

    include Listening
    attr_reader :requests, :port

    def initialize(&handler)
      @handler = handler
      listen
    end

    def self.response(status, body = "", headers = {})
      { status: status, headers: headers, body: body }
    end

    # Writes a complete HTTP response.
    def self.write(socket, status:, headers: {}, body: "", chunked: false)
      body = body.to_s.b
      head = +"HTTP/1.1 #{status} #{REASONS.fetch(status, 'Status')}\r\n"
      headers.each { |k, v| head << "#{k}: #{v}\r\n" }
      head << (chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: #{body.bytesize}\r\n") unless status == 304
      head << "Connection: close\r\n\r\n"
      socket.write(head)
      return if status == 304

      if chunked
        body.bytes.each_slice(1000) { |s| socket.write(format("%x\r\n", s.size) + s.pack("C*") + "\r\n") }
        socket.write("0\r\n\r\n")
      else
        socket.write(body)
      end
    end

    private

    def accept_loop
      loop do
        client = @server.accept
        @threads << Thread.new(client) { |c| serve(c) }
      end
    rescue IOError, Errno::EBADF
      nil
    end

    def serve(client)
      request = read_request(client)
      return client.close if request.nil?

      index = @lock.synchronize do
        @requests << request
        @requests.size - 1
      end
      answer = @handler.call(request, index)
      if answer.is_a?(Proc)
        answer.call(client)
      else
        self.class.write(client, **answer)
      end
    rescue IOError, SystemCallError
      nil
    ensure
      client.close unless client.closed?
    end

    def read_request(client)
      line = client.gets("\r\n") or return nil
      method, target, = line.split(" ", 3)
      headers = {}
      while (h = client.gets("\r\n")) && h != "\r\n"
        k, v = h.split(":", 2)
        headers[k.strip.downcase] = v.to_s.strip
      end
      length = headers["content-length"].to_i
      body = length.positive? ? client.read(length) : ""
      Request.new(method, target, headers, body)
    end
  end

  module Helpers
    def stub_server(&handler)
      server = StubServer.new(&handler)
      (@servers ||= []) << server
      server
    end

    def teardown
      (@servers || []).each(&:stop)
      super
    end

    def stub_client(server, **options)
      @sleeper = options.delete(:sleeper) || FakeSleeper.new
      @logger = options.delete(:logger) || CapturingLogger.new
      Seikyu::Client.new(
        endpoint: server.is_a?(String) ? server : server.endpoint, region: "ap-northeast-1",
        access_key_id: options.delete(:access_key_id) || ACCESS_KEY_ID, secret_access_key: SECRET,
        api_key: API_KEY, sleeper: @sleeper, logger: @logger, **options
      )
    end

    def json(status, data, headers = {})
      StubServer.response(status, JSON.generate(data), { "Content-Type" => "application/json" }.merge(headers))
    end

    def problem(status, detail, errors: nil, headers: {}, type: "urn:seikyu:problem:x", title: "Problem.")
      doc = { type: type, title: title, status: status, detail: detail, instance: "req-#{status}" }
      doc[:errors] = errors if errors
      StubServer.response(status, JSON.generate(doc), { "Content-Type" => "application/problem+json" }.merge(headers))
    end
  end
end

Minitest::Test.include(SeikyuTest::Helpers)

StubServer = SeikyuTest::StubServer

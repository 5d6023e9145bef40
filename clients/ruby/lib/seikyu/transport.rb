# frozen_string_literal: true

require "aws-sigv4"
require "net/http"
require "openssl"
require "uri"

module Seikyu
  # Signs one request with SigV4 (service "execute-api") and sends it with Net::HTTP: one
  # connection per request, so a client can be shared between threads.
  #
  # Signed: host, x-amz-date, x-amz-content-sha256 (the body's SHA-256: the exact bytes sent),
  # x-amz-security-token (temporary credentials only), x-api-key, and content-type,
  # idempotency-key, if-match and if-none-match when present. The query string must already be in
  # SigV4's strict percent-encoding (see UriEncoding): the gem signs it as given.
  class Transport
    # Network failures, mapped to ConnectionError (timeouts to TimeoutError).
    CONNECTION_FAILURES = [
      SocketError, EOFError, IOError, Errno::ECONNREFUSED, Errno::ECONNRESET, Errno::ECONNABORTED,
      Errno::EPIPE, Errno::EHOSTUNREACH, Errno::ENETUNREACH, Errno::EHOSTDOWN, Errno::ENETDOWN,
      Errno::EADDRNOTAVAIL, Errno::EINVAL, Net::HTTPBadResponse, Net::ProtocolError, OpenSSL::SSL::SSLError
    ].freeze
    TIMEOUTS = [Timeout::Error, Errno::ETIMEDOUT].freeze
    SIGNED_OPTIONAL = %w[content-type idempotency-key if-match if-none-match].freeze

    # Raised around an exception thrown by the caller's code while a response is being read (an
    # IO that refuses a write, say), so that it is re-raised as it was and never mistaken for a
    # network failure.
    class CallerFailure < StandardError
      attr_reader :original

      def initialize(original)
        @original = original
        super(original.message)
      end
    end

    attr_reader :endpoint

    def initialize(endpoint:, region:, access_key_id:, secret_access_key:, api_key:, session_token: nil,
                   open_timeout: 5, read_timeout: 30, write_timeout: nil, user_agent: nil)
      uri = URI(endpoint.to_s)
      raise ArgumentError, "endpoint must be an http(s) URL, not #{endpoint.inspect}" unless %w[http https].include?(uri.scheme) && uri.host

      @uri = uri
      @base_path = uri.path.to_s.chomp("/")
      default_port = uri.scheme == "https" ? 443 : 80
      @host_header = uri.port == default_port ? uri.host : "#{uri.host}:#{uri.port}"
      @endpoint = "#{uri.scheme}://#{@host_header}#{@base_path}"
      @api_key = api_key.to_s
      raise ArgumentError, "api_key is required" if @api_key.empty?

      @signer = Aws::Sigv4::Signer.new(
        service: "execute-api",
        region: region,
        access_key_id: access_key_id,
        secret_access_key: secret_access_key,
        session_token: session_token
      )
      @open_timeout = open_timeout
      @read_timeout = read_timeout
      @write_timeout = write_timeout || read_timeout
      @user_agent = [user_agent, "seikyu-ruby/#{Seikyu::VERSION}", "ruby/#{RUBY_VERSION}"].compact.join(" ")
    end

    # The path and query as sent: the endpoint's base path (an API Gateway stage) + +path+ + query.
    def target(path, query = nil)
      t = "#{@base_path}#{path}"
      query.nil? || query.empty? ? t : "#{t}?#{query}"
    end

    # Sends one request (no retries: Net::HTTP's own retry of idempotent requests is turned off,
    # since it would replay a streamed body into the caller's IO). Yields the Net::HTTPResponse with
    # its head read and its body not yet read, and returns what the block returns.
    def request(method, target, headers: {}, body: nil)
      method = method.to_s.upcase
      headers = headers.transform_keys { |k| k.to_s.downcase }
      to_sign = { "host" => @host_header, "x-api-key" => @api_key }
      SIGNED_OPTIONAL.each { |h| to_sign[h] = headers[h].to_s if headers.key?(h) }
      signature = @signer.sign_request(http_method: method, url: "#{@endpoint_origin ||= origin}#{target}",
                                       headers: to_sign, body: body || "")
      sent = {
        "accept-encoding" => "identity",
        "user-agent" => @user_agent
      }.merge(headers).merge(to_sign).merge(signature.headers)
      sent["content-length"] = "0" if body.nil? && %w[POST PUT PATCH].include?(method)
      # A bodiless POST goes out with Content-Length: 0 and no Content-Type (Net::HTTP would
      # otherwise add a form-urlencoded one).
      req = Net::HTTPGenericRequest.new(method, !body.nil?, method != "HEAD", target, sent)
      req.body = body unless body.nil?

      result = nil
      http = Net::HTTP.new(@uri.hostname, @uri.port)
      http.use_ssl = @uri.scheme == "https"
      http.open_timeout = @open_timeout
      http.read_timeout = @read_timeout
      http.write_timeout = @write_timeout if http.respond_to?(:write_timeout=)
      http.max_retries = 0
      http.start do |conn|
        conn.request(req) { |res| result = yield(res) }
      end
      result
    rescue CallerFailure => e
      raise e.original
    rescue *TIMEOUTS => e
      raise TimeoutError, "#{method} #{@endpoint}#{path_only(target)}: #{describe(e)}"
    rescue *CONNECTION_FAILURES => e
      raise ConnectionError, "#{method} #{@endpoint}#{path_only(target)}: #{describe(e)}"
    end

    # Runs caller code while a response is read, marking its exceptions as not network failures.
    def self.caller_code
      yield
    rescue StandardError => e
      raise CallerFailure, e
    end

    def inspect
      "#<#{self.class.name} #{@endpoint}>"
    end

    private

    def origin
      "#{@uri.scheme}://#{@host_header}"
    end

    def path_only(target)
      target.to_s.split("?", 2).first
    end

    def describe(error)
      case error
      when Net::OpenTimeout then "could not connect within #{@open_timeout} s (open_timeout)"
      when Net::ReadTimeout then "no data for #{@read_timeout} s (read_timeout)"
      when Net::WriteTimeout then "could not send within #{@write_timeout} s (write_timeout)"
      when EOFError then "the connection was closed before the response was complete (#{error.class})"
      else "#{error.message} (#{error.class})"
      end
    end
  end
end

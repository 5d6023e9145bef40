# frozen_string_literal: true

require "date"
require "digest"
require "json"
require "securerandom"

module Seikyu
  # A JSON answer: the body as a Hash, with what the response said about it.
  class Resource < Hash
    # HTTP status (304 when served from the ETag cache).
    attr_reader :status
    # Response headers, lower-case names.
    attr_reader :headers

    # @api private
    def self.build(data, status, headers)
      r = self[data]
      r.instance_variable_set(:@status, status)
      r.instance_variable_set(:@headers, headers.freeze)
      r
    end

    def etag
      headers && headers["etag"]
    end

    def request_id
      headers && headers["x-amzn-requestid"]
    end

    # Location header (creates answer 201/202 with one).
    def location
      headers && headers["location"]
    end

    # True when the server replayed the first answer to an Idempotency-Key.
    def replayed?
      headers.to_h["idempotent-replayed"].to_s.casecmp?("true")
    end

    # True when the server answered 304 and the body came from the cache.
    def from_cache?
      status == 304
    end
  end

  # The seikyu API. Thread-safe: share one per set of credentials.
  class Client
    ACCEPT_JSON = "application/json, application/problem+json"
    NO_BODY = Object.new.freeze
    private_constant :NO_BODY

    attr_reader :retry_policy, :cache, :logger, :endpoint

    # +cache+: any object with read(key) / write(key, value) (Rails.cache works); nil gives a
    # Seikyu::MemoryCache (bounded LRU); false turns ETag caching off.
    # +retry_policy+ (a Seikyu::RetryPolicy) or +sleeper+ (call(seconds)) replace the defaults.
    def initialize(endpoint:, region:, access_key_id:, secret_access_key:, api_key:, session_token: nil,
                   open_timeout: 5, read_timeout: 30, write_timeout: nil, max_retries: 3, cache: nil,
                   logger: nil, user_agent: nil, retry_policy: nil, sleeper: nil)
      raise ArgumentError, "region is required" if region.to_s.empty?
      raise ArgumentError, "access_key_id is required" if access_key_id.to_s.empty?
      raise ArgumentError, "secret_access_key is required" if secret_access_key.to_s.empty?

      @transport = Transport.new(
        endpoint: endpoint, region: region, access_key_id: access_key_id, secret_access_key: secret_access_key,
        session_token: session_token, api_key: api_key, open_timeout: open_timeout, read_timeout: read_timeout,
        write_timeout: write_timeout, user_agent: user_agent
      )
      @endpoint = @transport.endpoint
      @access_key_id = access_key_id.to_s
      @redactor = Redactor.new(secret_access_key, session_token, api_key)
      @retry_policy = retry_policy || RetryPolicy.new(max_retries: max_retries, sleeper: sleeper)
      @retry_policy = @retry_policy.with(sleeper: sleeper) if retry_policy && sleeper
      @cache = cache.nil? ? MemoryCache.new : cache
      @logger = logger
    end

    def inspect
      "#<#{self.class.name} #{@endpoint} access_key_id=#{@access_key_id}>"
    end
    alias to_s inspect

    # ---- who am I ---------------------------------------------------------------------------

    # GET /v1/me: role ("tenant"/"operator"), principal, apiKeyId, tenantId and tenant (tenants
    # only), plan {tier, rate, burst, quota {limit, period}}.
    def me
      get_json("/v1/me")
    end

    # ---- tenant reads ------------------------------------------------------------------------

    def tenant(tenant_id)
      get_json("/v1/tenants/#{seg(tenant_id)}")
    end

    # Enumerator of contract Hashes, pages fetched lazily following nextCursor.
    def contracts(tenant_id, status: nil, page_size: nil)
      paginate("/v1/tenants/#{seg(tenant_id)}/contracts", [["status", status], ["limit", page_size]])
    end

    def contract(tenant_id, contract_id)
      get_json("/v1/tenants/#{seg(tenant_id)}/contracts/#{seg(contract_id)}")
    end

    # Enumerator of billing records; +from+/+to+ are periods ("YYYY-MM", or a Date).
    def billings(tenant_id, from: nil, to: nil, status: nil, page_size: nil)
      paginate("/v1/tenants/#{seg(tenant_id)}/billings",
               [["from", period(from)], ["to", period(to)], ["status", status], ["limit", page_size]])
    end

    def billing(tenant_id, billing_id)
      get_json("/v1/tenants/#{seg(tenant_id)}/billings/#{seg(billing_id)}")
    end

    # Enumerator of invoices; +period+ "YYYY-MM" (or a Date). The search (電子帳簿保存法: by
    # transaction date, amount and counterparty), combined with period and status (all must hold):
    # +issued_from+/+issued_to+ issue dates, both included ("YYYY-MM-DD" or a Date);
    # +min_total+/+max_total+ whole yen, tax included, both included; +recipient+ text within the
    # recipient's company name (the API ignores case and full-/half-width forms). nil leaves a
    # condition out; the API refuses bad values with Seikyu::BadRequest (errors name
    # "query.issuedFrom", ...). Every page is asked for with the same search.
    def invoices(tenant_id, period: nil, status: nil, issued_from: nil, issued_to: nil, min_total: nil,
                 max_total: nil, recipient: nil, page_size: nil)
      paginate("/v1/tenants/#{seg(tenant_id)}/invoices",
               [["period", period(period)], ["status", status], ["issuedFrom", date(issued_from)],
                ["issuedTo", date(issued_to)], ["minTotal", min_total], ["maxTotal", max_total],
                ["recipient", recipient], ["limit", page_size]])
    end

    def invoice(tenant_id, invoice_number)
      get_json("/v1/tenants/#{seg(tenant_id)}/invoices/#{seg(invoice_number)}")
    end

    # Requests per day, bytes streamed, invoices rendered, exports, quota; +from+/+to+ dates.
    def usage(tenant_id, from: nil, to: nil)
      get_json("/v1/tenants/#{seg(tenant_id)}/usage", [["from", date(from)], ["to", date(to)]])
    end

    # ---- streamed downloads --------------------------------------------------------------------
    # Each chunk goes to +io+ (anything with #write) or to the block as it arrives; +on_response+
    # gets the StreamResponse before the first chunk. Returns the StreamResponse once the body is
    # complete; a body cut short raises IncompleteResponseError.

    # The invoice PDF. Its SHA-256 is checked against the ETag (IntegrityError on a mismatch).
    def download_invoice_pdf(tenant_id, invoice_number, io = nil, on_response: nil, &block)
      stream("/v1/tenants/#{seg(tenant_id)}/invoices/#{seg(invoice_number)}/pdf", [], io, on_response,
             verify_etag_sha256: true, &block)
    end

    # A period's issued invoices as one ZIP. Call as download_invoices_zip(tenant_id, io, period: "2025-04").
    def download_invoices_zip(tenant_id, io = nil, period:, on_response: nil, &block)
      stream("/v1/tenants/#{seg(tenant_id)}/invoices.zip", [["period", period(period)]], io, on_response, &block)
    end

    # Billing records as CSV; +encoding+ "cp932" (Windows-31J, the default here), "utf8bom" or "utf8".
    # The chunks are raw bytes in that encoding (a character may span two chunks).
    def export_billings_csv(tenant_id, io = nil, from: nil, to: nil, status: nil, encoding: "cp932", on_response: nil, &block)
      query = [["from", period(from)], ["to", period(to)], ["status", status], ["encoding", encoding]]
      stream("/v1/tenants/#{seg(tenant_id)}/billings.csv", query, io, on_response, &block)
    end

    # A short-lived presigned URL for the PDF (GET .../pdf?delivery=redirect; the 303 is not followed).
    def invoice_pdf_url(tenant_id, invoice_number)
      execute("GET", "/v1/tenants/#{seg(tenant_id)}/invoices/#{seg(invoice_number)}/pdf",
              query: [["delivery", "redirect"]], mode: :redirect)
    end

    # ---- operator --------------------------------------------------------------------------------

    # POST /v1/tenants: the answer carries the new API key (apiKey {id, value}) this once. Without
    # +idempotency_key+ a UUID is generated; every retry sends the same key, so a lost answer never
    # onboards the tenant twice (the retry gets the first answer, key value included).
    def create_tenant(attrs, idempotency_key: nil)
      execute("POST", "/v1/tenants", json: attrs, idempotency_key: idempotency_key || SecureRandom.uuid)
    end

    # PATCH (JSON merge patch); +if_match+ the tenant's ETag or its version (quoted for you).
    def update_tenant(tenant_id, patch, if_match:)
      execute("PATCH", "/v1/tenants/#{seg(tenant_id)}", json: patch, headers: { "if-match" => etag_header(if_match) })
    end

    # PUT: creates (201) or, with +if_match+, replaces (200) a contract.
    def put_contract(tenant_id, contract_id, attrs, if_match: nil)
      headers = if_match.nil? ? {} : { "if-match" => etag_header(if_match) }
      execute("PUT", "/v1/tenants/#{seg(tenant_id)}/contracts/#{seg(contract_id)}", json: attrs, headers: headers)
    end

    # A draft billing record. Without +idempotency_key+ a UUID is generated; every retry of this
    # call sends the same key, so the record is created once.
    def create_billing(tenant_id, attrs, idempotency_key: nil)
      execute("POST", "/v1/tenants/#{seg(tenant_id)}/billings", json: attrs,
                                                                idempotency_key: idempotency_key || SecureRandom.uuid)
    end

    # Issues the draft: the next invoice number, the PDF; issuing again returns the invoice.
    # +pdf: :external+ numbers it for a PDF made elsewhere, uploaded with invoice_upload_url and
    # complete_invoice_upload.
    def issue_invoice(tenant_id, billing_id, pdf: nil)
      query = pdf.to_s == "external" ? [["pdf", "external"]] : []
      execute("POST", "/v1/tenants/#{seg(tenant_id)}/billings/#{seg(billing_id)}/issue", query: query, repeatable: true)
    end

    # A presigned PUT for the invoice's PDF: {method, url, headers, expiresAt}.
    def invoice_upload_url(tenant_id, invoice_number, content_length:)
      execute("POST", "/v1/tenants/#{seg(tenant_id)}/invoices/#{seg(invoice_number)}/upload-url",
              json: { "contentLength" => Integer(content_length) }, repeatable: true)
    end

    # Checks the uploaded PDF against +sha256+ (hex) and issues the invoice.
    def complete_invoice_upload(tenant_id, invoice_number, sha256:)
      execute("POST", "/v1/tenants/#{seg(tenant_id)}/invoices/#{seg(invoice_number)}/upload-complete",
              json: { "sha256" => sha256 }, repeatable: true)
    end

    # issued -> paid; +paid_on+ a Date or "YYYY-MM-DD" (default: today in Japan).
    def mark_paid(tenant_id, billing_id, paid_on: nil)
      json = paid_on.nil? ? NO_BODY : { "paidOn" => date(paid_on) }
      execute("POST", "/v1/tenants/#{seg(tenant_id)}/billings/#{seg(billing_id)}/paid", json: json, repeatable: true)
    end

    def void_invoice(tenant_id, invoice_number, reason:)
      execute("POST", "/v1/tenants/#{seg(tenant_id)}/invoices/#{seg(invoice_number)}/void",
              json: { "reason" => reason }, repeatable: false)
    end

    # A month-end run ({period, tenants?, generate?, dryRun?}); same Idempotency-Key rule as create_billing.
    def create_invoice_run(attrs, idempotency_key: nil)
      execute("POST", "/v1/invoice-runs", json: attrs, idempotency_key: idempotency_key || SecureRandom.uuid)
    end

    def invoice_run(run_id)
      get_json("/v1/invoice-runs/#{seg(run_id)}")
    end

    # Registers an IAM principal (user or role ARN) for a tenant, or for the operator with
    # tenant_id = :operator: POST /v1/principals {arn, role, tenantId?, accessKey}. 201, or 200 when
    # it was already registered to the same owner. +access_key+: true asks the local gateway to mint
    # an access key pair for an IAM user (returned once as accessKey {accessKeyId, secretAccessKey}).
    def register_principal(tenant_id, arn:, access_key: false)
      body = { "arn" => arn, "role" => operator?(tenant_id) ? "operator" : "tenant" }
      body["tenantId"] = tenant_id.to_s unless operator?(tenant_id)
      body["accessKey"] = access_key ? true : false
      execute("POST", "/v1/principals", json: body, repeatable: false)
    end

    # Array of principal Hashes: GET /v1/principals?tenantId= (or ?role=operator for :operator).
    def principals(tenant_id)
      query = operator?(tenant_id) ? [["role", "operator"]] : [["tenantId", tenant_id]]
      Array(get_json("/v1/principals", query)["items"])
    end

    # DELETE /v1/principals/{principalId} (204); true. The API names a principal by its id alone,
    # so the client first checks that it is one of +tenant_id+'s (of the operator's for :operator)
    # and raises Seikyu::NotFound otherwise, rather than remove another owner's principal.
    def remove_principal(tenant_id, principal_id)
      unless principals(tenant_id).any? { |p| p["principalId"] == principal_id.to_s }
        owner = operator?(tenant_id) ? "the operator" : "tenant #{tenant_id}"
        raise NotFound.new(status: 404, title: "Not found.", detail: "#{principal_id} is not a principal of #{owner}.")
      end
      execute("DELETE", "/v1/principals/#{seg(principal_id)}")
      true
    end

    # The IAM policy document a tenant's principal needs.
    def iam_policy(tenant_id)
      get_json("/v1/tenants/#{seg(tenant_id)}/iam-policy")
    end

    private

    # ---- helpers for the routes -------------------------------------------------------------------

    def seg(value)
      UriEncoding.segment(value)
    end

    def operator?(tenant_id)
      tenant_id == :operator || tenant_id.to_s == "operator"
    end

    def date(value)
      value.respond_to?(:strftime) ? value.strftime("%Y-%m-%d") : value&.to_s
    end

    def period(value)
      value.respond_to?(:strftime) ? value.strftime("%Y-%m") : value&.to_s
    end

    def etag_header(value)
      s = value.to_s.strip
      raise ArgumentError, "if_match must be an ETag or a version" if s.empty?

      s == "*" || s.start_with?('"', 'W/"') ? s : %("#{s}")
    end

    def get_json(path, query = [])
      execute("GET", path, query: query, cacheable: true)
    end

    def paginate(path, query)
      Pagination.enumerator do |cursor|
        execute("GET", path, query: query + [["cursor", cursor]], cacheable: true)
      end
    end

    def stream(path, query, io, on_response, verify_etag_sha256: false, &block)
      raise ArgumentError, "give an IO or a block, not both" if io && block
      raise ArgumentError, "give an IO (anything with #write) or a block" if io.nil? && block.nil?
      raise ArgumentError, "the IO must respond to #write" if io && !io.respond_to?(:write)

      io.binmode if io.respond_to?(:binmode) && !(io.respond_to?(:binmode?) && io.binmode?)
      sink = io ? ->(chunk) { io.write(chunk) } : block
      execute("GET", path, query: query, mode: :stream, sink: sink, on_response: on_response,
                           verify_etag_sha256: verify_etag_sha256)
    end

    # ---- one call: attempts, retries, cache, errors --------------------------------------------

    def execute(method, path, query: [], json: NO_BODY, headers: {}, idempotency_key: nil, repeatable: nil,
                cacheable: false, mode: :json, sink: nil, on_response: nil, verify_etag_sha256: false)
      body = json.equal?(NO_BODY) ? nil : JSON.generate(json)
      headers = headers.dup
      headers["accept"] = mode == :json ? ACCEPT_JSON : "*/*" unless headers.key?("accept")
      headers["content-type"] = "application/json" if body
      headers["idempotency-key"] = idempotency_key.to_s if idempotency_key
      target = @transport.target(path, UriEncoding.query(query))
      cache_key = cacheable && method == "GET" && @cache ? cache_key_for(method, target) : nil
      request = {
        method: method, idempotency_key: idempotency_key,
        repeatable: repeatable.nil? ? (method != "POST" || !idempotency_key.nil?) : repeatable,
        network_failure_before: false
      }
      retry_number = 0
      skip_cache = false
      loop do
        cached = cache_key && !skip_cache ? cache_read(cache_key) : nil
        attempt_headers = cached ? headers.merge("if-none-match" => cached["etag"]) : headers
        state = { streamed: false }
        started = clock
        begin
          outcome = @transport.request(method, target, headers: attempt_headers, body: body) do |res|
            receive(res, mode, sink, on_response, state, verify_etag_sha256)
          end
        rescue ConnectionError => e
          log_exchange(method, target, "failed", started, retry_number, nil, e)
          raise if state[:streamed] # bytes already went to the caller: never repeated

          delay = @retry_policy.delay_for(e, retry_number + 1, request)
          raise unless delay

          request[:network_failure_before] = true
          retry_number += 1
          wait(delay, method, target, e.class.name.split("::").last, retry_number)
          next
        end

        status, response_headers, payload = outcome
        log_exchange(method, target, status, started, retry_number, response_headers, nil)
        case status
        when 200..299
          return payload if mode == :stream

          if mode == :redirect
            raise InvalidResponseError, "expected a redirect from GET #{path_only(target)}, got #{status}"
          end

          data = parse_json(payload, status, target)
          store(cache_key, response_headers["etag"], payload) if cache_key && status == 200
          return data.is_a?(Hash) ? Resource.build(data, status, response_headers) : data
        when 304
          if cached
            data = parse_json(cached["body"], 200, target)
            return Resource.build(data, 304, response_headers.merge("etag" => cached["etag"]))
          end
          raise InvalidResponseError, "304 Not Modified without a cached copy for GET #{path_only(target)}" if skip_cache

          skip_cache = true
          next
        when 300..399
          if mode == :redirect
            location = response_headers["location"]
            raise InvalidResponseError, "#{status} without a Location header" if location.to_s.empty?

            return location
          end
          raise ApiError.from_response(status, response_headers, payload, redactor: @redactor)
        else
          error = ApiError.from_response(status, response_headers, payload, redactor: @redactor)
          delay = @retry_policy.delay_for(error, retry_number + 1, request)
          raise error unless delay

          retry_number += 1
          wait(delay, method, target, "#{status} #{error.detail}", retry_number)
        end
      end
    end

    # Reads one response. Returns [status, headers, payload]: payload is the body text, or for a
    # successful stream the completed StreamResponse.
    def receive(res, mode, sink, on_response, state, verify_etag_sha256)
      status = res.code.to_i
      headers = header_hash(res)
      if mode == :stream && (200..299).cover?(status)
        state[:streamed] = true
        return [status, headers, read_stream(res, status, headers, sink, on_response, verify_etag_sha256)]
      end
      if mode == :redirect && (200..299).cover?(status)
        drain(res, headers)
        return [status, headers, ""]
      end
      [status, headers, read_text(res, headers)]
    end

    def read_stream(res, status, headers, sink, on_response, verify_etag_sha256)
      response = StreamResponse.new(status, headers)
      Transport.caller_code { on_response&.call(response) }
      begin
        res.read_body do |chunk|
          response.record(chunk)
          Transport.caller_code { sink.call(chunk) }
        end
      rescue Transport::CallerFailure
        raise
      rescue EOFError, IOError, SystemCallError, Timeout::Error, Net::HTTPBadResponse, OpenSSL::SSL::SSLError => e
        raise IncompleteResponseError.new(
          "the download was cut short after #{response.bytes_received} bytes (#{e.class}): " \
          "the data written so far is incomplete",
          bytes_received: response.bytes_received, bytes_expected: response.content_length
        )
      end
      check_length(response.bytes_received, response.content_length)
      if verify_etag_sha256 && status == 200 && response.etag_value.to_s.match?(/\A\h{64}\z/) &&
         !response.etag_value.casecmp?(response.sha256)
        raise IntegrityError, "the downloaded bytes' SHA-256 #{response.sha256} differs from the ETag #{response.etag}"
      end

      response.finish!
    end

    def read_text(res, headers)
      buffer = +""
      res.read_body { |chunk| buffer << chunk }
      check_length(buffer.bytesize, content_length(headers))
      buffer.force_encoding(Encoding::UTF_8)
    end

    def drain(res, headers)
      count = 0
      res.read_body { |chunk| count += chunk.bytesize }
      check_length(count, content_length(headers))
    end

    def check_length(received, expected)
      return if expected.nil? || received == expected

      raise IncompleteResponseError.new(
        "the response ended after #{received} of #{expected} bytes (Content-Length)",
        bytes_received: received, bytes_expected: expected
      )
    end

    def content_length(headers)
      v = headers["content-length"]
      v&.match?(/\A\d+\z/) ? v.to_i : nil
    end

    def header_hash(res)
      h = {}
      res.each_header { |k, v| h[k.downcase] = v }
      h
    end

    def parse_json(text, status, target)
      return nil if text.nil? || text.strip.empty?

      JSON.parse(text)
    rescue JSON::ParserError
      raise InvalidResponseError, "#{status} from #{path_only(target)} is not JSON"
    end

    # ---- ETag cache -------------------------------------------------------------------------------

    def cache_key_for(method, target)
      "seikyu/etag/" + Digest::SHA256.hexdigest([@endpoint, @access_key_id, method, target].join("\n"))
    end

    def cache_read(key)
      entry = @cache.read(key)
      entry.is_a?(Hash) && entry["etag"].is_a?(String) && entry["body"].is_a?(String) ? entry : nil
    rescue StandardError => e
      log(:warn, "seikyu cache read failed: #{e.class}")
      nil
    end

    def store(key, etag, body)
      return if etag.nil? || etag.empty?

      @cache.write(key, { "etag" => etag, "body" => body })
    rescue StandardError => e
      log(:warn, "seikyu cache write failed: #{e.class}")
    end

    # ---- logging and waiting ----------------------------------------------------------------------

    def wait(delay, method, target, reason, retry_number)
      log(:warn, format("seikyu retry %<n>d/%<max>d of %<m>s %<p>s in %<d>.2fs after %<r>s",
                        n: retry_number, max: @retry_policy.max_retries, m: method, p: path_only(target),
                        d: delay, r: @redactor.call(reason.to_s)))
      @retry_policy.sleep(delay)
    end

    def log_exchange(method, target, status, started, retry_number, headers, error)
      return unless @logger

      ms = ((clock - started) * 1000).round(1)
      line = "seikyu #{method} #{@redactor.call(target)} #{status} #{ms}ms attempt=#{retry_number + 1}"
      line += " request_id=#{headers['x-amzn-requestid']}" if headers&.key?("x-amzn-requestid")
      line += " error=#{error.class.name}" if error
      error ? log(:warn, line) : log(:debug, line)
    end

    def log(level, message)
      @logger&.public_send(level, message)
    rescue StandardError
      nil
    end

    def path_only(target)
      target.to_s.split("?", 2).first
    end

    def clock
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end
  end
end

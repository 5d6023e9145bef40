# frozen_string_literal: true

# A project's billing page (module "seikyu", permission "view_seikyu_billing"): the customer's own
# profile, contracts, billing records and invoices from the seikyu API, and the downloads: an
# invoice's PDF, a month's invoices as a ZIP, the billing records as CSV.
#
# Downloads are relayed while they arrive (RedmineSeikyu::DownloadRelay), never read whole into
# memory first. Whatever goes wrong with the API becomes a page saying what happened and what to
# do (RedmineSeikyu::ErrorMessage), with a fitting status: never a Redmine 500.
class SeikyuBillingController < ApplicationController
  # More than a page of this many is cut short, with a hint to filter by month.
  LIST_LIMIT = 100
  PERIOD = /\A\d{4}-(0[1-9]|1[0-2])\z/.freeze
  INVOICE_NUMBER = /\A[A-Za-z0-9][A-Za-z0-9_-]{0,63}\z/.freeze
  STATUSES = %w[issued paid void].freeze
  CSV_ENCODINGS = %w[cp932 utf8bom].freeze

  menu_item :seikyu
  helper :seikyu_billing

  before_action :find_project_by_project_id, :authorize

  rescue_from Seikyu::Error, RedmineSeikyu::ErrorMessage::NotConfigured,
              RedmineSeikyu::ErrorMessage::OperatorCredentials, RedmineSeikyu::BoundedChannel::Timeout,
              RedmineSeikyu::HostCredentials::Unavailable, *RedmineSeikyu::ErrorMessage::NETWORK_ERRORS, with: :render_seikyu_error

  # The invoices can be searched (RedmineSeikyu::InvoiceSearch): by issue date, total and
  # recipient, together with the month and state filter; the API's refusal of a search's values is
  # shown above the form, not as an error page.
  def index
    @period = optional_period(params[:period])
    @status = STATUSES.include?(params[:status]) ? params[:status] : nil
    refresh = params[:refresh].present?
    tid = connection.tenant_id
    client = connection.client
    @tenant = connection.read("tenant", refresh: refresh) { client.tenant(tid).to_h }
    @contracts = connection.read("contracts", refresh: refresh) do
      listed(client.contracts(tid, page_size: LIST_LIMIT))
    end
    filter = "#{@period}/#{@status}"
    @search = RedmineSeikyu::InvoiceSearch.from_params(params)
    @search_errors = []
    begin
      @invoices = connection.read("invoices/#{filter}/#{@search.cache_key}", refresh: refresh) do
        listed(client.invoices(tid, period: @period, status: @status, page_size: LIST_LIMIT, **@search.to_client_args))
      end
    rescue Seikyu::BadRequest => e
      # The search's values, refused by the API: said next to the form, the rest of the page as usual.
      @search_errors = RedmineSeikyu::InvoiceSearch.errors_from(e)
      raise if @search_errors.empty?

      logger&.info("redmine_seikyu: invoice search refused: #{@search_errors.map(&:api_field).join(', ')}")
      @invoices = []
    end
    @billings = connection.read("billings/#{filter}", refresh: refresh) do
      listed(client.billings(tid, from: @period, to: @period, status: @status, page_size: LIST_LIMIT))
    end
  end

  # The invoice's PDF, relayed; or, when the settings say so, a 303 to a short-lived presigned URL
  # the browser fetches from storage itself.
  def invoice_pdf
    number = params[:number].to_s
    return render_404 unless number.match?(INVOICE_NUMBER)

    tid = connection.tenant_id
    client = connection.client
    if connection.settings.redirect_pdf?
      redirect_to client.invoice_pdf_url(tid, number), status: :see_other
    else
      relay_download("#{number}.pdf") do |on_response, sink|
        client.download_invoice_pdf(tid, number, on_response: on_response, &sink)
      end
    end
  end

  # The month's issued invoices (paid ones included, void ones left out) as one ZIP.
  def invoices_zip
    period = params[:period].to_s
    return render_seikyu_bad_request(:seikyu_error_period) unless period.match?(PERIOD)

    tid = connection.tenant_id
    client = connection.client
    relay_download("invoices-#{period}.zip") do |on_response, sink|
      client.download_invoices_zip(tid, period: period, on_response: on_response, &sink)
    end
  end

  # One row per line item. cp932 (Windows-31J) unless asked otherwise: what Excel opens in Japan
  # (and Redmine's own CSV encoding for Japanese); "utf8bom" keeps every character.
  def billings_csv
    encoding = CSV_ENCODINGS.include?(params[:encoding]) ? params[:encoding] : "cp932"
    period = optional_period(params[:period])
    status = STATUSES.include?(params[:status]) ? params[:status] : nil
    tid = connection.tenant_id
    client = connection.client
    relay_download("billings.csv") do |on_response, sink|
      client.export_billings_csv(tid, from: period, to: period, status: status, encoding: encoding,
                                      on_response: on_response, &sink)
    end
  end

  private

  def connection
    @connection ||= RedmineSeikyu.connection
  end

  # One more than is shown, to know whether there are more; plain Hashes only (they are cached).
  def listed(items)
    items.first(LIST_LIMIT + 1).select { |item| item.is_a?(Hash) }
  end

  def optional_period(value)
    value.to_s.match?(PERIOD) ? value.to_s : nil
  end

  # Answers with what +download+ streams: it runs in a thread of its own (see DownloadRelay) and
  # this waits only for the head, so an API error still becomes an error page.
  def relay_download(fallback_filename, &download)
    relay = RedmineSeikyu::DownloadRelay.start(on_error: method(:log_interrupted_download), &download)
    head = relay.head
    response.status = head.status
    response.headers["Content-Type"] = head.content_type.presence || "application/octet-stream"
    response.headers["Content-Disposition"] = content_disposition(head, fallback_filename)
    response.headers["Content-Length"] = head.content_length.to_s if head.content_length
    # Rack::ETag (in Redmine's middleware) reads a whole body to hash it unless the response has an
    # ETag or a Last-Modified: the PDF has its own ETag (its SHA-256); the others get the time.
    if head.etag.present?
      response.headers["ETag"] = head.etag
    else
      response.headers["Last-Modified"] = Time.now.httpdate
    end
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    self.response_body = chunked(relay, head)
  rescue StandardError
    relay&.close
    raise
  end

  # Redmine puts Rack::ContentLength in front of every response, and it reads a body that has
  # neither a Content-Length nor a Transfer-Encoding to the end to count it: the whole download
  # would sit in memory before the first byte left. The API streams without a length, so the body
  # goes out in HTTP/1.1 chunked coding, encoded here (Rack 2 servers pass such a body through).
  # An HTTP/1.0 request cannot take chunks: it gets the download after Rack::ContentLength read it
  # (README.md: run Redmine behind HTTP/1.1, e.g. nginx's proxy_http_version 1.1).
  def chunked(relay, head)
    return relay if head.content_length || http10?

    response.headers["Transfer-Encoding"] = "chunked"
    Rack::Chunked::Body.new(relay)
  end

  # Puma keeps the request's version in HTTP_VERSION (SERVER_PROTOCOL says HTTP/1.1 regardless).
  def http10?
    request.get_header("SERVER_PROTOCOL").to_s.match?(%r{\AHTTP/(0\.9|1\.0)\z}) ||
      request.get_header("HTTP_VERSION").to_s.match?(%r{\AHTTP/(0\.9|1\.0)\z})
  end

  # The API's own header (an ASCII filename and an RFC 6266 filename* for 請求書_….pdf) when it
  # sent an attachment one; else one made here.
  def content_disposition(head, fallback_filename)
    given = head.headers["content-disposition"].to_s
    return given if head.disposition.to_s.casecmp?("attachment") && given.match?(/\A[\x20-\x7e]+\z/)

    ActionDispatch::Http::ContentDisposition.format(disposition: "attachment",
                                                    filename: head.filename.presence || fallback_filename)
  end

  # After the head was sent only the connection can say something went wrong: the web server cuts
  # it, so the browser reports a failed download rather than keeping a short file.
  def log_interrupted_download(error)
    logger&.error("redmine_seikyu: download for #{request.path} interrupted: #{error.class}: #{error.message}")
  end

  def render_seikyu_error(error)
    message = RedmineSeikyu::ErrorMessage.for(error, quota_period: @connection&.quota_period)
    logger&.warn("redmine_seikyu: #{request.path}: #{error.class}: #{error.message}")
    response.headers["Retry-After"] = message.retry_after.to_s if message.retry_after
    @seikyu_error = message
    render "seikyu_billing/error", status: message.status
  end

  def render_seikyu_bad_request(key)
    @seikyu_error_text = l(key)
    render "seikyu_billing/error", status: 400
  end
end

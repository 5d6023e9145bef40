# frozen_string_literal: true

require_relative "live_helper"
require "digest"
require "securerandom"
require "stringio"
require "tempfile"

# Against a running local gateway (SEIKYU_DEMO names its demo-credentials.json). Throttling may be
# on: the clients here retry "Too Many Requests" with real waits, and the tests stay well under
# the standard tier's 20 requests/s (burst 40).
warn "seikyu: #{SeikyuTest::Live::SKIP_MESSAGE}" unless SeikyuTest::Live.demo_file

class LiveTest < Minitest::Test
  def setup
    skip SeikyuTest::Live::SKIP_MESSAGE unless SeikyuTest::Live.demo_file
    @demo = SeikyuTest::Live.demo
    @tenant = @demo["tenants"][0]
    @other = @demo["tenants"][1]
    @tid = @tenant["tenantId"]
    @proxies = []
  end

  def teardown
    @proxies&.each(&:stop)
    super
  end

  def client_for(who, endpoint: @demo["endpoint"], **options)
    logger = options.delete(:logger) || SeikyuTest::CapturingLogger.new
    Seikyu::Client.new(endpoint: endpoint, region: @demo["region"], access_key_id: who["accessKeyId"],
                       secret_access_key: who["secretAccessKey"], api_key: who["apiKey"], logger: logger,
                       max_retries: 5, **options)
  end

  def tenant_client(**options)
    client_for(@tenant, **options)
  end

  def operator_client(**options)
    client_for(@demo["operator"], **options)
  end

  def proxy(&drop)
    p = SeikyuTest::LossyProxy.new(@demo["endpoint"], &drop)
    @proxies << p
    p
  end

  def draft(note, period: "2025-05")
    {
      "period" => period,
      "lines" => [{ "description" => "Redmine 保守 #{note}", "quantity" => 1, "unitPrice" => 11_000, "taxCategory" => "standard" }],
      "notes" => note,
      "issueDate" => "2025-05-31",
      "dueDate" => "2025-06-30"
    }
  end

  # ---- reads ------------------------------------------------------------------------------------

  def test_me_tells_a_tenant_and_the_operator_who_they_are
    me = tenant_client.me
    assert_equal "tenant", me["role"]
    assert_equal @tid, me["tenantId"]
    assert_equal @tenant["name"], me.dig("tenant", "name")
    assert_equal "standard", me.dig("plan", "tier")
    assert_kind_of Integer, me.dig("plan", "quota", "limit")
    assert_match(/\Aarn:/, me["principal"])

    op = operator_client.me
    assert_equal "operator", op["role"]
    refute op.key?("tenantId")
    refute op.key?("tenant")
    assert_equal "premium", op.dig("plan", "tier")
  end

  def test_tenant_reads
    client = tenant_client
    tenant = client.tenant(@tid)
    assert_equal @tenant["name"], tenant["name"]
    assert_match(/\A"\d+"\z/, tenant.etag)
    assert_equal "C-DEMO-001", client.contract(@tid, "C-DEMO-001")["contractId"]
    invoice = client.invoice(@tid, "INV-2025-000001")
    assert_equal "issued", invoice["status"]
    assert_equal invoice["invoiceNumber"], client.billing(@tid, invoice["billingId"])["invoiceNumber"]
    assert_includes client.invoices(@tid, period: "2025-04").map { |i| i["invoiceNumber"] }, "INV-2025-000001"
    assert_includes client.billings(@tid, from: "2025-04", to: "2025-04", status: "issued").map { |b| b["billingId"] }, invoice["billingId"]
    usage = client.usage(@tid)
    assert_equal @tid, usage["tenantId"]
    assert_operator usage.dig("quota", "used"), :>=, 1
  end

  # The demo's INV-2025-000001: issued 2025-04-30 to 株式会社しまね商事. Five search parameters
  # and the period, signed together (the gateway checks the signature over them sorted).
  def test_invoice_search_by_date_total_and_recipient
    client = tenant_client
    total = client.invoice(@tid, "INV-2025-000001").dig("totals", "total")
    around = { issued_from: "2025-04-30", issued_to: Date.new(2025, 4, 30), min_total: total, max_total: total }
    found = client.invoices(@tid, period: "2025-04", recipient: "しまね", **around).map { |i| i["invoiceNumber"] }
    assert_includes found, "INV-2025-000001"
    assert_includes client.invoices(@tid, recipient: "しまね商事", page_size: 1).map { |i| i["invoiceNumber"] },
                    "INV-2025-000001", "page by page, the cursor bound to the search"
    refute_includes client.invoices(@tid, recipient: "いずも", **around).map { |i| i["invoiceNumber"] }, "INV-2025-000001"
    refute_includes client.invoices(@tid, **around, min_total: total + 1, max_total: nil).map { |i| i["invoiceNumber"] }, "INV-2025-000001"
    e = assert_raises(Seikyu::BadRequest) { client.invoices(@tid, min_total: 100, max_total: 99, issued_from: "2025-6-1").first }
    assert_equal %w[query.issuedFrom query.maxTotal], e.errors.map { |x| x["field"] }.sort, "the signature was accepted; the values were refused"
  end

  def test_pagination_with_page_size_1_across_every_contract
    all = operator_client.contracts(@tid, page_size: 100).map { |c| c["contractId"] }
    assert_operator all.size, :>=, 3
    logger = SeikyuTest::CapturingLogger.new
    contracts = tenant_client(logger: logger).contracts(@tid, page_size: 1)
    assert_equal all.first(2), contracts.first(2).map { |c| c["contractId"] }
    assert_equal 2, logger.exchanges("/v1/tenants/#{@tid}/contracts", status: 200).size, "first(2) reads two pages"
    logger.lines.clear
    assert_equal all, contracts.to_a.map { |c| c["contractId"] }
    pages = logger.exchanges("/v1/tenants/#{@tid}/contracts")
    assert_equal all.size, pages.size, "one page per contract: nextCursor only while more match"
    assert_equal 2, logger.exchanges("/v1/tenants/#{@tid}/contracts", status: 304).size, "the two pages read before revalidate"
    assert(pages.drop(1).all? { |l| l.include?("cursor=") })
  end

  def test_another_tenants_data_is_not_found
    client = tenant_client
    e = assert_raises(Seikyu::NotFound) { client.tenant(@other["tenantId"]) }
    assert_equal 404, e.status
    assert_equal "urn:seikyu:problem:not-found", e.type
    refute_nil e.request_id
    assert_raises(Seikyu::NotFound) { client.contracts(@other["tenantId"]).first }
  end

  # The client keeps {etag, body} and sends If-None-Match; a 304 is served from the cache.
  def test_etag_revalidation
    relay = proxy
    logger = SeikyuTest::CapturingLogger.new
    client = tenant_client(endpoint: relay.endpoint, logger: logger)
    first = client.tenant(@tid)
    second = client.tenant(@tid)
    gets = relay.requests.select { |r| r.path == "/v1/tenants/#{@tid}" }
    assert_equal 2, gets.size
    assert_nil gets[0].headers["if-none-match"]
    assert_equal first.etag, gets[1].headers["if-none-match"], "the second read revalidates with the stored ETag"
    assert_equal first, second
    assert second.from_cache?, "the API answered 304 and the body came from the cache"
    # Listings revalidate too (their ETag is a hash of the page).
    client.contracts(@tid).to_a
    client.contracts(@tid).to_a
    assert_operator logger.exchanges("/v1/tenants/#{@tid}/contracts", status: 304).size, :>=, 1
    assert_equal 1, logger.exchanges("/v1/tenants/#{@tid}", status: 304).size
  end

  # ---- downloads --------------------------------------------------------------------------------

  def test_pdf_streams_to_a_tempfile_whose_sha256_is_the_etag
    client = tenant_client
    invoice = client.invoice(@tid, "INV-2025-000001")
    seen = nil
    Tempfile.create(["invoice", ".pdf"]) do |file|
      result = client.download_invoice_pdf(@tid, "INV-2025-000001", file, on_response: lambda { |r|
        seen = [r.status, r.content_type, r.filename, r.bytes_received]
      })
      file.flush
      assert_equal [200, "application/pdf", "請求書_INV-2025-000001.pdf", 0], seen, "on_response before the first chunk"
      sha = Digest::SHA256.file(file.path).hexdigest
      assert_equal result.etag.delete('"'), sha
      assert_equal invoice.dig("pdf", "sha256"), sha
      assert_equal invoice.dig("pdf", "size"), File.size(file.path)
      assert_equal File.size(file.path), result.bytes_received
      assert_nil result.content_length, "streamed: no Content-Length"
      assert result.complete?
      assert_equal "%PDF-", File.binread(file.path, 5)
    end
  end

  def test_billings_csv_in_cp932_decodes_as_windows_31j
    io = StringIO.new
    result = tenant_client.export_billings_csv(@tid, io, encoding: "cp932")
    assert_equal "Windows-31J", result.charset
    assert_match(/\.csv\z/, result.filename)
    bytes = io.string
    text = bytes.dup.force_encoding(Encoding::Windows_31J)
    assert text.valid_encoding?, "valid Windows-31J"
    utf8 = text.encode(Encoding::UTF_8)
    assert_includes utf8, "INV-2025-000001"
    assert_includes utf8, "請求書番号"
    assert_includes utf8, "打ち合わせ用 お茶"
    assert utf8.end_with?("\r\n")
    refute bytes.start_with?("\xEF\xBB\xBF".b), "no UTF-8 BOM in cp932"
  end

  def test_invoices_zip_streams
    chunks = []
    result = tenant_client.download_invoices_zip(@tid, period: "2025-04") { |chunk| chunks << chunk }
    zip = chunks.join
    assert_equal "application/zip", result.content_type
    assert zip.start_with?("PK\x03\x04".b)
    assert_includes zip, "INV-2025-000001.pdf"
    assert_equal zip.bytesize, result.bytes_received
  end

  def test_invoice_pdf_url_is_a_presigned_location
    client = tenant_client
    url = client.invoice_pdf_url(@tid, "INV-2025-000001")
    assert_match(%r{\Ahttps?://}, url)
    response = Net::HTTP.get_response(URI(url))
    assert_equal "200", response.code
    assert_equal client.invoice(@tid, "INV-2025-000001").dig("pdf", "sha256"), Digest::SHA256.hexdigest(response.body)
  end

  # ---- errors -------------------------------------------------------------------------------------

  def test_a_query_with_japanese_and_reserved_characters_is_signed_correctly
    e = assert_raises(Seikyu::BadRequest) { tenant_client.contracts(@tid, status: "有効 a+b&c=d/*~%").first }
    assert_equal ["query.status"], e.errors.map { |x| x["field"] }, "the signature was accepted; the value was refused"
    assert_raises(Seikyu::BadRequest) { tenant_client.billings(@tid, from: "２０２５年４月").first }
  end

  def test_validation_errors_become_bad_request_errors
    e = assert_raises(Seikyu::BadRequest) do
      operator_client.create_billing(@other["tenantId"], {
                                       "period" => "2025-13",
                                       "lines" => [{ "description" => "改行\tあり", "quantity" => 1, "unitPrice" => 100, "taxCategory" => "luxury" }],
                                       "issueDate" => "someday", "dueDate" => "2025-06-30"
                                     })
    end
    fields = e.errors.map { |x| x["field"] }
    assert_equal %w[issueDate lines[0].description lines[0].taxCategory period], fields.sort
    assert(e.errors.all? { |x| !x["message"].to_s.empty? })
    assert_equal "urn:seikyu:problem:validation-error", e.type
    fields.each { |f| assert_includes e.message, f }
  end

  def test_an_unknown_api_key_is_forbidden_by_the_gateway
    client = client_for(@tenant.merge("apiKey" => "not-a-key-#{SecureRandom.hex(8)}"))
    e = assert_raises(Seikyu::Forbidden) { client.tenant(@tid) }
    assert_equal "Forbidden", e.detail
    assert_equal "ForbiddenException", e.error_type
    assert e.gateway?
    refute_nil e.request_id
  end

  def test_a_wrong_secret_is_refused_without_leaking_secrets
    client = client_for(@tenant.merge("secretAccessKey" => "wrong#{@tenant['secretAccessKey']}"))
    e = assert_raises(Seikyu::Forbidden) { client.tenant(@tid) }
    assert_equal "InvalidSignatureException", e.error_type
    refute_includes e.message, @tenant["apiKey"]
    refute_includes e.message, @tenant["secretAccessKey"]
  end

  def test_a_closed_port_is_a_connection_error
    port = TCPServer.open("127.0.0.1", 0) { |s| s.addr[1] }
    sleeper = SeikyuTest::FakeSleeper.new
    client = client_for(@tenant, endpoint: "http://127.0.0.1:#{port}", sleeper: sleeper, max_retries: 2)
    e = assert_raises(Seikyu::ConnectionError) { client.tenant(@tid) }
    refute_kind_of Seikyu::ApiError, e
    assert_equal 2, sleeper.waits.size
  end

  def test_a_tenant_on_an_operator_route_is_forbidden
    e = assert_raises(Seikyu::Forbidden) { tenant_client.create_billing(@tid, draft("tenant tries")) }
    assert_equal "urn:seikyu:problem:forbidden", e.type
  end

  # ---- operator -------------------------------------------------------------------------------------

  # The first answer is lost after the server created the record: the client retries with the same
  # Idempotency-Key and gets the first answer replayed, and there is one record.
  def test_create_billing_retry_reuses_the_idempotency_key
    relay = proxy { |index, _request| index.zero? }
    sleeper = SeikyuTest::FakeSleeper.new
    client = client_for(@demo["operator"], endpoint: relay.endpoint, sleeper: sleeper)
    note = "idempotency #{SecureRandom.hex(6)}"
    record = client.create_billing(@other["tenantId"], draft(note))
    assert_equal 2, relay.requests.size
    keys = relay.requests.map { |r| r.headers["idempotency-key"] }
    refute_nil keys.first
    assert_equal keys.first, keys.last
    assert_equal 1, sleeper.waits.size
    assert record.replayed?, "Idempotent-Replayed: true on the replay"
    assert_equal 201, record.status
    assert_equal "draft", record["status"]
    same = operator_client.billings(@other["tenantId"], from: "2025-05", to: "2025-05").select { |b| b["notes"] == note }
    assert_equal [record["billingId"]], same.map { |b| b["billingId"] }

    again = operator_client.create_billing(@other["tenantId"], draft(note), idempotency_key: keys.first)
    assert again.replayed?
    assert_raises(Seikyu::UnprocessableEntity) do
      operator_client.create_billing(@other["tenantId"], draft("#{note} changed"), idempotency_key: keys.first)
    end
  end

  def test_issue_pay_and_void
    op = operator_client
    tid = @other["tenantId"]
    paid = op.create_billing(tid, draft("pay #{SecureRandom.hex(4)}"))
    invoice = op.issue_invoice(tid, paid["billingId"])
    assert_equal 201, invoice.status
    assert_equal "issued", invoice["status"]
    assert_equal 200, op.issue_invoice(tid, paid["billingId"]).status, "issuing again returns it"
    record = op.mark_paid(tid, paid["billingId"], paid_on: Date.new(2025, 6, 10))
    assert_equal "paid", record["status"]
    assert_equal "paid", op.invoice(tid, invoice["invoiceNumber"])["status"]

    voided = op.create_billing(tid, draft("void #{SecureRandom.hex(4)}"))
    number = op.issue_invoice(tid, voided["billingId"])["invoiceNumber"]
    v = op.void_invoice(tid, number, reason: "金額誤り\n再発行します")
    assert_equal "void", v["status"]
    e = assert_raises(Seikyu::Conflict) { op.void_invoice(tid, number, reason: "again") }
    assert_includes e.detail, number
  end

  def test_tenant_and_contract_writes_with_etags
    op = operator_client
    attrs = { "name" => "テスト商会 #{SecureRandom.hex(3)}",
              "customerProfile" => { "companyName" => "株式会社テスト商会", "postalCode" => "690-0001",
                                     "address" => "島根県松江市東朝日町1-1",
                                     "billingContact" => { "name" => "経理", "email" => "keiri@test.example.jp" } },
              "planTier" => "basic" }
    key = SecureRandom.uuid
    created = op.create_tenant(attrs, idempotency_key: key)
    assert_equal 201, created.status
    tid = created["tenantId"]
    refute_nil created.dig("apiKey", "value")
    again = op.create_tenant(attrs, idempotency_key: key)
    assert_equal [tid, created.dig("apiKey", "value"), true], [again["tenantId"], again.dig("apiKey", "value"), again.replayed?]
    current = op.tenant(tid)
    updated = op.update_tenant(tid, { "name" => "テスト商会 改" }, if_match: current.etag)
    assert_equal "テスト商会 改", updated["name"]
    assert_raises(Seikyu::PreconditionFailed) { op.update_tenant(tid, { "name" => "x" }, if_match: current.etag) }
    assert_equal "テスト商会 改", op.update_tenant(tid, { "planTier" => "standard" }, if_match: updated["version"])["name"]

    terms = { "planName" => "基本", "monthlyFee" => 3300, "startDate" => "2025-04-01", "billingCycle" => "monthly" }
    contract = op.put_contract(tid, "C-1", terms)
    assert_equal 201, contract.status
    assert_equal 200, op.put_contract(tid, "C-1", terms).status, "the same body again is a no-op"
    assert_raises(Seikyu::PreconditionRequired) { op.put_contract(tid, "C-1", terms.merge("monthlyFee" => 4400)) }
    replaced = op.put_contract(tid, "C-1", terms.merge("monthlyFee" => 4400), if_match: contract.etag)
    assert_equal 4400, replaced["monthlyFee"]
  end

  def test_invoice_runs
    op = operator_client
    dry = op.create_invoice_run({ "period" => "2025-09", "tenants" => [@other["tenantId"]], "dryRun" => true })
    assert_equal 200, dry.status
    assert dry["dryRun"]
    run = op.create_invoice_run({ "period" => "2025-09", "tenants" => [@other["tenantId"]] })
    assert_includes [202, 200], run.status
    run_id = run["runId"]
    deadline = Time.now + 30
    state = nil
    until Time.now > deadline
      state = op.invoice_run(run_id)
      break if %w[completed completedWithErrors cancelled].include?(state["state"])

      sleep 0.3
    end
    assert_equal "completed", state["state"]
    assert_equal state.dig("counts", "total"), state.dig("counts", "issued")
  end

  # ---- principals ---------------------------------------------------------------------------------

  def test_principals_and_iam_policy
    op = operator_client
    tid = @other["tenantId"]
    arn = "arn:aws:iam::000000000000:user/redmine-test-#{SecureRandom.hex(4)}"
    registered = op.register_principal(tid, arn: arn, access_key: true)
    assert_equal 201, registered.status
    assert_equal arn, registered["arn"]
    assert_equal tid, registered["tenantId"]
    assert_match(/\Apr_/, registered["principalId"])
    minted = registered["accessKey"]
    refute_nil minted
    assert_includes op.principals(tid).map { |p| p["arn"] }, arn
    again = op.register_principal(tid, arn: arn)
    assert_equal 200, again.status, "already registered to the same owner"
    assert_nil again["accessKey"]
    assert_raises(Seikyu::Conflict) { op.register_principal(:operator, arn: arn) }
    assert_raises(Seikyu::NotFound) { op.remove_principal(:operator, registered["principalId"]) }

    as_new = client_for({ "accessKeyId" => minted["accessKeyId"], "secretAccessKey" => minted["secretAccessKey"],
                          "apiKey" => @other["apiKey"] })
    me = as_new.me
    assert_equal [arn, "tenant", tid], [me["principal"], me["role"], me["tenantId"]]

    assert op.remove_principal(tid, registered["principalId"])
    refute_includes op.principals(tid).map { |p| p["arn"] }, arn
    assert_raises(Seikyu::Forbidden) { as_new.tenant(tid) }

    operator_arn = "arn:aws:iam::000000000000:role/cms-test-#{SecureRandom.hex(4)}"
    op_principal = op.register_principal(:operator, arn: operator_arn)
    assert_equal "operator", op_principal["role"]
    assert_nil op_principal["accessKey"]
    assert_includes op.principals(:operator).map { |p| p["arn"] }, operator_arn
    assert op.remove_principal(:operator, op_principal["principalId"])

    policy = op.iam_policy(tid)
    assert_equal "2012-10-17", policy["Version"]
    resources = policy["Statement"].flat_map { |st| Array(st["Resource"]) }
    assert(resources.any? { |r| r.end_with?("/GET/v1/tenants/#{tid}/*") })
    assert_raises(Seikyu::Forbidden) { tenant_client.iam_policy(@tid) }
  end
end

# frozen_string_literal: true

# A smoke test of a deployment, as its operator: signs with the operator's credentials, onboards a
# throwaway tenant, issues an invoice (rendered by the API) and downloads its PDF, uploads a PDF
# over Lambda's 6 MB response limit for a second invoice and downloads it through the streaming
# route, checks that the tenant's usage plan answers a burst with 429s, then voids both invoices
# and offboards the tenant. One "ok - ..." line per check; exits non-zero at the first failure.
#
#   ruby scripts/smoke.rb ENDPOINT CREDENTIALS_JSON
#
# CREDENTIALS_JSON: {"region": ..., "operator": {"accessKeyId", "secretAccessKey", "apiKey"}}
# (the local gateway's demo-credentials.json has this shape). Invoice numbers are gapless and the
# two issued here stay used (voided): run it against a staging stage, not production.
$LOAD_PATH.unshift(File.expand_path("../clients/ruby/lib", __dir__))
require "digest"
require "json"
require "net/http"
require "securerandom"
require "tempfile"
require "seikyu"

endpoint = ARGV.fetch(0) { abort "usage: ruby scripts/smoke.rb ENDPOINT CREDENTIALS_JSON" }
creds = JSON.parse(File.read(ARGV.fetch(1) { abort "usage: ruby scripts/smoke.rb ENDPOINT CREDENTIALS_JSON" }))
op = creds.fetch("operator")
started = Process.clock_gettime(Process::CLOCK_MONOTONIC)

def ok(what) = puts("ok - #{what}")

def check(cond, what)
  abort("FAIL: #{what}") unless cond
  ok(what)
end

def client_for(endpoint, region, access_key_id, secret, api_key, **opts)
  Seikyu::Client.new(endpoint: endpoint, region: region, access_key_id: access_key_id, secret_access_key: secret,
                     api_key: api_key, read_timeout: 120, **opts)
end

region = creds.fetch("region")
operator = client_for(endpoint, region, op.fetch("accessKeyId"), op.fetch("secretAccessKey"), op.fetch("apiKey"))
me = operator.me
check(me["role"] == "operator", "the credentials are the operator's (#{me['principal']})")

suffix = SecureRandom.alphanumeric(6).downcase
tenant = operator.create_tenant({
  "name" => "smoke #{suffix}",
  "customerProfile" => { "companyName" => "スモーク試験 #{suffix}", "postalCode" => "100-0001", "address" => "東京都千代田区千代田1番1号",
                         "billingContact" => { "name" => "試験担当", "email" => "smoke@example.com" } },
  "planTier" => "basic"
})
tid = tenant.fetch("tenantId")
tenant_key = tenant.dig("apiKey", "value")
ok "tenant #{tid} onboarded (basic plan, its API key shown once)"
numbers = []

begin
  operator.put_contract(tid, "C-SMOKE-1", { "planName" => "スモーク", "monthlyFee" => 1_100, "startDate" => "2025-01-01", "billingCycle" => "monthly" })
  line = ->(d, p) { { "description" => d, "quantity" => 1, "unitPrice" => p, "taxCategory" => "standard" } }
  draft = operator.create_billing(tid, { "period" => "2025-01", "lines" => [line.("スモーク試験", 1_100)], "issueDate" => "2025-01-31", "dueDate" => "2025-02-28" })
  invoice = operator.issue_invoice(tid, draft.fetch("billingId"))
  numbers << invoice.fetch("invoiceNumber")
  check(invoice["status"] == "issued", "invoice #{invoice['invoiceNumber']} issued with its PDF rendered")
  pdf = Tempfile.new(["smoke", ".pdf"])
  got = operator.download_invoice_pdf(tid, invoice["invoiceNumber"], pdf)
  pdf.flush
  check(Digest::SHA256.file(pdf.path).hexdigest == got.etag.delete('"'), "its PDF downloads, SHA-256 = ETag")

  # A PDF over Lambda's 6 MB buffered limit: only the streaming route can return it.
  big = "%PDF-1.4\n".b + ("% smoke padding #{'x' * 100}\n" * 70_000) + "%%EOF\n"
  draft2 = operator.create_billing(tid, { "period" => "2025-02", "lines" => [line.("大きな PDF", 2_200)], "issueDate" => "2025-02-28", "dueDate" => "2025-03-31" })
  external = operator.issue_invoice(tid, draft2.fetch("billingId"), pdf: :external)
  number = external.fetch("invoiceNumber")
  numbers << number
  upload = operator.invoice_upload_url(tid, number, content_length: big.bytesize)
  uri = URI(upload.fetch("url"))
  put = Net::HTTP::Put.new(uri)
  upload.fetch("headers").each { |k, v| put[k] = v unless k.casecmp?("content-length") }
  put.body = big
  res = Net::HTTP.start(uri.host, uri.port, use_ssl: uri.scheme == "https", read_timeout: 120) { |h| h.request(put) }
  check(res.code.to_i.between?(200, 299), "a #{format("%.1f", big.bytesize / 1_000_000.0)} MB PDF uploads to its presigned URL (#{res.code})")
  done = operator.complete_invoice_upload(tid, number, sha256: Digest::SHA256.hexdigest(big))
  check(done["status"] == "issued", "invoice #{number} issued with the uploaded PDF")
  seen = nil
  out = Tempfile.new(["big", ".pdf"])
  operator.download_invoice_pdf(tid, number, out, on_response: ->(r) { seen = r })
  out.flush
  check(File.size(out.path) == big.bytesize && Digest::SHA256.file(out.path).hexdigest == Digest::SHA256.hexdigest(big),
        "it streams back whole (#{File.size(out.path)} bytes, over 6 MB)")
  check(seen.content_length.nil?, "streamed: no Content-Length")

  # The tenant's key on the basic plan (burst 10): a burst of 30 meets 429s at the gateway. The
  # operator signs (the backend would refuse the pair, 403, for the requests that get through).
  burst = client_for(endpoint, region, op.fetch("accessKeyId"), op.fetch("secretAccessKey"), tenant_key, max_retries: 0, cache: false)
  statuses = Array.new(30) do
    Thread.new do
      burst.tenant(tid)
      200
    rescue Seikyu::Throttled => e
      e.quota_exceeded? ? :quota : 429
    rescue Seikyu::ApiError => e
      e.status
    end
  end.map(&:value)
  check(statuses.count(429).positive?, "a burst of 30 on the basic plan gets 429s (#{statuses.tally.map { |s, n| "#{s}: #{n}" }.join(', ')})")
ensure
  numbers.each do |n|
    operator.void_invoice(tid, n, reason: "スモーク試験の後始末")
  rescue Seikyu::Error => e
    warn "could not void #{n}: #{e.message}"
  end
  begin
    current = operator.tenant(tid)
    operator.update_tenant(tid, { "status" => "offboarded" }, if_match: current.etag)
    ok "cleaned up: #{numbers.size} invoices voided, tenant #{tid} offboarded (its API key deleted)"
  rescue Seikyu::Error => e
    warn "could not offboard #{tid}: #{e.message}"
  end
end
puts format("smoke test passed in %.1f s", Process.clock_gettime(Process::CLOCK_MONOTONIC) - started)

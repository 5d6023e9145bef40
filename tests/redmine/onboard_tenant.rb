# frozen_string_literal: true

# Onboards a new tenant through the API as the operator would, with the seikyu Ruby client, for
# scripts/test-redmine: the tenant (its API key comes back this once), two contracts, last month's
# billing record with standard- and reduced-rate lines, issued (so there is a PDF), two earlier
# invoices (one paid, one void), and IAM principals for its Redmine with access keys minted by the
# local gateway: one for the plugin's settings, one for the server's environment.
#
#   ruby tests/redmine/onboard_tenant.rb <data-dir>/demo-credentials.json > tenant.json
#
# Prints one JSON object: the tenant's credentials and what its billing page must show.
$LOAD_PATH.unshift(File.expand_path("../../clients/ruby/lib", __dir__))
require "date"
require "json"
require "securerandom"
require "seikyu"

demo = JSON.parse(File.read(ARGV.fetch(0)))
operator = demo.fetch("operator")
client = Seikyu::Client.new(
  endpoint: demo.fetch("endpoint"), region: demo.fetch("region"), access_key_id: operator.fetch("accessKeyId"),
  secret_access_key: operator.fetch("secretAccessKey"), api_key: operator.fetch("apiKey")
)

suffix = SecureRandom.alphanumeric(4)
company = "株式会社いわみ製作所"
tenant = client.create_tenant({
  "name" => "いわみ製作所 #{suffix}",
  "customerProfile" => {
    "companyName" => company, "postalCode" => "697-0027", "address" => "島根県浜田市殿町1番地",
    "billingContact" => { "name" => "総務部 髙橋", "email" => "soumu@iwami.example.jp" }
  },
  "planTier" => "standard"
})
tid = tenant.fetch("tenantId")

contracts = [
  ["C-RM-001", "Redmine ホスティング ベーシック", 33_000],
  ["C-RM-002", "優先サポート", 11_000]
]
contracts.each do |id, plan, fee|
  client.put_contract(tid, id, { "planName" => plan, "monthlyFee" => fee, "startDate" => "2025-10-01",
                                 "billingCycle" => "monthly", "notes" => "Redmine 連携テスト" })
end

# Last month, by Japan's calendar (the API's "today" for billing).
today = (Time.now.utc + (9 * 3600)).to_date
period_start = today.prev_month
period = period_start.strftime("%Y-%m")
last_day = Date.new(period_start.year, period_start.month, -1)
lines = [
  { "description" => "Redmine ホスティング ベーシック（#{period_start.month}月分）", "quantity" => 1, "unitPrice" => 33_000, "taxCategory" => "standard" },
  { "description" => "優先サポート", "quantity" => 1, "unitPrice" => 11_000, "taxCategory" => "standard" },
  # ① is in cp932 (Windows-31J) but not in strict Shift_JIS: the CSV check relies on it.
  { "description" => "保守作業①", "quantity" => 2, "unitPrice" => 4_400, "taxCategory" => "standard" },
  { "description" => "来客用 菓子（軽減税率）", "quantity" => 3, "unitPrice" => 1_080, "taxCategory" => "reduced" }
]
billing = client.create_billing(tid, { "period" => period, "lines" => lines, "notes" => "Redmine プラグインの確認用",
                                       "issueDate" => last_day.to_s,
                                       "dueDate" => Date.new(today.year, today.month, -1).to_s })
invoice = client.issue_invoice(tid, billing.fetch("billingId"))

# Two earlier months, to show the other states: one paid, one voided.
earlier = [[2, :paid], [3, :void]].to_h do |months_back, state|
  month = today << months_back
  record = client.create_billing(tid, { "period" => month.strftime("%Y-%m"),
                                        "lines" => [lines.first.merge("description" => "Redmine ホスティング ベーシック（#{month.month}月分）")],
                                        "issueDate" => Date.new(month.year, month.month, -1).to_s,
                                        "dueDate" => Date.new((month >> 1).year, (month >> 1).month, -1).to_s })
  number = client.issue_invoice(tid, record.fetch("billingId")).fetch("invoiceNumber")
  if state == :paid
    client.mark_paid(tid, record.fetch("billingId"))
  else
    client.void_invoice(tid, number, reason: "金額の誤りのため再発行します")
  end
  [state, number]
end

principal = client.register_principal(tid, arn: "arn:aws:iam::000000000000:user/redmine-#{tid}", access_key: true)
access_key = principal.fetch("accessKey")
# A second principal, standing in for the Redmine server's own IAM role (its key goes into the
# server's environment, where the plugin's "this server's IAM role" setting finds it).
host = client.register_principal(tid, arn: "arn:aws:iam::000000000000:user/redmine-host-#{tid}", access_key: true)

totals = invoice.fetch("totals")
by_rate = totals.fetch("byRate").to_h { |r| [r.fetch("taxCategory"), r] }
yen = ->(n) { "#{n.negative? ? '-' : ''}¥#{n.abs.to_s.reverse.scan(/\d{1,3}/).join(',').reverse}" }
puts JSON.generate(
  "tenantId" => tid,
  "tenantName" => tenant.fetch("name"),
  "companyName" => company,
  "apiKey" => tenant.fetch("apiKey").fetch("value"),
  "principalArn" => principal["arn"],
  "accessKeyId" => access_key.fetch("accessKeyId"),
  "secretAccessKey" => access_key.fetch("secretAccessKey"),
  "hostPrincipalArn" => host["arn"],
  "hostAccessKeyId" => host.fetch("accessKey").fetch("accessKeyId"),
  "hostSecretAccessKey" => host.fetch("accessKey").fetch("secretAccessKey"),
  "contractPlans" => contracts.map { |c| c[1] },
  "period" => period,
  "billingId" => billing.fetch("billingId"),
  "invoiceNumber" => invoice.fetch("invoiceNumber"),
  "lineDescription" => "保守作業①",
  "paidInvoiceNumber" => earlier.fetch(:paid),
  "voidInvoiceNumber" => earlier.fetch(:void),
  "standardAmounts" => [yen.call(by_rate.fetch("standard").fetch("subtotal")), yen.call(by_rate.fetch("standard").fetch("tax"))],
  "reducedAmounts" => [yen.call(by_rate.fetch("reduced").fetch("subtotal")), yen.call(by_rate.fetch("reduced").fetch("tax"))],
  "total" => yen.call(totals.fetch("total")),
  "totalYen" => totals.fetch("total"),
  "issueDate" => invoice.fetch("issueDate"),
  "otherTenantNames" => demo.fetch("tenants").flat_map { |t| [t.fetch("name"), t.fetch("tenantId")] }
)

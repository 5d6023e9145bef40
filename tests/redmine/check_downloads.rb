# frozen_string_literal: true

# Checks the files the browser downloaded through Redmine (scripts/test-redmine):
#
#   ruby tests/redmine/check_downloads.rb <tenant.json> <endpoint> <region> <download dir>
#
# the PDF is byte for byte the API's (its SHA-256 is the ETag the API sends, asked for here with
# the seikyu Ruby client and the tenant's own credentials), the CSV is cp932 (Windows-31J) with
# the line descriptions, the UTF-8 one starts with a BOM, and the ZIP is a ZIP of the period's
# invoice. Prints "ok - <check>" per check; exits 1 at the first that fails.
$LOAD_PATH.unshift(File.expand_path("../../clients/ruby/lib", __dir__))
require "digest"
require "json"
require "seikyu"
require "zip" # rubyzip: a dependency of Debian's redmine package

tenant = JSON.parse(File.read(ARGV.fetch(0)))
endpoint, region, dir = ARGV.fetch(1), ARGV.fetch(2), ARGV.fetch(3)

def check(condition, what, found = nil)
  unless condition
    warn "FAIL: #{what}#{found.nil? ? '' : " (found: #{found.to_s[0, 300]})"}"
    exit 1
  end
  puts "ok - #{what}"
end

client = Seikyu::Client.new(endpoint: endpoint, region: region, access_key_id: tenant.fetch("accessKeyId"),
                            secret_access_key: tenant.fetch("secretAccessKey"), api_key: tenant.fetch("apiKey"))
number = tenant.fetch("invoiceNumber")
etag = nil
client.download_invoice_pdf(tenant.fetch("tenantId"), number, on_response: ->(r) { etag = r.etag_value }) { |_chunk| nil }

pdf = File.binread(File.join(dir, "invoice.pdf"))
check(etag.to_s.match?(/\A\h{64}\z/) && Digest::SHA256.hexdigest(pdf) == etag.downcase,
      "the PDF downloaded through Redmine has the SHA-256 the API gives as its ETag (#{etag.to_s[0, 16]}…)",
      "sha256 #{Digest::SHA256.hexdigest(pdf)} etag #{etag}")

csv = File.binread(File.join(dir, "billings-cp932.csv"))
text = csv.dup.force_encoding(Encoding::Windows_31J)
check(text.valid_encoding? && !csv.dup.force_encoding(Encoding::UTF_8).valid_encoding?,
      "the CSV decodes as cp932 (Windows-31J), not UTF-8")
decoded = text.encode(Encoding::UTF_8)
check(decoded.include?(tenant.fetch("lineDescription")) && decoded.include?(number),
      "the cp932 CSV holds the line \"#{tenant.fetch('lineDescription')}\" of #{number}", decoded.lines.first(3).join)

utf8 = File.binread(File.join(dir, "billings-utf8bom.csv"))
check(utf8.start_with?("\xEF\xBB\xBF".b) && utf8.force_encoding(Encoding::UTF_8).include?(tenant.fetch("lineDescription")),
      "the UTF-8 CSV starts with a BOM and holds the same line")

zip_path = File.join(dir, "invoices.zip")
check(File.binread(zip_path, 4) == "PK\x03\x04".b, "the period's download is a ZIP")
Zip::File.open(zip_path) do |zip|
  entry = zip.entries.find { |e| e.name.include?(number) }
  check(entry && Digest::SHA256.hexdigest(entry.get_input_stream.read) == etag.downcase,
        "the ZIP holds #{number}'s PDF, the same bytes", zip.entries.map(&:name).join(", "))
end

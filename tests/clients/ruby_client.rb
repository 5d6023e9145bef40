# Signs requests with the aws-sigv4 gem (what a Redmine plugin uses) and sends them with Net::HTTP.
#
# Reads the demo credentials the local gateway writes and prints one JSON line per request:
# {"name": ..., "status": ..., "body": ...}. Used by the Rust tests, and by hand as an example:
#
#   ruby tests/clients/ruby_client.rb .seikyu/demo-credentials.json
require "aws-sigv4"
require "json"
require "net/http"
require "uri"

def call(demo, who, method, path, body = nil)
  signer = Aws::Sigv4::Signer.new(
    service: "execute-api",
    region: demo["region"],
    access_key_id: who["accessKeyId"],
    secret_access_key: who["secretAccessKey"]
  )
  url = demo["endpoint"] + path
  headers = { "x-api-key" => who["apiKey"] }
  payload = body && JSON.generate(body)
  headers["content-type"] = "application/json" if payload
  signature = signer.sign_request(http_method: method, url: url, headers: headers, body: payload || "")
  uri = URI(url)
  request = Net::HTTPGenericRequest.new(method, !payload.nil?, true, uri.request_uri)
  headers.merge(signature.headers).each { |k, v| request[k] = v }
  request.body = payload if payload
  response = Net::HTTP.start(uri.host, uri.port) { |http| http.request(request) }
  [response.code.to_i, response.body.to_s.empty? ? nil : JSON.parse(response.body)]
end

demo = JSON.parse(File.read(ARGV.fetch(0)))
a, b = demo["tenants"]
op = demo["operator"]
contract = { "planName" => "追加ストレージ", "monthlyFee" => 3300, "startDate" => "2025-05-01", "billingCycle" => "monthly" }
[
  ["tenant reads itself", a, "GET", "/v1/tenants/#{a["tenantId"]}"],
  ["tenant lists active contracts", a, "GET", "/v1/tenants/#{a["tenantId"]}/contracts?status=active&limit=2"],
  ["tenant reads another tenant", a, "GET", "/v1/tenants/#{b["tenantId"]}"],
  ["operator writes a contract", op, "PUT", "/v1/tenants/#{b["tenantId"]}/contracts/C-RB-1", contract],
].each do |name, who, method, path, body|
  status, answer = call(demo, who, method, path, body)
  puts JSON.generate({ "name" => name, "status" => status, "body" => answer })
end

# frozen_string_literal: true

# Prints how many requests the tenant's API key has made in the current quota period, as the usage
# plan counts them (this request included), with the seikyu Ruby client:
#
#   ruby tests/redmine/usage_count.rb <tenant.json> <endpoint> <region>
#
# scripts/test-redmine reads it before and after a page view to see what the view cost.
$LOAD_PATH.unshift(File.expand_path("../../clients/ruby/lib", __dir__))
require "json"
require "seikyu"

tenant = JSON.parse(File.read(ARGV.fetch(0)))
client = Seikyu::Client.new(endpoint: ARGV.fetch(1), region: ARGV.fetch(2), access_key_id: tenant.fetch("accessKeyId"),
                            secret_access_key: tenant.fetch("secretAccessKey"), api_key: tenant.fetch("apiKey"),
                            cache: false)
puts client.usage(tenant.fetch("tenantId")).fetch("quota").fetch("used")

# frozen_string_literal: true

# Ruby client for the seikyu billing API: SigV4-signed requests with an API key, problem+json
# errors as exceptions, retries, lazy pagination, ETag caching and streamed downloads.
#
#   require "seikyu"
#   client = Seikyu::Client.new(endpoint: ..., region: ..., access_key_id: ..., secret_access_key: ..., api_key: ...)
#   client.contracts(tenant_id).each { |c| puts c["planName"] }
require_relative "seikyu/version"
require_relative "seikyu/errors"
require_relative "seikyu/redactor"
require_relative "seikyu/encoding"
require_relative "seikyu/transport"
require_relative "seikyu/retry_policy"
require_relative "seikyu/memory_cache"
require_relative "seikyu/pagination"
require_relative "seikyu/content_disposition"
require_relative "seikyu/stream_response"
require_relative "seikyu/client"

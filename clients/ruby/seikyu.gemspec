# frozen_string_literal: true

require_relative "lib/seikyu/version"

Gem::Specification.new do |spec|
  spec.name = "seikyu"
  spec.version = Seikyu::VERSION
  spec.summary = "Client for the seikyu multi-tenant billing API (SigV4 + API keys)"
  spec.description = "Signs requests with SigV4 for execute-api, raises problem+json errors as exceptions, " \
                     "retries throttled and unavailable requests, pages lazily, revalidates with ETags " \
                     "and streams PDFs, ZIPs and CSVs without holding them in memory."
  spec.authors = ["seikyu"]
  spec.license = "MIT"
  spec.files = Dir["lib/**/*.rb", "README.md"]
  spec.require_paths = ["lib"]
  spec.required_ruby_version = ">= 3.1"
  # Debian bookworm: ruby-aws-sigv4 (1.5.1). Everything else is the standard library.
  spec.add_runtime_dependency "aws-sigv4", ">= 1.5", "< 2"
  spec.add_development_dependency "minitest", "~> 5.15"
  spec.metadata["rubygems_mfa_required"] = "true"
end

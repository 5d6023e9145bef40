# frozen_string_literal: true

module Seikyu
  # Percent-encoding as SigV4 canonicalises it: every byte outside the unreserved set
  # (A-Z a-z 0-9 - _ . ~) as %XX with upper-case hex, spaces as %20 (never "+").
  #
  # The aws-sigv4 gem signs the query string exactly as given (it sorts the parameters but does
  # not re-encode them), while the gateway decodes each parameter and re-encodes it this strict
  # way before checking the signature. Sending the query already in this form makes both agree
  # for any value: Japanese text, "+", "&", "=", "/", "*".
  module UriEncoding
    UNRESERVED = /[^A-Za-z0-9\-_.~]/n.freeze

    module_function

    def escape(value)
      value.to_s.encode(Encoding::UTF_8).b.gsub(UNRESERVED) { |c| format("%%%02X", c.ord) }
    end

    # One path segment (an id): encoded so a "/" or "?" in an id cannot change the route.
    def segment(value)
      s = value.to_s
      raise ArgumentError, "an id must not be empty" if s.empty?

      escape(s)
    end

    # "a=1&b=x%20y" from pairs, dropping nil values, in the order given.
    def query(params)
      params.reject { |_, v| v.nil? }.map { |k, v| "#{escape(k)}=#{escape(v)}" }.join("&")
    end
  end
end

# frozen_string_literal: true

module Seikyu
  # Removes secrets from text that may reach logs or exception messages: the secret access key,
  # the session token and the API key wherever they appear, and the values of secret headers in
  # anything shaped like a canonical request (the gateway echoes one when a signature does not match).
  class Redactor
    MASK = "[REDACTED]"
    SECRET_HEADER_LINE = /^(x-api-key|x-amz-security-token|authorization)[ \t]*:[^\r\n]*/i.freeze

    def initialize(*secrets)
      @secrets = secrets.flatten.compact.map(&:to_s).reject { |s| s.length < 4 }.uniq.sort_by { |s| -s.length }
    end

    def call(text)
      return text if text.nil?

      out = text.to_s.dup
      @secrets.each { |s| out = out.gsub(s, MASK) }
      out.gsub(SECRET_HEADER_LINE) { "#{Regexp.last_match(1)}:#{MASK}" }
    end

    def inspect
      "#<#{self.class.name} (#{@secrets.size} secrets)>"
    end
  end
end

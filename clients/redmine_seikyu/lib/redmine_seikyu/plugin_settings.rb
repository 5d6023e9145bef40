# frozen_string_literal: true

module RedmineSeikyu
  # The plugin's settings (Administration » Plugins » seikyu » Configure) as Redmine stores them:
  # one Hash with String keys in Setting.plugin_redmine_seikyu.
  #
  # The two secrets (the secret access key and the API key) are stored through +encrypt+
  # (Redmine::Ciphering: AES when config/configuration.yml has a database_cipher_key) and never
  # sent back to the browser, so the form shows them blank; a blank submission therefore means
  # "keep the saved one", never "erase it".
  class PluginSettings
    SECRETS = %w[secret_access_key api_key].freeze
    FIELDS = %w[endpoint region credentials access_key_id secret_access_key api_key pdf_delivery cache_seconds].freeze
    # "keys": the access key entered here; "host": this server's IAM role (HostCredentials).
    CREDENTIAL_SOURCES = %w[keys host].freeze
    DELIVERIES = %w[stream redirect].freeze
    DEFAULTS = {
      "endpoint" => "",
      "region" => "ap-northeast-1",
      "credentials" => "keys",
      "access_key_id" => "",
      "secret_access_key" => "",
      "api_key" => "",
      "pdf_delivery" => "stream",
      "cache_seconds" => "60"
    }.freeze
    # A list read is reused for at most this long however the setting is written.
    MAX_CACHE_SECONDS = 3600

    IDENTITY = ->(text) { text }

    # The Hash to store when the settings form is submitted: every known field from +submitted+,
    # trimmed; a secret left blank keeps the value in +saved+ (as stored, so still encrypted).
    def self.to_store(saved, submitted, encrypt: IDENTITY)
      saved = stringify(saved)
      submitted = stringify(submitted)
      FIELDS.each_with_object({}) do |field, out|
        value = submitted[field].to_s.strip
        out[field] =
          if SECRETS.include?(field)
            value.empty? ? saved[field].to_s : encrypt.call(value)
          else
            value
          end
      end
    end

    def self.stringify(hash)
      (hash.respond_to?(:to_unsafe_h) ? hash.to_unsafe_h : hash.to_h).to_h.transform_keys(&:to_s)
    end

    # +stored+: the Hash from Setting.plugin_redmine_seikyu; +decrypt+ undoes +encrypt+ above.
    def initialize(stored, decrypt: IDENTITY)
      @values = DEFAULTS.merge(self.class.stringify(stored).select { |k, v| FIELDS.include?(k) && !v.nil? })
      @decrypt = decrypt
    end

    # Settings as an admin is trying them out in the form before saving them: blank secrets are
    # taken from these (saved) settings, like saving would. New secrets stay in clear text here,
    # which +decrypt+ passes through (Redmine::Ciphering only decrypts what it marked as encrypted).
    def with_submitted(submitted)
      self.class.new(self.class.to_store(@values, submitted), decrypt: @decrypt)
    end

    def endpoint
      @values["endpoint"].to_s.strip.chomp("/")
    end

    def region
      @values["region"].to_s.strip
    end

    def credentials
      CREDENTIAL_SOURCES.include?(@values["credentials"]) ? @values["credentials"] : "keys"
    end

    # Signing with this server's own AWS credentials rather than an access key stored here.
    def host_credentials?
      credentials == "host"
    end

    def access_key_id
      @values["access_key_id"].to_s.strip
    end

    def secret_access_key
      secret("secret_access_key")
    end

    def api_key
      secret("api_key")
    end

    # True when a secret is stored (the form then says "saved; leave blank to keep").
    def saved?(field)
      !@values[field].to_s.empty?
    end

    # "stream": the PDF goes through Redmine; "redirect": the browser is sent (303) to a short-lived
    # presigned URL and fetches it from storage itself (it must be able to reach that host).
    def pdf_delivery
      DELIVERIES.include?(@values["pdf_delivery"]) ? @values["pdf_delivery"] : "stream"
    end

    def redirect_pdf?
      pdf_delivery == "redirect"
    end

    # How long a list read from the API is reused before it is asked for again (0: every time).
    def cache_seconds
      value = Integer(@values["cache_seconds"].to_s.strip, 10)
      value.clamp(0, MAX_CACHE_SECONDS)
    rescue ArgumentError
      DEFAULTS["cache_seconds"].to_i
    end

    # What must be filled in: the access key only when it is the one to sign with.
    def required
      host_credentials? ? %w[endpoint region api_key] : %w[endpoint region access_key_id secret_access_key api_key]
    end

    # The required fields that are empty, or an endpoint that is not an http(s) URL.
    def missing
      missing = required.select { |field| public_send(field).to_s.empty? }
      missing << "endpoint" if !missing.include?("endpoint") && endpoint !~ %r{\Ahttps?://[^/\s]+}i
      missing
    end

    def complete?
      missing.empty?
    end

    # What identifies these credentials in cache keys, without any secret in it.
    def fingerprint
      require "digest"
      signer = host_credentials? ? "host" : access_key_id # a host's temporary keys change, its role does not
      Digest::SHA256.hexdigest([endpoint, region, signer, Digest::SHA256.hexdigest(api_key)].join("\n"))[0, 24]
    end

    private

    def secret(field)
      text = @values[field].to_s
      text.empty? ? "" : @decrypt.call(text).to_s
    end
  end
end

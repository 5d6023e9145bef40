# frozen_string_literal: true

module RedmineSeikyu
  # The API as this Redmine reaches it: a Seikyu::Client built from the plugin settings, who its
  # credentials are (GET /v1/me; the tenant id comes only from there), and list reads reused for
  # a while, so that people opening the billing page do not each spend the tenant's quota.
  #
  # Two caches, both in +cache+ (Rails.cache: per instance, shared by its processes):
  # * the client's ETag cache: single resources (the tenant, /v1/me) are asked for with
  #   If-None-Match and reused on 304;
  # * here: /v1/me for IDENTITY_SECONDS and each read (lists too, which the client does not
  #   revalidate) for the cache_seconds setting: on API Gateway every request counts against the
  #   usage plan's quota, a 304 included.
  # Keys carry a fingerprint of the settings (never a secret), so changed credentials start afresh.
  class Connection
    IDENTITY_SECONDS = 600
    OPEN_TIMEOUT = 5
    READ_TIMEOUT = 30
    # A person is waiting for the page: retry a little, never wait long for a Retry-After.
    MAX_RETRIES = 2
    MAX_RETRY_AFTER = 5

    attr_reader :settings

    # +host_credentials+: where "this server's IAM role" comes from (HostCredentials.current).
    def initialize(settings, cache:, logger: nil, user_agent: nil, host_credentials: HostCredentials.method(:current))
      raise ErrorMessage::NotConfigured, settings.missing unless settings.complete?

      @settings = settings
      @cache = cache
      @logger = logger
      @user_agent = user_agent
      @host_credentials = host_credentials
    end

    # One per request: with the host's credentials, those of the moment (they are renewed).
    def client
      @client ||= begin
        key_id, secret, token = signing_credentials
        Seikyu::Client.new(
          endpoint: settings.endpoint, region: settings.region, access_key_id: key_id,
          secret_access_key: secret, session_token: token, api_key: settings.api_key,
          open_timeout: OPEN_TIMEOUT, read_timeout: READ_TIMEOUT, cache: @cache, logger: @logger,
          user_agent: @user_agent, max_retries: MAX_RETRIES,
          retry_policy: Seikyu::RetryPolicy.new(max_retries: MAX_RETRIES, max_retry_after: MAX_RETRY_AFTER)
        )
      end
    end

    # GET /v1/me, remembered for IDENTITY_SECONDS (who the keys belong to rarely changes).
    def identity(refresh: false)
      cached("me", IDENTITY_SECONDS, refresh: refresh) { client.me.to_h }
    end

    # The tenant these credentials act for. Raises ErrorMessage::OperatorCredentials for the
    # operator's keys: this plugin shows one customer its own data.
    def tenant_id
      id = identity["tenantId"].to_s
      raise ErrorMessage::OperatorCredentials if id.empty?

      id
    end

    # "DAY", "WEEK" or "MONTH": when the usage plan's quota starts again (for the messages), from
    # /v1/me as remembered: nil rather than another request when it is not (the API is failing).
    def quota_period
      me = @cache && settings.complete? ? @cache.read(key("me")) : nil
      plan = me.is_a?(Hash) ? me["plan"] : nil
      plan.is_a?(Hash) && plan["quota"].is_a?(Hash) ? plan["quota"]["period"] : nil
    rescue StandardError
      nil
    end

    # A read reused for the cache_seconds setting (0: asked every time); +refresh+ asks again now.
    # +name+ identifies the read within this tenant (its query included). Errors are not cached.
    def read(name, refresh: false, &block)
      cached(name, settings.cache_seconds, refresh: refresh, &block)
    end

    private

    def signing_credentials
      return @host_credentials.call if settings.host_credentials?

      [settings.access_key_id, settings.secret_access_key, nil]
    end

    def cached(name, seconds, refresh:)
      return yield if seconds.zero? || @cache.nil?

      @cache.delete(key(name)) if refresh
      @cache.fetch(key(name), expires_in: seconds) { yield }
    end

    def key(name)
      "redmine_seikyu/#{settings.fingerprint}/#{name}"
    end
  end
end

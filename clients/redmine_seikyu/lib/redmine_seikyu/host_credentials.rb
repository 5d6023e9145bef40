# frozen_string_literal: true

module RedmineSeikyu
  # This server's own AWS credentials, for the "this server's IAM role" setting: an ECS task role,
  # an EC2 instance profile, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN) in
  # Redmine's environment, found by aws-sdk-core's provider chain, which also renews temporary
  # credentials before they expire. No secret is then stored in Redmine at all.
  #
  # Optional: it needs the aws-sdk-core gem (Debian: ruby-aws-sdk-core, named in Redmine's
  # Gemfile.local; README.md). Without it, or without credentials, requests raise Unavailable.
  class HostCredentials
    class Unavailable < StandardError; end

    @lock = Mutex.new
    @provider = nil

    class << self
      # [access_key_id, secret_access_key, session_token or nil], renewed when they are about to expire.
      def current
        credentials = provider.credentials
        raise Unavailable, "the server's AWS credentials are incomplete" unless credentials&.set?

        [credentials.access_key_id, credentials.secret_access_key, credentials.session_token]
      rescue Unavailable
        raise
      rescue StandardError => e # the SDK's own errors (metadata service unreachable, expired role, …)
        raise Unavailable, "the server's AWS credentials could not be obtained: #{e.class}: #{e.message}"
      end

      # Forgets the provider found (tests; a changed environment after a restart needs nothing).
      def reset!
        @lock.synchronize { @provider = nil }
      end

      private

      # Found once per process; not remembered while there is none, so that it is looked for again.
      def provider
        @lock.synchronize do
          @provider ||= begin
            load_sdk
            Aws::CredentialProviderChain.new.resolve ||
              raise(Unavailable, "no AWS credentials on this server (instance profile, task role or AWS_* variables)")
          end
        end
      end

      def load_sdk
        require "aws-sdk-core"
      rescue LoadError
        raise Unavailable, "the aws-sdk-core gem is not installed (Debian: ruby-aws-sdk-core; see the plugin's README)"
      end
    end
  end
end

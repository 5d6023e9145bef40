# frozen_string_literal: true

require "test_helper"

# aws-sdk-core's provider chain, as far as it can be tried without AWS: the environment variables.
class HostCredentialsTest < Minitest::Test
  Host = RedmineSeikyu::HostCredentials
  ISOLATED = { "AWS_EC2_METADATA_DISABLED" => "true", "AWS_SHARED_CREDENTIALS_FILE" => "/nonexistent",
               "AWS_CONFIG_FILE" => "/nonexistent", "AWS_PROFILE" => nil, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" => nil,
               "AWS_CONTAINER_CREDENTIALS_FULL_URI" => nil, "AWS_WEB_IDENTITY_TOKEN_FILE" => nil }.freeze

  def setup
    begin
      require "aws-sdk-core"
    rescue LoadError
      skip "aws-sdk-core is not installed (Debian: ruby-aws-sdk-core)"
    end
    @saved = ENV.to_h
    Host.reset!
  end

  def teardown
    return unless @saved

    ENV.replace(@saved)
    Host.reset!
  end

  def with_env(values)
    ISOLATED.merge(values).each { |k, v| v.nil? ? ENV.delete(k) : ENV[k] = v }
    yield
  end

  def test_the_environment_variables_are_used
    with_env("AWS_ACCESS_KEY_ID" => "AKIAFROMENV", "AWS_SECRET_ACCESS_KEY" => "secret", "AWS_SESSION_TOKEN" => "token") do
      assert_equal %w[AKIAFROMENV secret token], Host.current
    end
  end

  def test_no_credentials_on_the_host_is_unavailable_and_looked_for_again
    with_env("AWS_ACCESS_KEY_ID" => nil, "AWS_SECRET_ACCESS_KEY" => nil, "AWS_SESSION_TOKEN" => nil) do
      error = assert_raises(Host::Unavailable) { Host.current }
      assert_equal "no_host_credentials", RedmineSeikyu::ErrorMessage.for(error).key
      ENV["AWS_ACCESS_KEY_ID"] = "AKIALATER"
      ENV["AWS_SECRET_ACCESS_KEY"] = "secret"
      assert_equal "AKIALATER", Host.current.first
    end
  end
end

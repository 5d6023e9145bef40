# frozen_string_literal: true

# The plugin's own code (Redmine 5 autoloads lib/ with Zeitwerk: one constant per file).
module RedmineSeikyu
  PLUGIN_ID = "redmine_seikyu"
  VERSION = "0.1.0"

  # The saved settings, secrets decrypted.
  def self.settings
    PluginSettings.new(Setting.send("plugin_#{PLUGIN_ID}"), decrypt: method(:decrypt))
  end

  # A secret as saved. One encrypted under another database_cipher_key than today's cannot be
  # read: it counts as not set (the page says the settings are incomplete) rather than a 500.
  def self.decrypt(text)
    Redmine::Ciphering.decrypt_text(text)
  rescue OpenSSL::Cipher::CipherError, ArgumentError => e
    Rails.logger.error("redmine_seikyu: a saved secret cannot be decrypted (#{e.class}); enter it again")
    ""
  end

  def self.connection(settings = self.settings)
    Connection.new(settings, cache: Rails.cache, logger: Rails.logger, user_agent: user_agent)
  end

  def self.user_agent
    "redmine_seikyu/#{VERSION} Redmine/#{Redmine::VERSION}"
  end
end

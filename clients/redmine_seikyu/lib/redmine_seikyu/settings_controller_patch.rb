# frozen_string_literal: true

module RedmineSeikyu
  # Redmine's SettingsController#plugin stores whatever the plugin's settings form posts, as is.
  # For this plugin's form it first keeps the saved secrets the form left blank (it never shows
  # them) and encrypts new ones with Redmine::Ciphering (when config/configuration.yml has a
  # database_cipher_key; otherwise they are stored as typed, like Redmine's own LDAP passwords).
  module SettingsControllerPatch
    def plugin
      if request.post? && params[:id].to_s == RedmineSeikyu::PLUGIN_ID && params[:settings]
        saved = Setting.send("plugin_#{RedmineSeikyu::PLUGIN_ID}")
        stored = PluginSettings.to_store(saved, params[:settings].permit!.to_h,
                                         encrypt: Redmine::Ciphering.method(:encrypt_text))
        params[:settings] = ActionController::Parameters.new(stored)
      end
      super
    end
  end
end

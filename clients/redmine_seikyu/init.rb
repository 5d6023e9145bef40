# frozen_string_literal: true

# The API client is the seikyu gem (clients/ruby in the seikyu repository), not a copy of it.
# Redmine's Gemfile reads this plugin's Gemfile, so Bundler has normally required it already;
# otherwise it is looked for where SEIKYU_RUBY_CLIENT_LIB says, then next to this plugin in a
# checkout of the repository (clients/ruby/lib). README.md says how to install it.
unless defined?(Seikyu::Client)
  begin
    require "seikyu"
  rescue LoadError
    lib = ENV["SEIKYU_RUBY_CLIENT_LIB"].to_s
    lib = File.expand_path("../ruby/lib", File.realpath(__dir__)) if lib.empty?
    raise unless File.file?(File.join(lib, "seikyu.rb"))

    $LOAD_PATH.unshift(lib) unless $LOAD_PATH.include?(lib)
    require "seikyu"
  end
end

Redmine::Plugin.register :redmine_seikyu do
  name "seikyu billing"
  author "seikyu"
  description "Shows the customer its contracts, billing records and invoices from the seikyu " \
              "billing API, and downloads invoice PDFs, a month's ZIP and the CSV export."
  version RedmineSeikyu::VERSION
  requires_redmine version_or_higher: "5.0.0"

  settings default: RedmineSeikyu::PluginSettings::DEFAULTS.dup, partial: "settings/seikyu_settings"

  # Off by default: only roles an administrator gives "View billing" see the page, and only in
  # projects where the module is enabled.
  project_module :seikyu do
    permission :view_seikyu_billing,
               { seikyu_billing: %i[index invoice_pdf invoices_zip billings_csv] },
               read: true
  end

  menu :project_menu, :seikyu, { controller: "seikyu_billing", action: "index" },
       caption: :label_seikyu_billing, param: :project_id, after: :activity
end

# The settings form posts the secrets: keep them out of Redmine's log (it filters only passwords).
Rails.application.config.filter_parameters |= %i[secret_access_key api_key]

unless SettingsController.include?(RedmineSeikyu::SettingsControllerPatch)
  SettingsController.prepend(RedmineSeikyu::SettingsControllerPatch)
end

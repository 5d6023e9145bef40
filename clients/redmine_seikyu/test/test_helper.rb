# frozen_string_literal: true

# The plugin's unit tests: its logic that does not need Redmine (settings, error messages, the
# download relay), run with plain minitest, since Debian's redmine package ships no test/ for
# Redmine's own test runner:
#
#   ruby -I clients/redmine_seikyu/test clients/redmine_seikyu/test/all.rb
#
# The seikyu client comes from SEIKYU_RUBY_CLIENT_LIB, else from clients/ruby/lib next to the plugin.
require "minitest/autorun"

PLUGIN_ROOT = File.expand_path("..", __dir__)
client_lib = ENV["SEIKYU_RUBY_CLIENT_LIB"].to_s
client_lib = File.expand_path("../ruby/lib", File.realpath(PLUGIN_ROOT)) if client_lib.empty?
$LOAD_PATH.unshift(client_lib)
require "seikyu"

# In Redmine, Zeitwerk loads these on first use; here, in dependency order.
%w[redmine_seikyu redmine_seikyu/bounded_channel redmine_seikyu/host_credentials redmine_seikyu/plugin_settings
   redmine_seikyu/error_message redmine_seikyu/download_relay redmine_seikyu/connection redmine_seikyu/invoice_search].each do |file|
  require File.join(PLUGIN_ROOT, "lib", file)
end

# frozen_string_literal: true

# Runs every test: ruby -Iclients/ruby/lib -Iclients/ruby/test clients/ruby/test/all.rb
# (the live tests run when SEIKYU_DEMO names a local gateway's demo-credentials.json). Exits
# non-zero when a test fails.
$LOAD_PATH.unshift(File.expand_path("../lib", __dir__), __dir__)
require_relative "test_helper"
Dir[File.join(__dir__, "*_test.rb")].sort.each { |file| require file }

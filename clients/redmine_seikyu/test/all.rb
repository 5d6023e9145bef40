# frozen_string_literal: true

# Runs every unit test: ruby -I clients/redmine_seikyu/test clients/redmine_seikyu/test/all.rb
Dir[File.join(__dir__, "unit", "*_test.rb")].sort.each { |file| require file }

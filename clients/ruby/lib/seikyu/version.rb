# frozen_string_literal: true

module Seikyu
  VERSION = "0.1.0"
end

# frozen_string_literal: true

module Seikyu
  # Lists as Enumerators: items one at a time, each page requested only when the items before it
  # have been consumed (so first(n) stops early). Every enumeration starts again from the first page.
  module Pagination
    module_function

    # +fetch_page+ is called with the cursor (nil for the first page) and returns the page Hash
    # {"items" => [...], "nextCursor" => "..." or absent/nil}.
    def enumerator(&fetch_page)
      Enumerator.new do |yielder|
        cursor = nil
        seen = {}
        loop do
          page = fetch_page.call(cursor)
          unless page.is_a?(Hash) && page["items"].is_a?(Array)
            raise InvalidResponseError, "expected a page {items, nextCursor}, got #{page.class}"
          end

          page["items"].each { |item| yielder << item }
          cursor = page["nextCursor"]
          break if cursor.nil? || cursor.to_s.empty?
          raise InvalidResponseError, "the API returned the same nextCursor twice" if seen[cursor]

          seen[cursor] = true
        end
      end
    end
  end
end

# frozen_string_literal: true

require "test_helper"
require "yaml"

class InvoiceSearchTest < Minitest::Test
  Search = RedmineSeikyu::InvoiceSearch

  def test_the_forms_values_become_the_clients_keywords
    search = Search.from_params("issued_from" => "2025-05-01", "issued_to" => " 2025-05-31 ", "min_total" => "1000",
                                "max_total" => "60000", "recipient" => "しまね ", "period" => "2025-05", "refresh" => "1")
    assert search.any?
    assert_equal({ issued_from: "2025-05-01", issued_to: "2025-05-31", min_total: "1000", max_total: "60000", recipient: "しまね" },
                 search.to_client_args)
    assert_equal "しまね", search[:recipient]
    assert_equal "2025-05-31", search["issued_to"]
    assert_equal search.to_client_args, search.to_params, "links keep the search under the form's names"
  end

  def test_blanks_and_non_strings_are_left_out
    search = Search.from_params(issued_from: "", issued_to: "   ", min_total: nil, max_total: %w[1 2], recipient: { "a" => "b" })
    refute search.any?
    assert_equal({}, search.to_client_args)
    assert_nil search[:recipient]
    assert_equal "-", search.cache_key
  end

  def test_values_are_passed_on_unchecked_for_the_api_to_judge
    search = Search.from_params("min_total" => "55,000", "issued_from" => "2025-6-1", "recipient" => "a\tb")
    assert_equal({ issued_from: "2025-6-1", min_total: "55,000", recipient: "a\tb" }, search.to_client_args)
  end

  def test_the_cache_key_tells_searches_apart_and_stays_short
    a = Search.from_params("recipient" => "しまね" * 100)
    b = Search.from_params("recipient" => "しまね" * 99)
    refute_equal a.cache_key, b.cache_key
    assert_equal 32, a.cache_key.size
    assert_equal Search.from_params("min_total" => "1", "recipient" => "x").cache_key,
                 Search.from_params("recipient" => "x", "min_total" => "1").cache_key
  end

  def test_the_apis_refusals_are_named_by_the_forms_fields
    error = Seikyu::ApiError.from_response(400, { "content-type" => "application/problem+json" }, JSON.generate(
      "type" => "urn:seikyu:problem:validation-error", "title" => "t", "status" => 400, "detail" => "See errors",
      "errors" => [{ "field" => "query.issuedTo", "message" => "must not be before issuedFrom" },
                   { "field" => "query.maxTotal", "message" => "must not be less than minTotal" },
                   { "field" => "query.period", "message" => "must be YYYY-MM" },
                   { "field" => "query.cursor", "message" => "belongs to another query" }]
    ))
    assert_kind_of Seikyu::BadRequest, error
    errors = Search.errors_from(error)
    assert_equal [["issued_to", "query.issuedTo", "must not be before issuedFrom"],
                  ["max_total", "query.maxTotal", "must not be less than minTotal"],
                  ["period", "query.period", "must be YYYY-MM"],
                  [nil, "query.cursor", "belongs to another query"]], errors.map(&:to_a)
    assert_equal [], Search.errors_from(Seikyu::BadRequest.new(status: 400, title: "x", detail: "no fields"))
    assert_equal [], Search.errors_from(RuntimeError.new("x"))
  end

  # The page labels each refused field with its words: they exist in en and ja.
  def test_every_field_has_a_label_in_en_and_ja
    %w[en ja].each do |lang|
      words = YAML.load_file(File.join(PLUGIN_ROOT, "config/locales/#{lang}.yml")).fetch(lang)
      (Search::FIELDS.keys + Search::OTHER_FIELDS.values).each do |field|
        assert words.key?("seikyu_field_#{field}"), "#{lang}.yml lacks seikyu_field_#{field}"
      end
      assert_equal %w[field message], words.fetch("seikyu_text_search_error").scan(/%\{(\w+)\}/).flatten.sort
    end
  end
end

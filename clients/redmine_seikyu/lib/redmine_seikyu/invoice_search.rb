# frozen_string_literal: true

require "digest"
require "json"

module RedmineSeikyu
  # The invoice search on the billing page (電子帳簿保存法: by issue date, total and recipient,
  # combined with the month and state filter): the form's values as typed, what the Ruby client is
  # given, and the API's refusals of them, field by field.
  #
  # The API checks the values (dates, whole yen, ranges in order, the recipient's length): this
  # only trims them and leaves blanks out, so that what the user is told is what the API said.
  # Kept free of Rails so that it is unit-tested on its own (test/unit/invoice_search_test.rb).
  class InvoiceSearch
    # Form parameter => [the client's keyword, the API's query parameter].
    FIELDS = {
      "issued_from" => %i[issued_from issuedFrom],
      "issued_to" => %i[issued_to issuedTo],
      "min_total" => %i[min_total minTotal],
      "max_total" => %i[max_total maxTotal],
      "recipient" => %i[recipient recipient]
    }.freeze
    # The API's other query parameters the page sends, with the filter's form fields.
    OTHER_FIELDS = { "period" => "period", "status" => "status" }.freeze
    # One refused field: +field+ the form's ("min_total"), or nil for a query parameter the form
    # does not have; +api_field+ as the API named it ("query.minTotal"); +message+ the API's text.
    Error = Struct.new(:field, :api_field, :message)

    attr_reader :values

    # +params+: the request's parameters (ActionController::Parameters or a Hash, string or symbol
    # keys). Anything but a string (an array from ?recipient[]=) counts as not given.
    def self.from_params(params)
      new(FIELDS.keys.to_h { |name| [name, params[name] || params[name.to_sym]] })
    end

    def initialize(values)
      @values = FIELDS.keys.to_h do |name|
        value = values[name]
        value = value.is_a?(String) ? value.strip : ""
        [name, value.empty? ? nil : value]
      end.compact
    end

    def any?
      !values.empty?
    end

    def [](name)
      values[name.to_s]
    end

    # Keywords for Seikyu::Client#invoices.
    def to_client_args
      values.to_h { |name, value| [FIELDS.fetch(name).first, value] }
    end

    # The search as URL parameters (for links that keep it).
    def to_params
      values.transform_keys(&:to_sym)
    end

    # Part of the read's cache key: short whatever was typed (the recipient may be long, Japanese).
    def cache_key
      any? ? Digest::SHA256.hexdigest(JSON.generate(values.sort))[0, 32] : "-"
    end

    # The API's 400 for the search as Errors, in the order it gave them; [] for anything else.
    def self.errors_from(error)
      Array(error.respond_to?(:errors) ? error.errors : nil).filter_map do |e|
        next unless e.is_a?(Hash)

        api_field = e["field"].to_s
        Error.new(form_field(api_field), api_field, e["message"].to_s)
      end
    end

    # "query.minTotal" => "min_total", "query.period" => "period"; nil for others ("query.cursor").
    def self.form_field(api_field)
      name = api_field.delete_prefix("query.")
      FIELDS.find { |_, (_, api)| api.to_s == name }&.first || OTHER_FIELDS[name]
    end
  end
end


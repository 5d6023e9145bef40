# frozen_string_literal: true

# Formatting for the billing page, the error page and the connection test's answer.
module SeikyuBillingHelper
  # The API's nested objects and lists, read defensively: an answer of another shape than
  # documented shows as empty rather than failing the page.
  def seikyu_hash(value)
    value.is_a?(Hash) ? value : {}
  end

  def seikyu_list(value)
    Array(value).select { |item| item.is_a?(Hash) }
  end

  # Whole yen, as the API keeps amounts: ¥86,100 (and -¥5,000 for a discount).
  def seikyu_yen(amount)
    return "" if amount.nil?

    sign = amount.to_i.negative? ? "-" : ""
    "#{sign}¥#{number_with_delimiter(amount.to_i.abs)}"
  end

  # A state as a coloured label (issued, paid, void; drafts never reach a tenant).
  def seikyu_status_tag(status)
    content_tag(:span, l("seikyu_status_#{status}", default: status.to_s),
                class: "seikyu-status seikyu-status-#{status.to_s.parameterize}", data: { status: status })
  end

  def seikyu_contract_status(status)
    l("seikyu_contract_status_#{status}", default: status.to_s)
  end

  def seikyu_billing_cycle(cycle)
    l("seikyu_billing_cycle_#{cycle}", default: cycle.to_s)
  end

  def seikyu_tax_label(category, rate_percent = nil)
    l("seikyu_tax_#{category}", default: rate_percent ? "#{rate_percent}%" : category.to_s)
  end

  # The amounts of one tax rate (totals.byRate), as a qualified invoice lists them.
  def seikyu_rate_line(rate)
    text = l(:seikyu_text_rate_line, rate: seikyu_tax_label(rate["taxCategory"], rate["ratePercent"]),
                                     subtotal: seikyu_yen(rate["subtotal"]), tax: seikyu_yen(rate["tax"]))
    content_tag(:span, text, class: "seikyu-rate", data: { tax_category: rate["taxCategory"] })
  end

  # Multi-line text (notes, a void reason) as the API keeps it: lines separated by LF.
  def seikyu_lines(text)
    safe_join(text.to_s.split("\n"), tag.br)
  end

  def seikyu_date(value)
    value.present? ? format_date(Date.parse(value.to_s)) : ""
  rescue ArgumentError
    value.to_s
  end

  # What an RedmineSeikyu::ErrorMessage says, in the user's language.
  def seikyu_error_text(message)
    params = message.params.dup
    params[:fields] = Array(params[:fields]).map { |f| l("seikyu_setting_#{f}") }.join(", ") if params.key?(:fields)
    params[:time] = format_time(params[:time]) if params[:time].is_a?(Time)
    l(message.i18n_key, **params)
  end

  # One of the API's refusals of the search: the field's label (the API's name for a parameter
  # the form does not have), then the API's message as it came.
  def seikyu_search_error(error)
    field = error.field ? l("seikyu_field_#{error.field}") : error.api_field
    l(:seikyu_text_search_error, field: field, message: error.message)
  end

  # Months for the filter and the ZIP: those the invoices shown belong to, newest first.
  def seikyu_periods(invoices)
    invoices.map { |i| i["period"] }.compact.uniq.sort.reverse
  end
end

# frozen_string_literal: true

# The settings page's "Test connection" button: asks GET /v1/me with what the form holds now
# (saved secrets stand in for the blank fields, as saving would keep them) and shows who the
# credentials belong to, or what went wrong.
class SeikyuConnectionController < ApplicationController
  helper :seikyu_billing

  before_action :require_admin

  def check
    settings = RedmineSeikyu.settings.with_submitted(params[:settings] || {})
    # Not the remembered identity: the point is to ask the API now.
    me = RedmineSeikyu.connection(settings).client.me
    raise RedmineSeikyu::ErrorMessage::OperatorCredentials if me["tenantId"].to_s.empty?

    render partial: "seikyu_connection/result", locals: { me: me, error: nil }
  rescue StandardError => e
    raise unless RedmineSeikyu::ErrorMessage.handles?(e)

    logger&.info("redmine_seikyu: connection test failed: #{e.class}: #{e.message}")
    render partial: "seikyu_connection/result",
           locals: { me: nil, error: RedmineSeikyu::ErrorMessage.for(e), technical: e.message }
  end
end

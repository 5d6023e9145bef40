# frozen_string_literal: true

# The billing page and its downloads sit under the project, like Redmine's own modules.
get "projects/:project_id/seikyu", to: "seikyu_billing#index", as: "project_seikyu_billing"
get "projects/:project_id/seikyu/invoices/:number/pdf", to: "seikyu_billing#invoice_pdf",
                                                        as: "project_seikyu_invoice_pdf", format: false
get "projects/:project_id/seikyu/invoices.zip", to: "seikyu_billing#invoices_zip",
                                                as: "project_seikyu_invoices_zip", format: false
get "projects/:project_id/seikyu/billings.csv", to: "seikyu_billing#billings_csv",
                                                as: "project_seikyu_billings_csv", format: false
post "seikyu/connection_check", to: "seikyu_connection#check", as: "seikyu_connection_check"

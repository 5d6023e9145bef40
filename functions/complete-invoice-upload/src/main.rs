//! Lambda entry point for `POST /v1/tenants/{tenantId}/invoices/{invoiceNumber}/upload-complete`: configuration and clients are built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_lambda(complete_invoice_upload::handler).await
}

//! Lambda entry point for `POST /v1/tenants/{tenantId}/invoices/{invoiceNumber}/upload-url`: configuration and clients are built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_lambda(invoice_upload_url::handler).await
}

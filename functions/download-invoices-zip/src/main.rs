//! Lambda entry point for `GET /v1/tenants/{tenantId}/invoices.zip`, with response streaming:
//! configuration and clients are built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_streaming_lambda(download_invoices_zip::handler).await
}

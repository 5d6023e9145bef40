//! Lambda entry point for `POST /v1/invoice-runs/{runId}/cancel`: configuration and clients are built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_lambda(cancel_invoice_run::handler).await
}

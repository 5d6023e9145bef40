//! Lambda entry point for `POST /v1/tenants/{tenantId}/restore-url`: configuration and clients are built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_lambda(restore_url::handler).await
}

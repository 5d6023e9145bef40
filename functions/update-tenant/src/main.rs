//! Lambda entry point for `PATCH /v1/tenants/{tenantId}`: configuration and clients are built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_lambda_with_keys(update_tenant::handler).await
}

//! Lambda entry point for `POST /v1/tenants`: configuration and clients are built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_lambda_with_keys(create_tenant::handler).await
}

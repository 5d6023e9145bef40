//! Lambda entry point for `GET /v1/audit`: configuration and clients are built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_lambda(list_audit::handler).await
}

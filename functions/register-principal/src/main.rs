//! Lambda entry point for `POST /v1/principals`: configuration and clients are built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_lambda(register_principal::handler).await
}

//! Lambda entry point for `GET /v1/me`: configuration and clients are built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_lambda(get_me::handler).await
}

//! Lambda entry point for `PUT /v1/issuer`: configuration and clients are built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_lambda(put_issuer::handler).await
}

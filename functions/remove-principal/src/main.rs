//! Lambda entry point for `DELETE /v1/principals/{principalId}`: configuration and clients are built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_lambda(remove_principal::handler).await
}

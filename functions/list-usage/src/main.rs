//! Lambda entry point for `GET /v1/usage`: configuration, clients and the API Gateway key client are
//! built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_lambda_with_keys(list_usage::handler).await
}

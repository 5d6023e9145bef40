//! Lambda entry point for `POST /v1/tenants/{tenantId}/api-key/rotate`: configuration, clients and the API Gateway key client are
//! built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_lambda_with_keys(rotate_api_key::handler).await
}

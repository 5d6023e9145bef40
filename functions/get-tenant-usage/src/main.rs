//! Lambda entry point for `GET /v1/tenants/{tenantId}/usage`: configuration, clients and the API Gateway key client are
//! built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_lambda_with_keys(get_tenant_usage::handler).await
}

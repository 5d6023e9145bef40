//! Lambda entry point for `GET /v1/tenants/{tenantId}/audit`: configuration and clients are built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_lambda(list_tenant_audit::handler).await
}

//! Lambda entry point for `POST /v1/tenants/{tenantId}/exports`, with response streaming:
//! configuration and clients are built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_streaming_lambda(export_tenant::handler).await
}

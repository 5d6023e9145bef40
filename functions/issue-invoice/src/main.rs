//! Lambda entry point for `POST /v1/tenants/{tenantId}/billings/{billingId}/issue`: configuration and clients are built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_lambda(issue_invoice::handler).await
}

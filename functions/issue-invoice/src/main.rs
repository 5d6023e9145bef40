//! Lambda entry point for `POST /v1/tenants/{tenantId}/billings/{billingId}/issue`: configuration,
//! clients and the PDF renderer (its font from the fonts layer) are built once at init.

use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_lambda_with(issue_invoice::handler, |app| {
        app.renderer = Some(Arc::new(issue_invoice::PdfRenderer::from_env()?));
        Ok(())
    })
    .await
}

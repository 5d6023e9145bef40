//! `POST /v1/tenants/{tenantId}/billings/{billingId}/issue`: Issues the billing record's invoice: a gapless number, the PDF stored with its hash (operator only). Retrying completes an interrupted issue with the same number.

mod pdf;

use std::sync::Arc;

use common::caller::Caller;
use common::domain::{BillingId, TenantId};
use common::runtime::{self, BoxFuture};
use common::service::invoices;
use common::views::InvoiceView;
use common::{ApiError, App};
use lambda_http::{Body, Request, Response};

pub use pdf::{PdfRenderer, document};

pub const ROUTE: &str = "POST /v1/tenants/{tenantId}/billings/{billingId}/issue";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let id = common::http::path_param(&req, "billingId", BillingId::parse)?;
    let query = common::http::Query::new(&req, &["pdf"])?;
    // `?pdf=external`: number the invoice now; its PDF comes from an upload (see upload-url).
    let (invoice, issued_now) = match query.get("pdf") {
        None | Some("render") => invoices::issue(&app, &caller, &tenant, &id).await?,
        Some("external") => invoices::issue_external(&app, &caller, &tenant, &id).await?,
        Some(_) => return Err(ApiError::field("query.pdf", "must be render (the default) or external")),
    };
    if issued_now {
        common::http::created(&format!("/v1/tenants/{tenant}/invoices/{}", invoice.invoice_number), &invoice.etag(), &InvoiceView::from(&invoice))
    } else {
        common::http::tagged(&invoice.etag(), &InvoiceView::from(&invoice))
    }
}

//! `GET /v1/tenants/{tenantId}/invoices.zip?period=YYYY-MM[&run=<runId>]`: the period's issued
//! invoices as one ZIP, built while the PDFs are read one at a time (ZIP64 when sizes or offsets
//! need it), so a bundle of any size leaves with flat memory. With `run` (operator only): only
//! the invoices that month-end run issued for the tenant.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::{BillingPeriod, Metered, RunId, TenantId};
use common::export::bundle::{PAGE, in_bundle, invoices_zip};
use common::http::download::{attachment, file};
use common::runtime::{self, BoxFuture, StreamBody};
use common::service::{invoices, runs, usage};
use common::store::PageRequest;
use common::validation::Validator;
use common::{ApiError, App};
use lambda_http::{Request, Response};

pub const ROUTE: &str = "GET /v1/tenants/{tenantId}/invoices.zip";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<StreamBody>> {
    Box::pin(runtime::dispatch_stream(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<StreamBody>, ApiError> {
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let query = common::http::Query::new(&req, &["period", "run"])?;
    let mut v = Validator::new();
    let period = v.check("query.period", query.get("period").ok_or_else(|| "is required (YYYY-MM)".to_owned()).and_then(BillingPeriod::parse));
    let run = v.check_opt("query.run", query.get("run"), RunId::parse).flatten();
    if let (Some(r), Some(p)) = (&run, period)
        && r.period() != p
    {
        v.add("query.run", format!("is a run for {}, not {p}", r.period()));
    }
    let period = v.finish_with(period)?;
    // A run's ZIP for one tenant: the invoices that run issued for it (operator only).
    let only = match &run {
        Some(r) => Some(runs::issued_for(&app, &caller, r, &tenant).await?),
        None => None,
    };
    // The first page is read before the head, so refusals are proper 4xx answers.
    let first = invoices::list(&app, &caller, &tenant, in_bundle(period), &PageRequest { limit: PAGE, cursor: None }).await?;
    let name = attachment(&format!("invoices-{period}.zip"), &format!("請求書_{period}.zip"))?;
    let zip = invoices_zip(app.clone(), caller, tenant.clone(), period, only, first);
    let body = usage::metered_stream(app, tenant, zip, Metered { exports: 1, ..Metered::default() });
    Ok(file(body, "application/zip", name, "private, no-store"))
}

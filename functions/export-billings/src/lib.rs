//! `GET /v1/tenants/{tenantId}/billings.csv?from=&to=&status=&encoding=`: a CSV of billing
//! records, one row per line item, streamed page by page as it is read (any number of rows, flat
//! memory). `encoding`: `utf8bom` (default, for Excel), `utf8`, or `cp932` (see
//! `common::export::csv` for what cp932 cannot encode).

use std::sync::Arc;

use common::caller::Caller;
use common::domain::{Metered, TenantId};
use common::export::csv::CsvEncoding;
use common::export::files::{PAGE, billings_csv};
use common::http::download::{attachment, file};
use common::runtime::{self, BoxFuture, StreamBody};
use common::service::{billings, usage};
use common::store::PageRequest;
use common::validation::Validator;
use common::{ApiError, App};
use lambda_http::{Request, Response};

pub const ROUTE: &str = "GET /v1/tenants/{tenantId}/billings.csv";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<StreamBody>> {
    Box::pin(runtime::dispatch_stream(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<StreamBody>, ApiError> {
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let query = common::http::Query::new(&req, &["from", "to", "status", "encoding"])?;
    let mut v = Validator::new();
    let filter = billings::filter_from_query(&query, &mut v);
    let encoding = v.check_opt("query.encoding", query.get("encoding"), CsvEncoding::parse).flatten().unwrap_or(CsvEncoding::Utf8Bom);
    v.finish()?;
    // The first page is read before the head is sent, so that a refused caller or a missing
    // tenant gets its 403/404 rather than a broken stream.
    let first = billings::list(&app, &caller, &tenant, filter.clone(), &PageRequest { limit: PAGE, cursor: None }).await?;
    let name = attachment(&format!("billings-{tenant}.csv"), &format!("請求データ_{tenant}.csv"))?;
    let csv = billings_csv(app.clone(), caller, tenant.clone(), filter, encoding, first);
    let body = usage::metered_stream(app, tenant, csv, Metered { exports: 1, ..Metered::default() });
    Ok(file(body, encoding.content_type(), name, "private, no-store"))
}

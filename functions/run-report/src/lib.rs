//! `GET /v1/invoice-runs/{runId}/report.csv`: a run's report (operator only), one row per billing
//! record it took: tenant, record, invoice number, total, state, failure reason. UTF-8 with a BOM
//! for Excel, streamed page by page as it is read (a run of any size, flat memory).

use std::sync::Arc;

use common::caller::Caller;
use common::domain::RunId;
use common::export::csv::CsvEncoding;
use common::export::files::{PAGE, run_report_csv};
use common::http::download::{attachment, file};
use common::runtime::{self, BoxFuture, StreamBody};
use common::service::runs;
use common::store::PageRequest;
use common::{ApiError, App};
use lambda_http::{Request, Response};

pub const ROUTE: &str = "GET /v1/invoice-runs/{runId}/report.csv";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<StreamBody>> {
    Box::pin(runtime::dispatch_stream(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<StreamBody>, ApiError> {
    caller.require_operator()?;
    let run = common::http::path_param(&req, "runId", RunId::parse)?;
    // The first page is read before the head is sent, so that a missing run gets its 404.
    let first = runs::items(&app, &caller, &run, &PageRequest { limit: PAGE, cursor: None }).await?;
    let name = format!("run-{run}.csv");
    let body = run_report_csv(app, caller, run, first);
    Ok(file(body, CsvEncoding::Utf8Bom.content_type(), attachment(&name, &name)?, "private, no-store"))
}

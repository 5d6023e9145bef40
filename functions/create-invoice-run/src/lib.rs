//! `POST /v1/invoice-runs`: Starts a month-end run (operator only): `{period, tenants?, generate?,
//! dryRun?}` → 202 with `Location` and the queued run, which the worker then plans and issues; a
//! dry run answers 200 with what would be generated and issued, and writes nothing. One active run
//! per period: a second is 409, naming the first. `Idempotency-Key` (optional): a retry with the
//! same key and body answers as the first did.

use std::sync::Arc;

use common::caller::Caller;
use common::http::idempotency;
use common::runtime::{self, BoxFuture};
use common::service::runs::{self, RunInput, Started};
use common::store::IdempotencyScope;
use common::{ApiError, App};
use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "POST /v1/invoice-runs";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let input: RunInput = common::http::json_body(&req)?;
    // A retried start (same key, same body) answers as the first did and starts nothing.
    match idempotency::optional_idempotency_key(&req)? {
        Some(key) => {
            let hash = idempotency::request_hash(&req);
            idempotency::run_once(&app, &IdempotencyScope::Runs, &key, &hash, || start(&app, &caller, input)).await
        }
        None => start(&app, &caller, input).await,
    }
}

async fn start(app: &App, caller: &common::caller::Caller, input: RunInput) -> Result<Response<Body>, ApiError> {
    match runs::start(app, caller, input).await? {
        Started::DryRun(report) => common::http::json(StatusCode::OK, &report),
        Started::Run(run) => {
            let mut r = common::http::json(StatusCode::ACCEPTED, &run)?;
            let location = HeaderValue::from_str(&format!("/v1/invoice-runs/{}", run.run_id)).map_err(|e| ApiError::Internal(e.to_string()))?;
            r.headers_mut().insert(header::LOCATION, location);
            Ok(r)
        }
    }
}

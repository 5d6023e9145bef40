//! `POST /v1/principals`: Registers an IAM principal for a tenant or the operator (operator only): 201, or 200 when it
//! was already registered to the same owner; locally, `accessKey: true` mints a key pair, shown once.

use std::sync::Arc;

use common::caller::Caller;
use common::runtime::{self, BoxFuture};
use common::service::principals::{self, NewPrincipal};
use common::{ApiError, App};
use http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "POST /v1/principals";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let input: NewPrincipal = common::http::json_body(&req)?;
    let registered = principals::register(&app, &caller, input).await?;
    let status = if registered.created { StatusCode::CREATED } else { StatusCode::OK };
    let mut resp = common::http::json(status, &registered)?;
    let location = format!("/v1/principals/{}", registered.principal.principal_id.as_str());
    resp.headers_mut().insert(http::header::LOCATION, HeaderValue::from_str(&location).map_err(|e| ApiError::Internal(e.to_string()))?);
    Ok(if registered.access_key.is_some() { common::http::no_store(resp) } else { resp })
}

//! `PUT /v1/issuer`: Creates or replaces the issuer settings (operator only); replacing needs If-Match.

use std::sync::Arc;

use common::caller::Caller;
use common::runtime::{self, BoxFuture};
use common::service::invoices::{self, IssuerInput};
use common::views::IssuerView;
use common::{ApiError, App};
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "PUT /v1/issuer";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let precondition = common::http::if_match(&req)?;
    let input: IssuerInput = common::http::json_body(&req)?;
    let (settings, created) = invoices::put_issuer(&app, &caller, input, precondition).await?;
    let etag = settings.etag();
    if created { common::http::created("/v1/issuer", &etag, &IssuerView::from(settings)) } else { common::http::tagged(&etag, &IssuerView::from(settings)) }
}

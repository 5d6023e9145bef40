//! `GET /v1/issuer`: Reads the issuer settings (operator only).

use std::sync::Arc;

use common::caller::Caller;
use common::runtime::{self, BoxFuture};
use common::service::invoices;
use common::views::IssuerView;
use common::{ApiError, App};
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "GET /v1/issuer";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, _req: Request) -> Result<Response<Body>, ApiError> {
    let settings = invoices::get_issuer(&app, &caller).await?;
    common::http::tagged(&settings.etag(), &IssuerView::from(settings))
}

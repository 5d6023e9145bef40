//! Running a route: the request span, error mapping and the completion log line, shared by the
//! Lambda runtime and the local gateway so that both behave the same.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use lambda_http::{Body, Request, Response, service_fn};
use tracing::Instrument;

use crate::app::App;
use crate::error::ApiError;

/// A route's entry point as the route table and the Lambda runtime hold it.
pub type Handler = fn(Arc<App>, Request) -> BoxFuture<'static, Response<Body>>;

pub use futures_util::future::BoxFuture;

/// Runs `f` for one request inside a span carrying the request id, route and (once resolved)
/// tenant; maps any error to problem+json; logs one completion line.
pub async fn dispatch<F, Fut>(route: &'static str, app: Arc<App>, req: Request, f: F) -> Response<Body>
where
    F: FnOnce(Arc<App>, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>>,
{
    let request_id = crate::http::request_id(&req);
    let span = tracing::info_span!("request", request_id = %request_id, route, tenant_id = tracing::field::Empty, role = tracing::field::Empty);
    let started = Instant::now();
    async move {
        let response = match f(app, req).await {
            Ok(r) => r,
            Err(e) => {
                if e.status().is_server_error() {
                    tracing::error!(error = %e, "request failed");
                } else {
                    tracing::info!(error = %e, "request refused");
                }
                e.into_response(&request_id)
            }
        };
        tracing::info!(status = response.status().as_u16(), latency_ms = started.elapsed().as_secs_f64() * 1000.0, "request completed");
        response
    }
    .instrument(span)
    .await
}

/// A Lambda function's `main`: logging, the app built once from the environment, then the
/// runtime loop (REST API proxy events).
pub async fn run_lambda(handler: Handler) -> Result<(), lambda_http::Error> {
    run_lambda_with(handler, |_| Ok(())).await
}

/// `run_lambda`, with `configure` adding what only this route needs (a renderer, say) to the
/// app at init. A configuration error stops start-up with its message.
pub async fn run_lambda_with(handler: Handler, configure: impl FnOnce(&mut App) -> Result<(), String>) -> Result<(), lambda_http::Error> {
    crate::telemetry::init();
    let mut app = App::from_env().await.map_err(|e| {
        tracing::error!(error = %e, "start-up failed");
        lambda_http::Error::from(e)
    })?;
    configure(&mut app).map_err(|e| {
        tracing::error!(error = %e, "start-up failed");
        lambda_http::Error::from(e)
    })?;
    let app = Arc::new(app);
    lambda_http::run(service_fn(move |req: Request| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(handler(app, req).await) }
    }))
    .await
}

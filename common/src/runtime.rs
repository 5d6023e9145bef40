//! Running a route: the request span, error mapping and the completion log line, shared by the
//! Lambda runtime and the local gateway so that both behave the same.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use lambda_http::{Body, Request, Response, service_fn};
use tracing::Instrument;

use crate::app::App;
use crate::caller::Caller;
use crate::error::ApiError;

/// A route's entry point as the route table and the Lambda runtime hold it.
pub type Handler = fn(Arc<App>, Request) -> BoxFuture<'static, Response<Body>>;

// Streamed bodies live in `crate::stream` (a leaf: services build them without depending on the
// runner); re-exported here for the function crates.
pub use crate::stream::{StreamBody, at_completion};

/// The entry point of a route that streams its response (Lambda response streaming).
pub type StreamHandler = fn(Arc<App>, Request) -> BoxFuture<'static, Response<StreamBody>>;

pub use futures_util::future::BoxFuture;

/// A buffered response as a (one-chunk) stream: problem answers of streaming routes.
pub fn into_stream(resp: Response<Body>) -> Response<StreamBody> {
    resp.map(|b| Full::new(Bytes::copy_from_slice(b.as_ref())).map_err(|never| match never {}).boxed_unsync())
}

/// Runs `f` for one request, with its caller resolved, inside a span carrying the request id,
/// route and (once resolved) tenant; maps any error to problem+json; logs one completion line.
pub async fn dispatch<F, Fut>(route: &'static str, app: Arc<App>, req: Request, f: F) -> Response<Body>
where
    F: FnOnce(Arc<App>, Caller, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>>,
{
    let conditional = crate::http::revalidation::Conditional::of(&req);
    let f = move |app, caller, req| async move {
        let resp = f(app, caller, req).await?;
        Ok(match conditional {
            Some(c) => c.apply(resp),
            None => resp,
        })
    };
    dispatch_as(
        route,
        app,
        req,
        f,
        |r| r,
        |r, line| {
            line.emit(http_body::Body::size_hint(r.body()).exact().unwrap_or(0));
            r
        },
    )
    .await
}

/// `dispatch` for streaming routes: the status and headers are decided before the first byte.
pub async fn dispatch_stream<F, Fut>(route: &'static str, app: Arc<App>, req: Request, f: F) -> Response<StreamBody>
where
    F: FnOnce(Arc<App>, Caller, Request) -> Fut,
    Fut: Future<Output = Result<Response<StreamBody>, ApiError>>,
{
    dispatch_as(route, app, req, f, into_stream, |r, line| r.map(|body| emf_at_end(body, line))).await
}

/// The metrics line of a request, written once its response size is known.
pub struct MetricsLine {
    route: &'static str,
    tenant: String,
    status: u16,
    latency_ms: f64,
    request_id: String,
    now_ms: i64,
}

impl MetricsLine {
    fn emit(&self, bytes: u64) {
        // EMF goes to stdout as its own line; CloudWatch Logs extracts the metrics.
        println!("{}", crate::metrics::request_line(self.route, &self.tenant, self.status, self.latency_ms, bytes, &self.request_id, self.now_ms));
    }
}

/// A streamed body that writes its metrics line when it is done with, with the bytes sent (a
/// stream's size is known only then; an aborted download reports what went out); latency stays
/// the time to the response's head.
fn emf_at_end(body: StreamBody, line: MetricsLine) -> StreamBody {
    use futures_util::TryStreamExt;
    struct Pending {
        line: MetricsLine,
        sent: u64,
    }
    impl Drop for Pending {
        fn drop(&mut self) {
            self.line.emit(self.sent);
        }
    }
    let mut pending = Pending { line, sent: 0 };
    let frames = http_body_util::BodyStream::new(body).inspect_ok(move |frame| {
        // The whole guard moves into the stream (not just its counter), so it drops with it.
        let p = &mut pending;
        if let Some(data) = frame.data_ref() {
            p.sent += data.len() as u64;
        }
    });
    http_body_util::StreamBody::new(frames).boxed_unsync()
}

async fn dispatch_as<B: http_body::Body, F, Fut>(
    route: &'static str,
    app: Arc<App>,
    req: Request,
    f: F,
    problem: fn(Response<Body>) -> Response<B>,
    metrics: fn(Response<B>, MetricsLine) -> Response<B>,
) -> Response<B>
where
    F: FnOnce(Arc<App>, Caller, Request) -> Fut,
    Fut: Future<Output = Result<Response<B>, ApiError>>,
{
    let request_id = crate::http::request_id(&req);
    let actor = crate::audit::Actor::new(route, request_id.clone(), app.ids.token(4), app.clock.now());
    let mutation = !matches!(*req.method(), http::Method::GET | http::Method::HEAD | http::Method::OPTIONS);
    let path_tenant = crate::http::path_param(&req, "tenantId", crate::domain::TenantId::parse).ok();
    let span = tracing::info_span!("request", request_id = %request_id, route, tenant_id = tracing::field::Empty, role = tracing::field::Empty);
    let started = Instant::now();
    let emf = crate::metrics::enabled();
    let clock = app.clock.clone();
    let work = async move {
        // Every route acts for a resolved caller: resolved here, once, so none can forget it.
        let audit_to = app.stores.audit.clone();
        let answer = match crate::caller::of_request(&app, &req).await {
            Ok(caller) => {
                crate::audit::set_caller(caller.principal.as_str(), caller.role(), caller.tenant_id());
                let answer = f(app, caller, req).await;
                if let Err(e) = &answer
                    && mutation
                    && e.status().is_client_error()
                {
                    record_attempt(audit_to.as_ref(), e, &request_id, path_tenant).await;
                }
                answer
            }
            Err(e) => Err(e),
        };
        let response = match answer {
            Ok(r) => r,
            Err(e) => {
                if e.status().is_server_error() {
                    tracing::error!(error = %e, "request failed");
                } else {
                    tracing::info!(error = %e, "request refused");
                }
                problem(e.into_response(&request_id))
            }
        };
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(status = response.status().as_u16(), latency_ms, "request completed");
        if !emf {
            return response;
        }
        let line = MetricsLine {
            route,
            tenant: crate::metrics::tenant().unwrap_or_else(|| "-".into()),
            status: response.status().as_u16(),
            latency_ms,
            request_id,
            now_ms: clock.now().timestamp_millis(),
        };
        metrics(response, line)
    }
    .instrument(span);
    crate::metrics::scope(crate::audit::scope(actor, work)).await
}

/// A refused change that reached its handler goes on the trail as an attempt. Failing to write it
/// does not change the answer; the log says so.
async fn record_attempt(audit: &dyn crate::store::AuditStore, e: &ApiError, request_id: &str, tenant: Option<crate::domain::TenantId>) {
    let problem = e.problem(request_id);
    if let Some(entry) = crate::audit::attempt(problem.status, &problem.title, tenant)
        && let Err(err) = audit.append_audit(&[entry]).await
    {
        tracing::error!(error = %err, "the refused request could not be audited");
    }
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

#[cfg(feature = "apigateway")]
/// `run_lambda` for the routes that manage tenants' API keys: the API Gateway key client (usage
/// plan ids from `SEIKYU_USAGE_PLAN_*`) is built at init too.
pub async fn run_lambda_with_keys(handler: Handler) -> Result<(), lambda_http::Error> {
    let keys = crate::apikeys::apigateway::ApiGatewayKeys::from_env().await.map_err(|e| {
        crate::telemetry::init();
        tracing::error!(error = %e, "start-up failed");
        lambda_http::Error::from(e)
    })?;
    run_lambda_with(handler, move |app| {
        app.keys = Some(Arc::new(keys));
        Ok(())
    })
    .await
}

/// A streaming route's `main`: like `run_lambda`, with Lambda response streaming (API Gateway's
/// `responseTransferMode: STREAM`): the body leaves as it is read, never buffered, never with a
/// Content-Length.
pub async fn run_streaming_lambda(handler: StreamHandler) -> Result<(), lambda_http::Error> {
    crate::telemetry::init();
    let app = Arc::new(App::from_env().await.map_err(|e| {
        tracing::error!(error = %e, "start-up failed");
        lambda_http::Error::from(e)
    })?);
    lambda_http::run_with_streaming_response(service_fn(move |req: Request| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(handler(app, req).await) }
    }))
    .await
}

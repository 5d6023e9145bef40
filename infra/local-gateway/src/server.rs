//! The gateway itself: route, authenticate (SigV4), check the API key, build the proxy event, call
//! the handler in-process, answer. Presigned object URLs of the embedded store are served too.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use common::App;
use common::clock::Clock;
use common::store::embedded::EmbeddedStore;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;

use crate::answers::Refusal;
use crate::credentials::{AccessKey, ApiKey, Credentials};
use crate::event;
use crate::limits::{self, Limiter};
use crate::routes::{Entry, ROUTES, Route};
use crate::sigv4::{Signed, Verifier};
use common::domain::{method_throttle, usage_plan};

/// API Gateway's payload limit.
pub const MAX_BODY: usize = 10 * 1024 * 1024;

pub type GatewayBody = UnsyncBoxBody<Bytes, std::io::Error>;

pub struct Gateway {
    app: Arc<App>,
    limiter: Arc<Limiter>,
    credentials: Arc<Credentials>,
    verifier: Verifier,
    clock: Arc<dyn Clock>,
    objects: Option<Arc<EmbeddedStore>>,
    stage: String,
    region: String,
}

fn full(b: Bytes) -> GatewayBody {
    Full::new(b).map_err(|never| match never {}).boxed_unsync()
}

/// What one request came to, for the log line.
struct Outcome<'a> {
    route: Option<&'a Route>,
    tenant: Option<String>,
}

impl Gateway {
    pub fn new(app: Arc<App>, credentials: Arc<Credentials>, region: &str, objects: Option<Arc<EmbeddedStore>>, limiter: Arc<Limiter>) -> Self {
        let clock = app.clock.clone();
        Self {
            app,
            limiter,
            verifier: Verifier::new(region, credentials.clone()),
            credentials,
            clock,
            objects,
            stage: crate::iam::STAGE.into(),
            region: region.to_owned(),
        }
    }

    pub fn limiter(&self) -> &Arc<Limiter> {
        &self.limiter
    }

    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    pub fn credentials(&self) -> &Arc<Credentials> {
        &self.credentials
    }

    /// Forgets cached signing keys; call after changing credentials.
    pub fn credentials_changed(&self) {
        self.verifier.clear_cache();
    }

    pub async fn handle(&self, req: Request<Incoming>, peer: SocketAddr) -> Response<GatewayBody> {
        let started = Instant::now();
        let request_id = crate::request_id();
        // The API's contract, local only: unsigned, before any route is matched.
        if let Some(resp) = crate::docs::serve(req.method(), req.uri().path()) {
            tracing::info!(target: "gateway", method = %req.method(), route = req.uri().path(), status = resp.status().as_u16(), latency_ms = started.elapsed().as_secs_f64() * 1000.0, "request");
            return resp.map(full);
        }
        if req.uri().path().starts_with("/_objects/")
            && let Some(store) = &self.objects
        {
            let method = req.method().clone();
            let resp = store.handle_presigned(req).await;
            tracing::info!(target: "gateway", method = %method, route = "presigned object", status = resp.status().as_u16(), latency_ms = started.elapsed().as_secs_f64() * 1000.0, "request");
            return resp;
        }
        let method = req.method().as_str().to_owned();
        let mut outcome = Outcome { route: None, tenant: None };
        let resp = match self.answer(req, peer, &request_id, &mut outcome).await {
            Ok(r) => r,
            Err(refusal) => refusal.response(&request_id).map(full),
        };
        tracing::info!(
            target: "gateway",
            request_id = %request_id,
            method = %method,
            route = outcome.route.map_or("(none)", |r| r.path),
            function = outcome.route.map_or("(none)", |r| r.function),
            status = resp.status().as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            tenant = outcome.tenant.as_deref().unwrap_or("-"),
            "request"
        );
        resp
    }

    async fn answer<'a>(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
        request_id: &str,
        outcome: &mut Outcome<'a>,
    ) -> Result<Response<GatewayBody>, Refusal> {
        let (parts, body) = req.into_parts();
        let body = match Limited::new(body, MAX_BODY).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => return Err(Refusal::TooLarge),
        };
        let path = parts.uri.path();
        let query = parts.uri.query().unwrap_or("");
        let (route, params) =
            ROUTES.iter().filter(|r| r.method == parts.method).find_map(|r| r.matches(path).map(|p| (r, p))).ok_or(Refusal::MissingAuthenticationToken)?;
        outcome.route = Some(route);
        let signed = Signed { method: parts.method.as_str(), path, query, headers: &parts.headers, body: &body };
        let access_key = self.verifier.verify(&signed, self.clock.now())?;
        self.authorize(&access_key, parts.method.as_str(), path)?;
        let api_key = self.api_key(&parts.headers)?;
        // After authentication, before the handler, as API Gateway orders them.
        let method = method_throttle(api_key.plan, route.method.as_str(), route.path);
        match self.limiter.check_method(&api_key.id, &usage_plan(api_key.plan), method.as_ref(), self.clock.now()) {
            Ok(()) => {}
            Err(limits::Limited::Throttled) => return Err(Refusal::TooManyRequests),
            Err(limits::Limited::QuotaExceeded) => return Err(Refusal::LimitExceeded),
        }
        outcome.tenant = Some(api_key.tenant_id.as_ref().map_or_else(|| "operator".to_owned(), |t| t.to_string()));
        let response = self.invoke(route, &params, &parts, &body, request_id, peer, &access_key, &api_key).await;
        Ok(response)
    }

    /// IAM's check of `execute-api:Invoke`, for signers whose user has an identity policy.
    fn authorize(&self, access_key: &AccessKey, method: &str, path: &str) -> Result<(), Refusal> {
        let Some(policy) = self.credentials.policy(&access_key.principal_arn) else { return Ok(()) };
        let resource = match common::store::PrincipalArn::parse(&access_key.principal_arn) {
            Ok(p) => crate::iam::api_arn(&self.region, &p).resource(method, path),
            Err(_) => String::new(),
        };
        if crate::iam::allows(&policy, "execute-api:Invoke", &resource) {
            return Ok(());
        }
        Err(Refusal::AccessDenied { user: access_key.principal_arn.clone(), resource: crate::iam::masked(&resource) })
    }

    fn api_key(&self, headers: &http::HeaderMap) -> Result<ApiKey, Refusal> {
        let value = headers.get("x-api-key").and_then(|v| v.to_str().ok()).ok_or(Refusal::Forbidden)?;
        self.credentials.api_key(value).filter(|k| k.enabled).ok_or(Refusal::Forbidden)
    }

    #[allow(clippy::too_many_arguments)]
    async fn invoke(
        &self,
        route: &Route,
        params: &[(&'static str, String)],
        parts: &http::request::Parts,
        body: &[u8],
        request_id: &str,
        peer: SocketAddr,
        access_key: &AccessKey,
        api_key: &ApiKey,
    ) -> Response<GatewayBody> {
        let incoming = event::Incoming {
            method: parts.method.as_str(),
            resource: route.path,
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            path_params: params,
            headers: &parts.headers,
            body,
            request_id,
            stage: &self.stage,
            source_ip: peer.ip(),
            access_key,
            api_key,
        };
        let event = event::build(&incoming).to_string();
        let lambda_req = match lambda_http::request::from_str(&event) {
            Ok(r) => r,
            Err(e) => {
                // The event is ours; a failure here is a gateway bug, answered as API Gateway
                // answers a broken integration.
                tracing::error!(error = %e, "building the proxy event failed");
                let mut r = Response::new(full(Bytes::from_static(br#"{"message": "Internal server error"}"#)));
                *r.status_mut() = StatusCode::BAD_GATEWAY;
                return r;
            }
        };
        let mut resp = match route.entry {
            Entry::Buffered(handler) => handler(self.app.clone(), lambda_req).await.map(|body| full(Bytes::copy_from_slice(body.as_ref()))),
            // Passed through chunk by chunk: no Content-Length, and an error mid-way aborts the
            // connection, so the client sees the response incomplete.
            Entry::Streaming(handler) => handler(self.app.clone(), lambda_req).await,
        };
        if let Ok(v) = HeaderValue::from_str(request_id) {
            resp.headers_mut().insert("x-amzn-requestid", v);
        }
        resp
    }
}

/// Serves the gateway on `listener` until the task is dropped.
/// Run workers the local gateway starts: as many as this machine's cores, like a small reserved
/// concurrency.
const RUN_WORKERS: usize = 2;

struct AbortOnDrop(Vec<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

pub async fn serve(gateway: Arc<Gateway>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    // Month-end runs are worked on by the gateway itself over the embedded queue; the workers end
    // with the server.
    let workers = gateway.objects.clone().map(|store| crate::runner::spawn(gateway.app.clone(), store, RUN_WORKERS)).unwrap_or_default();
    let _stop = AbortOnDrop(workers);
    loop {
        let (io, peer) = listener.accept().await?;
        let _ = io.set_nodelay(true);
        let gw = gateway.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let gw = gw.clone();
                async move { Ok::<_, Infallible>(gw.handle(req, peer).await) }
            });
            if let Err(e) = auto::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(io), svc).await {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
}

//! `Idempotency-Key` for creating routes: claim the key, run the work once, keep the answer for
//! replays.

use std::future::Future;

use http::{HeaderName, HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use sha2::{Digest, Sha256};

use crate::App;
use crate::domain::TenantId;
use crate::error::ApiError;
use crate::store::{Begin, IdempotencyKey, IdempotencyScope, StoredResponse};

/// Headers a replay repeats (`cache-control`: an onboarding's answer carries its key, no-store).
const KEPT_HEADERS: [&str; 4] = ["content-type", "etag", "location", "cache-control"];

/// The key the client sent; required.
pub fn idempotency_key(req: &Request) -> Result<IdempotencyKey, ApiError> {
    optional_idempotency_key(req)?
        .ok_or_else(|| ApiError::field("header.Idempotency-Key", "is required: send a unique key (e.g. a UUID) per new billing record"))
}

/// The key the client sent, if it sent one.
pub fn optional_idempotency_key(req: &Request) -> Result<Option<IdempotencyKey>, ApiError> {
    super::header(req, "idempotency-key")?.map(|raw| IdempotencyKey::parse(raw).map_err(|m| ApiError::field("header.Idempotency-Key", m))).transpose()
}

/// SHA-256 of what makes two requests "the same": method, path and body.
pub fn request_hash(req: &Request) -> String {
    let mut h = Sha256::new();
    h.update(req.method().as_str().as_bytes());
    h.update(b"\n");
    h.update(req.uri().path().as_bytes());
    h.update(b"\n");
    h.update(req.body().as_ref());
    hex::encode(h.finalize())
}

/// Eight bytes derived from the tenant and key: ids made from them are the same on every attempt
/// of one request, so a re-run can only collide with its own earlier result, never duplicate it.
pub fn derived_id_bytes(tenant: &TenantId, key: &IdempotencyKey) -> [u8; 8] {
    let digest = Sha256::digest(format!("{tenant}\n{}", key.as_str()).as_bytes());
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

/// The id a tenant onboarded under `key` gets: every attempt of one onboarding names the same
/// tenant, so a re-run finds it instead of onboarding a second one.
pub fn derived_tenant_id(key: &IdempotencyKey) -> TenantId {
    let digest = Sha256::digest(format!("onboarding\n{}", key.as_str()).as_bytes());
    let mut symbols = [0u8; 16];
    symbols.copy_from_slice(&digest[..16]);
    TenantId::from_random(symbols)
}

fn replay(stored: StoredResponse) -> Result<Response<Body>, ApiError> {
    let mut r = Response::new(Body::Text(stored.body));
    *r.status_mut() = StatusCode::from_u16(stored.status).map_err(|e| ApiError::Internal(format!("stored status: {e}")))?;
    for (k, v) in stored.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(&v)) {
            r.headers_mut().insert(k, v);
        }
    }
    r.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    Ok(r)
}

/// Runs `work` once per (scope, key): a replay of the same request answers as the first did; the
/// same key with another request is 422; a duplicate while the first runs is 409. A failure
/// releases the key so that the client can retry.
pub async fn run_once<F, Fut>(app: &App, scope: &IdempotencyScope, key: &IdempotencyKey, hash: &str, work: F) -> Result<Response<Body>, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>>,
{
    match app.stores.idempotency.begin(scope, key, hash, app.clock.now()).await? {
        Begin::Replay(stored) => return replay(stored),
        Begin::Mismatch => {
            return Err(ApiError::Unprocessable("This Idempotency-Key was already used for a different request; use a new key for a new request.".into()));
        }
        Begin::InProgress => return Err(ApiError::Conflict("A request with this Idempotency-Key is still being processed; retry shortly.".into())),
        Begin::Started => {}
    }
    match work().await {
        Ok(resp) => {
            let stored = StoredResponse {
                status: resp.status().as_u16(),
                headers: KEPT_HEADERS
                    .iter()
                    .filter_map(|h| resp.headers().get(*h).and_then(|v| v.to_str().ok()).map(|v| ((*h).to_owned(), v.to_owned())))
                    .collect(),
                body: String::from_utf8_lossy(resp.body().as_ref()).into_owned(),
            };
            if let Err(e) = app.stores.idempotency.complete(scope, key, hash, &stored, app.clock.now()).await {
                // The work is done; a replay will find the key in progress until its lease ends
                // and then run again, which the create's own conflict check turns into a 409.
                tracing::error!(error = %e, "could not record the idempotent response");
            }
            Ok(resp)
        }
        Err(e) => {
            if let Err(release) = app.stores.idempotency.abandon(scope, key).await {
                tracing::error!(error = %release, "could not release the idempotency key");
            }
            Err(e)
        }
    }
}

//! The HTTP face of the embedded object store: honours the presigned GET and PUT URLs it issues,
//! as S3 does for its own. The local gateway serves it under `/_objects/`.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, BodyStream, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;

use super::EmbeddedStore;
use super::objects::{Grant, PutError};
use crate::http::percent::decode_lossy;
use crate::store::{ObjectKey, ObjectStore};

/// S3's limit for one PUT.
const MAX_PUT: u64 = 5 * 1024 * 1024 * 1024;

pub type ObjectResponse = Response<UnsyncBoxBody<Bytes, std::io::Error>>;

/// Serves presigned object URLs on `listener` until the task is dropped.
pub async fn serve_objects(store: Arc<EmbeddedStore>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    loop {
        let (io, _) = listener.accept().await?;
        let store = store.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let store = store.clone();
                async move { Ok::<_, Infallible>(store.handle_presigned(req).await) }
            });
            if let Err(e) = auto::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(io), svc).await {
                tracing::debug!(error = %e, "object connection ended");
            }
        });
    }
}

fn plain(status: StatusCode, message: &str) -> ObjectResponse {
    let body = serde_json::json!({ "message": message }).to_string();
    let mut r = Response::new(Full::new(Bytes::from(body)).map_err(|never| match never {}).boxed_unsync());
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    r
}

impl EmbeddedStore {
    /// Answers one request to `/_objects/<key>?X-Seikyu-...`.
    pub async fn handle_presigned<B>(&self, req: Request<B>) -> ObjectResponse
    where
        B: hyper::body::Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: std::fmt::Display,
    {
        let Some(full_key) = req.uri().path().strip_prefix("/_objects/") else {
            return plain(StatusCode::NOT_FOUND, "Not found.");
        };
        let Ok(key) = ObjectKey::parse_full(full_key) else {
            return plain(StatusCode::NOT_FOUND, "Not found.");
        };
        let mut params = std::collections::HashMap::new();
        for pair in req.uri().query().unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            params.insert(k.to_owned(), decode_lossy(v));
        }
        let get = |k: &str| params.get(k).cloned().unwrap_or_default();
        let grant = Grant {
            method: get("X-Seikyu-Method"),
            key: key.clone(),
            expires: get("X-Seikyu-Expires").parse().unwrap_or(0),
            content_type: get("X-Seikyu-Content-Type"),
            content_length: get("X-Seikyu-Content-Length").parse().ok(),
        };
        if grant.method != req.method().as_str() {
            return plain(StatusCode::FORBIDDEN, "The URL was not signed for this method.");
        }
        if let Err(why) = self.verify(&grant, &get("X-Seikyu-Signature")) {
            return plain(StatusCode::FORBIDDEN, why);
        }
        match *req.method() {
            Method::GET => self.send_object(&key).await,
            Method::PUT => {
                let sent_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
                if sent_type != grant.content_type {
                    return plain(StatusCode::FORBIDDEN, "Content-Type differs from the one the URL was signed for.");
                }
                // Like S3: a PUT signed for a length must have exactly that length.
                let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
                if grant.content_length.is_some() && declared != grant.content_length {
                    return plain(StatusCode::FORBIDDEN, "Content-Length differs from the one the URL was signed for.");
                }
                let body = BodyStream::new(req.into_body()).try_filter_map(|f| async move { Ok(f.into_data().ok()) });
                match self.put_stream(&key, Box::pin(body), &grant.content_type, grant.content_length.unwrap_or(MAX_PUT)).await {
                    Ok(meta) => {
                        let mut r = plain(StatusCode::OK, "Stored.");
                        if let Ok(v) = header::HeaderValue::from_str(&meta.etag) {
                            r.headers_mut().insert(header::ETAG, v);
                        }
                        r
                    }
                    Err(PutError::TooLarge(max)) => plain(StatusCode::PAYLOAD_TOO_LARGE, &format!("Objects are at most {max} bytes.")),
                    Err(PutError::Body(e)) => {
                        tracing::warn!(error = %e, key = %key, "upload body failed");
                        plain(StatusCode::BAD_REQUEST, "The request body could not be read.")
                    }
                    Err(PutError::Store(crate::store::StoreError::Retained(m))) => plain(StatusCode::FORBIDDEN, &format!("Access Denied: {m}.")),
                    Err(PutError::Store(e)) => {
                        tracing::error!(error = %e, key = %key, "upload could not be stored");
                        plain(StatusCode::SERVICE_UNAVAILABLE, "Storage is unavailable.")
                    }
                }
            }
            _ => plain(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed."),
        }
    }

    async fn send_object(&self, key: &ObjectKey) -> ObjectResponse {
        match self.get_object(key, None).await {
            Ok(Some(obj)) => {
                let stream = obj.stream.map_ok(Frame::data);
                let mut r = Response::new(BodyExt::boxed_unsync(StreamBody::new(stream)));
                let h = r.headers_mut();
                if let Ok(v) = header::HeaderValue::from_str(&obj.meta.content_type) {
                    h.insert(header::CONTENT_TYPE, v);
                }
                if let Ok(v) = header::HeaderValue::from_str(&obj.meta.etag) {
                    h.insert(header::ETAG, v);
                }
                h.insert(header::CONTENT_LENGTH, obj.meta.size.into());
                r
            }
            Ok(None) => plain(StatusCode::NOT_FOUND, "The specified key does not exist."),
            Err(e) => {
                tracing::error!(error = %e, key = %key, "object read failed");
                plain(StatusCode::SERVICE_UNAVAILABLE, "Storage is unavailable.")
            }
        }
    }
}

// `Incoming` is the body type `serve_objects` hands over; name it so the bound is checked here.
#[allow(dead_code)]
fn _accepts_incoming(store: &EmbeddedStore, req: Request<Incoming>) -> impl std::future::Future<Output = ObjectResponse> + '_ {
    store.handle_presigned(req)
}

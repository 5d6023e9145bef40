//! One HTTP exchange: the request a command describes (`Call`), signed and sent over plain HTTP
//! (the local gateway) or HTTPS (API Gateway), and its answer read whole (`Reply`) or chunk by
//! chunk (`Stream`).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::error::{CliError, chain};

/// SigV4's encoding: everything but the unreserved characters `A-Z a-z 0-9 - . _ ~`.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longer than API Gateway's 29 s integration timeout, so its own 504 arrives first.
const HEAD_TIMEOUT: Duration = Duration::from_secs(40);
/// Between two chunks of a body: a stream that stalls this long is treated as cut short.
const CHUNK_TIMEOUT: Duration = Duration::from_secs(60);

/// A path segment (a tenant id, an invoice number) encoded for the URL.
pub fn seg(value: &str) -> String {
    utf8_percent_encode(value, STRICT).to_string()
}

/// What a command asks of the API.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    /// The API path (`/v1/...`), segments already encoded with `seg`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Further headers, all signed: `if-match`, `idempotency-key`, `range`.
    pub headers: Vec<(String, String)>,
    /// Sending it twice cannot apply it twice (see `retry`).
    pub repeatable: bool,
}

impl Call {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        let repeatable = method != Method::POST;
        Self { method, path: path.into(), query: Vec::new(), body: None, headers: Vec::new(), repeatable }
    }

    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }

    /// A JSON body.
    pub fn json(mut self, body: &Value) -> Self {
        self.body = Some(body.to_string().into_bytes());
        self
    }

    /// A query parameter, left out when `None`.
    pub fn query(mut self, name: &str, value: Option<impl ToString>) -> Self {
        if let Some(v) = value {
            self.query.push((name.to_owned(), v.to_string()));
        }
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// An `Idempotency-Key`: the API answers a repeat as it answered the first, so the call may
    /// be retried whatever happened.
    pub fn idempotency_key(self, key: impl Into<String>) -> Self {
        Self { repeatable: true, ..self.header("idempotency-key", key) }
    }

    /// A POST the API documents as safe to repeat (issuing, paying, cancelling).
    pub fn repeatable(self) -> Self {
        Self { repeatable: true, ..self }
    }

    pub fn has_idempotency_key(&self) -> bool {
        self.headers.iter().any(|(k, _)| k == "idempotency-key")
    }

    /// `METHOD /path` for messages.
    pub fn describe(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn query_string(&self) -> String {
        self.query.iter().map(|(k, v)| format!("{}={}", seg(k), seg(v))).collect::<Vec<_>>().join("&")
    }
}

/// An answer read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON (`null` when empty, as for a 204).
    pub fn json(&self) -> Result<Value, CliError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&self.body).map_err(|e| CliError::Network(format!("the answer ({}) is not JSON: {e}", self.status)))
    }
}

/// An answer whose body is read as it arrives.
pub struct Stream {
    pub status: u16,
    pub headers: HeaderMap,
    body: Incoming,
}

impl Stream {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The next chunk, `None` at the end; an error when the connection ends before the body
    /// does (the API aborts a stream it cannot complete, so a short body is never whole).
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, String> {
        loop {
            let frame = match tokio::time::timeout(CHUNK_TIMEOUT, self.body.frame()).await {
                Err(_) => return Err(format!("no data for {} s", CHUNK_TIMEOUT.as_secs())),
                Ok(None) => return Ok(None),
                Ok(Some(Err(e))) => return Err(chain(&e)),
                Ok(Some(Ok(frame))) => frame,
            };
            if let Ok(data) = frame.into_data() {
                return Ok(Some(data));
            }
        }
    }

    /// The whole body.
    pub async fn read_all(mut self) -> Result<Reply, String> {
        let mut body = Vec::new();
        while let Some(chunk) = self.chunk().await? {
            body.extend_from_slice(&chunk);
        }
        Ok(Reply { status: self.status, headers: self.headers, body: body.into() })
    }
}

/// A connector for plain HTTP or HTTPS (the machine's root certificates, read only for HTTPS).
pub fn connector(https: bool) -> Result<HttpsConnector<HttpConnector>, CliError> {
    let mut connector = HttpConnector::new();
    connector.enforce_http(false);
    connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = if https {
        HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider)
            .map_err(|e| CliError::usage(format!("no TLS root certificates on this machine: {e}")))?
    } else {
        // Plain HTTP never reaches TLS: no certificate store is read.
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| CliError::usage(format!("TLS: {e}")))?
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        HttpsConnectorBuilder::new().with_tls_config(config)
    };
    Ok(tls.https_or_http().enable_http1().wrap_connector(connector))
}

/// Where the API is: `https://abc.execute-api.ap-northeast-1.amazonaws.com/v1` (a stage in the
/// path) or `http://127.0.0.1:3000`.
pub struct Transport {
    origin: String,
    authority: String,
    base_path: String,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Transport {
    pub fn new(endpoint: &str) -> Result<Self, CliError> {
        let bad =
            |why: &str| CliError::usage(format!("endpoint {endpoint:?}: {why}; expected e.g. https://abc123.execute-api.ap-northeast-1.amazonaws.com/v1"));
        let uri: http::Uri = endpoint.trim().parse().map_err(|_| bad("not a URL"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(bad("the scheme must be http or https")),
        };
        let authority = uri.authority().ok_or_else(|| bad("no host"))?.to_string();
        let client = Client::builder(TokioExecutor::new()).build(connector(https)?);
        let origin = format!("{}://{authority}", if https { "https" } else { "http" });
        Ok(Self { origin, authority, base_path: uri.path().trim_end_matches('/').to_owned(), client })
    }

    /// The URL a call goes to.
    pub fn url(&self, call: &Call) -> String {
        let query = call.query_string();
        let sep = if query.is_empty() { "" } else { "?" };
        format!("{}{}{}{sep}{query}", self.origin, self.base_path, call.path)
    }

    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// Sends one attempt with these (already signed) headers and returns once the head arrived.
    pub async fn send(&self, call: &Call, url: &str, headers: &[(String, String)]) -> Result<Stream, String> {
        let mut request = http::Request::builder().method(call.method.clone()).uri(url);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        let body = Full::new(Bytes::from(call.body.clone().unwrap_or_default()));
        let request = request.body(body).map_err(|e| format!("cannot build the request: {e}"))?;
        let response = match tokio::time::timeout(HEAD_TIMEOUT, self.client.request(request)).await {
            Err(_) => return Err(format!("no answer within {} s", HEAD_TIMEOUT.as_secs())),
            Ok(Err(e)) => return Err(chain(&e)),
            Ok(Ok(r)) => r,
        };
        let (head, body) = response.into_parts();
        Ok(Stream { status: head.status.as_u16(), headers: head.headers, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_the_stage_and_encode_strictly() {
        let t = Transport::new("https://abc.execute-api.ap-northeast-1.amazonaws.com/v1/").unwrap();
        let call = Call::get(format!("/v1/tenants/{}/billings", seg("tn_a b")))
            .query("from", Some("2025-04"))
            .query("status", None::<&str>)
            .query("q", Some("しまね&x"));
        assert_eq!(
            t.url(&call),
            "https://abc.execute-api.ap-northeast-1.amazonaws.com/v1/v1/tenants/tn_a%20b/billings?from=2025-04&q=%E3%81%97%E3%81%BE%E3%81%AD%26x"
        );
        let local = Transport::new("http://127.0.0.1:3000").unwrap();
        assert_eq!((local.url(&Call::get("/v1/me")).as_str(), local.authority()), ("http://127.0.0.1:3000/v1/me", "127.0.0.1:3000"));
        assert!(Transport::new("ftp://x").is_err());
    }
}

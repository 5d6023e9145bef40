//! The local gateway started in-process on a random port, and a SigV4 client for it built on the
//! `aws-sigv4` crate (the signer every Rust AWS SDK uses).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use common::clock::{Clock, ManualClock, SystemClock};
use common::store::embedded::{EmbeddedOptions, EmbeddedStore};
use local_gateway::Gateway;
use local_gateway::demo::DemoCredentials;
use local_gateway::start::{Options, start};

use crate::http_client::{Fetched, send};

pub struct GatewayFixture {
    pub endpoint: String,
    pub demo: DemoCredentials,
    pub gateway: Arc<Gateway>,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Drop for GatewayFixture {
    fn drop(&mut self) {
        if let Some(server) = &self.server {
            server.abort();
        }
    }
}

/// How long a stopped gateway may take to let go of its port and database.
const STOP_DEADLINE: Duration = Duration::from_secs(10);

impl GatewayFixture {
    /// Stops the gateway and releases its storage, keeping the data directory: returns once its
    /// port can be bound again and its embedded database opened again (the database allows one
    /// opener at a time), and fails the test if either is still held after `STOP_DEADLINE`.
    pub async fn stop(mut self) -> tempfile::TempDir {
        let deadline = Instant::now() + STOP_DEADLINE;
        let addr = self.endpoint.trim_start_matches("http://").parse::<SocketAddr>().expect("the gateway's endpoint is http://<ip>:<port>");
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
        let server = self.server.take().expect("a running gateway has its server task");
        drop(self);
        // The accept loop's task ends (and drops its listener) once it is next polled.
        server.abort();
        match tokio::time::timeout(STOP_DEADLINE, server).await {
            Ok(Err(e)) if e.is_cancelled() => {}
            Ok(Err(e)) => panic!("the gateway's server task failed: {e}"),
            Ok(Ok(ended)) => panic!("the gateway's server ended by itself before it was stopped: {ended:?}"),
            Err(_) => panic!("the gateway's server task did not end within {STOP_DEADLINE:?} of being aborted"),
        }
        // Connection tasks still holding the app (and so the database) end once their clients
        // have gone.
        let mut port = Err(String::from("not tried"));
        let mut database = Err(String::from("not tried"));
        loop {
            if port.is_err() {
                port = std::net::TcpListener::bind(addr).map(drop).map_err(|e| e.to_string());
            }
            if port.is_ok() {
                database = reopen(dir.path());
            }
            if port.is_ok() && database.is_ok() {
                return dir;
            }
            assert!(
                Instant::now() < deadline,
                "the stopped gateway still holds its port {addr} ({port:?}) or its database under {} ({database:?}) after {STOP_DEADLINE:?}",
                dir.path().display()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Opens the embedded store (redb, `seikyu.redb`) under `dir` and closes it again.
fn reopen(dir: &Path) -> Result<(), String> {
    let options = EmbeddedOptions { cursor_key: vec![0; 32], presign_key: vec![0; 32], public_base_url: "http://127.0.0.1:1".into() };
    EmbeddedStore::open(dir, options, Arc::new(SystemClock)).map(drop).map_err(|e| e.to_string())
}

impl GatewayFixture {
    /// The demo operator, as a client of this gateway.
    pub fn operator(&self) -> Client {
        let op = &self.demo.operator;
        self.client(&op.access_key_id, &op.secret_access_key, &op.api_key)
    }

    /// Demo tenant `i`, signing with its own access key and sending its own API key.
    pub fn tenant(&self, i: usize) -> Client {
        let t = &self.demo.tenants[i];
        self.client(&t.access_key_id, &t.secret_access_key, &t.api_key)
    }

    /// A caller with the given access key and API key.
    pub fn client(&self, access_key_id: &str, secret: &str, api_key: &str) -> Client {
        Client {
            endpoint: self.endpoint.clone(),
            signer: Signer::new(access_key_id, secret, self.clock.now()),
            api_key: api_key.to_owned(),
            clock: self.clock.clone(),
        }
    }
}

/// A caller of the gateway: its signer and its API key. Every request first moves the gateway's
/// stopped clock on by a second and is signed at the new time, so that a long scenario paces
/// itself as a real client would (usage-plan buckets refill) and no signature grows stale.
#[derive(Clone)]
pub struct Client {
    pub endpoint: String,
    pub signer: Signer,
    pub api_key: String,
    pub clock: Arc<ManualClock>,
}

impl Client {
    /// Signs and sends `method path_and_query` with the API key and `headers`.
    pub async fn send(&self, method: &str, path_and_query: &str, headers: &[(&str, &str)], body: &[u8]) -> Fetched {
        self.clock.advance(TimeDelta::seconds(1));
        let signer = Signer { time: self.clock.now().into(), ..self.signer.clone() };
        let mut all = vec![("x-api-key", self.api_key.as_str())];
        all.extend_from_slice(headers);
        signer.send(method, &format!("{}{path_and_query}", self.endpoint), &all, body).await
    }
}

/// A gateway over a fresh embedded store with the demo seeded, its clock stopped at `now`.
pub async fn start_gateway(now: DateTime<Utc>) -> GatewayFixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(now));
    let options = Options { port: 0, data_dir: dir.path().to_path_buf(), ..Options::default() };
    let started = start(&options, clock.clone()).await.expect("gateway starts");
    let demo = started.demo.clone().expect("demo seeded on first start");
    let gateway = started.gateway.clone();
    let server = tokio::spawn(local_gateway::serve(started.gateway, started.listener));
    GatewayFixture { endpoint: started.endpoint, demo, gateway, clock, dir, server: Some(server) }
}

/// Who signs, and how.
#[derive(Clone)]
pub struct Signer {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub region: String,
    pub time: SystemTime,
    /// Send `x-amz-content-sha256: UNSIGNED-PAYLOAD` instead of the body's hash.
    pub unsigned_payload: bool,
}

impl Signer {
    pub fn new(access_key_id: &str, secret: &str, at: DateTime<Utc>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret.into(),
            session_token: None,
            region: "ap-northeast-1".into(),
            time: at.into(),
            unsigned_payload: false,
        }
    }

    /// The headers SigV4 adds for this request (Authorization, X-Amz-Date, ...).
    pub fn sign(&self, method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<(String, String)> {
        let identity = Credentials::new(&self.access_key_id, &self.secret_access_key, self.session_token.clone(), None, "tests").into();
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::Headers;
        if self.unsigned_payload {
            settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("execute-api")
            .time(self.time)
            .settings(settings)
            .build()
            .expect("signing params")
            .into();
        let body = if self.unsigned_payload { SignableBody::UnsignedPayload } else { SignableBody::Bytes(body) };
        let signable = SignableRequest::new(method, url, headers.iter().copied(), body).expect("signable request");
        let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
        instructions.headers().map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
    }

    /// Signs and sends in one go.
    pub async fn send(&self, method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Fetched {
        let signed = self.sign(method, url, headers, body);
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        all.extend(signed.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        send(method, url, &all, Bytes::copy_from_slice(body)).await
    }
}

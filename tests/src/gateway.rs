//! The local gateway started in-process on a random port, and a SigV4 client for it built on the
//! `aws-sigv4` crate (the signer every Rust AWS SDK uses).

use std::sync::Arc;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use common::clock::{Clock, ManualClock};
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
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for GatewayFixture {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl GatewayFixture {
    /// Stops the gateway and releases its storage, keeping the data directory.
    pub async fn stop(mut self) -> tempfile::TempDir {
        self.server.abort();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
        drop(self);
        // Connection tasks holding the app end once their clients have gone.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        dir
    }
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

    fn client(&self, access_key_id: &str, secret: &str, api_key: &str) -> Client {
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
    GatewayFixture { endpoint: started.endpoint, demo, gateway, clock, dir, server }
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

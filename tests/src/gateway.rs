//! The local gateway started in-process on a random port, and a SigV4 client for it built on the
//! `aws-sigv4` crate (the signer every Rust AWS SDK uses).

use std::sync::Arc;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use common::clock::ManualClock;
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

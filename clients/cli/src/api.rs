//! The API as the commands see it: signed calls with the API key, retried by the policy in
//! `retry`, error answers turned into `Problem`s, JSON reads and whole listings.

use std::time::Instant;

use rand::Rng;
use serde_json::Value;

use crate::auth::Signer;
use crate::config::Settings;
use crate::error::{CliError, Problem};
use crate::http::{Call, Reply, Stream, Transport};
use crate::retry::{Attempted, Failure, RetryPolicy};

const ACCEPT_JSON: &str = "application/json, application/problem+json";
const USER_AGENT: &str = concat!("seikyu-cli/", env!("CARGO_PKG_VERSION"));

/// What goes to stderr besides errors.
#[derive(Debug, Clone, Copy, Default)]
pub struct Verbosity {
    /// Every request and its status.
    pub verbose: bool,
    /// Not even retry notices.
    pub quiet: bool,
}

pub struct Api {
    transport: Transport,
    signer: Signer,
    api_key: String,
    pub retry: RetryPolicy,
    pub verbosity: Verbosity,
}

impl Api {
    pub async fn new(settings: &Settings, retry: RetryPolicy, verbosity: Verbosity) -> Result<Self, CliError> {
        Ok(Self { transport: Transport::new(&settings.endpoint)?, signer: Signer::new(settings).await?, api_key: settings.api_key.clone(), retry, verbosity })
    }

    /// Sends a call, retrying as the policy allows, and returns its successful (2xx or 3xx)
    /// answer read whole; an error answer becomes `CliError::Api`.
    pub async fn send(&self, call: &Call) -> Result<Reply, CliError> {
        let stream = self.open_with(call, ACCEPT_JSON).await?;
        stream.read_all().await.map_err(|e| CliError::Network(format!("{}: the answer was cut short: {e}", call.describe())))
    }

    /// Like `send`, for an answer to read as it arrives (a download): retried only until a
    /// successful head arrives, since its bytes then go to the caller.
    pub async fn open(&self, call: &Call) -> Result<Stream, CliError> {
        self.open_with(call, "*/*").await
    }

    /// GET and parse: the body and its ETag.
    pub async fn get_json(&self, call: Call) -> Result<(Value, Option<String>), CliError> {
        let reply = self.send(&call).await?;
        Ok((reply.json()?, reply.header("etag").map(str::to_owned)))
    }

    /// Every item of a listing (`{items, nextCursor}`), following the cursor page by page.
    pub async fn list_all(&self, call: Call) -> Result<Vec<Value>, CliError> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page_call = call.clone().query("cursor", cursor.as_deref());
            let (page, _) = self.get_json(page_call).await?;
            if let Some(page_items) = page["items"].as_array() {
                items.extend(page_items.iter().cloned());
            }
            match page["nextCursor"].as_str() {
                Some(next) if !next.is_empty() => cursor = Some(next.to_owned()),
                _ => return Ok(items),
            }
        }
    }

    async fn open_with(&self, call: &Call, accept: &str) -> Result<Stream, CliError> {
        let mut attempted = Attempted {
            is_get: call.method == http::Method::GET,
            has_idempotency_key: call.has_idempotency_key(),
            repeatable: call.repeatable,
            network_failure_before: false,
        };
        let mut retry = 0;
        loop {
            let started = Instant::now();
            let outcome = self.attempt(call, accept).await;
            let (problem, why) = match outcome {
                Ok(stream) if stream.status < 400 => {
                    self.trace(call, &stream.status.to_string(), started);
                    return Ok(stream);
                }
                Ok(stream) => {
                    self.trace(call, &stream.status.to_string(), started);
                    let reply = stream.read_all().await.map_err(|e| CliError::Network(format!("{}: the error answer was cut short: {e}", call.describe())))?;
                    let problem = Problem::from_response(reply.status, &reply.headers, &reply.body);
                    let why = format!("{} {}", problem.status, problem.detail.as_deref().or(problem.title.as_deref()).unwrap_or(""));
                    (Some(problem), why)
                }
                Err(AttemptError::Fatal(e)) => return Err(e),
                Err(AttemptError::Network(e)) => {
                    self.trace(call, "failed", started);
                    (None, e)
                }
            };
            retry += 1;
            let failure = problem.as_ref().map_or(Failure::Network, Failure::Answer);
            let jitter = rand::rng().random::<f64>();
            let Some(delay) = self.retry.delay(&failure, retry, attempted, jitter) else {
                return Err(match problem {
                    Some(p) => CliError::Api(Box::new(p)),
                    None => CliError::Network(format!("{}: {why}", call.describe())),
                });
            };
            attempted.network_failure_before |= problem.is_none();
            if !self.verbosity.quiet {
                eprintln!("seikyu: {}: {}; retry {retry}/{} in {:.1} s", call.describe(), why.trim(), self.retry.max_retries, delay.as_secs_f64());
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// One signed attempt: the API key, the body's content type, the call's own headers, and
    /// the host, all signed; accept and user-agent sent as they are.
    async fn attempt(&self, call: &Call, accept: &str) -> Result<Stream, AttemptError> {
        let url = self.transport.url(call);
        let mut signed: Vec<(String, String)> = vec![("host".into(), self.transport.authority().into()), ("x-api-key".into(), self.api_key.clone())];
        if call.body.is_some() && !call.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
            signed.push(("content-type".into(), "application/json".into()));
        }
        signed.extend(call.headers.iter().cloned());
        let to_sign: Vec<(&str, &str)> = signed.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let auth = self.signer.sign(call.method.as_str(), &url, &to_sign, call.body.as_deref().unwrap_or_default()).await.map_err(AttemptError::Fatal)?;
        let mut headers = signed;
        headers.extend(auth);
        headers.push(("accept".into(), accept.into()));
        headers.push(("user-agent".into(), USER_AGENT.into()));
        self.transport.send(call, &url, &headers).await.map_err(AttemptError::Network)
    }

    fn trace(&self, call: &Call, status: &str, started: Instant) {
        if self.verbosity.verbose {
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            eprintln!("seikyu: {} {} {status} ({ms:.0} ms)", call.method, self.transport.url(call));
        }
    }
}

enum AttemptError {
    /// Not worth retrying: the request could not even be signed.
    Fatal(CliError),
    Network(String),
}

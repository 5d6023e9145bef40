//! Uploads to a presigned URL (`restore-url`'s answer): the file streamed from disk in chunks,
//! with a progress bar, never held whole; exactly the headers the answer says.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::io::AsyncReadExt;

use crate::error::{CliError, Problem, chain};
use crate::http::connector;
use crate::progress;

const CHUNK: usize = 256 * 1024;
/// For the whole PUT: 5 GiB at a slow 10 MB/s is under 10 minutes, the URL's own lifetime.
const PUT_TIMEOUT: Duration = Duration::from_secs(900);

/// PUTs `file` as `answer` (`{method, url, headers}`) says; fails unless storage answers 2xx.
pub async fn put_file(answer: &Value, file: &Path, quiet: bool) -> Result<(), CliError> {
    let url = answer["url"].as_str().ok_or_else(|| CliError::Network("the upload answer has no url".into()))?;
    let uri: http::Uri = url.parse().map_err(|_| CliError::Network(format!("the upload URL {url:?} is not a URL")))?;
    let https = uri.scheme_str() == Some("https");
    let opened = tokio::fs::File::open(file).await.map_err(|e| CliError::usage(format!("cannot read {}: {e}", file.display())))?;
    let size = opened.metadata().await.map_err(|e| CliError::usage(format!("cannot read {}: {e}", file.display())))?.len();
    let bar = progress::bytes(Some(size), quiet);
    let chunks = futures_util::stream::unfold((opened, bar.clone()), |(mut f, bar)| async move {
        let mut buf = vec![0u8; CHUNK];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                bar.inc(n as u64);
                Some((Ok(Frame::data(Bytes::from(buf))), (f, bar)))
            }
            Err(e) => Some((Err(e), (f, bar))),
        }
    });
    let body = BodyExt::boxed_unsync(StreamBody::new(chunks.boxed()));
    let mut request = http::Request::builder().method(http::Method::PUT).uri(uri);
    for (name, value) in answer["headers"].as_object().into_iter().flatten() {
        request = request.header(name.as_str(), value.as_str().unwrap_or_default());
    }
    let request = request.body(body).map_err(|e| CliError::Network(format!("cannot build the upload: {e}")))?;
    let client = Client::builder(TokioExecutor::new()).build(connector(https)?);
    let response = match tokio::time::timeout(PUT_TIMEOUT, client.request(request)).await {
        Err(_) => return Err(CliError::Network(format!("the upload did not finish within {} s", PUT_TIMEOUT.as_secs()))),
        Ok(Err(e)) => return Err(CliError::Network(format!("the upload failed: {}", chain(&e)))),
        Ok(Ok(r)) => r,
    };
    bar.finish_and_clear();
    let (head, body) = response.into_parts();
    if head.status.is_success() {
        return Ok(());
    }
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    Err(CliError::Api(Box::new(Problem::from_response(head.status.as_u16(), &head.headers, &body))))
}

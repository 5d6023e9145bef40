//! Streamed response bodies: the type every streaming route answers with, and what is done to
//! one on its way out. A leaf module: services and exports build bodies without depending on the
//! runner (`crate::runtime`), which depends on them.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;

/// A streamed response body: chunks as they are read, an error mid-way aborting the response.
pub type StreamBody = UnsyncBoxBody<Bytes, std::io::Error>;

/// `body`, counted as it streams: when the last byte is out, `then` runs with the bytes sent,
/// before the stream ends, so that a Lambda is not frozen with it undone. A stream that fails
/// mid-way never gets there.
pub fn at_completion<F, Fut>(body: StreamBody, then: F) -> StreamBody
where
    F: FnOnce(u64) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    use futures_util::{StreamExt, TryStreamExt};
    let sent = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = sent.clone();
    let frames = http_body_util::BodyStream::new(body).inspect_ok(move |frame| {
        if let Some(data) = frame.data_ref() {
            counter.fetch_add(data.len() as u64, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let end = futures_util::stream::once(async move {
        then(sent.load(std::sync::atomic::Ordering::Relaxed)).await;
        None
    })
    .filter_map(futures_util::future::ready);
    http_body_util::StreamBody::new(frames.chain(end)).boxed_unsync()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use futures_util::stream;
    use http_body_util::StreamBody as Frames;
    use hyper::body::Frame;

    use super::*;

    fn body(chunks: Vec<Result<&'static [u8], std::io::Error>>) -> StreamBody {
        Frames::new(stream::iter(chunks.into_iter().map(|c| c.map(|b| Frame::data(Bytes::from_static(b)))))).boxed_unsync()
    }

    #[tokio::test]
    async fn completion_sees_every_byte_before_the_stream_ends() {
        let seen = Arc::new(AtomicU64::new(u64::MAX));
        let s = seen.clone();
        let counted = at_completion(body(vec![Ok(b"%PDF-"), Ok(b""), Ok(b"1234567")]), move |n| async move { s.store(n, Ordering::SeqCst) });
        let all = counted.collect().await.unwrap().to_bytes();
        assert_eq!(&all[..], b"%PDF-1234567");
        assert_eq!(seen.load(Ordering::SeqCst), 12);
    }

    #[tokio::test]
    async fn a_stream_that_fails_mid_way_never_completes() {
        let seen = Arc::new(AtomicU64::new(u64::MAX));
        let s = seen.clone();
        let broken = at_completion(body(vec![Ok(b"abc"), Err(std::io::Error::other("storage gone"))]), move |n| async move { s.store(n, Ordering::SeqCst) });
        assert!(broken.collect().await.is_err());
        assert_eq!(seen.load(Ordering::SeqCst), u64::MAX);
    }
}

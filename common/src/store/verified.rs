//! A stored object read back as exactly the bytes an invoice recorded: the stream hashes what
//! passes and, should the bytes differ from the recorded SHA-256 or size, ends in an error instead
//! of ending cleanly. Served over HTTP that aborts the response, so a client never takes altered
//! bytes for a whole invoice.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use sha2::{Digest, Sha256};

use super::ByteStream;
use crate::domain::PdfInfo;

pub struct Verified {
    inner: ByteStream,
    expected: PdfInfo,
    hasher: Sha256,
    seen: u64,
    done: bool,
}

impl Verified {
    pub fn new(inner: ByteStream, expected: PdfInfo) -> Self {
        Self { inner, expected, hasher: Sha256::new(), seen: 0, done: false }
    }

    fn mismatch(&self, what: String) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("stored bytes do not match the invoice's record: {what}"))
    }
}

impl Stream for Verified {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match self.inner.as_mut().poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(chunk))) => {
                self.seen += chunk.len() as u64;
                if self.seen > self.expected.size {
                    self.done = true;
                    let e = self.mismatch(format!("more than the recorded {} bytes", self.expected.size));
                    return Poll::Ready(Some(Err(e)));
                }
                self.hasher.update(&chunk);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                self.done = true;
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                self.done = true;
                let digest = hex::encode(std::mem::take(&mut self.hasher).finalize());
                if self.seen != self.expected.size || digest != self.expected.sha256 {
                    let e = self
                        .mismatch(format!("{} bytes with SHA-256 {digest}, recorded {} bytes with {}", self.seen, self.expected.size, self.expected.sha256));
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn of(chunks: &[&'static [u8]]) -> ByteStream {
        Box::pin(futures_util::stream::iter(chunks.iter().map(|c| Ok(Bytes::from_static(c))).collect::<Vec<_>>()))
    }

    fn info(bytes: &[u8]) -> PdfInfo {
        PdfInfo { sha256: hex::encode(Sha256::digest(bytes)), size: bytes.len() as u64 }
    }

    async fn read(s: Verified) -> (Vec<u8>, Option<String>) {
        let mut s = Box::pin(s);
        let (mut out, mut err) = (Vec::new(), None);
        while let Some(item) = s.next().await {
            match item {
                Ok(b) => out.extend_from_slice(&b),
                Err(e) => err = Some(e.to_string()),
            }
        }
        (out, err)
    }

    #[tokio::test]
    async fn the_recorded_bytes_pass_and_anything_else_ends_in_an_error() {
        let (bytes, err) = read(Verified::new(of(&[b"%PDF-", b"1.7 body"]), info(b"%PDF-1.7 body"))).await;
        assert_eq!((bytes.as_slice(), err), (&b"%PDF-1.7 body"[..], None));
        let (_, err) = read(Verified::new(of(&[b"%PDF-", b"1.7 BODY"]), info(b"%PDF-1.7 body"))).await;
        assert!(err.unwrap().contains("SHA-256"), "same size, other bytes");
        let (_, err) = read(Verified::new(of(&[b"%PDF-"]), info(b"%PDF-1.7 body"))).await;
        assert!(err.is_some(), "short");
        let (sent, err) = read(Verified::new(of(&[b"%PDF-1.7 body", b" and more"]), info(b"%PDF-1.7 body"))).await;
        assert!(err.unwrap().contains("more than"), "long");
        assert_eq!(sent, b"%PDF-1.7 body", "nothing past the recorded size is sent");
    }
}

//! A file written page by page as its pages are read: flat memory whatever its length. The first
//! page is read by the route before the response's head (so a refusal is a proper 4xx answer);
//! the rest as the client takes the bytes.

use std::future::Future;

use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::{BodyExt, StreamBody as Frames};
use hyper::body::Frame;

use crate::error::ApiError;
use crate::store::Page;
use crate::stream::StreamBody;

struct State<T, F, R> {
    pending: Option<Page<T>>,
    next: Option<String>,
    first: bool,
    fetch: F,
    render: R,
}

/// The file whose pages are `first`, then `fetch(cursor)` while a cursor follows; `render(items,
/// is_first_page)` writes each page's bytes (the first carries the header). `what` names the file
/// in the log line of a failure mid-way, which ends the response without its final chunk.
pub fn paged<T, F, Fut, R>(what: &'static str, first: Page<T>, fetch: F, render: R) -> StreamBody
where
    T: Send + 'static,
    F: FnMut(String) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>, ApiError>> + Send,
    R: FnMut(&[T], bool) -> Bytes + Send + 'static,
{
    let state = State { pending: Some(first), next: None, first: true, fetch, render };
    let chunks = futures_util::stream::try_unfold(state, |mut s| async move {
        let page = match s.pending.take() {
            Some(p) => p,
            None => {
                let Some(cursor) = s.next.take() else { return Ok(None) };
                (s.fetch)(cursor).await.map_err(|e| std::io::Error::other(format!("reading the next page: {e}")))?
            }
        };
        s.next = page.next_cursor;
        let chunk = (s.render)(&page.items, s.first);
        s.first = false;
        Ok(Some((chunk, s)))
    });
    Frames::new(chunks.inspect_err(move |e| tracing::error!(error = %e, file = what, "file failed mid-way")).map_ok(Frame::data)).boxed_unsync()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn page(items: Vec<u32>, next: Option<&str>) -> Page<u32> {
        Page { items, next_cursor: next.map(str::to_owned) }
    }

    fn render(items: &[u32], first: bool) -> Bytes {
        let head = if first { "n\n".to_owned() } else { String::new() };
        Bytes::from(head + &items.iter().map(|i| format!("{i}\n")).collect::<String>())
    }

    #[tokio::test]
    async fn pages_are_read_as_they_are_written_and_the_header_comes_once() {
        let fetched = Arc::new(AtomicUsize::new(0));
        let count = fetched.clone();
        let body = paged(
            "test",
            page(vec![1, 2], Some("p2")),
            move |cursor| {
                let n = count.fetch_add(1, Ordering::SeqCst);
                async move {
                    match cursor.as_str() {
                        "p2" => Ok(page(vec![3], Some("p3"))),
                        "p3" => Ok(page(vec![], None)),
                        other => Err(ApiError::Internal(format!("page {other} after {n}"))),
                    }
                }
            },
            render,
        );
        assert_eq!(fetched.load(Ordering::SeqCst), 0, "nothing beyond the first page is read before the body is");
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"n\n1\n2\n3\n");
        assert_eq!(fetched.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_page_that_cannot_be_read_ends_the_file_with_an_error() {
        let body = paged("test", page(vec![1], Some("gone")), |_| async { Err(ApiError::Unavailable("storage".into())) }, render);
        assert!(body.collect().await.is_err(), "the client sees a cut-short file, not a whole one");
    }
}

//! Heads of downloads (streamed files): the attachment name, the validator, the empty answers.
//! One place, so every file route names and revalidates its file the same way.

use http::{HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, Empty};
use lambda_http::{Request, Response};

use crate::error::ApiError;
use crate::stream::StreamBody;

/// A header value made by the code (never client text): a failure is ours.
pub fn header_value(v: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(v).map_err(|e| ApiError::Internal(format!("header value {v:?}: {e}")))
}

/// `Content-Disposition: attachment` (RFC 6266): `ascii` for clients that read only `filename`,
/// and the Japanese name as `filename*` in UTF-8.
pub fn attachment(ascii: &str, utf8: &str) -> Result<HeaderValue, ApiError> {
    if ascii == utf8 {
        return header_value(&format!("attachment; filename=\"{ascii}\""));
    }
    header_value(&format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", super::percent::encode(utf8.as_bytes(), false)))
}

/// Whether the request's `If-None-Match` names `etag` (weak comparison; `*` matches anything).
pub fn not_modified(req: &Request, etag: &str) -> Result<bool, ApiError> {
    Ok(super::header(req, "if-none-match")?.is_some_and(|list| super::revalidation::matches_any(list, etag)))
}

/// An answer without a body (304, a redirect).
pub fn empty(status: StatusCode) -> Response<StreamBody> {
    let mut r = Response::new(Empty::new().map_err(|never| match never {}).boxed_unsync());
    *r.status_mut() = status;
    r
}

/// `304 Not Modified` for a cached copy that is still `etag`.
pub fn unchanged(etag: &str) -> Result<Response<StreamBody>, ApiError> {
    let mut r = empty(StatusCode::NOT_MODIFIED);
    r.headers_mut().insert(header::ETAG, header_value(etag)?);
    Ok(r)
}

/// `303 See Other` to a short-lived URL (a presigned one): never cached, it expires.
pub fn redirect(url: &str) -> Result<Response<StreamBody>, ApiError> {
    let mut r = empty(StatusCode::SEE_OTHER);
    r.headers_mut().insert(header::LOCATION, header_value(url)?);
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// A 200 file: its type and name, kept out of shared caches (`cache`: `private, no-store` for a
/// file made anew each time, `private, max-age=0` for one that revalidates by its ETag).
pub fn file(body: StreamBody, content_type: &'static str, disposition: HeaderValue, cache: &'static str) -> Response<StreamBody> {
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_DISPOSITION, disposition);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_name_the_file_in_ascii_and_in_japanese() {
        let v = attachment("INV-2025-000001.pdf", "請求書_INV-2025-000001.pdf").unwrap();
        assert_eq!(v.to_str().unwrap(), "attachment; filename=\"INV-2025-000001.pdf\"; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8_INV-2025-000001.pdf");
        assert_eq!(attachment("run-1.csv", "run-1.csv").unwrap().to_str().unwrap(), "attachment; filename=\"run-1.csv\"");
        assert!(header_value("line\nbreak").is_err());
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_a_star() {
        let req = |v: &str| {
            let mut r = Request::default();
            r.headers_mut().insert("if-none-match", HeaderValue::from_str(v).unwrap());
            r
        };
        let etag = "\"abc\"";
        assert!(not_modified(&req("\"abc\""), etag).unwrap());
        assert!(not_modified(&req("W/\"abc\""), etag).unwrap());
        assert!(not_modified(&req("\"x\", \"abc\""), etag).unwrap());
        assert!(not_modified(&req("*"), etag).unwrap());
        assert!(!not_modified(&req("\"abcd\""), etag).unwrap());
        assert!(!not_modified(&Request::default(), etag).unwrap());
    }

    #[test]
    fn unchanged_and_redirect_carry_their_headers_and_no_body() {
        let r = unchanged("\"abc\"").unwrap();
        assert_eq!((r.status(), r.headers()[header::ETAG].to_str().unwrap()), (StatusCode::NOT_MODIFIED, "\"abc\""));
        let r = redirect("https://bucket.example/k?X-Amz-Signature=1").unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()[header::LOCATION], "https://bucket.example/k?X-Amz-Signature=1");
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
        assert!(redirect("bad\nurl").is_err());
    }
}

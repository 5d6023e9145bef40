//! Revalidation of JSON reads (RFC 9110 §13.1.2): every `GET` answered 200 carries an ETag (the
//! record's version where the handler set one, otherwise a weak tag of the body), and a request
//! whose `If-None-Match` names it is answered 304 without the body. The handler still ran, so a
//! 304 is authorised exactly like the 200 it stands for; what it saves is the transfer.

use http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, Response};
use sha2::{Digest, Sha256};

/// What revalidation needs from the request, taken before the handler consumes it.
pub struct Conditional {
    if_none_match: Option<String>,
}

impl Conditional {
    pub fn of(req: &Request) -> Option<Self> {
        if req.method() != Method::GET {
            return None;
        }
        let if_none_match = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Some(Self { if_none_match })
    }

    /// Tags a 200 that has no ETag, and turns it into a 304 when the client holds that tag.
    pub fn apply(self, mut resp: Response<Body>) -> Response<Body> {
        if resp.status() != StatusCode::OK {
            return resp;
        }
        if !resp.headers().contains_key(header::ETAG) {
            let digest = Sha256::digest(resp.body().as_ref());
            if let Ok(v) = HeaderValue::from_str(&format!("W/\"{}\"", hex::encode(&digest[..16]))) {
                resp.headers_mut().insert(header::ETAG, v);
            }
        }
        let Some(etag) = resp.headers().get(header::ETAG).and_then(|v| v.to_str().ok()) else { return resp };
        if !self.if_none_match.as_deref().is_some_and(|list| matches_any(list, etag)) {
            return resp;
        }
        let mut not_modified = Response::new(Body::Empty);
        *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
        for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
            if let Some(v) = resp.headers().get(&name) {
                not_modified.headers_mut().insert(name, v.clone());
            }
        }
        not_modified
    }
}

/// Weak comparison, as `If-None-Match` uses: `W/"x"` and `"x"` match; `*` matches anything.
pub(crate) fn matches_any(list: &str, etag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let have = opaque(etag);
    list.split(',').any(|t| t.trim() == "*" || opaque(t) == have)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(inm: Option<&str>) -> Request {
        let mut b = http::Request::builder().method("GET").uri("/v1/me");
        if let Some(v) = inm {
            b = b.header("if-none-match", v);
        }
        b.body(Body::Empty).unwrap()
    }

    fn ok(body: &str, etag: Option<&str>) -> Response<Body> {
        let mut r = Response::new(Body::Text(body.into()));
        if let Some(e) = etag {
            r.headers_mut().insert(header::ETAG, HeaderValue::from_str(e).unwrap());
        }
        r
    }

    #[test]
    fn bodies_get_a_weak_tag_that_revalidates() {
        let first = Conditional::of(&get(None)).unwrap().apply(ok(r#"{"items":[]}"#, None));
        let tag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
        assert!(tag.starts_with("W/\""), "{tag}");
        let again = Conditional::of(&get(Some(&tag))).unwrap().apply(ok(r#"{"items":[]}"#, None));
        assert_eq!(again.status(), 304);
        assert_eq!(again.headers()[header::ETAG], tag.as_str());
        assert!(again.body().is_empty());
        let changed = Conditional::of(&get(Some(&tag))).unwrap().apply(ok(r#"{"items":[1]}"#, None));
        assert_eq!(changed.status(), 200);
    }

    #[test]
    fn version_tags_compare_weakly_and_in_lists() {
        let r = Conditional::of(&get(Some(r#""1", W/"3""#))).unwrap().apply(ok("{}", Some(r#""3""#)));
        assert_eq!(r.status(), 304);
        let r = Conditional::of(&get(Some(r#""2""#))).unwrap().apply(ok("{}", Some(r#""3""#)));
        assert_eq!(r.status(), 200);
        let post = http::Request::builder().method("POST").uri("/").body(Body::Empty).unwrap();
        assert!(Conditional::of(&post).is_none(), "only reads revalidate");
    }
}

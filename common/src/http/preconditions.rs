//! Conditional requests (RFC 9110): If-Match for optimistic concurrency, If-None-Match: * for
//! create-only.

use lambda_http::Request;

use crate::error::ApiError;

/// A parsed If-Match header. Our ETags are strong (`"<version>"`); If-Match compares strongly, so
/// a weak or foreign tag never matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    Any,
    Tags(Vec<String>),
}

impl IfMatch {
    pub fn matches(&self, version: u64) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::Tags(tags) => tags.iter().any(|t| *t == crate::domain::etag_of(version)),
        }
    }
}

pub fn if_match(req: &Request) -> Result<Option<IfMatch>, ApiError> {
    let Some(raw) = super::header(req, "if-match")? else { return Ok(None) };
    let raw = raw.trim();
    if raw == "*" {
        return Ok(Some(IfMatch::Any));
    }
    let tags: Vec<String> = raw.split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
    let well_formed = |t: &String| {
        let t = t.strip_prefix("W/").unwrap_or(t);
        t.len() >= 2 && t.starts_with('"') && t.ends_with('"') && !t[1..t.len() - 1].contains('"')
    };
    if tags.is_empty() || !tags.iter().all(well_formed) {
        return Err(ApiError::field("header.If-Match", "must be * or a list of quoted ETags, e.g. \"3\""));
    }
    Ok(Some(IfMatch::Tags(tags)))
}

/// True when the client sent `If-None-Match: *` (create only, never replace).
pub fn if_none_match_any(req: &Request) -> Result<bool, ApiError> {
    Ok(super::header(req, "if-none-match")?.is_some_and(|v| v.trim() == "*"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(v: &str) -> Request {
        http::Request::builder().header("if-match", v).body(lambda_http::Body::Empty).unwrap()
    }

    #[test]
    fn strong_comparison() {
        assert!(if_match(&req("\"3\"")).unwrap().unwrap().matches(3));
        assert!(!if_match(&req("\"3\"")).unwrap().unwrap().matches(4));
        assert!(!if_match(&req("W/\"3\"")).unwrap().unwrap().matches(3));
        assert!(if_match(&req("\"1\", \"3\"")).unwrap().unwrap().matches(3));
        assert!(if_match(&req("*")).unwrap().unwrap().matches(9));
    }

    #[test]
    fn malformed_is_a_field_error() {
        for bad in ["3", "\"3", "", "\"a\"b\""] {
            assert!(if_match(&req(bad)).is_err(), "{bad:?}");
        }
    }
}

//! The one error type a request can end in, and its one mapping to RFC 9457 problem+json.
//!
//! Client-facing text is written here or in validation messages; internal text (SDK errors, I/O
//! errors) is carried only for the log and never reaches a client.

use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::validation::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldError>),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("payload larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Also what a tenant gets for another tenant's resources: the answers must be identical.
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request is well formed but cannot be processed as sent (an idempotency key reused
    /// for another request).
    #[error("unprocessable: {0}")]
    Unprocessable(String),
    /// Well-formed input whose content is refused, field by field (an uploaded file).
    #[error("unprocessable: {0:?}")]
    UnprocessableFields(Vec<FieldError>),
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    #[error("precondition required: {0}")]
    PreconditionRequired(String),
    #[error("range not satisfiable")]
    RangeNotSatisfiable { size: u64 },
    /// An AWS account limit is reached (API keys per Region); the text says which, for the operator.
    #[error("limit reached: {0}")]
    LimitReached(String),
    /// Storage or a dependency failed; the text is for the log only.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A bug or corrupt data; the text is for the log only.
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unprocessable(_) | Self::UnprocessableFields(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            Self::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::Unavailable(_) | Self::LimitReached(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document for this error; `instance` is the request id.
    pub fn problem(&self, request_id: &str) -> Problem {
        let (slug, title, detail): (&str, &str, String) = match self {
            Self::Validation(_) => ("validation-error", "Your request is not valid.", "See errors for each field that needs changing.".into()),
            Self::UnsupportedMediaType(d) => ("unsupported-media-type", "Unsupported media type.", d.clone()),
            Self::PayloadTooLarge { limit } => ("payload-too-large", "Request body too large.", format!("The request body must be at most {limit} bytes.")),
            Self::Forbidden(d) => ("forbidden", "Forbidden.", d.clone()),
            Self::NotFound => ("not-found", "Not found.", "The requested resource does not exist.".into()),
            Self::Conflict(d) => ("conflict", "Conflict.", d.clone()),
            Self::Unprocessable(d) => ("unprocessable", "Unprocessable request.", d.clone()),
            Self::UnprocessableFields(_) => ("unprocessable", "Unprocessable request.", "See errors for what was refused.".into()),
            Self::PreconditionFailed(d) => ("precondition-failed", "Precondition failed.", d.clone()),
            Self::PreconditionRequired(d) => ("precondition-required", "Precondition required.", d.clone()),
            Self::RangeNotSatisfiable { size } => ("range-not-satisfiable", "Range not satisfiable.", format!("The resource is {size} bytes long.")),
            Self::Unavailable(_) => (
                "service-unavailable",
                "Service temporarily unavailable.",
                "Storage did not answer in time. Retry the request after the time in Retry-After.".into(),
            ),
            Self::LimitReached(d) => ("limit-reached", "A service limit is reached.", d.clone()),
            Self::Internal(_) => ("internal-error", "Internal error.", "Something went wrong on our side. Quote the instance when you report it.".into()),
        };
        Problem {
            r#type: format!("urn:seikyu:problem:{slug}"),
            title: title.to_owned(),
            status: self.status().as_u16(),
            detail,
            instance: request_id.to_owned(),
            errors: match self {
                Self::Validation(errs) | Self::UnprocessableFields(errs) => errs.clone(),
                _ => Vec::new(),
            },
        }
    }

    /// The HTTP answer. Callers log the error (with its internal text) before calling this.
    pub fn into_response(self, request_id: &str) -> Response<Body> {
        let problem = self.problem(request_id);
        let body = serde_json::to_string(&problem).unwrap_or_else(|_| String::from("{}"));
        let mut resp = Response::new(Body::Text(body));
        *resp.status_mut() = self.status();
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match self {
            Self::Unavailable(_) => {
                h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Self::RangeNotSatisfiable { size } => {
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    h.insert(header::CONTENT_RANGE, v);
                }
            }
            _ => {}
        }
        resp
    }
}

/// RFC 9457 problem details, with field-level `errors` for validation problems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// `urn:seikyu:problem:<kind>`, one per kind of refusal (`validation-error`, `not-found`, ...).
    #[cfg_attr(feature = "openapi", schema(pattern = "^urn:seikyu:problem:[a-z-]+$"))]
    pub r#type: String,
    pub title: String,
    /// The HTTP status, repeated.
    pub status: u16,
    /// What happened, for a person to read.
    pub detail: String,
    /// The request id (API Gateway's), to quote when reporting a problem.
    pub instance: String,
    /// Every field refused, for validation problems and refused uploads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_json(r: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(r.body().as_ref()).unwrap()
    }

    #[test]
    fn validation_lists_fields() {
        let r = ApiError::Validation(vec![FieldError::new("name", "must not be empty")]).into_response("req-1");
        assert_eq!(r.status(), 400);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let j = body_json(&r);
        assert_eq!(j["instance"], "req-1");
        assert_eq!(j["errors"][0]["field"], "name");
        assert_eq!(j["type"], "urn:seikyu:problem:validation-error");
    }

    #[test]
    fn internal_text_never_reaches_the_client() {
        for e in [ApiError::Unavailable("dynamodb: connection refused at 10.0.0.1".into()), ApiError::Internal("secret stack".into())] {
            let unavailable = matches!(e, ApiError::Unavailable(_));
            let r = e.into_response("req-2");
            let text = String::from_utf8(r.body().as_ref().to_vec()).unwrap();
            assert!(!text.contains("10.0.0.1") && !text.contains("secret"), "{text}");
            assert_eq!(r.headers().contains_key("retry-after"), unavailable);
        }
    }

    #[test]
    fn an_account_limit_says_what_it_is_and_not_to_retry() {
        let r = ApiError::LimitReached("10,000 API keys".into()).into_response("req-3");
        assert_eq!(r.status(), 503);
        assert!(!r.headers().contains_key("retry-after"), "retrying will not help");
        let j = body_json(&r);
        assert_eq!((j["type"].as_str(), j["detail"].as_str()), (Some("urn:seikyu:problem:limit-reached"), Some("10,000 API keys")));
    }
}

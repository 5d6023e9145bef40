//! API Gateway's own answers, byte for byte: the gateway refuses a request before any handler
//! runs with exactly the status, body and `x-amzn-ErrorType` API Gateway uses.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};

/// Why the gateway refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Unsigned request, or no route for this method and path.
    MissingAuthenticationToken,
    /// The Authorization header lacks parts (the message lists them).
    IncompleteSignature(String),
    /// Unknown access key id, or a session token that does not match it.
    InvalidToken,
    /// Signature mismatch (with the canonical request and string to sign), skew, or bad scope.
    InvalidSignature(String),
    /// Missing, unknown or disabled API key.
    Forbidden,
    /// Body beyond API Gateway's 10 MB payload limit.
    TooLarge,
    /// The key's token bucket is empty.
    TooManyRequests,
    /// The key's quota for the period is used up.
    LimitExceeded,
    /// The signer's identity policy does not allow `execute-api:Invoke` on this request: the
    /// user's ARN and the resource (its account masked), as API Gateway names them.
    AccessDenied { user: String, resource: String },
}

impl Refusal {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            Refusal::MissingAuthenticationToken => (StatusCode::FORBIDDEN, "MissingAuthenticationTokenException", "Missing Authentication Token".into()),
            Refusal::IncompleteSignature(m) => (StatusCode::FORBIDDEN, "IncompleteSignatureException", m.clone()),
            Refusal::InvalidToken => (StatusCode::FORBIDDEN, "UnrecognizedClientException", "The security token included in the request is invalid.".into()),
            Refusal::InvalidSignature(m) => (StatusCode::FORBIDDEN, "InvalidSignatureException", m.clone()),
            Refusal::Forbidden => (StatusCode::FORBIDDEN, "ForbiddenException", "Forbidden".into()),
            Refusal::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "RequestTooLargeException", "Request Too Long".into()),
            Refusal::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "TooManyRequestsException", "Too Many Requests".into()),
            Refusal::LimitExceeded => (StatusCode::TOO_MANY_REQUESTS, "LimitExceededException", "Limit Exceeded".into()),
            Refusal::AccessDenied { user, resource } => (
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                format!("User: {user} is not authorized to perform: execute-api:Invoke on resource: {resource}"),
            ),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    /// `{"message":"..."}` as API Gateway writes it; an IAM refusal says `Message`.
    pub fn body(&self) -> String {
        let key = if matches!(self, Refusal::AccessDenied { .. }) { "Message" } else { "message" };
        serde_json::json!({ key: self.parts().2 }).to_string()
    }

    pub fn response(&self, request_id: &str) -> Response<Bytes> {
        let (status, kind, _) = self.parts();
        let mut r = Response::new(Bytes::from(self.body()));
        *r.status_mut() = status;
        let h = r.headers_mut();
        h.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        h.insert("x-amzn-errortype", HeaderValue::from_static(kind));
        if let Ok(v) = HeaderValue::from_str(request_id) {
            h.insert("x-amzn-requestid", v);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_match_api_gateway() {
        assert_eq!(Refusal::MissingAuthenticationToken.body(), r#"{"message":"Missing Authentication Token"}"#);
        assert_eq!(Refusal::Forbidden.body(), r#"{"message":"Forbidden"}"#);
        assert_eq!(Refusal::InvalidToken.body(), r#"{"message":"The security token included in the request is invalid."}"#);
        assert_eq!(Refusal::Forbidden.status(), 403);
        assert_eq!(Refusal::TooManyRequests.body(), r#"{"message":"Too Many Requests"}"#);
        assert_eq!(Refusal::LimitExceeded.body(), r#"{"message":"Limit Exceeded"}"#);
        assert_eq!(Refusal::LimitExceeded.status(), 429);
    }
}

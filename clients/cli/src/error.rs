//! What can go wrong, how it reads on stderr, and the exit status each kind ends the process with
//! (documented in `--help` and the README, so scripts can branch on it).

use std::fmt;

use http::HeaderMap;
use serde_json::Value;

/// The exit statuses, as `seikyu --help` lists them.
pub const EXIT_CODES_HELP: &str = "\
Exit status:
  0  success
  1  the API or its gateway refused the request (a 4xx answer; 429 once retries are spent)
  2  usage: bad arguments, missing configuration, an input or output file that cannot be used
  3  no usable answer: network failure, timeout, or a 5xx answer once retries are spent
  4  done, but some items failed (a run that finished with failed invoices, an import with
     refused records)
  5  a download did not verify: its SHA-256 differs from the ETag, or it was cut short";

#[derive(Debug)]
pub enum CliError {
    /// Bad arguments, configuration or local files: exit 2.
    Usage(String),
    /// An error answer from the API or the gateway in front of it: exit 1 (4xx) or 3 (5xx).
    Api(Box<Problem>),
    /// No answer, or not a usable one: exit 3.
    Network(String),
    /// The command ran to its end but some of its items failed: exit 4.
    Failed(String),
    /// Downloaded bytes that cannot be trusted: exit 5.
    Integrity(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Api(p) if p.status >= 500 => 3,
            Self::Api(_) => 1,
            Self::Usage(_) => 2,
            Self::Network(_) => 3,
            Self::Failed(_) => 4,
            Self::Integrity(_) => 5,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Api(p) => write!(f, "{p}"),
            Self::Usage(m) | Self::Network(m) | Self::Failed(m) | Self::Integrity(m) => f.write_str(m),
        }
    }
}

/// An error answer: RFC 9457 problem+json from the API, or the gateway's own `{"message": ...}`.
#[derive(Debug, Clone, Default)]
pub struct Problem {
    pub status: u16,
    /// The problem type URI; `None` for the gateway's answers.
    pub kind: Option<String>,
    pub title: Option<String>,
    pub detail: Option<String>,
    /// Validation errors, `(field, message)`.
    pub errors: Vec<(String, String)>,
    pub request_id: Option<String>,
    /// The gateway's `x-amzn-ErrorType` (e.g. `TooManyRequestsException`).
    pub error_type: Option<String>,
    /// Seconds from `Retry-After`.
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn from_response(status: u16, headers: &HeaderMap, body: &[u8]) -> Self {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let mut p = Problem {
            status,
            request_id: header("x-amzn-requestid"),
            error_type: header("x-amzn-errortype"),
            retry_after: header("retry-after").and_then(|v| parse_retry_after(&v, chrono::Utc::now())),
            ..Problem::default()
        };
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(o)) if o.contains_key("type") || o.contains_key("title") => {
                let text = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
                p.kind = text("type");
                p.title = text("title");
                p.detail = text("detail");
                p.request_id = text("instance").or(p.request_id);
                let errors = o.get("errors").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                p.errors =
                    errors.iter().map(|e| (e["field"].as_str().unwrap_or_default().to_owned(), e["message"].as_str().unwrap_or_default().to_owned())).collect();
            }
            Ok(Value::Object(o)) => {
                // The gateway says `message`, or `Message` for IAM's AccessDeniedException.
                p.detail = o.get("message").or_else(|| o.get("Message")).and_then(Value::as_str).map(str::to_owned);
            }
            _ => {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                p.detail = (!text.is_empty()).then(|| text.chars().take(300).collect());
            }
        }
        p
    }

    /// The gateway's "Limit Exceeded": the key's quota is used up until its period ends, so
    /// waiting a few seconds cannot help (unlike "Too Many Requests").
    pub fn quota_exceeded(&self) -> bool {
        self.status == 429
            && (self.error_type.as_deref() == Some("LimitExceededException")
                || self.detail.as_deref().is_some_and(|d| d.trim().eq_ignore_ascii_case("Limit Exceeded")))
    }

    /// A 503 about an account limit (the 10,000 API keys): no retry helps.
    pub fn limit_reached(&self) -> bool {
        self.kind.as_deref().is_some_and(|k| k.ends_with(":limit-reached"))
    }
}

impl fmt::Display for Problem {
    /// `Your request is not valid. See errors ... (HTTP 400, request id …)` and one indented line
    /// per field error.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<&str> = [self.title.as_deref(), self.detail.as_deref()].into_iter().flatten().map(str::trim).filter(|s| !s.is_empty()).collect();
        let text = match parts.as_slice() {
            [] => "the request was refused".to_owned(),
            [one] => (*one).to_owned(),
            [title, detail, ..] if title == detail => (*title).to_owned(),
            [title, detail, ..] if title.ends_with(['.', '!', '?', '。']) => format!("{title} {detail}"),
            [title, detail, ..] => format!("{title}: {detail}"),
        };
        let mut notes = vec![format!("HTTP {}", self.status)];
        if let (Some(t), None) = (&self.error_type, &self.kind) {
            notes.push(t.clone());
        }
        if let Some(s) = self.retry_after {
            notes.push(format!("retry after {s} s"));
        }
        if let Some(id) = &self.request_id {
            notes.push(format!("request id {id}"));
        }
        write!(f, "{text} ({})", notes.join(", "))?;
        for (field, message) in &self.errors {
            write!(f, "\n  {field}: {message}")?;
        }
        Ok(())
    }
}

/// An error with its causes, `a: b: c` (hyper's and the SDK's errors say what happened only in
/// their sources).
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// `Retry-After` as whole seconds: delta-seconds, or an HTTP date counted from `now`.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<u64> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(secs);
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let secs = (at.with_timezone(&chrono::Utc) - now).num_seconds();
    Some(u64::try_from(secs).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_validation_problem_reads_with_every_field() {
        let body = br#"{"type":"urn:seikyu:problem:validation-error","title":"Your request is not valid.","status":400,
            "detail":"See errors for each field that needs changing.","instance":"req-1",
            "errors":[{"field":"name","message":"is required"},{"field":"lines[0].unitPrice","message":"must be an integer"}]}"#;
        let p = Problem::from_response(400, &HeaderMap::new(), body);
        assert_eq!(
            p.to_string(),
            "Your request is not valid. See errors for each field that needs changing. (HTTP 400, request id req-1)\n  name: is required\n  lines[0].unitPrice: must be an integer"
        );
        assert_eq!(CliError::Api(Box::new(p)).exit_code(), 1);
    }

    #[test]
    fn gateway_answers_name_their_error_type_and_quota_is_told_apart() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amzn-errortype", http::HeaderValue::from_static("LimitExceededException"));
        let p = Problem::from_response(429, &headers, br#"{"message":"Limit Exceeded"}"#);
        assert!(p.quota_exceeded());
        assert_eq!(p.to_string(), "Limit Exceeded (HTTP 429, LimitExceededException)");
        let throttled = Problem::from_response(429, &HeaderMap::new(), br#"{"message":"Too Many Requests"}"#);
        assert!(!throttled.quota_exceeded());
        let denied = Problem::from_response(403, &HeaderMap::new(), br#"{"Message":"User: x is not authorized"}"#);
        assert_eq!(denied.detail.as_deref(), Some("User: x is not authorized"));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2025-11-01T00:00:00Z").map(|t| t.with_timezone(&chrono::Utc)).unwrap();
        assert_eq!(parse_retry_after("7", now), Some(7));
        assert_eq!(parse_retry_after("Sat, 01 Nov 2025 00:00:30 GMT", now), Some(30));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn server_errors_exit_as_no_usable_answer() {
        let p = Problem { status: 503, ..Problem::default() };
        assert_eq!(CliError::Api(Box::new(p)).exit_code(), 3);
    }
}

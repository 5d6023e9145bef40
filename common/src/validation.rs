//! Field-level validation: every rule reports against the field the client sent, and all
//! problems in one request are reported together.

use serde::{Deserialize, Serialize};

/// One problem with one field of the client's input. `field` is a JSON pointer-like dotted path
/// (`customerProfile.billingContact.email`, `lines[2].quantity`, `path.tenantId`, `query.limit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Collects field errors while a request is turned into domain values.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// Keeps the value when it parsed, records the error against `field` when it did not.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    /// Like [`check`](Self::check) for optional input: absent stays absent.
    pub fn check_opt<T, R>(&mut self, field: &str, raw: Option<R>, parse: impl FnOnce(R) -> Result<T, String>) -> Option<Option<T>> {
        match raw {
            None => Some(None),
            Some(r) => self.check(field, parse(r)).map(Some),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn into_errors(self) -> Vec<FieldError> {
        self.errors
    }

    /// `Ok(())` when nothing was recorded, the validation error otherwise.
    pub fn finish(self) -> Result<(), crate::error::ApiError> {
        if self.errors.is_empty() { Ok(()) } else { Err(crate::error::ApiError::Validation(self.errors)) }
    }
}

/// Free text as people type it: trimmed, 1..=max characters (not bytes), no control characters
/// except newlines and tabs when `multiline`.
pub fn text(raw: &str, max: usize, multiline: bool) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    let n = s.chars().count();
    if n > max {
        return Err(format!("must be at most {max} characters (got {n})"));
    }
    if s.chars().any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r'))) {
        return Err("must not contain control characters".into());
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_counts_characters_not_bytes() {
        let s = "請".repeat(10);
        assert_eq!(text(&s, 10, false), Ok(s.clone()));
        assert!(text(&format!("{s}x"), 10, false).unwrap_err().contains("at most 10"));
    }

    #[test]
    fn text_trims_and_rejects_blank_and_controls() {
        assert_eq!(text("  株式会社  ", 10, false), Ok("株式会社".into()));
        assert!(text("   ", 10, false).is_err());
        assert!(text("a\u{0}b", 10, false).is_err());
        assert!(text("a\nb", 10, false).is_err());
        assert_eq!(text("a\nb", 10, true), Ok("a\nb".into()));
    }

    #[test]
    fn validator_collects_every_error() {
        let mut v = Validator::new();
        assert_eq!(v.check::<u8>("a", Err("bad".into())), None);
        assert_eq!(v.check("b", Ok(1)), Some(1));
        v.add("c", "worse");
        let errs = v.into_errors();
        assert_eq!(errs, vec![FieldError::new("a", "bad"), FieldError::new("c", "worse")]);
    }
}

//! Field-level validation: every rule reports against the field the client sent, and all
//! problems in one request are reported together.

use serde::{Deserialize, Serialize};

/// One problem with one field of the client's input. `field` is a JSON pointer-like dotted path
/// (`customerProfile.billingContact.email`, `lines[2].quantity`, `path.tenantId`, `query.limit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        self.finish_with(Some(()))
    }

    /// The checked values (what [`check`](Self::check) handed back, alone or in a tuple) when
    /// nothing was recorded, the validation error otherwise. A check that failed recorded its
    /// error, so a missing value with no error recorded is the caller's bug: a value put in by
    /// hand, not by a check. That is the one place it is reported.
    pub fn finish_with<C: Checked>(self, checked: C) -> Result<C::Values, crate::error::ApiError> {
        use crate::error::ApiError;
        if !self.errors.is_empty() {
            return Err(ApiError::Validation(self.errors));
        }
        checked.all().ok_or_else(|| ApiError::Internal("a value was missing without a validation error".into()))
    }
}

/// What checks hand back: one `Option` per field, present when the field parsed. All present
/// gives the values themselves.
pub trait Checked {
    type Values;
    fn all(self) -> Option<Self::Values>;
}

impl<T> Checked for Option<T> {
    type Values = T;
    fn all(self) -> Option<T> {
        self
    }
}

macro_rules! checked_tuple {
    ($($name:ident),+) => {
        impl<$($name: Checked),+> Checked for ($($name,)+) {
            type Values = ($($name::Values,)+);
            #[allow(non_snake_case)]
            fn all(self) -> Option<Self::Values> {
                let ($($name,)+) = self;
                Some(($($name.all()?,)+))
            }
        }
    };
}
checked_tuple!(A, B);
checked_tuple!(A, B, C);
checked_tuple!(A, B, C, D);
checked_tuple!(A, B, C, D, E);
checked_tuple!(A, B, C, D, E, F);
checked_tuple!(A, B, C, D, E, F, G);
checked_tuple!(A, B, C, D, E, F, G, H);

/// Free text as people type it: trimmed, 1..=`max` characters (not bytes), at most `lines` lines.
/// Line breaks are stored as LF whichever way they were sent (CRLF, CR), so the PDF, the CSV and
/// Redmine show the same lines. With `lines == 1` the text must be a single line: no line breaks,
/// no tabs. Other control characters are never accepted.
pub fn text(raw: &str, max: usize, lines: usize) -> Result<String, String> {
    let normalised = raw.replace("\r\n", "\n").replace('\r', "\n");
    let s = normalised.trim();
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if lines <= 1 && s.contains(['\n', '\t']) {
        return Err("must be a single line: remove line breaks and tabs".into());
    }
    let n = s.chars().count();
    if n > max {
        return Err(format!("must be at most {max} characters (got {n})"));
    }
    let got = s.lines().count();
    if got > lines {
        return Err(format!("must be at most {lines} lines (got {got})"));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("must not contain control characters (such as NUL or ESC)".into());
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_counts_characters_not_bytes() {
        let s = "請".repeat(10);
        assert_eq!(text(&s, 10, 1), Ok(s.clone()));
        assert!(text(&format!("{s}x"), 10, 1).unwrap_err().contains("at most 10"));
    }

    #[test]
    fn text_trims_and_rejects_blank_and_controls() {
        assert_eq!(text("  株式会社  ", 10, 1), Ok("株式会社".into()));
        assert!(text("   ", 10, 1).is_err());
        assert!(text("a\u{0}b", 10, 3).unwrap_err().contains("control characters"));
        assert_eq!(text("a\u{1b}b", 10, 1), Err("must not contain control characters (such as NUL or ESC)".into()));
        for broken in ["a\nb", "a\r\nb", "a\tb"] {
            assert_eq!(text(broken, 10, 1), Err("must be a single line: remove line breaks and tabs".into()), "{broken:?}");
        }
        assert_eq!(text("a\nb", 10, 2), Ok("a\nb".into()));
    }

    #[test]
    fn line_breaks_are_stored_as_lf_and_counted() {
        assert_eq!(text("x\r\ny\rz", 10, 3), Ok("x\ny\nz".into()));
        assert_eq!(text("x\r\ny\rz", 10, 2), Err("must be at most 2 lines (got 3)".into()));
        assert_eq!(text("\r\n x \r\n", 10, 1), Ok("x".into()), "surrounding breaks are trimmed");
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

    #[test]
    fn finish_with_hands_back_every_checked_value() {
        let mut v = Validator::new();
        let a = v.check("a", Ok::<_, String>(1u8));
        let b = v.check_opt("b", Some("x"), |s| Ok::<_, String>(s.len()));
        let c = v.check_opt("c", None::<&str>, |s| Ok::<_, String>(s.len()));
        assert_eq!(v.finish_with((a, b, c)).ok(), Some((1, Some(1), None)));

        let mut v = Validator::new();
        let a = v.check("a", Ok::<_, String>(1u8));
        let b = v.check::<u8>("b", Err("is wrong".into()));
        match v.finish_with((a, b)) {
            Err(crate::error::ApiError::Validation(errs)) => assert_eq!(errs, vec![FieldError::new("b", "is wrong")]),
            other => panic!("expected the field error, got {other:?}"),
        }
    }

    #[test]
    fn a_value_missing_without_an_error_is_internal_not_a_client_error() {
        let v = Validator::new();
        assert!(matches!(v.finish_with((Some(1), None::<u8>)), Err(crate::error::ApiError::Internal(_))));
    }
}

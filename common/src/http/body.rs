//! JSON request bodies: media type, size, syntax and shape, each reported field by field.

use lambda_http::{Body, Request};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::error::ApiError;
use crate::validation::FieldError;

/// Largest JSON body any route accepts (413 beyond).
pub const JSON_BODY_LIMIT: usize = 256 * 1024;

fn is_json(content_type: &str) -> bool {
    let mut parts = content_type.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let json = essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"));
    // JSON is UTF-8 (RFC 8259); any other declared charset is a different body.
    let charset_ok = parts.all(|p| match p.trim().split_once('=') {
        Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8"),
        _ => true,
    });
    json && charset_ok
}

/// Parses the body as `T` (whose types should `deny_unknown_fields`).
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let bytes: &[u8] = match req.body() {
        Body::Empty => &[],
        Body::Text(s) => s.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    };
    if bytes.len() > JSON_BODY_LIMIT {
        return Err(ApiError::PayloadTooLarge { limit: JSON_BODY_LIMIT });
    }
    let content_type = super::header(req, "content-type")?;
    match content_type {
        Some(ct) if is_json(ct) => {}
        Some(ct) => return Err(ApiError::UnsupportedMediaType(format!("Send the body as application/json (charset UTF-8), not {ct}."))),
        None if bytes.is_empty() => return Err(ApiError::field("body", "is required: send a JSON object with Content-Type: application/json")),
        None => return Err(ApiError::UnsupportedMediaType("Send the body with Content-Type: application/json.".into())),
    }
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Err(ApiError::field("body", "is required: send a JSON object")),
        // serde would also read a struct from an array; our bodies are always objects.
        Some(b'{') => {}
        Some(_) => return Err(ApiError::field("body", "must be a JSON object")),
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| ApiError::Validation(vec![field_error(&e)]))?;
    de.end().map_err(|e| ApiError::field("body", format!("has data after the JSON value ({e})")))?;
    Ok(value)
}

/// Like [`json_body`], for routes whose body may be left out: no body at all gives `T::default()`.
pub fn optional_json_body<T: DeserializeOwned + Default>(req: &Request) -> Result<T, ApiError> {
    let empty = match req.body() {
        Body::Empty => true,
        Body::Text(s) => s.is_empty(),
        Body::Binary(b) => b.is_empty(),
        _ => true,
    };
    if empty { Ok(T::default()) } else { json_body(req) }
}

/// Names the field a serde error is about: for unknown and missing fields, the field itself.
fn field_error(e: &serde_path_to_error::Error<serde_json::Error>) -> FieldError {
    let inner = e.inner();
    let path = e.path().to_string();
    let parent = if path == "." { String::new() } else { path };
    // serde_path_to_error already ends the path with an unknown field's name, not a missing one's.
    let join = |name: &str| match parent.as_str() {
        "" => name.to_owned(),
        p if p == name || p.ends_with(&format!(".{name}")) => p.to_owned(),
        p => format!("{p}.{name}"),
    };
    let text = inner.to_string();
    let message = strip_position(&text);
    let named = |prefix: &str| message.strip_prefix(prefix).and_then(|r| r.split('`').next()).map(str::to_owned);
    if inner.is_syntax() || inner.is_eof() {
        return FieldError::new("body", format!("is not valid JSON: {text}"));
    }
    if let Some(name) = named("unknown field `") {
        return FieldError::new(join(&name), "is not a known field");
    }
    if let Some(name) = named("missing field `") {
        return FieldError::new(join(&name), "is required");
    }
    let field = if parent.is_empty() { "body".to_owned() } else { parent };
    let message = for_client(message, &field);
    FieldError::new(field, message)
}

/// serde's wording ("invalid type: string \"x\", expected struct CustomerProfileInput", "expected
/// i64") rewritten for the client: what the field must be, in JSON's terms, and what was sent.
/// Never a Rust type name.
fn for_client(message: &str, field: &str) -> String {
    let last = field.rsplit('.').next().unwrap_or(field);
    let last = last.split('[').next().unwrap_or(last);
    let money = ["unitPrice", "monthlyFee", "amount", "price", "fee"].iter().any(|m| last.eq_ignore_ascii_case(m));
    let expected = |exp: &str| -> String {
        let exp = exp.trim();
        let integer = ["i8", "i16", "i32", "i64", "i128", "u8", "u16", "u32", "u64", "u128", "isize", "usize", "an integer"];
        if integer.contains(&exp) {
            return if money { "an integer (whole yen)".into() } else { "an integer".into() };
        }
        if exp.starts_with("struct ") || exp.starts_with("a map") || exp.starts_with("map") {
            return "an object".into();
        }
        match exp {
            "a string" | "a borrowed string" | "a character" => "a string".into(),
            "a sequence" => "an array".into(),
            "a boolean" => "true or false".into(),
            "f32" | "f64" => "a number".into(),
            _ => "a value of another kind".into(),
        }
    };
    let sent = |unexp: &str| -> String {
        let value = unexp.split('`').nth(1);
        match unexp.split([' ', '`']).next().unwrap_or("") {
            "string" => "a string".into(),
            "boolean" => value.unwrap_or("a boolean").to_owned(),
            "integer" | "floating" => value.map_or_else(|| "a number".into(), |v| v.to_owned()),
            "null" | "unit" => "null".into(),
            "sequence" => "an array".into(),
            "map" => "an object".into(),
            _ => "something else".into(),
        }
    };
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((unexp, exp)) = rest.split_once(", expected ")
    {
        return format!("must be {}, not {}", expected(exp), sent(unexp));
    }
    if let Some(rest) = message.strip_prefix("invalid value: ")
        && let Some((unexp, exp)) = rest.split_once(", expected ")
    {
        return format!("must be {} in range; {} is out of range", expected(exp), sent(unexp));
    }
    if let Some(rest) = message.strip_prefix("unknown variant `")
        && let Some((_, options)) = rest.split_once("expected ")
    {
        return format!("must be {}", options.replace('`', "").replace("one of ", "one of: "));
    }
    if message.starts_with("invalid length") {
        return "has the wrong number of items".into();
    }
    // Messages written by our own parsers are already meant for the client.
    message.to_owned()
}

fn strip_position(s: &str) -> &str {
    match s.rfind(" at line ") {
        Some(i) => &s[..i],
        None => s,
    }
}

/// A field of a JSON merge patch (RFC 7396): absent (leave as is), `null` (remove), or a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(d).map(|o| o.map_or(Patch::Null, Patch::Value))
    }
}

impl<T> Patch<T> {
    /// Whether the patch mentions the field at all.
    pub fn is_present(&self) -> bool {
        !matches!(self, Patch::Absent)
    }

    /// For fields that cannot be removed: `null` is reported against `field`.
    pub fn required(self, field: &str, v: &mut crate::validation::Validator) -> Option<T> {
        match self {
            Patch::Absent => None,
            Patch::Null => {
                v.add(field, "cannot be removed; leave it out to keep the current value");
                None
            }
            Patch::Value(t) => Some(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        email: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        fee: i64,
        contact: Inner,
    }

    fn req(ct: Option<&str>, body: &str) -> Request {
        let mut b = http::Request::builder().method("POST").uri("/x");
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        b.body(Body::Text(body.to_owned())).unwrap()
    }

    fn fields(r: Result<Outer, ApiError>) -> Vec<FieldError> {
        match r {
            Err(ApiError::Validation(v)) => v,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn good_body_parses() {
        let o: Outer = json_body(&req(Some("application/json; charset=utf-8"), r#"{"name":"a","fee":1,"contact":{"email":"x"}}"#)).unwrap();
        assert_eq!(o.fee, 1);
    }

    #[test]
    fn names_the_field_for_each_kind_of_mistake() {
        let ct = Some("application/json");
        assert_eq!(fields(json_body(&req(ct, r#"{"name":"a","fee":1,"contact":{"email":"x","phone":1}}"#)))[0].field, "contact.phone");
        assert_eq!(fields(json_body(&req(ct, r#"{"name":"a","fee":1,"contact":{}}"#)))[0].field, "contact.email");
        assert_eq!(fields(json_body(&req(ct, r#"{"name":"a","fee":"1","contact":{"email":"x"}}"#)))[0].field, "fee");
        assert_eq!(fields(json_body(&req(ct, r#"{"name":"a","fee":1.5,"contact":{"email":"x"}}"#)))[0].field, "fee");
        assert_eq!(fields(json_body(&req(ct, r#"{"name":"a","fee":99999999999999999999,"contact":{"email":"x"}}"#)))[0].field, "fee");
        assert_eq!(fields(json_body(&req(ct, r#"{"name": "a", "#)))[0].field, "body");
        assert_eq!(fields(json_body(&req(ct, r#"[1]"#)))[0].field, "body");
        assert_eq!(fields(json_body(&req(ct, r#"{"name":"a","fee":1,"contact":{"email":"x"}} {}"#)))[0].field, "body");
        assert_eq!(fields(json_body(&req(ct, "")))[0].field, "body");
    }

    #[test]
    fn messages_say_what_json_the_field_needs_never_a_rust_type() {
        let ct = Some("application/json");
        let one = |body: &str| fields(json_body(&req(ct, body))).remove(0);
        let e = one(r#"{"name":"a","fee":1,"contact":"x"}"#);
        assert_eq!((e.field.as_str(), e.message.as_str()), ("contact", "must be an object, not a string"));
        let e = one(r#"{"name":"a","fee":"1","contact":{"email":"x"}}"#);
        assert_eq!((e.field.as_str(), e.message.as_str()), ("fee", "must be an integer (whole yen), not a string"));
        let e = one(r#"{"name":"a","fee":1.5,"contact":{"email":"x"}}"#);
        assert_eq!(e.message, "must be an integer (whole yen), not 1.5");
        let e = one(r#"{"name":7,"fee":1,"contact":{"email":"x"}}"#);
        assert_eq!((e.field.as_str(), e.message.as_str()), ("name", "must be a string, not 7"));
        let e = one(r#"{"name":["a"],"fee":1,"contact":{"email":"x"}}"#);
        assert_eq!(e.message, "must be a string, not an array");
        let e = one(r#"{"name":"a","fee":18446744073709551615,"contact":{"email":"x"}}"#);
        assert_eq!(e.message, "must be an integer (whole yen) in range; 18446744073709551615 is out of range");
        for body in
            [r#"{"name":"a","fee":true,"contact":{"email":"x"}}"#, r#"{"name":"a","fee":{},"contact":[]}"#, r#"{"name":null,"fee":1,"contact":{"email":"x"}}"#]
        {
            let e = one(body);
            for rust in ["i64", "struct", "Inner", "Outer", "String", "expected"] {
                assert!(!e.message.contains(rust), "{body}: {e:?}");
            }
        }
    }

    #[test]
    fn media_type_and_size() {
        let ok = r#"{"name":"a","fee":1,"contact":{"email":"x"}}"#;
        assert!(matches!(json_body::<Outer>(&req(Some("text/plain"), ok)), Err(ApiError::UnsupportedMediaType(_))));
        assert!(matches!(json_body::<Outer>(&req(Some("application/json; charset=shift_jis"), ok)), Err(ApiError::UnsupportedMediaType(_))));
        assert!(matches!(json_body::<Outer>(&req(None, ok)), Err(ApiError::UnsupportedMediaType(_))));
        assert!(json_body::<Outer>(&req(Some("application/merge-patch+json"), ok)).is_ok());
        let big = format!(r#"{{"name":"{}","fee":1,"contact":{{"email":"x"}}}}"#, "a".repeat(JSON_BODY_LIMIT));
        assert!(matches!(json_body::<Outer>(&req(Some("application/json"), &big)), Err(ApiError::PayloadTooLarge { .. })));
    }

    #[test]
    fn patch_tells_absent_from_null() {
        #[derive(Deserialize)]
        struct P {
            #[serde(default)]
            a: Patch<String>,
        }
        assert_eq!(serde_json::from_str::<P>("{}").unwrap().a, Patch::Absent);
        assert_eq!(serde_json::from_str::<P>(r#"{"a":null}"#).unwrap().a, Patch::Null);
        assert_eq!(serde_json::from_str::<P>(r#"{"a":"x"}"#).unwrap().a, Patch::Value("x".into()));
    }
}

//! SigV4 verification as API Gateway does it for `execute-api`.
//!
//! The canonical request is built from the request exactly as received: the path is taken raw and
//! URI-encoded once more (SigV4's double encoding for every service but S3), the query is parsed
//! from its raw text, and headers are taken as listed in SignedHeaders. Nothing is decoded or
//! normalised before verification.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::answers::Refusal;
use crate::credentials::{AccessKey, Credentials};

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const MAX_SKEW: TimeDelta = TimeDelta::minutes(5);
const SIGNED_DATE: &str = "%Y%m%dT%H%M%SZ";

/// The request as the verifier sees it.
pub struct Signed<'a> {
    pub method: &'a str,
    /// Raw path, as sent (percent-encoding untouched).
    pub path: &'a str,
    /// Raw query string without `?`.
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Cached signing keys by (access key id, credential date).
type KeyCache = RwLock<HashMap<(String, String), Arc<[u8]>>>;

pub struct Verifier {
    region: String,
    service: String,
    credentials: Arc<Credentials>,
    /// Signing keys per (access key, date): deriving one costs four HMACs.
    keys: KeyCache,
}

struct AuthHeader<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

use common::http::percent::{decode, encode};

/// The canonical URI: the raw path, each byte outside the unreserved set and `/` encoded.
pub fn canonical_uri(raw_path: &str) -> String {
    if raw_path.is_empty() { "/".into() } else { encode(raw_path.as_bytes(), true) }
}

/// The canonical query: every parameter decoded from its raw text and re-encoded strictly,
/// sorted by name then value; a parameter without `=` has an empty value.
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (encode(&decode(k), false), encode(&decode(v), false))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// `name:value` lines for the signed headers: values trimmed, inner runs of spaces collapsed,
/// repeated headers joined with commas.
fn canonical_headers(headers: &HeaderMap, signed: &[&str]) -> String {
    let mut out = String::new();
    for name in signed {
        let values: Vec<String> =
            headers.get_all(*name).iter().map(|v| String::from_utf8_lossy(v.as_bytes()).split_whitespace().collect::<Vec<_>>().join(" ")).collect();
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn parse_authorization(value: &str) -> Result<AuthHeader<'_>, Refusal> {
    let Some(rest) = value.strip_prefix(ALGORITHM).filter(|r| r.starts_with(' ')) else {
        // API Gateway reads anything else as a malformed key=value list.
        let hash = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, Sha256::digest(value.as_bytes()));
        return Err(Refusal::IncompleteSignature(format!(
            "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '{hash}'."
        )));
    };
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let mut missing = String::new();
    if credential.is_none() {
        missing.push_str("Authorization header requires 'Credential' parameter. ");
    }
    if signature.is_none() {
        missing.push_str("Authorization header requires 'Signature' parameter. ");
    }
    if signed_headers.is_none() {
        missing.push_str("Authorization header requires 'SignedHeaders' parameter. ");
    }
    let (Some(credential), Some(signed_headers), Some(signature)) = (credential, signed_headers, signature) else {
        return Err(Refusal::IncompleteSignature(format!("{missing}Authorization={value}")));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, terminator] = scope.as_slice() else {
        return Err(Refusal::IncompleteSignature(format!(
            "Credential should be scoped to a valid region, not '{}'. Credential should be scoped to correct service: 'execute-api'. Credential should be scoped with a valid terminator: 'aws4_request'. Authorization={value}",
            scope.get(2).unwrap_or(&"")
        )));
    };
    Ok(AuthHeader { access_key, date, region, service, terminator, signed_headers, signature })
}

impl Verifier {
    pub fn new(region: &str, credentials: Arc<Credentials>) -> Self {
        Self::for_service(region, "execute-api", credentials)
    }

    pub fn for_service(region: &str, service: &str, credentials: Arc<Credentials>) -> Self {
        Self { region: region.into(), service: service.into(), credentials, keys: RwLock::new(HashMap::new()) }
    }

    fn signing_key(&self, key: &AccessKey, date: NaiveDate, date_text: &str) -> Arc<[u8]> {
        let cache_key = (key.access_key_id.clone(), date_text.to_owned());
        if let Some(k) = self.keys.read().ok().and_then(|m| m.get(&cache_key).cloned()) {
            return k;
        }
        let midnight: SystemTime = date.and_hms_opt(0, 0, 0).map(|t| t.and_utc().into()).unwrap_or(SystemTime::UNIX_EPOCH);
        let derived: Arc<[u8]> = Arc::from(aws_sigv4::sign::v4::generate_signing_key(&key.secret_access_key, midnight, &self.region, &self.service).as_ref());
        if let Ok(mut m) = self.keys.write() {
            // Keys are per day: a small bound keeps a flood of access key ids from growing it.
            if m.len() > 10_000 {
                m.clear();
            }
            m.insert(cache_key, derived.clone());
        }
        derived
    }

    /// Forgets cached signing keys (after credentials change).
    pub fn clear_cache(&self) {
        if let Ok(mut m) = self.keys.write() {
            m.clear();
        }
    }

    /// Verifies `req` at time `now`; the access key that signed it on success.
    pub fn verify(&self, req: &Signed<'_>, now: DateTime<Utc>) -> Result<AccessKey, Refusal> {
        let Some(authorization) = header(req.headers, "authorization") else {
            return Err(Refusal::MissingAuthenticationToken);
        };
        let auth = parse_authorization(authorization)?;
        let Some(amz_date) = header(req.headers, "x-amz-date") else {
            return Err(Refusal::IncompleteSignature(format!(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={authorization}"
            )));
        };
        let Ok(signed_at) = NaiveDateTime::parse_from_str(amz_date, SIGNED_DATE).map(|t| t.and_utc()) else {
            return Err(Refusal::IncompleteSignature(format!(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={authorization}"
            )));
        };
        let now_text = now.format(SIGNED_DATE).to_string();
        if signed_at < now - MAX_SKEW {
            return Err(Refusal::InvalidSignature(format!(
                "Signature expired: {amz_date} is now earlier than {} ({now_text} - 5 min.)",
                (now - MAX_SKEW).format(SIGNED_DATE)
            )));
        }
        if signed_at > now + MAX_SKEW {
            return Err(Refusal::InvalidSignature(format!(
                "Signature not yet current: {amz_date} is still later than {} ({now_text} + 5 min.)",
                (now + MAX_SKEW).format(SIGNED_DATE)
            )));
        }
        let day = &amz_date[..8];
        if auth.date != day {
            return Err(Refusal::InvalidSignature(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{day}', from '{amz_date}'.",
                auth.date
            )));
        }
        let mut scope_errors = String::new();
        if auth.region != self.region {
            scope_errors.push_str(&format!("Credential should be scoped to a valid region, not '{}'. ", auth.region));
        }
        if auth.service != self.service {
            scope_errors.push_str(&format!("Credential should be scoped to correct service: '{}'. ", self.service));
        }
        if auth.terminator != "aws4_request" {
            scope_errors.push_str(&format!("Credential should be scoped with a valid terminator: 'aws4_request', not '{}'. ", auth.terminator));
        }
        if !scope_errors.is_empty() {
            return Err(Refusal::InvalidSignature(scope_errors.trim_end().to_owned()));
        }
        let key = self.credentials.access_key(auth.access_key).ok_or(Refusal::InvalidToken)?;
        // Temporary credentials need their token; long-term ones (AKIA…) must not carry one: AWS
        // refuses a leftover AWS_SESSION_TOKEN the same way, so a client that works here works there.
        let sent = header(req.headers, "x-amz-security-token");
        match (&key.session_token, sent) {
            (Some(token), Some(sent)) if bool::from(sent.as_bytes().ct_eq(token.as_bytes())) => {}
            (None, None) => {}
            _ => return Err(Refusal::InvalidToken),
        }

        let signed: Vec<&str> = auth.signed_headers.split(';').collect();
        if !signed.contains(&"host") {
            return Err(Refusal::InvalidSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into()));
        }
        if !signed.contains(&"x-amz-date") {
            return Err(Refusal::InvalidSignature("'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.".into()));
        }
        let payload_hash = match header(req.headers, "x-amz-content-sha256") {
            Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                if !h.eq_ignore_ascii_case(&sha256_hex(req.body)) {
                    return Err(Refusal::InvalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.".into()));
                }
                h.to_owned()
            }
            Some(h) => h.to_owned(),
            None => sha256_hex(req.body),
        };
        let canonical = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            req.method,
            canonical_uri(req.path),
            canonical_query(req.query),
            canonical_headers(req.headers, &signed),
            auth.signed_headers,
            payload_hash
        );
        let scope = format!("{}/{}/{}/aws4_request", auth.date, self.region, self.service);
        let string_to_sign = format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", sha256_hex(canonical.as_bytes()));
        let date = NaiveDate::parse_from_str(auth.date, "%Y%m%d").map_err(|_| Refusal::InvalidSignature("Credential date is not a date.".into()))?;
        let signing_key = self.signing_key(&key, date, auth.date);
        let expected = aws_sigv4::sign::v4::calculate_signature(&signing_key, string_to_sign.as_bytes());
        if !bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) {
            return Err(Refusal::InvalidSignature(format!(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{canonical}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
            )));
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::CredentialFile;

    fn creds() -> Arc<Credentials> {
        Arc::new(Credentials::in_memory(CredentialFile {
            access_keys: vec![AccessKey {
                access_key_id: "AKIDEXAMPLE".into(),
                secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
                principal_arn: "arn:aws:iam::123456789012:user/example".into(),
                session_token: None,
            }],
            api_keys: vec![],
            policies: vec![],
        }))
    }

    /// The headers of AWS's published SigV4 test vector "get-vanilla", with a session token if any.
    fn vanilla(token: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", "example.amazonaws.com".parse().unwrap());
        h.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        h.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
                .parse()
                .unwrap(),
        );
        if let Some(t) = token {
            h.insert("x-amz-security-token", t.parse().unwrap());
        }
        h
    }

    /// AWS's published SigV4 test vector "get-vanilla".
    #[test]
    fn aws_test_suite_get_vanilla() {
        let v = Verifier::for_service("us-east-1", "service", creds());
        let h = vanilla(None);
        let at = NaiveDateTime::parse_from_str("20150830T123900Z", SIGNED_DATE).unwrap().and_utc();
        let req = Signed { method: "GET", path: "/", query: "", headers: &h, body: b"" };
        assert_eq!(v.verify(&req, at).map(|k| k.access_key_id), Ok("AKIDEXAMPLE".into()));
        let tampered = Signed { method: "POST", ..req };
        assert!(
            matches!(v.verify(&tampered, at), Err(Refusal::InvalidSignature(m)) if m.contains("The Canonical String for this request should have been\n'POST\n/\n"))
        );
    }

    #[test]
    fn a_token_must_match_temporary_credentials_and_is_refused_on_long_term_ones() {
        let v = Verifier::for_service("us-east-1", "service", creds());
        let at = NaiveDateTime::parse_from_str("20150830T123900Z", SIGNED_DATE).unwrap().and_utc();
        let with = vanilla(Some("bogus"));
        let req = Signed { method: "GET", path: "/", query: "", headers: &with, body: b"" };
        assert_eq!(v.verify(&req, at), Err(Refusal::InvalidToken), "a long-term key with a stray session token");
        let without = vanilla(None);
        assert!(v.verify(&Signed { headers: &without, ..req }, at).is_ok());
    }

    #[test]
    fn query_canonical_form() {
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("b=2&a=1&a=0"), "a=0&a=1&b=2");
        assert_eq!(canonical_query("flag&x="), "flag=&x=");
        assert_eq!(canonical_query("q=%e8%ab%8b&sp=a%20b&plus=a+b&star=*"), "plus=a%2Bb&q=%E8%AB%8B&sp=a%20b&star=%2A");
        assert_eq!(canonical_query("k=~-_."), "k=~-_.");
    }

    #[test]
    fn path_is_encoded_once_more() {
        assert_eq!(canonical_uri("/v1/tenants/a%2Fb"), "/v1/tenants/a%252Fb");
        assert_eq!(canonical_uri("/v1/x y"), "/v1/x%20y");
        assert_eq!(canonical_uri(""), "/");
    }
}

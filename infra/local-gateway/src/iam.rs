//! The gateway's stand-in for IAM: it mints access keys for registered users (with the identity
//! policy the API asks for), and before any handler runs it checks that policy the way API
//! Gateway checks `execute-api:Invoke` for IAM-authorised methods. A user without a policy (the
//! demo's, or the operator's) may invoke anything, as an administrator could on AWS.

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use common::iam::{AccessKeyIssuer, AccessKeyPair, ApiArn};
use common::store::{PrincipalArn, StoreError};
use serde_json::Value;

use crate::credentials::{AccessKey, Credentials, UserPolicy};

/// What the local gateway calls its API and stage in `execute-api` ARNs (and in events).
pub const API_ID: &str = "local";
pub const STAGE: &str = "local";

/// An access key id in IAM's shape: `AKIA` and 16 of `[A-Z2-7]`.
pub fn access_key_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let tail: String = (0..16).map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char).collect();
    format!("AKIA{tail}")
}

/// A secret access key: 40 characters of base64, as IAM makes them.
pub fn secret_access_key() -> String {
    let bytes: [u8; 30] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The gateway's API in the principal's account and the gateway's Region.
pub fn api_arn(region: &str, principal: &PrincipalArn) -> ApiArn {
    ApiArn {
        partition: principal.partition().to_owned(),
        region: region.to_owned(),
        account: principal.account().to_owned(),
        api_id: API_ID.into(),
        stage: STAGE.into(),
    }
}

pub struct GatewayIam {
    credentials: Arc<Credentials>,
    region: String,
}

impl GatewayIam {
    pub fn new(credentials: Arc<Credentials>, region: &str) -> Self {
        Self { credentials, region: region.to_owned() }
    }
}

#[async_trait]
impl AccessKeyIssuer for GatewayIam {
    fn api_arn(&self, principal: &PrincipalArn) -> ApiArn {
        api_arn(&self.region, principal)
    }

    async fn mint(&self, user: &PrincipalArn, policy: Option<&Value>) -> Result<AccessKeyPair, StoreError> {
        let key = AccessKey { access_key_id: access_key_id(), secret_access_key: secret_access_key(), principal_arn: user.to_string(), session_token: None };
        let pair = AccessKeyPair { access_key_id: key.access_key_id.clone(), secret_access_key: key.secret_access_key.clone() };
        self.credentials
            .modify(|f| {
                f.access_keys.push(key);
                f.policies.retain(|p| p.principal_arn != user.as_str());
                if let Some(document) = policy {
                    f.policies.push(UserPolicy { principal_arn: user.to_string(), document: document.clone() });
                }
            })
            .map_err(|e| StoreError::Unavailable(format!("gateway credential registry: {e}")))?;
        Ok(pair)
    }
}

/// Whether `policy` allows `action` on `resource`: some Allow statement matches and no Deny
/// does (IAM's evaluation for one identity policy). Statements using `NotAction`,
/// `NotResource` or `Condition` match nothing here: the policies this API writes use none.
pub fn allows(policy: &Value, action: &str, resource: &str) -> bool {
    let statements: Vec<&Value> = match &policy["Statement"] {
        Value::Array(list) => list.iter().collect(),
        one @ Value::Object(_) => vec![one],
        _ => Vec::new(),
    };
    let mut allowed = false;
    for s in statements {
        if s.get("NotAction").is_some() || s.get("NotResource").is_some() || s.get("Condition").is_some() {
            continue;
        }
        let any = |v: &Value, what: &str, case_blind: bool| strings(v).iter().any(|p| wildcard(p, what, case_blind));
        if !any(&s["Action"], action, true) || !any(&s["Resource"], resource, false) {
            continue;
        }
        match s["Effect"].as_str() {
            Some("Deny") => return false,
            Some("Allow") => allowed = true,
            _ => {}
        }
    }
    allowed
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// IAM's wildcards: `*` any run of characters (slashes included), `?` any one character.
fn wildcard(pattern: &str, text: &str, case_blind: bool) -> bool {
    let norm = |s: &str| if case_blind { s.to_ascii_lowercase() } else { s.to_owned() };
    let (p, t): (Vec<char>, Vec<char>) = (norm(pattern).chars().collect(), norm(text).chars().collect());
    // Iterative matching with backtracking to the last `*`: linear in practice, no recursion.
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The resource as API Gateway's refusal shows it: the account masked but for its last four digits.
pub fn masked(resource: &str) -> String {
    let mut parts: Vec<String> = resource.splitn(6, ':').map(str::to_owned).collect();
    if let Some(account) = parts.get_mut(4) {
        let keep = account.len().saturating_sub(4);
        *account = format!("{}{}", "*".repeat(keep), &account[keep..]);
    }
    parts.join(":")
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::domain::TenantId;

    #[test]
    fn the_tenant_policy_allows_its_own_reads_only() {
        let user = PrincipalArn::parse("arn:aws:iam::000000000000:user/redmine-a").unwrap();
        let api = api_arn("ap-northeast-1", &user);
        let a = TenantId::parse("tn_0000000000000001").unwrap();
        let policy = common::iam::tenant_policy(&api, &a);
        let ok = |m: &str, p: &str| allows(&policy, "execute-api:Invoke", &api.resource(m, p));
        assert!(ok("GET", "/v1/me"));
        assert!(ok("GET", "/v1/tenants/tn_0000000000000001"));
        assert!(ok("GET", "/v1/tenants/tn_0000000000000001/invoices/INV-2025-000001/pdf"));
        assert!(!ok("GET", "/v1/tenants/tn_0000000000000002"), "another tenant");
        assert!(!ok("GET", "/v1/tenants/tn_0000000000000002/contracts"), "another tenant's data");
        assert!(!ok("GET", "/v1/tenants/tn_00000000000000012/contracts"), "a longer id sharing the prefix");
        assert!(!ok("POST", "/v1/tenants/tn_0000000000000001/billings"), "writes");
        assert!(!ok("GET", "/v1/usage"), "operator reads");
        assert!(!allows(&policy, "execute-api:ManageConnections", &api.resource("GET", "/v1/me")), "other actions");
    }

    #[test]
    fn deny_wins_and_wildcards_follow_iam() {
        let policy = serde_json::json!({"Statement": [
            {"Effect": "Allow", "Action": "execute-api:*", "Resource": "arn:aws:execute-api:*:*:local/*"},
            {"Effect": "Deny", "Action": ["EXECUTE-API:Invoke"], "Resource": "arn:aws:execute-api:*:*:local/*/DELETE/*"},
        ]});
        assert!(allows(&policy, "execute-api:Invoke", "arn:aws:execute-api:ap-northeast-1:000000000000:local/local/GET/v1/me"));
        assert!(!allows(&policy, "execute-api:Invoke", "arn:aws:execute-api:ap-northeast-1:000000000000:local/local/DELETE/v1/principals/x"));
        assert!(wildcard("a?c*", "abcdef", false) && !wildcard("a?c", "abcd", false) && wildcard("*", "", false));
        assert!(!allows(&serde_json::json!({}), "execute-api:Invoke", "x"), "no statement allows nothing");
        assert_eq!(
            masked("arn:aws:execute-api:ap-northeast-1:123456789012:local/local/GET/v1/me"),
            "arn:aws:execute-api:ap-northeast-1:********9012:local/local/GET/v1/me"
        );
    }
}

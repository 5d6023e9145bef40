//! Principals and API keys: who is calling, as the registry records it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::domain::ApiKeyId;
use crate::domain::{Role, TenantId};

/// An IAM principal ARN in the form the registry is keyed by.
///
/// An assumed-role ARN (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`) names the role as
/// `arn:aws:iam::<acct>:role/<role>`: the session name is chosen by whoever assumes the role, so it
/// must never decide who the caller is. A role ARN with a path loses the path, because STS leaves
/// it out of assumed-role ARNs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PrincipalArn(String);

impl PrincipalArn {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let err = || "must be an IAM user or role ARN, or an STS assumed-role ARN".to_string();
        let parts: Vec<&str> = raw.splitn(6, ':').collect();
        let [arn, partition, service, region, account, resource] = parts.as_slice() else {
            return Err(err());
        };
        let partition_ok = !partition.is_empty() && partition.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
        if *arn != "arn" || !partition_ok || !region.is_empty() || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let name_ok = |s: &str| !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
        let (kind, name) = match (*service, resource.split_once('/')) {
            ("sts", Some(("assumed-role", rest))) => {
                let (role, session) = rest.split_once('/').ok_or_else(err)?;
                if !name_ok(role) || !name_ok(session) {
                    return Err(err());
                }
                ("role", role)
            }
            ("iam", Some((kind @ ("role" | "user"), path_and_name))) => {
                let name = path_and_name.rsplit('/').next().unwrap_or_default();
                if !name_ok(name) {
                    return Err(err());
                }
                (kind, name)
            }
            _ => return Err(err()),
        };
        Ok(Self(format!("arn:{partition}:iam::{account}:{kind}/{name}")))
    }

    /// The account the principal lives in.
    pub fn account(&self) -> &str {
        self.0.split(':').nth(4).unwrap_or_default()
    }

    /// The partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub fn partition(&self) -> &str {
        self.0.split(':').nth(1).unwrap_or_default()
    }

    /// An IAM user (as opposed to a role): only users have access keys of their own.
    pub fn is_user(&self) -> bool {
        self.0.split(':').nth(5).is_some_and(|r| r.starts_with("user/"))
    }

    /// The id that names this principal in URLs.
    pub fn id(&self) -> PrincipalId {
        PrincipalId(format!("{}{}", PrincipalId::PREFIX, URL_SAFE_NO_PAD.encode(self.0.as_bytes())))
    }
}

/// A principal's name in URLs: `pr_` and the normalised ARN in URL-safe base64, so that it can be
/// a path segment (an ARN has `/` and `:`) and needs no lookup table to resolve.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct PrincipalId(String);

impl PrincipalId {
    const PREFIX: &'static str = "pr_";

    /// The principal an id names; only ids of normalised ARNs parse, so one principal has one id.
    pub fn parse(raw: &str) -> Result<PrincipalArn, String> {
        let err = || "must be a principal id as listed by GET /v1/principals (pr_…)".to_string();
        let encoded = raw.strip_prefix(Self::PREFIX).ok_or_else(err)?;
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| err())?;
        let text = String::from_utf8(bytes).map_err(|_| err())?;
        let arn = PrincipalArn::parse(&text).map_err(|_| err())?;
        if arn.as_str() != text {
            return Err(err());
        }
        Ok(arn)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<PrincipalId> for String {
    fn from(p: PrincipalId) -> String {
        p.0
    }
}

/// Whom a principal or an API key acts for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum Owner {
    Operator,
    Tenant {
        #[serde(rename = "tenantId")]
        tenant_id: TenantId,
    },
}

impl Owner {
    pub fn role(&self) -> Role {
        match self {
            Owner::Operator => Role::Operator,
            Owner::Tenant { .. } => Role::Tenant,
        }
    }

    pub fn tenant_id(&self) -> Option<&TenantId> {
        match self {
            Owner::Operator => None,
            Owner::Tenant { tenant_id } => Some(tenant_id),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Principal {
    pub arn: PrincipalArn,
    #[serde(flatten)]
    pub owner: Owner,
    /// When it was registered through the API (seeded principals have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_at: Option<DateTime<Utc>>,
}

/// How many principals one owner (a tenant, or the operator) may have: enough for a Redmine per
/// environment and a few people, few enough that listing them is one read.
pub const MAX_PRINCIPALS_PER_OWNER: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyRecord {
    pub api_key_id: ApiKeyId,
    #[serde(flatten)]
    pub owner: Owner,
    pub enabled: bool,
}

crate::domain::parsed_string!(PrincipalArn);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assumed_role_maps_to_its_role_whatever_the_session() {
        let a = PrincipalArn::parse("arn:aws:sts::123456789012:assumed-role/RedmineTenantA/i-0abc").unwrap();
        let b = PrincipalArn::parse("arn:aws:sts::123456789012:assumed-role/RedmineTenantA/operator-admin").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "arn:aws:iam::123456789012:role/RedmineTenantA");
    }

    #[test]
    fn role_paths_are_dropped_and_users_kept() {
        assert_eq!(PrincipalArn::parse("arn:aws:iam::123456789012:role/service/Cms").unwrap().as_str(), "arn:aws:iam::123456789012:role/Cms");
        assert_eq!(PrincipalArn::parse("arn:aws-cn:iam::123456789012:user/ops").unwrap().as_str(), "arn:aws-cn:iam::123456789012:user/ops");
    }

    #[test]
    fn refuses_other_arns() {
        for bad in [
            "",
            "arn:aws:iam::12345678901:role/x",
            "arn:aws:s3:::bucket",
            "arn:aws:sts::123456789012:assumed-role/RoleOnly",
            "arn:aws:iam::123456789012:group/x",
            "arn:aws:iam:ap-northeast-1:123456789012:role/x",
            "arn:aws:iam::123456789012:role/has space",
            "arn:aws:sts::123456789012:federated-user/x",
        ] {
            assert!(PrincipalArn::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ids_round_trip_and_only_for_normalised_arns() {
        let arn = PrincipalArn::parse("arn:aws:iam::123456789012:user/redmine-a").unwrap();
        let id = arn.id();
        assert!(id.as_str().starts_with("pr_") && !id.as_str().contains(['/', ':', '+', '=']), "{id:?}");
        assert_eq!(PrincipalId::parse(id.as_str()).unwrap(), arn);
        let raw = |s: &str| format!("pr_{}", URL_SAFE_NO_PAD.encode(s));
        assert!(PrincipalId::parse(&raw("arn:aws:sts::123456789012:assumed-role/R/s")).is_err(), "not the normalised form");
        for bad in ["", "pr_", "pr_!!", "xx_YXJu", &raw("not an arn")] {
            assert!(PrincipalId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(arn.is_user() && !PrincipalArn::parse("arn:aws:iam::123456789012:role/r").unwrap().is_user());
        assert_eq!((arn.account(), arn.partition()), ("123456789012", "aws"));
    }

    #[test]
    fn owner_serialises_flat() {
        let p = Principal {
            arn: PrincipalArn::parse("arn:aws:iam::123456789012:role/a").unwrap(),
            owner: Owner::Tenant { tenant_id: TenantId::parse("tn_0000000000000001").unwrap() },
            registered_at: None,
        };
        let j = serde_json::to_value(&p).unwrap();
        assert_eq!(j["role"], "tenant");
        assert_eq!(j["tenantId"], "tn_0000000000000001");
        assert_eq!(serde_json::from_value::<Principal>(j).unwrap(), p);
    }
}

//! IAM as the API sees it: the policy that confines a tenant's principal to its own paths, so that
//! API Gateway refuses another tenant's path before any code runs; and the port through which the
//! local gateway, playing IAM, mints access keys for a registered user. On AWS nothing mints keys:
//! the operator (or the tenant's own account) creates them in IAM.

use std::fmt;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::TenantId;
use crate::store::{PrincipalArn, StoreError};

/// The API whose `execute-api:Invoke` a policy allows: `arn:<partition>:execute-api:<region>:
/// <account>:<apiId>/<stage>`. Any part may be `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub api_id: String,
    pub stage: String,
}

impl ApiArn {
    /// The resource ARN of one request (API Gateway uses the request's path, not its template).
    pub fn resource(&self, method: &str, path: &str) -> String {
        format!("arn:{}:execute-api:{}:{}:{}/{}/{method}{path}", self.partition, self.region, self.account, self.api_id, self.stage)
    }
}

/// The identity policy for a tenant's principals: `GET` on its own tenant and everything under
/// it, and `/v1/me`. Every tenant route is a read, and every operator route lies outside these
/// paths, so API Gateway answers anything else with 403 before a Lambda starts.
pub fn tenant_policy(api: &ApiArn, tenant: &TenantId) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "SeikyuTenantReadsItsOwnData",
            "Effect": "Allow",
            "Action": "execute-api:Invoke",
            "Resource": [
                api.resource("GET", "/v1/me"),
                api.resource("GET", &format!("/v1/tenants/{tenant}")),
                api.resource("GET", &format!("/v1/tenants/{tenant}/*")),
            ],
        }],
    })
}

/// An access key pair, shown once.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AccessKeyPair {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl fmt::Debug for AccessKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKeyPair").field("access_key_id", &self.access_key_id).field("secret_access_key", &"(redacted)").finish()
    }
}

/// Mints access keys for IAM users (the local gateway's stand-in for IAM).
#[async_trait]
pub trait AccessKeyIssuer: Send + Sync {
    /// The API as this IAM's policies name it, for principals of `principal`'s account.
    fn api_arn(&self, principal: &PrincipalArn) -> ApiArn;
    /// A new access key that signs as `user`; `policy`, when given, becomes the user's only
    /// identity policy (replacing any earlier one).
    async fn mint(&self, user: &PrincipalArn, policy: Option<&Value>) -> Result<AccessKeyPair, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tenant_policy_names_only_its_own_paths() {
        let api =
            ApiArn { partition: "aws".into(), region: "ap-northeast-1".into(), account: "123456789012".into(), api_id: "a1b2c3".into(), stage: "prod".into() };
        let t = TenantId::parse("tn_0000000000000001").unwrap();
        let p = tenant_policy(&api, &t);
        assert_eq!(p["Statement"][0]["Effect"], "Allow");
        assert_eq!(
            p["Statement"][0]["Resource"],
            json!([
                "arn:aws:execute-api:ap-northeast-1:123456789012:a1b2c3/prod/GET/v1/me",
                "arn:aws:execute-api:ap-northeast-1:123456789012:a1b2c3/prod/GET/v1/tenants/tn_0000000000000001",
                "arn:aws:execute-api:ap-northeast-1:123456789012:a1b2c3/prod/GET/v1/tenants/tn_0000000000000001/*",
            ])
        );
    }
}

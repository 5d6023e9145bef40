//! The principal registry through the API: the operator registers, lists and removes the IAM
//! principals of a tenant and of the operator; any caller asks who it is (`/v1/me`). A principal
//! belongs to exactly one owner, and a change takes effect on the next request, because every
//! request resolves its caller from the registry afresh.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::caller::Caller;
use crate::domain::{MethodThrottle, PlanTier, Role, Tenant, TenantId, TenantStatus, UsagePlan, method_throttles, usage_plan};
use crate::error::ApiError;
use crate::iam::{self, AccessKeyPair};
use crate::store::{ApiKeyId, MAX_PRINCIPALS_PER_OWNER, Owner, Principal, PrincipalArn, PrincipalId, StoreError};
use crate::validation::Validator;

/// `POST /v1/principals`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPrincipal {
    /// An IAM user or role ARN, or an STS assumed-role ARN (which registers its role).
    pub arn: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::Role))]
    pub role: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::domain::TenantId>))]
    pub tenant_id: Option<String>,
    /// Mint an access key pair for the user (the local gateway only).
    #[serde(default)]
    pub access_key: bool,
}

/// A principal as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PrincipalView {
    pub principal_id: PrincipalId,
    pub arn: PrincipalArn,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub tenant_id: Option<TenantId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub registered_at: Option<DateTime<Utc>>,
}

impl From<&Principal> for PrincipalView {
    fn from(p: &Principal) -> Self {
        Self { principal_id: p.arn.id(), arn: p.arn.clone(), role: p.owner.role(), tenant_id: p.owner.tenant_id().cloned(), registered_at: p.registered_at }
    }
}

/// What registering answers: the principal, and the access key minted for it (shown this once).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RegisteredPrincipal))]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    #[serde(flatten)]
    pub principal: PrincipalView,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub access_key: Option<AccessKeyPair>,
    /// False when the principal was already registered to the same owner (nothing changed).
    #[serde(skip)]
    pub created: bool,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrincipalList {
    pub items: Vec<PrincipalView>,
}

fn owner_text(owner: &Owner) -> String {
    match owner.tenant_id() {
        Some(t) => format!("tenant {t}"),
        None => "the operator".into(),
    }
}

/// Validates the body, every field at once.
fn validate(input: NewPrincipal, can_mint: bool) -> Result<(PrincipalArn, Owner, bool), ApiError> {
    let mut v = Validator::new();
    let arn = v.check("arn", PrincipalArn::parse(&input.arn));
    let owner = match (input.role.as_str(), input.tenant_id) {
        ("tenant", Some(raw)) => v.check("tenantId", TenantId::parse(&raw)).map(|tenant_id| Owner::Tenant { tenant_id }),
        ("tenant", None) => {
            v.add("tenantId", "is required for a tenant's principal");
            None
        }
        ("operator", None) => Some(Owner::Operator),
        ("operator", Some(_)) => {
            v.add("tenantId", "must be left out for an operator's principal");
            None
        }
        _ => {
            v.add("role", "must be one of tenant, operator");
            None
        }
    };
    if input.access_key {
        if !can_mint {
            v.add("accessKey", "this deployment does not mint access keys: create one for the user in IAM (see the README's principal set-up)");
        } else if arn.as_ref().is_some_and(|a| !a.is_user()) {
            v.add("accessKey", "only an IAM user has access keys of its own; a role's callers sign with temporary credentials from STS");
        }
    }
    let (arn, owner) = v.finish_with((arn, owner))?;
    Ok((arn, owner, input.access_key))
}

/// Registers a principal for a tenant or for the operator (operator only).
pub async fn register(app: &App, caller: &Caller, input: NewPrincipal) -> Result<Registered, ApiError> {
    caller.require_operator()?;
    let (arn, owner, mint) = validate(input, app.iam.is_some())?;
    if let Some(tenant_id) = owner.tenant_id() {
        match app.stores.tenants.get_tenant(tenant_id).await? {
            None => return Err(ApiError::Validation(vec![crate::validation::FieldError::new("tenantId", "no tenant has this id")])),
            Some(t) if t.status == TenantStatus::Offboarded => {
                return Err(ApiError::Conflict(format!("Tenant {tenant_id} is offboarded: it cannot be given principals.")));
            }
            Some(_) => {}
        }
    }
    let principal = Principal { arn: arn.clone(), owner: owner.clone(), registered_at: Some(app.clock.now()) };
    let stored = match app.stores.principals.get_principal(&arn).await? {
        Some(existing) if existing.owner == owner => Some(existing),
        Some(existing) => {
            return Err(ApiError::Conflict(format!(
                "{arn} is already registered to {}: a principal belongs to one owner; remove it there first.",
                owner_text(&existing.owner)
            )));
        }
        None => None,
    };
    let (principal, created) = match stored {
        Some(existing) => (existing, false),
        None => {
            if app.stores.principals.list_principals(&owner).await?.len() >= MAX_PRINCIPALS_PER_OWNER {
                return Err(ApiError::Conflict(format!(
                    "{} already has {MAX_PRINCIPALS_PER_OWNER} principals, the most one owner may have: remove one first.",
                    owner_text(&owner)
                )));
            }
            match app.stores.principals.register_principal(&principal).await {
                Ok(()) => (principal, true),
                // Registered by a concurrent request: answer as the loser of that race sees it.
                Err(StoreError::AlreadyExists) => {
                    return Err(ApiError::Conflict(format!("{arn} was registered by another request just now; list the principals to see it.")));
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let access_key = match (mint, &app.iam) {
        (true, Some(issuer)) => {
            let policy = owner.tenant_id().map(|t| iam::tenant_policy(&issuer.api_arn(&arn), t));
            Some(issuer.mint(&arn, policy.as_ref()).await?)
        }
        _ => None,
    };
    tracing::info!(principal = %arn, owner = %owner_text(&owner), created, minted = access_key.is_some(), "principal registered");
    Ok(Registered { principal: PrincipalView::from(&principal), access_key, created })
}

/// Whose principals a listing asks for: `?tenantId=` or `?role=operator`.
pub fn owner_of_query(tenant_id: Option<&str>, role: Option<&str>) -> Result<Owner, ApiError> {
    let mut v = Validator::new();
    let owner = match (tenant_id, role) {
        (Some(raw), None | Some("tenant")) => v.check("query.tenantId", TenantId::parse(raw)).map(|tenant_id| Owner::Tenant { tenant_id }),
        (None, Some("operator")) => Some(Owner::Operator),
        (Some(_), Some("operator")) => {
            v.add("query.tenantId", "must be left out with role=operator");
            None
        }
        (None, Some("tenant")) | (None, None) => {
            v.add("query.tenantId", "is required: list a tenant's principals with ?tenantId=, the operator's with ?role=operator");
            None
        }
        (_, Some(_)) => {
            v.add("query.role", "must be one of tenant, operator");
            None
        }
    };
    v.finish_with(owner)
}

/// The owner's principals (operator only).
pub async fn list(app: &App, caller: &Caller, owner: &Owner) -> Result<PrincipalList, ApiError> {
    caller.require_operator()?;
    let mut items: Vec<PrincipalView> = app.stores.principals.list_principals(owner).await?.iter().map(PrincipalView::from).collect();
    items.sort_by(|a, b| a.arn.as_str().cmp(b.arn.as_str()));
    Ok(PrincipalList { items })
}

/// Removes a principal (operator only); its next request is refused. The operator cannot remove
/// the principal it is signing with, so it never locks itself out by mistake.
pub async fn remove(app: &App, caller: &Caller, arn: &PrincipalArn) -> Result<(), ApiError> {
    caller.require_operator()?;
    if app.stores.principals.get_principal(arn).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    if arn == &caller.principal {
        return Err(ApiError::Conflict("This is the principal signing this request: remove it while signed in as another operator principal.".into()));
    }
    app.stores.principals.delete_principal(arn).await?;
    tracing::info!(principal = %arn, "principal removed");
    Ok(())
}

/// The tenant part of `/v1/me`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MeTenant {
    pub name: String,
    pub status: TenantStatus,
    pub plan_tier: PlanTier,
}

/// `GET /v1/me`: who the caller is, so a client needs no tenant id configured.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub role: Role,
    pub principal: PrincipalArn,
    pub principal_id: PrincipalId,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub api_key_id: Option<ApiKeyId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub tenant_id: Option<TenantId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub tenant: Option<MeTenant>,
    /// The usage plan the caller's API key is on (the operator's key is on premium).
    pub plan: UsagePlan,
    /// The exports' own throttles under that plan (`billings.csv`, `invoices.zip`): API Gateway's
    /// 429 says no Retry-After, so a client paces itself from these.
    #[cfg_attr(feature = "openapi", schema(min_items = 2, max_items = 2))]
    pub method_throttles: [MethodThrottle; 2],
}

pub async fn me(app: &App, caller: &Caller) -> Result<Me, ApiError> {
    let tenant = match caller.tenant_id() {
        None => None,
        Some(id) => {
            Some(app.stores.tenants.get_tenant(id).await?.ok_or_else(|| ApiError::Internal(format!("principal of {id} names a tenant that does not exist")))?)
        }
    };
    Ok(Me::of(caller, tenant))
}

impl Me {
    /// The caller as `/v1/me` shows it, with its tenant's record (none for the operator).
    pub fn of(caller: &Caller, tenant: Option<Tenant>) -> Self {
        let tier = tenant.as_ref().map_or(PlanTier::Premium, |t| t.plan_tier);
        Me {
            role: caller.role(),
            principal: caller.principal.clone(),
            principal_id: caller.principal.id(),
            api_key_id: caller.api_key_id.clone(),
            tenant_id: caller.tenant_id().cloned(),
            tenant: tenant.map(|t| MeTenant { name: t.name, status: t.status, plan_tier: t.plan_tier }),
            plan: usage_plan(tier),
            method_throttles: method_throttles(tier),
        }
    }
}

/// The IAM policy to attach to a tenant's principals (operator only), for the API the request
/// came through (`api`), or the local gateway's own where it plays IAM.
pub async fn tenant_policy(app: &App, caller: &Caller, tenant: &TenantId, api: iam::ApiArn) -> Result<serde_json::Value, ApiError> {
    caller.require_operator()?;
    app.stores.tenants.get_tenant(tenant).await?.ok_or(ApiError::NotFound)?;
    let api = app.iam.as_ref().map_or(api, |issuer| issuer.api_arn(&caller.principal));
    Ok(iam::tenant_policy(&api, tenant))
}

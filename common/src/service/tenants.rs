//! Onboarding, reading and updating tenants.

use serde::Deserialize;

use crate::app::App;
use crate::caller::Caller;
use crate::domain::{BillingContact, CustomerProfile, Email, PlanTier, PostalCode, Tenant, TenantId, TenantStatus};
use crate::error::ApiError;
use crate::http::{IfMatch, Patch};
use crate::service::tenant_keys::{self, KeyView};
use crate::store::StoreError;
use crate::validation::{Validator, text};

const NAME_MAX: usize = 100;
const ADDRESS_MAX: usize = 200;

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BillingContactInput {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::Email))]
    pub email: String,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerProfileInput {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub company_name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::PostalCode))]
    pub postal_code: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
    pub address: String,
    pub billing_contact: BillingContactInput,
}

/// `POST /v1/tenants`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTenant {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub name: String,
    pub customer_profile: CustomerProfileInput,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::PlanTier))]
    pub plan_tier: String,
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BillingContactPatch {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub name: Patch<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::Email))]
    pub email: Patch<String>,
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerProfilePatch {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub company_name: Patch<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::PostalCode))]
    pub postal_code: Patch<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
    pub address: Patch<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = BillingContactPatch))]
    pub billing_contact: Patch<BillingContactPatch>,
}

/// `PATCH /v1/tenants/{tenantId}`: a JSON merge patch of the writable fields.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantPatch {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub name: Patch<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = CustomerProfilePatch))]
    pub customer_profile: Patch<CustomerProfilePatch>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::PlanTier))]
    pub plan_tier: Patch<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::TenantStatus))]
    pub status: Patch<String>,
}

fn profile(input: CustomerProfileInput, v: &mut Validator) -> Option<CustomerProfile> {
    let company_name = v.check("customerProfile.companyName", text(&input.company_name, NAME_MAX, 1));
    let postal_code = v.check("customerProfile.postalCode", PostalCode::parse(&input.postal_code));
    let address = v.check("customerProfile.address", text(&input.address, ADDRESS_MAX, 1));
    let contact_name = v.check("customerProfile.billingContact.name", text(&input.billing_contact.name, NAME_MAX, 1));
    let email = v.check("customerProfile.billingContact.email", Email::parse(&input.billing_contact.email));
    Some(CustomerProfile {
        company_name: company_name?,
        postal_code: postal_code?,
        address: address?,
        billing_contact: BillingContact { name: contact_name?, email: email? },
    })
}

/// A tenant just onboarded, with its API key (the value is shown this once).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Onboarded {
    #[serde(flatten)]
    pub tenant: Tenant,
    pub api_key: KeyView,
}

/// Onboards a tenant (operator only): its API key on its tier's plan first, so that no tenant is
/// ever stored without one. Its id is generated; a collision is retried.
pub async fn create(app: &App, caller: &Caller, input: NewTenant) -> Result<Onboarded, ApiError> {
    onboard(app, caller, input, None).await
}

/// Onboards a tenant under an id derived from the request's `Idempotency-Key`
/// (`http::idempotency::derived_tenant_id`): a re-run of a request whose answer was lost finds the
/// tenant it made (409 naming it) instead of onboarding a second one.
pub async fn create_with_id(app: &App, caller: &Caller, input: NewTenant, id: TenantId) -> Result<Onboarded, ApiError> {
    onboard(app, caller, input, Some(id)).await
}

async fn onboard(app: &App, caller: &Caller, input: NewTenant, derived: Option<TenantId>) -> Result<Onboarded, ApiError> {
    caller.require_operator()?;
    let mut v = Validator::new();
    let name = v.check("name", text(&input.name, NAME_MAX, 1));
    let plan_tier = v.check("planTier", PlanTier::parse(&input.plan_tier));
    let profile = profile(input.customer_profile, &mut v);
    let (name, plan_tier, customer_profile) = v.finish_with((name, plan_tier, profile))?;
    let now = app.clock.now();
    let attempts = if derived.is_some() { 1 } else { 3 };
    for _ in 0..attempts {
        let tenant_id = derived.clone().unwrap_or_else(|| app.ids.tenant_id());
        if app.stores.tenants.get_tenant(&tenant_id).await?.is_some() {
            if derived.is_some() {
                return Err(already_onboarded(&tenant_id));
            }
            continue;
        }
        let key = tenant_keys::create(app, &tenant_id, plan_tier, true).await?;
        let tenant = Tenant {
            tenant_id,
            name: name.clone(),
            customer_profile: customer_profile.clone(),
            plan_tier,
            status: TenantStatus::Active,
            api_key_id: Some(key.id.clone()),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        match app.stores.tenants.create_tenant(&tenant).await {
            Ok(()) => {
                tracing::info!(tenant_id = %tenant.tenant_id, "tenant onboarded");
                return Ok(Onboarded { tenant, api_key: key.into() });
            }
            Err(StoreError::AlreadyExists) => {
                tenant_keys::discard(app, &key.id).await;
                if derived.is_some() {
                    return Err(already_onboarded(&tenant.tenant_id));
                }
            }
            // The write may have happened (a timeout): look before discarding the key.
            Err(e) => match app.stores.tenants.get_tenant(&tenant.tenant_id).await {
                Ok(Some(stored)) if stored.api_key_id.as_ref() == Some(&key.id) => {
                    tracing::info!(tenant_id = %tenant.tenant_id, error = %e, "tenant onboarded (its write answered an error, but it is stored)");
                    return Ok(Onboarded { tenant: stored, api_key: key.into() });
                }
                Ok(_) => {
                    tenant_keys::discard(app, &key.id).await;
                    return Err(e.into());
                }
                // Unknown: the key stays (the repair sweep deletes it if no tenant holds it).
                Err(_) => return Err(e.into()),
            },
        }
    }
    Err(ApiError::Internal("three tenant id collisions in a row".into()))
}

/// A retried onboarding whose first attempt stored the tenant but whose answer was not kept: the
/// client learns the id; the key's value was shown once and only a rotation shows a new one.
fn already_onboarded(id: &TenantId) -> ApiError {
    ApiError::Conflict(format!(
        "This Idempotency-Key already onboarded tenant {id}, but its answer is no longer kept. Read the tenant with GET /v1/tenants/{id}; rotate its API key (POST /v1/tenants/{id}/api-key/rotate) for a value to hand over."
    ))
}

/// Whether two versions of a tenant hold the same fields (their version and time aside).
fn same_content(a: &Tenant, b: &Tenant) -> bool {
    Tenant { version: b.version, updated_at: b.updated_at, ..a.clone() } == *b
}

/// Reads a tenant: the operator any, a tenant only itself.
pub async fn get(app: &App, caller: &Caller, id: &TenantId) -> Result<Tenant, ApiError> {
    caller.authorize_tenant(id)?;
    app.stores.tenants.get_tenant(id).await?.ok_or(ApiError::NotFound)
}

/// Applies a merge patch (operator only) when `If-Match` names the current version.
pub async fn update(app: &App, caller: &Caller, id: &TenantId, patch: TenantPatch, precondition: Option<IfMatch>) -> Result<Tenant, ApiError> {
    caller.require_operator()?;
    let precondition = precondition.ok_or_else(|| ApiError::PreconditionRequired("Send If-Match with the tenant's ETag to update it.".into()))?;
    let current = app.stores.tenants.get_tenant(id).await?.ok_or(ApiError::NotFound)?;
    let mut next = current.clone();
    let mut v = Validator::new();
    let key_fields = patch.plan_tier.is_present() || patch.status.is_present();
    if let Some(name) = patch.name.required("name", &mut v) {
        next.name = v.check("name", text(&name, NAME_MAX, 1)).unwrap_or(next.name);
    }
    if let Some(tier) = patch.plan_tier.required("planTier", &mut v) {
        next.plan_tier = v.check("planTier", PlanTier::parse(&tier)).unwrap_or(next.plan_tier);
    }
    if let Some(status) = patch.status.required("status", &mut v) {
        next.status = v.check("status", TenantStatus::parse(&status)).unwrap_or(next.status);
    }
    if let Some(p) = patch.customer_profile.required("customerProfile", &mut v) {
        let cp = &mut next.customer_profile;
        if let Some(s) = p.company_name.required("customerProfile.companyName", &mut v) {
            cp.company_name = v.check("customerProfile.companyName", text(&s, NAME_MAX, 1)).unwrap_or(cp.company_name.clone());
        }
        if let Some(s) = p.postal_code.required("customerProfile.postalCode", &mut v) {
            cp.postal_code = v.check("customerProfile.postalCode", PostalCode::parse(&s)).unwrap_or(cp.postal_code.clone());
        }
        if let Some(s) = p.address.required("customerProfile.address", &mut v) {
            cp.address = v.check("customerProfile.address", text(&s, ADDRESS_MAX, 1)).unwrap_or(cp.address.clone());
        }
        if let Some(c) = p.billing_contact.required("customerProfile.billingContact", &mut v) {
            let bc = &mut cp.billing_contact;
            if let Some(s) = c.name.required("customerProfile.billingContact.name", &mut v) {
                bc.name = v.check("customerProfile.billingContact.name", text(&s, NAME_MAX, 1)).unwrap_or(bc.name.clone());
            }
            if let Some(s) = c.email.required("customerProfile.billingContact.email", &mut v) {
                bc.email = v.check("customerProfile.billingContact.email", Email::parse(&s)).unwrap_or(bc.email.clone());
            }
        }
    }
    v.finish()?;
    if !precondition.matches(current.version) {
        // A retry of a change that was stored but answered with an error (RFC 9110 13.1.1 allows
        // a 2xx when the change has already been applied): finish it, so the key follows.
        if same_content(&next, &current) {
            if key_fields {
                tenant_keys::sync(app, &current).await?;
            }
            return Ok(current);
        }
        return Err(ApiError::PreconditionFailed("The tenant has changed since you read it; fetch it again and retry with its new ETag.".into()));
    }
    if current.status == TenantStatus::Offboarded && next.status != TenantStatus::Offboarded {
        return Err(ApiError::Conflict("An offboarded tenant cannot come back; onboard it again as a new tenant.".into()));
    }
    next.version = current.version + 1;
    next.updated_at = app.clock.now();
    app.stores.tenants.replace_tenant(&next, current.version).await?;
    tracing::info!(tenant_id = %id, version = next.version, "tenant updated");
    // After the record: a failure here answers 503, and sending the same change again (with the
    // new ETag) brings the key in line.
    if key_fields {
        tenant_keys::sync(app, &next).await?;
    }
    Ok(next)
}

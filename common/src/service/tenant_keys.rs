//! A tenant's API key through its life: made at onboarding on its tier's plan, moved with the
//! tier, disabled while suspended, deleted at offboarding, replaced by rotation. API Gateway (or
//! the local gateway) enforces the key; the principal registry's record of it is what the backend
//! checks, so both are kept in step, the registry last on the way in and first on the way out.

use std::sync::Arc;

use serde::Serialize;

use crate::apikeys::{ApiKeys, NewKey};
use crate::app::App;
use crate::caller::Caller;
use crate::domain::{ApiKeyId, PlanTier, Tenant, TenantId, TenantStatus};
use crate::error::ApiError;
use crate::store::{ApiKeyRecord, Owner, StoreError};

/// A key as shown once to the operator, to hand to the tenant's client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    pub id: ApiKeyId,
    pub value: String,
}

impl From<NewKey> for KeyView {
    fn from(k: NewKey) -> Self {
        Self { id: k.id, value: k.value }
    }
}

pub(crate) fn keys(app: &App) -> Result<&Arc<dyn ApiKeys>, ApiError> {
    app.keys.as_ref().ok_or_else(|| ApiError::Internal("no API key manager configured for this route".into()))
}

fn record(key: &ApiKeyId, tenant: &TenantId, enabled: bool) -> ApiKeyRecord {
    ApiKeyRecord { api_key_id: key.clone(), owner: Owner::Tenant { tenant_id: tenant.clone() }, enabled }
}

/// Makes a key for `tenant` on `tier`'s plan and records it.
pub(crate) async fn create(app: &App, tenant: &TenantId, tier: PlanTier, enabled: bool) -> Result<NewKey, ApiError> {
    let keys = keys(app)?;
    let key = keys.create_key(tenant, tier, enabled).await?;
    if let Err(e) = app.stores.principals.put_api_key(&record(&key.id, tenant, enabled)).await {
        discard(app, &key.id).await;
        return Err(e.into());
    }
    tracing::info!(tenant_id = %tenant, api_key_id = %key.id.as_str(), ?tier, "API key created");
    Ok(key)
}

/// Deletes a key and its record; failures are logged (for keys never handed out).
pub(crate) async fn discard(app: &App, key: &ApiKeyId) {
    if let Err(e) = delete(app, key).await {
        tracing::error!(error = %e, api_key_id = %key.as_str(), "could not delete an unused API key; delete it by hand");
    }
}

/// Deletes a key: the registry's record first, so the backend refuses it even before API
/// Gateway forgets it.
pub(crate) async fn delete(app: &App, key: &ApiKeyId) -> Result<(), ApiError> {
    app.stores.principals.delete_api_key(key).await?;
    keys(app)?.delete_key(key).await?;
    Ok(())
}

/// Brings the tenant's key in line with its record: plan of its tier, enabled only while active,
/// deleted once offboarded. Idempotent, so repeating the change that failed repairs it.
pub(crate) async fn sync(app: &App, tenant: &Tenant) -> Result<(), ApiError> {
    let Some(key) = &tenant.api_key_id else { return Ok(()) };
    match tenant.status {
        TenantStatus::Offboarded => delete(app, key).await?,
        status => {
            let enabled = status == TenantStatus::Active;
            // Disabling: the registry first; enabling: API Gateway first. Either way the key
            // never works where the record says it should not.
            if !enabled {
                app.stores.principals.put_api_key(&record(key, &tenant.tenant_id, false)).await?;
            }
            keys(app)?.set_key(key, tenant.plan_tier, enabled).await?;
            if enabled {
                app.stores.principals.put_api_key(&record(key, &tenant.tenant_id, true)).await?;
            }
        }
    }
    tracing::info!(tenant_id = %tenant.tenant_id, api_key_id = %key.as_str(), tier = ?tenant.plan_tier, status = ?tenant.status, "API key in step with the tenant");
    Ok(())
}

/// `POST /v1/tenants/{tenantId}/api-key/rotate`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RotatedApiKey))]
#[serde(rename_all = "camelCase")]
pub struct Rotated {
    pub tenant_id: TenantId,
    pub api_key: KeyView,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub revoked_api_key_id: Option<ApiKeyId>,
}

const ROTATE_ATTEMPTS: usize = 3;

/// Replaces the tenant's key (operator only): a new key on its plan, the old one deleted before
/// the new one is recorded, so that after a success the old key never works again. A failure
/// part-way leaves the tenant without a working key at worst, and rotating again repairs it.
pub async fn rotate(app: &App, caller: &Caller, id: &TenantId) -> Result<Rotated, ApiError> {
    caller.require_operator()?;
    let tenant = app.stores.tenants.get_tenant(id).await?.ok_or(ApiError::NotFound)?;
    if tenant.status == TenantStatus::Offboarded {
        return Err(ApiError::Conflict("The tenant is offboarded and has no API key; onboard it again instead.".into()));
    }
    let new = create(app, id, tenant.plan_tier, tenant.status == TenantStatus::Active).await?;
    let old = tenant.api_key_id.clone();
    if let Some(old) = &old
        && let Err(e) = delete(app, old).await
    {
        discard(app, &new.id).await;
        return Err(e);
    }
    let mut current = tenant;
    for _ in 0..ROTATE_ATTEMPTS {
        let next = Tenant { api_key_id: Some(new.id.clone()), version: current.version + 1, updated_at: app.clock.now(), ..current.clone() };
        match app.stores.tenants.replace_tenant(&next, current.version).await {
            Ok(()) => {
                // A tier change or suspension that raced the rotation applies to the new key too.
                sync(app, &next).await?;
                tracing::info!(tenant_id = %id, api_key_id = %new.id.as_str(), "API key rotated");
                return Ok(Rotated { tenant_id: id.clone(), api_key: new.into(), revoked_api_key_id: old });
            }
            Err(StoreError::VersionMismatch) => {
                current = app.stores.tenants.get_tenant(id).await?.ok_or(ApiError::NotFound)?;
                if current.status == TenantStatus::Offboarded {
                    break;
                }
            }
            Err(e) => {
                // The write may have happened (a timeout): the new key is discarded only when
                // the tenant is known not to hold it.
                match app.stores.tenants.get_tenant(id).await {
                    Ok(Some(t)) if t.api_key_id.as_ref() == Some(&new.id) => {
                        sync(app, &t).await?;
                        tracing::info!(tenant_id = %id, api_key_id = %new.id.as_str(), "API key rotated (its write answered an error, but it is stored)");
                        return Ok(Rotated { tenant_id: id.clone(), api_key: new.into(), revoked_api_key_id: old });
                    }
                    Ok(_) => discard(app, &new.id).await,
                    Err(_) => {}
                }
                return Err(e.into());
            }
        }
    }
    discard(app, &new.id).await;
    Err(ApiError::Conflict("The tenant changed while its key was being rotated; rotate again.".into()))
}

//! Tenants' API keys against the gateway (API Gateway, or the local registry) and the principal
//! registry's records of them.

use std::collections::{BTreeMap, BTreeSet};

use super::{Action, Kind, Options, Report, settled};
use crate::apikeys::KeyState;
use crate::app::App;
use crate::domain::{Tenant, TenantStatus};
use crate::error::ApiError;
use crate::service::tenant_keys;
use crate::store::Owner;

pub(super) async fn sweep(app: &App, o: &Options, tenants: &[Tenant], r: &mut Report) -> Result<(), ApiError> {
    let Some(keys) = &app.keys else { return Ok(()) };
    let states = keys.list_keys().await?;
    r.checked.keys = Some(states.len() as u64);
    let at_gateway: BTreeMap<&str, &KeyState> = states.iter().map(|k| (k.id.as_str(), k)).collect();
    for tenant in tenants {
        check_tenant(app, o, tenant, at_gateway.get(tenant.api_key_id.as_ref().map_or("", |k| k.as_str())).copied(), r).await?;
    }
    // An offboarded tenant's key is its own check's (above).
    let held: BTreeSet<&str> = tenants.iter().filter_map(|t| t.api_key_id.as_ref()).map(|k| k.as_str()).collect();
    let now = app.clock.now();
    for key in states.iter().filter(|k| !held.contains(k.id.as_str())) {
        // A key being made for an onboarding (or rotation) is not held yet: leave young ones.
        if key.created.is_some_and(|c| !settled(c, now, o.grace)) {
            continue;
        }
        let detail = format!(
            "made for tenant {} ({}), held by no tenant: deleted (its value was never handed out, or its tenant moved on)",
            key.tenant,
            if key.enabled { "enabled" } else { "disabled" }
        );
        let deleted = if o.dry_run { Ok(()) } else { tenant_keys::delete(app, &key.id).await };
        r.outcome(Kind::OrphanKey, key.id.as_str(), Action::Deleted, detail, deleted);
    }
    Ok(())
}

/// One tenant's key: on its tier's plan, enabled exactly while active, recorded the same way in
/// the registry; gone once offboarded.
async fn check_tenant(app: &App, o: &Options, tenant: &Tenant, at_gateway: Option<&KeyState>, r: &mut Report) -> Result<(), ApiError> {
    let Some(id) = &tenant.api_key_id else {
        if tenant.status != TenantStatus::Offboarded {
            r.add(Kind::MissingKey, tenant.tenant_id.as_str(), Action::Reported, "the tenant has no API key: rotate its key to give it one");
        }
        return Ok(());
    };
    let record = app.stores.principals.get_api_key(id).await?;
    let mut wrong = Vec::new();
    match tenant.status {
        TenantStatus::Offboarded => {
            if at_gateway.is_some() {
                wrong.push("offboarded, its key still at the gateway".to_owned());
            }
            if record.is_some() {
                wrong.push("offboarded, its key still in the registry".to_owned());
            }
        }
        status => {
            let enabled = status == TenantStatus::Active;
            let Some(state) = at_gateway else {
                let detail = format!("its key {} is not at the gateway: rotate the tenant's key (the new value goes to the tenant)", id.as_str());
                r.add(Kind::MissingKey, tenant.tenant_id.as_str(), Action::Reported, detail);
                return Ok(());
            };
            if state.tiers != [tenant.plan_tier] {
                wrong.push(format!("on the plans of {:?}, not {:?}'s", state.tiers, tenant.plan_tier));
            }
            if state.enabled != enabled {
                wrong.push(format!("{} at the gateway while the tenant is {status:?}", if state.enabled { "enabled" } else { "disabled" }));
            }
            let owner = Owner::Tenant { tenant_id: tenant.tenant_id.clone() };
            match &record {
                Some(rec) if rec.owner == owner && rec.enabled == enabled => {}
                Some(rec) => wrong.push(format!("the registry says {:?}, enabled {}", rec.owner, rec.enabled)),
                None => wrong.push("not in the registry".to_owned()),
            }
        }
    }
    if !wrong.is_empty() {
        let detail = format!("key {}: {}; brought in line with the tenant", id.as_str(), wrong.join("; "));
        let synced = if o.dry_run { Ok(()) } else { tenant_keys::sync(app, tenant).await };
        r.outcome(Kind::KeyDrift, tenant.tenant_id.as_str(), Action::Repaired, detail, synced);
    }
    Ok(())
}

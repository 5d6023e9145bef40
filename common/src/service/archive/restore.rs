//! Restoring an archive: verified whole against its manifest, then written where the tenant is
//! absent or holds only what a purge keeps.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::source::Source;
use super::{Counts, FORMAT_VERSION, MANIFEST, Manifest, RECORD_PARTS, audited, plan, read_object, retention_years, sha256_hex, tenant_objects};
use crate::app::App;
use crate::caller::Caller;
use crate::domain::{Invoice, TenantId, TenantStatus};
use crate::error::ApiError;
use crate::export::unzip;
use crate::store::{ObjectKey, TenantRecords};

/// What a restore wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RestoreReport {
    pub tenant_id: TenantId,
    pub exported_at: DateTime<Utc>,
    /// Records and objects in the archive, by kind.
    pub restored: Counts,
    /// Of those, the ones the target already held, identical (what a purge kept).
    pub already_present: u64,
    /// Invoice-number counters raised so that no number in the archive is handed out again.
    pub counters: BTreeMap<i32, u64>,
}

fn refused(why: impl Into<String>) -> ApiError {
    ApiError::Unprocessable(why.into())
}

fn parse_lines<T: serde::de::DeserializeOwned>(name: &str, bytes: &[u8]) -> Result<Vec<T>, ApiError> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(n, l)| serde_json::from_slice(l).map_err(|e| refused(format!("{name} line {}: {e}", n + 1))))
        .collect()
}

/// A verified archive: its manifest, records, and objects (full key, where its bytes are in the
/// archive, their SHA-256, content type), read when written.
pub struct Verified {
    pub manifest: Manifest,
    pub records: TenantRecords,
    pub objects: Vec<(String, std::ops::Range<u64>, String, String)>,
}

/// Checks an archive against its manifest: format version, tenant, every part present with its
/// SHA-256, size and count, and nothing else in it. 422 with the first thing wrong. Records are
/// kept in memory; objects are only hashed (read again when written).
pub async fn verify(app: &App, tenant: &TenantId, src: &Source) -> Result<Verified, ApiError> {
    let (entries, directory) = src.directory(app).await?;
    let mut starts: Vec<u64> = entries.iter().map(|e| e.offset).collect();
    starts.sort_unstable();
    // An entry's header, bytes and descriptor end where the next entry (or the directory) starts.
    let stop = |offset: u64| starts.get(starts.partition_point(|&o| o <= offset)).copied().unwrap_or(directory);
    let by_name: BTreeMap<&str, &unzip::Central> = entries.iter().map(|e| (e.name.as_str(), e)).collect();
    let manifest = by_name.get(MANIFEST).ok_or_else(|| refused("The archive has no manifest.json: it is not a tenant archive, or is partial."))?;
    let manifest = src.entry(app, manifest, stop(manifest.offset), true).await?.kept.unwrap_or_default();
    let manifest: Manifest = serde_json::from_slice(&manifest).map_err(|e| refused(format!("manifest.json is not a manifest: {e}")))?;
    if manifest.format_version != FORMAT_VERSION {
        return Err(refused(format!("The archive's format version is {}; this deployment reads version {FORMAT_VERSION}.", manifest.format_version)));
    }
    if &manifest.tenant_id != tenant {
        return Err(refused(format!("The archive is tenant {}'s, not {tenant}'s.", manifest.tenant_id)));
    }
    let named: BTreeSet<&str> = manifest.parts.iter().map(|p| p.name.as_str()).collect();
    if let Some(extra) = entries.iter().find(|e| e.name != MANIFEST && !named.contains(e.name.as_str())) {
        return Err(refused(format!("The archive holds {}, which its manifest does not list: it was altered.", extra.name)));
    }
    let mut data = BTreeMap::new();
    for part in &manifest.parts {
        let e = by_name.get(part.name.as_str()).ok_or_else(|| refused(format!("The archive is partial: {} is missing.", part.name)))?;
        let altered = || refused(format!("{} does not match its SHA-256 in the manifest: the archive was altered or damaged.", part.name));
        if e.size != part.size {
            return Err(altered());
        }
        let read = src.entry(app, e, stop(e.offset), part.name.starts_with("records/")).await?;
        if read.sha256 != part.sha256 {
            return Err(altered());
        }
        data.insert(part.name.clone(), (part, read));
    }
    let mut records = TenantRecords::default();
    for kind in RECORD_PARTS {
        let name = format!("records/{kind}.ndjson");
        let (part, read) = data.remove(&name).ok_or_else(|| refused(format!("The archive is partial: {name} is missing.")))?;
        let bytes = read.kept.unwrap_or_default();
        let count = bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() as u64;
        if count != part.count {
            return Err(refused(format!("{name} holds {count} records; the manifest says {}: the archive is partial.", part.count)));
        }
        match kind {
            "tenant" => records.tenant = parse_lines(&name, &bytes)?.pop(),
            "contracts" => records.contracts = parse_lines(&name, &bytes)?,
            "billings" => records.billings = parse_lines(&name, &bytes)?,
            "invoices" => records.invoices = parse_lines(&name, &bytes)?,
            "usage" => records.usage = parse_lines(&name, &bytes)?,
            "audit" => records.audit = parse_lines(&name, &bytes)?,
            "principals" => records.principals = parse_lines(&name, &bytes)?,
            _ => records.api_keys = parse_lines(&name, &bytes)?,
        }
    }
    check_ownership(tenant, &records)?;
    let mut objects = Vec::new();
    for (name, (part, read)) in data {
        let path = name.strip_prefix("objects/").ok_or_else(|| refused(format!("{name} is neither a record part nor an object")))?;
        let key = ObjectKey::new(tenant, path).map_err(|e| refused(format!("{name}: {e}")))?;
        let content_type = part.content_type.clone().unwrap_or_else(|| "application/octet-stream".into());
        objects.push((key.as_str().to_owned(), read.data, read.sha256, content_type));
    }
    Ok(Verified { manifest, records, objects })
}

fn check_ownership(t: &TenantId, r: &TenantRecords) -> Result<(), ApiError> {
    let mine = r.tenant.as_ref().is_none_or(|x| &x.tenant_id == t)
        && r.contracts.iter().all(|c| &c.tenant_id == t)
        && r.billings.iter().all(|b| &b.tenant_id == t)
        && r.invoices.iter().all(|i| &i.tenant_id == t)
        && r.audit.iter().all(|e| e.tenant_id.as_ref() == Some(t))
        && r.principals.iter().all(|p| p.owner.tenant_id() == Some(t))
        && r.api_keys.iter().all(|k| k.owner.tenant_id() == Some(t));
    if mine { Ok(()) } else { Err(refused(format!("The archive holds records of a tenant other than {t}."))) }
}

fn same<T: Serialize>(a: &T, b: &T) -> bool {
    matches!((serde_json::to_vec(a), serde_json::to_vec(b)), (Ok(x), Ok(y)) if x == y)
}

/// Restores a verified archive where the tenant is absent, or holds only what a purge keeps and
/// that identical to the archive's (409 otherwise). Raises the invoice-number counters of the
/// archive's years past its highest numbers.
pub async fn restore(app: &App, caller: &Caller, tenant: &TenantId, src: &Source) -> Result<RestoreReport, ApiError> {
    caller.require_operator()?;
    let v = verify(app, tenant, src).await?;
    let target = app.stores.archive.tenant_records(tenant).await?;
    let target_objects = tenant_objects(app, tenant).await?;
    let not_empty = |what: String| {
        ApiError::Conflict(format!(
            "The target already holds {what} of tenant {tenant}: restore only into a place without the tenant (or where a purge left only what it keeps, unchanged)."
        ))
    };
    if let Some(t) = &target.tenant
        && t.status != TenantStatus::Offboarded
    {
        return Err(not_empty(format!("the tenant itself ({})", serde_json::to_value(t.status).unwrap_or_default())));
    }
    let p = plan(&target, &target_objects, app.clock.now().date_naive(), retention_years());
    if p.removes_anything() {
        return Err(not_empty("records a purge would remove".into()));
    }
    let mut present = 0;
    if let Some(t) = &target.tenant {
        if !v.records.tenant.as_ref().is_some_and(|a| same(a, t)) {
            return Err(not_empty("a different tenant record".into()));
        }
        present += 1;
    }
    for i in &target.invoices {
        if !v.records.invoices.iter().any(|a| same(a, i)) {
            return Err(not_empty(format!("invoice {} (different from the archive's)", i.invoice_number)));
        }
        present += 1;
    }
    for b in &target.billings {
        if !v.records.billings.iter().any(|a| same(a, b)) {
            return Err(not_empty(format!("billing record {} (different from the archive's)", b.billing_id)));
        }
        present += 1;
    }
    for e in &target.audit {
        if let Some(a) = v.records.audit.iter().find(|a| a.entry_id == e.entry_id) {
            if !same(a, e) {
                return Err(not_empty(format!("audit entry {} (different from the archive's)", e.entry_id)));
            }
            present += 1;
        }
    }
    let mut held = BTreeSet::new();
    for o in &target_objects {
        let key = ObjectKey::parse_full(&o.key).map_err(ApiError::Internal)?;
        let theirs = read_object(app, &key).await?.map(|(b, _)| sha256_hex(&b));
        if !v.objects.iter().any(|(k, _, sha, _)| k == &o.key && Some(sha) == theirs.as_ref()) {
            return Err(not_empty(format!("object {} (different from the archive's)", o.key)));
        }
        held.insert(o.key.clone());
        present += 1;
    }
    app.stores.archive.write_records(tenant, &v.records).await?;
    // One object in memory at a time, its bytes checked again (an upload replaced since
    // verification is refused by its ETag; a body cannot change).
    for (key, data, sha, content_type) in &v.objects {
        if !held.contains(key) {
            let bytes = src.read(app, data.start, data.end).await?;
            if &sha256_hex(&bytes) != sha {
                return Err(ApiError::Conflict(format!("{key} changed while the archive was restored; restore it again.")));
            }
            let key = ObjectKey::parse_full(key).map_err(ApiError::Internal)?;
            app.stores.objects.create_object(&key, bytes, content_type).await?;
        }
    }
    let mut counters: BTreeMap<i32, u64> = BTreeMap::new();
    for i in &v.records.invoices {
        let next = counters.entry(Invoice::year_of(i.issue_date)).or_insert(1);
        *next = (*next).max(i.invoice_number.seq() + 1);
    }
    for (year, next) in &counters {
        app.stores.archive.raise_invoice_counter(*year, *next).await?;
    }
    audited(app, "restore", tenant, &v.manifest).await?;
    let r = &v.records;
    let restored = Counts {
        tenant: u64::from(r.tenant.is_some()),
        contracts: r.contracts.len() as u64,
        billings: r.billings.len() as u64,
        invoices: r.invoices.len() as u64,
        usage: r.usage.len() as u64,
        audit: r.audit.len() as u64,
        principals: r.principals.len() as u64,
        api_keys: r.api_keys.len() as u64,
        idempotency_keys: 0,
        objects: v.objects.len() as u64,
    };
    Ok(RestoreReport { tenant_id: tenant.clone(), exported_at: v.manifest.exported_at, restored, already_present: present, counters })
}

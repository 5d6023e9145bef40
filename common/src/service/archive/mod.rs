//! Per-tenant archives and purge (operator only).
//!
//! An archive is a ZIP: `records/<kind>.ndjson` (one record a line, in key order), `objects/<path>`
//! (each object under `tenants/<id>/`, in key order) and `manifest.json` last (format version,
//! tenant, export time, and each part's name, count, size, SHA-256 and content type). Entries are
//! stored with a fixed timestamp (1980-01-01), so two exports of the same data differ only in the
//! manifest's `exportedAt`. See `export::tenant_archive` for the writer.
//!
//! Restore verifies every part against the manifest before writing anything, and writes only where
//! the tenant is absent or holds just what a purge keeps, identical to the archive's. Purge keeps
//! the tenant record (the tombstone saying it is offboarded), the audit trail, and each delivered
//! invoice with its billing record and PDF until [`retention_years`] after its issue date.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::caller::Caller;
use crate::domain::{Invoice, TenantId, TenantStatus};
use crate::error::ApiError;
use crate::store::{ListedObject, ObjectKey, PageRequest, Removal, TenantRecords};

pub const FORMAT_VERSION: u32 = 1;

/// How many years after its issue date a delivered invoice, its billing record and PDF outlive a
/// purge: the deployment's PDF retention (`SEIKYU_PDF_RETENTION_YEARS`, the Object Lock period;
/// 7 years, as Japanese law asks, unless configured).
pub fn retention_years() -> u32 {
    crate::store::PdfRetention::from_env().map_or(crate::store::PdfRetention::DEFAULT_YEARS, |r| r.years)
}
pub const MANIFEST: &str = "manifest.json";
/// The record parts, in archive order.
pub const RECORD_PARTS: [&str; 8] = ["tenant", "contracts", "billings", "invoices", "usage", "audit", "principals", "apiKeys"];

/// One part of an archive, as the manifest describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    pub name: String,
    /// Records in a record part (lines); 1 for an object.
    pub count: u64,
    pub size: u64,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format_version: u32,
    pub tenant_id: TenantId,
    pub exported_at: DateTime<Utc>,
    pub parts: Vec<Part>,
}

pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn lines<T: Serialize>(items: &[T]) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::new();
    for i in items {
        serde_json::to_writer(&mut out, i).map_err(|e| ApiError::Internal(format!("encoding a record: {e}")))?;
        out.push(b'\n');
    }
    Ok(out)
}

/// The record parts of `r`: name (`records/<kind>.ndjson`), count, bytes.
pub fn record_parts(r: &TenantRecords) -> Result<Vec<(String, u64, Vec<u8>)>, ApiError> {
    let tenant: Vec<_> = r.tenant.iter().collect();
    let parts = [
        (lines(&tenant)?, tenant.len()),
        (lines(&r.contracts)?, r.contracts.len()),
        (lines(&r.billings)?, r.billings.len()),
        (lines(&r.invoices)?, r.invoices.len()),
        (lines(&r.usage)?, r.usage.len()),
        (lines(&r.audit)?, r.audit.len()),
        (lines(&r.principals)?, r.principals.len()),
        (lines(&r.api_keys)?, r.api_keys.len()),
    ];
    Ok(RECORD_PARTS.iter().zip(parts).map(|(kind, (bytes, n))| (format!("records/{kind}.ndjson"), n as u64, bytes)).collect())
}

/// Every object under the tenant's prefix, in key order.
pub async fn tenant_objects(app: &App, tenant: &TenantId) -> Result<Vec<ListedObject>, ApiError> {
    let prefix = format!("tenants/{tenant}/");
    let (mut out, mut cursor) = (Vec::new(), None);
    loop {
        let page = app.stores.objects.list_objects(&prefix, &PageRequest { limit: 1000, cursor }).await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// Records `what` was done to `tenant`'s data in the operator's own trail (not the tenant's:
/// an archive's audit part stays the same across export, purge and restore). Nothing outside a
/// request.
async fn audited<T: Serialize>(app: &App, what: &str, tenant: &TenantId, detail: &T) -> Result<(), ApiError> {
    let json = serde_json::to_vec(detail).map_err(|e| ApiError::Internal(format!("encoding: {e}")))?;
    let change = crate::audit::Change::written(format!("{what} {tenant}"), None, crate::audit::ChangeKind::Put, None, &json);
    let entries = crate::audit::entries(vec![change]);
    if !entries.is_empty() {
        app.stores.audit.append_audit(&entries).await?;
    }
    Ok(())
}

/// The archive records of a tenant that exists (404 otherwise); the export is audited.
pub async fn records_for_export(app: &App, caller: &Caller, tenant: &TenantId) -> Result<TenantRecords, ApiError> {
    caller.require_operator()?;
    let r = app.stores.archive.tenant_records(tenant).await?;
    if r.tenant.is_none() {
        return Err(ApiError::NotFound);
    }
    audited(app, "export", tenant, &serde_json::json!({ "records": r.len() })).await?;
    Ok(r)
}

/// The object's bytes in full.
async fn read_object(app: &App, key: &ObjectKey) -> Result<Option<(Bytes, String)>, ApiError> {
    let Some(mut body) = app.stores.objects.get_object(key, None).await? else { return Ok(None) };
    let mut buf = Vec::with_capacity(usize::try_from(body.meta.size).unwrap_or(0));
    while let Some(chunk) = body.stream.next().await {
        buf.extend_from_slice(&chunk.map_err(|e| ApiError::Unavailable(format!("reading {key}: {e}")))?);
    }
    Ok(Some((Bytes::from(buf), body.meta.content_type)))
}

// ---- purge -----------------------------------------------------------------------------------

/// The day a delivered invoice's retention of `years` ends.
pub fn release_date(invoice: &Invoice, years: u32) -> NaiveDate {
    invoice.issue_date.checked_add_months(chrono::Months::new(years * 12)).unwrap_or(NaiveDate::MAX)
}

/// Counts of a tenant's records and objects, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub tenant: u64,
    pub contracts: u64,
    pub billings: u64,
    pub invoices: u64,
    pub usage: u64,
    pub audit: u64,
    pub principals: u64,
    pub api_keys: u64,
    pub idempotency_keys: u64,
    pub objects: u64,
}

/// What a purge removed, what it kept and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PurgeReport {
    pub tenant_id: TenantId,
    pub removed: Counts,
    pub kept: Counts,
    /// Why each kind kept is kept.
    pub reasons: BTreeMap<String, String>,
    /// When the first retained invoice's retention ends (a purge from then on removes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earliest_release: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_release: Option<NaiveDate>,
    /// Issued PDFs whose retention has ended (full object keys): kept all the same, since no
    /// function deletes under `invoices/`; an operator with delete rights on the bucket removes them.
    pub released_pdfs: Vec<String>,
}

pub struct Plan {
    pub removal: Removal,
    pub remove_objects: Vec<String>,
    pub kept: Counts,
    pub retained: Vec<Invoice>,
    /// Issued PDFs kept although their retention has ended (their invoices no longer are).
    pub released: Vec<String>,
}

impl Plan {
    pub fn removes_anything(&self) -> bool {
        let r = &self.removal;
        let none =
            r.contracts.is_empty() && r.billings.is_empty() && r.invoices.is_empty() && r.usage.is_empty() && r.principals.is_empty() && r.api_keys.is_empty();
        !none || !self.remove_objects.is_empty()
    }
}

/// What a purge on `today` removes of `r` and `objects` (invoices retained `years`), and keeps.
pub fn plan(r: &TenantRecords, objects: &[ListedObject], today: NaiveDate, years: u32) -> Plan {
    let retained: Vec<Invoice> = r.invoices.iter().filter(|i| i.status().is_delivered() && today < release_date(i, years)).cloned().collect();
    let numbers: BTreeSet<_> = retained.iter().map(|i| i.invoice_number.clone()).collect();
    let pdfs: BTreeSet<String> = retained.iter().filter_map(|i| crate::service::invoices::pdf_key(i).ok()).map(|k| k.as_str().to_owned()).collect();
    let kept_billings = r.billings.iter().filter(|b| b.invoice_number().is_some_and(|n| numbers.contains(n))).count();
    let removal = Removal {
        contracts: r.contracts.iter().map(|c| c.contract_id.clone()).collect(),
        billings: r.billings.iter().filter(|b| !b.invoice_number().is_some_and(|n| numbers.contains(n))).map(|b| b.billing_id.clone()).collect(),
        invoices: r.invoices.iter().filter(|i| !numbers.contains(&i.invoice_number)).map(|i| i.invoice_number.clone()).collect(),
        usage: r.usage.iter().map(|u| u.day).collect(),
        principals: r.principals.iter().map(|p| p.arn.clone()).collect(),
        api_keys: r.api_keys.iter().map(|k| k.api_key_id.clone()).collect(),
    };
    // Issued PDFs are never deleted through the API (S3 Object Lock holds them while retained; no
    // function may delete under invoices/ after): only other objects (uploads) go. Those released
    // are named in the report, for an operator to remove.
    let issued = |key: &str| key.split('/').nth(2) == Some("invoices");
    let remove_objects: Vec<String> = objects.iter().filter(|o| !pdfs.contains(&o.key) && !issued(&o.key)).map(|o| o.key.clone()).collect();
    let released: Vec<String> = objects.iter().filter(|o| issued(&o.key) && !pdfs.contains(&o.key)).map(|o| o.key.clone()).collect();
    let kept = Counts {
        tenant: u64::from(r.tenant.is_some()),
        billings: kept_billings as u64,
        invoices: retained.len() as u64,
        audit: r.audit.len() as u64,
        objects: (objects.len() - remove_objects.len()) as u64,
        ..Counts::default()
    };
    Plan { removal, remove_objects, kept, retained, released }
}

/// Purges an offboarded tenant (409 otherwise): removes everything but what retention holds.
pub async fn purge(app: &App, caller: &Caller, tenant: &TenantId) -> Result<PurgeReport, ApiError> {
    caller.require_operator()?;
    let r = app.stores.archive.tenant_records(tenant).await?;
    let Some(t) = &r.tenant else { return Err(ApiError::NotFound) };
    if t.status != TenantStatus::Offboarded {
        return Err(ApiError::Conflict(format!("Tenant {tenant} is not offboarded: offboard it first, then purge.")));
    }
    let objects = tenant_objects(app, tenant).await?;
    let years = retention_years();
    let p = plan(&r, &objects, app.clock.now().date_naive(), years);
    let idempotency_keys = app.stores.archive.remove_records(tenant, &p.removal).await?;
    for key in &p.remove_objects {
        let key = ObjectKey::parse_full(key).map_err(ApiError::Internal)?;
        app.stores.objects.delete_object(&key).await?;
    }
    let x = &p.removal;
    let removed = Counts {
        contracts: x.contracts.len() as u64,
        billings: x.billings.len() as u64,
        invoices: x.invoices.len() as u64,
        usage: x.usage.len() as u64,
        principals: x.principals.len() as u64,
        api_keys: x.api_keys.len() as u64,
        idempotency_keys,
        objects: p.remove_objects.len() as u64,
        ..Counts::default()
    };
    let mut reasons = BTreeMap::from([
        ("tenant".to_owned(), "the offboarded tenant's own record: what the invoices kept name, and what says it was purged".to_owned()),
        ("audit".to_owned(), "the audit trail is never deleted by the API".to_owned()),
    ]);
    if !p.retained.is_empty() {
        let why = format!("issued, paid or void invoices are kept {years} years after their issue date");
        for kind in ["invoices", "billings", "objects"] {
            reasons.insert(kind.to_owned(), why.clone());
        }
    }
    if p.kept.objects > p.retained.len() as u64 {
        let why = "issued PDFs are never deleted through the API, even once their retention has ended: those are listed in releasedPdfs, for an operator with delete rights on the bucket to remove";
        reasons.entry("objects".to_owned()).and_modify(|r| *r = format!("{r}; {why}")).or_insert_with(|| why.to_owned());
    }
    let releases: Vec<NaiveDate> = p.retained.iter().map(|i| release_date(i, years)).collect();
    audited(app, "purge", tenant, &removed).await?;
    Ok(PurgeReport {
        tenant_id: tenant.clone(),
        removed,
        kept: p.kept,
        reasons,
        earliest_release: releases.iter().min().copied(),
        latest_release: releases.iter().max().copied(),
        released_pdfs: p.released,
    })
}

mod restore;
mod source;
pub mod upload;
pub use restore::{RestoreReport, Verified, restore, verify};
pub use source::Source;

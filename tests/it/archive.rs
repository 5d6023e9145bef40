//! Per-tenant export, restore and purge on both adapters: export → purge → restore → export gives
//! the same archive (every part; the manifest but for its export time), a purge keeps what
//! retention holds and says so, twice is a no-op, another tenant is untouched (counted), and
//! tampered, partial, foreign-version archives and occupied targets are refused.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use chrono::TimeDelta;
use common::domain::{Metered, TenantId, TenantStatus};
use common::export::tenant_archive::{collect, tenant_zip};
use common::export::unzip;
use common::export::zip::{ZipWriter, dos_date};
use common::service::archive::{self, Manifest};
use common::store::ObjectKey;
use common::{ApiError, App};
use seikyu_tests::fixtures::{Seeded, seeded_app, seeded_dynamodb_app, tenant_id};

use crate::faults::operator;

pub(crate) async fn export(app: &Arc<App>, t: &TenantId) -> Bytes {
    let records = archive::records_for_export(app, &operator(), t).await.expect("records");
    let objects = archive::tenant_objects(app, t).await.expect("objects");
    collect(tenant_zip(app.clone(), t.clone(), records, objects)).await.expect("archive")
}

/// An archive sent as the request's body.
pub(crate) fn body(zip: &Bytes) -> archive::Source {
    archive::Source::Body(zip.clone())
}

pub(crate) fn parts(zip: &Bytes) -> BTreeMap<String, Bytes> {
    unzip::entries(zip).expect("entries").into_iter().map(|e| (e.name, zip.slice(e.data))).collect()
}

pub(crate) fn manifest(zip: &Bytes) -> Manifest {
    serde_json::from_slice(&parts(zip)[archive::MANIFEST]).expect("manifest")
}

/// The same archive but for the manifest's export time: every part compared.
pub(crate) fn assert_same_archive(a: &Bytes, b: &Bytes, adapter: &str) {
    let (pa, pb) = (parts(a), parts(b));
    assert_eq!(pa.keys().collect::<Vec<_>>(), pb.keys().collect::<Vec<_>>(), "{adapter}");
    for (name, bytes) in &pa {
        if name != archive::MANIFEST {
            assert_eq!(bytes, &pb[name], "{adapter}: {name}");
        }
    }
    let (ma, mb) = (manifest(a), manifest(b));
    assert_ne!(ma.exported_at, mb.exported_at, "{adapter}");
    assert_eq!(Manifest { exported_at: ma.exported_at, ..mb }, ma, "{adapter}");
}

/// A ZIP of `entries`, as the writer makes them.
pub(crate) fn rezip(entries: &BTreeMap<String, Bytes>, order: &[String]) -> Bytes {
    let mut z = ZipWriter::new();
    let mut out = Vec::new();
    for name in order.iter().filter(|n| entries.contains_key(*n)) {
        out.extend_from_slice(&z.begin(name, dos_date(chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap())));
        z.data(&entries[name]);
        out.extend_from_slice(&entries[name]);
        out.extend_from_slice(&z.end());
    }
    out.extend_from_slice(&z.finish());
    Bytes::from(out)
}

pub(crate) fn names(zip: &Bytes) -> Vec<String> {
    unzip::entries(zip).unwrap().into_iter().map(|e| e.name).collect()
}

/// Every kind of record and object a tenant has, counted.
pub(crate) async fn census(app: &App, t: &TenantId) -> Vec<usize> {
    let r = app.stores.archive.tenant_records(t).await.unwrap();
    let objects = archive::tenant_objects(app, t).await.unwrap();
    vec![
        usize::from(r.tenant.is_some()),
        r.contracts.len(),
        r.billings.len(),
        r.invoices.len(),
        r.usage.len(),
        r.audit.len(),
        r.principals.len(),
        r.api_keys.len(),
        objects.len(),
    ]
}

async fn offboard(app: &App, t: &TenantId) {
    let mut tenant = app.stores.tenants.get_tenant(t).await.unwrap().unwrap();
    let v = tenant.version;
    tenant.status = TenantStatus::Offboarded;
    tenant.version += 1;
    app.stores.tenants.replace_tenant(&tenant, v).await.unwrap();
}

/// Tenant A with metering, an uploaded object beside its PDF, and offboarded.
pub(crate) async fn prepared(s: &Seeded) -> TenantId {
    let a = tenant_id(1);
    let day = chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap();
    s.app.stores.metering.add_metered(&a, day, &Metered { bytes_streamed: 1234, invoices_rendered: 1, exports: 2 }).await.unwrap();
    let upload = ObjectKey::new(&a, "uploads/staged.pdf").unwrap();
    s.app.stores.objects.create_object(&upload, Bytes::from_static(b"%PDF staged"), "application/pdf").await.unwrap();
    // Entries of the trail (adapters write them only inside a request): two of A's, one of B's.
    let entry = |t: &TenantId, n: u32| common::audit::AuditEntry {
        entry_id: format!("2025-03-31T09:00:00.000Z#fixture#{n:04}"),
        at: seikyu_tests::fixtures::t0(),
        route: "GET /v1/tenants/{tenantId}/contracts".into(),
        request_id: format!("req-{n}"),
        principal: seikyu_tests::fixtures::who::TENANT_A_ARN.into(),
        role: common::domain::Role::Tenant,
        tenant_id: Some(t.clone()),
        action: common::audit::Action::Attempt { status: 403, title: "Forbidden".into() },
        changes: Vec::new(),
        sha256: "0".repeat(64),
    };
    s.app.stores.audit.append_audit(&[entry(&a, 1), entry(&a, 2), entry(&tenant_id(2), 3)]).await.unwrap();
    offboard(&s.app, &a).await;
    a
}

async fn round_trip(s: Seeded) {
    let adapter = s.adapter();
    let a = prepared(&s).await;
    let b = tenant_id(2);
    let other_before = census(&s.app, &b).await;
    let started = std::time::Instant::now();
    let first = export(&s.app, &a).await;
    let export_time = started.elapsed();
    let m = manifest(&first);
    assert_eq!((m.format_version, &m.tenant_id), (archive::FORMAT_VERSION, &a));
    let count = |name: &str| m.parts.iter().find(|p| p.name == name).map(|p| p.count);
    assert_eq!(count("records/contracts.ndjson"), Some(2), "{adapter}");
    assert_eq!(count("records/billings.ndjson"), Some(2), "{adapter}");
    assert_eq!(count("records/invoices.ndjson"), Some(1), "{adapter}");
    assert_eq!(count("records/usage.ndjson"), Some(1), "{adapter}");
    assert_eq!(count("records/principals.ndjson"), Some(1), "{adapter}");
    assert_eq!(count("records/apiKeys.ndjson"), Some(1), "{adapter}");
    assert_eq!(count("records/audit.ndjson"), Some(2), "{adapter}: the trail is in the tenant's partition");
    assert!(names(&first).contains(&"objects/invoices/SEED-2025-000001.pdf".to_owned()), "{adapter}: {:?}", names(&first));
    assert_eq!(names(&first).last().map(String::as_str), Some(archive::MANIFEST));
    // Deterministic: a second export differs only in the manifest's time.
    s.clock.advance(TimeDelta::seconds(1));
    assert_same_archive(&first, &export(&s.app, &a).await, adapter);

    let report = archive::purge(&s.app, &operator(), &a).await.expect("purge");
    let r = &report.removed;
    assert_eq!((r.contracts, r.billings, r.invoices, r.usage, r.principals, r.api_keys, r.objects), (2, 1, 0, 1, 1, 1, 1), "{adapter}: {report:?}");
    let k = &report.kept;
    assert_eq!((k.tenant, k.billings, k.invoices, k.objects, k.contracts), (1, 1, 1, 1, 0), "{adapter}: {report:?}");
    assert!(k.audit > 0 && report.reasons.contains_key("invoices"), "{adapter}: {report:?}");
    assert_eq!(report.earliest_release, chrono::NaiveDate::from_ymd_opt(2032, 3, 1), "{adapter}");
    // Twice: nothing more to remove, the same kept.
    let again = archive::purge(&s.app, &operator(), &a).await.expect("purge again");
    assert_eq!(again.removed, Default::default(), "{adapter}");
    assert_eq!((again.kept.clone(), again.earliest_release), (report.kept.clone(), report.earliest_release), "{adapter}");
    assert!(report.released_pdfs.is_empty() && again.released_pdfs.is_empty(), "{adapter}: nothing released yet");
    assert!(s.app.stores.principals.get_api_key(&common::store::ApiKeyId::parse(seikyu_tests::fixtures::who::TENANT_A_KEY).unwrap()).await.unwrap().is_none());
    assert_eq!(census(&s.app, &b).await, other_before, "{adapter}: tenant B untouched");

    let restored = archive::restore(&s.app, &operator(), &a, &body(&first)).await.expect("restore");
    assert_eq!(restored.already_present as u64, 1 + 1 + 1 + k.audit + 1, "{adapter}: {restored:?}");
    s.clock.advance(TimeDelta::seconds(1));
    let second = export(&s.app, &a).await;
    assert_same_archive(&first, &second, adapter);
    assert_eq!(census(&s.app, &b).await, other_before, "{adapter}: tenant B untouched");
    eprintln!("{adapter}: archive {} bytes, exported in {export_time:?}", first.len());
}

#[tokio::test]
async fn round_trip_embedded() {
    round_trip(seeded_app().await).await;
}

#[tokio::test]
async fn round_trip_dynamodb() {
    round_trip(seeded_dynamodb_app().await).await;
}

async fn refusals(s: Seeded) {
    let adapter = s.adapter();
    let a = prepared(&s).await;
    let good = export(&s.app, &a).await;
    let order = names(&good);
    let unprocessable = |r: Result<archive::RestoreReport, ApiError>, says: &str| match r {
        Err(ApiError::Unprocessable(m)) => assert!(m.contains(says), "{adapter}: {m}"),
        other => panic!("{adapter}: expected 422 saying {says:?}, got {other:?}"),
    };
    // Not purged yet: the target holds the tenant's records.
    match archive::restore(&s.app, &operator(), &a, &body(&good)).await {
        Err(ApiError::Conflict(m)) => assert!(m.contains("already holds"), "{m}"),
        other => panic!("{adapter}: {other:?}"),
    }
    // An active tenant is never restored over.
    match archive::restore(&s.app, &operator(), &tenant_id(2), &body(&good)).await {
        Err(ApiError::Unprocessable(m)) => assert!(m.contains("not tn_"), "{m}"),
        other => panic!("{adapter}: {other:?}"),
    }
    archive::purge(&s.app, &operator(), &a).await.unwrap();
    let before = census(&s.app, &a).await;
    // Tampered: one byte of the PDF.
    let mut p = parts(&good);
    let pdf = "objects/invoices/SEED-2025-000001.pdf".to_owned();
    let mut bytes = p[&pdf].to_vec();
    bytes[0] ^= 1;
    p.insert(pdf.clone(), Bytes::from(bytes));
    unprocessable(archive::restore(&s.app, &operator(), &a, &body(&rezip(&p, &order))).await, "SHA-256");
    // Partial: a part missing, or a count that is not the manifest's.
    let mut p = parts(&good);
    p.remove("records/contracts.ndjson");
    unprocessable(archive::restore(&s.app, &operator(), &a, &body(&rezip(&p, &order))).await, "partial");
    let mut p = parts(&good);
    let mut m = manifest(&good);
    m.parts.iter_mut().filter(|x| x.name == "records/contracts.ndjson").for_each(|x| x.count = 3);
    p.insert(archive::MANIFEST.into(), Bytes::from(serde_json::to_vec(&m).unwrap()));
    unprocessable(archive::restore(&s.app, &operator(), &a, &body(&rezip(&p, &order))).await, "partial");
    // Truncated.
    unprocessable(archive::restore(&s.app, &operator(), &a, &body(&good.slice(..good.len() / 2))).await, "cannot be read");
    // Another format version.
    let mut p = parts(&good);
    let mut m = manifest(&good);
    m.format_version = 2;
    p.insert(archive::MANIFEST.into(), Bytes::from(serde_json::to_vec(&m).unwrap()));
    unprocessable(archive::restore(&s.app, &operator(), &a, &body(&rezip(&p, &order))).await, "format version");
    // Nothing was written by any of them.
    assert_eq!(census(&s.app, &a).await, before, "{adapter}");
    // A purge refuses a tenant that is not offboarded.
    assert!(matches!(archive::purge(&s.app, &operator(), &tenant_id(2)).await, Err(ApiError::Conflict(_))), "{adapter}");
    // After the retention, a purge takes the invoices too; their PDFs stay (never deleted
    // through the API), named for an operator to remove.
    s.clock.advance(TimeDelta::days(366 * 8));
    let late = archive::purge(&s.app, &operator(), &a).await.unwrap();
    assert_eq!((late.removed.invoices, late.removed.billings, late.removed.objects), (1, 1, 0), "{adapter}: {late:?}");
    assert_eq!((late.kept.invoices, late.kept.objects, late.earliest_release), (0, 1, None), "{adapter}");
    assert!(late.reasons["objects"].contains("never deleted"), "{adapter}: {late:?}");
    assert_eq!(late.released_pdfs, [format!("tenants/{a}/invoices/SEED-2025-000001.pdf")], "{adapter}");
    let again = archive::purge(&s.app, &operator(), &a).await.unwrap();
    assert_eq!((again.released_pdfs, again.removed.invoices), (late.released_pdfs, 0), "{adapter}: the same PDFs, nothing more removed");
    assert_eq!(census(&s.app, &a).await[..5], [1, 0, 0, 0, 0], "{adapter}");
}

#[tokio::test]
async fn refusals_embedded() {
    refusals(seeded_app().await).await;
}

#[tokio::test]
async fn refusals_dynamodb() {
    refusals(seeded_dynamodb_app().await).await;
}

/// Into another (empty) deployment: everything lands, and its counter is raised past the numbers.
#[tokio::test]
async fn restore_into_another_deployment_raises_the_counter() {
    let s = seeded_app().await;
    let a = prepared(&s).await;
    let zip = export(&s.app, &a).await;
    // Another deployment: a fresh table and bucket on moto, behind the same app settings.
    let fresh = seikyu_tests::fixtures::dynamodb_store().await;
    let app = Arc::new(App { stores: fresh.stores.clone(), ..(*s.app).clone() });
    assert_eq!(app.stores.invoices.next_invoice_seq(2025).await.unwrap(), 1);
    let report = archive::restore(&app, &operator(), &a, &body(&zip)).await.expect("restore");
    assert_eq!(report.already_present, 0);
    assert_eq!(app.stores.invoices.next_invoice_seq(2025).await.unwrap(), 2, "SEED-2025-000001 is never handed out again");
    // The same archive comes out of it (the DynamoDB adapter reads what the embedded one wrote).
    s.clock.advance(TimeDelta::seconds(5));
    assert_same_archive(&zip, &export(&app, &a).await, "embedded → dynamodb");
}

/// A valid archive holding only `tenant`'s record (offboarded), for the routes' own tests: it
/// restores into a deployment without the tenant, which a purge then accepts.
pub(crate) fn archive_of_offboarded(tenant: &TenantId) -> Vec<u8> {
    let record = common::domain::Tenant { status: TenantStatus::Offboarded, ..seikyu_tests::fixtures::tenant(tenant, "アーカイブ") };
    let records = common::store::TenantRecords { tenant: Some(record), ..Default::default() };
    let mut entries = BTreeMap::new();
    let mut order = Vec::new();
    let mut parts = Vec::new();
    for (name, count, bytes) in archive::record_parts(&records).unwrap() {
        parts.push(archive::Part { name: name.clone(), count, size: bytes.len() as u64, sha256: archive::sha256_hex(&bytes), content_type: None });
        order.push(name.clone());
        entries.insert(name, Bytes::from(bytes));
    }
    let manifest = Manifest { format_version: archive::FORMAT_VERSION, tenant_id: tenant.clone(), exported_at: seikyu_tests::fixtures::t0(), parts };
    entries.insert(archive::MANIFEST.into(), Bytes::from(serde_json::to_vec(&manifest).unwrap()));
    order.push(archive::MANIFEST.into());
    rezip(&entries, &order).to_vec()
}

/// The store's own `purge_tenant` (the whole partition) takes the tenant's principals too and
/// leaves its audit trail.
async fn purge_tenant_port(s: Seeded) {
    let adapter = s.adapter();
    let a = prepared(&s).await;
    let b_before = census(&s.app, &tenant_id(2)).await;
    s.app.stores.tenants.purge_tenant(&a).await.unwrap();
    let after = s.app.stores.archive.tenant_records(&a).await.unwrap();
    assert_eq!((after.tenant.is_some(), after.contracts.len(), after.principals.len(), after.audit.len()), (false, 0, 0, 2), "{adapter}");
    assert_eq!(census(&s.app, &tenant_id(2)).await, b_before, "{adapter}");
}

#[tokio::test]
async fn purge_tenant_port_embedded() {
    purge_tenant_port(seeded_app().await).await;
}

#[tokio::test]
async fn purge_tenant_port_dynamodb() {
    purge_tenant_port(seeded_dynamodb_app().await).await;
}

//! The audit trail against every storage adapter: a change and its entry are one write; a refused
//! write leaves no entry; nothing outside a request is audited; listings page in time order, per
//! tenant and across tenants, within a time range.

use chrono::{DateTime, TimeDelta, Utc};
use common::audit::{self, Action, Actor, AuditEntry, ChangeKind};
use common::domain::{ContractStatus, Role};
use common::store::{AuditQuery, PageRequest, StoreError};
use seikyu_tests::fixtures::{StoreFixture, contract, draft, tenant, tenant_id};

const OPERATOR: &str = "arn:aws:iam::123456789012:role/Cms";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn actor(route: &str, nonce: &str, when: DateTime<Utc>) -> Actor {
    Actor::new(route, format!("req-{nonce}"), nonce.into(), when)
}

/// Runs `fut` as the operator's request `nonce` at `when`.
async fn as_operator<F: std::future::Future>(nonce: &str, when: DateTime<Utc>, fut: F) -> F::Output {
    audit::scope(actor("PUT /x", nonce, when), async {
        audit::set_caller(OPERATOR, Role::Operator, None);
        fut.await
    })
    .await
}

async fn all(f: &StoreFixture, tenant: Option<u8>, from: &str, to: &str, limit: usize) -> Vec<AuditEntry> {
    let query = AuditQuery { tenant: tenant.map(tenant_id), from: at(from), to: at(to) };
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = f.stores.audit.list_audit(&query, &PageRequest { limit, cursor }).await.unwrap();
        assert!(page.items.len() <= limit);
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

fn resources(entries: &[AuditEntry]) -> Vec<Vec<String>> {
    entries.iter().map(|e| e.changes.iter().map(|c| c.resource.clone()).collect()).collect()
}

pub async fn changes_and_their_entries_are_one_write(f: StoreFixture) {
    let s = &f.stores;
    let (a, b) = (tenant_id(1), tenant_id(2));
    // Seeding outside a request: not audited.
    s.tenants.create_tenant(&tenant(&b, "B")).await.unwrap();
    as_operator("n1", at("2026-12-01T10:00:00Z"), async {
        s.tenants.create_tenant(&tenant(&a, "A")).await.unwrap();
        let mut renamed = tenant(&a, "A2");
        renamed.version = 2;
        s.tenants.replace_tenant(&renamed, 1).await.unwrap();
        // Refused writes leave no entry.
        assert!(matches!(s.tenants.create_tenant(&tenant(&a, "again")).await, Err(StoreError::AlreadyExists)));
        assert!(matches!(s.tenants.replace_tenant(&renamed, 1).await, Err(StoreError::VersionMismatch)));
        s.contracts.create_contract(&contract(&a, "C-1", ContractStatus::Active)).await.unwrap();
        s.contracts.create_contract(&contract(&b, "C-9", ContractStatus::Active)).await.unwrap();
        s.billings.create_billing(&draft(&a, "2026-11", 1)).await.unwrap();
    })
    .await;
    let mine = all(&f, Some(1), "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", 2).await;
    assert_eq!(
        resources(&mine),
        [["tenant"], ["tenant"], ["contract C-1"], [format!("billing {}", draft(&a, "2026-11", 1).billing_id).as_str()]],
        "{}",
        f.adapter
    );
    let first = &mine[0].changes[0];
    assert_eq!((first.kind, first.version_before, first.version_after), (ChangeKind::Create, None, Some(1)), "{}", f.adapter);
    let second = &mine[1].changes[0];
    assert_eq!((second.kind, second.version_before, second.version_after), (ChangeKind::Replace, Some(1), Some(2)), "{}", f.adapter);
    assert_ne!(first.sha256, second.sha256);
    for e in &mine {
        assert_eq!((e.principal.as_str(), e.role, e.route.as_str(), e.tenant_id.as_ref()), (OPERATOR, Role::Operator, "PUT /x", Some(&a)), "{}", f.adapter);
        assert_eq!(e.action, Action::Change);
    }
    let theirs = all(&f, Some(2), "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", 10).await;
    assert_eq!(resources(&theirs), [["contract C-9"]], "{}: B's seeding was not a request", f.adapter);
    let everyone = all(&f, None, "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", 2).await;
    assert_eq!(everyone.len(), 5, "{}", f.adapter);
    let ids: Vec<_> = everyone.iter().map(|e| e.entry_id.clone()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "{}: time order", f.adapter);
}

pub async fn a_batch_is_one_entry_per_tenant(f: StoreFixture) {
    use common::domain::{PdfSource, lifecycle};
    use common::store::Allocation;
    use seikyu_tests::fixtures::{issuer, recipient, t0};
    let s = &f.stores;
    let (d1, d2, d3) = (draft(&tenant_id(1), "2026-11", 1), draft(&tenant_id(2), "2026-11", 2), draft(&tenant_id(1), "2026-11", 3));
    for d in [&d1, &d2, &d3] {
        s.billings.create_billing(d).await.unwrap();
    }
    let batch: Vec<Allocation> = [&d1, &d2, &d3]
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let number = common::domain::InvoiceNumber::new(&issuer().invoice_prefix, 2026, i as u64 + 1);
            let frozen = lifecycle::freeze(d, &issuer(), recipient(&d.tenant_id), number, PdfSource::Rendered).unwrap();
            let (invoice, billing) = lifecycle::bind(d, frozen, t0()).unwrap();
            Allocation { invoice, billing, billing_version: d.version }
        })
        .collect();
    as_operator("b1", at("2026-12-01T11:00:00Z"), s.invoices.allocate_invoices(2026, 1, &batch)).await.unwrap();
    let one = all(&f, Some(1), "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", 10).await;
    assert_eq!(one.len(), 1, "{}", f.adapter);
    assert_eq!(one[0].changes.len(), 4, "{}: two invoices and two billing records", f.adapter);
    assert_eq!(all(&f, Some(2), "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", 10).await[0].changes.len(), 2, "{}", f.adapter);
    // A refused batch writes no entry either.
    let again = as_operator("b2", at("2026-12-01T12:00:00Z"), s.invoices.allocate_invoices(2026, 1, &batch)).await;
    assert!(matches!(again, Err(StoreError::VersionMismatch)), "{}", f.adapter);
    assert_eq!(all(&f, None, "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", 10).await.len(), 2, "{}", f.adapter);
}

pub async fn attempts_are_appended_once_and_ranges_filter(f: StoreFixture) {
    let s = &f.stores;
    let day = |d: u32| at(&format!("2026-11-{d:02}T09:00:00Z"));
    let mut appended = Vec::new();
    for d in [28, 29, 30] {
        let entry = audit::scope(actor("PATCH /v1/tenants/{tenantId}", &format!("d{d}"), day(d)), async {
            audit::set_caller("arn:aws:iam::123456789012:user/redmine-a", Role::Tenant, Some(&tenant_id(1)));
            audit::attempt(403, "Forbidden.", Some(tenant_id(2)))
        })
        .await
        .unwrap();
        s.audit.append_audit(std::slice::from_ref(&entry)).await.unwrap();
        appended.push(entry);
    }
    assert!(matches!(s.audit.append_audit(&appended[..1]).await, Err(StoreError::AlreadyExists)), "{}: never replaced", f.adapter);
    let got = all(&f, Some(1), "2026-11-29T00:00:00Z", "2026-11-30T09:00:00Z", 10).await;
    assert_eq!(got, appended[1..2], "{}: from included, to excluded; a tenant's attempt is on its own trail", f.adapter);
    assert_eq!(got[0].action, Action::Attempt { status: 403, title: "Forbidden.".into() });
    assert!(all(&f, Some(2), "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", 10).await.is_empty(), "{}", f.adapter);
    // Across a month boundary, page by page.
    let later = audit::scope(actor("POST /y", "dec", at("2026-12-01T00:00:01Z")), async {
        audit::set_caller(OPERATOR, Role::Operator, None);
        audit::attempt(409, "Conflict.", None)
    })
    .await
    .unwrap();
    s.audit.append_audit(std::slice::from_ref(&later)).await.unwrap();
    let span = all(&f, None, "2026-11-01T00:00:00Z", "2026-12-31T00:00:00Z", 1).await;
    assert_eq!(
        span.iter().map(|e| e.entry_id.as_str()).collect::<Vec<_>>(),
        [&appended[0], &appended[1], &appended[2], &later].map(|e| e.entry_id.as_str()),
        "{}",
        f.adapter
    );
    // A cursor is for its own query.
    let q = AuditQuery { tenant: None, from: at("2026-11-01T00:00:00Z"), to: at("2026-12-31T00:00:00Z") };
    let page = s.audit.list_audit(&q, &PageRequest { limit: 1, cursor: None }).await.unwrap();
    let other = AuditQuery { from: q.from + TimeDelta::seconds(1), ..q.clone() };
    assert!(matches!(s.audit.list_audit(&other, &PageRequest { limit: 1, cursor: page.next_cursor }).await, Err(StoreError::InvalidCursor)), "{}", f.adapter);
}

pub async fn deletions_are_on_the_trail_of_the_tenant_they_name(f: StoreFixture) {
    use common::store::{Owner, Principal, PrincipalArn};
    let s = &f.stores;
    let arn = PrincipalArn::parse("arn:aws:iam::123456789012:user/redmine-a").unwrap();
    s.principals.register_principal(&Principal { arn: arn.clone(), owner: Owner::Tenant { tenant_id: tenant_id(1) }, registered_at: None }).await.unwrap();
    as_operator("del", at("2026-12-02T10:00:00Z"), async {
        s.principals.delete_principal(&arn).await.unwrap();
        // Already gone: nothing changes, nothing is recorded.
        s.principals.delete_principal(&arn).await.unwrap();
    })
    .await;
    let mine = all(&f, Some(1), "2026-12-02T00:00:00Z", "2026-12-03T00:00:00Z", 10).await;
    assert_eq!(resources(&mine), [[format!("principal {arn}")]], "{}", f.adapter);
    assert_eq!(mine[0].changes[0].kind, ChangeKind::Delete);
    assert_eq!(all(&f, None, "2026-12-02T00:00:00Z", "2026-12-03T00:00:00Z", 10).await.len(), 1, "{}", f.adapter);
}

macro_rules! audit_suite {
    ($adapter:ident, $make:path) => {
        mod $adapter {
            audit_suite!(@tests $make;
                changes_and_their_entries_are_one_write,
                a_batch_is_one_entry_per_tenant,
                attempts_are_appended_once_and_ranges_filter,
                deletions_are_on_the_trail_of_the_tenant_they_name,
            );
        }
    };
    (@tests $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($make().await).await
            }
        )*
    };
}

audit_suite!(embedded, seikyu_tests::fixtures::embedded_store);
audit_suite!(dynamodb, seikyu_tests::fixtures::dynamodb_store);

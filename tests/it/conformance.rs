//! One suite, run against every storage adapter: the adapter's name is in each test's path
//! (`conformance::embedded::...`, `conformance::dynamodb::...`).

use std::time::Duration;

use bytes::Bytes;
use common::domain::{BillingFilter, BillingPeriod, BillingStatus, ContractFilter, ContractId, ContractStatus, Metered};
use common::store::{
    ApiKeyId, ApiKeyRecord, Begin, ByteRange, IdempotencyKey, IdempotencyScope, ObjectKey, Owner, PageRequest, Principal, PrincipalArn, StoreError,
    StoredResponse,
};
use futures_util::TryStreamExt;
use seikyu_tests::fixtures::{StoreFixture, billing, contract, tenant, tenant_id};
use seikyu_tests::http_client;

async fn read_all(body: common::store::ObjectBody) -> Vec<u8> {
    body.stream
        .try_fold(Vec::new(), |mut acc, c| async move {
            acc.extend_from_slice(&c);
            Ok(acc)
        })
        .await
        .expect("stream")
}

pub async fn tenant_create_if_absent_conflicts(f: StoreFixture) {
    let s = &f.stores;
    let t = tenant(&tenant_id(1), "A");
    s.tenants.create_tenant(&t).await.unwrap();
    assert!(matches!(s.tenants.create_tenant(&t).await, Err(StoreError::AlreadyExists)), "{}", f.adapter);
    assert_eq!(s.tenants.get_tenant(&t.tenant_id).await.unwrap(), Some(t));
    assert_eq!(s.tenants.get_tenant(&tenant_id(9)).await.unwrap(), None);
}

pub async fn tenant_replace_with_stale_version_conflicts(f: StoreFixture) {
    let s = &f.stores;
    let mut t = tenant(&tenant_id(1), "A");
    s.tenants.create_tenant(&t).await.unwrap();
    t.name = "A2".into();
    t.version = 2;
    s.tenants.replace_tenant(&t, 1).await.unwrap();
    let mut stale = t.clone();
    stale.name = "lost update".into();
    stale.version = 2;
    assert!(matches!(s.tenants.replace_tenant(&stale, 1).await, Err(StoreError::VersionMismatch)));
    assert_eq!(s.tenants.get_tenant(&t.tenant_id).await.unwrap().unwrap().name, "A2");
    // Replacing something that does not exist is a mismatch too, never a silent create.
    let ghost = tenant(&tenant_id(8), "ghost");
    assert!(matches!(s.tenants.replace_tenant(&ghost, 1).await, Err(StoreError::VersionMismatch)));
    assert_eq!(s.tenants.get_tenant(&tenant_id(8)).await.unwrap(), None);
}

pub async fn concurrent_replaces_let_exactly_one_win(f: StoreFixture) {
    let s = f.stores.clone();
    let a = tenant_id(1);
    s.contracts.create_contract(&contract(&a, "C-1", ContractStatus::Active)).await.unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let s = s.clone();
            let a = a.clone();
            tokio::spawn(async move {
                let mut c = contract(&a, "C-1", ContractStatus::Active);
                c.terms.plan_name = format!("writer {i}");
                c.version = 2;
                s.contracts.replace_contract(&c, 1).await
            })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => wins += 1,
            Err(StoreError::VersionMismatch) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(s.contracts.get_contract(&a, &ContractId::parse("C-1").unwrap()).await.unwrap().unwrap().version, 2);
}

pub async fn contract_create_if_absent_and_replace_if_version(f: StoreFixture) {
    let s = &f.stores;
    let a = tenant_id(1);
    let c = contract(&a, "C-1", ContractStatus::Active);
    s.contracts.create_contract(&c).await.unwrap();
    assert!(matches!(s.contracts.create_contract(&c).await, Err(StoreError::AlreadyExists)));
    let mut next = c.clone();
    next.terms.status = ContractStatus::Suspended;
    next.version = 2;
    assert!(matches!(s.contracts.replace_contract(&next, 2).await, Err(StoreError::VersionMismatch)));
    s.contracts.replace_contract(&next, 1).await.unwrap();
    assert_eq!(s.contracts.get_contract(&a, &c.contract_id).await.unwrap(), Some(next));
    // The same contract id under another tenant is another contract.
    assert_eq!(s.contracts.get_contract(&tenant_id(2), &c.contract_id).await.unwrap(), None);
}

fn status_of(i: usize) -> ContractStatus {
    match i % 3 {
        0 => ContractStatus::Suspended,
        _ => ContractStatus::Active,
    }
}

pub async fn list_with_filter_across_pages(f: StoreFixture) {
    let s = &f.stores;
    let (a, b) = (tenant_id(1), tenant_id(2));
    for i in 0..23 {
        s.contracts.create_contract(&contract(&a, &format!("C-{i:03}"), status_of(i))).await.unwrap();
    }
    s.contracts.create_contract(&contract(&b, "C-000", ContractStatus::Active)).await.unwrap();
    let expected: Vec<String> = (0..23).filter(|i| status_of(*i) == ContractStatus::Active).map(|i| format!("C-{i:03}")).collect();
    let filter = ContractFilter { status: Some(ContractStatus::Active) };
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut cursor = None;
    loop {
        let page = s.contracts.list_contracts(&a, &filter, &PageRequest { limit: 4, cursor: cursor.clone() }).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 4);
        assert!(page.items.iter().all(|c| c.tenant_id == a && c.terms.status == ContractStatus::Active));
        seen.extend(page.items.iter().map(|c| c.contract_id.to_string()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, expected, "{}", f.adapter);
    assert_eq!(pages, expected.len().div_ceil(4), "a cursor is returned exactly when more items match");
    let all = s.contracts.list_contracts(&a, &ContractFilter::default(), &PageRequest { limit: 100, cursor: None }).await.unwrap();
    assert_eq!(all.items.len(), 23);
    assert_eq!(all.next_cursor, None);
    let none = s.contracts.list_contracts(&tenant_id(3), &ContractFilter::default(), &PageRequest { limit: 10, cursor: None }).await.unwrap();
    assert!(none.items.is_empty() && none.next_cursor.is_none());
}

pub async fn cursor_from_another_tenant_or_edited_is_refused(f: StoreFixture) {
    let s = &f.stores;
    let (a, b) = (tenant_id(1), tenant_id(2));
    for i in 0..5 {
        s.contracts.create_contract(&contract(&a, &format!("C-{i}"), ContractStatus::Active)).await.unwrap();
        s.contracts.create_contract(&contract(&b, &format!("C-{i}"), ContractStatus::Active)).await.unwrap();
    }
    let all = ContractFilter::default();
    let page = s.contracts.list_contracts(&a, &all, &PageRequest { limit: 2, cursor: None }).await.unwrap();
    let cursor = page.next_cursor.expect("more pages");
    let refused = |r: Result<_, StoreError>| matches!(r, Err(StoreError::InvalidCursor));
    assert!(refused(s.contracts.list_contracts(&b, &all, &PageRequest { limit: 2, cursor: Some(cursor.clone()) }).await), "another tenant's cursor");
    let active = ContractFilter { status: Some(ContractStatus::Active) };
    assert!(refused(s.contracts.list_contracts(&a, &active, &PageRequest { limit: 2, cursor: Some(cursor.clone()) }).await), "another query's cursor");
    let mut edited = cursor.clone().into_bytes();
    let mid = edited.len() / 2;
    edited[mid] = if edited[mid] == b'x' { b'y' } else { b'x' };
    let edited = String::from_utf8(edited).unwrap();
    assert!(refused(s.contracts.list_contracts(&a, &all, &PageRequest { limit: 2, cursor: Some(edited) }).await), "edited cursor");
    assert!(refused(s.contracts.list_contracts(&a, &all, &PageRequest { limit: 2, cursor: Some("not-a-cursor".into()) }).await));
    // The genuine cursor still works for its own tenant and query.
    let next = s.contracts.list_contracts(&a, &all, &PageRequest { limit: 2, cursor: Some(cursor) }).await.unwrap();
    assert_eq!(next.items.iter().map(|c| c.contract_id.to_string()).collect::<Vec<_>>(), ["C-2", "C-3"]);
}

pub async fn principals_and_api_keys_round_trip(f: StoreFixture) {
    let s = &f.stores;
    let arn = PrincipalArn::parse("arn:aws:sts::123456789012:assumed-role/RedmineTenantA/any-session").unwrap();
    let p = Principal { arn: arn.clone(), owner: Owner::Tenant { tenant_id: tenant_id(1) }, registered_at: None };
    s.principals.put_principal(&p).await.unwrap();
    let by_role = PrincipalArn::parse("arn:aws:iam::123456789012:role/RedmineTenantA").unwrap();
    assert_eq!(s.principals.get_principal(&by_role).await.unwrap(), Some(p));
    let op = Principal { arn: arn.clone(), owner: Owner::Operator, registered_at: None };
    s.principals.put_principal(&op).await.unwrap();
    assert_eq!(s.principals.get_principal(&arn).await.unwrap(), Some(op));
    s.principals.delete_principal(&arn).await.unwrap();
    assert_eq!(s.principals.get_principal(&arn).await.unwrap(), None);

    let key = ApiKeyRecord { api_key_id: ApiKeyId::parse("k1a2b3c4d5").unwrap(), owner: Owner::Tenant { tenant_id: tenant_id(2) }, enabled: true };
    s.principals.put_api_key(&key).await.unwrap();
    assert_eq!(s.principals.get_api_key(&key.api_key_id).await.unwrap(), Some(key.clone()));
    s.principals.delete_api_key(&key.api_key_id).await.unwrap();
    assert_eq!(s.principals.get_api_key(&key.api_key_id).await.unwrap(), None);
}

pub async fn purge_removes_one_tenant_only(f: StoreFixture) {
    let s = &f.stores;
    let (a, b) = (tenant_id(1), tenant_id(2));
    s.tenants.create_tenant(&tenant(&a, "A")).await.unwrap();
    s.tenants.create_tenant(&tenant(&b, "B")).await.unwrap();
    // More than one 25-item batch.
    for i in 0..60 {
        s.contracts.create_contract(&contract(&a, &format!("C-{i:03}"), ContractStatus::Active)).await.unwrap();
    }
    s.contracts.create_contract(&contract(&b, "C-000", ContractStatus::Active)).await.unwrap();
    assert_eq!(s.tenants.purge_tenant(&a).await.unwrap(), 61);
    assert_eq!(s.tenants.get_tenant(&a).await.unwrap(), None);
    let left = s.contracts.list_contracts(&a, &ContractFilter::default(), &PageRequest { limit: 100, cursor: None }).await.unwrap();
    assert!(left.items.is_empty());
    assert!(s.tenants.get_tenant(&b).await.unwrap().is_some());
    assert!(s.contracts.get_contract(&b, &ContractId::parse("C-000").unwrap()).await.unwrap().is_some());
}

pub async fn oversized_items_are_refused(f: StoreFixture) {
    let s = &f.stores;
    let mut c = contract(&tenant_id(1), "C-big", ContractStatus::Active);
    c.terms.notes = Some("x".repeat(410 * 1024));
    assert!(matches!(s.contracts.create_contract(&c).await, Err(StoreError::TooLarge(_))), "{}", f.adapter);
    assert_eq!(s.contracts.get_contract(&c.tenant_id, &c.contract_id).await.unwrap(), None);
}

fn sample(len: usize) -> Bytes {
    Bytes::from((0..len).map(|i| (i * 31 % 251) as u8).collect::<Vec<u8>>())
}

pub async fn objects_put_get_range_head_delete(f: StoreFixture) {
    let s = &f.stores;
    // Not under invoices/: issued PDFs cannot be deleted (conformance_retention.rs).
    let key = ObjectKey::new(&tenant_id(1), "uploads/INV-2025-000001.pdf").unwrap();
    let data = sample(300_000);
    let put = s.objects.create_object(&key, data.clone(), "application/pdf").await.unwrap();
    assert_eq!(put.size, 300_000);
    let head = s.objects.head_object(&key).await.unwrap().expect("head");
    assert_eq!((head.size, head.content_type.as_str()), (300_000, "application/pdf"));
    assert!(!head.etag.is_empty());

    let whole = s.objects.get_object(&key, None).await.unwrap().expect("object");
    assert_eq!(whole.span, None);
    assert_eq!(whole.meta.size, 300_000);
    assert_eq!(read_all(whole).await, data.to_vec());

    let part = s.objects.get_object(&key, Some(ByteRange::From { start: 1000, end: Some(1999) })).await.unwrap().expect("range");
    assert_eq!(part.span, Some((1000, 1999)));
    assert_eq!(part.meta.size, 300_000);
    assert_eq!(read_all(part).await, data[1000..2000].to_vec());
    let tail = s.objects.get_object(&key, Some(ByteRange::Suffix(10))).await.unwrap().expect("suffix");
    assert_eq!(read_all(tail).await, data[299_990..].to_vec());
    assert!(matches!(s.objects.get_object(&key, Some(ByteRange::From { start: 300_000, end: None })).await, Err(StoreError::InvalidRange { size: 300_000 })));

    let other = ObjectKey::new(&tenant_id(2), "invoices/INV-2025-000001.pdf").unwrap();
    assert!(s.objects.get_object(&other, None).await.unwrap().is_none(), "another tenant's prefix is another object");
    s.objects.delete_object(&key).await.unwrap();
    s.objects.delete_object(&key).await.unwrap();
    assert!(s.objects.head_object(&key).await.unwrap().is_none());
    assert!(s.objects.get_object(&key, None).await.unwrap().is_none());
}

/// A stored object is never replaced; a copy places exactly the bytes that were checked.
pub async fn objects_are_never_replaced_and_copies_are_conditional(f: StoreFixture) {
    let s = &f.stores;
    let key = ObjectKey::new(&tenant_id(1), "invoices/INV-2025-000009.pdf").unwrap();
    s.objects.create_object(&key, sample(1000), "application/pdf").await.unwrap();
    assert!(matches!(s.objects.create_object(&key, sample(999), "application/pdf").await, Err(StoreError::AlreadyExists)), "{}", f.adapter);
    assert_eq!(read_all(s.objects.get_object(&key, None).await.unwrap().unwrap()).await, sample(1000).to_vec(), "the first bytes stay");

    let staged = ObjectKey::new(&tenant_id(1), "uploads/INV-2025-000010.pdf").unwrap();
    let url = s.objects.presign_put(&staged, "application/pdf", 500, Duration::from_secs(300)).await.unwrap();
    let put = http_client::send("PUT", &url, &[("content-type", "application/pdf")], sample(500)).await;
    assert_eq!(put.status, 200);
    let checked = s.objects.head_object(&staged).await.unwrap().expect("staged").etag;
    let target = ObjectKey::new(&tenant_id(1), "invoices/INV-2025-000010.pdf").unwrap();
    let stale = s.objects.copy_object(&staged, &target, "\"not-the-checked-bytes\"").await;
    assert!(matches!(stale, Err(StoreError::VersionMismatch)), "{}: {stale:?}", f.adapter);
    assert!(s.objects.head_object(&target).await.unwrap().is_none(), "nothing placed");
    let copied = s.objects.copy_object(&staged, &target, &checked).await.unwrap();
    assert_eq!(copied.size, 500);
    // The staging key can be written again; the copy cannot be replaced.
    let put = http_client::send("PUT", &url, &[("content-type", "application/pdf")], sample(501).slice(1..)).await;
    assert_eq!(put.status, 200);
    let replaced = s.objects.head_object(&staged).await.unwrap().unwrap().etag;
    assert!(matches!(s.objects.copy_object(&staged, &target, &replaced).await, Err(StoreError::AlreadyExists)), "{}", f.adapter);
    assert_eq!(read_all(s.objects.get_object(&target, None).await.unwrap().unwrap()).await, sample(500).to_vec());
}

pub async fn presigned_urls_work_over_http(f: StoreFixture) {
    let s = &f.stores;
    let key = ObjectKey::new(&tenant_id(1), "uploads/external.pdf").unwrap();
    let data = sample(70_000);
    s.objects.create_object(&key, data.clone(), "application/pdf").await.unwrap();
    let url = s.objects.presign_get(&key, Duration::from_secs(300)).await.unwrap();
    let got = http_client::send("GET", &url, &[], Bytes::new()).await;
    assert_eq!(got.status, 200, "{}", String::from_utf8_lossy(&got.body));
    assert_eq!(got.body, data);

    let put_key = ObjectKey::new(&tenant_id(1), "uploads/from-cms.pdf").unwrap();
    let body = Bytes::from_static(b"%PDF-1.7\nuploaded through a presigned URL\n%%EOF\n");
    let put_url = s.objects.presign_put(&put_key, "application/pdf", body.len() as u64, Duration::from_secs(300)).await.unwrap();
    let put = http_client::send("PUT", &put_url, &[("content-type", "application/pdf")], body.clone()).await;
    assert_eq!(put.status, 200, "{}", String::from_utf8_lossy(&put.body));
    let stored = s.objects.get_object(&put_key, None).await.unwrap().expect("uploaded object");
    assert_eq!(read_all(stored).await, body.to_vec());

    // A GET URL does not authorise anything else. (moto checks no signatures, so it answers 404
    // for the missing object where S3 and the embedded store answer 403; see the embedded-only
    // test below for the signature checks themselves.)
    let tampered = url.replace("external.pdf", "other.pdf");
    assert!(matches!(http_client::send("GET", &tampered, &[], Bytes::new()).await.status, 403 | 404));
    assert!(s.objects.presign_get(&key, Duration::from_secs(8 * 24 * 3600)).await.is_err(), "S3 allows at most 7 days");
}

/// The embedded store's presigned URLs are its own code: check what S3 checks for real.
#[tokio::test]
async fn embedded_presigned_urls_are_verified() {
    let clock = std::sync::Arc::new(common::clock::ManualClock::new(seikyu_tests::fixtures::t0()));
    let f = seikyu_tests::fixtures::embedded_store_with(clock.clone()).await;
    let s = &f.stores;
    let (key, other) = (ObjectKey::new(&tenant_id(1), "a.pdf").unwrap(), ObjectKey::new(&tenant_id(2), "a.pdf").unwrap());
    s.objects.create_object(&key, sample(10), "application/pdf").await.unwrap();
    s.objects.create_object(&other, sample(10), "application/pdf").await.unwrap();
    let url = s.objects.presign_get(&key, Duration::from_secs(60)).await.unwrap();
    let status = |u: String| async move { http_client::send("GET", &u, &[], Bytes::new()).await.status };
    assert_eq!(status(url.clone()).await, 200);
    assert_eq!(status(url.replace(tenant_id(1).as_str(), tenant_id(2).as_str())).await, 403, "another tenant's existing object");
    assert_eq!(http_client::send("PUT", &url, &[("content-type", "")], Bytes::from_static(b"x")).await.status, 403, "a GET URL cannot PUT");
    let put_url = s.objects.presign_put(&key, "application/pdf", 3, Duration::from_secs(60)).await.unwrap();
    assert_eq!(http_client::send("PUT", &put_url, &[("content-type", "text/html")], Bytes::from_static(b"<x>")).await.status, 403, "content type is pinned");
    assert_eq!(http_client::send("PUT", &put_url, &[("content-type", "application/pdf")], Bytes::from_static(b"%PDF")).await.status, 403, "length is pinned");
    clock.advance(chrono::TimeDelta::seconds(61));
    assert_eq!(status(url).await, 403, "expired");
    let untouched = s.objects.get_object(&key, None).await.unwrap().unwrap();
    assert_eq!(read_all(untouched).await, sample(10).to_vec(), "refused uploads leave nothing behind");
}

pub async fn billings_create_replace_and_list_by_period(f: StoreFixture) {
    let s = &f.stores;
    let (a, b) = (tenant_id(1), tenant_id(2));
    let mut n = 0u8;
    for period in ["2024-12", "2025-01", "2025-02", "2025-03", "2025-04"] {
        for status in [BillingStatus::Draft, BillingStatus::Issued, BillingStatus::Paid] {
            n += 1;
            s.billings.create_billing(&billing(&a, period, n, status)).await.unwrap();
        }
    }
    s.billings.create_billing(&billing(&b, "2025-02", 99, BillingStatus::Issued)).await.unwrap();
    let first = billing(&a, "2024-12", 1, BillingStatus::Draft);
    assert!(matches!(s.billings.create_billing(&first).await, Err(StoreError::AlreadyExists)));
    let mut notes = first.content().clone();
    notes.notes = Some("更新".into());
    let next = common::domain::lifecycle::revise(&first, notes, first.created_at).unwrap();
    assert!(matches!(s.billings.replace_billing(&next, 5).await, Err(StoreError::VersionMismatch)));
    s.billings.replace_billing(&next, 1).await.unwrap();
    assert_eq!(s.billings.get_billing(&a, &first.billing_id).await.unwrap(), Some(next));
    assert_eq!(s.billings.get_billing(&b, &first.billing_id).await.unwrap(), None);

    // Periods 2025-01..=2025-03, issued or paid: 6 records, in pages of 2.
    let filter = BillingFilter {
        from: Some(BillingPeriod::parse("2025-01").unwrap()),
        to: Some(BillingPeriod::parse("2025-03").unwrap()),
        statuses: Some(vec![BillingStatus::Issued, BillingStatus::Paid]),
    };
    let (mut seen, mut pages, mut cursor) = (Vec::new(), 0, None);
    loop {
        let page = s.billings.list_billings(&a, &filter, &PageRequest { limit: 2, cursor: cursor.clone() }).await.unwrap();
        pages += 1;
        seen.extend(page.items.iter().map(|b| (b.period.to_string(), b.status())));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(pages, 3, "{}", f.adapter);
    assert_eq!(seen.len(), 6);
    assert!(seen.iter().all(|(p, st)| ("2025-01".."2025-04").contains(&p.as_str()) && *st != BillingStatus::Draft), "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "period order");
    let open_ended = BillingFilter { from: Some(BillingPeriod::parse("2025-04").unwrap()), ..Default::default() };
    assert_eq!(s.billings.list_billings(&a, &open_ended, &PageRequest { limit: 50, cursor: None }).await.unwrap().items.len(), 3);
    let until = BillingFilter { to: Some(BillingPeriod::parse("2024-12").unwrap()), ..Default::default() };
    assert_eq!(s.billings.list_billings(&a, &until, &PageRequest { limit: 50, cursor: None }).await.unwrap().items.len(), 3);
    let page = s.billings.list_billings(&a, &BillingFilter::default(), &PageRequest { limit: 1, cursor: None }).await.unwrap();
    let replayed = s.billings.list_billings(&b, &BillingFilter::default(), &PageRequest { limit: 1, cursor: page.next_cursor }).await;
    assert!(matches!(replayed, Err(StoreError::InvalidCursor)));
}

pub async fn idempotency_keys_claim_replay_and_refuse(f: StoreFixture) {
    let s = &f.stores;
    let (a, b) = (IdempotencyScope::Tenant(tenant_id(1)), IdempotencyScope::Tenant(tenant_id(2)));
    let key = IdempotencyKey::parse("3f1c9a2e-8d7b-4c1a").unwrap();
    let t = seikyu_tests::fixtures::t0();
    assert_eq!(s.idempotency.begin(&a, &key, "hash-1", t).await.unwrap(), Begin::Started);
    assert_eq!(s.idempotency.begin(&a, &key, "hash-1", t).await.unwrap(), Begin::InProgress);
    assert_eq!(s.idempotency.begin(&a, &key, "hash-2", t).await.unwrap(), Begin::Mismatch);
    // Keys are per tenant.
    assert_eq!(s.idempotency.begin(&b, &key, "hash-9", t).await.unwrap(), Begin::Started);
    assert_eq!(s.idempotency.begin(&IdempotencyScope::Runs, &key, "hash-8", t).await.unwrap(), Begin::Started, "{}: runs have keys of their own", f.adapter);
    assert_eq!(s.idempotency.begin(&IdempotencyScope::Onboarding, &key, "hash-7", t).await.unwrap(), Begin::Started, "{}: onboardings too", f.adapter);
    assert_eq!(s.idempotency.begin(&IdempotencyScope::Onboarding, &key, "hash-6", t).await.unwrap(), Begin::Mismatch, "{}", f.adapter);
    let response = StoredResponse { status: 201, headers: vec![("etag".into(), "\"1\"".into())], body: "{\"ok\":true}".into() };
    s.idempotency.complete(&a, &key, "hash-1", &response, t).await.unwrap();
    assert_eq!(s.idempotency.begin(&a, &key, "hash-1", t).await.unwrap(), Begin::Replay(response));
    assert_eq!(s.idempotency.begin(&a, &key, "hash-2", t).await.unwrap(), Begin::Mismatch);

    // A dead attempt's lease runs out and a retry takes over; an abandoned key is free at once.
    let k2 = IdempotencyKey::parse("second").unwrap();
    assert_eq!(s.idempotency.begin(&a, &k2, "h", t).await.unwrap(), Begin::Started);
    assert_eq!(s.idempotency.begin(&a, &k2, "h", t + chrono::TimeDelta::seconds(10)).await.unwrap(), Begin::InProgress);
    assert_eq!(s.idempotency.begin(&a, &k2, "h", t + chrono::TimeDelta::seconds(31)).await.unwrap(), Begin::Started);
    s.idempotency.abandon(&a, &k2).await.unwrap();
    assert_eq!(s.idempotency.begin(&a, &k2, "other", t).await.unwrap(), Begin::Started);
}

pub async fn concurrent_claims_let_exactly_one_start(f: StoreFixture) {
    let s = f.stores.clone();
    let key = IdempotencyKey::parse("race").unwrap();
    let t = seikyu_tests::fixtures::t0();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (s, key) = (s.clone(), key.clone());
            tokio::spawn(async move { s.idempotency.begin(&IdempotencyScope::Tenant(tenant_id(1)), &key, "same", t).await })
        })
        .collect();
    let mut started = 0;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            Begin::Started => started += 1,
            Begin::InProgress => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(started, 1, "{}", f.adapter);
}

pub async fn tenants_are_listed_in_id_order_across_pages(f: StoreFixture) {
    let s = &f.stores;
    for n in [5, 1, 7, 3, 2, 6, 4] {
        s.tenants.create_tenant(&tenant(&tenant_id(n), &format!("T{n}"))).await.unwrap();
    }
    // A replaced tenant stays listed (the index keys are written with every version).
    let mut t3 = s.tenants.get_tenant(&tenant_id(3)).await.unwrap().unwrap();
    t3.name = "T3 renamed".into();
    t3.version = 2;
    s.tenants.replace_tenant(&t3, 1).await.unwrap();
    s.tenants.purge_tenant(&tenant_id(6)).await.unwrap();
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = s.tenants.list_tenants(&PageRequest { limit: 2, cursor }).await.unwrap();
        assert!(page.items.len() <= 2, "{}", f.adapter);
        seen.extend(page.items.into_iter().map(|t| t.name));
        pages += 1;
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, ["T1", "T2", "T3 renamed", "T4", "T5", "T7"], "{}", f.adapter);
    assert_eq!(pages, 3, "{}", f.adapter);
    // A tenant-bound cursor is no cursor here, and the other way round.
    let tenant_cursor = s.contracts.list_contracts(&tenant_id(1), &ContractFilter::default(), &PageRequest { limit: 1, cursor: None }).await.unwrap();
    assert!(tenant_cursor.next_cursor.is_none());
    let first = s.tenants.list_tenants(&PageRequest { limit: 1, cursor: None }).await.unwrap();
    let global = first.next_cursor.unwrap();
    let refused = s.contracts.list_contracts(&tenant_id(1), &ContractFilter::default(), &PageRequest { limit: 1, cursor: Some(global) }).await;
    assert!(matches!(refused, Err(StoreError::InvalidCursor)), "{}", f.adapter);
    assert!(matches!(s.tenants.list_tenants(&PageRequest { limit: 1, cursor: Some("AAAA".into()) }).await, Err(StoreError::InvalidCursor)));
}

pub async fn metering_adds_up_per_tenant_and_day(f: StoreFixture) {
    let s = std::sync::Arc::new(f.stores.clone());
    let (a, b) = (tenant_id(1), tenant_id(2));
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2025, 4, d).unwrap();
    let m = |bytes: u64, rendered: u64, exports: u64| Metered { bytes_streamed: bytes, invoices_rendered: rendered, exports };
    // Concurrent additions from many requests all count.
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (s, a) = (s.clone(), a.clone());
        tasks.push(tokio::spawn(async move { s.metering.add_metered(&a, day(2), &m(1_000, 1, 0)).await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    s.metering.add_metered(&a, day(1), &m(5, 0, 1)).await.unwrap();
    s.metering.add_metered(&a, day(30), &m(7, 0, 0)).await.unwrap();
    s.metering.add_metered(&b, day(2), &m(3_000_000_000_000, 0, 2)).await.unwrap();
    // A batch's metering, several tenants (one twice) in one call.
    s.metering.add_metered_many(day(2), &[(a.clone(), m(0, 3, 0)), (b.clone(), m(0, 1, 0)), (a.clone(), m(0, 2, 0))]).await.unwrap();
    assert_eq!(s.metering.metered(&a, day(1), day(2)).await.unwrap(), vec![(day(1), m(5, 0, 1)), (day(2), m(20_000, 25, 0))], "{}", f.adapter);
    assert_eq!(s.metering.metered(&a, day(2), day(29)).await.unwrap(), vec![(day(2), m(20_000, 25, 0))], "{}", f.adapter);
    assert_eq!(s.metering.metered(&b, day(1), day(30)).await.unwrap(), vec![(day(2), m(3_000_000_000_000, 1, 2))], "{}", f.adapter);
    assert!(s.metering.metered(&tenant_id(3), day(1), day(30)).await.unwrap().is_empty());
    // Purging a tenant takes its metering too.
    s.tenants.create_tenant(&tenant(&a, "A")).await.unwrap();
    s.tenants.purge_tenant(&a).await.unwrap();
    assert!(s.metering.metered(&a, day(1), day(30)).await.unwrap().is_empty(), "{}", f.adapter);
    assert_eq!(s.metering.metered(&b, day(1), day(30)).await.unwrap().len(), 1);
}

/// Runs: one active run per period, items added and settled once each, counts that add up.
pub async fn runs_claim_their_period_and_count_every_item_once(f: StoreFixture) {
    use common::domain::{BillingId, InvoiceNumber, InvoiceRun, ItemState, RunId, RunItem, RunRequest, RunState, Settlement};
    let s = &f.stores;
    let (april, may) = (BillingPeriod::parse("2025-04").unwrap(), BillingPeriod::parse("2025-05").unwrap());
    let run = |p: BillingPeriod, n: u8| InvoiceRun {
        run_id: RunId::new(p, [n; 8]),
        request: RunRequest { period: p, tenants: None, generate: true },
        state: RunState::Queued,
        cancel_requested: false,
        created_at: chrono::Utc::now(),
        started_at: None,
        finished_at: None,
        version: 1,
    };
    let first = run(april, 1);
    s.runs.create_run(&first).await.unwrap();
    assert!(matches!(s.runs.create_run(&run(april, 2)).await, Err(StoreError::AlreadyExists)), "{}: one active run per period", f.adapter);
    assert_eq!(s.runs.active_run(april).await.unwrap(), Some(first.run_id.clone()));
    s.runs.create_run(&run(may, 3)).await.unwrap();

    let item = |t: u8, i: u16| RunItem::pending(first.run_id.clone(), tenant_id(t), BillingId::parse(&format!("2025-04-{i:08}")).unwrap());
    let items: Vec<RunItem> = (0..150).map(|i| item(1 + (i % 3) as u8, i)).collect();
    assert_eq!(s.runs.add_items(&items).await.unwrap(), 150, "{}: more than one transaction's worth", f.adapter);
    let again: Vec<RunItem> = (140..160).map(|i| item(1 + (i % 3) as u8, i)).collect();
    assert_eq!(s.runs.add_items(&again).await.unwrap(), 10, "{}: items already there are not counted again", f.adapter);

    let issued = Settlement::Issued { invoice_number: InvoiceNumber::parse("INV-2025-000001").unwrap(), total: common::domain::Yen::new(1100).unwrap() };
    assert!(s.runs.settle_item(&items[0], &issued).await.unwrap());
    assert!(!s.runs.settle_item(&items[0], &issued).await.unwrap(), "{}: a redelivery settles nothing", f.adapter);
    assert!(!s.runs.settle_item(&items[0], &Settlement::Failed { reason: "late".into() }).await.unwrap(), "settled once, for good");
    assert!(s.runs.settle_item(&items[1], &Settlement::Failed { reason: "描画に失敗しました".into() }).await.unwrap());
    assert!(s.runs.settle_item(&items[2], &Settlement::Cancelled).await.unwrap());
    let stranger = RunItem::pending(first.run_id.clone(), tenant_id(9), BillingId::parse("2025-04-99999999").unwrap());
    assert!(matches!(s.runs.settle_item(&stranger, &Settlement::Cancelled).await, Err(StoreError::VersionMismatch)), "not an item of the run");
    // Four workers settle one item at once: it counts once.
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (runs, one, how) = (s.runs.clone(), items[3].clone(), issued.clone());
            tokio::spawn(async move { runs.settle_item(&one, &how).await.unwrap() })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1, "{}", f.adapter);

    // A worker's batch in one call: one already settled, 60 new (more than one DynamoDB
    // transaction holds), and an item of another run.
    let other = RunItem::pending(run(may, 3).run_id, tenant_id(1), BillingId::parse("2025-05-00000001").unwrap());
    assert_eq!(s.runs.add_items(std::slice::from_ref(&other)).await.unwrap(), 1);
    let mut batch = vec![(items[0].clone(), issued.clone()), (other.clone(), Settlement::Cancelled)];
    batch.extend(items[4..64].iter().map(|i| (i.clone(), issued.clone())));
    let settled = s.runs.settle_items(&batch).await.unwrap();
    assert_eq!(settled.len(), 62);
    assert_eq!((settled[0], settled[1..].iter().all(|&b| b)), (false, true), "{}: only the pending ones settle", f.adapter);
    assert!(s.runs.settle_items(&batch).await.unwrap().iter().all(|&b| !b), "{}: the batch redelivered settles nothing", f.adapter);
    let (_, may_counts) = s.runs.get_run(&other.run_id).await.unwrap().unwrap();
    assert_eq!((may_counts.total, may_counts.cancelled), (1, 1), "{}: each run counts its own", f.adapter);

    let (_, counts) = s.runs.get_run(&first.run_id).await.unwrap().unwrap();
    assert_eq!((counts.total, counts.issued, counts.failed, counts.cancelled, counts.remaining()), (160, 62, 1, 1, 96), "{}", f.adapter);
    let stored = s.runs.get_item(&first.run_id, &items[1].tenant_id, &items[1].billing_id).await.unwrap().unwrap();
    assert_eq!((stored.state, stored.reason.as_deref()), (ItemState::Failed, Some("描画に失敗しました")));

    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = s.runs.list_items(&first.run_id, &PageRequest { limit: 50, cursor }).await.unwrap();
        seen.extend(page.items.iter().map(RunItem::key));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut expected: Vec<String> = items.iter().chain(&again).map(RunItem::key).collect();
    expected.sort();
    expected.dedup();
    assert_eq!(seen, expected, "{}: every item once, in key order", f.adapter);

    let mut done = first.clone();
    done.state = RunState::Completed;
    done.version = 2;
    assert!(matches!(s.runs.replace_run(&done, 5).await, Err(StoreError::VersionMismatch)));
    s.runs.replace_run(&done, 1).await.unwrap();
    assert_eq!(s.runs.active_run(april).await.unwrap(), None, "{}: a finished run gives its period back", f.adapter);
    let second = run(april, 4);
    s.runs.create_run(&second).await.unwrap();
    let listed = s.runs.list_runs(Some(april), &PageRequest { limit: 10, cursor: None }).await.unwrap();
    let mut ids = vec![first.run_id.clone(), second.run_id.clone()];
    ids.sort();
    assert_eq!(listed.items.iter().map(|r| r.run_id.clone()).collect::<Vec<_>>(), ids);
    assert_eq!(s.runs.list_runs(None, &PageRequest { limit: 10, cursor: None }).await.unwrap().items.len(), 3);
}

/// Numbers for a batch of drafts move the counter once: all bound, consecutive, or none.
pub async fn allocations_bind_a_batch_of_numbers_or_none(f: StoreFixture) {
    use common::domain::{InvoiceNumber, PdfSource, lifecycle};
    use common::store::{Allocation, MAX_ALLOCATIONS, Replacement};
    use seikyu_tests::fixtures::{draft, issuer, recipient, t0};
    let s = &f.stores;
    let drafts: Vec<_> = (1..=MAX_ALLOCATIONS as u8).map(|n| draft(&tenant_id(1 + n % 3), "2025-06", n)).collect();
    for d in &drafts {
        s.billings.create_billing(d).await.unwrap();
    }
    let year = 2025;
    let first = s.invoices.next_invoice_seq(year).await.unwrap();
    let allocations: Vec<Allocation> = drafts
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let number = InvoiceNumber::new(&issuer().invoice_prefix, year, first + i as u64);
            let frozen = lifecycle::freeze(d, &issuer(), recipient(&d.tenant_id), number, PdfSource::Rendered).unwrap();
            let (invoice, billing) = lifecycle::bind(d, frozen, t0()).unwrap();
            Allocation { invoice, billing, billing_version: d.version }
        })
        .collect();
    // One record moved since it was read: nothing is written, no number used.
    let mut stale = allocations.clone();
    stale[7].billing_version += 1;
    assert!(matches!(s.invoices.allocate_invoices(year, first, &stale).await, Err(StoreError::VersionMismatch)), "{}", f.adapter);
    assert_eq!(s.invoices.next_invoice_seq(year).await.unwrap(), first, "{}: the counter did not move", f.adapter);
    assert!(s.invoices.get_invoice(&allocations[0].invoice.tenant_id, &allocations[0].invoice.invoice_number).await.unwrap().is_none());
    // A counter that moved meanwhile refuses the batch too.
    assert!(matches!(s.invoices.allocate_invoices(year, first + 1, &allocations).await, Err(StoreError::VersionMismatch)), "{}", f.adapter);

    s.invoices.allocate_invoices(year, first, &allocations).await.unwrap();
    assert_eq!(s.invoices.next_invoice_seq(year).await.unwrap(), first + MAX_ALLOCATIONS as u64, "{}", f.adapter);
    for a in &allocations {
        let stored = s.invoices.get_invoice(&a.invoice.tenant_id, &a.invoice.invoice_number).await.unwrap().unwrap();
        assert_eq!(stored.billing_id, a.billing.billing_id);
        let record = s.billings.get_billing(&a.billing.tenant_id, &a.billing.billing_id).await.unwrap().unwrap();
        assert_eq!(record.invoice_number(), Some(&a.invoice.invoice_number), "{}", f.adapter);
    }
    assert!(matches!(s.invoices.allocate_invoices(year, first + MAX_ALLOCATIONS as u64, &allocations).await, Err(StoreError::VersionMismatch)), "bound once");
    s.invoices.allocate_invoices(year, 7, &[]).await.unwrap();

    // The lot marked issued in one write, or none of it.
    let pdf = common::domain::PdfInfo { sha256: "a".repeat(64), size: 1000 };
    let issued: Vec<Replacement> = allocations
        .iter()
        .map(|a| {
            let (invoice, billing) = lifecycle::issue(&a.invoice, &a.billing, pdf.clone(), t0()).unwrap();
            Replacement { invoice, invoice_version: a.invoice.version, billing, billing_version: a.billing.version }
        })
        .collect();
    let mut stale = issued.clone();
    stale[30].invoice_version += 1;
    assert!(matches!(s.invoices.update_invoices_and_billings(&stale).await, Err(StoreError::VersionMismatch)), "{}", f.adapter);
    let untouched = s.invoices.get_invoice(&issued[0].invoice.tenant_id, &issued[0].invoice.invoice_number).await.unwrap().unwrap();
    assert_eq!(untouched.status(), common::domain::InvoiceStatus::Rendering, "{}: nothing of a refused batch is written", f.adapter);
    s.invoices.update_invoices_and_billings(&issued).await.unwrap();
    for r in &issued {
        let stored = s.invoices.get_invoice(&r.invoice.tenant_id, &r.invoice.invoice_number).await.unwrap().unwrap();
        assert_eq!(stored.status(), common::domain::InvoiceStatus::Issued, "{}", f.adapter);
        let record = s.billings.get_billing(&r.billing.tenant_id, &r.billing.billing_id).await.unwrap().unwrap();
        assert_eq!(record.status(), BillingStatus::Issued, "{}", f.adapter);
    }
    assert!(matches!(s.invoices.update_invoices_and_billings(&issued).await, Err(StoreError::VersionMismatch)), "{}: written once", f.adapter);
}

macro_rules! suite {
    ($adapter:ident, $make:path) => {
        mod $adapter {
            suite!(@tests $make;
                tenant_create_if_absent_conflicts,
                tenant_replace_with_stale_version_conflicts,
                concurrent_replaces_let_exactly_one_win,
                contract_create_if_absent_and_replace_if_version,
                list_with_filter_across_pages,
                cursor_from_another_tenant_or_edited_is_refused,
                principals_and_api_keys_round_trip,
                purge_removes_one_tenant_only,
                oversized_items_are_refused,
                objects_put_get_range_head_delete,
                objects_are_never_replaced_and_copies_are_conditional,
                presigned_urls_work_over_http,
                billings_create_replace_and_list_by_period,
                idempotency_keys_claim_replay_and_refuse,
                concurrent_claims_let_exactly_one_start,
                tenants_are_listed_in_id_order_across_pages,
                metering_adds_up_per_tenant_and_day,
                runs_claim_their_period_and_count_every_item_once,
                allocations_bind_a_batch_of_numbers_or_none,
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

suite!(embedded, seikyu_tests::fixtures::embedded_store);
suite!(dynamodb, seikyu_tests::fixtures::dynamodb_store);

/// Local runs keep their data: the embedded store reopens with everything it held.
#[tokio::test]
async fn embedded_store_survives_a_restart() {
    use common::store::embedded::{EmbeddedOptions, EmbeddedStore};
    let dir = tempfile::tempdir().unwrap();
    let options =
        || EmbeddedOptions { cursor_key: seikyu_tests::fixtures::CURSOR_KEY.to_vec(), presign_key: vec![1; 32], public_base_url: "http://127.0.0.1:1".into() };
    let clock = std::sync::Arc::new(common::clock::SystemClock);
    let key = ObjectKey::new(&tenant_id(1), "kept.pdf").unwrap();
    {
        let store = EmbeddedStore::open(dir.path(), options(), clock.clone()).unwrap();
        let s = store.stores();
        s.tenants.create_tenant(&tenant(&tenant_id(1), "A")).await.unwrap();
        s.contracts.create_contract(&contract(&tenant_id(1), "C-1", ContractStatus::Active)).await.unwrap();
        s.objects.create_object(&key, sample(1000), "application/pdf").await.unwrap();
    }
    let store = EmbeddedStore::open(dir.path(), options(), clock).unwrap();
    let s = store.stores();
    assert_eq!(s.tenants.get_tenant(&tenant_id(1)).await.unwrap().map(|t| t.name), Some("A".into()));
    assert!(s.contracts.get_contract(&tenant_id(1), &ContractId::parse("C-1").unwrap()).await.unwrap().is_some());
    assert_eq!(read_all(s.objects.get_object(&key, None).await.unwrap().unwrap()).await, sample(1000).to_vec());
}

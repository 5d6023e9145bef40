//! Contract routes through their handlers: create/replace with preconditions, reads, listing with
//! filters and cursors, and isolation between tenants.

use seikyu_tests::events::Event;
use seikyu_tests::fixtures::{seeded_app, tenant_id, who};
use serde_json::{Value, json};

use crate::handlers::{as_operator, as_tenant_a, run};

const ONE: &str = "/v1/tenants/{tenantId}/contracts/{contractId}";
const MANY: &str = "/v1/tenants/{tenantId}/contracts";

fn terms() -> Value {
    json!({
        "planName": "Redmine ホスティング プレミアム",
        "monthlyFee": 132000,
        "startDate": "2025-04-01",
        "endDate": "2026-03-31",
        "billingCycle": "yearly",
        "notes": "初年度割引あり\n請求書は郵送"
    })
}

fn put(tenant: &str, id: &str, body: &Value) -> Event {
    Event::new("PUT", ONE, &format!("/v1/tenants/{tenant}/contracts/{id}")).json_body(body)
}

#[tokio::test]
async fn put_creates_then_replaces_with_if_match() {
    let s = seeded_app().await;
    let a = tenant_id(1);
    let created = run(&s, "put-contract", as_operator(put(a.as_str(), "C-2025-0001", &terms()))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.header("location"), Some(format!("/v1/tenants/{a}/contracts/C-2025-0001").as_str()));
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(created.body["status"], "active", "status defaults to active");
    assert_eq!(created.body["monthlyFee"], 132000);
    assert_eq!(created.body["tenantId"], a.as_str());

    // The same PUT again is idempotent; different terms need If-Match.
    let again = run(&s, "put-contract", as_operator(put(a.as_str(), "C-2025-0001", &terms()))).await;
    assert_eq!((again.status, again.header("etag")), (200, Some("\"1\"")));
    let mut changed = terms();
    changed["monthlyFee"] = json!(150000);
    let a428 = run(&s, "put-contract", as_operator(put(a.as_str(), "C-2025-0001", &changed))).await;
    assert_eq!(a428.status, 428);
    let a412 = run(&s, "put-contract", as_operator(put(a.as_str(), "C-2025-0001", &changed).header("If-Match", "\"5\""))).await;
    assert_eq!(a412.status, 412);
    let create_only = run(&s, "put-contract", as_operator(put(a.as_str(), "C-2025-0001", &terms()).header("If-None-Match", "*"))).await;
    assert_eq!(create_only.status, 412);

    s.clock.advance(chrono::TimeDelta::hours(1));
    let replaced = run(&s, "put-contract", as_operator(put(a.as_str(), "C-2025-0001", &changed).header("If-Match", "\"1\""))).await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.header("etag"), Some("\"2\""));
    assert_eq!(replaced.body["monthlyFee"], 150000);
    assert_eq!(replaced.body["createdAt"], "2025-04-01T09:00:00Z");
    assert_eq!(replaced.body["updatedAt"], "2025-04-01T10:00:00Z");

    let missing = run(&s, "put-contract", as_operator(put(a.as_str(), "C-none", &terms()).header("If-Match", "\"1\""))).await;
    assert_eq!(missing.status, 412, "If-Match on a contract that does not exist fails");
    let no_tenant = run(&s, "put-contract", as_operator(put(tenant_id(9).as_str(), "C-1", &terms()))).await;
    assert_eq!(no_tenant.status, 404);
}

#[tokio::test]
async fn put_reports_every_bad_field() {
    let s = seeded_app().await;
    let body = json!({
        "planName": "",
        "monthlyFee": -1,
        "startDate": "2025-02-30",
        "billingCycle": "weekly",
        "status": "paused",
        "notes": "x".repeat(2001)
    });
    let a = run(&s, "put-contract", as_operator(put(tenant_id(1).as_str(), "C-1", &body))).await;
    assert_eq!(a.status, 400);
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(fields, ["billingCycle", "monthlyFee", "notes", "planName", "startDate", "status"]);

    let mut ends_early = terms();
    ends_early["endDate"] = json!("2025-03-31");
    let a = run(&s, "put-contract", as_operator(put(tenant_id(1).as_str(), "C-1", &ends_early))).await;
    assert_eq!((a.status, a.error_fields()), (400, vec!["endDate".to_owned()]));

    let mut fractional = terms();
    fractional["monthlyFee"] = json!(1000.5);
    let a = run(&s, "put-contract", as_operator(put(tenant_id(1).as_str(), "C-1", &fractional))).await;
    assert_eq!((a.status, a.error_fields()), (400, vec!["monthlyFee".to_owned()]), "yen are whole numbers");

    let mut huge = terms();
    huge["monthlyFee"] = json!(1_000_000_000_000i64);
    let a = run(&s, "put-contract", as_operator(put(tenant_id(1).as_str(), "C-1", &huge))).await;
    assert_eq!((a.status, a.error_fields()), (400, vec!["monthlyFee".to_owned()]));

    let a = run(&s, "put-contract", as_operator(put(tenant_id(1).as_str(), "bad%23id", &terms()))).await;
    assert_eq!((a.status, a.error_fields()), (400, vec!["path.contractId".to_owned()]));
    let a = run(&s, "put-contract", as_operator(put(tenant_id(1).as_str(), "C-1", &terms()).header("If-Match", "1"))).await;
    assert_eq!((a.status, a.error_fields()), (400, vec!["header.If-Match".to_owned()]));
}

#[tokio::test]
async fn tenants_cannot_write_contracts() {
    let s = seeded_app().await;
    let a = run(&s, "put-contract", as_tenant_a(put(tenant_id(1).as_str(), "C-9", &terms()))).await;
    assert_eq!(a.status, 403);
    let a = run(&s, "put-contract", as_tenant_a(put(tenant_id(2).as_str(), "C-9", &terms()))).await;
    assert_eq!(a.status, 403, "an operator route is refused before any tenant check");
}

#[tokio::test]
async fn contracts_are_read_by_their_tenant_only() {
    let s = seeded_app().await;
    let get = |t: &str, c: &str| Event::new("GET", ONE, &format!("/v1/tenants/{t}/contracts/{c}"));
    let (a, b) = (tenant_id(1), tenant_id(2));
    let own = run(&s, "get-contract", as_tenant_a(get(a.as_str(), "C-A-1"))).await;
    assert_eq!(own.status, 200);
    assert_eq!(own.body["contractId"], "C-A-1");
    assert_eq!(own.header("etag"), Some("\"1\""));
    assert!(own.body.get("PK").is_none() && own.body.get("SK").is_none(), "storage keys are never serialised");

    let cross = run(&s, "get-contract", as_tenant_a(get(b.as_str(), "C-B-1"))).await;
    let missing = run(&s, "get-contract", as_tenant_a(get(a.as_str(), "C-nope"))).await;
    // Asking for B's contract id under A's own path finds nothing either.
    let smuggled = run(&s, "get-contract", as_tenant_a(get(a.as_str(), "C-B-1"))).await;
    assert_eq!((cross.status, missing.status, smuggled.status), (404, 404, 404));
    assert_eq!(cross.body, missing.body);
    let op = run(&s, "get-contract", as_operator(get(b.as_str(), "C-B-1"))).await;
    assert_eq!(op.status, 200);
}

#[tokio::test]
async fn listing_filters_and_pages() {
    let s = seeded_app().await;
    let a = tenant_id(1);
    for i in 0..7 {
        let mut t = terms();
        t["status"] = json!(if i % 2 == 0 { "active" } else { "suspended" });
        assert_eq!(run(&s, "put-contract", as_operator(put(a.as_str(), &format!("C-L-{i}"), &t))).await.status, 201);
    }
    let list = |q: &[(&str, &str)]| {
        let mut e = Event::new("GET", MANY, &format!("/v1/tenants/{a}/contracts"));
        for (k, v) in q {
            e = e.query(k, v);
        }
        e
    };
    // Seeded: C-A-1 active, C-A-2 cancelled; added: C-L-0,2,4,6 active, C-L-1,3,5 suspended.
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut q = vec![("status", "active"), ("limit", "2")];
        if let Some(c) = &cursor {
            q.push(("cursor", c.as_str()));
        }
        let page = run(&s, "list-contracts", as_tenant_a(list(&q))).await;
        assert_eq!(page.status, 200, "{}", page.body);
        pages += 1;
        ids.extend(page.body["items"].as_array().unwrap().iter().map(|c| c["contractId"].as_str().unwrap().to_owned()));
        match page.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(ids, ["C-A-1", "C-L-0", "C-L-2", "C-L-4", "C-L-6"]);
    assert_eq!(pages, 3);

    let first = run(&s, "list-contracts", as_operator(list(&[("limit", "1")]))).await;
    let cursor = first.body["nextCursor"].as_str().unwrap().to_owned();
    let replay =
        run(&s, "list-contracts", as_operator(Event::new("GET", MANY, &format!("/v1/tenants/{}/contracts", tenant_id(2))).query("cursor", &cursor))).await;
    assert_eq!((replay.status, replay.error_fields()), (400, vec!["query.cursor".to_owned()]), "a cursor is bound to its tenant");

    let bad = run(&s, "list-contracts", as_operator(list(&[("limit", "0"), ("status", "open"), ("sort", "id")]))).await;
    assert_eq!((bad.status, bad.error_fields()), (400, vec!["query.sort".to_owned()]));
    let bad = run(&s, "list-contracts", as_operator(list(&[("limit", "101"), ("status", "open")]))).await;
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!((bad.status, fields), (400, vec!["query.limit".to_owned(), "query.status".to_owned()]));
    let twice = run(&s, "list-contracts", as_operator(list(&[("limit", "1"), ("limit", "2")]))).await;
    assert_eq!((twice.status, twice.error_fields()), (400, vec!["query.limit".to_owned()]));

    let cross = run(&s, "list-contracts", as_tenant_a(Event::new("GET", MANY, &format!("/v1/tenants/{}/contracts", tenant_id(2))))).await;
    assert_eq!(cross.status, 404);
    let none = run(&s, "list-contracts", as_operator(Event::new("GET", MANY, &format!("/v1/tenants/{}/contracts", tenant_id(9))))).await;
    assert_eq!(none.status, 404);
    let _ = who::OPERATOR_ARN;
}

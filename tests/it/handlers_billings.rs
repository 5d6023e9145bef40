//! Billing routes through their handlers: idempotent creation, drafts-only updates with
//! If-Match, totals per rate, and what tenants may see.

use seikyu_tests::events::Event;
use seikyu_tests::fixtures::{seeded_app, tenant_id};
use serde_json::{Value, json};

use crate::handlers::{as_operator, as_tenant_a, run};

const MANY: &str = "/v1/tenants/{tenantId}/billings";
const ONE: &str = "/v1/tenants/{tenantId}/billings/{billingId}";

fn new_billing() -> Value {
    json!({
        "period": "2025-05",
        "lines": [
            { "description": "Redmine ホスティング スタンダード 5月分", "quantity": 1, "unitPrice": 55000, "taxCategory": "standard" },
            { "description": "お茶", "quantity": 3, "unitPrice": 105, "taxCategory": "reduced" },
            { "description": "長期契約割引", "quantity": 1, "unitPrice": -5000, "taxCategory": "standard" }
        ],
        "notes": "5月分のご請求です",
        "issueDate": "2025-05-31",
        "dueDate": "2025-06-30"
    })
}

fn post(key: Option<&str>, body: &Value) -> Event {
    let e = Event::new("POST", MANY, &format!("/v1/tenants/{}/billings", tenant_id(1))).json_body(body);
    as_operator(match key {
        Some(k) => e.header("Idempotency-Key", k),
        None => e,
    })
}

#[tokio::test]
async fn create_is_idempotent() {
    let s = seeded_app().await;
    let first = run(&s, "create-billing", post(Some("key-1"), &new_billing())).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let id = first.body["billingId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("2025-05-"), "{id}");
    assert_eq!(first.body["status"], "draft");
    // Per-rate totals, tax rounded once per rate: 10% on 50,000 = 5,000; 8% on 315 = 25.2 → 25.
    assert_eq!(
        first.body["totals"]["byRate"],
        json!([
            { "taxCategory": "standard", "ratePercent": 10, "subtotal": 50000, "tax": 5000 },
            { "taxCategory": "reduced", "ratePercent": 8, "subtotal": 315, "tax": 25 }
        ])
    );
    assert_eq!(first.body["totals"]["total"], 55340);

    let replay = run(&s, "create-billing", post(Some("key-1"), &new_billing())).await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.body, first.body, "a replay returns the first response");
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.header("location"), first.header("location"));

    let mut other = new_billing();
    other["notes"] = json!("別の内容");
    let mismatch = run(&s, "create-billing", post(Some("key-1"), &other)).await;
    assert_eq!(mismatch.status, 422, "{}", mismatch.body);

    let list = run(&s, "list-billings", as_operator(Event::new("GET", MANY, &format!("/v1/tenants/{}/billings", tenant_id(1))).query("from", "2025-05"))).await;
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(1), "exactly one record was created");

    let second = run(&s, "create-billing", post(Some("key-2"), &new_billing())).await;
    assert_eq!(second.status, 201);
    assert_ne!(second.body["billingId"], first.body["billingId"], "a new key is a new record");
}

#[tokio::test]
async fn a_duplicate_in_flight_gets_409() {
    let s = seeded_app().await;
    let key = common::store::IdempotencyKey::parse("in-flight").unwrap();
    let req = post(Some("in-flight"), &new_billing()).request();
    let hash = common::http::idempotency::request_hash(&req);
    // Another instance has claimed the key and is still working.
    let claimed = s.app.stores.idempotency.begin(&common::store::IdempotencyScope::Tenant(tenant_id(1)), &key, &hash, s.app.clock.now()).await.unwrap();
    assert_eq!(claimed, common::store::Begin::Started);
    let dup = run(&s, "create-billing", post(Some("in-flight"), &new_billing())).await;
    assert_eq!(dup.status, 409, "{}", dup.body);
    // After the lease, a retry takes over and completes.
    s.clock.advance(chrono::TimeDelta::seconds(31));
    let retried = run(&s, "create-billing", post(Some("in-flight"), &new_billing())).await;
    assert_eq!(retried.status, 201, "{}", retried.body);
}

#[tokio::test]
async fn create_validates_every_field_and_needs_a_key() {
    let s = seeded_app().await;
    let a = run(&s, "create-billing", post(None, &new_billing())).await;
    assert_eq!((a.status, a.error_fields()), (400, vec!["header.Idempotency-Key".to_owned()]));
    let body = json!({
        "period": "2025-13",
        "lines": [
            { "description": "", "quantity": 0, "unitPrice": 1.5, "taxCategory": "standard" }
        ],
        "issueDate": "2025-05-31",
        "dueDate": "2025-05-01"
    });
    let a = run(&s, "create-billing", post(Some("k"), &body)).await;
    assert_eq!((a.status, a.error_fields()), (400, vec!["lines[0].unitPrice".to_owned()]), "a wrong type stops parsing at that field");
    let body = json!({
        "period": "2025-13",
        "lines": [
            { "description": "", "quantity": 0, "unitPrice": 100, "taxCategory": "zero" },
            { "description": "x".repeat(201), "quantity": 1, "unitPrice": 100, "taxCategory": "reduced" }
        ],
        "issueDate": "2025-05-31",
        "dueDate": "2025-05-01"
    });
    let a = run(&s, "create-billing", post(Some("k"), &body)).await;
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(fields, ["dueDate", "lines[0].description", "lines[0].quantity", "lines[0].taxCategory", "lines[1].description", "period"]);
    let empty = json!({ "period": "2025-05", "lines": [], "issueDate": "2025-05-31", "dueDate": "2025-06-30" });
    let a = run(&s, "create-billing", post(Some("k"), &empty)).await;
    assert_eq!((a.status, a.error_fields()), (400, vec!["lines".to_owned()]));
    // Nothing was claimed by the refused requests: the key is still free.
    let ok = run(&s, "create-billing", post(Some("k"), &new_billing())).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
}

#[tokio::test]
async fn drafts_change_with_if_match_and_issued_records_do_not() {
    let s = seeded_app().await;
    let path = |id: &str| format!("/v1/tenants/{}/billings/{id}", tenant_id(1));
    let patch = |id: &str, etag: Option<&str>, body: Value| {
        let e = Event::new("PATCH", ONE, &path(id)).json_body(&body);
        as_operator(match etag {
            Some(t) => e.header("If-Match", t),
            None => e,
        })
    };
    assert_eq!(run(&s, "update-billing", patch("2025-04-draft001", None, json!({"notes": "x"}))).await.status, 428);
    assert_eq!(run(&s, "update-billing", patch("2025-04-draft001", Some("\"3\""), json!({"notes": "x"}))).await.status, 412);
    let lines = json!([{ "description": "追加作業", "quantity": 2, "unitPrice": 10000, "taxCategory": "standard" }]);
    let ok = run(&s, "update-billing", patch("2025-04-draft001", Some("\"1\""), json!({"lines": lines, "notes": null, "dueDate": "2025-05-31"}))).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.header("etag"), Some("\"2\""));
    assert_eq!(ok.body["totals"]["total"], 22000);
    assert!(ok.body.get("notes").is_none(), "null removes the notes");
    assert_eq!(ok.body["dueDate"], "2025-05-31");
    let bad = run(&s, "update-billing", patch("2025-04-draft001", Some("\"2\""), json!({"dueDate": "2025-03-01", "lines": null}))).await;
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!((bad.status, fields), (400, vec!["dueDate".to_owned(), "lines".to_owned()]));
    let issued = run(&s, "update-billing", patch("2025-03-issued01", Some("\"1\""), json!({"notes": "x"}))).await;
    assert_eq!(issued.status, 409);
    assert!(issued.body["detail"].as_str().unwrap_or_default().contains("only drafts change"));
}

#[tokio::test]
async fn tenants_see_their_issued_records_only() {
    let s = seeded_app().await;
    let a = tenant_id(1);
    let get = |id: &str| as_tenant_a(Event::new("GET", ONE, &format!("/v1/tenants/{a}/billings/{id}")));
    let issued = run(&s, "get-billing", get("2025-03-issued01")).await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    assert_eq!(issued.body["invoiceNumber"], "SEED-2025-000001");
    assert_eq!(run(&s, "get-billing", get("2025-04-draft001")).await.status, 404, "drafts are the operator's");
    let missing = run(&s, "get-billing", get("2025-04-nothere1")).await;
    let cross = run(&s, "get-billing", as_tenant_a(Event::new("GET", ONE, &format!("/v1/tenants/{}/billings/2025-03-issued02", tenant_id(2))))).await;
    assert_eq!((missing.status, cross.status), (404, 404));
    assert_eq!(missing.body, cross.body);

    let list = |q: &[(&str, &str)]| {
        let mut e = Event::new("GET", MANY, &format!("/v1/tenants/{a}/billings"));
        for (k, v) in q {
            e = e.query(k, v);
        }
        e
    };
    let mine = run(&s, "list-billings", as_tenant_a(list(&[]))).await;
    let ids: Vec<&str> = mine.body["items"].as_array().unwrap().iter().map(|b| b["billingId"].as_str().unwrap()).collect();
    assert_eq!(ids, ["2025-03-issued01"]);
    let drafts = run(&s, "list-billings", as_tenant_a(list(&[("status", "draft")]))).await;
    assert_eq!((drafts.status, drafts.body["items"].as_array().map(Vec::len)), (200, Some(0)));
    let all = run(&s, "list-billings", as_operator(list(&[]))).await;
    assert_eq!(all.body["items"].as_array().map(Vec::len), Some(2), "the operator sees drafts");
    let bad = run(&s, "list-billings", as_operator(list(&[("from", "2025-06"), ("to", "2025-01"), ("status", "sent")]))).await;
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!((bad.status, fields), (400, vec!["query.status".to_owned(), "query.to".to_owned()]));
}

//! Invoice routes through their handlers: issuing over HTTP, reading and listing, void, paid, the
//! issuer settings, and what tenants may see.

use seikyu_tests::events::Event;
use seikyu_tests::fixtures::{seeded_app, tenant_id};
use serde_json::json;

use crate::handlers::{as_operator, as_tenant_a, run};

const ISSUE: &str = "/v1/tenants/{tenantId}/billings/{billingId}/issue";
const INVOICES: &str = "/v1/tenants/{tenantId}/invoices";
const INVOICE: &str = "/v1/tenants/{tenantId}/invoices/{invoiceNumber}";

#[tokio::test]
async fn issue_over_http_then_read_list_and_void() {
    let s = seeded_app().await;
    let a = tenant_id(1);
    let issue = || Event::new("POST", ISSUE, &format!("/v1/tenants/{a}/billings/2025-04-draft001/issue"));
    assert_eq!(run(&s, "issue-invoice", as_tenant_a(issue())).await.status, 403);
    let issued = run(&s, "issue-invoice", as_operator(issue())).await;
    assert_eq!(issued.status, 201, "{}", issued.body);
    // The seeded invoices used numbers 1 to 3 of 2025: this one is the fourth.
    assert_eq!(issued.body["invoiceNumber"], "INV-2025-000004");
    assert_eq!(issued.header("location"), Some(format!("/v1/tenants/{a}/invoices/INV-2025-000004").as_str()));
    assert_eq!(issued.body["status"], "issued");
    assert_eq!(issued.body["issuer"]["registrationNumber"], "T8700110005901");
    assert_eq!(issued.body["totals"]["byRate"][1]["ratePercent"], 8);
    assert!(issued.body["pdf"]["sha256"].as_str().is_some_and(|h| h.len() == 64));
    assert!(issued.body["pdf"].get("key").is_none(), "storage keys are not shown");
    let again = run(&s, "issue-invoice", as_operator(issue())).await;
    assert_eq!((again.status, &again.body), (200, &issued.body), "issuing again returns the same invoice");

    let read = run(&s, "get-invoice", as_tenant_a(Event::new("GET", INVOICE, &format!("/v1/tenants/{a}/invoices/INV-2025-000004")))).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("etag"), Some("\"2\""));
    let list = run(&s, "list-invoices", as_tenant_a(Event::new("GET", INVOICES, &format!("/v1/tenants/{a}/invoices")).query("period", "2025-04"))).await;
    let numbers: Vec<&str> = list.body["items"].as_array().unwrap().iter().map(|i| i["invoiceNumber"].as_str().unwrap()).collect();
    assert_eq!(numbers, ["INV-2025-000004"]);
    let cross = run(&s, "get-invoice", as_tenant_a(Event::new("GET", INVOICE, &format!("/v1/tenants/{}/invoices/SEED-2025-000002", tenant_id(2))))).await;
    assert_eq!(cross.status, 404);

    let void = |body: serde_json::Value| {
        as_operator(Event::new("POST", &format!("{INVOICE}/void"), &format!("/v1/tenants/{a}/invoices/INV-2025-000004/void")).json_body(&body))
    };
    let no_reason = run(&s, "void-invoice", void(json!({}))).await;
    assert_eq!((no_reason.status, no_reason.error_fields()), (400, vec!["reason".to_owned()]));
    let voided = run(&s, "void-invoice", void(json!({"reason": "金額訂正のため"}))).await;
    assert_eq!((voided.status, voided.body["status"].as_str()), (200, Some("void")));
    assert_eq!(voided.body["invoiceNumber"], "INV-2025-000004", "a void keeps its number");
    assert_eq!(run(&s, "void-invoice", void(json!({"reason": "again"}))).await.status, 409);
}

#[tokio::test]
async fn paid_and_issuer_settings() {
    let s = seeded_app().await;
    let a = tenant_id(1);
    let paid = |id: &str| as_operator(Event::new("POST", "/v1/tenants/{tenantId}/billings/{billingId}/paid", &format!("/v1/tenants/{a}/billings/{id}/paid")));
    let ok = run(&s, "mark-paid", paid("2025-03-issued01")).await;
    assert_eq!((ok.status, ok.body["status"].as_str()), (200, Some("paid")));
    assert_eq!(run(&s, "mark-paid", paid("2025-03-issued01")).await.status, 200, "paying twice is harmless");
    assert_eq!(run(&s, "mark-paid", paid("2025-04-draft001")).await.status, 409);

    let get = run(&s, "get-issuer", as_operator(Event::new("GET", "/v1/issuer", "/v1/issuer"))).await;
    assert_eq!((get.status, get.header("etag")), (200, Some("\"1\"")));
    assert_eq!(run(&s, "get-issuer", as_tenant_a(Event::new("GET", "/v1/issuer", "/v1/issuer"))).await.status, 403);
    let body = json!({
        "name": "株式会社セイキュウ", "address": "島根県松江市", "registrationNumber": "T7000012050002",
        "bankDetails": "しまね銀行", "invoicePrefix": "SK", "rounding": "halfUp"
    });
    let put = |etag: Option<&str>, body: &serde_json::Value| {
        let e = Event::new("PUT", "/v1/issuer", "/v1/issuer").json_body(body);
        as_operator(match etag {
            Some(t) => e.header("If-Match", t),
            None => e,
        })
    };
    assert_eq!(run(&s, "put-issuer", put(None, &body)).await.status, 428);
    let replaced = run(&s, "put-issuer", put(Some("\"1\""), &body)).await;
    assert_eq!((replaced.status, replaced.body["rounding"].as_str(), replaced.header("etag")), (200, Some("halfUp"), Some("\"2\"")));
    let mut bad = body.clone();
    bad["registrationNumber"] = json!("T1000012050002");
    bad["invoicePrefix"] = json!("inv");
    let refused = run(&s, "put-issuer", put(Some("\"2\""), &bad)).await;
    let mut fields = refused.error_fields();
    fields.sort();
    assert_eq!((refused.status, fields), (400, vec!["invoicePrefix".to_owned(), "registrationNumber".to_owned()]));
}

//! Usage reports through their handlers: the plan's request counts (from the local limiter) and
//! the handlers' own metering, per tenant and for the operator across tenants.

use chrono::{DateTime, Utc};
use common::domain::{PlanTier, usage_plan};
use seikyu_tests::events::{Answer, Event};
use seikyu_tests::fixtures::{Seeded, seeded_app, tenant_id, who};
use serde_json::json;

use crate::handlers::{as_operator, as_tenant_a, run};

const USAGE: &str = "/v1/tenants/{tenantId}/usage";

fn usage_of(tenant: &str, query: &[(&str, &str)]) -> Event {
    let mut e = Event::new("GET", USAGE, &format!("/v1/tenants/{tenant}/usage"));
    for (k, v) in query {
        e = e.query(k, v);
    }
    e
}

async fn all(s: &Seeded, query: &[(&str, &str)]) -> Answer {
    let mut e = Event::new("GET", "/v1/usage", "/v1/usage");
    for (k, v) in query {
        e = e.query(k, v);
    }
    run(s, "list-usage", as_operator(e)).await
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).unwrap()
}

/// Requests the gateway let through for `key`, as its limiter counts them.
fn requests(s: &Seeded, key: &str, times: &[&str]) {
    let plan = usage_plan(PlanTier::Standard);
    for t in times {
        s.limiter.check(key, &plan, at(t)).expect("within the plan");
    }
}

#[tokio::test]
async fn a_tenant_s_report_has_every_day_its_requests_its_metering_and_its_quota() {
    let s = seeded_app().await;
    let a = tenant_id(1);
    requests(&s, who::TENANT_A_KEY, &["2025-03-30T23:59:59Z", "2025-03-31T10:00:00Z", "2025-03-31T11:00:00Z", "2025-04-01T08:00:00Z"]);
    requests(&s, who::TENANT_B_KEY, &["2025-04-01T08:00:00Z"]);
    // Metered by the handlers themselves, on the clock's day (2025-04-01).
    let issued = run(
        &s,
        "issue-invoice",
        as_operator(Event::new("POST", "/v1/tenants/{tenantId}/billings/{billingId}/issue", &format!("/v1/tenants/{a}/billings/2025-04-draft001/issue"))),
    )
    .await;
    assert_eq!(issued.status, 201, "{}", issued.body);
    let pdf = run(
        &s,
        "download-invoice",
        as_tenant_a(Event::new("GET", "/v1/tenants/{tenantId}/invoices/{invoiceNumber}/pdf", &format!("/v1/tenants/{a}/invoices/SEED-2025-000001/pdf"))),
    )
    .await;
    assert_eq!(pdf.status, 200);
    let csv = run(&s, "export-billings", as_tenant_a(Event::new("GET", "/v1/tenants/{tenantId}/billings.csv", &format!("/v1/tenants/{a}/billings.csv")))).await;
    assert_eq!(csv.status, 200);
    // A refused download meters nothing.
    let missing = run(
        &s,
        "download-invoice",
        as_tenant_a(Event::new("GET", "/v1/tenants/{tenantId}/invoices/{invoiceNumber}/pdf", &format!("/v1/tenants/{a}/invoices/SEED-2025-000099/pdf"))),
    )
    .await;
    assert_eq!(missing.status, 404);

    let r = run(&s, "get-tenant-usage", as_tenant_a(usage_of(a.as_str(), &[("from", "2025-03-31"), ("to", "2025-04-01")]))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["tenantId"], a.as_str());
    assert_eq!(r.body["apiKeyId"], who::TENANT_A_KEY);
    assert_eq!(r.body["plan"]["quota"], json!({"limit": 100000, "period": "DAY"}));
    let bytes = (pdf.raw.len() + csv.raw.len()) as u64;
    assert_eq!(
        r.body["days"],
        json!([
            {"date": "2025-03-31", "requests": 2, "bytesStreamed": 0, "invoicesRendered": 0, "exports": 0},
            {"date": "2025-04-01", "requests": 1, "bytesStreamed": bytes, "invoicesRendered": 1, "exports": 1},
        ])
    );
    assert_eq!(r.body["totals"], json!({"requests": 3, "bytesStreamed": bytes, "invoicesRendered": 1, "exports": 1}));
    assert_eq!(
        r.body["quota"],
        json!({"period": "DAY", "periodStart": "2025-04-01", "periodEnd": "2025-04-01", "limit": 100000, "used": 1, "remaining": 99999})
    );

    // By default: this month so far.
    let r = run(&s, "get-tenant-usage", as_operator(usage_of(a.as_str(), &[]))).await;
    assert_eq!((r.body["from"].as_str(), r.body["to"].as_str()), (Some("2025-04-01"), Some("2025-04-01")));
}

#[tokio::test]
async fn a_report_refuses_other_tenants_and_bad_ranges_field_by_field() {
    let s = seeded_app().await;
    let (a, b) = (tenant_id(1), tenant_id(2));
    assert_eq!(run(&s, "get-tenant-usage", as_tenant_a(usage_of(b.as_str(), &[]))).await.status, 404, "another tenant's usage does not exist for A");
    type Query<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Query, &[&str]); 5] = [
        (&[("from", "2025-04-02"), ("to", "2025-04-01")], &["query.from"]),
        (&[("to", "2025-04-02")], &["query.to"]),
        (&[("from", "2024-12-01")], &["query.from"]),
        (&[("from", "yesterday"), ("to", "2025-4-1")], &["query.to", "query.from"]),
        (&[("period", "2025-04")], &["query.period"]),
    ];
    for (query, fields) in cases {
        let r = run(&s, "get-tenant-usage", as_tenant_a(usage_of(a.as_str(), query))).await;
        assert_eq!(r.status, 400, "{query:?}: {}", r.body);
        assert_eq!(r.error_fields(), fields, "{query:?}");
    }
}

#[tokio::test]
async fn the_operator_lists_every_tenant_s_month_a_page_at_a_time() {
    let s = seeded_app().await;
    requests(&s, who::TENANT_A_KEY, &["2025-03-31T10:00:00Z", "2025-04-01T08:00:00Z"]);
    requests(&s, who::TENANT_B_KEY, &["2025-04-01T08:00:00Z", "2025-04-01T08:10:00Z", "2025-04-01T08:20:00Z"]);
    let first = all(&s, &[("limit", "1")]).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["period"], "2025-04");
    assert_eq!(
        first.body["items"],
        json!([{"tenantId": tenant_id(1).as_str(), "name": "テナントA", "planTier": "standard", "status": "active", "requests": 1, "bytesStreamed": 0, "invoicesRendered": 0, "exports": 0}])
    );
    let cursor = first.body["nextCursor"].as_str().unwrap();
    let second = all(&s, &[("limit", "1"), ("cursor", cursor)]).await;
    assert_eq!(second.body["items"][0]["tenantId"], tenant_id(2).as_str());
    assert_eq!(second.body["items"][0]["requests"], 3);
    assert_eq!(second.body["nextCursor"], serde_json::Value::Null, "present, null on the last page");
    // March holds A's one request from the 31st.
    let march = all(&s, &[("period", "2025-03")]).await;
    assert_eq!((march.body["from"].as_str(), march.body["to"].as_str()), (Some("2025-03-01"), Some("2025-03-31")));
    assert_eq!(march.body["items"][0]["requests"], 1);
    // Refusals.
    assert_eq!(all(&s, &[("period", "2025-05")]).await.error_fields(), ["query.period"]);
    assert_eq!(all(&s, &[("cursor", "garbage")]).await.error_fields(), ["query.cursor"]);
    let tenant = run(&s, "list-usage", as_tenant_a(Event::new("GET", "/v1/usage", "/v1/usage"))).await;
    assert_eq!(tenant.status, 403);
    // A cursor from a tenant's listing does not open here.
    let contracts = run(
        &s,
        "list-contracts",
        as_operator(Event::new("GET", "/v1/tenants/{tenantId}/contracts", &format!("/v1/tenants/{}/contracts", tenant_id(1))).query("limit", "1")),
    )
    .await;
    let foreign = contracts.body["nextCursor"].as_str().unwrap();
    assert_eq!(all(&s, &[("cursor", foreign)]).await.error_fields(), ["query.cursor"]);
}

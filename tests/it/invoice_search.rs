//! The invoice listing searched as the electronic bookkeeping act (電子帳簿保存法) asks: by issue
//! date range, total range and recipient, each alone and together with period and status, through
//! the list-invoices handler; cursors bound to the whole search; bad input refused field by field.

use bytes::Bytes;
use common::domain::{BillingId, BillingLine, BillingPeriod, CustomerProfile, Invoice, InvoiceNumber, PdfSource, TaxCategory, Yen, fold_name, lifecycle};
use seikyu_tests::events::Event;
use seikyu_tests::fixtures::{Seeded, content, draft_with, finish_in, issuer, recipient, seeded_app, t0, tenant_id};

use crate::handlers::{as_operator, as_tenant_a, as_tenant_b, run};

const INVOICES: &str = "/v1/tenants/{tenantId}/invoices";

/// Tenant A's invoice `n` (SRCH-2025-00000n), issued on `issued` for `unit_price` yen plus 10%
/// tax, addressed to `company`; void when asked.
async fn add(s: &Seeded, n: u8, issued: &str, unit_price: i64, company: &str, void: bool) {
    let stores = &s.app.stores;
    let a = tenant_id(1);
    let issue_date: chrono::NaiveDate = issued.parse().unwrap();
    let period = BillingPeriod::parse(&issued[..7]).unwrap();
    let mut c = content(period);
    c.lines = vec![BillingLine { description: "保守".into(), quantity: 1, unit_price: Yen::new(unit_price).unwrap(), tax_category: TaxCategory::Standard }];
    c.issue_date = issue_date;
    c.due_date = issue_date + chrono::TimeDelta::days(30);
    let draft = draft_with(&a, BillingId::new(period, [n, 7, 7, 7, 7, 7, 7, n]), c);
    stores.billings.create_billing(&draft).await.unwrap();
    let to = CustomerProfile { company_name: company.into(), ..recipient(&a) };
    let number = InvoiceNumber::parse(&format!("SRCH-2025-{n:06}")).unwrap();
    let frozen = lifecycle::freeze(&draft, &issuer(), to, number, PdfSource::Rendered).unwrap();
    let (invoice, bound) = lifecycle::bind(&draft, frozen, t0()).unwrap();
    let year = Invoice::year_of(issue_date);
    let seq = stores.invoices.next_invoice_seq(year).await.unwrap();
    stores.invoices.allocate_invoice(year, seq, &invoice, &bound, draft.version).await.unwrap();
    finish_in(stores, &invoice, Bytes::from(format!("%PDF-1.7\n{n}\n"))).await;
    if void {
        let issued = stores.invoices.get_invoice(&a, &invoice.invoice_number).await.unwrap().unwrap();
        let record = stores.billings.get_billing(&a, &invoice.billing_id).await.unwrap().unwrap();
        let (v, r) = lifecycle::void(&issued, &record, "宛名誤り".into(), t0()).unwrap();
        stores.invoices.update_invoice_and_billing(&v, issued.version, &r, record.version).await.unwrap();
    }
}

/// The seeded app (tenant A already has SEED-2025-000001: issued 2025-03-01, total 60,849 yen,
/// to "seeded株式会社"), and four more of A's invoices to search.
async fn searchable() -> Seeded {
    let s = seeded_app().await;
    add(&s, 1, "2025-05-10", 10_000, "株式会社しまね商事", false).await;
    add(&s, 2, "2025-05-20", 50_000, "ＳＨＩＭＡＮＥ Trading ㈱", false).await;
    add(&s, 3, "2025-06-05", 100_000, "ｲｽﾞﾓ商会", false).await;
    add(&s, 4, "2025-06-15", 50_000, "出雲商会", true).await;
    s
}

fn list(params: &[(&str, &str)]) -> Event {
    params.iter().fold(Event::new("GET", INVOICES, &format!("/v1/tenants/{}/invoices", tenant_id(1))), |e, (k, v)| e.query(k, v))
}

/// The numbers found, as the operator and as tenant A (who sees its void invoices too).
async fn found(s: &Seeded, params: &[(&str, &str)]) -> Vec<String> {
    let a = run(s, "list-invoices", as_operator(list(params))).await;
    assert_eq!(a.status, 200, "{params:?}: {}", a.body);
    assert!(a.body["nextCursor"].is_null());
    let numbers: Vec<String> = a.body["items"].as_array().unwrap().iter().map(|i| i["invoiceNumber"].as_str().unwrap().to_owned()).collect();
    let tenant = run(s, "list-invoices", as_tenant_a(list(params))).await;
    assert_eq!(tenant.status, 200);
    assert_eq!(tenant.body["items"], a.body["items"], "{params:?}: the tenant finds the same");
    numbers
}

fn srch(ns: &[u8]) -> Vec<String> {
    ns.iter().map(|n| if *n == 0 { "SEED-2025-000001".to_owned() } else { format!("SRCH-2025-{n:06}") }).collect()
}

#[tokio::test]
async fn each_condition_alone() {
    let s = searchable().await;
    assert_eq!(found(&s, &[]).await, srch(&[0, 1, 2, 3, 4]));
    // Issue dates, both ends included.
    assert_eq!(found(&s, &[("issuedFrom", "2025-05-15")]).await, srch(&[2, 3, 4]));
    assert_eq!(found(&s, &[("issuedTo", "2025-05-20")]).await, srch(&[0, 1, 2]));
    assert_eq!(found(&s, &[("issuedFrom", "2025-05-01"), ("issuedTo", "2025-05-31")]).await, srch(&[1, 2]));
    assert_eq!(found(&s, &[("issuedFrom", "2025-05-20"), ("issuedTo", "2025-05-20")]).await, srch(&[2]));
    // Totals with tax, both ends included.
    assert_eq!(found(&s, &[("minTotal", "55000")]).await, srch(&[0, 2, 3, 4]));
    assert_eq!(found(&s, &[("maxTotal", "55000")]).await, srch(&[1, 2, 4]));
    assert_eq!(found(&s, &[("minTotal", "55000"), ("maxTotal", "55000")]).await, srch(&[2, 4]));
    assert_eq!(found(&s, &[("minTotal", "110001")]).await, srch(&[]));
    // The recipient: inside the name, whatever the case, width or compatibility form.
    assert_eq!(found(&s, &[("recipient", "しまね")]).await, srch(&[1]));
    assert_eq!(found(&s, &[("recipient", "shimane trading")]).await, srch(&[2]));
    assert_eq!(found(&s, &[("recipient", "(株)")]).await, srch(&[2]));
    assert_eq!(found(&s, &[("recipient", "イズモ")]).await, srch(&[3]));
    assert_eq!(found(&s, &[("recipient", "ｲｽﾞﾓ")]).await, srch(&[3]));
    assert_eq!(found(&s, &[("recipient", "商")]).await, srch(&[1, 3, 4]));
    assert_eq!(found(&s, &[("recipient", "SEEDED")]).await, srch(&[0]));
    assert_eq!(found(&s, &[("recipient", "株式会社しまね商事 本店")]).await, srch(&[]));
    assert_eq!(fold_name("ＳＨＩＭＡＮＥ Trading ㈱"), "shimane trading (株)");
}

#[tokio::test]
async fn conditions_combine_with_period_and_status() {
    let s = searchable().await;
    let all = [("recipient", "商"), ("issuedFrom", "2025-06-01"), ("maxTotal", "60000")];
    assert_eq!(found(&s, &all).await, srch(&[4]));
    let void: Vec<(&str, &str)> = all.iter().copied().chain([("status", "void")]).collect();
    assert_eq!(found(&s, &void).await, srch(&[4]));
    let issued: Vec<(&str, &str)> = all.iter().copied().chain([("status", "issued")]).collect();
    assert_eq!(found(&s, &issued).await, srch(&[]));
    assert_eq!(found(&s, &[("period", "2025-06"), ("minTotal", "100000")]).await, srch(&[3]));
    assert_eq!(found(&s, &[("period", "2025-05"), ("recipient", "ＳＨＩＭＡＮＥ")]).await, srch(&[2]));
    assert_eq!(found(&s, &[("period", "2025-05"), ("issuedFrom", "2025-06-01")]).await, srch(&[]));

    // Another tenant's search never reaches A's invoices.
    let b = run(&s, "list-invoices", as_tenant_b(list(&[("recipient", "商")]))).await;
    assert_eq!(b.status, 404);
}

#[tokio::test]
async fn pages_of_a_search_and_their_cursors() {
    let s = searchable().await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut params = vec![("recipient", "商"), ("limit", "1")];
        if let Some(c) = cursor.as_deref() {
            params.push(("cursor", c));
        }
        let page = run(&s, "list-invoices", as_operator(list(&params))).await;
        assert_eq!(page.status, 200, "{}", page.body);
        seen.extend(page.body["items"].as_array().unwrap().iter().map(|i| i["invoiceNumber"].as_str().unwrap().to_owned()));
        match page.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, srch(&[1, 3, 4]));

    // A cursor works for its own search only.
    let first = run(&s, "list-invoices", as_operator(list(&[("recipient", "商"), ("limit", "1")]))).await;
    let c = first.body["nextCursor"].as_str().unwrap().to_owned();
    let elsewhere: [&[(&str, &str)]; 3] = [
        &[("recipient", "出雲"), ("limit", "1"), ("cursor", &c)],
        &[("recipient", "商"), ("minTotal", "1"), ("limit", "1"), ("cursor", &c)],
        &[("recipient", "商"), ("issuedTo", "2030-01-01"), ("limit", "1"), ("cursor", &c)],
    ];
    for params in elsewhere {
        let refused = run(&s, "list-invoices", as_operator(list(params))).await;
        assert_eq!((refused.status, refused.error_fields()), (400, vec!["query.cursor".to_owned()]), "{params:?}");
    }
    // The same search with blanks around it is the same search.
    let same = run(&s, "list-invoices", as_operator(list(&[("recipient", " 商 "), ("limit", "1"), ("cursor", &c)]))).await;
    assert_eq!(same.status, 200, "{}", same.body);
}

#[tokio::test]
async fn bad_searches_are_refused_field_by_field() {
    let s = searchable().await;
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let long = "長".repeat(101);
    let cases: [Case; 9] = [
        (&[("issuedFrom", "2025-13-01")], &["query.issuedFrom"]),
        (&[("issuedFrom", "2025-6-1"), ("issuedTo", "yesterday")], &["query.issuedFrom", "query.issuedTo"]),
        (&[("issuedFrom", "2025-06-02"), ("issuedTo", "2025-06-01")], &["query.issuedTo"]),
        (&[("minTotal", "55,000"), ("maxTotal", "1.5")], &["query.minTotal", "query.maxTotal"]),
        (&[("minTotal", "100"), ("maxTotal", "99")], &["query.maxTotal"]),
        (&[("minTotal", "1000000000000")], &["query.minTotal"]),
        (&[("recipient", "  ")], &["query.recipient"]),
        (&[("recipient", &long)], &["query.recipient"]),
        (&[("issued_from", "2025-01-01"), ("period", "2025")], &["query.issued_from"]),
    ];
    for (params, fields) in cases {
        let a = run(&s, "list-invoices", as_operator(list(params))).await;
        assert_eq!(a.status, 400, "{params:?}: {}", a.body);
        assert_eq!(a.header("content-type"), Some("application/problem+json"));
        assert_eq!(a.error_fields(), fields.iter().map(|f| f.to_string()).collect::<Vec<_>>(), "{params:?}: {}", a.body);
    }
    // Every problem at once.
    let all = [("period", "May"), ("issuedTo", "x"), ("maxTotal", "-"), ("recipient", "a\tb")];
    let a = run(&s, "list-invoices", as_operator(list(&all))).await;
    assert_eq!(a.error_fields(), ["query.period", "query.issuedTo", "query.maxTotal", "query.recipient"]);
}

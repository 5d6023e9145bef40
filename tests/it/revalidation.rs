//! JSON reads revalidate over HTTP: a client holding a read's ETag gets 304 without the body
//! until the data changes (what the Redmine plugin's cache relies on).

use seikyu_tests::gateway::start_gateway;

use crate::routes_support::{header, now, text};

#[tokio::test]
async fn json_reads_answer_304_to_the_etag_they_gave() {
    let gw = start_gateway(now()).await;
    let (op, tenant) = (gw.operator(), gw.tenant(0));
    let t = gw.demo.tenants[0].tenant_id.to_string();
    for path in [format!("/v1/tenants/{t}"), format!("/v1/tenants/{t}/contracts?limit=2"), "/v1/me".to_owned(), format!("/v1/tenants/{t}/invoices")] {
        let first = tenant.send("GET", &path, &[], b"").await;
        assert_eq!(first.status, 200, "{path}: {}", text(&first));
        let etag = header(&first, "etag").unwrap_or_else(|| panic!("{path}: no ETag")).to_owned();
        let again = tenant.send("GET", &path, &[("if-none-match", &etag)], b"").await;
        assert_eq!(again.status, 304, "{path}: {}", text(&again));
        assert!(again.body.is_empty(), "{path}");
        assert_eq!(header(&again, "etag"), Some(etag.as_str()), "{path}");
        let stale = tenant.send("GET", &path, &[("if-none-match", "\"not-this-one\"")], b"").await;
        assert_eq!(stale.status, 200, "{path}");
    }
    // A change shows: the old tag no longer matches.
    let before = tenant.send("GET", &format!("/v1/tenants/{t}"), &[], b"").await;
    let etag = header(&before, "etag").unwrap().to_owned();
    let patched = op
        .send("PATCH", &format!("/v1/tenants/{t}"), &[("content-type", "application/json"), ("if-match", &etag)], r#"{"name":"しまね商事 本社"}"#.as_bytes())
        .await;
    assert_eq!(patched.status, 200, "{}", text(&patched));
    let after = tenant.send("GET", &format!("/v1/tenants/{t}"), &[("if-none-match", &etag)], b"").await;
    assert_eq!(after.status, 200);
    assert!(text(&after).contains("本社"));
    // Another tenant's tag gets the same 404 as always: revalidation comes after authorisation.
    let other = gw.demo.tenants[1].tenant_id.to_string();
    assert_eq!(tenant.send("GET", &format!("/v1/tenants/{other}"), &[("if-none-match", "*")], b"").await.status, 404);
}

//! Usage plans in the local gateway: API Gateway's 429s, per key, with counters that survive a
//! restart and periods that roll over (injected clock).

use chrono::{DateTime, TimeDelta, Utc};
use seikyu_tests::gateway::{Signer, start_gateway};
use seikyu_tests::http_client::Fetched;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-04-01T09:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap()
}

fn text(f: &Fetched) -> String {
    String::from_utf8_lossy(&f.body).into_owned()
}

#[tokio::test]
async fn a_burst_beyond_the_plan_gets_429_then_recovers_at_the_plan_rate() {
    let gw = start_gateway(now()).await;
    let a = &gw.demo.tenants[0];
    // The first demo tenant is on the standard plan: burst 40, 20 requests per second.
    let url = format!("{}/v1/tenants/{}", gw.endpoint, a.tenant_id);
    let at = |d: TimeDelta| Signer::new(&a.access_key_id, &a.secret_access_key, now() + d);
    for i in 0..40 {
        let r = at(TimeDelta::zero()).send("GET", &url, &[("x-api-key", &a.api_key)], b"").await;
        assert_eq!(r.status, 200, "request {i} is within the burst");
    }
    let r = at(TimeDelta::zero()).send("GET", &url, &[("x-api-key", &a.api_key)], b"").await;
    assert_eq!((r.status, text(&r).as_str()), (429, r#"{"message":"Too Many Requests"}"#));
    assert_eq!(r.headers["x-amzn-errortype"], "TooManyRequestsException");
    // The other tenant's key is untouched.
    let b = &gw.demo.tenants[1];
    let other = Signer::new(&b.access_key_id, &b.secret_access_key, now())
        .send("GET", &format!("{}/v1/tenants/{}", gw.endpoint, b.tenant_id), &[("x-api-key", &b.api_key)], b"")
        .await;
    assert_eq!(other.status, 200);
    // 20/s: a token every 50 ms.
    gw.clock.advance(TimeDelta::milliseconds(50));
    assert_eq!(at(TimeDelta::zero()).send("GET", &url, &[("x-api-key", &a.api_key)], b"").await.status, 200);
    assert_eq!(at(TimeDelta::zero()).send("GET", &url, &[("x-api-key", &a.api_key)], b"").await.status, 429);
}

#[tokio::test]
async fn the_quota_s_last_request_then_limit_exceeded_across_a_restart_until_the_next_day() {
    let gw = start_gateway(now()).await;
    let a = gw.demo.tenants[0].clone();
    let key_id = gw.gateway.credentials().api_key(&a.api_key).expect("demo key").id;
    let dir = gw.stop().await;
    // 99,999 of the standard plan's 100,000 a day already used, as the counters file says.
    let counters = serde_json::json!({ key_id: { "period": "2025-04-01", "used": 99_999 } });
    std::fs::write(dir.path().join("usage-counters.json"), counters.to_string()).unwrap();
    let clock = std::sync::Arc::new(common::clock::ManualClock::new(now()));
    let options = local_gateway::start::Options { port: 0, data_dir: dir.path().to_path_buf(), ..Default::default() };
    let started = local_gateway::start::start(&options, clock.clone()).await.expect("restart");
    let endpoint = started.endpoint.clone();
    let server = tokio::spawn(local_gateway::serve(started.gateway, started.listener));
    let url = format!("{endpoint}/v1/tenants/{}", a.tenant_id);
    let signer = |t: DateTime<Utc>| Signer::new(&a.access_key_id, &a.secret_access_key, t);
    assert_eq!(signer(now()).send("GET", &url, &[("x-api-key", &a.api_key)], b"").await.status, 200, "the quota's last request");
    let r = signer(now()).send("GET", &url, &[("x-api-key", &a.api_key)], b"").await;
    assert_eq!((r.status, text(&r).as_str()), (429, r#"{"message":"Limit Exceeded"}"#));
    assert_eq!(r.headers["x-amzn-errortype"], "LimitExceededException");
    clock.advance(TimeDelta::hours(15));
    let next_day = now() + TimeDelta::hours(15);
    assert_eq!(signer(next_day).send("GET", &url, &[("x-api-key", &a.api_key)], b"").await.status, 200, "a new day, a new quota");
    server.abort();
}

fn json(f: &Fetched) -> serde_json::Value {
    serde_json::from_slice(&f.body).unwrap_or_else(|e| panic!("{e}: {}", text(f)))
}

#[tokio::test]
async fn two_tenants_on_the_same_tier_do_not_use_each_other_s_quota() {
    let gw = start_gateway(now()).await;
    let (a, b) = (gw.demo.tenants[0].clone(), gw.demo.tenants[1].clone());
    let op = &gw.demo.operator;
    let operator = Signer::new(&op.access_key_id, &op.secret_access_key, now());
    // Put tenant A on tenant B's tier (basic: 10,000 a day).
    let url_a = format!("{}/v1/tenants/{}", gw.endpoint, a.tenant_id);
    let etag = operator.send("GET", &url_a, &[("x-api-key", &op.api_key)], b"").await.headers["etag"].to_str().unwrap().to_owned();
    let moved = operator
        .send("PATCH", &url_a, &[("x-api-key", &op.api_key), ("if-match", &etag), ("content-type", "application/json")], br#"{"planTier":"basic"}"#)
        .await;
    assert_eq!(moved.status, 200, "{}", text(&moved));
    // Tenant B uses its whole day's quota.
    let b_key = gw.gateway.credentials().api_key(&b.api_key).expect("B's key");
    let basic = common::domain::usage_plan(common::domain::PlanTier::Basic);
    let mut used = 0;
    for i in 0..basic.quota.limit {
        // Spread over the day so the bucket never runs dry; only the quota counts here.
        let at = now() + TimeDelta::milliseconds(i as i64 * 500);
        if gw.gateway.limiter().check(&b_key.id, &basic, at).is_ok() {
            used += 1;
        }
    }
    assert_eq!(used, basic.quota.limit);
    let url_b = format!("{}/v1/tenants/{}", gw.endpoint, b.tenant_id);
    let r = Signer::new(&b.access_key_id, &b.secret_access_key, now()).send("GET", &url_b, &[("x-api-key", &b.api_key)], b"").await;
    assert_eq!((r.status, text(&r).as_str()), (429, r#"{"message":"Limit Exceeded"}"#));
    // Tenant A, on the same plan, still has all of its own.
    let r = Signer::new(&a.access_key_id, &a.secret_access_key, now()).send("GET", &url_a, &[("x-api-key", &a.api_key)], b"").await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let usage = Signer::new(&a.access_key_id, &a.secret_access_key, now()).send("GET", &format!("{url_a}/usage"), &[("x-api-key", &a.api_key)], b"").await;
    assert_eq!(json(&usage)["quota"]["remaining"], basic.quota.limit - 2);
}

#[tokio::test]
async fn a_rotated_or_suspended_tenant_s_old_key_gets_403() {
    let gw = start_gateway(now()).await;
    let (a, b) = (gw.demo.tenants[0].clone(), gw.demo.tenants[1].clone());
    let op = &gw.demo.operator;
    let operator = Signer::new(&op.access_key_id, &op.secret_access_key, now());
    let url_a = format!("{}/v1/tenants/{}", gw.endpoint, a.tenant_id);
    let as_a = |key: &str| {
        let key = key.to_owned();
        let signer = Signer::new(&a.access_key_id, &a.secret_access_key, now());
        let url = url_a.clone();
        async move { signer.send("GET", &url, &[("x-api-key", &key)], b"").await }
    };
    assert_eq!(as_a(&a.api_key).await.status, 200);
    let rotated = operator.send("POST", &format!("{url_a}/api-key/rotate"), &[("x-api-key", &op.api_key)], b"").await;
    assert_eq!(rotated.status, 200, "{}", text(&rotated));
    let new_value = json(&rotated)["apiKey"]["value"].as_str().unwrap().to_owned();
    let old = as_a(&a.api_key).await;
    assert_eq!((old.status, text(&old).as_str()), (403, r#"{"message":"Forbidden"}"#), "the old key, refused by the gateway");
    assert_eq!(as_a(&new_value).await.status, 200, "the new key works at once");

    let url_b = format!("{}/v1/tenants/{}", gw.endpoint, b.tenant_id);
    let signer_b = Signer::new(&b.access_key_id, &b.secret_access_key, now());
    let as_b = || async { signer_b.send("GET", &url_b, &[("x-api-key", &b.api_key)], b"").await };
    let patch_b = |status: &'static str| {
        let (operator, url, key) = (operator.clone(), url_b.clone(), op.api_key.clone());
        async move {
            let etag = operator.send("GET", &url, &[("x-api-key", &key)], b"").await.headers["etag"].to_str().unwrap().to_owned();
            let body = format!(r#"{{"status":"{status}"}}"#);
            operator.send("PATCH", &url, &[("x-api-key", &key), ("if-match", &etag), ("content-type", "application/json")], body.as_bytes()).await
        }
    };
    assert_eq!(patch_b("suspended").await.status, 200);
    let r = as_b().await;
    assert_eq!((r.status, text(&r).as_str()), (403, r#"{"message":"Forbidden"}"#));
    assert_eq!(patch_b("active").await.status, 200);
    assert_eq!(as_b().await.status, 200, "reactivated");
}

#[tokio::test]
async fn the_usage_report_matches_the_requests_made() {
    let gw = start_gateway(now()).await;
    let a = gw.demo.tenants[0].clone();
    let url = format!("{}/v1/tenants/{}", gw.endpoint, a.tenant_id);
    let signer = Signer::new(&a.access_key_id, &a.secret_access_key, now());
    for _ in 0..7 {
        assert_eq!(signer.send("GET", &format!("{url}/contracts"), &[("x-api-key", &a.api_key)], b"").await.status, 200);
    }
    // A refused request (bad query) still counts: API Gateway counted it before the handler ran.
    assert_eq!(signer.send("GET", &format!("{url}/contracts?limit=0"), &[("x-api-key", &a.api_key)], b"").await.status, 400);
    let pdf = signer.send("GET", &format!("{url}/invoices/INV-2025-000001/pdf"), &[("x-api-key", &a.api_key)], b"").await;
    assert_eq!(pdf.status, 200);
    let r = signer.send("GET", &format!("{url}/usage?from=2025-03-31&to=2025-04-01"), &[("x-api-key", &a.api_key)], b"").await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let report = json(&r);
    assert_eq!(report["days"][0], serde_json::json!({"date": "2025-03-31", "requests": 0, "bytesStreamed": 0, "invoicesRendered": 0, "exports": 0}));
    let today = &report["days"][1];
    // 7 + 1 refused + the PDF + this report itself.
    assert_eq!(today["requests"], 10, "{report}");
    assert_eq!(today["bytesStreamed"], pdf.body.len() as u64);
    assert_eq!(today["invoicesRendered"], 1, "the demo issued one invoice");
    assert_eq!(report["totals"]["requests"], 10);
    assert_eq!(
        report["quota"],
        serde_json::json!({"period": "DAY", "periodStart": "2025-04-01", "periodEnd": "2025-04-01", "limit": 100000, "used": 10, "remaining": 99990})
    );
    // The other tenant made none.
    let op = &gw.demo.operator;
    let all = Signer::new(&op.access_key_id, &op.secret_access_key, now())
        .send("GET", &format!("{}/v1/usage?period=2025-04", gw.endpoint), &[("x-api-key", &op.api_key)], b"")
        .await;
    let all = json(&all);
    let line = |id: &str| all["items"].as_array().unwrap().iter().find(|t| t["tenantId"] == id).cloned().unwrap();
    assert_eq!(line(a.tenant_id.as_str())["requests"], 10);
    assert_eq!(line(gw.demo.tenants[1].tenant_id.as_str())["requests"], 0);
}

#[tokio::test]
async fn exports_have_a_lower_throttle_of_their_own() {
    let gw = start_gateway(now()).await;
    // The second demo tenant is on basic: exports at 0.5/s with a burst of 2.
    let b = gw.demo.tenants[1].clone();
    let base = format!("{}/v1/tenants/{}", gw.endpoint, b.tenant_id);
    let signer = Signer::new(&b.access_key_id, &b.secret_access_key, now());
    let csv_url = format!("{base}/billings.csv");
    let csv = || async { signer.send("GET", &csv_url, &[("x-api-key", &b.api_key)], b"").await };
    assert_eq!(csv().await.status, 200);
    assert_eq!(csv().await.status, 200);
    let r = csv().await;
    assert_eq!((r.status, text(&r).as_str()), (429, r#"{"message":"Too Many Requests"}"#));
    // Other routes still have the plan's own bucket.
    assert_eq!(signer.send("GET", &base, &[("x-api-key", &b.api_key)], b"").await.status, 200);
    gw.clock.advance(TimeDelta::seconds(2));
    assert_eq!(
        Signer::new(&b.access_key_id, &b.secret_access_key, now() + TimeDelta::seconds(2))
            .send("GET", &format!("{base}/billings.csv"), &[("x-api-key", &b.api_key)], b"")
            .await
            .status,
        200,
        "one export every two seconds"
    );
}

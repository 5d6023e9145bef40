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

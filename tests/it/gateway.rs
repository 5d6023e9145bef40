//! The local gateway over HTTP: SigV4 exactly as API Gateway verifies it, API keys, and API
//! Gateway's own answers byte for byte.

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use common::store::{Owner, Principal, PrincipalArn};
use local_gateway::credentials::AccessKey;
use seikyu_tests::gateway::{GatewayFixture, Signer, start_gateway};
use serde_json::Value;

use seikyu_tests::http_client::{Fetched, send};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-04-01T09:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap()
}

fn json(f: &Fetched) -> Value {
    serde_json::from_slice(&f.body).unwrap_or(Value::Null)
}

fn text(f: &Fetched) -> String {
    String::from_utf8_lossy(&f.body).into_owned()
}

struct World {
    gw: GatewayFixture,
    tenant_a: Signer,
    key_a: String,
    operator: Signer,
    key_op: String,
}

impl World {
    async fn new() -> Self {
        let gw = start_gateway(now()).await;
        let a = &gw.demo.tenants[0];
        let tenant_a = Signer::new(&a.access_key_id, &a.secret_access_key, now());
        let key_a = a.api_key.clone();
        let operator = Signer::new(&gw.demo.operator.access_key_id, &gw.demo.operator.secret_access_key, now());
        let key_op = gw.demo.operator.api_key.clone();
        Self { gw, tenant_a, key_a, operator, key_op }
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.gw.endpoint)
    }

    fn a(&self) -> String {
        self.gw.demo.tenants[0].tenant_id.to_string()
    }

    fn b(&self) -> String {
        self.gw.demo.tenants[1].tenant_id.to_string()
    }

    async fn get_as_a(&self, path: &str) -> Fetched {
        self.tenant_a.send("GET", &self.url(path), &[("x-api-key", &self.key_a)], b"").await
    }
}

const MISSING_TOKEN: &str = r#"{"message":"Missing Authentication Token"}"#;
const FORBIDDEN: &str = r#"{"message":"Forbidden"}"#;

#[tokio::test]
async fn signed_requests_reach_their_handlers() {
    let w = World::new().await;
    let own = w.get_as_a(&format!("/v1/tenants/{}/contracts?status=active", w.a())).await;
    assert_eq!(own.status, 200, "{}", text(&own));
    assert_eq!(json(&own)["items"].as_array().map(Vec::len), Some(3));
    assert!(own.headers.contains_key("x-amzn-requestid"));

    let cross = w.get_as_a(&format!("/v1/tenants/{}", w.b())).await;
    assert_eq!(cross.status, 404, "a tenant cannot read another tenant");

    let body = r#"{"planName":"追加ストレージ","monthlyFee":3300,"startDate":"2025-05-01","billingCycle":"monthly"}"#.as_bytes();
    let url = w.url(&format!("/v1/tenants/{}/contracts/C-NEW-1", w.b()));
    let created = w.operator.send("PUT", &url, &[("x-api-key", &w.key_op), ("content-type", "application/json")], body).await;
    assert_eq!(created.status, 201, "{}", text(&created));
    assert_eq!(json(&created)["planName"], "追加ストレージ");
    // The problem's instance is the request id the gateway answered with.
    let bad = w.operator.send("PUT", &url, &[("x-api-key", &w.key_op), ("content-type", "application/json")], b"{}").await;
    assert_eq!(bad.status, 400);
    assert_eq!(json(&bad)["instance"].as_str(), bad.headers.get("x-amzn-requestid").and_then(|v| v.to_str().ok()));
}

#[tokio::test]
async fn unsigned_and_unknown_routes_are_missing_a_token() {
    let w = World::new().await;
    let unsigned = send("GET", &w.url(&format!("/v1/tenants/{}", w.a())), &[("x-api-key", &w.key_a)], Bytes::new()).await;
    assert_eq!((unsigned.status, text(&unsigned).as_str()), (403, MISSING_TOKEN));
    assert_eq!(unsigned.headers["x-amzn-errortype"], "MissingAuthenticationTokenException");
    for (method, path) in [("GET", "/v1/nothing-here".to_owned()), ("DELETE", format!("/v1/tenants/{}", w.a())), ("GET", format!("/v1/tenants/{}/", w.a()))] {
        let r = w.tenant_a.send(method, &w.url(&path), &[("x-api-key", &w.key_a)], b"").await;
        assert_eq!((r.status, text(&r).as_str()), (403, MISSING_TOKEN), "{method} {path}");
    }
}

#[tokio::test]
async fn wrong_secret_and_unknown_keys() {
    let w = World::new().await;
    let path = format!("/v1/tenants/{}", w.a());
    let wrong = Signer { secret_access_key: "not-the-secret".into(), ..w.tenant_a.clone() };
    let r = wrong.send("GET", &w.url(&path), &[("x-api-key", &w.key_a)], b"").await;
    assert_eq!(r.status, 403);
    let message = json(&r)["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.starts_with("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'GET\n"), "{message}");
    assert!(
        message.contains("\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20250401T090000Z\n20250401/ap-northeast-1/execute-api/aws4_request\n"),
        "{message}"
    );
    assert_eq!(r.headers["x-amzn-errortype"], "InvalidSignatureException");

    let unknown = Signer { access_key_id: "AKIAUNKNOWNUNKNOWN00".into(), ..w.tenant_a.clone() };
    let r = unknown.send("GET", &w.url(&path), &[("x-api-key", &w.key_a)], b"").await;
    assert_eq!((r.status, text(&r).as_str()), (403, r#"{"message":"The security token included in the request is invalid."}"#));

    let region = Signer { region: "us-east-1".into(), ..w.tenant_a.clone() };
    let r = region.send("GET", &w.url(&path), &[("x-api-key", &w.key_a)], b"").await;
    assert_eq!(r.status, 403);
    assert!(text(&r).contains("Credential should be scoped to a valid region"), "{}", text(&r));
}

#[tokio::test]
async fn clock_skew_beyond_five_minutes() {
    let w = World::new().await;
    let path = format!("/v1/tenants/{}", w.a());
    let at = |d: TimeDelta| Signer { time: (now() + d).into(), ..w.tenant_a.clone() };
    let expired = at(TimeDelta::seconds(-301)).send("GET", &w.url(&path), &[("x-api-key", &w.key_a)], b"").await;
    assert_eq!(
        (expired.status, text(&expired).as_str()),
        (403, r#"{"message":"Signature expired: 20250401T085459Z is now earlier than 20250401T085500Z (20250401T090000Z - 5 min.)"}"#)
    );
    let future = at(TimeDelta::seconds(301)).send("GET", &w.url(&path), &[("x-api-key", &w.key_a)], b"").await;
    assert_eq!(
        (future.status, text(&future).as_str()),
        (403, r#"{"message":"Signature not yet current: 20250401T090501Z is still later than 20250401T090500Z (20250401T090000Z + 5 min.)"}"#)
    );
    for edge in [-300, 300] {
        let ok = at(TimeDelta::seconds(edge)).send("GET", &w.url(&path), &[("x-api-key", &w.key_a)], b"").await;
        assert_eq!(ok.status, 200, "{edge} s of skew is allowed: {}", text(&ok));
    }
}

#[tokio::test]
async fn anything_changed_after_signing_is_refused() {
    let w = World::new().await;
    let a = w.a();
    let url = w.url(&format!("/v1/tenants/{a}/contracts?status=active&limit=5"));
    let headers = [("x-api-key", w.key_a.as_str()), ("x-custom", "signed")];
    // Sign with x-custom among the signed headers, then send variations.
    let mut signed = w.tenant_a.sign("GET", &url, &headers, b"");
    let auth = signed.iter().find(|(k, _)| k == "authorization").map(|(_, v)| v.clone()).unwrap();
    assert!(auth.contains("x-custom"), "{auth}");
    let send_with = |method: &'static str, url: String, custom: &'static str, body: &'static [u8], signed: Vec<(String, String)>| {
        let key = w.key_a.clone();
        async move {
            let mut h: Vec<(&str, &str)> = vec![("x-api-key", key.as_str()), ("x-custom", custom)];
            h.extend(signed.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            send(method, &url, &h, Bytes::from_static(body)).await
        }
    };
    assert_eq!(send_with("GET", url.clone(), "signed", b"", signed.clone()).await.status, 200);
    let cases = [
        ("method", send_with("DELETE", url.clone(), "signed", b"", signed.clone()).await),
        ("path", send_with("GET", url.replace("/contracts", "/contracts/C-DEMO-001"), "signed", b"", signed.clone()).await),
        ("query", send_with("GET", url.replace("limit=5", "limit=6"), "signed", b"", signed.clone()).await),
        ("signed header", send_with("GET", url.clone(), "changed", b"", signed.clone()).await),
        ("body", send_with("GET", url.clone(), "signed", b"extra", signed.clone()).await),
    ];
    for (what, r) in cases {
        assert_eq!(r.status, 403, "{what}: {}", text(&r));
        let t = text(&r);
        // DELETE on this path is no route at all: API Gateway says so before checking the signature.
        assert!(t.contains("The request signature we calculated does not match") || (what == "method" && t == MISSING_TOKEN), "{what}: {t}");
    }
    // A signed header that is missing from the request makes the signature fail too.
    signed.retain(|(k, _)| k != "x-amz-date");
    let r = send("GET", &url, &[("x-api-key", &w.key_a), ("x-custom", "signed"), ("authorization", &auth)], Bytes::new()).await;
    assert_eq!(r.status, 403);
    assert!(text(&r).contains("X-Amz-Date"), "{}", text(&r));
}

#[tokio::test]
async fn api_keys_are_required_and_checked() {
    let w = World::new().await;
    let url = w.url(&format!("/v1/tenants/{}", w.a()));
    let missing = w.tenant_a.send("GET", &url, &[], b"").await;
    assert_eq!((missing.status, text(&missing).as_str()), (403, FORBIDDEN));
    assert_eq!(missing.headers["x-amzn-errortype"], "ForbiddenException");
    let unknown = w.tenant_a.send("GET", &url, &[("x-api-key", "no-such-key")], b"").await;
    assert_eq!((unknown.status, text(&unknown).as_str()), (403, FORBIDDEN));
    // Another tenant's valid key passes API Gateway but not the backend's caller check.
    let other = w.tenant_a.send("GET", &url, &[("x-api-key", &w.gw.demo.tenants[1].api_key)], b"").await;
    assert_eq!(other.status, 403);
    assert_eq!(json(&other)["type"], "urn:seikyu:problem:forbidden");
    assert_eq!(other.headers["content-type"], "application/problem+json");
}

#[tokio::test]
async fn query_and_path_canonicalisation() {
    let w = World::new().await;
    let a = w.a();
    // Each is signed by aws-sigv4 and must verify; the handler then answers on the merits
    // (unknown or repeated parameters are a 400 from the handler, not a 403 from the gateway).
    let cases = [
        (format!("/v1/tenants/{a}/contracts?status=active&status=active"), 400),
        (format!("/v1/tenants/{a}/contracts?limit=2&cursor="), 400),
        (format!("/v1/tenants/{a}/contracts?status"), 400),
        (format!("/v1/tenants/{a}/contracts?q=a%2Fb%3Dc%26d%20e&limit=3"), 400),
        (format!("/v1/tenants/{a}/contracts?q=%E8%AB%8B%E6%B1%82%E6%9B%B8"), 400),
        (format!("/v1/tenants/{a}/contracts?limit=3&status=active"), 200),
        (format!("/v1/tenants/{a}/contracts/C%2FDEMO-001"), 400),
        (format!("/v1/tenants/{a}/contracts/C-DEMO-001?"), 200),
    ];
    for (path, status) in cases {
        let r = w.get_as_a(&path).await;
        assert_eq!(r.status, status, "{path}: {}", text(&r));
    }
}

#[tokio::test]
async fn unsigned_payload_and_content_hash() {
    let w = World::new().await;
    let url = w.url(&format!("/v1/tenants/{}/contracts/C-UP-1", w.a()));
    let body = br#"{"planName":"x","monthlyFee":1,"startDate":"2025-05-01","billingCycle":"monthly"}"#;
    let unsigned = Signer { unsigned_payload: true, ..w.operator.clone() };
    let signed = unsigned.sign("PUT", &url, &[("x-api-key", &w.key_op), ("content-type", "application/json")], body);
    assert!(signed.iter().any(|(k, v)| k == "x-amz-content-sha256" && v == "UNSIGNED-PAYLOAD"));
    let mut h: Vec<(&str, &str)> = vec![("x-api-key", &w.key_op), ("content-type", "application/json")];
    h.extend(signed.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let r = send("PUT", &url, &h, Bytes::from_static(body)).await;
    assert_eq!(r.status, 201, "{}", text(&r));

    // A hex x-amz-content-sha256 must be the body's hash.
    let wrong_hash = "0".repeat(64);
    let r = w.operator.send("PUT", &url, &[("x-api-key", &w.key_op), ("content-type", "application/json"), ("x-amz-content-sha256", &wrong_hash)], body).await;
    assert_eq!(r.status, 403);
    assert!(text(&r).contains("x-amz-content-sha256"), "{}", text(&r));
}

#[tokio::test]
async fn session_tokens_for_assumed_roles() {
    let w = World::new().await;
    let a = w.gw.demo.tenants[0].tenant_id.clone();
    let arn = "arn:aws:sts::000000000000:assumed-role/RedmineShimane/plugin-session";
    w.gw.gateway
        .app()
        .stores
        .principals
        .put_principal(&Principal { arn: PrincipalArn::parse(arn).unwrap(), owner: Owner::Tenant { tenant_id: a.clone() }, registered_at: None })
        .await
        .unwrap();
    let mut file = w.gw.gateway.credentials().snapshot();
    file.access_keys.push(AccessKey {
        access_key_id: "ASIATEMPORARYKEY0001".into(),
        secret_access_key: "temporary-secret".into(),
        principal_arn: arn.into(),
        session_token: Some("FwoGZXIvYXdzEXAMPLETOKEN".into()),
    });
    w.gw.gateway.credentials().replace(file).unwrap();
    let url = w.url(&format!("/v1/tenants/{a}"));
    let with_token = Signer {
        access_key_id: "ASIATEMPORARYKEY0001".into(),
        secret_access_key: "temporary-secret".into(),
        session_token: Some("FwoGZXIvYXdzEXAMPLETOKEN".into()),
        ..w.tenant_a.clone()
    };
    let r = with_token.send("GET", &url, &[("x-api-key", &w.key_a)], b"").await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let no_token = Signer { session_token: None, ..with_token.clone() };
    let r = no_token.send("GET", &url, &[("x-api-key", &w.key_a)], b"").await;
    assert_eq!((r.status, text(&r).as_str()), (403, r#"{"message":"The security token included in the request is invalid."}"#));
    let wrong = Signer { session_token: Some("another-token".into()), ..with_token };
    assert_eq!(wrong.send("GET", &url, &[("x-api-key", &w.key_a)], b"").await.status, 403);
}

#[tokio::test]
async fn restart_keeps_data_and_credentials() {
    let w = World::new().await;
    let a = w.a();
    let World { gw, tenant_a, key_a, .. } = w;
    // Stop the first gateway completely (the database allows one process at a time), keeping
    // its data directory.
    let dir = gw.stop().await;
    let options = local_gateway::start::Options { port: 0, data_dir: dir.path().to_path_buf(), ..Default::default() };
    let started = local_gateway::start::start(&options, std::sync::Arc::new(common::clock::ManualClock::new(now()))).await.expect("restart");
    assert_eq!(started.demo.as_ref().map(|d| d.tenants[0].tenant_id.to_string()), Some(a.clone()), "no second demo");
    let endpoint = started.endpoint.clone();
    let server = tokio::spawn(local_gateway::serve(started.gateway, started.listener));
    let r = tenant_a.send("GET", &format!("{endpoint}/v1/tenants/{a}"), &[("x-api-key", &key_a)], b"").await;
    assert_eq!(r.status, 200, "{}", text(&r));
    server.abort();
}

//! The API Gateway key adapter against a local stub answering with recorded API Gateway
//! responses: GetUsage (which moto does not implement), its pages and its garbage; failed
//! onboardings, the account's key limit and conflicts, which moto does not produce.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::NaiveDate;
use common::apikeys::apigateway::{ApiGatewayKeys, PlanIds};
use common::apikeys::{ApiKeys, DayUsage};
use common::domain::PlanTier;
use common::store::{ApiKeyId, StoreError};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use seikyu_tests::fixtures::{REGION, tenant_id};

use crate::apikeys_aws::testing_credentials;

const PAGE_1: &str = include_str!("recorded/get-usage-page-1.json");
const PAGE_2: &str = include_str!("recorded/get-usage-page-2.json");

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// One request as the stub saw it: method, path, decoded query, body.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: HashMap<String, String>,
    body: String,
}

/// Status, extra headers, body.
type Reply = (u16, Vec<(&'static str, &'static str)>, String);

struct Stub {
    keys: ApiGatewayKeys,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Requests the answer function panicked on (an assertion about the request, or a request it
    /// did not expect). The server's tasks cannot fail the test: a panic there only drops the
    /// connection. So they are kept here and fail the test in its own body, from `seen`, or when
    /// the stub is dropped.
    panics: Arc<Mutex<Vec<String>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.server.abort();
        let panics = std::mem::take(&mut *self.panics.lock().unwrap_or_else(|e| e.into_inner()));
        if !panics.is_empty() && !std::thread::panicking() {
            panic!("the stub's answer panicked on {} request(s): {panics:#?}", panics.len());
        }
    }
}

impl Stub {
    /// Every request so far; fails the test if the answer function panicked on any of them.
    fn seen(&self) -> Vec<Seen> {
        let panics = std::mem::take(&mut *self.panics.lock().unwrap());
        assert!(panics.is_empty(), "the stub's answer panicked on {} request(s): {panics:#?}", panics.len());
        self.seen.lock().unwrap().clone()
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic.downcast_ref::<&str>().map(|s| (*s).to_owned()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_else(|| "(not a string)".into())
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(if b[i] == b'+' { b' ' } else { b[i] });
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A local HTTP server answering as API Gateway's REST API would, and an adapter pointed at it.
/// `answer` may assert on the request: a panic is answered 500 and fails the test (see `Stub`).
async fn stub(answer: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Stub {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let panics = Arc::new(Mutex::new(Vec::new()));
    let answer = Arc::new(answer);
    let (log, failed) = (seen.clone(), panics.clone());
    let server = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (answer, log, failed) = (answer.clone(), log.clone(), failed.clone());
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let (answer, log, failed) = (answer.clone(), log.clone(), failed.clone());
                async move {
                    let method = req.method().to_string();
                    let path = req.uri().path().to_owned();
                    let query = req
                        .uri()
                        .query()
                        .unwrap_or_default()
                        .split('&')
                        .filter(|kv| !kv.is_empty())
                        .map(|kv| {
                            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                            (percent_decode(k), percent_decode(v))
                        })
                        .collect();
                    let body = String::from_utf8(req.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
                    let request = Seen { method, path, query, body };
                    let (status, headers, body) = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| answer(&request))) {
                        Ok(reply) => reply,
                        Err(panic) => {
                            failed.lock().unwrap().push(format!("{} {} {:?}: {}", request.method, request.path, request.query, panic_message(&*panic)));
                            (500, vec![("x-amzn-errortype", "InternalFailure")], r#"{"message":"the test's stub panicked"}"#.to_owned())
                        }
                    };
                    log.lock().unwrap().push(request);
                    let mut response = Response::builder().status(status).header("content-type", "application/json");
                    for (k, v) in headers {
                        response = response.header(k, v);
                    }
                    Ok::<_, Infallible>(response.body(Full::new(Bytes::from(body))).unwrap())
                }
            });
            tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    let plans = PlanIds { basic: "pl0basic1".into(), standard: "pl0stand2".into(), premium: "pl0prem3".into() };
    let keys = ApiGatewayKeys::connect(Some(REGION.into()), Some(endpoint), testing_credentials(), plans, "seikyu").await;
    Stub { keys, seen, panics, server }
}

fn day(d: &str, used: u64, remaining: u64) -> DayUsage {
    DayUsage { date: date(d), used, remaining }
}

fn key(raw: &str) -> ApiKeyId {
    ApiKeyId::parse(raw).unwrap()
}

#[tokio::test]
async fn usage_follows_pages_and_dates_each_day() {
    let s = stub(|r| {
        let body = if r.query.contains_key("position") { PAGE_2 } else { PAGE_1 };
        (200, vec![], body.to_owned())
    })
    .await;
    let usage = s.keys.usage(PlanTier::Basic, None, date("2025-03-30"), date("2025-04-01")).await.unwrap();

    let seen = s.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for r in &seen {
        assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/usageplans/pl0basic1/usage"), "GetUsage on the basic plan");
        assert_eq!(r.query.get("startDate").map(String::as_str), Some("2025-03-30"));
        assert_eq!(r.query.get("endDate").map(String::as_str), Some("2025-04-01"));
        assert!(!r.query.contains_key("keyId"), "every key's usage: {r:?}");
    }
    assert_eq!(seen[0].query.get("position"), None);
    assert_eq!(seen[1].query.get("position").map(String::as_str), Some("ZXlKclpYa2lPaUo1Y1RKbWRHUnpNMkU0SW4w+/="), "the position exactly as given");

    assert_eq!(usage.len(), 3);
    assert_eq!(usage[&key("x7k2m9p4qa")], [day("2025-03-30", 120, 9880), day("2025-03-31", 0, 10_000), day("2025-04-01", 4312, 5688)]);
    assert_eq!(usage[&key("b3n8c5v1zt")], [day("2025-03-30", 0, 10_000), day("2025-03-31", 10_000, 0), day("2025-04-01", 17, 9983)]);
    assert_eq!(usage[&key("yq2fdzs3a8")], [day("2025-03-30", 1, 9999), day("2025-03-31", 2, 9998), day("2025-04-01", 3, 9997)]);
}

#[tokio::test]
async fn usage_of_one_key_asks_for_that_key_on_the_tiers_plan() {
    let body = r#"{"usagePlanId":"pl0prem3","startDate":"2025-06-01","endDate":"2025-06-02","values":{"x7k2m9p4qa":[[5,4999995],[-3]],"not-a-key!":[[1,1]]}}"#;
    let s = stub(move |_| (200, vec![], body.to_owned())).await;
    let usage = s.keys.usage(PlanTier::Premium, Some(&key("x7k2m9p4qa")), date("2025-06-01"), date("2025-06-02")).await.unwrap();
    let seen = s.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/usageplans/pl0prem3/usage");
    assert_eq!(seen[0].query.get("keyId").map(String::as_str), Some("x7k2m9p4qa"));
    assert_eq!((seen[0].query["startDate"].as_str(), seen[0].query["endDate"].as_str()), ("2025-06-01", "2025-06-02"));
    assert_eq!(usage.len(), 1, "an id that is not an API key id is skipped: {usage:?}");
    assert_eq!(usage[&key("x7k2m9p4qa")], [day("2025-06-01", 5, 4_999_995), day("2025-06-02", 0, 0)], "negative and missing counts read as 0");
}

#[tokio::test]
async fn garbage_usage_is_an_error_not_a_panic() {
    for body in ["not json{", r#"{"values":{"x7k2m9p4qa":[["a","b"]]}}"#, r#"{"values":[1,2]}"#, ""] {
        let s = stub(move |_| (200, vec![], body.to_owned())).await;
        let got = s.keys.usage(PlanTier::Basic, None, date("2025-06-01"), date("2025-06-02")).await;
        match body {
            "" => assert_eq!(got.unwrap().len(), 0, "an empty body is an empty answer"),
            _ => assert!(matches!(got, Err(StoreError::Unavailable(_))), "{body}: {got:?}"),
        }
        assert!(!s.seen().is_empty(), "{body}");
    }
    let looping = stub(|_| (200, vec![], r#"{"position":"same","values":{}}"#.to_owned())).await;
    let got = looping.keys.usage(PlanTier::Basic, None, date("2025-06-01"), date("2025-06-02")).await;
    assert!(matches!(got, Err(StoreError::Unavailable(_))), "a repeated position stops: {got:?}");
    assert_eq!(looping.seen().len(), 2);
}

#[tokio::test]
async fn a_key_that_cannot_join_its_plan_is_deleted_again() {
    let s = stub(|r| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/apikeys") => (201, vec![], r#"{"id":"k9newkey01","value":"Vv0123456789abcdefghijABCDEFGHIJ0123456789","enabled":true}"#.into()),
        ("POST", "/usageplans/pl0stand2/keys") => {
            (404, vec![("x-amzn-errortype", "NotFoundException")], r#"{"message":"Invalid Usage Plan ID specified"}"#.into())
        }
        ("DELETE", "/apikeys/k9newkey01") => (202, vec![], String::new()),
        other => panic!("unexpected {other:?}"),
    })
    .await;
    let got = s.keys.create_key(&tenant_id(44), PlanTier::Standard, true).await;
    assert!(matches!(got, Err(StoreError::Unavailable(ref m)) if m.contains("CreateUsagePlanKey")), "{got:?}");
    let seen = s.seen();
    let calls: Vec<_> = seen.iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert_eq!(calls, ["POST /apikeys", "POST /usageplans/pl0stand2/keys", "DELETE /apikeys/k9newkey01"]);
    let create: serde_json::Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(create["name"], format!("seikyu-{}", tenant_id(44)));
    assert_eq!(create["enabled"], true);
    let attach: serde_json::Value = serde_json::from_str(&seen[1].body).unwrap();
    assert_eq!((attach["keyId"].as_str(), attach["keyType"].as_str()), (Some("k9newkey01"), Some("API_KEY")));
}

#[tokio::test]
async fn the_key_quota_is_a_limit_for_the_operator() {
    // x-amz-retry-after (ms) keeps the SDK's retries of a throttling-class error quick.
    let s = stub(|_| (429, vec![("x-amzn-errortype", "LimitExceededException"), ("x-amz-retry-after", "1")], r#"{"message":"API Key limit exceeded"}"#.into()))
        .await;
    let got = s.keys.create_key(&tenant_id(45), PlanTier::Basic, true).await;
    assert!(matches!(got, Err(StoreError::LimitReached(ref m)) if m.contains("10,000") && m.contains("onboard")), "{got:?}");
    let calls: Vec<_> = s.seen().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert!(!calls.is_empty() && calls.iter().all(|c| c == "POST /apikeys"), "nothing after a refused CreateApiKey: {calls:?}");

    let throttled =
        stub(|_| (429, vec![("x-amzn-errortype", "TooManyRequestsException"), ("x-amz-retry-after", "1")], r#"{"message":"Too Many Requests"}"#.into())).await;
    let got = throttled.keys.create_key(&tenant_id(45), PlanTier::Basic, true).await;
    assert!(matches!(got, Err(StoreError::Unavailable(ref m)) if m.contains("CreateApiKey")), "{got:?}");
    let calls: Vec<_> = throttled.seen().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert!(!calls.is_empty() && calls.iter().all(|c| c == "POST /apikeys"), "nothing after a throttled CreateApiKey: {calls:?}");
}

#[tokio::test]
async fn a_conflict_on_joining_a_plan_counts_only_if_the_key_is_there() {
    for already_there in [true, false] {
        let s = stub(move |r| match (r.method.as_str(), r.path.as_str()) {
            ("GET", "/usageplans") => (200, vec![], r#"{"items":[]}"#.into()),
            ("POST", "/usageplans/pl0prem3/keys") => (409, vec![("x-amzn-errortype", "ConflictException")], r#"{"message":"conflict"}"#.into()),
            ("GET", "/usageplans/pl0prem3/keys/x7k2m9p4qa") if already_there => (200, vec![], r#"{"id":"x7k2m9p4qa","type":"API_KEY"}"#.into()),
            ("GET", "/usageplans/pl0prem3/keys/x7k2m9p4qa") => (404, vec![("x-amzn-errortype", "NotFoundException")], r#"{"message":"no"}"#.into()),
            ("PATCH", "/apikeys/x7k2m9p4qa") => (200, vec![], r#"{"id":"x7k2m9p4qa","enabled":true}"#.into()),
            other => panic!("unexpected {other:?}"),
        })
        .await;
        let got = s.keys.set_key(&key("x7k2m9p4qa"), PlanTier::Premium, true).await;
        assert_eq!(got.is_ok(), already_there, "{got:?}");
        let patch = s.seen().into_iter().find(|r| r.method == "PATCH");
        match patch {
            Some(r) => assert!(r.body.contains(r#""path":"/enabled""#) && r.body.contains(r#""value":"true""#), "{}", r.body),
            None => assert!(!already_there, "enabled only once the key is on its plan"),
        }
    }
}

/// A tenant's report on AWS: requests per day from GetUsage of every plan (its key moved from
/// basic to standard in the range), and the quota from its current plan's latest day.
#[tokio::test]
async fn a_usage_report_adds_up_getusage_across_the_plans_a_key_was_on() {
    let s = stub(|r| {
        let key = r.query.get("keyId").cloned().unwrap_or_default();
        let start = r.query.get("startDate").cloned().unwrap_or_default();
        let days = match (r.path.as_str(), start.as_str()) {
            ("/usageplans/pl0basic1/usage", "2025-03-30") => "[[120,9880],[0,10000],[4312,5688]]",
            ("/usageplans/pl0stand2/usage", "2025-03-30") => "[[0,100000],[0,100000],[50,99950]]",
            ("/usageplans/pl0stand2/usage", "2025-04-01") => "[[50,99950]]",
            _ => return (200, vec![], r#"{"values":{}}"#.to_owned()),
        };
        (200, vec![], format!(r#"{{"startDate":"{start}","endDate":"2025-04-01","values":{{"{key}":{days}}}}}"#))
    })
    .await;
    let store = seikyu_tests::fixtures::embedded_store().await;
    seikyu_tests::fixtures::seed(&store.stores).await;
    let app = common::App {
        stores: store.stores.clone(),
        clock: Arc::new(common::clock::ManualClock::new(seikyu_tests::fixtures::t0())),
        ids: Arc::new(common::clock::SequentialIds::default()),
        renderer: None,
        keys: Some(Arc::new(ApiGatewayKeys::new(s.keys.client().clone(), s.keys.plans().clone(), "seikyu"))),
        iam: None,
    };
    let op = common::caller::Caller {
        principal: common::store::PrincipalArn::parse(seikyu_tests::fixtures::who::OPERATOR_ARN).unwrap(),
        owner: common::store::Owner::Operator,
        api_key_id: None,
    };
    let report = common::service::usage::tenant_report(&app, &op, &tenant_id(1), date("2025-03-30"), date("2025-04-01")).await.unwrap();
    let requests: Vec<u64> = report.days.iter().map(|d| d.counts.requests).collect();
    assert_eq!(requests, [120, 0, 4362]);
    assert_eq!(report.totals.requests, 4482);
    let quota = report.quota.unwrap();
    assert_eq!((quota.limit, quota.used, quota.remaining), (100_000, 50, 99_950));
    // Every plan was asked about the tenant's key, and nothing else.
    let asked: Vec<(String, Option<String>)> = s.seen().into_iter().map(|r| (r.path, r.query.get("keyId").cloned())).collect();
    assert_eq!(asked.len(), 4, "{asked:?}");
    assert!(asked.iter().all(|(_, k)| k.as_deref() == Some(seikyu_tests::fixtures::who::TENANT_A_KEY)), "{asked:?}");
}

//! Tenant routes through their handlers, over the embedded store: success, validation, roles and
//! isolation.

use seikyu_tests::events::{Answer, Event, call};
use seikyu_tests::fixtures::{Seeded, seeded_app, tenant_id, who};
use serde_json::{Value, json};

pub fn handler(function: &str) -> local_gateway::Entry {
    local_gateway::ROUTES.iter().find(|r| r.function == function).map(|r| r.entry).unwrap_or_else(|| panic!("no route {function}"))
}

pub fn as_operator(e: Event) -> Event {
    e.caller(who::OPERATOR_ARN, Some(who::OPERATOR_KEY))
}

pub fn as_tenant_a(e: Event) -> Event {
    e.caller(who::TENANT_A_ARN, Some(who::TENANT_A_KEY))
}

pub fn as_tenant_b(e: Event) -> Event {
    e.caller(who::TENANT_B_ARN, Some(who::TENANT_B_KEY))
}

pub async fn run(s: &Seeded, function: &str, e: Event) -> Answer {
    call(handler(function), &s.app, e.request()).await
}

pub fn new_tenant() -> Value {
    json!({
        "name": "しまね商事",
        "customerProfile": {
            "companyName": "株式会社しまね商事",
            "postalCode": "690-0887",
            "address": "島根県松江市殿町1番地",
            "billingContact": { "name": "経理 花子", "email": "keiri@shimane.example.jp" }
        },
        "planTier": "basic"
    })
}

fn post_tenant(body: &Value) -> Event {
    Event::new("POST", "/v1/tenants", "/v1/tenants").json_body(body)
}

fn tenant_path(id: &str) -> String {
    format!("/v1/tenants/{id}")
}

#[tokio::test]
async fn operator_onboards_a_tenant() {
    let s = seeded_app().await;
    let a = run(&s, "create-tenant", as_operator(post_tenant(&new_tenant()))).await;
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.body["tenantId"].as_str().unwrap().to_owned();
    // Sequential ids 1 and 2 belong to the seeded tenants: a collision retries with a fresh id.
    assert_eq!(id, "tn_0000000000000003");
    assert_eq!(a.header("location"), Some(tenant_path(&id).as_str()));
    assert_eq!(a.header("etag"), Some("\"1\""));
    assert_eq!(a.body["status"], "active");
    assert_eq!(a.body["planTier"], "basic");
    assert_eq!(a.body["createdAt"], "2025-04-01T09:00:00Z");
    assert_eq!(a.body["customerProfile"]["billingContact"]["email"], "keiri@shimane.example.jp");
    let read = run(&s, "get-tenant", as_operator(Event::new("GET", "/v1/tenants/{tenantId}", &tenant_path(&id)))).await;
    assert_eq!(read.status, 200);
    let mut onboarded = a.body.clone();
    onboarded.as_object_mut().unwrap().remove("apiKey");
    assert_eq!(read.body, onboarded, "the same tenant, without its key's value");
}

#[tokio::test]
async fn onboarding_with_an_idempotency_key_onboards_once() {
    let s = seeded_app().await;
    let keyed = |key: &str, body: &Value| as_operator(post_tenant(body).header("Idempotency-Key", key));
    let first = run(&s, "create-tenant", keyed("onb-1", &new_tenant())).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let id = first.body["tenantId"].as_str().unwrap().to_owned();
    assert_ne!(id, "tn_0000000000000003", "the id comes from the key, not the generator");
    assert!(first.body["apiKey"]["value"].is_string());

    // The answer was lost: the retry gets it again, the key's value included, still not cached.
    let replay = run(&s, "create-tenant", keyed("onb-1", &new_tenant())).await;
    assert_eq!((replay.status, &replay.body), (201, &first.body));
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.header("cache-control"), Some("no-store"));
    assert_eq!(replay.header("location"), first.header("location"));

    let mut other = new_tenant();
    other["planTier"] = json!("pro");
    assert_eq!(run(&s, "create-tenant", keyed("onb-1", &other)).await.status, 422);

    // After the kept answer expires, a retry names the tenant it made instead of making another.
    s.clock.advance(chrono::TimeDelta::hours(25));
    let late = run(&s, "create-tenant", keyed("onb-1", &new_tenant())).await;
    assert_eq!(late.status, 409, "{}", late.body);
    assert!(late.body["detail"].as_str().unwrap().contains(&id), "{}", late.body);

    let bad = run(&s, "create-tenant", keyed("two words", &new_tenant())).await;
    assert_eq!((bad.status, bad.error_fields()), (400, vec!["header.Idempotency-Key".to_owned()]), "{}", bad.body);
    let another = run(&s, "create-tenant", keyed("onb-2", &new_tenant())).await;
    assert_eq!(another.status, 201);
    assert_ne!(another.body["tenantId"], first.body["tenantId"], "a new key is a new tenant");
    for (tenant, apikey) in [(&first, "onb-1"), (&another, "onb-2")] {
        let path = tenant_path(tenant.body["tenantId"].as_str().unwrap());
        let read = run(&s, "get-tenant", as_operator(Event::new("GET", "/v1/tenants/{tenantId}", &path))).await;
        assert_eq!(read.status, 200, "{apikey}: {}", read.body);
    }
}

#[tokio::test]
async fn onboarding_reports_every_bad_field() {
    let s = seeded_app().await;
    let mut body = new_tenant();
    body["name"] = json!("  ");
    body["planTier"] = json!("gold");
    body["customerProfile"]["postalCode"] = json!("6900887");
    body["customerProfile"]["billingContact"]["email"] = json!("not-an-email");
    let a = run(&s, "create-tenant", as_operator(post_tenant(&body))).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.header("content-type"), Some("application/problem+json"));
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(fields, ["customerProfile.billingContact.email", "customerProfile.postalCode", "name", "planTier"]);
    assert_eq!(a.body["instance"], "test-request-0001");
}

#[tokio::test]
async fn onboarding_refuses_unknown_fields_wrong_types_and_media() {
    let s = seeded_app().await;
    let mut body = new_tenant();
    body["tenantId"] = json!("tn_0000000000000009");
    let a = run(&s, "create-tenant", as_operator(post_tenant(&body))).await;
    assert_eq!((a.status, a.error_fields()), (400, vec!["tenantId".to_owned()]), "the id is never the client's to choose");

    let mut body = new_tenant();
    body["customerProfile"]["billingContact"] = json!("keiri");
    let a = run(&s, "create-tenant", as_operator(post_tenant(&body))).await;
    assert_eq!((a.status, a.error_fields()), (400, vec!["customerProfile.billingContact".to_owned()]));

    let a = run(
        &s,
        "create-tenant",
        as_operator(Event::new("POST", "/v1/tenants", "/v1/tenants").raw_body("{\"name\":").header("Content-Type", "application/json")),
    )
    .await;
    assert_eq!((a.status, a.error_fields()), (400, vec!["body".to_owned()]));

    let a = run(
        &s,
        "create-tenant",
        as_operator(Event::new("POST", "/v1/tenants", "/v1/tenants").raw_body("name=x").header("Content-Type", "application/x-www-form-urlencoded")),
    )
    .await;
    assert_eq!(a.status, 415);

    let huge = json!({ "name": "x".repeat(300 * 1024) });
    let a = run(&s, "create-tenant", as_operator(post_tenant(&huge))).await;
    assert_eq!(a.status, 413);
    assert_eq!(a.body["type"], "urn:seikyu:problem:payload-too-large");
}

#[tokio::test]
async fn tenants_cannot_use_operator_routes() {
    let s = seeded_app().await;
    let a = run(&s, "create-tenant", as_tenant_a(post_tenant(&new_tenant()))).await;
    assert_eq!(a.status, 403);
    // Even with a malformed body, the role is checked first.
    let a =
        run(&s, "create-tenant", as_tenant_a(Event::new("POST", "/v1/tenants", "/v1/tenants").raw_body("{").header("Content-Type", "application/json"))).await;
    assert_eq!(a.status, 403);
    let own = tenant_path(tenant_id(1).as_str());
    let a = run(
        &s,
        "update-tenant",
        as_tenant_a(Event::new("PATCH", "/v1/tenants/{tenantId}", &own).header("If-Match", "\"1\"").json_body(&json!({"planTier": "premium"}))),
    )
    .await;
    assert_eq!(a.status, 403);
}

#[tokio::test]
async fn a_tenant_reads_itself_and_not_others() {
    let s = seeded_app().await;
    let own = run(&s, "get-tenant", as_tenant_a(Event::new("GET", "/v1/tenants/{tenantId}", &tenant_path(tenant_id(1).as_str())))).await;
    assert_eq!(own.status, 200);
    assert_eq!(own.body["name"], "テナントA");
    assert_eq!(own.header("etag"), Some("\"1\""));

    let other = run(&s, "get-tenant", as_tenant_a(Event::new("GET", "/v1/tenants/{tenantId}", &tenant_path(tenant_id(2).as_str())))).await;
    let missing = run(&s, "get-tenant", as_tenant_a(Event::new("GET", "/v1/tenants/{tenantId}", &tenant_path(tenant_id(7).as_str())))).await;
    assert_eq!(other.status, 404);
    assert_eq!(other.body, missing.body, "another tenant's resource answers exactly like a missing one");
    let by_operator = run(&s, "get-tenant", as_operator(Event::new("GET", "/v1/tenants/{tenantId}", &tenant_path(tenant_id(2).as_str())))).await;
    assert_eq!(by_operator.status, 200);
}

#[tokio::test]
async fn the_caller_must_be_registered_and_hold_a_matching_key() {
    let s = seeded_app().await;
    let path = tenant_path(tenant_id(1).as_str());
    let get = || Event::new("GET", "/v1/tenants/{tenantId}", &path);
    let cases = [
        ("unknown principal", get().caller(who::UNKNOWN_ARN, Some(who::TENANT_A_KEY))),
        ("tenant A signing with tenant B's key", get().caller(who::TENANT_A_ARN, Some(who::TENANT_B_KEY))),
        ("tenant A with the operator's key", get().caller(who::TENANT_A_ARN, Some(who::OPERATOR_KEY))),
        ("operator with a tenant's key", get().caller(who::OPERATOR_ARN, Some(who::TENANT_A_KEY))),
        ("unknown key", get().caller(who::TENANT_A_ARN, Some("nosuchkey"))),
        ("unsigned", get()),
    ];
    for (what, e) in cases {
        let a = run(&s, "get-tenant", e).await;
        assert_eq!(a.status, 403, "{what}: {}", a.body);
        assert_eq!(a.body["type"], "urn:seikyu:problem:forbidden", "{what}");
    }
    // The assumed role's session name does not matter: the role is the principal.
    let other_session = get().caller("arn:aws:sts::123456789012:assumed-role/RedmineTenantA/whatever-i-like", Some(who::TENANT_A_KEY));
    assert_eq!(run(&s, "get-tenant", other_session).await.status, 200);
}

#[tokio::test]
async fn update_needs_a_current_if_match() {
    let s = seeded_app().await;
    let path = tenant_path(tenant_id(1).as_str());
    let patch = |etag: Option<&str>, body: Value| {
        let e = Event::new("PATCH", "/v1/tenants/{tenantId}", &path).json_body(&body);
        as_operator(match etag {
            Some(t) => e.header("If-Match", t),
            None => e,
        })
    };
    let a = run(&s, "update-tenant", patch(None, json!({"planTier": "premium"}))).await;
    assert_eq!(a.status, 428);
    let a = run(&s, "update-tenant", patch(Some("\"7\""), json!({"planTier": "premium"}))).await;
    assert_eq!(a.status, 412);

    s.clock.advance(chrono::TimeDelta::minutes(5));
    let a = run(
        &s,
        "update-tenant",
        patch(Some("\"1\""), json!({"planTier": "premium", "status": "suspended", "customerProfile": {"billingContact": {"email": "new@example.jp"}}})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.header("etag"), Some("\"2\""));
    assert_eq!(a.body["planTier"], "premium");
    assert_eq!(a.body["status"], "suspended");
    assert_eq!(a.body["customerProfile"]["billingContact"]["email"], "new@example.jp");
    assert_eq!(a.body["customerProfile"]["billingContact"]["name"], "経理 太郎", "fields left out keep their values");
    assert_eq!(a.body["updatedAt"], "2025-04-01T09:05:00Z");
    assert_eq!(a.body["createdAt"], "2025-04-01T09:00:00Z");

    let a = run(&s, "update-tenant", patch(Some("\"1\""), json!({"name": "lost update"}))).await;
    assert_eq!(a.status, 412, "the old ETag no longer matches");

    let a = run(&s, "update-tenant", patch(Some("\"2\""), json!({"name": null, "status": "closed", "customerProfile": {"postalCode": "1"}}))).await;
    assert_eq!(a.status, 400);
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(fields, ["customerProfile.postalCode", "name", "status"]);
    let after = run(&s, "get-tenant", as_operator(Event::new("GET", "/v1/tenants/{tenantId}", &path))).await;
    assert_eq!(after.header("etag"), Some("\"2\""), "a refused patch changes nothing");

    let a = run(
        &s,
        "update-tenant",
        as_operator(Event::new("PATCH", "/v1/tenants/{tenantId}", &tenant_path(tenant_id(9).as_str())).header("If-Match", "\"1\"").json_body(&json!({}))),
    )
    .await;
    assert_eq!(a.status, 404);
    let a = run(
        &s,
        "update-tenant",
        as_operator(Event::new("PATCH", "/v1/tenants/{tenantId}", "/v1/tenants/acme").header("If-Match", "\"1\"").json_body(&json!({}))),
    )
    .await;
    assert_eq!((a.status, a.error_fields()), (400, vec!["path.tenantId".to_owned()]));
}

//! Tenants' API keys through the tenant routes, over the embedded store and the local key
//! registry: made at onboarding, moved with the tier, disabled while suspended, deleted at
//! offboarding, rotated; and what the backend then makes of the old keys.

use seikyu_tests::events::{Answer, Event};
use seikyu_tests::fixtures::{Seeded, seeded_app, tenant_id, who};
use serde_json::{Value, json};

use crate::handlers::{as_operator, as_tenant_a, new_tenant, run};

fn onboarding(tier: &str) -> Event {
    let mut body = new_tenant();
    body["planTier"] = json!(tier);
    Event::new("POST", "/v1/tenants", "/v1/tenants").json_body(&body)
}

async fn get_tenant(s: &Seeded, id: &str) -> Answer {
    run(s, "get-tenant", as_operator(Event::new("GET", "/v1/tenants/{tenantId}", &format!("/v1/tenants/{id}")))).await
}

async fn patch(s: &Seeded, id: &str, body: Value) -> Answer {
    let etag = get_tenant(s, id).await.header("etag").expect("etag").to_owned();
    let e = Event::new("PATCH", "/v1/tenants/{tenantId}", &format!("/v1/tenants/{id}")).header("if-match", &etag).json_body(&body);
    run(s, "update-tenant", as_operator(e)).await
}

async fn rotate(s: &Seeded, id: &str, e: fn(Event) -> Event) -> Answer {
    run(s, "rotate-api-key", e(Event::new("POST", "/v1/tenants/{tenantId}/api-key/rotate", &format!("/v1/tenants/{id}/api-key/rotate")))).await
}

/// The local registry's entry for a key id: (plan, enabled).
fn registry(s: &Seeded, key: &str) -> Option<(String, bool)> {
    s.credentials.snapshot().api_keys.into_iter().find(|k| k.id == key).map(|k| (serde_json::to_value(k.plan).unwrap().as_str().unwrap().to_owned(), k.enabled))
}

/// What the backend says when tenant A's principal signs with `key`.
async fn tenant_a_with(s: &Seeded, key: &str) -> u16 {
    answer_to_a_with(s, key).await.status
}

async fn answer_to_a_with(s: &Seeded, key: &str) -> Answer {
    let path = format!("/v1/tenants/{}", tenant_id(1));
    run(s, "get-tenant", Event::new("GET", "/v1/tenants/{tenantId}", &path).caller(who::TENANT_A_ARN, Some(key))).await
}

#[tokio::test]
async fn onboarding_makes_the_tenant_s_key_on_its_tier_s_plan_shown_once() {
    let s = seeded_app().await;
    let a = run(&s, "create-tenant", as_operator(onboarding("basic"))).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.header("cache-control"), Some("no-store"), "the key's value must not be cached");
    let key = a.body["apiKey"]["id"].as_str().unwrap().to_owned();
    let value = a.body["apiKey"]["value"].as_str().unwrap();
    assert_eq!(a.body["apiKeyId"], key.as_str());
    assert_eq!(value.len(), 40);
    assert_eq!(registry(&s, &key), Some(("basic".into(), true)));
    assert_eq!(s.credentials.api_key(value).unwrap().tenant_id.unwrap().as_str(), a.body["tenantId"].as_str().unwrap());
    let record = s.app.stores.principals.get_api_key(&common::domain::ApiKeyId::parse(&key).unwrap()).await.unwrap().unwrap();
    assert!(record.enabled);
    assert_eq!(record.owner.tenant_id().unwrap().as_str(), a.body["tenantId"].as_str().unwrap());
    // Reading the tenant later shows the key's id, never its value.
    let read = get_tenant(&s, a.body["tenantId"].as_str().unwrap()).await;
    assert_eq!(read.body["apiKeyId"], key.as_str());
    assert!(read.body.get("apiKey").is_none() && !read.raw.windows(value.len()).any(|w| w == value.as_bytes()));
}

#[tokio::test]
async fn a_tier_change_moves_the_key_and_suspension_disables_it_until_reactivated() {
    let s = seeded_app().await;
    let id = tenant_id(1);
    assert_eq!(registry(&s, who::TENANT_A_KEY), Some(("standard".into(), true)));
    let r = patch(&s, id.as_str(), json!({ "planTier": "premium" })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(registry(&s, who::TENANT_A_KEY), Some(("premium".into(), true)));

    let r = patch(&s, id.as_str(), json!({ "status": "suspended" })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(registry(&s, who::TENANT_A_KEY), Some(("premium".into(), false)), "API Gateway would now answer 403");
    // And the backend refuses the key too, whoever let it through.
    let refused = answer_to_a_with(&s, who::TENANT_A_KEY).await;
    assert_eq!((refused.status, refused.body["detail"].as_str()), (403, Some("The API key is disabled: its tenant is suspended.")));
    // Tenant B (same tier before the change) is untouched.
    assert_eq!(registry(&s, who::TENANT_B_KEY), Some(("standard".into(), true)));

    let r = patch(&s, id.as_str(), json!({ "status": "active", "planTier": "basic" })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(registry(&s, who::TENANT_A_KEY), Some(("basic".into(), true)));
    assert_eq!(tenant_a_with(&s, who::TENANT_A_KEY).await, 200);
}

#[tokio::test]
async fn offboarding_deletes_the_key_and_is_final() {
    let s = seeded_app().await;
    let id = tenant_id(1);
    let r = patch(&s, id.as_str(), json!({ "status": "offboarded" })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(registry(&s, who::TENANT_A_KEY), None);
    assert_eq!(tenant_a_with(&s, who::TENANT_A_KEY).await, 403);
    // Its records stay for the operator.
    assert_eq!(get_tenant(&s, id.as_str()).await.body["status"], "offboarded");
    let back = patch(&s, id.as_str(), json!({ "status": "active" })).await;
    assert_eq!((back.status, back.body["type"].as_str()), (409, Some("urn:seikyu:problem:conflict")));
    assert_eq!(rotate(&s, id.as_str(), as_operator).await.status, 409);
    // Its usage report has no key and no quota left to show; its metering stays.
    let usage = run(&s, "get-tenant-usage", as_operator(Event::new("GET", "/v1/tenants/{tenantId}/usage", &format!("/v1/tenants/{id}/usage")))).await;
    assert_eq!(usage.status, 200, "{}", usage.body);
    assert!(usage.body.get("apiKeyId").is_none() && usage.body["quota"].is_null(), "{}", usage.body);
    // Another change of an offboarded tenant's record is still allowed.
    assert_eq!(patch(&s, id.as_str(), json!({ "name": "しまね商事（旧）" })).await.status, 200);
}

#[tokio::test]
async fn rotation_replaces_the_key_and_the_old_one_stops_working() {
    let s = seeded_app().await;
    let id = tenant_id(1);
    assert_eq!(rotate(&s, id.as_str(), as_tenant_a).await.status, 403, "operators only");
    let r = rotate(&s, id.as_str(), as_operator).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.body["revokedApiKeyId"], who::TENANT_A_KEY);
    let new_key = r.body["apiKey"]["id"].as_str().unwrap().to_owned();
    assert_ne!(new_key, who::TENANT_A_KEY);
    assert_eq!(registry(&s, who::TENANT_A_KEY), None);
    assert_eq!(registry(&s, &new_key), Some(("standard".into(), true)));
    assert_eq!(get_tenant(&s, id.as_str()).await.body["apiKeyId"], new_key.as_str());
    assert_eq!(tenant_a_with(&s, who::TENANT_A_KEY).await, 403);
    assert_eq!(tenant_a_with(&s, &new_key).await, 200);
    // A suspended tenant's new key is made disabled.
    assert_eq!(patch(&s, id.as_str(), json!({ "status": "suspended" })).await.status, 200);
    let again = rotate(&s, id.as_str(), as_operator).await;
    let newer = again.body["apiKey"]["id"].as_str().unwrap().to_owned();
    assert_eq!(registry(&s, &newer), Some(("standard".into(), false)));
    assert_eq!(registry(&s, &new_key), None);
    // An unknown tenant is 404; a malformed id 400.
    assert_eq!(rotate(&s, tenant_id(9).as_str(), as_operator).await.status, 404);
    assert_eq!(rotate(&s, "nope", as_operator).await.status, 400);
}

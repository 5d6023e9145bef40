//! The API Gateway key adapter against moto: keys made, moved between plans, enabled and
//! disabled, deleted, and a tenant's whole key life through the services on DynamoDB and API
//! Gateway together. GetUsage and API Gateway's refusals, which moto does not produce, are in
//! `apikeys_recorded`.

use std::sync::Arc;

use common::apikeys::ApiKeys;
use common::apikeys::apigateway::{ApiGatewayKeys, PlanIds};
use common::domain::PlanTier;
use common::store::ApiKeyId;
use seikyu_tests::fixtures::{REGION, moto_endpoint, tenant_id};

pub fn testing_credentials() -> Option<(String, String)> {
    Some(("testing".into(), "testing".into()))
}

/// An adapter over three fresh usage plans on moto (moto takes plans without stages), found by
/// name as the Lambda functions find theirs.
async fn moto_keys() -> ApiGatewayKeys {
    let none = PlanIds { basic: String::new(), standard: String::new(), premium: String::new() };
    let probe = ApiGatewayKeys::connect(Some(REGION.into()), Some(moto_endpoint()), testing_credentials(), none, "seikyu-test").await;
    let c = probe.client();
    let suffix = hex::encode(rand::random::<[u8; 4]>());
    c.create_rest_api().name(format!("seikyu-test-{suffix}")).send().await.unwrap();
    let mut ids = Vec::new();
    for tier in ["basic", "standard", "premium"] {
        let plan = c.create_usage_plan().name(format!("seikyu-test-{suffix}-{tier}")).send().await.unwrap();
        ids.push(plan.id().unwrap().to_owned());
    }
    let plans = PlanIds::discover(c, &format!("seikyu-test-{suffix}")).await.expect("plans found by name");
    assert_eq!(plans, PlanIds { basic: ids[0].clone(), standard: ids[1].clone(), premium: ids[2].clone() });
    assert!(PlanIds::discover(c, &format!("seikyu-other-{suffix}")).await.unwrap_err().contains("no usage plan named"));
    ApiGatewayKeys::new(c.clone(), plans, "seikyu-test")
}

async fn plan_has(keys: &ApiGatewayKeys, tier: PlanTier, key: &ApiKeyId) -> bool {
    let out = keys.client().get_usage_plan_keys().usage_plan_id(keys.plans().of(tier)).send().await.unwrap();
    out.items().iter().any(|k| k.id() == Some(key.as_str()))
}

async fn tiers_of(keys: &ApiGatewayKeys, key: &ApiKeyId) -> Vec<PlanTier> {
    let mut on = Vec::new();
    for tier in PlanTier::ALL {
        if plan_has(keys, tier, key).await {
            on.push(tier);
        }
    }
    on
}

async fn enabled(keys: &ApiGatewayKeys, key: &ApiKeyId) -> bool {
    keys.client().get_api_key().api_key(key.as_str()).send().await.unwrap().enabled()
}

#[tokio::test]
async fn a_key_is_made_moved_disabled_and_deleted() {
    let keys = moto_keys().await;
    let tenant = tenant_id(41);
    let new = keys.create_key(&tenant, PlanTier::Basic, true).await.unwrap();
    assert!(!format!("{new:?}").contains(&new.value), "Debug must not show the key's value");

    let got = keys.client().get_api_key().api_key(new.id.as_str()).include_value(true).send().await.unwrap();
    assert!(got.enabled());
    assert_eq!(got.name(), Some(format!("seikyu-test-{tenant}").as_str()));
    assert!(got.description().unwrap().contains(tenant.as_str()));
    assert_eq!(got.value(), Some(new.value.as_str()));
    assert_eq!(tiers_of(&keys, &new.id).await, [PlanTier::Basic]);

    keys.set_key(&new.id, PlanTier::Premium, false).await.unwrap();
    assert_eq!(tiers_of(&keys, &new.id).await, [PlanTier::Premium]);
    assert!(!enabled(&keys, &new.id).await);
    keys.set_key(&new.id, PlanTier::Premium, false).await.unwrap();
    assert_eq!(tiers_of(&keys, &new.id).await, [PlanTier::Premium], "set_key again changes nothing");
    assert!(!enabled(&keys, &new.id).await);
    keys.set_key(&new.id, PlanTier::Premium, true).await.unwrap();
    assert!(enabled(&keys, &new.id).await);

    // A half-done move (on two plans) is repaired by calling set_key again.
    keys.client().create_usage_plan_key().usage_plan_id(&keys.plans().standard).key_id(new.id.as_str()).key_type("API_KEY").send().await.unwrap();
    keys.set_key(&new.id, PlanTier::Premium, true).await.unwrap();
    assert_eq!(tiers_of(&keys, &new.id).await, [PlanTier::Premium]);
    keys.set_key(&new.id, PlanTier::Standard, true).await.unwrap();
    assert_eq!(tiers_of(&keys, &new.id).await, [PlanTier::Standard]);

    keys.delete_key(&new.id).await.unwrap();
    let gone = keys.client().get_api_key().api_key(new.id.as_str()).send().await.unwrap_err();
    assert!(gone.as_service_error().is_some_and(|e| e.is_not_found_exception()), "{gone:?}");
    keys.delete_key(&new.id).await.unwrap();
}

#[tokio::test]
async fn each_tenant_gets_its_own_key() {
    let keys = moto_keys().await;
    let a = keys.create_key(&tenant_id(42), PlanTier::Standard, true).await.unwrap();
    let b = keys.create_key(&tenant_id(43), PlanTier::Standard, false).await.unwrap();
    assert_ne!(a.id, b.id);
    assert_ne!(a.value, b.value);
    assert!(enabled(&keys, &a.id).await);
    assert!(!enabled(&keys, &b.id).await, "created disabled, as asked");
    assert_eq!(tiers_of(&keys, &a.id).await, [PlanTier::Standard]);
    assert_eq!(tiers_of(&keys, &b.id).await, [PlanTier::Standard]);
    keys.delete_key(&a.id).await.unwrap();
    assert!(!enabled(&keys, &b.id).await, "deleting one key leaves the other");
}

/// The whole life of a tenant's key on the AWS adapters together: DynamoDB for the records,
/// API Gateway (moto) for the key.
#[tokio::test]
async fn a_tenant_s_key_lives_and_dies_with_the_tenant_on_aws() {
    use common::caller::Caller;
    use common::http::IfMatch;
    use common::service::{tenant_keys, tenants};
    use common::store::{Owner, PrincipalArn};

    let f = seikyu_tests::fixtures::dynamodb_store().await;
    let keys = Arc::new(moto_keys().await);
    let app = common::App {
        stores: f.stores.clone(),
        clock: Arc::new(common::clock::SystemClock),
        ids: Arc::new(common::clock::RandomIds),
        renderer: None,
        keys: Some(keys.clone()),
        iam: None,
    };
    let op = Caller { principal: PrincipalArn::parse("arn:aws:iam::123456789012:role/Ops").unwrap(), owner: Owner::Operator, api_key_id: None };
    let input: tenants::NewTenant = serde_json::from_value(serde_json::json!({
        "name": "しまね商事",
        "customerProfile": {"companyName": "株式会社しまね商事", "postalCode": "690-0887", "address": "島根県松江市殿町1番地",
            "billingContact": {"name": "経理", "email": "keiri@shimane.example.jp"}},
        "planTier": "standard"
    }))
    .unwrap();
    let onboarded = tenants::create(&app, &op, input).await.unwrap();
    let id = onboarded.tenant.tenant_id.clone();
    let key = onboarded.api_key.id.clone();
    assert_eq!(tiers_of(&keys, &key).await, [PlanTier::Standard]);
    let got = keys.client().get_api_key().api_key(key.as_str()).include_value(true).send().await.unwrap();
    assert_eq!(got.value(), Some(onboarded.api_key.value.as_str()));
    assert!(got.name().unwrap().contains(id.as_str()));

    let patch = |json: serde_json::Value| serde_json::from_value::<tenants::TenantPatch>(json).unwrap();
    let version = |v: u64| Some(IfMatch::Tags(vec![format!("\"{v}\"")]));
    let t = tenants::update(&app, &op, &id, patch(serde_json::json!({"planTier": "premium"})), version(1)).await.unwrap();
    assert_eq!(tiers_of(&keys, &key).await, [PlanTier::Premium]);
    tenants::update(&app, &op, &id, patch(serde_json::json!({"status": "suspended"})), version(t.version)).await.unwrap();
    assert!(!enabled(&keys, &key).await);
    assert!(!app.stores.principals.get_api_key(&key).await.unwrap().unwrap().enabled);

    let rotated = tenant_keys::rotate(&app, &op, &id).await.unwrap();
    let new_key = rotated.api_key.id.clone();
    assert!(keys.client().get_api_key().api_key(key.as_str()).send().await.is_err(), "the old key is gone from API Gateway");
    assert_eq!(app.stores.principals.get_api_key(&key).await.unwrap(), None);
    assert_eq!(tiers_of(&keys, &new_key).await, [PlanTier::Premium]);
    assert!(!enabled(&keys, &new_key).await, "a suspended tenant's new key is disabled too");

    let t = app.stores.tenants.get_tenant(&id).await.unwrap().unwrap();
    tenants::update(&app, &op, &id, patch(serde_json::json!({"status": "offboarded"})), version(t.version)).await.unwrap();
    assert!(keys.client().get_api_key().api_key(new_key.as_str()).send().await.is_err(), "offboarding deletes the key");
    assert_eq!(app.stores.principals.get_api_key(&new_key).await.unwrap(), None);
}

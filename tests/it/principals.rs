//! Onboarding a caller through the API, over HTTP through the local gateway: the operator
//! registers a tenant's principal (the gateway, playing IAM, mints its key with the tenant
//! policy), the principal finds out who it is from `/v1/me`, IAM refuses it anything outside its
//! own tenant before a handler runs, and removing it takes effect on its next request.

use seikyu_tests::gateway::{Client, start_gateway};
use serde_json::{Value, json};

use crate::routes_support::{assert_problem, error_fields, header, json, new_tenant_body, now, text};

const CT: (&str, &str) = ("content-type", "application/json");

async fn register(op: &Client, body: Value) -> seikyu_tests::http_client::Fetched {
    op.send("POST", "/v1/principals", &[CT], body.to_string().as_bytes()).await
}

/// Asserts API Gateway's IAM refusal of `method path` for `user`.
fn assert_iam_denied(r: &seikyu_tests::http_client::Fetched, user: &str, method: &str, path: &str) {
    assert_eq!(r.status, 403, "{method} {path}: {}", text(r));
    assert_eq!(header(r, "x-amzn-errortype"), Some("AccessDeniedException"), "{method} {path}");
    let resource = format!("arn:aws:execute-api:ap-northeast-1:********0000:local/local/{method}{path}");
    assert_eq!(json(r), json!({"Message": format!("User: {user} is not authorized to perform: execute-api:Invoke on resource: {resource}")}));
}

#[tokio::test]
async fn an_onboarded_tenant_principal_reads_its_own_data_and_nothing_else() {
    let gw = start_gateway(now()).await;
    let op = gw.operator();
    let created = op.send("POST", "/v1/tenants", &[CT], &new_tenant_body("ほくと建設")).await;
    assert_eq!(created.status, 201, "{}", text(&created));
    let tenant = json(&created);
    let (tid, api_key) = (tenant["tenantId"].as_str().unwrap().to_owned(), tenant["apiKey"]["value"].as_str().unwrap().to_owned());
    let other = gw.demo.tenants[1].tenant_id.to_string();
    let user = "arn:aws:iam::000000000000:user/redmine-hokuto";

    let r = register(&op, json!({"arn": user, "role": "tenant", "tenantId": tid, "accessKey": true})).await;
    assert_eq!(r.status, 201, "{}", text(&r));
    assert_eq!(header(&r, "cache-control"), Some("no-store"), "the secret is shown once");
    let reg = json(&r);
    let pid = reg["principalId"].as_str().unwrap().to_owned();
    assert_eq!(header(&r, "location"), Some(format!("/v1/principals/{pid}").as_str()));
    assert_eq!((reg["arn"].as_str(), reg["role"].as_str(), reg["tenantId"].as_str()), (Some(user), Some("tenant"), Some(tid.as_str())));
    let key = &reg["accessKey"];
    let me = gw.client(key["accessKeyId"].as_str().unwrap(), key["secretAccessKey"].as_str().unwrap(), &api_key);

    // Registering again changes nothing and mints nothing unless asked.
    let again = register(&op, json!({"arn": user, "role": "tenant", "tenantId": tid})).await;
    assert_eq!(again.status, 200, "{}", text(&again));
    assert_eq!(json(&again)["principalId"], pid.as_str());
    assert!(json(&again).get("accessKey").is_none());

    // Who am I: no tenant id needed in the client's configuration.
    let who = me.send("GET", "/v1/me", &[], b"").await;
    assert_eq!(who.status, 200, "{}", text(&who));
    let who = json(&who);
    assert_eq!((who["role"].as_str(), who["tenantId"].as_str(), who["principal"].as_str()), (Some("tenant"), Some(tid.as_str()), Some(user)));
    assert_eq!(who["tenant"]["name"], "ほくと建設");
    assert_eq!(who["plan"]["tier"], "basic");
    assert_eq!(who["plan"]["quota"], json!({"limit": 10000, "period": "DAY"}));
    assert_eq!(who["methodThrottles"][0], json!({"method": "GET", "path": "/v1/tenants/{tenantId}/billings.csv", "rate": 0.5, "burst": 2}));
    assert_eq!(me.send("GET", &format!("/v1/tenants/{tid}/contracts"), &[], b"").await.status, 200);

    // IAM refuses another tenant's paths and every write before any handler runs.
    for (method, path) in [("GET", format!("/v1/tenants/{other}")), ("GET", format!("/v1/tenants/{other}/invoices")), ("POST", "/v1/tenants".to_owned())] {
        let body = if method == "POST" { new_tenant_body("乗っ取り") } else { Vec::new() };
        assert_iam_denied(&me.send(method, &path, &[CT], &body).await, user, method, &path);
    }
    assert_iam_denied(&me.send("GET", "/v1/principals?role=operator", &[], b"").await, user, "GET", "/v1/principals");

    // The policy the operator attaches on AWS is the one the gateway enforced.
    let policy = op.send("GET", &format!("/v1/tenants/{tid}/iam-policy"), &[], b"").await;
    assert_eq!(policy.status, 200, "{}", text(&policy));
    assert_eq!(
        json(&policy)["Statement"][0]["Resource"],
        json!([
            "arn:aws:execute-api:ap-northeast-1:000000000000:local/local/GET/v1/me",
            format!("arn:aws:execute-api:ap-northeast-1:000000000000:local/local/GET/v1/tenants/{tid}"),
            format!("arn:aws:execute-api:ap-northeast-1:000000000000:local/local/GET/v1/tenants/{tid}/*"),
        ])
    );

    // A principal belongs to one owner.
    let taken = register(&op, json!({"arn": user, "role": "tenant", "tenantId": other})).await;
    let p = assert_problem(&taken, 409, "registering another tenant's principal");
    assert!(p["detail"].as_str().unwrap().contains(&tid), "{p}");

    let listed = json(&op.send("GET", &format!("/v1/principals?tenantId={tid}"), &[], b"").await);
    assert_eq!(listed["items"].as_array().map(|i| i.iter().map(|p| p["arn"].clone()).collect::<Vec<_>>()), Some(vec![json!(user)]));

    // Removing it takes effect on its next request.
    let removed = op.send("DELETE", &format!("/v1/principals/{pid}"), &[], b"").await;
    assert_eq!(removed.status, 204, "{}", text(&removed));
    let refused = me.send("GET", "/v1/me", &[], b"").await;
    let p = assert_problem(&refused, 403, "a removed principal");
    assert!(p["detail"].as_str().unwrap().contains("not registered"), "{p}");
    assert_problem(&op.send("DELETE", &format!("/v1/principals/{pid}"), &[], b"").await, 404, "removing twice");
    assert_eq!(json(&op.send("GET", &format!("/v1/principals?tenantId={tid}"), &[], b"").await)["items"], json!([]));
}

#[tokio::test]
async fn operator_principals_and_the_rules_of_registration() {
    let gw = start_gateway(now()).await;
    let op = gw.operator();
    let tid = gw.demo.tenants[0].tenant_id.to_string();

    // A second operator principal, minted without a policy: it may call the operator routes.
    let r = register(&op, json!({"arn": "arn:aws:iam::000000000000:user/cms", "role": "operator", "accessKey": true})).await;
    assert_eq!(r.status, 201, "{}", text(&r));
    let key = json(&r)["accessKey"].clone();
    let cms = gw.client(key["accessKeyId"].as_str().unwrap(), key["secretAccessKey"].as_str().unwrap(), &gw.demo.operator.api_key);
    let who = json(&cms.send("GET", "/v1/me", &[], b"").await);
    assert_eq!((who["role"].as_str(), who.get("tenantId")), (Some("operator"), None), "{who}");
    let ops = json(&cms.send("GET", "/v1/principals?role=operator", &[], b"").await);
    assert_eq!(ops["items"].as_array().map(Vec::len), Some(2), "{ops}");

    // The operator cannot remove the principal it signs with, but another operator principal can.
    let own = json(&op.send("GET", "/v1/me", &[], b"").await)["principalId"].as_str().unwrap().to_owned();
    assert_problem(&op.send("DELETE", &format!("/v1/principals/{own}"), &[], b"").await, 409, "removing oneself");

    // An assumed-role ARN registers its role, whatever the session.
    let r = register(&op, json!({"arn": "arn:aws:sts::000000000000:assumed-role/RedmineShimane/i-0abc", "role": "tenant", "tenantId": tid})).await;
    assert_eq!(r.status, 201, "{}", text(&r));
    assert_eq!(json(&r)["arn"], "arn:aws:iam::000000000000:role/RedmineShimane");

    // Every bad field at once, in the client's terms.
    let bad = register(&op, json!({"arn": "arn:aws:s3:::bucket", "role": "admin", "accessKey": true})).await;
    let p = assert_problem(&bad, 400, "bad registration");
    assert_eq!(error_fields(&p), ["arn", "role"], "{p}");
    let bad = register(&op, json!({"arn": "arn:aws:iam::000000000000:role/R", "role": "tenant", "accessKey": true})).await;
    assert_eq!(error_fields(&assert_problem(&bad, 400, "role with a key, no tenant")), ["tenantId", "accessKey"]);
    let bad = register(&op, json!({"arn": "arn:aws:iam::000000000000:user/x", "role": "tenant", "tenantId": "tn_0000000000000099"})).await;
    assert_eq!(error_fields(&assert_problem(&bad, 400, "no such tenant")), ["tenantId"]);
    assert_eq!(
        error_fields(&assert_problem(&op.send("DELETE", "/v1/principals/pr_bm90LWFuLWFybg", &[], b"").await, 400, "an id that is no ARN")),
        ["path.principalId"]
    );
    assert_eq!(error_fields(&assert_problem(&op.send("GET", "/v1/principals", &[], b"").await, 400, "whose?")), ["query.tenantId"]);

    // Tenants may not manage principals, and an offboarded tenant gets none.
    let tenant = gw.tenant(0);
    let p = assert_problem(&register(&tenant, json!({"arn": "arn:aws:iam::000000000000:user/y", "role": "tenant", "tenantId": tid})).await, 403, "a tenant");
    assert_eq!(p["type"], "urn:seikyu:problem:forbidden");
    let etag = header(&op.send("GET", &format!("/v1/tenants/{tid}"), &[], b"").await, "etag").unwrap().to_owned();
    let off = op.send("PATCH", &format!("/v1/tenants/{tid}"), &[CT, ("if-match", &etag)], br#"{"status":"offboarded"}"#).await;
    assert_eq!(off.status, 200, "{}", text(&off));
    assert_problem(&register(&op, json!({"arn": "arn:aws:iam::000000000000:user/z", "role": "tenant", "tenantId": tid})).await, 409, "offboarded");
}

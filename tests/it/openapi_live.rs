//! What the local gateway answers, against what the document says it answers: each status must be
//! one the operation lists, with one of its media types, and every JSON body must validate against
//! that response's schema. And the gateway serves the document and its page, unsigned.

use chrono::{DateTime, Utc};
use seikyu_tests::gateway::{Client, start_gateway};
use seikyu_tests::http_client::{Fetched, send};
use serde_json::{Value, json};

use super::{VALIDATE, document, python};

/// What was answered, to be validated against the document in one go.
struct Answers {
    doc: Value,
    checks: Vec<Value>,
}

impl Answers {
    /// The response `method path` documents for `status` (shared ones read from
    /// `components.responses`).
    fn documented(&self, method: &str, path: &str, status: u16) -> Value {
        let op = &self.doc["paths"][path][method.to_lowercase()];
        assert!(op.is_object(), "{method} {path} is not in the document");
        let response = &op["responses"][status.to_string()];
        assert!(response.is_object(), "{method} {path} answered {status}, which it does not document");
        match response["$ref"].as_str() {
            Some(r) => self.doc["components"]["responses"][r.rsplit('/').next().unwrap_or_default()].clone(),
            None => response.clone(),
        }
    }

    /// Checks `answer` to `method path` (a template): its status is `status`, documented with the
    /// answer's media type, and its JSON body is kept for validation against that schema.
    fn check(&mut self, method: &str, path: &str, status: u16, answer: &Fetched) -> Value {
        let body = String::from_utf8_lossy(&answer.body);
        assert_eq!(answer.status, status, "{method} {path}: {}", body.chars().take(500).collect::<String>());
        let documented = self.documented(method, path, status);
        let Some(media) = answer.headers.get("content-type").and_then(|v| v.to_str().ok()) else {
            assert!(documented["content"].as_object().is_none_or(|c| c.is_empty()), "{method} {path} {status}: no body, but the document describes one");
            return Value::Null;
        };
        let content = documented["content"].as_object().unwrap_or_else(|| panic!("{method} {path} {status}: a body the document does not describe"));
        let essence = media.split(';').next().unwrap_or_default().trim();
        let schema = content
            .get(media)
            .or_else(|| content.iter().find(|(k, _)| k.split(';').next().unwrap_or_default().trim() == essence).map(|(_, v)| v))
            .unwrap_or_else(|| panic!("{method} {path} {status}: {media} is not among {:?}", content.keys().collect::<Vec<_>>()))["schema"]
            .clone();
        if !essence.ends_with("json") {
            return Value::Null;
        }
        let instance: Value = serde_json::from_slice(&answer.body).unwrap_or_else(|e| panic!("{method} {path} {status}: not JSON: {e}"));
        self.checks.push(json!({ "name": format!("{method} {path} {status}"), "schema": schema, "instance": instance }));
        instance
    }
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).expect("a time")
}

const JSON: (&str, &str) = ("content-type", "application/json");

async fn get(c: &Client, path: &str) -> Fetched {
    c.send("GET", path, &[], b"").await
}

async fn post(c: &Client, path: &str, body: &Value, headers: &[(&str, &str)]) -> Fetched {
    let mut all = vec![JSON];
    all.extend_from_slice(headers);
    c.send("POST", path, &all, body.to_string().as_bytes()).await
}

#[tokio::test]
async fn every_answer_is_documented_and_matches_its_schema() {
    let gw = start_gateway(at("2025-05-20T03:00:00Z")).await;
    let (op, ta) = (gw.operator(), gw.tenant(0));
    let a = gw.demo.tenants[0].tenant_id.to_string();
    let b = gw.demo.tenants[1].tenant_id.to_string();
    let mut s = Answers { doc: document(), checks: Vec::new() };

    s.check("GET", "/v1/me", 200, &get(&op, "/v1/me").await);
    s.check("GET", "/v1/me", 200, &get(&ta, "/v1/me").await);
    let tenant = get(&ta, &format!("/v1/tenants/{a}")).await;
    s.check("GET", "/v1/tenants/{tenantId}", 200, &tenant);
    let etag = tenant.headers.get("etag").and_then(|v| v.to_str().ok()).expect("an ETag").to_owned();
    s.check("GET", "/v1/tenants/{tenantId}", 304, &ta.send("GET", &format!("/v1/tenants/{a}"), &[("if-none-match", &etag)], b"").await);
    s.check("GET", "/v1/tenants/{tenantId}", 404, &get(&ta, &format!("/v1/tenants/{b}")).await);
    s.check("GET", "/v1/tenants/{tenantId}/contracts", 200, &get(&ta, &format!("/v1/tenants/{a}/contracts?limit=1")).await);
    s.check("GET", "/v1/tenants/{tenantId}/contracts/{contractId}", 200, &get(&ta, &format!("/v1/tenants/{a}/contracts/C-DEMO-001")).await);
    let billings = s.check("GET", "/v1/tenants/{tenantId}/billings", 200, &get(&op, &format!("/v1/tenants/{a}/billings")).await);
    let billing = billings["items"][0]["billingId"].as_str().expect("the demo's billing record").to_owned();
    s.check("GET", "/v1/tenants/{tenantId}/billings/{billingId}", 200, &get(&ta, &format!("/v1/tenants/{a}/billings/{billing}")).await);
    s.check("GET", "/v1/tenants/{tenantId}/invoices", 200, &get(&ta, &format!("/v1/tenants/{a}/invoices")).await);
    let invoice = format!("/v1/tenants/{a}/invoices/INV-2025-000001");
    s.check("GET", "/v1/tenants/{tenantId}/invoices/{invoiceNumber}", 200, &get(&ta, &invoice).await);
    s.check("GET", "/v1/tenants/{tenantId}/invoices/{invoiceNumber}/pdf", 200, &get(&ta, &format!("{invoice}/pdf")).await);
    s.check(
        "GET",
        "/v1/tenants/{tenantId}/invoices/{invoiceNumber}/pdf",
        206,
        &ta.send("GET", &format!("{invoice}/pdf"), &[("range", "bytes=0-99")], b"").await,
    );
    s.check(
        "GET",
        "/v1/tenants/{tenantId}/invoices/{invoiceNumber}/pdf",
        416,
        &ta.send("GET", &format!("{invoice}/pdf"), &[("range", "bytes=99999999-")], b"").await,
    );
    s.check("GET", "/v1/tenants/{tenantId}/billings.csv", 200, &get(&ta, &format!("/v1/tenants/{a}/billings.csv?encoding=cp932")).await);
    s.check("GET", "/v1/tenants/{tenantId}/invoices.zip", 200, &get(&ta, &format!("/v1/tenants/{a}/invoices.zip?period=2025-04")).await);
    s.check("GET", "/v1/tenants/{tenantId}/usage", 200, &get(&ta, &format!("/v1/tenants/{a}/usage")).await);
    s.check("GET", "/v1/usage", 200, &get(&op, "/v1/usage?limit=1").await);
    s.check("GET", "/v1/issuer", 200, &get(&op, "/v1/issuer").await);
    s.check("GET", "/v1/issuer", 403, &get(&ta, "/v1/issuer").await);
    s.check("GET", "/v1/principals", 200, &get(&op, "/v1/principals?role=operator").await);
    s.check("GET", "/v1/tenants/{tenantId}/iam-policy", 200, &get(&op, &format!("/v1/tenants/{a}/iam-policy")).await);

    // Refusals: field errors, preconditions, API Gateway's own answers.
    let invalid = json!({ "name": "", "customerProfile": { "companyName": "x", "postalCode": "6900887", "address": "x", "billingContact": { "name": "x", "email": "nope" } }, "planTier": "gold" });
    let problem = s.check("POST", "/v1/tenants", 400, &post(&op, "/v1/tenants", &invalid, &[]).await);
    assert!(problem["errors"].as_array().is_some_and(|e| e.len() >= 4), "every field at once: {problem}");
    s.check("PATCH", "/v1/tenants/{tenantId}", 428, &op.send("PATCH", &format!("/v1/tenants/{a}"), &[JSON], br#"{"name":"x"}"#).await);
    let no_key = gw.client(&gw.demo.operator.access_key_id, &gw.demo.operator.secret_access_key, "no-such-key");
    s.check("GET", "/v1/me", 403, &get(&no_key, "/v1/me").await);
    s.check("GET", "/v1/me", 403, &send("GET", &format!("{}/v1/me", gw.endpoint), &[], bytes::Bytes::new()).await);

    // Writes, as the operator's system makes them.
    let new = json!({ "name": "かわもと", "customerProfile": { "companyName": "株式会社かわもと", "postalCode": "690-0887", "address": "島根県松江市", "billingContact": { "name": "経理", "email": "keiri@kawamoto.example.jp" } }, "planTier": "basic" });
    let onboarded = s.check("POST", "/v1/tenants", 201, &post(&op, "/v1/tenants", &new, &[]).await);
    let c = onboarded["tenantId"].as_str().expect("a tenant id").to_owned();
    s.check("POST", "/v1/tenants/{tenantId}/api-key/rotate", 200, &post(&op, &format!("/v1/tenants/{c}/api-key/rotate"), &json!({}), &[]).await);
    let contract = json!({ "planName": "スタンダード", "monthlyFee": 55000, "startDate": "2025-05-01", "billingCycle": "monthly" });
    s.check(
        "PUT",
        "/v1/tenants/{tenantId}/contracts/{contractId}",
        201,
        &op.send("PUT", &format!("/v1/tenants/{c}/contracts/C-1"), &[JSON], contract.to_string().as_bytes()).await,
    );
    let draft = json!({ "period": "2025-05", "lines": [{ "description": "ホスティング", "quantity": 1, "unitPrice": 55000, "taxCategory": "standard" }], "issueDate": "2025-05-20", "dueDate": "2025-06-30" });
    let created = s.check(
        "POST",
        "/v1/tenants/{tenantId}/billings",
        201,
        &post(&op, &format!("/v1/tenants/{c}/billings"), &draft, &[("idempotency-key", "openapi-1")]).await,
    );
    let id = created["billingId"].as_str().expect("a billing id").to_owned();
    s.check(
        "POST",
        "/v1/tenants/{tenantId}/billings/{billingId}/issue",
        201,
        &op.send("POST", &format!("/v1/tenants/{c}/billings/{id}/issue"), &[], b"").await,
    );
    s.check("POST", "/v1/tenants/{tenantId}/billings/{billingId}/paid", 200, &op.send("POST", &format!("/v1/tenants/{c}/billings/{id}/paid"), &[], b"").await);
    let principal = json!({ "arn": "arn:aws:iam::000000000000:role/openapi", "role": "tenant", "tenantId": c });
    let registered = s.check("POST", "/v1/principals", 201, &post(&op, "/v1/principals", &principal, &[]).await);
    let pid = registered["principalId"].as_str().expect("a principal id").to_owned();
    s.check("DELETE", "/v1/principals/{principalId}", 204, &op.send("DELETE", &format!("/v1/principals/{pid}"), &[], b"").await);

    // A month-end run: tried, started, read, listed, reported, cancelled.
    s.check("POST", "/v1/invoice-runs", 200, &post(&op, "/v1/invoice-runs", &json!({ "period": "2025-05", "dryRun": true }), &[]).await);
    let run = s.check("POST", "/v1/invoice-runs", 202, &post(&op, "/v1/invoice-runs", &json!({ "period": "2025-05", "tenants": [a] }), &[]).await);
    let run = run["runId"].as_str().expect("a run id").to_owned();
    s.check("GET", "/v1/invoice-runs/{runId}", 200, &get(&op, &format!("/v1/invoice-runs/{run}")).await);
    s.check("GET", "/v1/invoice-runs", 200, &get(&op, "/v1/invoice-runs?period=2025-05").await);
    s.check("GET", "/v1/invoice-runs/{runId}/report.csv", 200, &get(&op, &format!("/v1/invoice-runs/{run}/report.csv")).await);
    s.check("POST", "/v1/invoice-runs/{runId}/cancel", 200, &op.send("POST", &format!("/v1/invoice-runs/{run}/cancel"), &[], b"").await);

    let count = s.checks.len();
    assert!(count >= 30, "{count} JSON answers");
    let (ok, output) = python(VALIDATE, &json!({ "document": s.doc, "checks": s.checks }));
    assert!(ok, "answers that do not match their documented schemas:\n{output}");
}

/// `GET /openapi.json` and `GET /docs` answer unsigned, on the local gateway only; any other method
/// on them is an unknown route, as it would be on API Gateway.
#[tokio::test]
async fn the_gateway_serves_the_document_and_its_page_unsigned() {
    let gw = start_gateway(Utc::now()).await;
    let json = send("GET", &format!("{}/openapi.json", gw.endpoint), &[], bytes::Bytes::new()).await;
    assert_eq!((json.status, json.headers["content-type"].to_str().ok()), (200, Some("application/json")));
    assert_eq!(String::from_utf8_lossy(&json.body), common::openapi::to_json().expect("the document"));
    let page = send("GET", &format!("{}/docs", gw.endpoint), &[], bytes::Bytes::new()).await;
    assert_eq!((page.status, page.headers["content-type"].to_str().ok()), (200, Some("text/html; charset=utf-8")));
    let html = String::from_utf8_lossy(&page.body);
    for r in local_gateway::ROUTES {
        assert!(html.contains(&format!("id=\"{}\"", r.function)), "/docs lacks {}", r.function);
    }
    let post = send("POST", &format!("{}/openapi.json", gw.endpoint), &[], bytes::Bytes::new()).await;
    assert_eq!((post.status, String::from_utf8_lossy(&post.body).as_ref()), (403, r#"{"message":"Missing Authentication Token"}"#));
}

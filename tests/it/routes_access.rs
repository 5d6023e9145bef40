//! Who may call each route, for every route of the local gateway's table (`ROUTES` and its
//! `access`): a demo tenant, signed with its own key and asking about its own tenant, is refused
//! every operator route (403 problem) and is not refused any route of its own. Each refused
//! request is one the operator's identical request carries out, so a missing role check shows as
//! a tenant's success; and the refusals change nothing.

use local_gateway::{Access, ROUTES, Route};
use seikyu_tests::gateway::{Client, start_gateway};
use seikyu_tests::http_client::send;
use serde_json::{Value, json};

use crate::routes_support::{
    UPLOADED_PDF, assert_problem, billing_body, contract_body, header, issuer_body, json, line, new_tenant_body, now, sha256_hex, text,
};

/// The records the requests name, all of the demo's first tenant.
struct Ids {
    tenant: String,
    /// Its issued demo billing record and invoice (the tenant may read them).
    issued_billing: String,
    issued_invoice: String,
    /// A draft to change, with its ETag.
    to_change: (String, String),
    /// A draft to issue.
    to_issue: String,
    /// An issued invoice's billing record, to mark paid.
    to_pay: String,
    /// An invoice numbered for an external PDF, which is already uploaded but not completed.
    awaiting_upload: String,
    tenant_etag: String,
    issuer_etag: String,
    /// A month-end run.
    run: String,
}

/// A request as sent, for a tenant and for the operator alike.
struct Req {
    method: String,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

async fn draft(op: &Client, tenant: &str, key: &str, description: &str) -> (String, String) {
    let r = op
        .send(
            "POST",
            &format!("/v1/tenants/{tenant}/billings"),
            &[("content-type", "application/json"), ("idempotency-key", key)],
            &billing_body(&[line(description, 1, 10_000, "standard")]),
        )
        .await;
    assert_eq!(r.status, 201, "draft {key}: {}", text(&r));
    (json(&r)["billingId"].as_str().expect("billingId").to_owned(), header(&r, "etag").expect("etag").to_owned())
}

async fn issue(op: &Client, tenant: &str, billing: &str, query: &str) -> String {
    let r = op.send("POST", &format!("/v1/tenants/{tenant}/billings/{billing}/issue{query}"), &[], b"").await;
    assert_eq!(r.status, 201, "issue {billing}{query}: {}", text(&r));
    json(&r)["invoiceNumber"].as_str().expect("invoiceNumber").to_owned()
}

/// Sets the scene through the API, as the operator.
async fn ids(op: &Client, tenant: &str) -> Ids {
    let billings = op.send("GET", &format!("/v1/tenants/{tenant}/billings"), &[], b"").await;
    assert_eq!(billings.status, 200, "{}", text(&billings));
    let demo = json(&billings)["items"]
        .as_array()
        .and_then(|items| items.iter().find(|b| b["invoiceNumber"].is_string()).cloned())
        .expect("the demo's issued billing record");
    let to_change = draft(op, tenant, "access-draft", "変更する下書き").await;
    let (to_issue, _) = draft(op, tenant, "access-to-issue", "発行する下書き").await;
    let (to_pay, _) = draft(op, tenant, "access-to-pay", "入金を記録する請求").await;
    issue(op, tenant, &to_pay, "").await;
    let (external, _) = draft(op, tenant, "access-external", "外部PDFの請求").await;
    let awaiting_upload = issue(op, tenant, &external, "?pdf=external").await;
    // The PDF is uploaded; only the completion is left.
    let url = op
        .send(
            "POST",
            &format!("/v1/tenants/{tenant}/invoices/{awaiting_upload}/upload-url"),
            &[("content-type", "application/json")],
            json!({"contentLength": UPLOADED_PDF.len()}).to_string().as_bytes(),
        )
        .await;
    assert_eq!(url.status, 200, "{}", text(&url));
    let put = send("PUT", json(&url)["url"].as_str().expect("url"), &[("content-type", "application/pdf")], UPLOADED_PDF.to_vec().into()).await;
    assert_eq!(put.status, 200, "upload: {}", text(&put));
    let etag_of = |r: &seikyu_tests::http_client::Fetched| header(r, "etag").expect("etag").to_owned();
    let t = op.send("GET", &format!("/v1/tenants/{tenant}"), &[], b"").await;
    let issuer = op.send("GET", "/v1/issuer", &[], b"").await;
    assert_eq!((t.status, issuer.status), (200, 200));
    let run = op.send("POST", "/v1/invoice-runs", &[("content-type", "application/json")], br#"{"period":"2024-01"}"#).await;
    assert_eq!(run.status, 202, "{}", text(&run));
    Ids {
        tenant: tenant.to_owned(),
        issued_billing: demo["billingId"].as_str().expect("billingId").to_owned(),
        issued_invoice: demo["invoiceNumber"].as_str().expect("invoiceNumber").to_owned(),
        to_change,
        to_issue,
        to_pay,
        awaiting_upload,
        tenant_etag: etag_of(&t),
        issuer_etag: etag_of(&issuer),
        run: json(&run)["runId"].as_str().expect("runId").to_owned(),
    }
}

/// The principal the operator registers (and then removes) in this test.
const ACCESS_PRINCIPAL: &str = "arn:aws:iam::000000000000:user/access-check";

/// A valid value for each path parameter of `route`: the caller's own tenant, and records of it
/// that the route can act on.
/// A tenant no one onboarded: the restore route brings it in offboarded, the purge route purges it.
const SPARE_TENANT: &str = "tn_0000000000000077";

fn param(route: &Route, name: &str, ids: &Ids) -> String {
    match (route.function, name) {
        // Restored (an archive of an offboarded tenant, into a place without it), then purged.
        ("restore-tenant" | "purge-tenant", "tenantId") => SPARE_TENANT.into(),
        (_, "tenantId") => ids.tenant.clone(),
        ("put-contract", "contractId") => "C-ACCESS-001".into(),
        (_, "contractId") => "C-DEMO-001".into(),
        ("update-billing", "billingId") => ids.to_change.0.clone(),
        ("issue-invoice", "billingId") => ids.to_issue.clone(),
        ("mark-paid", "billingId") => ids.to_pay.clone(),
        (_, "billingId") => ids.issued_billing.clone(),
        ("invoice-upload-url" | "complete-invoice-upload", "invoiceNumber") => ids.awaiting_upload.clone(),
        (_, "invoiceNumber") => ids.issued_invoice.clone(),
        (_, "runId") => ids.run.clone(),
        ("remove-principal", "principalId") => common::store::PrincipalArn::parse(ACCESS_PRINCIPAL).expect("arn").id().as_str().to_owned(),
        (f, p) => panic!("{f}: no value for the path parameter {{{p}}}: add one here"),
    }
}

/// The request for `route`: its path filled in, and the query, headers and body that make it one
/// the operator may send with success.
fn request(route: &Route, ids: &Ids) -> Req {
    let path: Vec<String> = route
        .path
        .split('/')
        .map(|seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => param(route, name, ids),
            None => seg.to_owned(),
        })
        .collect();
    let mut path = path.join("/");
    let json_body = |v: Value| v.to_string().into_bytes();
    let (headers, body): (Vec<(&'static str, String)>, Vec<u8>) = match route.function {
        "create-tenant" => (vec![], new_tenant_body("アクセス検査")),
        "update-tenant" => (vec![("if-match", ids.tenant_etag.clone())], json_body(json!({"name": "改名された名前"}))),
        "put-contract" => (vec![("if-none-match", "*".into())], contract_body("追加ストレージ", 3_300)),
        "create-billing" => (vec![("idempotency-key", "access-create".into())], billing_body(&[line("新しい請求", 1, 1_000, "standard")])),
        "update-billing" => (vec![("if-match", ids.to_change.1.clone())], json_body(json!({"notes": "変更しました"}))),
        "invoice-upload-url" => (vec![], json_body(json!({"contentLength": UPLOADED_PDF.len()}))),
        "restore-url" => (vec![], json_body(json!({"contentLength": 1024}))),
        "complete-invoice-upload" => (vec![], json_body(json!({"sha256": sha256_hex(UPLOADED_PDF)}))),
        "void-invoice" => (vec![], json_body(json!({"reason": "金額訂正のため"}))),
        "put-issuer" => (vec![("if-match", ids.issuer_etag.clone())], issuer_body("T7000012050002")),
        "create-invoice-run" => (vec![], json_body(json!({"period": "2024-02"}))),
        "register-principal" => (vec![], json_body(json!({"arn": ACCESS_PRINCIPAL, "role": "tenant", "tenantId": ids.tenant}))),
        "list-principals" => {
            path.push_str(&format!("?tenantId={}", ids.tenant));
            (vec![], vec![])
        }
        "download-invoices-zip" => {
            path.push_str("?period=2025-04");
            (vec![], vec![])
        }
        "restore-tenant" => {
            let spare = common::domain::TenantId::parse(SPARE_TENANT).expect("tenant id");
            (vec![("content-type", "application/zip".into())], crate::archive::archive_of_offboarded(&spare))
        }
        _ => (vec![], vec![]),
    };
    let mut headers = headers;
    if !body.is_empty() && !headers.iter().any(|(k, _)| *k == "content-type") {
        headers.push(("content-type", "application/json".into()));
    }
    Req { method: route.method.to_string(), path, headers, body }
}

async fn send_as(who: &Client, req: &Req) -> seikyu_tests::http_client::Fetched {
    let headers: Vec<(&str, &str)> = req.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    who.send(&req.method, &req.path, &headers, &req.body).await
}

/// What the operator sees of the tenant and of everything a tenant's request could change.
async fn snapshot(op: &Client, tenant: &str) -> Vec<(String, u16, Option<String>, Value)> {
    let mut out = Vec::new();
    for path in [
        format!("/v1/tenants/{tenant}"),
        format!("/v1/tenants/{tenant}/contracts?limit=100"),
        format!("/v1/tenants/{tenant}/billings?limit=100"),
        format!("/v1/tenants/{tenant}/invoices?limit=100"),
        "/v1/issuer".to_owned(),
    ] {
        let r = op.send("GET", &path, &[], b"").await;
        out.push((path, r.status, header(&r, "etag").map(str::to_owned), json(&r)));
    }
    // Which tenants exist (their usage counts move with every request).
    let usage = op.send("GET", "/v1/usage?limit=100", &[], b"").await;
    let mut tenants: Vec<Value> = json(&usage)["items"].as_array().cloned().unwrap_or_default().iter().map(|t| t["tenantId"].clone()).collect();
    tenants.sort_by_key(Value::to_string);
    out.push(("/v1/usage".into(), usage.status, None, Value::Array(tenants)));
    out
}

#[tokio::test]
async fn a_tenant_is_refused_every_operator_route_and_no_route_of_its_own() {
    let gw = start_gateway(now()).await;
    let op = gw.operator();
    let me = gw.tenant(0);
    let ids = ids(&op, &gw.demo.tenants[0].tenant_id.to_string()).await;
    let before = snapshot(&op, &ids.tenant).await;

    let mut refused = Vec::new();
    for route in ROUTES {
        let req = request(route, &ids);
        let what = format!("{} {} as the tenant ({})", req.method, req.path, route.function);
        let r = send_as(&me, &req).await;
        match route.access {
            Access::Operator => {
                let p = assert_problem(&r, 403, &what);
                assert_eq!(p["type"], "urn:seikyu:problem:forbidden", "{what}: {p}");
                refused.push(route);
            }
            Access::TenantOwn | Access::Anyone => {
                assert!((200..300).contains(&r.status), "{what}: its own data, expected success: {} {}", r.status, text(&r));
            }
        }
    }
    assert_eq!(refused.len(), ROUTES.iter().filter(|r| r.access == Access::Operator).count());
    assert!(refused.len() >= 14, "the operator routes of the README: {}", refused.len());
    assert_eq!(snapshot(&op, &ids.tenant).await, before, "refused requests changed nothing");
    let still = me.send("GET", &format!("/v1/tenants/{}", ids.tenant), &[], b"").await;
    assert_eq!(still.status, 200, "the tenant's key still works (it was not rotated): {}", text(&still));

    // The same requests from the operator succeed: each refusal was for the caller's role alone.
    // Completing the upload ends the invoice's wait for a PDF, so it goes after the upload URL.
    refused.sort_by_key(|r| r.function == "complete-invoice-upload");
    for route in refused {
        let req = request(route, &ids);
        let r = send_as(&op, &req).await;
        assert!((200..300).contains(&r.status), "{} {} as the operator ({}): {} {}", req.method, req.path, route.function, r.status, text(&r));
    }
}

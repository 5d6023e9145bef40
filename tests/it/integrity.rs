//! What a client sees is what was invoiced: each defect of issue 10, reproduced over HTTP through
//! the local gateway as the customer-management system and a tenant's Redmine would meet it.

use chrono::{DateTime, Utc};
use seikyu_tests::gateway::{GatewayFixture, Signer, start_gateway};
use seikyu_tests::http_client::{Fetched, send};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn now() -> DateTime<Utc> {
    Utc::now()
}

fn body(f: &Fetched) -> Value {
    serde_json::from_slice(&f.body).unwrap_or(Value::Null)
}

fn etag(f: &Fetched) -> String {
    f.headers.get("etag").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// The demo gateway, its operator and its first tenant.
struct World {
    gw: GatewayFixture,
    operator: Signer,
    key_op: String,
    tenant: Signer,
    key_t: String,
    t: String,
}

impl World {
    async fn new() -> Self {
        let gw = start_gateway(now()).await;
        let operator = Signer::new(&gw.demo.operator.access_key_id, &gw.demo.operator.secret_access_key, now());
        let a = &gw.demo.tenants[0];
        let tenant = Signer::new(&a.access_key_id, &a.secret_access_key, now());
        let (key_op, key_t, t) = (gw.demo.operator.api_key.clone(), a.api_key.clone(), a.tenant_id.to_string());
        Self { gw, operator, key_op, tenant, key_t, t }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gw.endpoint)
    }

    async fn op(&self, method: &str, path: &str, json_body: Option<Value>, extra: &[(&str, &str)]) -> Fetched {
        let b = json_body.map(|v| v.to_string().into_bytes()).unwrap_or_default();
        let mut headers = vec![("x-api-key", self.key_op.as_str())];
        if !b.is_empty() {
            headers.push(("content-type", "application/json"));
        }
        headers.extend_from_slice(extra);
        self.operator.send(method, &self.url(path), &headers, &b).await
    }

    async fn as_tenant(&self, path: &str) -> Fetched {
        self.tenant.send("GET", &self.url(path), &[("x-api-key", &self.key_t)], b"").await
    }

    /// Sets the issuer's rounding (the demo seeded an issuer).
    async fn rounding(&self, mode: &str) {
        let current = self.op("GET", "/v1/issuer", None, &[]).await;
        let mut issuer = body(&current);
        for k in ["version", "updatedAt"] {
            issuer.as_object_mut().map(|o| o.remove(k));
        }
        issuer["rounding"] = json!(mode);
        let put = self.op("PUT", "/v1/issuer", Some(issuer), &[("if-match", &etag(&current))]).await;
        assert_eq!(put.status, 200, "{}", String::from_utf8_lossy(&put.body));
    }

    /// A draft with `lines` ((quantity, unit price, category)); its id.
    async fn draft(&self, key: &str, lines: &[(i64, i64, &str)]) -> String {
        let lines: Vec<Value> = lines.iter().map(|(q, p, c)| json!({"description": "保守サポート", "quantity": q, "unitPrice": p, "taxCategory": c})).collect();
        let b = json!({"period": "2025-11", "lines": lines, "issueDate": "2025-11-30", "dueDate": "2025-12-31"});
        let r = self.op("POST", &format!("/v1/tenants/{}/billings", self.t), Some(b), &[("idempotency-key", key)]).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        body(&r)["billingId"].as_str().expect("billing id").to_owned()
    }

    async fn issue(&self, id: &str, query: &str) -> Value {
        let r = self.op("POST", &format!("/v1/tenants/{}/billings/{id}/issue{query}", self.t), None, &[]).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        body(&r)
    }
}

fn totals(v: &Value) -> (Vec<i64>, i64) {
    let taxes = v["totals"]["byRate"].as_array().map(|r| r.iter().filter_map(|x| x["tax"].as_i64()).collect()).unwrap_or_default();
    (taxes, v["totals"]["total"].as_i64().unwrap_or_default())
}

#[tokio::test]
async fn an_issued_record_keeps_its_invoiced_totals_when_the_rounding_changes() {
    let w = World::new().await;
    w.rounding("floor").await;
    let id = w.draft("rounding-1", &[(1, 12_345, "standard"), (1, 6_481, "reduced")]).await;
    let invoice = w.issue(&id, "").await;
    assert_eq!(totals(&invoice), (vec![1234, 518], 20_578));
    w.rounding("ceil").await;
    let record = body(&w.op("GET", &format!("/v1/tenants/{}/billings/{id}", w.t), None, &[]).await);
    assert_eq!(totals(&record), (vec![1234, 518], 20_578), "the record shows what was invoiced: {record}");
    assert_eq!(record["rounding"], "floor");
    let seen = body(&w.as_tenant(&format!("/v1/tenants/{}/billings/{id}", w.t)).await);
    assert_eq!(totals(&seen), (vec![1234, 518], 20_578), "and so does the tenant's view");
    let listed = body(&w.as_tenant(&format!("/v1/tenants/{}/billings?from=2025-11&to=2025-11", w.t)).await);
    assert_eq!(totals(&listed["items"][0]), (vec![1234, 518], 20_578));
    let number = invoice["invoiceNumber"].as_str().unwrap();
    let inv = body(&w.as_tenant(&format!("/v1/tenants/{}/invoices/{number}", w.t)).await);
    assert_eq!((totals(&inv), inv["rounding"].as_str()), ((vec![1234, 518], 20_578), Some("floor")));
    // A draft is computed with today's setting, and says which.
    let draft = w.draft("rounding-2", &[(1, 12_345, "standard"), (1, 6_481, "reduced")]).await;
    let d = body(&w.op("GET", &format!("/v1/tenants/{}/billings/{draft}", w.t), None, &[]).await);
    assert_eq!((totals(&d), d["rounding"].as_str()), ((vec![1235, 519], 20_580), Some("ceil")));
}

/// A minimal PDF and what completing its upload announces.
fn pdf(tag: &str) -> (Vec<u8>, String) {
    let bytes = format!("%PDF-1.7\n% {tag}\n%%EOF\n").into_bytes();
    let sha = hex::encode(Sha256::digest(&bytes));
    (bytes, sha)
}

/// Asks for an upload URL and PUTs `bytes` to it; the URL, for reuse.
async fn upload(w: &World, number: &str, bytes: &[u8]) -> (String, u16) {
    let r = w.op("POST", &format!("/v1/tenants/{}/invoices/{number}/upload-url", w.t), Some(json!({"contentLength": bytes.len()})), &[]).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let url = body(&r)["url"].as_str().expect("url").to_owned();
    let len = bytes.len().to_string();
    let put = send("PUT", &url, &[("content-type", "application/pdf"), ("content-length", &len)], bytes::Bytes::copy_from_slice(bytes)).await;
    (url, put.status)
}

#[tokio::test]
async fn a_record_bound_to_a_number_is_frozen_while_its_pdf_is_awaited() {
    let w = World::new().await;
    let id = w.draft("frozen-1", &[(1, 344_444, "standard")]).await;
    let numbered = w.issue(&id, "?pdf=external").await;
    let number = numbered["invoiceNumber"].as_str().unwrap().to_owned();
    assert_eq!(numbered["status"], "awaitingUpload");
    let path = format!("/v1/tenants/{}/billings/{id}", w.t);
    let record = w.op("GET", &path, None, &[]).await;
    assert_eq!((body(&record)["status"].as_str(), body(&record)["invoiceNumber"].as_str()), (Some("awaitingUpload"), Some(number.as_str())));
    let patch = json!({"lines": [{"description": "差し替え", "quantity": 1, "unitPrice": 999_999, "taxCategory": "standard"}]});
    let refused = w.op("PATCH", &path, Some(patch), &[("if-match", &etag(&record))]).await;
    assert_eq!(refused.status, 409, "{}", String::from_utf8_lossy(&refused.body));
    assert!(body(&refused)["detail"].as_str().unwrap_or_default().contains(&number), "{}", body(&refused));
    let again = w.op("POST", &format!("{path}/issue"), None, &[]).await;
    assert_eq!(again.status, 409, "a plain issue does not pretend to render: {}", body(&again));
    assert!(body(&again)["detail"].as_str().unwrap_or_default().contains("upload"));
    assert_eq!(w.as_tenant(&path).await.status, 404, "the tenant does not see it yet");
    let (bytes, sha) = pdf("frozen");
    assert_eq!(upload(&w, &number, &bytes).await.1, 200);
    let done = w.op("POST", &format!("/v1/tenants/{}/invoices/{number}/upload-complete", w.t), Some(json!({"sha256": sha})), &[]).await;
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));
    let issued = body(&w.as_tenant(&path).await);
    assert_eq!((issued["status"].as_str(), totals(&issued).1), (Some("issued"), 378_888));
    assert_eq!(totals(&body(&done)).1, 378_888, "record and invoice agree");
}

#[tokio::test]
async fn an_issued_pdf_never_changes_and_altered_bytes_never_look_whole() {
    let w = World::new().await;
    let id = w.draft("replace-1", &[(1, 10_000, "standard")]).await;
    let number = w.issue(&id, "?pdf=external").await["invoiceNumber"].as_str().unwrap().to_owned();
    let (original, sha) = pdf("original");
    let (url, status) = upload(&w, &number, &original).await;
    assert_eq!(status, 200);
    let complete = format!("/v1/tenants/{}/invoices/{number}/upload-complete", w.t);
    assert_eq!(w.op("POST", &complete, Some(json!({"sha256": sha})), &[]).await.status, 200);
    // The same presigned URL, still valid, sends other bytes of the same length.
    let forged = original.iter().map(|b| if *b == b'o' { b'0' } else { *b }).collect::<Vec<u8>>();
    let len = forged.len().to_string();
    send("PUT", &url, &[("content-type", "application/pdf"), ("content-length", &len)], bytes::Bytes::from(forged)).await;
    let pdf_url = w.url(&format!("/v1/tenants/{}/invoices/{number}/pdf", w.t));
    let got = w.tenant.send("GET", &pdf_url, &[("x-api-key", &w.key_t)], b"").await;
    assert_eq!((got.status, got.body.as_ref()), (200, original.as_slice()), "the tenant still gets the issued bytes");
    assert_eq!(etag(&got), format!("\"{sha}\""));
    // Completion again: the same bytes answer as before; an upload URL is refused.
    assert_eq!(w.op("POST", &complete, Some(json!({"sha256": sha})), &[]).await.status, 200);
    let late = w.op("POST", &format!("/v1/tenants/{}/invoices/{number}/upload-url", w.t), Some(json!({"contentLength": 10})), &[]).await;
    assert_eq!(late.status, 409);
    // Bytes changed behind the API's back (on disk) are never served as a whole PDF.
    let file = w.gw.dir.path().join(format!("objects/tenants/{}/invoices/{number}.pdf", w.t));
    let mut altered = std::fs::read(&file).expect("stored PDF");
    assert_eq!(altered, original);
    altered[10] ^= 0x20;
    std::fs::write(&file, &altered).expect("alter the stored PDF");
    let whole = fetch_whole(&w.tenant, &pdf_url, &w.key_t).await;
    assert!(whole.is_err(), "the client sees an incomplete response, not a whole altered PDF: {whole:?}");
}

/// The whole body of a GET, or why it did not arrive whole (no head, or a body cut short).
async fn fetch_whole(signer: &Signer, url: &str, api_key: &str) -> Result<(u16, Vec<u8>), String> {
    use http_body_util::BodyExt;
    let signed = signer.sign("GET", url, &[("x-api-key", api_key)], b"");
    let mut req = http::Request::builder().method("GET").uri(url).header("x-api-key", api_key);
    for (k, v) in &signed {
        req = req.header(k.as_str(), v.as_str());
    }
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http::<http_body_util::Full<bytes::Bytes>>();
    let resp = client.request(req.body(http_body_util::Full::new(bytes::Bytes::new())).map_err(|e| e.to_string())?).await.map_err(|e| format!("head: {e}"))?;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.map_err(|e| format!("body: {e}"))?;
    Ok((status, body.to_bytes().to_vec()))
}

#[tokio::test]
async fn a_stray_session_token_on_long_term_credentials_is_refused_like_aws() {
    let w = World::new().await;
    let mut stale = Signer::new(&w.tenant.access_key_id, &w.tenant.secret_access_key, now());
    stale.session_token = Some("bogus".into());
    let r = stale.send("GET", &w.url(&format!("/v1/tenants/{}", w.t)), &[("x-api-key", &w.key_t)], b"").await;
    assert_eq!((r.status, r.body.as_ref()), (403, &br#"{"message":"The security token included in the request is invalid."}"#[..]));
    assert_eq!(w.as_tenant(&format!("/v1/tenants/{}", w.t)).await.status, 200);
}

#[tokio::test]
async fn paid_and_void_show_on_the_invoice_and_filter_it() {
    let w = World::new().await;
    let (a, b) = (w.draft("paid-1", &[(1, 1000, "standard")]).await, w.draft("paid-2", &[(1, 2000, "standard")]).await);
    let na = w.issue(&a, "").await["invoiceNumber"].as_str().unwrap().to_owned();
    let nb = w.issue(&b, "").await["invoiceNumber"].as_str().unwrap().to_owned();
    let future = w.op("POST", &format!("/v1/tenants/{}/billings/{a}/paid", w.t), Some(json!({"paidOn": "2999-01-01"})), &[]).await;
    assert_eq!((future.status, body(&future)["errors"][0]["field"].as_str()), (400, Some("paidOn")));
    let paid = w.op("POST", &format!("/v1/tenants/{}/billings/{a}/paid", w.t), Some(json!({"paidOn": "2025-12-10"})), &[]).await;
    assert_eq!(paid.status, 200, "{}", String::from_utf8_lossy(&paid.body));
    let void = w.op("POST", &format!("/v1/tenants/{}/invoices/{nb}/void", w.t), Some(json!({"reason": "宛名誤りのため"})), &[]).await;
    assert_eq!(void.status, 200);
    let inv = body(&w.as_tenant(&format!("/v1/tenants/{}/invoices/{na}", w.t)).await);
    assert_eq!((inv["status"].as_str(), inv["paidOn"].as_str()), (Some("paid"), Some("2025-12-10")));
    let list = |status: &'static str| {
        let w = &w;
        async move { body(&w.as_tenant(&format!("/v1/tenants/{}/invoices?status={status}", w.t)).await) }
    };
    let paid_list = list("paid").await;
    assert_eq!(paid_list["items"].as_array().map(|i| i.iter().map(|x| x["invoiceNumber"].clone()).collect::<Vec<_>>()), Some(vec![json!(na)]));
    let void_list = list("void").await;
    assert_eq!((void_list["items"][0]["invoiceNumber"].as_str(), void_list["items"][0]["voidReason"].as_str()), (Some(nb.as_str()), Some("宛名誤りのため")));
    assert_eq!(list("awaitingUpload").await["items"], json!([]), "a tenant never lists invoices still being made");
    let bad = w.as_tenant(&format!("/v1/tenants/{}/invoices?status=unpaid", w.t)).await;
    assert_eq!((bad.status, body(&bad)["errors"][0]["field"].as_str()), (400, Some("query.status")));
}

#[tokio::test]
async fn wrong_json_types_are_explained_in_the_clients_terms() {
    let w = World::new().await;
    let tenant = json!({"name": "x", "customerProfile": "x", "planTier": "basic"});
    let r = w.op("POST", "/v1/tenants", Some(tenant), &[]).await;
    assert_eq!(r.status, 400);
    assert_eq!(body(&r)["errors"][0], json!({"field": "customerProfile", "message": "must be an object, not a string"}));
    let billing = json!({"period": "2025-11", "lines": [{"description": "x", "quantity": 1, "unitPrice": "1000", "taxCategory": "standard"}], "issueDate": "2025-11-30", "dueDate": "2025-12-31"});
    let r = w.op("POST", &format!("/v1/tenants/{}/billings", w.t), Some(billing), &[("idempotency-key", "types-1")]).await;
    assert_eq!(body(&r)["errors"][0], json!({"field": "lines[0].unitPrice", "message": "must be an integer (whole yen), not a string"}));
    let raw = String::from_utf8_lossy(&r.body);
    for rust in ["i64", "struct ", "Input", "expected"] {
        assert!(!raw.contains(rust), "{raw}");
    }
}

#[tokio::test]
async fn descriptions_are_single_lines_and_notes_keep_their_lines_as_lf() {
    let w = World::new().await;
    let line = |d: &str| json!([{"description": d, "quantity": 1, "unitPrice": 100, "taxCategory": "standard"}]);
    let new = |lines: Value, notes: Value| json!({"period": "2025-11", "lines": lines, "notes": notes, "issueDate": "2025-11-30", "dueDate": "2025-12-31"});
    let path = format!("/v1/tenants/{}/billings", w.t);
    for (i, d) in ["二行\n目", "タブ\tあり"].iter().enumerate() {
        let r = w.op("POST", &path, Some(new(line(d), Value::Null)), &[("idempotency-key", &format!("lines-{i}"))]).await;
        assert_eq!(body(&r)["errors"][0], json!({"field": "lines[0].description", "message": "must be a single line: remove line breaks and tabs"}));
    }
    let r = w.op("POST", &path, Some(new(line("保守"), json!("x\r\ny\rz"))), &[("idempotency-key", "lines-ok")]).await;
    assert_eq!((r.status, body(&r)["notes"].as_str()), (201, Some("x\ny\nz")));
    let long = (0..21).map(|i| i.to_string()).collect::<Vec<_>>().join("\n");
    let r = w.op("POST", &path, Some(new(line("保守"), json!(long))), &[("idempotency-key", "lines-long")]).await;
    assert_eq!(body(&r)["errors"][0], json!({"field": "notes", "message": "must be at most 20 lines (got 21)"}));
}

#[tokio::test]
async fn the_cp932_csv_is_labelled_windows_31j() {
    let w = World::new().await;
    let r = w.as_tenant(&format!("/v1/tenants/{}/billings.csv?encoding=cp932", w.t)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "text/csv; charset=Windows-31J; header=present");
}

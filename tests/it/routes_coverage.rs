//! Every route of the local gateway's table, over HTTP, at least once answered with success and at
//! least once refused with a problem, in one realistic scenario: the operator onboards a tenant,
//! sets the issuer, writes, issues, uploads, voids and marks paid; a tenant reads and downloads.
//! The test ends by holding what it exercised against `ROUTES`, so a new route fails it until
//! it is covered here.

use std::collections::BTreeSet;

use local_gateway::ROUTES;
use seikyu_tests::gateway::{Client, start_gateway};
use seikyu_tests::http_client::{Fetched, send};
use serde_json::{Value, json};

use crate::routes_support::{
    UPLOADED_PDF, assert_problem, billing_body, contract_body, error_fields, header, issuer_body, json, line, new_tenant_body, now, route_of, seq_of,
    sha256_hex, text,
};

/// The routes answered with success (2xx, 3xx) and refused with a problem (4xx), by function.
#[derive(Default)]
struct Exercised {
    succeeded: BTreeSet<&'static str>,
    refused: BTreeSet<&'static str>,
}

impl Exercised {
    /// Sends the request, asserts its status, and notes the route it reached.
    async fn call(&mut self, who: &Client, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8], status: u16) -> Fetched {
        let route = route_of(method, path);
        let r = who.send(method, path, headers, body).await;
        let what = format!("{method} {path} ({})", route.function);
        match status {
            200..=399 => {
                assert_eq!(r.status, status, "{what}: {}", text(&r));
                self.succeeded.insert(route.function);
            }
            400..=499 => {
                assert_problem(&r, status, &what);
                self.refused.insert(route.function);
            }
            _ => panic!("{what}: expect a success or a refusal, not {status}"),
        }
        r
    }

    async fn json_call(&mut self, who: &Client, method: &str, path: &str, extra: &[(&str, &str)], body: &[u8], status: u16) -> Fetched {
        let mut headers = vec![("content-type", "application/json")];
        headers.extend_from_slice(extra);
        self.call(who, method, path, &headers, body, status).await
    }
}

fn etag(r: &Fetched) -> String {
    header(r, "etag").unwrap_or_else(|| panic!("no ETag: {}", text(r))).to_owned()
}

fn str_of(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap_or_else(|| panic!("no {field} in {v}")).to_owned()
}

/// `(subtotal, tax, total)` of a record or invoice.
fn totals(v: &Value) -> (i64, i64, i64) {
    let t = &v["totals"];
    (t["subtotal"].as_i64().unwrap_or(-1), t["tax"].as_i64().unwrap_or(-1), t["total"].as_i64().unwrap_or(-1))
}

/// Gets an upload URL and PUTs the PDF to it with the headers it names.
async fn upload(x: &mut Exercised, op: &Client, upload_url: &str, length: &str) {
    let url = json(&x.json_call(op, "POST", upload_url, &[], length.as_bytes(), 200).await);
    assert_eq!(url["method"], "PUT");
    let headers: Vec<(String, String)> =
        url["headers"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect();
    assert!(headers.contains(&("Content-Length".to_owned(), UPLOADED_PDF.len().to_string())), "{url}");
    // The client sets Content-Length from the body itself.
    let headers: Vec<(&str, &str)> = headers.iter().filter(|(k, _)| k != "Content-Length").map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let put = send("PUT", url["url"].as_str().unwrap(), &headers, UPLOADED_PDF.to_vec().into()).await;
    assert_eq!(put.status, 200, "{}", text(&put));
}

#[tokio::test]
async fn every_route_succeeds_and_refuses_over_http() {
    let gw = start_gateway(now()).await;
    let op = gw.operator();
    // The second demo tenant has no billing records of its own yet; the first has the demo invoice.
    let tenant = gw.tenant(1);
    let other = gw.tenant(0);
    let b = gw.demo.tenants[1].tenant_id.to_string();
    let a = gw.demo.tenants[0].tenant_id.to_string();
    let mut x = Exercised::default();

    // Onboarding: a tenant and its API key, shown once.
    let bad = x.json_call(&op, "POST", "/v1/tenants", &[], br#"{"name":"","planTier":"gold"}"#, 400).await;
    assert!(!error_fields(&json(&bad)).is_empty(), "{}", text(&bad));
    let created = x.json_call(&op, "POST", "/v1/tenants", &[], &new_tenant_body("いわみ運輸"), 201).await;
    let onboarded = json(&created);
    let t = str_of(&onboarded, "tenantId");
    assert!(t.starts_with("tn_") && t.len() == 19, "{t}");
    assert_eq!(header(&created, "location"), Some(format!("/v1/tenants/{t}").as_str()));
    assert_eq!(header(&created, "cache-control"), Some("no-store"));
    let first_key = str_of(&onboarded["apiKey"], "id");
    assert!(onboarded["apiKey"]["value"].as_str().is_some_and(|v| !v.is_empty()));

    let got = x.call(&op, "GET", &format!("/v1/tenants/{t}"), &[], b"", 200).await;
    assert_eq!(json(&got)["name"], "いわみ運輸");
    assert!(json(&got).get("apiKey").is_none(), "the key's value is shown once");
    x.call(&tenant, "GET", &format!("/v1/tenants/{b}"), &[], b"", 200).await;
    x.call(&tenant, "GET", &format!("/v1/tenants/{t}"), &[], b"", 404).await;

    let patch = json!({"planTier": "standard", "name": "いわみ運輸（本社）"}).to_string();
    x.json_call(&op, "PATCH", &format!("/v1/tenants/{t}"), &[], patch.as_bytes(), 428).await;
    let patched = x.json_call(&op, "PATCH", &format!("/v1/tenants/{t}"), &[("if-match", &etag(&got))], patch.as_bytes(), 200).await;
    assert_eq!((json(&patched)["name"].as_str(), json(&patched)["planTier"].as_str()), (Some("いわみ運輸（本社）"), Some("standard")));
    // The same change again with the old ETag has already been applied (a client's retry): 200.
    // Another change with it is refused.
    x.json_call(&op, "PATCH", &format!("/v1/tenants/{t}"), &[("if-match", &etag(&got))], patch.as_bytes(), 200).await;
    let renamed = json!({"name": "いわみ運輸（支店）"}).to_string();
    x.json_call(&op, "PATCH", &format!("/v1/tenants/{t}"), &[("if-match", &etag(&got))], renamed.as_bytes(), 412).await;

    let rotated = x.call(&op, "POST", &format!("/v1/tenants/{t}/api-key/rotate"), &[], b"", 200).await;
    assert_eq!(json(&rotated)["revokedApiKeyId"].as_str(), Some(first_key.as_str()));
    assert_ne!(str_of(&json(&rotated)["apiKey"], "id"), first_key);
    x.call(&op, "POST", "/v1/tenants/tn_0000000000000000/api-key/rotate", &[], b"", 404).await;

    // Usage.
    let usage = x.call(&tenant, "GET", &format!("/v1/tenants/{b}/usage"), &[], b"", 200).await;
    assert_eq!(json(&usage)["tenantId"].as_str(), Some(b.as_str()));
    let p = x.call(&tenant, "GET", &format!("/v1/tenants/{b}/usage?from=2025-04-02&to=2025-04-01"), &[], b"", 400).await;
    assert_eq!(error_fields(&json(&p)), ["query.from"]);
    let all = x.call(&op, "GET", "/v1/usage?period=2025-04&limit=100", &[], b"", 200).await;
    let listed: BTreeSet<String> = json(&all)["items"].as_array().unwrap().iter().filter_map(|i| i["tenantId"].as_str().map(str::to_owned)).collect();
    assert!([&a, &b, &t].iter().all(|id| listed.contains(*id)), "{listed:?}");
    x.call(&tenant, "GET", "/v1/usage", &[], b"", 403).await;

    // The audit trail: the onboarding, the patch (and its refusals), the rotation, as recorded.
    let trail = x.call(&op, "GET", &format!("/v1/tenants/{t}/audit?limit=100"), &[], b"", 200).await;
    let entries = json(&trail)["items"].as_array().unwrap().clone();
    let patched_entry =
        entries.iter().find(|e| e["route"] == "PATCH /v1/tenants/{tenantId}" && e["outcome"] == "change").unwrap_or_else(|| panic!("{}", text(&trail)));
    assert_eq!((patched_entry["changes"][0]["resource"].as_str(), patched_entry["changes"][0]["versionBefore"].as_u64()), (Some("tenant"), Some(1)));
    let refused: Vec<u64> = entries.iter().filter(|e| e["outcome"] == "attempt").filter_map(|e| e["status"].as_u64()).collect();
    assert_eq!(refused, [428, 412], "{}", text(&trail));
    assert!(entries.iter().any(|e| e["route"] == "POST /v1/tenants/{tenantId}/api-key/rotate"), "{}", text(&trail));
    assert!(entries.iter().all(|e| e["principal"].is_string() && e["sha256"].as_str().is_some_and(|h| h.len() == 64)));
    let own = x.call(&tenant, "GET", &format!("/v1/tenants/{b}/audit"), &[], b"", 200).await;
    assert!(
        json(&own)["items"].as_array().unwrap().iter().all(|e| e.get("route").is_none() && (e["role"] == "tenant" || e.get("principal").is_none())),
        "{}",
        text(&own)
    );
    x.call(&tenant, "GET", &format!("/v1/tenants/{t}/audit"), &[], b"", 404).await;
    let p = x.call(&op, "GET", &format!("/v1/tenants/{t}/audit?from=last%20week"), &[], b"", 400).await;
    assert_eq!(error_fields(&json(&p)), ["query.from"]);
    let everyone = x.call(&op, "GET", "/v1/audit?limit=100", &[], b"", 200).await;
    assert!(json(&everyone)["items"].as_array().unwrap().iter().any(|e| e["tenantId"] == t.as_str()), "{}", text(&everyone));
    x.call(&tenant, "GET", "/v1/audit", &[], b"", 403).await;

    // Contracts.
    let contract = format!("/v1/tenants/{b}/contracts/C-COV-001");
    x.json_call(&op, "PUT", &contract, &[("if-none-match", "*")], &contract_body("追加ストレージ", 3_300), 201).await;
    x.json_call(&op, "PUT", &contract, &[], &contract_body("追加ストレージ", 3_300), 200).await;
    x.json_call(&op, "PUT", &contract, &[], &contract_body("追加ストレージ 100GB", 6_600), 428).await;
    let contracts = x.call(&tenant, "GET", &format!("/v1/tenants/{b}/contracts?status=active"), &[], b"", 200).await;
    assert!(json(&contracts)["items"].as_array().unwrap().iter().any(|c| c["contractId"] == "C-COV-001"), "{}", text(&contracts));
    x.call(&tenant, "GET", &format!("/v1/tenants/{b}/contracts?limit=0"), &[], b"", 400).await;
    let c = x.call(&tenant, "GET", &contract, &[], b"", 200).await;
    assert_eq!(json(&c)["monthlyFee"], 3_300);
    x.call(&tenant, "GET", &format!("/v1/tenants/{b}/contracts/C-NOPE-001"), &[], b"", 404).await;

    // The issuer: replaced with If-Match; a wrong check digit is refused.
    let issuer = x.call(&op, "GET", "/v1/issuer", &[], b"", 200).await;
    let p = x.json_call(&op, "PUT", "/v1/issuer", &[("if-match", &etag(&issuer))], &issuer_body("T1700110005901"), 400).await;
    assert_eq!(error_fields(&json(&p)), ["registrationNumber"]);
    x.json_call(&op, "PUT", "/v1/issuer", &[("if-match", &etag(&issuer))], &issuer_body("T7000012050002"), 200).await;
    let issuer = x.call(&op, "GET", "/v1/issuer", &[], b"", 200).await;
    assert_eq!(json(&issuer)["registrationNumber"], "T7000012050002");
    x.call(&tenant, "GET", "/v1/issuer", &[], b"", 403).await;

    // A draft billing record, created once per Idempotency-Key.
    let billings = format!("/v1/tenants/{b}/billings");
    let body = billing_body(&[line("Redmine ホスティング ベーシック（4月分）", 1, 33_000, "standard"), line("打ち合わせ用 お茶", 10, 108, "reduced")]);
    let p = x.json_call(&op, "POST", &billings, &[], &body, 400).await;
    assert_eq!(error_fields(&json(&p)), ["header.Idempotency-Key"]);
    let created = x.json_call(&op, "POST", &billings, &[("idempotency-key", "cov-1")], &body, 201).await;
    let draft = json(&created);
    let id = str_of(&draft, "billingId");
    assert_eq!(header(&created, "location"), Some(format!("{billings}/{id}").as_str()));
    assert_eq!(totals(&draft), (34_080, 3_386, 37_466), "10% of 33,000 and 8% of 1,080 rounded down once: {draft}");
    let replay = x.json_call(&op, "POST", &billings, &[("idempotency-key", "cov-1")], &body, 201).await;
    assert_eq!((header(&replay, "idempotent-replayed"), json(&replay)["billingId"].as_str()), (Some("true"), Some(id.as_str())));
    let other_body = billing_body(&[line("別の請求", 1, 1, "standard")]);
    x.json_call(&op, "POST", &billings, &[("idempotency-key", "cov-1")], &other_body, 422).await;

    let listed = x.call(&op, "GET", &billings, &[], b"", 200).await;
    let ids: Vec<String> = json(&listed)["items"].as_array().unwrap().iter().filter_map(|i| i["billingId"].as_str().map(str::to_owned)).collect();
    assert_eq!(ids, [id.as_str()]);
    let seen = x.call(&tenant, "GET", &billings, &[], b"", 200).await;
    assert_eq!(json(&seen)["items"].as_array().map(Vec::len), Some(0), "tenants never see drafts: {}", text(&seen));
    x.call(&op, "GET", &format!("{billings}?status=bogus"), &[], b"", 400).await;
    let record = format!("{billings}/{id}");
    let got = x.call(&op, "GET", &record, &[], b"", 200).await;
    x.call(&tenant, "GET", &record, &[], b"", 404).await;

    // Changed with If-Match: a third line; the old ETag is then stale.
    let patch = json!({"lines": [
        line("Redmine ホスティング ベーシック（4月分）", 1, 33_000, "standard"),
        line("打ち合わせ用 お茶", 10, 108, "reduced"),
        line("追加ストレージ 50GB", 2, 3_300, "standard"),
    ]})
    .to_string();
    let patched = x.json_call(&op, "PATCH", &record, &[("if-match", &etag(&got))], patch.as_bytes(), 200).await;
    assert_eq!(totals(&json(&patched)), (40_680, 4_046, 44_726));
    x.json_call(&op, "PATCH", &record, &[("if-match", &etag(&got))], patch.as_bytes(), 412).await;

    // Issued: the next number of the year after the demo's invoice, once.
    let demo_invoices = x.call(&op, "GET", &format!("/v1/tenants/{a}/invoices"), &[], b"", 200).await;
    let demo_seq = json(&demo_invoices)["items"].as_array().unwrap().iter().filter_map(|i| i["invoiceNumber"].as_str()).map(seq_of).max().unwrap();
    x.call(&op, "POST", &format!("{record}/issue?pdf=bogus"), &[], b"", 400).await;
    x.call(&op, "POST", &format!("{billings}/2025-04-zzzzzzzz/issue"), &[], b"", 404).await;
    let issued = x.call(&op, "POST", &format!("{record}/issue"), &[], b"", 201).await;
    let n1 = str_of(&json(&issued), "invoiceNumber");
    assert_eq!(seq_of(&n1), demo_seq + 1, "{n1}");
    assert_eq!(totals(&json(&issued)), (40_680, 4_046, 44_726));
    let again = x.call(&op, "POST", &format!("{record}/issue"), &[], b"", 200).await;
    assert_eq!(json(&again)["invoiceNumber"].as_str(), Some(n1.as_str()), "issuing again returns the same invoice");
    let current = x.call(&op, "GET", &record, &[], b"", 200).await;
    x.json_call(&op, "PATCH", &record, &[("if-match", &etag(&current))], patch.as_bytes(), 409).await;

    // The tenant reads it, in every form.
    let mine = x.call(&tenant, "GET", &record, &[], b"", 200).await;
    assert_eq!(json(&mine)["invoiceNumber"].as_str(), Some(n1.as_str()));
    let invoices = format!("/v1/tenants/{b}/invoices");
    let list = x.call(&tenant, "GET", &invoices, &[], b"", 200).await;
    let numbers: Vec<String> = json(&list)["items"].as_array().unwrap().iter().filter_map(|i| i["invoiceNumber"].as_str().map(str::to_owned)).collect();
    assert_eq!(numbers, [n1.as_str()]);
    x.call(&tenant, "GET", &format!("{invoices}?period=2025-4"), &[], b"", 400).await;
    let invoice = x.call(&tenant, "GET", &format!("{invoices}/{n1}"), &[], b"", 200).await;
    let invoice = json(&invoice);
    assert_eq!((invoice["billingId"].as_str(), totals(&invoice)), (Some(id.as_str()), (40_680, 4_046, 44_726)));
    assert_eq!(invoice["issuer"]["registrationNumber"], "T7000012050002");
    x.call(&tenant, "GET", &format!("{invoices}/INV-2025-999999"), &[], b"", 404).await;
    let pdf = x.call(&tenant, "GET", &format!("{invoices}/{n1}/pdf"), &[], b"", 200).await;
    assert!(pdf.body.starts_with(b"%PDF-"), "a PDF");
    assert_eq!(sha256_hex(&pdf.body), str_of(&invoice["pdf"], "sha256"), "the PDF whose hash the invoice records");
    assert_eq!(invoice["pdf"]["size"].as_u64(), Some(pdf.body.len() as u64));
    x.call(&tenant, "GET", &format!("{invoices}/{n1}/pdf"), &[("if-none-match", &etag(&pdf))], b"", 304).await;
    x.call(&tenant, "GET", &format!("{invoices}/{n1}/pdf?delivery=email"), &[], b"", 400).await;
    let zip = x.call(&tenant, "GET", &format!("/v1/tenants/{b}/invoices.zip?period=2025-04"), &[], b"", 200).await;
    assert_eq!(header(&zip, "content-type"), Some("application/zip"));
    assert!(zip.body.starts_with(b"PK\x03\x04"), "a ZIP");
    assert!(zip.body.windows(pdf.body.len()).any(|w| w == pdf.body), "holding the invoice's PDF as stored");
    x.call(&tenant, "GET", &format!("/v1/tenants/{b}/invoices.zip"), &[], b"", 400).await;
    let csv = x.call(&tenant, "GET", &format!("/v1/tenants/{b}/billings.csv?encoding=utf8"), &[], b"", 200).await;
    let csv = text(&csv);
    assert!(csv.contains("追加ストレージ 50GB") && csv.contains(&id), "{csv}");
    x.call(&tenant, "GET", &format!("/v1/tenants/{b}/billings.csv?encoding=latin1"), &[], b"", 400).await;

    // Another tenant gets nothing of it.
    assert_eq!(other.send("GET", &format!("{invoices}/{n1}/pdf"), &[], b"").await.status, 404, "another tenant's PDF is not found");

    // Paid; a draft cannot be; a paid invoice cannot be voided.
    let paid = x.call(&op, "POST", &format!("{record}/paid"), &[], b"", 200).await;
    assert_eq!(json(&paid)["invoiceNumber"].as_str(), Some(n1.as_str()));
    let created =
        x.json_call(&op, "POST", &billings, &[("idempotency-key", "cov-2")], &billing_body(&[line("保守作業（外部PDF）", 3, 8_000, "standard")]), 201).await;
    let external = format!("{billings}/{}", str_of(&json(&created), "billingId"));
    x.call(&op, "POST", &format!("{external}/paid"), &[], b"", 409).await;
    x.json_call(&op, "POST", &format!("{invoices}/{n1}/void"), &[], r#"{"reason":"二重請求"}"#.as_bytes(), 409).await;

    // A PDF made by the operator's own system: numbered first, unseen until its upload completes.
    let numbered = x.call(&op, "POST", &format!("{external}/issue?pdf=external"), &[], b"", 201).await;
    let n2 = str_of(&json(&numbered), "invoiceNumber");
    assert_eq!(seq_of(&n2), seq_of(&n1) + 1, "{n2}");
    assert_eq!(tenant.send("GET", &format!("{invoices}/{n2}"), &[], b"").await.status, 404, "not seen before its upload");
    let length = json!({"contentLength": UPLOADED_PDF.len()}).to_string();
    x.json_call(&op, "POST", &format!("{invoices}/{n1}/upload-url"), &[], length.as_bytes(), 409).await;
    x.json_call(&op, "POST", &format!("{invoices}/{n2}/upload-url"), &[], br#"{"contentLength":0}"#, 400).await;
    let upload_url = format!("{invoices}/{n2}/upload-url");
    upload(&mut x, &op, &upload_url, &length).await;
    let p = x.json_call(&op, "POST", &format!("{invoices}/{n2}/upload-complete"), &[], json!({"sha256": "0".repeat(64)}).to_string().as_bytes(), 422).await;
    assert_eq!(error_fields(&json(&p)), ["sha256"]);
    // The refused upload was deleted: completing it now finds nothing; upload again.
    let sha = json!({"sha256": sha256_hex(UPLOADED_PDF)}).to_string();
    let p = x.json_call(&op, "POST", &format!("{invoices}/{n2}/upload-complete"), &[], sha.as_bytes(), 400).await;
    assert_eq!(error_fields(&json(&p)), ["upload"]);
    upload(&mut x, &op, &upload_url, &length).await;
    let done = x.json_call(&op, "POST", &format!("{invoices}/{n2}/upload-complete"), &[], sha.as_bytes(), 200).await;
    assert_eq!(json(&done)["pdf"]["sha256"].as_str(), Some(sha256_hex(UPLOADED_PDF).as_str()));
    let uploaded = x.call(&tenant, "GET", &format!("{invoices}/{n2}/pdf"), &[], b"", 200).await;
    assert_eq!(uploaded.body.as_ref(), UPLOADED_PDF, "the tenant downloads the uploaded PDF");

    // Voided with a reason: once; the number stays used.
    let created = x.json_call(&op, "POST", &billings, &[("idempotency-key", "cov-3")], &billing_body(&[line("誤った請求", 1, 5_000, "standard")]), 201).await;
    let wrong = format!("{billings}/{}", str_of(&json(&created), "billingId"));
    let n3 = str_of(&json(&x.call(&op, "POST", &format!("{wrong}/issue"), &[], b"", 201).await), "invoiceNumber");
    assert_eq!(seq_of(&n3), seq_of(&n2) + 1, "{n3}");
    x.json_call(&op, "POST", &format!("{invoices}/{n3}/void"), &[], r#"{"reason":" "}"#.as_bytes(), 400).await;
    let void = x.json_call(&op, "POST", &format!("{invoices}/{n3}/void"), &[], r#"{"reason":"金額訂正のため"}"#.as_bytes(), 200).await;
    assert_eq!((json(&void)["invoiceNumber"].as_str(), json(&void)["voidReason"].as_str()), (Some(n3.as_str()), Some("金額訂正のため")));
    x.json_call(&op, "POST", &format!("{invoices}/{n3}/void"), &[], r#"{"reason":"もう一度"}"#.as_bytes(), 409).await;
    let created = x.json_call(&op, "POST", &billings, &[("idempotency-key", "cov-4")], &billing_body(&[line("正しい請求", 1, 4_500, "standard")]), 201).await;
    let n4 = str_of(&json(&x.call(&op, "POST", &format!("{billings}/{}/issue", str_of(&json(&created), "billingId")), &[], b"", 201).await), "invoiceNumber");
    assert_eq!(seq_of(&n4), seq_of(&n3) + 1, "after a void, the next number: {n4}");

    // A month-end run: a dry run, the run, its progress until done, the listing, and cancel.
    x.json_call(&op, "POST", "/v1/invoice-runs", &[], br#"{"period":"2025-13"}"#, 400).await;
    let dry = x.json_call(&op, "POST", "/v1/invoice-runs", &[], br#"{"period":"2026-01","dryRun":true}"#, 200).await;
    assert_eq!(json(&dry)["dryRun"], true);
    // Tenant A's January was billed by hand before the run: the run leaves it alone.
    let hand = json!({"period": "2026-01", "lines": [line("手作業の請求", 1, 7_700, "standard")], "issueDate": "2026-01-31", "dueDate": "2026-02-28"});
    let hand = x.json_call(&op, "POST", &format!("/v1/tenants/{a}/billings"), &[("idempotency-key", "cov-hand")], hand.to_string().as_bytes(), 201).await;
    x.call(&op, "POST", &format!("/v1/tenants/{a}/billings/{}/issue", str_of(&json(&hand), "billingId")), &[], b"", 201).await;
    let key = [("idempotency-key", "month-end-2026-01")];
    let started = x.json_call(&op, "POST", "/v1/invoice-runs", &key, br#"{"period":"2026-01"}"#, 202).await;
    let run = str_of(&json(&started), "runId");
    assert_eq!(started.headers.get("location").and_then(|v| v.to_str().ok()), Some(format!("/v1/invoice-runs/{run}").as_str()));
    // The CMS retries its start (a timeout on its side): the same run, not a 409, not a second run.
    let again = x.json_call(&op, "POST", "/v1/invoice-runs", &key, br#"{"period":"2026-01"}"#, 202).await;
    assert_eq!((str_of(&json(&again), "runId"), again.headers.get("idempotent-replayed").is_some()), (run.clone(), true));
    x.json_call(&op, "POST", "/v1/invoice-runs", &key, br#"{"period":"2026-02"}"#, 422).await;
    x.json_call(&op, "POST", "/v1/invoice-runs", &[("idempotency-key", "two words")], br#"{"period":"2026-02"}"#, 400).await;
    let mut state = String::new();
    for _ in 0..600 {
        let r = x.call(&op, "GET", &format!("/v1/invoice-runs/{run}"), &[], b"", 200).await;
        state = str_of(&json(&r), "state");
        if state != "queued" && state != "running" {
            assert_eq!(json(&r)["counts"]["remaining"], 0);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(state, "completed");
    x.call(&op, "GET", "/v1/invoice-runs/run-2026-01-nosuchrn", &[], b"", 404).await;
    let replayed = x.json_call(&op, "POST", "/v1/invoice-runs", &key, br#"{"period":"2026-01"}"#, 202).await;
    assert_eq!(str_of(&json(&replayed), "runId"), run, "a retry after the run finished starts nothing either");
    let listed = x.call(&op, "GET", "/v1/invoice-runs?period=2026-01", &[], b"", 200).await;
    assert_eq!(json(&listed)["items"][0]["runId"].as_str(), Some(run.as_str()));
    assert_eq!(json(&listed)["items"].as_array().map(Vec::len), Some(1), "one run for the period");
    x.call(&op, "GET", "/v1/invoice-runs?period=26-01", &[], b"", 400).await;
    // The run's ZIP for one tenant holds what the run issued for it, not the period's other invoices.
    let entries = |f: &Fetched| {
        let at = f.body.windows(4).rposition(|w| w == b"PK\x05\x06").expect("end of central directory");
        u16::from_le_bytes([f.body[at + 10], f.body[at + 11]])
    };
    assert_eq!(entries(&x.call(&op, "GET", &format!("/v1/tenants/{a}/invoices.zip?period=2026-01"), &[], b"", 200).await), 1, "A's hand-issued invoice");
    assert_eq!(entries(&x.call(&op, "GET", &format!("/v1/tenants/{a}/invoices.zip?period=2026-01&run={run}"), &[], b"", 200).await), 0);
    assert_eq!(entries(&x.call(&op, "GET", &format!("/v1/tenants/{b}/invoices.zip?period=2026-01&run={run}"), &[], b"", 200).await), 1);
    x.call(&op, "GET", &format!("/v1/tenants/{b}/invoices.zip?period=2026-02&run={run}"), &[], b"", 400).await;
    x.call(&tenant, "GET", &format!("/v1/tenants/{b}/invoices.zip?period=2026-01&run={run}"), &[], b"", 403).await;
    let report = x.call(&op, "GET", &format!("/v1/invoice-runs/{run}/report.csv"), &[], b"", 200).await;
    assert!(report.body.starts_with("\u{feff}テナントID,請求ID".as_bytes()), "{}", String::from_utf8_lossy(&report.body));
    x.call(&op, "GET", "/v1/invoice-runs/run-2026-01-nosuchrn/report.csv", &[], b"", 404).await;
    x.call(&op, "POST", &format!("/v1/invoice-runs/{run}/cancel"), &[], b"", 200).await;
    x.call(&op, "POST", "/v1/invoice-runs/not-a-run/cancel", &[], b"", 400).await;

    // Principals: the operator registers one for tenant B (the gateway mints its key), it asks
    // who it is, the operator reads the policy to attach on AWS, and removes it: refused from then on.
    x.json_call(&op, "POST", "/v1/principals", &[], br#"{"arn":"arn:aws:iam::000000000000:user/x","role":"tenant"}"#, 400).await;
    let body = serde_json::json!({"arn": "arn:aws:iam::000000000000:user/redmine-b-staging", "role": "tenant", "tenantId": b, "accessKey": true});
    let reg = json(&x.json_call(&op, "POST", "/v1/principals", &[], body.to_string().as_bytes(), 201).await);
    let newcomer = gw.client(&str_of(&reg["accessKey"], "accessKeyId"), &str_of(&reg["accessKey"], "secretAccessKey"), &gw.demo.tenants[1].api_key);
    let me = json(&x.call(&newcomer, "GET", "/v1/me", &[], b"", 200).await);
    assert_eq!(str_of(&me, "tenantId"), b);
    x.call(&op, "GET", &format!("/v1/principals?tenantId={b}"), &[], b"", 200).await;
    x.call(&op, "GET", "/v1/principals?role=auditor", &[], b"", 400).await;
    let policy = json(&x.call(&op, "GET", &format!("/v1/tenants/{b}/iam-policy"), &[], b"", 200).await);
    assert_eq!(policy["Statement"][0]["Action"], "execute-api:Invoke");
    x.call(&op, "GET", "/v1/tenants/tn_0000000000000000/iam-policy", &[], b"", 404).await;
    let pid = str_of(&reg, "principalId");
    x.call(&op, "DELETE", &format!("/v1/principals/{pid}"), &[], b"", 204).await;
    x.call(&op, "DELETE", &format!("/v1/principals/{pid}"), &[], b"", 404).await;
    x.call(&newcomer, "GET", "/v1/me", &[], b"", 403).await;

    // Tenant B's archive, purge and restore: exported, offboarded, purged (twice), restored,
    // exported again: the same parts (the trail aside, which the offboarding itself extends).
    x.call(&op, "POST", "/v1/tenants/tn_0000000000000000/exports", &[], b"", 404).await;
    x.call(&tenant, "POST", &format!("/v1/tenants/{a}/exports"), &[], b"", 403).await;
    x.call(&op, "POST", &format!("/v1/tenants/{b}/purge"), &[], b"", 409).await;
    let tb = x.call(&op, "GET", &format!("/v1/tenants/{b}"), &[], b"", 200).await;
    x.json_call(&op, "PATCH", &format!("/v1/tenants/{b}"), &[("if-match", &etag(&tb))], br#"{"status":"offboarded"}"#, 200).await;
    let first = x.call(&op, "POST", &format!("/v1/tenants/{b}/exports"), &[], b"", 200).await;
    assert_eq!(header(&first, "content-type"), Some("application/zip"));
    assert!(header(&first, "content-length").is_none(), "streamed: no Content-Length");
    let zip = [("content-type", "application/zip")];
    x.call(&op, "POST", &format!("/v1/tenants/{b}/restore"), &zip, &first.body, 409).await;
    x.call(&op, "POST", &format!("/v1/tenants/{b}/restore"), &[("content-type", "text/plain")], b"{}", 415).await;
    x.call(&op, "POST", &format!("/v1/tenants/{b}/restore"), &[("content-type", "application/json")], b"{}", 400).await;
    let purged = json(&x.call(&op, "POST", &format!("/v1/tenants/{b}/purge"), &[], b"", 200).await);
    assert!(purged["removed"]["contracts"].as_u64() > Some(0), "{purged}");
    let again = json(&x.call(&op, "POST", &format!("/v1/tenants/{b}/purge"), &[], b"", 200).await);
    assert_eq!((&again["kept"], again["removed"]["contracts"].as_u64()), (&purged["kept"], Some(0)), "{again}");
    let mut tampered = first.body.to_vec();
    let at = tampered.windows(8).position(|w| w == b"tenantId").expect("a record");
    tampered[at] = b'T';
    x.call(&op, "POST", &format!("/v1/tenants/{b}/restore"), &zip, &tampered, 422).await;
    // Through an upload (the path for archives over a request body's 4.5 MB): a presigned PUT,
    // then restore names it.
    let length = format!(r#"{{"contentLength":{}}}"#, first.body.len());
    x.json_call(&op, "POST", &format!("/v1/tenants/{b}/restore-url"), &[], br#"{"contentLength":6000000000}"#, 400).await;
    let url = json(&x.json_call(&op, "POST", &format!("/v1/tenants/{b}/restore-url"), &[], length.as_bytes(), 200).await);
    let put = seikyu_tests::http_client::send("PUT", &str_of(&url, "url"), &[("content-type", "application/zip")], first.body.clone()).await;
    assert_eq!(put.status, 200, "the presigned PUT");
    let upload = format!(r#"{{"upload":"{}"}}"#, str_of(&url, "upload"));
    let restored = json(&x.json_call(&op, "POST", &format!("/v1/tenants/{b}/restore"), &[], upload.as_bytes(), 200).await);
    x.json_call(&op, "POST", &format!("/v1/tenants/{b}/restore"), &[], upload.as_bytes(), 400).await;
    assert!(restored["alreadyPresent"].as_u64() > Some(0), "what the purge kept: {restored}");
    let second = x.call(&op, "POST", &format!("/v1/tenants/{b}/exports"), &[], b"", 200).await;
    let parts = |f: &Fetched| -> std::collections::BTreeMap<String, Vec<u8>> {
        common::export::unzip::entries(&f.body).expect("zip").into_iter().map(|e| (e.name, f.body[e.data].to_vec())).collect()
    };
    let (p1, p2) = (parts(&first), parts(&second));
    assert_eq!(p1.keys().collect::<Vec<_>>(), p2.keys().collect::<Vec<_>>());
    for (name, bytes) in &p1 {
        if !["manifest.json", "records/audit.ndjson"].contains(&name.as_str()) {
            assert_eq!(bytes, &p2[name], "{name} after export, purge, restore");
        }
    }

    // Every route of the table, both ways.
    let all: BTreeSet<&str> = ROUTES.iter().map(|r| r.function).collect();
    assert_eq!(x.succeeded, all, "routes never answered with success: {:?}", all.difference(&x.succeeded).collect::<Vec<_>>());
    assert_eq!(x.refused, all, "routes never refused: {:?}", all.difference(&x.refused).collect::<Vec<_>>());
}

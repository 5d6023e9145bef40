//! The real renderer's PDF of an invoice issued through the API, read back with poppler's
//! `pdftotext` (Debian `poppler-utils`; `./scripts/test` installs it). The renderer's own tests
//! (`common/pdf/tests/render.rs`) read back documents built by hand; this one goes the whole way:
//! a billing record and its issue sent over HTTP to the local gateway, which renders with the
//! font from `FONT_DIR` as the issuing function does, and the PDF it stored.

use chrono::{DateTime, Utc};
use common::domain::{InvoiceNumber, TenantId};
use futures_util::TryStreamExt;
use seikyu_tests::gateway::{Signer, start_gateway};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-05-01T09:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap()
}

/// `pdftotext -layout` of `pdf`, UTF-8.
fn pdftotext(pdf: &[u8]) -> String {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(file.path())
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("cannot run pdftotext ({e}): run the tests with ./scripts/test, which installs poppler-utils"));
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("pdftotext -enc UTF-8 prints UTF-8")
}

/// Runs of spaces (ASCII or ideographic) as one: `-layout` pads its columns.
fn squeeze(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().map(|c| if c == '\u{3000}' { ' ' } else { c }) {
        if !(c == ' ' && out.ends_with(' ')) {
            out.push(c);
        }
    }
    out
}

fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issued_invoice_s_pdf_reads_back_with_its_number_registration_taxes_and_total() {
    let gw = start_gateway(now()).await;
    let op = &gw.demo.operator;
    let operator = Signer::new(&op.access_key_id, &op.secret_access_key, now());
    let b = &gw.demo.tenants[1];
    let tenant_b = Signer::new(&b.access_key_id, &b.secret_access_key, now());
    let tenant: TenantId = b.tenant_id.clone();

    // Amounts large enough for thousands separators, at both rates; floor rounding (the demo
    // issuer's), tax rounded once per rate:
    //   10%: 132,000 + 3 × 6,600 + 7 × 12,345 = 238,215; tax 23,821.5 → 23,821
    //    8%: 24 × 1,296 + 5 × 1,080          =  36,504; tax  2,920.32 → 2,920
    //   total 238,215 + 23,821 + 36,504 + 2,920 = 301,460
    let draft = json!({
        "period": "2025-04",
        "lines": [
            {"description": "Redmine ホスティング プレミアム（4月分）", "quantity": 1, "unitPrice": 132000, "taxCategory": "standard"},
            {"description": "追加ストレージ 100GB", "quantity": 3, "unitPrice": 6600, "taxCategory": "standard"},
            {"description": "プラグイン導入作業（時間）", "quantity": 7, "unitPrice": 12345, "taxCategory": "standard"},
            {"description": "打ち合わせ用 お茶（軽減税率）", "quantity": 24, "unitPrice": 1296, "taxCategory": "reduced"},
            {"description": "会議用 菓子（軽減税率）", "quantity": 5, "unitPrice": 1080, "taxCategory": "reduced"}
        ],
        "issueDate": "2025-04-30",
        "dueDate": "2025-05-31"
    });
    let url = format!("{}/v1/tenants/{tenant}/billings", gw.endpoint);
    let headers = [("x-api-key", op.api_key.as_str()), ("content-type", "application/json"), ("idempotency-key", "issued-pdf-text-1")];
    let created = operator.send("POST", &url, &headers, draft.to_string().as_bytes()).await;
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let billing_id = json_of(&created.body)["billingId"].as_str().expect("billingId").to_owned();

    let url = format!("{}/v1/tenants/{tenant}/billings/{billing_id}/issue", gw.endpoint);
    let issued = operator.send("POST", &url, &[("x-api-key", op.api_key.as_str())], b"").await;
    assert_eq!(issued.status, 201, "{}", String::from_utf8_lossy(&issued.body));
    let invoice = json_of(&issued.body);
    let number = InvoiceNumber::parse(invoice["invoiceNumber"].as_str().expect("invoiceNumber")).expect("an invoice number");
    let registration = invoice["issuer"]["registrationNumber"].as_str().expect("registrationNumber").to_owned();
    assert!(registration.len() == 14 && registration.starts_with('T') && registration[1..].bytes().all(|c| c.is_ascii_digit()), "{registration}");
    // The API computed what the comment above says (so the PDF is checked against known sums).
    let totals = &invoice["totals"];
    let by_rate: Vec<(i64, i64, i64)> = totals["byRate"]
        .as_array()
        .expect("byRate")
        .iter()
        .map(|r| (r["ratePercent"].as_i64().unwrap(), r["subtotal"].as_i64().unwrap(), r["tax"].as_i64().unwrap()))
        .collect();
    assert_eq!(by_rate, [(10, 238_215, 23_821), (8, 36_504, 2_920)], "{totals}");
    assert_eq!(totals["total"], 301_460, "{totals}");

    // The PDF as stored, as the tenant downloads it, and as the invoice records it.
    let app = gw.gateway.app().clone();
    let stored = app.stores.invoices.get_invoice(&tenant, &number).await.unwrap().expect("the invoice is stored");
    let key = common::service::invoices::pdf_key(&stored).unwrap();
    let object = app.stores.objects.get_object(&key, None).await.unwrap().expect("the PDF is stored");
    let pdf: Vec<u8> = object
        .stream
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    assert_eq!(stored.pdf().as_ref().map(|p| (p.sha256.clone(), p.size)), Some((hex::encode(Sha256::digest(&pdf)), pdf.len() as u64)));
    let url = format!("{}/v1/tenants/{tenant}/invoices/{number}/pdf", gw.endpoint);
    let downloaded = tenant_b.send("GET", &url, &[("x-api-key", b.api_key.as_str())], b"").await;
    assert_eq!((downloaded.status, downloaded.body.as_ref()), (200, pdf.as_slice()), "the tenant downloads the stored bytes");

    let text = squeeze(&pdftotext(&pdf));
    let expected = [
        number.to_string(),
        format!("登録番号 {registration}"),
        "10%対象 ¥238,215 消費税 ¥23,821".to_owned(),
        "8%対象 ¥36,504 消費税 ¥2,920".to_owned(),
        "合計金額(税込) ¥301,460".to_owned(),
        "¥86,415".to_owned(),
        "¥31,104".to_owned(),
        "株式会社セイキュウ".to_owned(),
        "2025年4月30日".to_owned(),
    ];
    for item in expected {
        assert!(text.contains(&item), "{item:?} missing from the PDF's text:\n{text}");
    }
    let total_lines = text.lines().filter(|l| l.contains("¥301,460")).count();
    assert!(total_lines >= 2, "the total is printed as the amount billed and as the sum with tax:\n{text}");
}

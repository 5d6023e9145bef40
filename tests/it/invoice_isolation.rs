//! Invoices between tenants through the handlers, on every adapter (`invoice_isolation::embedded`,
//! `invoice_isolation::dynamodb`): another tenant's invoice, PDF, listing and ZIP answer exactly as
//! missing ones do, and an invoice that is numbered but not issued (its PDF stored but the last
//! step not done, or waiting for the operator's upload) is invisible to its own tenant in every
//! read until it is issued.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use common::domain::{BillingStatus, InvoiceNumber, TenantId};
use common::service::invoices::pdf_key;
use seikyu_tests::events::{Answer, Event, call};
use seikyu_tests::faults::FailingFinish;
use seikyu_tests::fixtures::{Seeded, billing, tenant_id};

use crate::handlers::{as_operator, as_tenant_a, as_tenant_b, handler, run};

const INVOICES: &str = "/v1/tenants/{tenantId}/invoices";
const INVOICE: &str = "/v1/tenants/{tenantId}/invoices/{invoiceNumber}";
const PDF: &str = "/v1/tenants/{tenantId}/invoices/{invoiceNumber}/pdf";
const ZIP: &str = "/v1/tenants/{tenantId}/invoices.zip";
const ISSUE: &str = "/v1/tenants/{tenantId}/billings/{billingId}/issue";

/// Seeded: tenant A's issued invoice (2025-03), with its PDF.
const A_ISSUED: &str = "SEED-2025-000001";
/// Seeded: tenant B's issued invoice (2025-03), with its PDF.
const B_ISSUED: &str = "SEED-2025-000002";
/// Seeded: tenant B's invoice (2025-04) numbered for a PDF the operator's system has not uploaded.
const B_AWAITING_UPLOAD: &str = "SEED-2025-000003";
/// A number nobody has.
const NO_SUCH: &str = "SEED-2025-000999";

fn get(t: &TenantId, number: &str) -> Event {
    Event::new("GET", INVOICE, &format!("/v1/tenants/{t}/invoices/{number}"))
}

fn pdf(t: &TenantId, number: &str) -> Event {
    Event::new("GET", PDF, &format!("/v1/tenants/{t}/invoices/{number}/pdf"))
}

fn list(t: &TenantId, period: Option<&str>) -> Event {
    let e = Event::new("GET", INVOICES, &format!("/v1/tenants/{t}/invoices"));
    match period {
        Some(p) => e.query("period", p),
        None => e,
    }
}

fn zip(t: &TenantId, period: &str) -> Event {
    Event::new("GET", ZIP, &format!("/v1/tenants/{t}/invoices.zip")).query("period", period)
}

/// The invoice numbers in a listing, sorted.
fn numbers(a: &Answer) -> Vec<String> {
    let items = a.body["items"].as_array().unwrap_or_else(|| panic!("a listing: {} {}", a.status, a.body));
    let mut numbers: Vec<String> = items.iter().map(|i| i["invoiceNumber"].as_str().unwrap().to_owned()).collect();
    numbers.sort();
    numbers
}

/// The names of a ZIP's entries, read from its central directory headers.
fn zip_names(raw: &[u8]) -> Vec<String> {
    assert!(raw.windows(4).any(|w| w == b"PK\x05\x06"), "a ZIP ends with its end-of-central-directory record");
    let mut names = Vec::new();
    let mut i = 0;
    while i + 46 <= raw.len() {
        if raw[i..i + 4] == *b"PK\x01\x02" {
            let len = usize::from(u16::from_le_bytes([raw[i + 28], raw[i + 29]]));
            names.push(String::from_utf8_lossy(&raw[i + 46..i + 46 + len]).into_owned());
            i += 46 + len;
        } else {
            i += 1;
        }
    }
    names
}

/// `what` answered 404, exactly (status, headers, body) as `missing` did.
fn same_as_missing(what: &str, got: &Answer, missing: &Answer, adapter: &str) {
    assert_eq!(got.status, 404, "{adapter}: {what}: {}", got.body);
    assert_eq!(missing.status, 404, "{adapter}: {what}, the missing one: {}", missing.body);
    assert_eq!(got.body, missing.body, "{adapter}: {what} answers like a missing resource");
    assert_eq!(got.headers, missing.headers, "{adapter}: {what} has a missing resource's headers");
}

/// Tenant B's invoice for a 2025-03 record whose issuing stopped after the PDF was stored, before
/// the last step marked it issued: numbered, its PDF in storage, status `rendering`.
async fn stuck_after_rendering(s: &Seeded) -> InvoiceNumber {
    let b = tenant_id(2);
    let draft = billing(&b, "2025-03", 9, BillingStatus::Draft);
    s.app.stores.billings.create_billing(&draft).await.unwrap();
    let failing = common::App {
        stores: common::store::Stores {
            invoices: Arc::new(FailingFinish { inner: s.app.stores.invoices.clone(), failures_left: AtomicUsize::new(1) }),
            ..s.app.stores.clone()
        },
        ..(*s.app).clone()
    };
    let issue = as_operator(Event::new("POST", ISSUE, &format!("/v1/tenants/{b}/billings/{}/issue", draft.billing_id)));
    let failed = call(handler("issue-invoice"), &Arc::new(failing), issue.request()).await;
    assert_eq!(failed.status, 503, "{}: {}", s.adapter(), failed.body);
    let number = s.app.stores.billings.get_billing(&b, &draft.billing_id).await.unwrap().unwrap().invoice_number().cloned().expect("the number is bound");
    let invoice = s.app.stores.invoices.get_invoice(&b, &number).await.unwrap().unwrap();
    assert_eq!(invoice.status(), common::domain::InvoiceStatus::Rendering);
    assert!(s.app.stores.objects.head_object(&pdf_key(&invoice).unwrap()).await.unwrap().is_some(), "{}: its PDF is stored", s.adapter());
    number
}

pub async fn another_tenants_invoices_answer_like_missing_ones(s: Seeded) {
    let adapter = s.adapter();
    let (a, b, nobody) = (tenant_id(1), tenant_id(2), tenant_id(7));
    // Tenant A reads what tenant B is about to be refused: it is there.
    assert_eq!(run(&s, "get-invoice", as_tenant_a(get(&a, A_ISSUED))).await.status, 200, "{adapter}");
    let own_pdf = run(&s, "download-invoice", as_tenant_a(pdf(&a, A_ISSUED))).await;
    assert!(own_pdf.status == 200 && own_pdf.raw.starts_with(b"%PDF-"), "{adapter}: {}", own_pdf.status);
    assert_eq!(numbers(&run(&s, "list-invoices", as_tenant_a(list(&a, None))).await), [A_ISSUED], "{adapter}");
    let own_zip = run(&s, "download-invoices-zip", as_tenant_a(zip(&a, "2025-03"))).await;
    assert_eq!((own_zip.status, zip_names(&own_zip.raw)), (200, vec![format!("{A_ISSUED}.pdf")]), "{adapter}");

    // Tenant B: A's invoice is as absent as a number B does not have; A's listing and ZIP as
    // absent as a tenant that does not exist.
    let cases = [
        ("get A's invoice", "get-invoice", get(&a, A_ISSUED), get(&b, NO_SUCH)),
        ("A's PDF", "download-invoice", pdf(&a, A_ISSUED), pdf(&b, NO_SUCH)),
        ("A's PDF by redirect", "download-invoice", pdf(&a, A_ISSUED).query("delivery", "redirect"), pdf(&b, NO_SUCH).query("delivery", "redirect")),
        ("a range of A's PDF", "download-invoice", pdf(&a, A_ISSUED).header("Range", "bytes=0-9"), pdf(&b, NO_SUCH).header("Range", "bytes=0-9")),
        ("A's listing", "list-invoices", list(&a, None), list(&nobody, None)),
        ("A's listing of a period", "list-invoices", list(&a, Some("2025-03")), list(&nobody, Some("2025-03"))),
        ("A's ZIP", "download-invoices-zip", zip(&a, "2025-03"), zip(&nobody, "2025-03")),
    ];
    for (what, function, cross, missing) in cases {
        let cross = run(&s, function, as_tenant_b(cross)).await;
        let missing = run(&s, function, as_tenant_b(missing)).await;
        same_as_missing(what, &cross, &missing, adapter);
        assert!(!cross.raw.windows(b"%PDF".len()).any(|w| w == b"%PDF"), "{adapter}: {what}: no PDF bytes");
    }
    // B's own reads still work: the refusals are about A's data, not B's caller.
    assert_eq!(run(&s, "get-invoice", as_tenant_b(get(&b, B_ISSUED))).await.status, 200, "{adapter}");
}

pub async fn invoices_not_yet_issued_are_invisible_to_their_tenant(s: Seeded) {
    let adapter = s.adapter();
    let b = tenant_id(2);
    let stuck = stuck_after_rendering(&s).await;
    let pending = [stuck.as_str(), B_AWAITING_UPLOAD];

    // The operator sees both, numbered and not issued.
    for (n, status) in pending.into_iter().zip(["rendering", "awaitingUpload"]) {
        let seen = run(&s, "get-invoice", as_operator(get(&b, n))).await;
        assert_eq!((seen.status, seen.body["status"].as_str()), (200, Some(status)), "{adapter}: {n}");
    }
    assert_eq!(numbers(&run(&s, "list-invoices", as_operator(list(&b, Some("2025-03")))).await), [stuck.as_str(), B_ISSUED], "{adapter}");

    // Tenant B, their own tenant: each answers exactly as a number that does not exist.
    for n in pending {
        let cases = [
            ("get", "get-invoice", get(&b, n), get(&b, NO_SUCH)),
            ("pdf", "download-invoice", pdf(&b, n), pdf(&b, NO_SUCH)),
            ("pdf by redirect", "download-invoice", pdf(&b, n).query("delivery", "redirect"), pdf(&b, NO_SUCH).query("delivery", "redirect")),
        ];
        for (what, function, pending, missing) in cases {
            let got = run(&s, function, as_tenant_b(pending)).await;
            let missing = run(&s, function, as_tenant_b(missing)).await;
            same_as_missing(&format!("{what} of {n}"), &got, &missing, adapter);
        }
    }
    assert_eq!(numbers(&run(&s, "list-invoices", as_tenant_b(list(&b, None))).await), [B_ISSUED], "{adapter}");
    assert_eq!(numbers(&run(&s, "list-invoices", as_tenant_b(list(&b, Some("2025-03")))).await), [B_ISSUED], "{adapter}");
    assert!(numbers(&run(&s, "list-invoices", as_tenant_b(list(&b, Some("2025-04")))).await).is_empty(), "{adapter}");
    let march = run(&s, "download-invoices-zip", as_tenant_b(zip(&b, "2025-03"))).await;
    assert_eq!((march.status, zip_names(&march.raw)), (200, vec![format!("{B_ISSUED}.pdf")]), "{adapter}");
    assert!(!march.raw.windows(stuck.as_str().len()).any(|w| w == stuck.as_str().as_bytes()), "{adapter}: not a byte of the stuck invoice's stored PDF");
    let april = run(&s, "download-invoices-zip", as_tenant_b(zip(&b, "2025-04"))).await;
    assert_eq!((april.status, zip_names(&april.raw)), (200, Vec::<String>::new()), "{adapter}");

    // Completing the stuck invoice (issuing again) is what shows it.
    let billing_id = s.app.stores.invoices.get_invoice(&b, &stuck).await.unwrap().unwrap().billing_id.clone();
    let done = run(&s, "issue-invoice", as_operator(Event::new("POST", ISSUE, &format!("/v1/tenants/{b}/billings/{billing_id}/issue")))).await;
    assert_eq!((done.status, done.body["status"].as_str()), (201, Some("issued")), "{adapter}: {}", done.body);
    assert_eq!(run(&s, "get-invoice", as_tenant_b(get(&b, stuck.as_str()))).await.status, 200, "{adapter}");
    assert_eq!(run(&s, "download-invoice", as_tenant_b(pdf(&b, stuck.as_str()))).await.status, 200, "{adapter}");
    assert_eq!(numbers(&run(&s, "list-invoices", as_tenant_b(list(&b, Some("2025-03")))).await), [stuck.as_str(), B_ISSUED], "{adapter}");
    let march = run(&s, "download-invoices-zip", as_tenant_b(zip(&b, "2025-03"))).await;
    let mut names = zip_names(&march.raw);
    names.sort();
    assert_eq!(names, [format!("{stuck}.pdf"), format!("{B_ISSUED}.pdf")], "{adapter}");
}

macro_rules! isolation_suite {
    ($adapter:ident, $make:path) => {
        mod $adapter {
            isolation_suite!(@tests $make; another_tenants_invoices_answer_like_missing_ones, invoices_not_yet_issued_are_invisible_to_their_tenant);
        }
    };
    (@tests $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($make().await).await
            }
        )*
    };
}

isolation_suite!(embedded, seikyu_tests::fixtures::seeded_app);
isolation_suite!(dynamodb, seikyu_tests::fixtures::seeded_dynamodb_app);

//! CSV exports of billing data: three encodings, Japanese text, commas, quotes, newlines and
//! formula-looking text, many pages, and what tenants may export.

use common::domain::{BillingLine, BillingStatus, TaxCategory, Yen};
use seikyu_tests::events::Event;
use seikyu_tests::fixtures::{Seeded, billing, seeded_app, tenant_id};

use crate::handlers::{as_operator, as_tenant_a, run};

const CSV: &str = "/v1/tenants/{tenantId}/billings.csv";

/// RFC 4180 records (CRLF line ends, quoted fields with doubled quotes and embedded newlines).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("a bare LF ends a row: lines must end in CRLF"),
            (false, c) => field.push(c),
        }
    }
    assert!(field.is_empty() && row.is_empty(), "the file ends with CRLF");
    rows
}

async fn with_tricky_records(s: &Seeded) {
    let line = |d: &str, q, p, c| BillingLine { description: d.into(), quantity: q, unit_price: Yen::new(p).unwrap(), tax_category: c };
    let draft = seikyu_tests::fixtures::draft(&tenant_id(1), "2025-05", 50);
    let mut content = draft.content().clone();
    content.lines = vec![
        line("請求書, カンマ入り", 1, 1000, TaxCategory::Standard),
        line("\"引用\" 付きの品名", 2, 500, TaxCategory::Reduced),
        line("=HYPERLINK(\"http://x\")", 1, 100, TaxCategory::Standard),
        line("@SUM(A1) と -1 と +1", 1, -200, TaxCategory::Standard),
        line("お茶🍵", 3, 108, TaxCategory::Reduced),
    ];
    content.notes = Some("1行目\r\n2行目".into());
    let draft = seikyu_tests::fixtures::draft_with(&tenant_id(1), draft.billing_id.clone(), content);
    let number = common::domain::InvoiceNumber::parse("FIX-2025-000051").unwrap();
    let (_, b) = seikyu_tests::fixtures::walk(&draft, BillingStatus::Issued, number, common::domain::PdfInfo { sha256: "0".repeat(64), size: 0 });
    s.app.stores.billings.create_billing(&b).await.unwrap();
}

fn export(q: &[(&str, &str)]) -> Event {
    let mut e = Event::new("GET", CSV, &format!("/v1/tenants/{}/billings.csv", tenant_id(1)));
    for (k, v) in q {
        e = e.query(k, v);
    }
    e
}

#[tokio::test]
async fn utf8_with_bom_quotes_guards_and_round_trips() {
    let s = seeded_app().await;
    with_tricky_records(&s).await;
    let csv = run(&s, "export-billings", as_operator(export(&[("from", "2025-05"), ("to", "2025-05")]))).await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8; header=present"));
    assert!(csv.headers.get("content-length").is_none());
    assert!(csv.header("content-disposition").unwrap().contains("filename*=UTF-8''%E8%AB%8B%E6%B1%82"));
    assert_eq!(&csv.raw[..3], b"\xEF\xBB\xBF", "a BOM so that Excel reads UTF-8");
    let rows = parse_csv(std::str::from_utf8(&csv.raw[3..]).unwrap());
    assert_eq!(rows[0], common::export::csv::HEADER.map(str::to_owned).to_vec());
    assert_eq!(rows.len(), 1 + 5);
    let col = |r: usize, c: usize| rows[r][c].as_str();
    assert_eq!(col(1, 7), "請求書, カンマ入り");
    assert_eq!(col(2, 7), "\"引用\" 付きの品名");
    assert_eq!(col(3, 7), "'=HYPERLINK(\"http://x\")", "formula-looking text is defused");
    assert_eq!(col(4, 7), "'@SUM(A1) と -1 と +1");
    assert_eq!(col(4, 11), "-200", "amounts are numbers, never guarded");
    assert_eq!(col(1, 12), "1行目\r\n2行目", "notes keep their newlines inside quotes");
    assert_eq!((col(2, 10), col(2, 11)), ("8%", "1000"));
    assert_eq!(col(5, 7), "お茶🍵");
}

#[tokio::test]
async fn utf8_and_cp932() {
    let s = seeded_app().await;
    with_tricky_records(&s).await;
    let plain = run(&s, "export-billings", as_operator(export(&[("from", "2025-05"), ("encoding", "utf8")]))).await;
    assert_ne!(&plain.raw[..3], b"\xEF\xBB\xBF");
    let sjis = run(&s, "export-billings", as_operator(export(&[("from", "2025-05"), ("encoding", "cp932")]))).await;
    assert_eq!(sjis.header("content-type"), Some("text/csv; charset=Windows-31J; header=present"));
    let (decoded, _, had_errors) = encoding_rs::SHIFT_JIS.decode(&sjis.raw);
    assert!(!had_errors);
    let expected = std::str::from_utf8(&plain.raw).unwrap().replace('🍵', "〓");
    assert_eq!(decoded, expected, "cp932 carries the same text, unencodable characters as 〓");
    let bad = run(&s, "export-billings", as_operator(export(&[("encoding", "latin1")]))).await;
    assert_eq!((bad.status, bad.error_fields()), (400, vec!["query.encoding".to_owned()]));
}

#[tokio::test]
async fn many_pages_stream_every_row_and_tenants_never_export_drafts() {
    let s = seeded_app().await;
    for i in 0..250u16 {
        let mut b = billing(&tenant_id(1), "2025-07", (i % 250) as u8, if i % 5 == 0 { BillingStatus::Draft } else { BillingStatus::Issued });
        b.billing_id = common::domain::BillingId::parse(&format!("2025-07-{i:08}")).unwrap();
        s.app.stores.billings.create_billing(&b).await.unwrap();
    }
    let all = run(&s, "export-billings", as_operator(export(&[("from", "2025-07")]))).await;
    let rows = parse_csv(std::str::from_utf8(&all.raw[3..]).unwrap());
    assert_eq!(rows.len(), 1 + 250 * 2, "three pages of records, two lines each, one header");
    let mine = run(&s, "export-billings", as_tenant_a(export(&[("from", "2025-07")]))).await;
    let rows = parse_csv(std::str::from_utf8(&mine.raw[3..]).unwrap());
    assert_eq!(rows.len(), 1 + 200 * 2);
    assert!(rows[1..].iter().all(|r| r[2] != "draft"));
    let cross = run(&s, "export-billings", as_tenant_a(Event::new("GET", CSV, &format!("/v1/tenants/{}/billings.csv", tenant_id(2))))).await;
    assert_eq!(cross.status, 404);
}

//! End-to-end: render invoices and read them back with poppler's `pdftotext`/`pdfinfo`
//! (Debian package `poppler-utils`, required to run these tests).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use invoice_pdf::{FontError, InvoiceDocument, Line, Renderer, TaxRow, format_yen};

fn font_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../layers/fonts")
}

fn renderer() -> &'static Renderer {
    static R: OnceLock<Renderer> = OnceLock::new();
    R.get_or_init(|| Renderer::from_dir(&font_dir()).expect("font in layers/fonts"))
}

/// Writes the PDF to a temp file and runs a poppler tool on it.
fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!("invoice-pdf-test-{}-{}.pdf", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new(tool)
        .args(args)
        .arg(&path)
        .args(if tool == "pdftotext" { &["-"][..] } else { &[][..] })
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool} ({e}): install poppler-utils (apt-get install -y poppler-utils)"));
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "{tool} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Text of each page (pdftotext separates pages with form feeds).
fn pages_text(pdf: &[u8]) -> Vec<String> {
    let text = poppler("pdftotext", &["-enc", "UTF-8", "-layout"], pdf);
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_string).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

fn page_count(pdf: &[u8]) -> usize {
    let info = poppler("pdfinfo", &[], pdf);
    info.lines().find_map(|l| l.strip_prefix("Pages:")).and_then(|n| n.trim().parse().ok()).expect("pdfinfo prints Pages:")
}

/// Collapses runs of spaces (pdftotext -layout pads columns) so phrases can be matched.
fn squeeze(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c == ' ' || c == '\u{3000}' {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

#[test]
fn same_input_gives_identical_bytes() {
    let doc = support::invoice(20);
    let a = renderer().render(&doc).unwrap();
    let b = renderer().render(&doc).unwrap();
    // A second renderer (a fresh Lambda instance) gives the same bytes too.
    let c = Renderer::from_dir(&font_dir()).unwrap().render(&doc).unwrap();
    assert!(a.starts_with(b"%PDF-"));
    assert_eq!(a, b);
    assert_eq!(a, c);
    // And a different invoice gives different bytes (the ID is not a constant).
    let mut other = doc.clone();
    other.invoice_number = "INV-2025-000124".to_string();
    assert_ne!(renderer().render(&other).unwrap(), a);
}

#[test]
fn twenty_lines_fit_one_page_with_everything_required() {
    let doc = support::invoice(20);
    let pdf = renderer().render(&doc).unwrap();
    assert_eq!(page_count(&pdf), 1);
    let info = poppler("pdfinfo", &[], &pdf);
    assert!(info.contains("595.28 x 841.89 pts (A4)"), "{info}");
    let pages = pages_text(&pdf);
    assert_eq!(pages.len(), 1);
    let text = squeeze(&pages[0]);
    assert_required_items(&doc, &text);
    assert!(text.contains("1 / 1"), "{text}");
}

fn assert_required_items(doc: &InvoiceDocument, text: &str) {
    let mut expected: Vec<String> = vec![
        "請求書".into(),
        doc.invoice_number.clone(),
        doc.issuer.name.clone(),
        format!("登録番号 {}", doc.issuer.registration_number),
        format!("{} 御中", doc.recipient.company_name),
        format!("〒{}", doc.recipient.postal_code),
        doc.recipient.address.clone(),
        "発行日".into(),
        doc.issue_date.clone(),
        "取引年月".into(),
        doc.transaction_period.clone(),
        "品名".into(),
        "数量".into(),
        "単価".into(),
        "金額".into(),
        "ご請求金額".into(),
        format_yen(doc.total),
        "お支払期限".into(),
        doc.due_date.clone(),
        "お振込先".into(),
    ];
    for line in &doc.lines {
        expected.push(line.description.clone());
        expected.push(format_yen(line.amount));
        expected.push(format_yen(line.unit_price));
    }
    for row in &doc.tax_summary {
        expected.push(format!("{}%対象 {} 消費税 {}", row.rate_percent, format_yen(row.subtotal), format_yen(row.tax)));
    }
    for bank_line in doc.issuer.bank_details.lines() {
        expected.push(squeeze(bank_line));
    }
    if doc.lines.iter().any(|l| l.reduced_rate) {
        expected.push("※は軽減税率対象".into());
    }
    for item in expected {
        assert!(text.contains(&item), "missing {item:?} in:\n{text}");
    }
    // The ※ marks exactly the reduced-rate lines.
    for line in &doc.lines {
        let marked = text.lines().any(|l| l.contains(&line.description) && l.contains('※'));
        assert_eq!(marked, line.reduced_rate, "{}", line.description);
    }
}

#[test]
fn one_hundred_fifty_lines_paginate_with_header_and_numbering_on_every_page() {
    let doc = support::invoice(150);
    let pdf = renderer().render(&doc).unwrap();
    let n = page_count(&pdf);
    assert!(n >= 3, "150 lines on {n} pages");
    let pages = pages_text(&pdf);
    assert_eq!(pages.len(), n);
    let mut seen_lines = 0;
    for (i, page) in pages.iter().enumerate() {
        let text = squeeze(page);
        assert!(text.contains(&format!("{} / {n}", i + 1)), "page {}:\n{text}", i + 1);
        // Header and table header repeated.
        for item in ["請求書", doc.invoice_number.as_str(), "株式会社山田商事 御中", "品名", "数量", "単価", "金額"] {
            assert!(text.contains(item), "page {} lacks {item:?}", i + 1);
        }
        // Rows read "<No.> <description> <qty> <unit price> <amount>".
        let here = doc
            .lines
            .iter()
            .enumerate()
            .filter(|(k, l)| {
                let row = format!("{} {}", k + 1, l.description);
                text.lines().any(|t| t.trim_start().starts_with(&row))
            })
            .count();
        assert!(here > 0, "page {} has no lines", i + 1);
        seen_lines += here;
        // Totals only after the last line, on the last page.
        let last = i + 1 == n;
        assert_eq!(text.contains("合計金額"), last, "page {}", i + 1);
        assert_eq!(text.contains("お振込先"), last, "page {}", i + 1);
        assert_eq!(text.contains("次ページへ続く"), !last, "page {}", i + 1);
    }
    assert_eq!(seen_lines, 150);
    let last = squeeze(pages.last().unwrap());
    assert!(last.contains(&doc.lines[149].description));
    assert!(last.find(&doc.lines[149].description) < last.find("合計金額"));
    // Everything required is somewhere in the document.
    assert_required_items(&doc, &squeeze(&pages.join("\n")));
}

#[test]
fn reduced_rate_note_only_when_reduced_lines_exist() {
    let mut doc = support::invoice(6); // the first six sample items are all 10%
    assert!(doc.lines.iter().all(|l| !l.reduced_rate));
    doc.tax_summary.retain(|r| r.rate_percent == 10);
    let text = squeeze(&pages_text(&renderer().render(&doc).unwrap()).join("\n"));
    assert!(!text.contains('※'), "{text}");
    assert!(text.contains("10%対象"));
    assert!(!text.contains("8%対象"));
}

#[test]
fn awkward_input_renders() {
    let mut doc = support::invoice(3);
    doc.lines.push(Line {
        description: "とても長い品名の例です。".repeat(12),
        quantity: 1_000_000,
        unit_price: 123_456_789,
        amount: 123_456_789_000_000,
        reduced_rate: true,
    });
    doc.lines.push(Line {
        description: "AVeryLongWordWithoutAnySpacesThatMustBeBrokenBetweenCharactersToFitTheColumn".to_string(),
        quantity: -2,
        unit_price: -1,
        amount: 2,
        reduced_rate: false,
    });
    doc.tax_summary = vec![TaxRow { rate_percent: 8, subtotal: 1, tax: 0 }];
    doc.recipient.company_name = "株式会社とても長い会社名のテストのための非常に長い名前ホールディングス".into();
    doc.recipient.postal_code = String::new();
    doc.notes = Some("備考\n".repeat(40) + "😀 絵文字はフォントにない文字");
    doc.issuer.bank_details = "一行目\n\n三行目\r\n四行目".into();
    let pdf = renderer().render(&doc).unwrap();
    let text = squeeze(&pages_text(&pdf).join("\n"));
    assert!(text.contains("¥123,456,789,000,000"), "{text}");
    assert!(text.contains("-¥1"));
    assert!(text.contains('…'), "long notes are cut with an ellipsis");

    let blank = InvoiceDocument {
        invoice_number: String::new(),
        issue_date: String::new(),
        transaction_period: String::new(),
        due_date: String::new(),
        recipient: invoice_pdf::Recipient { company_name: String::new(), postal_code: String::new(), address: String::new() },
        issuer: invoice_pdf::Issuer { name: String::new(), registration_number: String::new(), address: String::new(), bank_details: String::new() },
        lines: vec![Line { description: "\t".into(), quantity: 0, unit_price: 0, amount: 0, reduced_rate: false }],
        tax_summary: Vec::new(),
        total: i64::MIN,
        notes: Some(" \n ".into()),
    };
    assert_eq!(page_count(&renderer().render(&blank).unwrap()), 1);

    let empty = InvoiceDocument { lines: Vec::new(), tax_summary: Vec::new(), total: 0, notes: None, ..support::invoice(1) };
    let pdf = renderer().render(&empty).unwrap();
    assert_eq!(page_count(&pdf), 1);
    assert!(squeeze(&pages_text(&pdf)[0]).contains("ご請求金額"));
}

#[test]
fn missing_font_dir_is_a_clear_error() {
    let dir = Path::new("/nonexistent/fonts-layer");
    let err = Renderer::from_dir(dir).unwrap_err();
    assert!(matches!(err, FontError::NotFound { .. }), "{err:?}");
    assert_eq!(err.path(), dir.join("ipaexg.ttf"));
    let msg = err.to_string();
    assert!(msg.contains("/nonexistent/fonts-layer/ipaexg.ttf"), "{msg}");
    assert!(msg.contains("FONT_DIR"), "{msg}");
}

#[test]
fn unreadable_font_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("invoice-pdf-badfont-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ipaexg.ttf"), b"this is not a font").unwrap();
    let err = Renderer::from_dir(&dir).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(err, FontError::Invalid { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("ipaexg.ttf") && msg.contains("FONT_DIR"), "{msg}");
}

/// The layer's prepared font (hinting removed at build time) renders byte-for-byte the PDF the
/// original renders, and a directory holding both loads the prepared one.
#[test]
fn the_prepared_font_renders_the_same_pdf() {
    let original = std::fs::read(font_dir().join("ipaexg.ttf")).unwrap();
    let prepared = invoice_pdf::prepare_font(&original).unwrap();
    assert!(prepared.len() < original.len() * 7 / 10, "{} vs {}", prepared.len(), original.len());
    assert_eq!(invoice_pdf::prepare_font(&prepared).unwrap(), prepared, "preparing twice changes nothing");

    let dir = std::env::temp_dir().join(format!("invoice-pdf-prepared-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(invoice_pdf::PREPARED_FONT_FILE_NAME), &prepared).unwrap();
    // A decoy original: if the renderer read it instead of the prepared font, loading would fail.
    std::fs::write(dir.join("ipaexg.ttf"), b"not the font").unwrap();
    let from_prepared = Renderer::from_dir(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    let doc = support::invoice(30);
    assert_eq!(from_prepared.unwrap().render(&doc).unwrap(), renderer().render(&doc).unwrap());

    assert!(invoice_pdf::prepare_font(b"this is not a font").is_err());
}

#[test]
fn from_env_finds_the_repository_font() {
    // FONT_DIR is not set by the test harness; without /opt/fonts this is layers/fonts.
    if std::env::var_os("FONT_DIR").is_none() && !Path::new("/opt/fonts").is_dir() {
        assert_eq!(invoice_pdf::font_dir_from_env(), Path::new(env!("CARGO_MANIFEST_DIR")).join("../../layers/fonts"));
    }
    let r = Renderer::from_env().unwrap();
    assert!(r.render(&support::invoice(1)).is_ok());
}

#[test]
fn renderer_is_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Renderer>();
    let doc = support::invoice(10);
    let expected = renderer().render(&doc).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..2).map(|_| s.spawn(|| renderer().render(&doc).unwrap())).collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), expected);
        }
    });
}

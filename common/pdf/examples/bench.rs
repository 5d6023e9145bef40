//! Single-thread rendering throughput, run by `scripts/bench-pdf`:
//! `cargo run --release -p seikyu-pdf --example bench -- [seconds per case] [out dir]`.
//! Prints one line per case: `rust lines=<n> invoices_per_sec=<x> ms_per_invoice=<t>
//! bytes=<size> pages=<p>`. With an out dir, also writes each case's PDF (`rust-<n>.pdf`) and
//! the invoice itself as JSON (`invoice-<n>.json`) so that other renderers draw the same data.

#[path = "../tests/support/mod.rs"]
mod support;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use invoice_pdf::InvoiceDocument;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let secs: f64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(3.0);
    let out_dir = args.next();
    let load = Instant::now();
    let renderer = invoice_pdf::Renderer::from_env()?;
    println!("rust font_load_ms={:.1}", load.elapsed().as_secs_f64() * 1e3);
    for lines in [20usize, 150] {
        let doc = support::invoice(lines);
        // Warm-up, and the bytes whose size is reported.
        let pdf = renderer.render(&doc)?;
        for _ in 0..20 {
            std::hint::black_box(renderer.render(&doc)?);
        }
        let budget = Duration::from_secs_f64(secs);
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < budget {
            std::hint::black_box(renderer.render(std::hint::black_box(&doc))?);
            n += 1;
        }
        let rate = n as f64 / start.elapsed().as_secs_f64();
        println!("rust lines={lines} invoices_per_sec={rate:.1} ms_per_invoice={:.3} bytes={} pages={}", 1e3 / rate, pdf.len(), count_pages(&pdf));
        if let Some(dir) = &out_dir {
            std::fs::write(format!("{dir}/rust-{lines}.pdf"), &pdf)?;
            std::fs::write(format!("{dir}/invoice-{lines}.json"), to_json(&doc))?;
        }
    }
    Ok(())
}

fn count_pages(pdf: &[u8]) -> usize {
    let needle = b"/Type/Page";
    pdf.windows(needle.len() + 1).filter(|w| w.starts_with(needle) && w[needle.len()] != b's').count()
}

fn to_json(doc: &InvoiceDocument) -> String {
    fn s(v: &str) -> String {
        let mut o = String::from("\"");
        for c in v.chars() {
            match c {
                '"' => o.push_str("\\\""),
                '\\' => o.push_str("\\\\"),
                '\n' => o.push_str("\\n"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(o, "\\u{:04x}", c as u32);
                }
                c => o.push(c),
            }
        }
        o.push('"');
        o
    }
    let lines: Vec<String> = doc
        .lines
        .iter()
        .map(|l| {
            format!(
                "{{\"description\":{},\"quantity\":{},\"unit_price\":{},\"amount\":{},\"reduced_rate\":{}}}",
                s(&l.description),
                l.quantity,
                l.unit_price,
                l.amount,
                l.reduced_rate
            )
        })
        .collect();
    let taxes: Vec<String> =
        doc.tax_summary.iter().map(|t| format!("{{\"rate_percent\":{},\"subtotal\":{},\"tax\":{}}}", t.rate_percent, t.subtotal, t.tax)).collect();
    format!(
        "{{\"invoice_number\":{},\"issue_date\":{},\"transaction_period\":{},\"due_date\":{},\
         \"recipient\":{{\"company_name\":{},\"postal_code\":{},\"address\":{}}},\
         \"issuer\":{{\"name\":{},\"registration_number\":{},\"address\":{},\"bank_details\":{}}},\
         \"lines\":[{}],\"tax_summary\":[{}],\"total\":{},\"notes\":{}}}\n",
        s(&doc.invoice_number),
        s(&doc.issue_date),
        s(&doc.transaction_period),
        s(&doc.due_date),
        s(&doc.recipient.company_name),
        s(&doc.recipient.postal_code),
        s(&doc.recipient.address),
        s(&doc.issuer.name),
        s(&doc.issuer.registration_number),
        s(&doc.issuer.address),
        s(&doc.issuer.bank_details),
        lines.join(","),
        taxes.join(","),
        doc.total,
        doc.notes.as_deref().map_or("null".to_string(), s)
    )
}

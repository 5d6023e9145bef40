//! Renders the sample invoice: `cargo run -p seikyu-pdf --example sample -- [out.pdf] [lines]`
//! (defaults: docs/invoice-sample.pdf at the workspace root, 12 lines).

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/invoice-sample.pdf"));
    let lines: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(12);
    let renderer = invoice_pdf::Renderer::from_env()?;
    let pdf = renderer.render(&support::invoice(lines))?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&out, &pdf)?;
    println!("{} ({} bytes, {lines} lines)", out.display(), pdf.len());
    Ok(())
}

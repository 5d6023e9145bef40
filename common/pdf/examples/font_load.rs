//! How long loading the invoice font takes (what issue-invoice pays at init), from the original
//! file (local runs: hinting dropped at load) and from the prepared one the Lambda layer ships:
//! `cargo run --release -p seikyu-pdf --example font_load [runs]`.

use std::path::Path;
use std::time::Instant;

fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut v: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(20);
    let source = invoice_pdf::font_dir_from_env().join(invoice_pdf::FONT_FILE_NAME);
    let original = std::fs::read(&source)?;
    let prepared_dir = std::env::temp_dir().join(format!("font-load-{}", std::process::id()));
    std::fs::create_dir_all(&prepared_dir)?;
    std::fs::write(prepared_dir.join(invoice_pdf::PREPARED_FONT_FILE_NAME), invoice_pdf::prepare_font(&original)?)?;
    let original_dir = source.parent().unwrap_or(Path::new("."));

    let from_original = median_ms(runs, || assert!(invoice_pdf::Renderer::from_dir(original_dir).is_ok()));
    let from_prepared = median_ms(runs, || assert!(invoice_pdf::Renderer::from_dir(&prepared_dir).is_ok()));
    let _ = std::fs::remove_dir_all(&prepared_dir);
    println!(
        "font load, medians of {runs}: from the original {from_original:.2} ms (read, strip hinting, parse); prepared {from_prepared:.2} ms (read, parse)"
    );
    Ok(())
}

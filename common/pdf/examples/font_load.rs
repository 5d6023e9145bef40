//! How long loading the invoice font takes (what issue-invoice pays at init):
//! `cargo run --release -p seikyu-pdf --example font_load [runs]`.

use std::time::Instant;

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(20);
    let dir = invoice_pdf::font_dir_from_env();
    let mut read = Vec::new();
    let mut load = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let bytes = std::fs::read(dir.join(invoice_pdf::FONT_FILE_NAME)).map(|b| b.len()).unwrap_or(0);
        read.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let renderer = invoice_pdf::Renderer::from_dir(&dir);
        load.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(renderer.is_ok() && bytes > 0, "the font loads");
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("font read {:.2} ms, full load (read, strip hinting, parse) {:.2} ms (medians of {runs})", median(&mut read), median(&mut load));
}

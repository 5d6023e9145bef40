//! Writes the invoice font as the Lambda layer ships it (hinting removed once, at build time):
//! `prepare-font SOURCE.ttf OUT_DIR` → `OUT_DIR/invoice-face.ttf`. Run by `layers/fonts/Makefile`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [source, out_dir] = args.as_slice() else {
        eprintln!("usage: prepare-font SOURCE.ttf OUT_DIR");
        return ExitCode::from(2);
    };
    let original = match std::fs::read(source) {
        Ok(data) => data,
        Err(e) => {
            eprintln!("prepare-font: {}: {e}", source.display());
            return ExitCode::FAILURE;
        }
    };
    let prepared = match invoice_pdf::prepare_font(&original) {
        Ok(data) => data,
        Err(reason) => {
            eprintln!("prepare-font: {}: {reason}", source.display());
            return ExitCode::FAILURE;
        }
    };
    let out = out_dir.join(invoice_pdf::PREPARED_FONT_FILE_NAME);
    if let Err(e) = std::fs::create_dir_all(out_dir).and_then(|()| std::fs::write(&out, &prepared)) {
        eprintln!("prepare-font: {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    println!("{} ({} bytes) → {} ({} bytes)", source.display(), original.len(), out.display(), prepared.len());
    ExitCode::SUCCESS
}

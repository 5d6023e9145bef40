//! `write-openapi`: writes the API's OpenAPI document (`common::openapi`) to `infra/openapi.json`.
//!
//! ```text
//! cargo run -p local-gateway --bin write-openapi            # write it
//! cargo run -p local-gateway --bin write-openapi -- --check # exit 1 when the file is stale
//! cargo run -p local-gateway --bin write-openapi -- --stdout
//! ```

use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "usage: write-openapi [--check | --stdout]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let document = match common::openapi::to_json() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("write-openapi: the document does not serialise: {e}");
            return ExitCode::FAILURE;
        }
    };
    // infra/local-gateway → infra/openapi.json
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".")).join("openapi.json");
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] => match std::fs::write(&path, &document) {
            Ok(()) => {
                eprintln!("wrote {} ({} bytes)", path.display(), document.len());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("write-openapi: {}: {e}", path.display());
                ExitCode::FAILURE
            }
        },
        ["--check"] => match std::fs::read_to_string(&path) {
            Ok(current) if current == document => ExitCode::SUCCESS,
            Ok(_) => {
                eprintln!("{} is stale: run `cargo run -p local-gateway --bin write-openapi`", path.display());
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("write-openapi: {}: {e}", path.display());
                ExitCode::FAILURE
            }
        },
        ["--stdout"] => {
            print!("{document}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

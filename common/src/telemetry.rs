//! Logging: JSON lines in Lambda (CloudWatch Logs Insights reads the fields), readable text on a
//! terminal. Every line inside a request carries its request id, route and tenant through the
//! request span.

use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt;
use tracing_subscriber::prelude::*;

/// Installs the global subscriber once; later calls are ignored (tests call it freely). JSON in
/// Lambda or when `SEIKYU_LOG_FORMAT=json`.
pub fn init() {
    let json = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() || std::env::var("SEIKYU_LOG_FORMAT").is_ok_and(|f| f == "json");
    init_as(json);
}

/// JSON lines unless `SEIKYU_LOG_FORMAT=text`.
pub fn init_json() {
    init_as(!std::env::var("SEIKYU_LOG_FORMAT").is_ok_and(|f| f == "text"));
}

/// `RUST_LOG` as `target=level` directives (`info`, `warn,common=debug`), `info` when unset or
/// unreadable. `Targets`, not `EnvFilter`: the same syntax without span and regex filters, and
/// without the regex engine in every Lambda package.
fn filter() -> Targets {
    std::env::var("RUST_LOG").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| Targets::new().with_default(Level::INFO))
}

fn init_as(json: bool) {
    let registry = tracing_subscriber::registry().with(filter());
    let _ = if json {
        // Lambda adds its own timestamp to each line; keep ours anyway for exported logs.
        registry.with(fmt::layer().json().flatten_event(true).with_current_span(true).with_span_list(false).with_target(false)).try_init()
    } else {
        registry.with(fmt::layer().with_target(false)).try_init()
    };
}

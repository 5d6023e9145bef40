//! Logging: JSON lines in Lambda (CloudWatch Logs Insights reads the fields), readable text on a
//! terminal. Every line inside a request carries its request id, route and tenant through the
//! request span.

use tracing_subscriber::EnvFilter;

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

fn init_as(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ = if json {
        // Lambda adds its own timestamp to each line; keep ours anyway for exported logs.
        builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init()
    } else {
        builder.try_init()
    };
}

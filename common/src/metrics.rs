//! CloudWatch Embedded Metric Format: one JSON line per request on stdout, which CloudWatch turns
//! into metrics per route without any API call. On in Lambda, or anywhere with `SEIKYU_EMF=1`.
//!
//! The tenant is a field of the line, not a dimension: every dimension value is a custom metric
//! billed by the month, so per-tenant dimensions would cost each tenant more in metrics than its
//! requests cost in total (docs/cost.md). Per-tenant figures come from Logs Insights over these
//! lines, and per-tenant usage from the usage reports. `Requests` is not sent either: it is
//! `Latency`'s SampleCount.

use std::cell::RefCell;

use serde_json::json;

tokio::task_local! {
    /// The tenant the current request acts for, once the caller is resolved.
    static TENANT: RefCell<Option<String>>;
}

/// Runs `fut` with a slot for the request's tenant.
pub async fn scope<F: std::future::Future>(fut: F) -> F::Output {
    TENANT.scope(RefCell::new(None), fut).await
}

/// Records the request's tenant (`operator` for the operator).
pub fn set_tenant(tenant: &str) {
    let _ = TENANT.try_with(|t| *t.borrow_mut() = Some(tenant.to_owned()));
}

pub fn tenant() -> Option<String> {
    TENANT.try_with(|t| t.borrow().clone()).ok().flatten()
}

pub fn enabled() -> bool {
    std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() || std::env::var("SEIKYU_EMF").is_ok_and(|v| v == "1")
}

/// The EMF document for one request. `bytes` is the buffered body's size (streamed bodies are
/// counted as they end, by the streaming route itself).
pub fn request_line(route: &str, tenant: &str, status: u16, latency_ms: f64, bytes: u64, request_id: &str, now_ms: i64) -> String {
    json!({
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{
                "Namespace": "seikyu",
                "Dimensions": [["route"]],
                "Metrics": [
                    { "Name": "Errors", "Unit": "Count" },
                    { "Name": "Latency", "Unit": "Milliseconds" },
                    { "Name": "ResponseBytes", "Unit": "Bytes" }
                ]
            }]
        },
        "route": route,
        "tenant": tenant,
        "status": status,
        "requestId": request_id,
        "Errors": u8::from(status >= 500),
        "Latency": latency_ms,
        "ResponseBytes": bytes
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_document_names_its_metrics_and_dimensions() {
        let line = request_line("GET /v1/tenants/{tenantId}", "tn_0000000000000001", 503, 12.5, 321, "req-1", 1_743_498_000_000);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        let def = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(def["Namespace"], "seikyu");
        for m in def["Metrics"].as_array().unwrap() {
            assert!(v.get(m["Name"].as_str().unwrap()).is_some(), "every metric has a value: {m}");
        }
        for dims in def["Dimensions"].as_array().unwrap() {
            for d in dims.as_array().unwrap() {
                assert!(v[d.as_str().unwrap()].is_string(), "every dimension has a value: {d}");
            }
        }
        assert_eq!((v["Errors"].as_u64(), v["Latency"].as_f64(), v["ResponseBytes"].as_u64()), (Some(1), Some(12.5), Some(321)));
        assert!(!line.contains('\n'), "one line per document");
        // Dimensions are billed per value: never one per tenant; the tenant is a plain field.
        assert_eq!(def["Dimensions"], serde_json::json!([["route"]]));
        assert_eq!(v["tenant"], "tn_0000000000000001");
    }

    #[tokio::test]
    async fn the_tenant_slot_belongs_to_one_request() {
        assert_eq!(tenant(), None);
        let seen = scope(async {
            set_tenant("tn_a");
            tenant()
        })
        .await;
        assert_eq!(seen.as_deref(), Some("tn_a"));
        assert_eq!(tenant(), None, "outside the request, no tenant");
    }
}

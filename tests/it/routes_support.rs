//! Shared by the `routes_*` tests: which route a request reaches, problem answers, and request
//! bodies the API accepts.

use chrono::{DateTime, Utc};
use local_gateway::{ROUTES, Route};
use seikyu_tests::http_client::Fetched;
use serde_json::{Value, json};

pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-04-01T09:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap()
}

pub fn json(f: &Fetched) -> Value {
    serde_json::from_slice(&f.body).unwrap_or(Value::Null)
}

pub fn text(f: &Fetched) -> String {
    String::from_utf8_lossy(&f.body).into_owned()
}

pub fn header<'a>(f: &'a Fetched, name: &str) -> Option<&'a str> {
    f.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The route of the gateway's table that `method path?query` reaches.
pub fn route_of(method: &str, path_and_query: &str) -> &'static Route {
    let path = path_and_query.split('?').next().unwrap_or_default();
    ROUTES.iter().find(|r| r.method.as_str() == method && r.matches(path).is_some()).unwrap_or_else(|| panic!("{method} {path} is no route of the gateway"))
}

/// Asserts an RFC 9457 problem with `status` from the API (not the gateway's own `{"message"}`);
/// returns its JSON.
pub fn assert_problem(r: &Fetched, status: u16, what: &str) -> Value {
    assert_eq!(r.status, status, "{what}: {}", text(r));
    assert_eq!(header(r, "content-type"), Some("application/problem+json"), "{what}: {}", text(r));
    let p = json(r);
    assert!(p["type"].as_str().is_some_and(|t| t.starts_with("urn:seikyu:problem:")), "{what}: type: {p}");
    assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()), "{what}: title: {p}");
    assert_eq!(p["status"], status, "{what}: {p}");
    p
}

/// The fields a validation problem names.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().map(|e| e.iter().filter_map(|x| x["field"].as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// The sequence number at the end of an invoice number (`INV-2025-000042` → 42).
pub fn seq_of(number: &str) -> u64 {
    number.rsplit('-').next().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("not an invoice number: {number}"))
}

pub fn new_tenant_body(name: &str) -> Vec<u8> {
    json!({
        "name": name,
        "customerProfile": {
            "companyName": format!("株式会社{name}"),
            "postalCode": "690-0887",
            "address": "島根県松江市殿町1番地",
            "billingContact": {"name": "経理部 請求担当", "email": "keiri@example.jp"}
        },
        "planTier": "basic"
    })
    .to_string()
    .into_bytes()
}

pub fn contract_body(plan: &str, fee: i64) -> Vec<u8> {
    json!({"planName": plan, "monthlyFee": fee, "startDate": "2025-05-01", "billingCycle": "monthly"}).to_string().into_bytes()
}

pub fn issuer_body(registration_number: &str) -> Vec<u8> {
    json!({
        "name": "株式会社セイキュウ",
        "address": "島根県松江市学園南1丁目2番3号",
        "registrationNumber": registration_number,
        "bankDetails": "しまね銀行 松江支店 普通 1234567",
        "invoicePrefix": "INV",
        "rounding": "floor"
    })
    .to_string()
    .into_bytes()
}

/// A line item of a billing body.
pub fn line(description: &str, quantity: i64, unit_price: i64, tax_category: &str) -> Value {
    json!({"description": description, "quantity": quantity, "unitPrice": unit_price, "taxCategory": tax_category})
}

/// A billing record for April 2025, issued on 2025-04-30 (so numbered in 2025's sequence).
pub fn billing_body(lines: &[Value]) -> Vec<u8> {
    json!({"period": "2025-04", "lines": lines, "issueDate": "2025-04-30", "dueDate": "2025-05-31"}).to_string().into_bytes()
}

/// A small PDF as the operator's own system would upload it.
pub const UPLOADED_PDF: &[u8] = b"%PDF-1.7\n% made by the operator's CMS\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

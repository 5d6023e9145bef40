//! The document itself: stable, complete, and saying what the code does where the code can be
//! asked. Its agreement with the route table, the template, `events/` and live answers is
//! checked end to end in `tests/it/openapi.rs`.

use std::collections::BTreeSet;

use serde_json::Value;

use super::*;
use crate::export::csv::CsvEncoding;

fn doc() -> Value {
    serde_json::to_value(document()).unwrap()
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            all.push((method.clone(), path.clone(), op.clone()));
        }
    }
    all
}

fn operation(doc: &Value, id: &str) -> Value {
    operations(doc).into_iter().map(|(_, _, op)| op).find(|op| op["operationId"] == id).unwrap_or_else(|| panic!("no operation {id}"))
}

#[test]
fn the_json_is_the_same_every_time() {
    // Extensions are hash maps inside utoipa: each object must hold at most one for the key order
    // to be fixed.
    let first = to_json().unwrap();
    for _ in 0..5 {
        assert_eq!(to_json().unwrap(), first);
    }
    assert!(first.ends_with("}\n"));
}

#[test]
fn every_operation_is_named_tagged_summarised_and_needs_both_keys() {
    let doc = doc();
    let tags: BTreeSet<&str> = doc["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    let mut ids = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let at = format!("{method} {path}");
        assert!(ids.insert(op["operationId"].as_str().unwrap().to_owned()), "{at}: operationId used twice");
        assert!(op["tags"].as_array().is_some_and(|t| t.len() == 1 && tags.contains(t[0].as_str().unwrap())), "{at}: one declared tag");
        assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{at}: a summary");
        assert!(["operator", "tenantOwn", "anyone"].contains(&op[ACCESS_EXTENSION].as_str().unwrap_or_default()), "{at}: who may call");
        assert_eq!(op["security"], serde_json::json!([{ "sigv4": [], "apiKey": [] }]), "{at}");
        for status in ["403", "429", "500", "503"] {
            assert!(op["responses"].get(status).is_some(), "{at}: {status}");
        }
        if op.get("requestBody").is_some() {
            for status in ["400", "413", "415"] {
                assert!(op["responses"].get(status).is_some(), "{at}: {status}");
            }
        }
    }
    assert_eq!(ids.len(), 41);
}

#[test]
fn every_reference_resolves() {
    fn refs(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("$ref", Value::String(r)) => {
                            out.insert(r.clone());
                        }
                        _ => refs(x, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let doc = doc();
    let mut all = BTreeSet::new();
    refs(&doc, &mut all);
    for r in all {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("{r} is not local"));
        assert!(doc.pointer(pointer).is_some(), "{r} names nothing");
    }
}

/// The streams' media types are the exporters' own.
#[test]
fn csv_media_types_and_encodings_are_the_exporters() {
    let doc = doc();
    let media = |id: &str| -> BTreeSet<String> { operation(&doc, id)["responses"]["200"]["content"].as_object().unwrap().keys().cloned().collect() };
    let all = [CsvEncoding::Utf8Bom, CsvEncoding::Utf8, CsvEncoding::Cp932];
    assert_eq!(media("export-billings"), all.iter().map(|e| e.content_type().to_owned()).collect());
    assert_eq!(media("run-report"), BTreeSet::from([CsvEncoding::Utf8Bom.content_type().to_owned()]));
    assert_eq!(media("download-invoice"), BTreeSet::from(["application/pdf".to_owned()]));
    assert_eq!(media("download-invoices-zip"), BTreeSet::from(["application/zip".to_owned()]));
    let export = operation(&doc, "export-billings");
    let encoding = export["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "encoding").unwrap();
    let values: Vec<&str> = encoding["schema"]["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(values.len(), all.len());
    assert!(values.iter().all(|v| CsvEncoding::parse(v).is_ok()), "{values:?}");
}

#[test]
fn limits_are_the_codes() {
    let doc = doc();
    let limit = operation(&doc, "list-contracts")["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "limit").cloned().unwrap();
    assert_eq!(limit["schema"]["maximum"], crate::store::MAX_PAGE);
    let upload = &doc["components"]["schemas"]["UploadRequest"]["properties"]["contentLength"];
    assert_eq!(upload["maximum"], crate::service::uploads::MAX_UPLOAD);
    let lines = &doc["components"]["schemas"]["NewBilling"]["properties"]["lines"];
    assert_eq!(lines["maxItems"], crate::service::billings::MAX_LINES);
}

/// The API Gateway documentation parts name every operation, at its path and method.
#[test]
fn api_gateway_gets_a_part_per_method() {
    let doc = doc();
    let parts = doc["x-amazon-apigateway-documentation"]["documentationParts"].as_array().unwrap();
    let methods: BTreeSet<(String, String)> = parts
        .iter()
        .filter(|p| p["location"]["type"] == "METHOD")
        .map(|p| (p["location"]["method"].as_str().unwrap().to_lowercase(), p["location"]["path"].as_str().unwrap().to_owned()))
        .collect();
    let operations: BTreeSet<(String, String)> = operations(&doc).into_iter().map(|(m, p, _)| (m, p)).collect();
    assert_eq!(methods, operations);
    assert_eq!(parts[0]["location"]["type"], "API");
}

/// The bounds the input schemas state are the ones validation applies: each bound passes, one
/// past it is refused (for the inputs validated without storage).
#[test]
fn input_bounds_are_the_validations() {
    use crate::service::billings::{LineInput, NewBilling, validate_new};
    use crate::service::contracts::ContractInput;
    let doc = doc();
    let bound = |schema: &str, field: &str, key: &str| -> i64 {
        let v = resolved(&doc, &doc["components"]["schemas"][schema]["properties"][field])[key].clone();
        v.as_i64().unwrap_or_else(|| panic!("{schema}.{field} has no {key}"))
    };
    let len = |schema: &str, field: &str| usize::try_from(bound(schema, field, "maxLength")).unwrap();
    let contract = |plan_name: String, monthly_fee: i64, notes: String| {
        let input = ContractInput {
            plan_name,
            monthly_fee,
            start_date: "2025-04-01".into(),
            end_date: None,
            billing_cycle: "monthly".into(),
            status: None,
            notes: Some(notes),
        };
        input.validate().is_ok()
    };
    let (plan, notes) = (len("ContractInput", "planName"), len("ContractInput", "notes"));
    assert!(contract("a".repeat(plan), 0, "n".repeat(notes)));
    assert!(!contract("a".repeat(plan + 1), 0, "n".into()));
    assert!(!contract("a".into(), 0, "n".repeat(notes + 1)));
    let (low, high) = (bound("ContractInput", "monthlyFee", "minimum"), bound("ContractInput", "monthlyFee", "maximum"));
    assert!(contract("a".into(), low, "n".into()) && contract("a".into(), high, "n".into()));
    assert!(!contract("a".into(), low - 1, "n".into()) && !contract("a".into(), high + 1, "n".into()));

    let line = |description: String, quantity: i64, unit_price: i64| LineInput { description, quantity, unit_price, tax_category: "standard".into() };
    let billing = |lines: Vec<LineInput>, notes: String| {
        let input = NewBilling { period: "2025-04".into(), lines, notes: Some(notes), issue_date: "2025-04-30".into(), due_date: "2025-05-31".into() };
        validate_new(input).is_ok()
    };
    let (description, notes) = (len("LineInput", "description"), len("NewBilling", "notes"));
    let (q_low, q_high) = (bound("LineInput", "quantity", "minimum"), bound("LineInput", "quantity", "maximum"));
    let (p_low, p_high) = (bound("LineInput", "unitPrice", "minimum"), bound("LineInput", "unitPrice", "maximum"));
    // Each bound on a line of its own: a million times the largest price is beyond any total.
    let edges = vec![line("d".repeat(description), q_low, p_high), line("d".into(), q_high, 1), line("d".into(), 1, p_low)];
    assert!(billing(edges, "n".repeat(notes)));
    assert!(!billing(vec![line("d".repeat(description + 1), 1, 1)], "n".into()));
    assert!(!billing(vec![line("d".into(), 1, 1)], "n".repeat(notes + 1)));
    for (q, p) in [(q_low - 1, 1), (q_high + 1, 1), (1, p_low - 1), (1, p_high + 1)] {
        assert!(!billing(vec![line("d".into(), q, p)], "n".into()), "quantity {q}, unit price {p}");
    }
    let most = usize::try_from(bound("NewBilling", "lines", "maxItems")).unwrap();
    assert!(billing((0..most).map(|_| line("d".into(), 1, 1)).collect(), "n".into()));
    assert!(!billing((0..=most).map(|_| line("d".into(), 1, 1)).collect(), "n".into()));
    assert!(!billing(Vec::new(), "n".into()));
}

/// The properties a response schema names, through `$ref` and `allOf`.
fn properties(doc: &Value, schema: &Value) -> BTreeSet<String> {
    if let Some(r) = schema["$ref"].as_str() {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("{r} is not local"));
        return properties(doc, doc.pointer(pointer).unwrap_or_else(|| panic!("{r} names nothing")));
    }
    let mut all: BTreeSet<String> = schema["properties"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        all.extend(properties(doc, part));
    }
    all
}

/// Every link names an operation that exists, sets only parameters that operation has (where it
/// has them: `path.tenantId`, `header.If-Match`) and every path parameter it needs, and takes each
/// value from a field of the source's JSON answer or a header that answer documents. Every
/// create's answer (201, 202) has links, and every link of the table is in the document.
#[test]
fn links_name_operations_and_parameters_that_exist() {
    let doc = doc();
    let all = operations(&doc);
    let mut placed = 0;
    for (method, path, op) in &all {
        for (status, response) in op["responses"].as_object().unwrap() {
            if ["201", "202"].contains(&status.as_str()) {
                assert!(response["links"].as_object().is_some_and(|l| !l.is_empty()), "{method} {path} {status}: a create's answer has links");
            }
            let Some(links) = response["links"].as_object() else { continue };
            let fields = properties(&doc, &response["content"]["application/json"]["schema"]);
            let headers: BTreeSet<String> = response["headers"].as_object().map(|h| h.keys().cloned().collect()).unwrap_or_default();
            for (name, link) in links {
                let at = format!("{method} {path} {status} → {name}");
                assert!(link.get("operation_id").is_none() && link.get("operationRef").is_none(), "{at}: named by operationId only");
                let target_id = link["operationId"].as_str().unwrap_or_else(|| panic!("{at}: no operationId"));
                let target = all.iter().map(|(_, _, op)| op).find(|op| op["operationId"] == target_id);
                let target = target.unwrap_or_else(|| panic!("{at}: no operation {target_id}"));
                let accepted: BTreeSet<String> = target["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| format!("{}.{}", p["in"].as_str().unwrap(), p["name"].as_str().unwrap()))
                    .collect();
                let set = link["parameters"].as_object().cloned().unwrap_or_default();
                for (parameter, expression) in &set {
                    assert!(accepted.contains(parameter), "{at}: {target_id} has no parameter {parameter} (it has {accepted:?})");
                    let expression = expression.as_str().unwrap_or_else(|| panic!("{at}: {parameter} is not an expression"));
                    if let Some(field) = expression.strip_prefix("$response.body#/") {
                        assert!(fields.contains(field), "{at}: the answer has no field {field} (it has {fields:?})");
                    } else if let Some(header) = expression.strip_prefix("$response.header.") {
                        assert!(headers.contains(header), "{at}: the answer documents no header {header}");
                    } else {
                        panic!("{at}: {parameter} = {expression} is not taken from the answer");
                    }
                }
                for needed in accepted.iter().filter(|p| p.starts_with("path.")) {
                    assert!(set.contains_key(needed), "{at}: {needed} is not set");
                }
                placed += 1;
            }
        }
    }
    assert_eq!(placed, links::FOLLOWS.iter().map(|f| f.statuses.len()).sum::<usize>(), "every link of the table is placed once");
}

/// A property's schema itself: through its `$ref`, and through the `oneOf` of `null` and a
/// reference that an optional field is.
fn resolved(doc: &Value, schema: &Value) -> Value {
    if let Some(r) = schema["$ref"].as_str() {
        return resolved(doc, doc.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("{r} names nothing")));
    }
    if let Some([only]) = schema["oneOf"].as_array().map(|o| o.iter().filter(|s| s["type"] != "null").cloned().collect::<Vec<_>>()).as_deref() {
        return resolved(doc, only);
    }
    schema.clone()
}

/// The free-text kinds are the validations' own: the inputs validated without storage refuse one
/// character past each kind's length and one line past its lines, take exactly its lines, and
/// single-line text refuses a line break and a tab. (`tests/it/openapi.rs` holds the patterns to
/// `validation::text` itself.)
#[test]
fn text_kinds_are_the_validations() {
    use crate::service::billings::{LineInput, NewBilling, validate_new};
    use crate::service::contracts::ContractInput;
    let kind = |name: &str| *types::TEXTS.iter().find(|t| t.0 == name).unwrap_or_else(|| panic!("no text kind {name}"));
    for (name, max, _) in types::TEXTS {
        assert_eq!(doc()["components"]["schemas"][name]["maxLength"], *max, "{name} is in the document with its bound");
    }
    let doc = doc();
    let field = |schema: &str, field: &str| doc["components"]["schemas"][schema]["properties"][field].to_string();
    for (schema, property, kind) in [
        ("ContractInput", "planName", "Name"),
        ("ContractInput", "notes", "Notes"),
        ("NewBilling", "notes", "Notes"),
        ("BillingPatch", "notes", "Notes"),
        ("LineInput", "description", "LineDescription"),
        ("NewTenant", "name", "Name"),
        ("CustomerProfileInput", "companyName", "Name"),
        ("CustomerProfileInput", "address", "Address"),
        ("BillingContactInput", "name", "Name"),
        ("TenantPatch", "name", "Name"),
        ("CustomerProfilePatch", "companyName", "Name"),
        ("CustomerProfilePatch", "address", "Address"),
        ("BillingContactPatch", "name", "Name"),
        ("IssuerInput", "name", "Name"),
        ("IssuerInput", "address", "Address"),
        ("IssuerInput", "bankDetails", "BankDetails"),
        ("VoidInput", "reason", "VoidReason"),
    ] {
        assert!(field(schema, property).contains(&format!("#/components/schemas/{kind}\"")), "{schema}.{property} is {kind}");
    }
    let contract = |plan_name: &str, notes: &str| {
        let input = ContractInput {
            plan_name: plan_name.into(),
            monthly_fee: 0,
            start_date: "2025-04-01".into(),
            end_date: None,
            billing_cycle: "monthly".into(),
            status: None,
            notes: Some(notes.into()),
        };
        input.validate().is_ok()
    };
    let billing = |description: &str, notes: &str| {
        let line = LineInput { description: description.into(), quantity: 1, unit_price: 1, tax_category: "standard".into() };
        let input = NewBilling {
            period: "2025-04".into(),
            lines: vec![line],
            notes: Some(notes.into()),
            issue_date: "2025-04-30".into(),
            due_date: "2025-05-31".into(),
        };
        validate_new(input).is_ok()
    };
    let lines = |n: usize| vec!["x"; n].join("\n");
    let (_, name_max, name_lines) = kind("Name");
    let (_, description_max, description_lines) = kind("LineDescription");
    let (_, notes_max, notes_lines) = kind("Notes");
    assert_eq!((name_lines, description_lines), (1, 1));
    assert!(contract(&"a".repeat(name_max), &lines(notes_lines)) && !contract(&"a".repeat(name_max + 1), "n"));
    assert!(!contract("a", &lines(notes_lines + 1)) && !contract("a", &"n".repeat(notes_max + 1)));
    assert!(billing(&"d".repeat(description_max), &lines(notes_lines)) && !billing(&"d".repeat(description_max + 1), "n"));
    assert!(!billing("d", &lines(notes_lines + 1)) && !billing("d", &"n".repeat(notes_max + 1)));
    for broken in ["a\nb", "a\tb", "a\r\nb"] {
        assert!(!contract(broken, "n") && !billing(broken, "n"), "{broken:?} is not one line");
        assert!(contract("a", broken) && billing("d", broken), "{broken:?} is text of two lines");
    }
}

/// `NewPrincipal`'s schema is written by hand (a tenant's principal or the operator's); it has
/// exactly the fields of the type `principals::register` reads, each variant requiring `arn` and
/// `role`.
#[test]
fn new_principal_has_the_inputs_fields() {
    use crate::service::principals::NewPrincipal;
    use utoipa::PartialSchema;
    let derived = serde_json::to_value(NewPrincipal::schema()).unwrap();
    let fields: BTreeSet<String> = derived["properties"].as_object().unwrap().keys().cloned().collect();
    let doc = doc();
    let written = &doc["components"]["schemas"]["NewPrincipal"];
    let variants = written["oneOf"].as_array().unwrap();
    let mut all = BTreeSet::new();
    for v in variants {
        all.extend(v["properties"].as_object().unwrap().keys().cloned());
        let required: BTreeSet<&str> = v["required"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
        assert!(required.is_superset(&BTreeSet::from(["arn", "role"])), "{v}");
        assert_eq!(v["additionalProperties"], false);
    }
    assert_eq!(all, fields);
    let roles: BTreeSet<&str> = variants.iter().map(|v| v["properties"]["role"]["enum"][0].as_str().unwrap()).collect();
    let role = serde_json::to_value(crate::domain::Role::schema()).unwrap();
    assert_eq!(roles, role["enum"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect());
}

//! The API's OpenAPI document (`common::openapi`) against everything else that describes the API:
//! the file written from it, the route table, the SAM template, `events/`, the handlers' own
//! parameters, OpenAPI 3.1 itself (openapi-spec-validator), and, in `openapi_live`, what the local
//! gateway answers.

#[path = "openapi_live.rs"]
mod live;

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::template::{functions, root, template};

const REGENERATE: &str = "cargo run -p local-gateway --bin write-openapi";

pub(crate) fn document() -> Value {
    serde_json::to_value(common::openapi::document()).expect("the document serialises")
}

/// `(METHOD, path)` → operation.
pub(crate) fn operations(doc: &Value) -> BTreeMap<(String, String), Value> {
    let mut all = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            all.insert((method.to_uppercase(), path.clone()), op.clone());
        }
    }
    all
}

fn by_id<'a>(ops: &'a BTreeMap<(String, String), Value>, id: &str) -> Option<(&'a (String, String), &'a Value)> {
    ops.iter().find(|(_, op)| op["operationId"] == id)
}

/// The names of an operation's parameters in `place` (`query`, `header`, `path`).
fn params(op: &Value, place: &str) -> BTreeSet<String> {
    op["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == place).filter_map(|p| p["name"].as_str().map(str::to_owned)).collect()
}

/// Runs `script` with the test virtualenv's Python (SEIKYU_TEST_PYTHON), `input` on stdin.
pub(crate) fn python(script: &str, input: &Value) -> (bool, String) {
    use std::io::Write;
    let python = std::env::var("SEIKYU_TEST_PYTHON").expect("SEIKYU_TEST_PYTHON: run ./scripts/test");
    let mut child = std::process::Command::new(&python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python}: {e}"));
    child.stdin.take().expect("stdin").write_all(input.to_string().as_bytes()).expect("write to python");
    let out = child.wait_with_output().expect("python runs");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Validates each `{name, schema, instance, valid?, exact?}` of `checks` with JSON Schema 2020-12
/// (what OpenAPI 3.1's schemas are), the schemas' `#/components/...` read in `document`. `valid`
/// is the code's answer; with `exact: false` the schema may refuse what the code takes (it is
/// stricter there), never the other way round.
pub(crate) const VALIDATE: &str = r##"
import json, sys
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
data = json.load(sys.stdin)
base = "urn:seikyu:openapi"
registry = Registry().with_resource(base, Resource.from_contents(data["document"], default_specification=DRAFT202012))
failed = 0
for check in data["checks"]:
    schema = json.loads(json.dumps(check["schema"]).replace('"#/components/', '"' + base + '#/components/'))
    validator = Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(check["instance"])]
    if (not errors) != check.get("valid", True) and (not errors or check.get("exact", True)):
        failed += 1
        print("FAILED", check["name"], json.dumps(check["instance"], ensure_ascii=False)[:300], errors[:5] or "accepted, but the code refuses it")
print(f"{len(data['checks'])} checked, {failed} failed")
sys.exit(1 if failed else 0)
"##;

#[test]
fn the_committed_file_is_the_generated_document() {
    let generated = common::openapi::to_json().expect("the document serialises");
    let path = root().join("infra/openapi.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}; write it with `{REGENERATE}`", path.display()));
    assert!(committed == generated, "infra/openapi.json is stale: regenerate it with `{REGENERATE}` and commit it");
}

/// One operation per route, named after its function crate, saying who may call it as the route
/// table does; the streaming routes (and only they) answer something other than JSON.
#[test]
fn the_document_has_exactly_the_route_tables_routes() {
    let doc = document();
    let ops = operations(&doc);
    let in_doc: BTreeSet<(String, String)> = ops.keys().cloned().collect();
    let in_table: BTreeSet<(String, String)> = local_gateway::ROUTES.iter().map(|r| (r.method.to_string(), r.path.to_owned())).collect();
    assert_eq!(in_doc, in_table, "the OpenAPI document and local_gateway::ROUTES disagree (regenerate with `{REGENERATE}`)");
    for r in local_gateway::ROUTES {
        let op = &ops[&(r.method.to_string(), r.path.to_owned())];
        assert_eq!(op["operationId"], r.function, "{} {}", r.method, r.path);
        let access = match r.access {
            local_gateway::Access::Operator => "operator",
            local_gateway::Access::TenantOwn => "tenantOwn",
            local_gateway::Access::Anyone => "anyone",
        };
        assert_eq!(op[common::openapi::ACCESS_EXTENSION], access, "{}: who may call", r.function);
        // The first success with a body (200, or 201 for a create; a 204 has none).
        let ok = op["responses"].as_object().into_iter().flatten().find(|(status, r)| status.starts_with('2') && r["content"].is_object());
        let json = ok.is_none_or(|(_, ok)| ok["content"].as_object().is_some_and(|c| c.contains_key("application/json")));
        assert_eq!(!json, r.streams(), "{}: a stream answers its own media type, a buffered route JSON", r.function);
    }
}

#[test]
fn the_document_has_exactly_the_templates_api_events() {
    let t = template();
    let mut in_template = BTreeSet::new();
    for (name, binary) in functions(&t) {
        for (_, event) in t["Resources"][name.as_str()]["Properties"]["Events"].as_mapping().into_iter().flatten() {
            if event["Type"].as_str() == Some("Api") {
                let p = &event["Properties"];
                let at = (p["Method"].as_str().unwrap_or_default().to_uppercase(), p["Path"].as_str().unwrap_or_default().to_owned());
                in_template.insert((binary.clone(), at));
            }
        }
    }
    let in_doc: BTreeSet<(String, (String, String))> =
        operations(&document()).into_iter().map(|(at, op)| (op["operationId"].as_str().unwrap_or_default().to_owned(), at)).collect();
    assert_eq!(in_doc, in_template, "the OpenAPI document and infra/template.yaml's Api events disagree");
}

/// Every sample event is a request the document describes, and the status it expects is one the
/// document lists for it.
#[test]
fn every_event_is_a_documented_request_with_a_documented_status() {
    let doc = document();
    let ops = operations(&doc);
    let dir = root().join("events");
    let expected: BTreeMap<String, u16> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).expect("events/expected.json")).expect("JSON");
    for (file, status) in &expected {
        let function = file.split('.').next().unwrap_or_default();
        let ((method, path), op) = by_id(&ops, function).unwrap_or_else(|| panic!("events/{file}: no operation {function}"));
        let event: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(file)).expect("event")).expect("event JSON");
        assert_eq!((event["httpMethod"].as_str(), event["resource"].as_str()), (Some(method.as_str()), Some(path.as_str())), "events/{file}");
        assert!(op["responses"].get(status.to_string()).is_some(), "events/{file} expects {status}, which {function} does not document");
        if *status != 400 {
            let sent: BTreeSet<String> = event["queryStringParameters"].as_object().into_iter().flatten().map(|(k, _)| k.clone()).collect();
            assert!(sent.is_subset(&params(op, "query")), "events/{file} sends query parameters {sent:?} that {function} does not document");
        }
    }
    for r in local_gateway::ROUTES {
        assert!(expected.contains_key(&format!("{}.json", r.function)), "{} has no events/{}.json", r.function, r.function);
    }
}

/// The query parameters each handler accepts (`Query::new(&req, &[...])`), the headers it reads
/// and its page size are the ones its operation documents.
#[test]
fn parameters_are_what_the_handlers_read() {
    let ops = operations(&document());
    for r in local_gateway::ROUTES {
        let source = std::fs::read_to_string(root().join(format!("functions/{}/src/lib.rs", r.function))).expect("the handler's source");
        let op = &ops[&(r.method.to_string(), r.path.to_owned())];
        let accepted: BTreeSet<String> = source
            .split_once("Query::new(&req, &[")
            .map(|(_, rest)| {
                rest.split(']').next().unwrap_or_default().split(',').map(|q| q.trim().trim_matches('"').to_owned()).filter(|q| !q.is_empty()).collect()
            })
            .unwrap_or_default();
        assert_eq!(params(op, "query"), accepted, "{}: documented query parameters", r.function);
        let headers = params(op, "header");
        let reads = |calls: &[&str]| calls.iter().any(|c| source.contains(c));
        assert_eq!(headers.contains("Idempotency-Key"), reads(&["idempotency_key(&req)"]), "{}: Idempotency-Key", r.function);
        assert_eq!(headers.contains("If-Match"), reads(&["if_match(&req)"]), "{}: If-Match", r.function);
        assert_eq!(headers.contains("Range"), reads(&["\"range\""]), "{}: Range", r.function);
        let revalidated = r.method == http::Method::GET && !r.streams();
        let conditional = reads(&["if_none_match_any(&req)", "not_modified(&req", "\"if-none-match\""]);
        assert_eq!(headers.contains("If-None-Match"), revalidated || conditional, "{}: If-None-Match", r.function);
        let required = |name: &str| op["parameters"].as_array().into_iter().flatten().any(|p| p["name"] == name && p["required"] == true);
        assert_eq!(required("Idempotency-Key"), reads(&["idempotency::idempotency_key(&req)"]), "{}: Idempotency-Key required", r.function);
        if let Some(rest) = source.split_once("const DEFAULT_LIMIT: usize = ").map(|(_, rest)| rest) {
            let default: u64 = rest.split(';').next().unwrap_or_default().trim().parse().expect("DEFAULT_LIMIT");
            let limit = op["parameters"].as_array().into_iter().flatten().find(|p| p["name"] == "limit").expect("a documented limit");
            assert_eq!(limit["schema"]["default"], default, "{}: limit's default", r.function);
        }
    }
}

#[test]
fn the_document_is_valid_openapi_3_1() {
    let script = "import json, sys\nfrom openapi_spec_validator import validate\nfrom openapi_spec_validator.versions import consts, get_spec_version\n\
                  doc = json.load(sys.stdin)\nassert get_spec_version(doc) == consts.OPENAPIV31, get_spec_version(doc)\nvalidate(doc)\n\
                  print('valid OpenAPI 3.1:', len(doc['paths']), 'paths,', len(doc['components']['schemas']), 'schemas')";
    let (ok, output) = python(script, &document());
    assert!(ok, "openapi-spec-validator refuses the document:\n{output}");
}

fn sample<T: DeserializeOwned + ToSchema>(checks: &mut Vec<Value>, value: Value) {
    let valid = serde_json::from_value::<T>(value.clone()).is_ok();
    let schema = json!({ "$ref": format!("#/components/schemas/{}", T::name()) });
    checks.push(json!({ "name": format!("{} {value}", T::name()), "schema": schema, "instance": value, "valid": valid }));
}

/// The schemas of the parsed types accept exactly what their parsing (the API's JSON reading)
/// accepts, on the values the domain's own tests use. The registration number's check digit is
/// beyond a pattern, so only its shape is tried.
#[test]
fn schemas_of_parsed_values_accept_what_parsing_accepts() {
    use common::domain::*;
    use common::store::{IdempotencyKey, PrincipalArn, PrincipalId};
    let mut checks = Vec::new();
    for v in
        ["tn_0123456789abcdef", "", "tn_", "tn_0123456789abcde", "tn_0123456789abcdefg", "TN_0123456789abcdef", "tn_0123456789ABCDEF", "tn_0123456789abcde#"]
    {
        sample::<TenantId>(&mut checks, json!(v));
    }
    for v in ["C-2025-0001", &"a".repeat(64), "", "-a", "_a", "a#b", "a/b", "契約", &"a".repeat(65), "a b"] {
        sample::<ContractId>(&mut checks, json!(v));
    }
    for v in ["2025-03", "2000-01", "2999-12", "2025-3", "2025-13", "2025-00", "1999-12", "3000-01", "2025/03", "２０２５-03", "2025-03-01", "+025-03"] {
        sample::<BillingPeriod>(&mut checks, json!(v));
    }
    for v in ["2025-04-k3j9x2m1", "2025-04-K3J9X2M1", "2025-13-abcdefgh", "2025-04-abcdefg", "2025-04_abcdefgh", "2025-04-abcdefghi"] {
        sample::<BillingId>(&mut checks, json!(v));
    }
    for v in ["run-2025-04-k3j9x2m1", "", "run-2025-04", "run-2025-13-abcdefgh", "run-2025-04-ABCDEFGH", "2025-04-abcdefgh", "run-2025-04-abcdefghi"] {
        sample::<RunId>(&mut checks, json!(v));
    }
    for v in
        ["INV-2025-000001", "INV-2025-1234567", "", "INV-2025", "INV-25-000001", "inv-2025-000001", "INV-2025-00001", "INV-2025-000001-x", "INV_2025_000001"]
    {
        sample::<InvoiceNumber>(&mut checks, json!(v));
    }
    for v in ["INV", "ABCDEFGHIJ", "ABCDEFGHIJK", "inv", ""] {
        sample::<InvoicePrefix>(&mut checks, json!(v));
    }
    for v in ["T8700110005901", "T7000012050002", "8700110005901", "T870011000590", "T87001100059012", "t8700110005901", "T870011000590X"] {
        sample::<RegistrationNumber>(&mut checks, json!(v));
    }
    for v in ["690-0887", "6900887", "690-088", "69a-0887", "690ー0887", "690-08870"] {
        sample::<PostalCode>(&mut checks, json!(v));
    }
    for v in ["a1b2c3d4e5", "", "a-b", &"a".repeat(129)] {
        sample::<ApiKeyId>(&mut checks, json!(v));
    }
    for v in ["5f0c6d1e-8a4b-4f6e-9c1d-2b3a4c5d6e7f", "", "a b", "é", &"a".repeat(256)] {
        sample::<IdempotencyKey>(&mut checks, json!(v));
    }
    for v in [json!(0), json!(-999_999_999_999_i64), json!(999_999_999_999_i64), json!(1_000_000_000_000_i64), json!(1.5), json!("100")] {
        sample::<Yen>(&mut checks, v);
    }
    // An ARN is shown normalised: the schema is of that form, which parsing leaves as it is.
    for v in [
        "arn:aws:iam::123456789012:user/x",
        "arn:aws:iam::123456789012:role/redmine",
        "arn:aws:sts::123456789012:assumed-role/r/s",
        "arn:aws:iam::12345678901:user/x",
    ] {
        let normalised = PrincipalArn::parse(v).is_ok_and(|a| a.as_str() == v);
        checks.push(
            json!({ "name": format!("PrincipalArn {v}"), "schema": { "$ref": "#/components/schemas/PrincipalArn" }, "instance": v, "valid": normalised }),
        );
        if let Ok(arn) = PrincipalArn::parse(v) {
            let id = arn.id();
            checks.push(json!({ "name": "PrincipalId", "schema": { "$ref": "#/components/schemas/PrincipalId" }, "instance": id.as_str(), "valid": PrincipalId::parse(id.as_str()).is_ok() }));
        }
    }
    let (ok, output) = python(VALIDATE, &json!({ "document": document(), "checks": checks }));
    assert!(ok, "schemas and parsing disagree:\n{output}");
}

/// One check of `VALIDATE`: `instance` against `schema`, which the code takes when `valid`.
fn check(checks: &mut Vec<Value>, name: &str, schema: Value, instance: &str, valid: bool, exact: bool) {
    checks.push(json!({ "name": format!("{name} {instance:?}"), "schema": schema, "instance": instance, "valid": valid, "exact": exact }));
}

/// The schemas that restate rules of the code (free text, `If-Match`, a principal's ARN and
/// owner) never accept what the code refuses, and take what it takes but for the few values where
/// they are stricter on purpose (blanks and control characters around text, which `text` trims;
/// spaces and empty items around `If-Match`'s tags; an ARN's path outside printable ASCII).
#[test]
fn schemas_restating_the_code_are_no_looser_than_it() {
    use common::store::PrincipalArn;
    use common::validation::text;
    let doc = document();
    let mut checks = Vec::new();
    // (kind, lines): the character bound is the schema's own `maxLength`.
    for (kind, lines) in [("Name", 1), ("Address", 1), ("LineDescription", 1), ("Notes", 20), ("BankDetails", 4), ("VoidReason", 10)] {
        let schema = json!({ "$ref": format!("#/components/schemas/{kind}") });
        let max = doc["components"]["schemas"][kind]["maxLength"].as_u64().and_then(|m| usize::try_from(m).ok()).expect("maxLength");
        let many = |n: usize, sep: &str| vec!["行"; n].join(sep);
        let samples: Vec<(String, bool)> = [
            ("a", true),
            ("株式会社しまね商事 御中", true),
            (" a ", true),
            ("\u{3000}全角の空白で始まる", true),
            ("\u{feff}a", true),
            ("\u{200b}", true),
            ("", true),
            (" ", true),
            ("\u{3000}", true),
            ("\u{a0}\u{2003}", true),
            ("a\u{0}b", true),
            ("a\u{1b}b", true),
            ("a\u{7f}b", true),
            ("a\u{85}b", true),
            ("a\u{9f}b", true),
            ("a\tb", true),
            ("a\nb", true),
            ("a\r\nb", true),
            ("a\rb", true),
            ("\ta", false),
            ("a\n", false),
            ("\na", false),
            ("\u{85}a", false),
        ]
        .into_iter()
        .map(|(s, exact)| (s.to_owned(), exact))
        .chain([
            ("x".repeat(max), true),
            ("x".repeat(max + 1), true),
            ("字".repeat(max), true),
            (many(lines, "\n"), true),
            (many(lines + 1, "\n"), true),
            (many(lines, "\r\n"), true),
            (many(lines + 1, "\r"), true),
            (format!("{}\n", many(lines, "\n")), false),
        ])
        .collect();
        for (sample, exact) in samples {
            let valid = text(&sample, max, lines).is_ok();
            check(&mut checks, kind, schema.clone(), &sample, valid, exact);
        }
    }

    let ops = operations(&doc);
    for id in ["update-tenant", "put-contract"] {
        let (_, op) = by_id(&ops, id).expect("the operation");
        let schema = op["parameters"].as_array().into_iter().flatten().find(|p| p["name"] == "If-Match").expect("If-Match")["schema"].clone();
        for (value, exact) in [
            ("*", true),
            ("\"3\"", true),
            ("W/\"3\"", true),
            ("\"\"", true),
            ("\"1\", \"2\"", true),
            ("\"1\",\"2\",W/\"x-y_z\"", true),
            ("3", true),
            ("\"3", true),
            ("\"a\"b\"", true),
            ("\"a,b\"", true),
            ("*, \"1\"", true),
            ("**", true),
            ("w/\"3\"", true),
            ("\"a b\"", false),
            (" \"3\" ", false),
            (",\"1\",", false),
        ] {
            let request = http::Request::builder().header("if-match", value).body(lambda_http::Body::Empty).expect("a request");
            let valid = common::http::if_match(&request).is_ok_and(|m| m.is_some());
            check(&mut checks, &format!("{id} If-Match"), schema.clone(), value, valid, exact);
        }
    }

    let arn = json!({ "$ref": "#/components/schemas/NewPrincipal/oneOf/0/properties/arn" });
    for (value, exact) in [
        ("arn:aws:iam::123456789012:user/keiri", true),
        ("arn:aws:iam::123456789012:role/redmine-shimane", true),
        ("arn:aws:iam::123456789012:role/service-role/path/r+=,.@_-", true),
        ("arn:aws-cn:iam::123456789012:user/x", true),
        ("arn:aws:sts::123456789012:assumed-role/redmine/session-1", true),
        ("arn:aws:iam::12345678901:user/x", true),
        ("arn:aws:iam:ap-northeast-1:123456789012:user/x", true),
        ("arn:aws:sts::123456789012:assumed-role/redmine", true),
        ("arn:aws:sts::123456789012:assumed-role/r/s/t", true),
        ("arn:aws:iam::123456789012:group/g", true),
        ("arn:aws:iam::123456789012:user/", true),
        ("arn:aws:iam::123456789012:user/a b", true),
        ("arn:AWS:iam::123456789012:user/x", true),
        ("arn:aws:s3:::bucket", true),
        ("", true),
        ("arn:aws:iam::123456789012:role/パス/r", false),
    ]
    .into_iter()
    .map(|(v, exact)| (v.to_owned(), exact))
    .chain([(format!("arn:aws:iam::123456789012:user/{}", "a".repeat(128)), true), (format!("arn:aws:iam::123456789012:user/{}", "a".repeat(129)), true)])
    {
        let valid = PrincipalArn::parse(&value).is_ok();
        check(&mut checks, "NewPrincipal.arn", arn.clone(), &value, valid, exact);
    }
    // A tenant's principal names its tenant, the operator's none (`principals::validate`).
    let principal = json!({ "$ref": "#/components/schemas/NewPrincipal" });
    let role_arn = "arn:aws:iam::123456789012:role/redmine";
    for (body, valid) in [
        (json!({ "arn": role_arn, "role": "tenant", "tenantId": "tn_0123456789abcdef" }), true),
        (json!({ "arn": role_arn, "role": "operator" }), true),
        (json!({ "arn": role_arn, "role": "operator", "accessKey": false }), true),
        (json!({ "arn": role_arn, "role": "tenant" }), false),
        (json!({ "arn": role_arn, "role": "operator", "tenantId": "tn_0123456789abcdef" }), false),
        (json!({ "arn": role_arn, "role": "admin" }), false),
        (json!({ "arn": role_arn, "role": "tenant", "tenantId": "tn_0123456789abcdef", "extra": 1 }), false),
    ] {
        checks.push(json!({ "name": format!("NewPrincipal {body}"), "schema": principal, "instance": body, "valid": valid }));
    }
    let (ok, output) = python(VALIDATE, &json!({ "document": doc, "checks": checks }));
    assert!(ok, "schemas and the code disagree:\n{output}");
}

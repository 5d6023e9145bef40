//! The stack around the routes (infra/template.yaml): least privilege, logs with retention,
//! access logs, API Gateway's own answers, alarms, and what outlives the stack.

use std::collections::{BTreeMap, BTreeSet};

use local_gateway::Access;
use local_gateway::answers::Refusal;
use serde_norway::Value;

use super::template::{WORKERS, actions, allowed_actions, functions, ref_to, root, statements_of, template};

/// Every statement the template writes in a permissions policy (not trust policies): managed
/// policies, roles' inline policies, functions' inline statements, the bucket policy.
fn all_statements(t: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (name, r) in t["Resources"].as_mapping().expect("Resources") {
        let name = name.as_str().unwrap_or_default();
        let p = &r["Properties"];
        let documents: Vec<&Value> = match r["Type"].as_str() {
            Some("AWS::IAM::ManagedPolicy" | "AWS::S3::BucketPolicy") => vec![&p["PolicyDocument"]],
            Some("AWS::IAM::Role") => p["Policies"].as_sequence().map(|s| s.iter().map(|p| &p["PolicyDocument"]).collect()).unwrap_or_default(),
            Some("AWS::Serverless::Function") => {
                p["Policies"].as_sequence().map(|s| s.iter().filter(|p| p.get("Statement").is_some()).collect()).unwrap_or_default()
            }
            _ => vec![],
        };
        for d in documents {
            for s in d["Statement"].as_sequence().unwrap_or_else(|| panic!("{name}: a policy document without statements")) {
                out.push((name.to_owned(), s));
            }
        }
    }
    assert!(out.len() > 10, "{} statements", out.len());
    out
}

/// A statement's `Resource`, one or a list.
fn resources(statement: &Value) -> Vec<&Value> {
    match &statement["Resource"] {
        Value::Sequence(s) => s.iter().collect(),
        Value::Null => vec![],
        r => vec![r],
    }
}

/// Actions AWS authorises only on `"*"`, which a statement here may allow on `"*"`. None so far:
/// the ones the functions need (X-Ray's PutTraceSegments, CloudWatch Logs' writes) come with the
/// AWS-managed policies SAM attaches to every function role (AWSXrayWriteOnlyAccess,
/// AWSLambdaBasicExecutionRole), which are not written here.
const ONLY_ON_EVERY_RESOURCE: &[&str] = &[];

#[test]
fn allowed_actions_are_named_and_scoped() {
    let t = template();
    for (name, s) in all_statements(&t) {
        assert!(s.get("NotAction").is_none() && s.get("NotResource").is_none(), "{name}: NotAction/NotResource allow too much: {s:?}");
        if s["Effect"].as_str() != Some("Allow") {
            // The bucket's Deny of s3:* without TLS is meant to cover everything.
            assert_eq!(s["Effect"].as_str(), Some("Deny"), "{name}: {s:?}");
            continue;
        }
        let acts = actions(s);
        assert!(!acts.is_empty(), "{name}: {s:?}");
        for a in &acts {
            assert!(!a.contains('*'), "{name}: allows the wildcard action {a}");
            assert!(a.split_once(':').is_some_and(|(service, op)| !service.is_empty() && !op.is_empty()), "{name}: {a} is not service:Action");
        }
        let res = resources(s);
        assert!(!res.is_empty(), "{name}: an Allow without a Resource: {s:?}");
        for r in res {
            let text = r.as_str().unwrap_or_else(|| panic!("{name}: a resource that is not a string, !Sub or !GetAtt: {r:?}"));
            if text == "*" {
                assert!(acts.iter().all(|a| ONLY_ON_EVERY_RESOURCE.contains(a)), "{name}: {acts:?} allowed on every resource");
            }
        }
    }
}

#[test]
fn no_function_can_scan() {
    let t = template();
    let fns = functions(&t);
    assert_eq!(fns.len(), local_gateway::ROUTES.len() + WORKERS.len());
    for (name, _) in fns {
        // statements_of refuses SAM's policy templates and AWS-managed policies, whose actions
        // (DynamoDBReadPolicy's Scan among them) this could not see.
        let allowed = allowed_actions(&t, &name);
        assert!(!allowed.contains("dynamodb:Scan"), "{name} may Scan");
        assert!(!allowed.iter().any(|a| a.starts_with("dynamodb:") && a.contains("Table")), "{name}: table management {allowed:?}");
    }
}

/// The route a function serves, if any.
fn route_of(binary: &str) -> Option<&'static local_gateway::Route> {
    local_gateway::ROUTES.iter().find(|r| r.function == binary)
}

const TABLE_WRITES: [&str; 5] = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"];
const KEY_WRITES: [&str; 4] = ["apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"];

/// Whether a statement only adds to the metering counters: UpdateItem, limited to their
/// attributes.
fn meters_only(s: &Value) -> bool {
    actions(s) == ["dynamodb:UpdateItem"] && s["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"].as_sequence().is_some()
}

/// What a function may change: table, bucket, queue or API keys; the metering counters left out.
fn writes(t: &Value, function: &str) -> BTreeSet<String> {
    statements_of(t, function)
        .into_iter()
        .filter(|s| s["Effect"].as_str() == Some("Allow") && !meters_only(s))
        .flat_map(actions)
        .filter(|a| TABLE_WRITES.contains(a) || KEY_WRITES.contains(a) || ["s3:PutObject", "s3:DeleteObject", "sqs:SendMessage"].contains(a))
        .map(str::to_owned)
        .collect()
}

/// A route a tenant can call (the README's "who") reads, and adds to its metering counters; it
/// never scans, and never touches API keys beyond reading its plan's usage.
#[test]
fn tenant_routes_cannot_scan_or_touch_api_keys() {
    let t = template();
    let mut checked = 0;
    for (name, binary) in functions(&t) {
        let Some(route) = route_of(&binary) else { continue };
        if route.access == Access::Operator {
            continue;
        }
        let allowed = allowed_actions(&t, &name);
        assert!(!allowed.contains("dynamodb:Scan"), "{name} ({:?}) may Scan", route.access);
        assert!(!allowed.iter().any(|a| KEY_WRITES.contains(&a.as_str())), "{name} ({:?}) may change API keys: {allowed:?}", route.access);
        assert_eq!(writes(&t, &name), BTreeSet::new(), "{name} ({:?}) may write", route.access);
        checked += 1;
    }
    assert_eq!(checked, local_gateway::ROUTES.iter().filter(|r| r.access != Access::Operator).count());
}

/// GET routes (the operator's too) write nothing but their metering counters; the others write.
#[test]
fn read_routes_get_read_only_access() {
    let t = template();
    for (name, binary) in functions(&t) {
        let Some(route) = route_of(&binary) else { continue };
        let w = writes(&t, &name);
        if route.method == http::Method::GET {
            assert!(w.is_empty(), "{name} (GET {}) may write: {w:?}", route.path);
            // The tenants' downloads and exports count the bytes they stream.
            let source = std::fs::read_to_string(root().join("functions").join(&binary).join("src/lib.rs")).expect("lib.rs");
            let meters = statements_of(&t, &name).into_iter().any(meters_only);
            assert_eq!(meters, source.contains("metered_stream"), "{name}: the metering counters exactly where the route meters");
        } else {
            assert!(!w.is_empty(), "{name} ({} {}) writes nothing: a read-only route that is not a GET?", route.method, route.path);
        }
    }
}

/// API Gateway keys are changed only by the operator's routes whose crate links the API Gateway
/// client (the "apigateway" feature).
#[test]
fn only_key_managing_routes_change_api_keys() {
    let t = template();
    let mut managing = BTreeSet::new();
    for (name, binary) in functions(&t) {
        if !allowed_actions(&t, &name).iter().any(|a| KEY_WRITES.contains(&a.as_str())) {
            continue;
        }
        // The repair sweep brings drifted keys in line and deletes keys no tenant holds.
        if binary != "repair-sweep" {
            let route = route_of(&binary).unwrap_or_else(|| panic!("{name}: a worker with API key access"));
            assert_eq!(route.access, Access::Operator, "{name}");
        }
        let manifest = std::fs::read_to_string(root().join("functions").join(&binary).join("Cargo.toml")).expect("Cargo.toml");
        assert!(manifest.lines().any(|l| l.starts_with("seikyu-common") && l.contains("\"apigateway\"")), "{name}");
        managing.insert(binary);
    }
    assert_eq!(managing, BTreeSet::from(["create-tenant", "update-tenant", "rotate-api-key", "repair-sweep"].map(String::from)));
}

/// The metering policy allows exactly the attributes the metering UpdateItem writes (and the key).
#[test]
fn the_metering_policy_names_the_counters_attributes() {
    let t = template();
    let statements = t["Resources"]["MeteringCountersAccess"]["Properties"]["PolicyDocument"]["Statement"].as_sequence().expect("MeteringCountersAccess");
    assert_eq!(statements.len(), 1);
    let in_policy: BTreeSet<&str> =
        statements[0]["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"].as_sequence().unwrap().iter().filter_map(Value::as_str).collect();
    let code = std::fs::read_to_string(root().join("common/src/store/aws/metering.rs")).expect("metering.rs");
    let expression = code.split(".update_expression(\"").nth(1).and_then(|s| s.split('"').next()).expect("the metering update expression");
    let mut in_code: BTreeSet<&str> =
        expression.split([' ', ',', '=']).filter(|w| !w.is_empty() && !w.starts_with(':') && !["SET", "ADD"].contains(w)).collect();
    in_code.extend(["PK", "SK"]);
    assert_eq!(in_policy, in_code, "update expression: {expression}");
}

/// Issued PDFs (tenants/<id>/invoices/) can be read and stored, never deleted; uploads
/// (tenants/<id>/uploads/, and archives to restore under restores/) are deleted once checked.
#[test]
fn no_function_can_delete_an_issued_pdf() {
    let t = template();
    for (name, s) in all_statements(&t) {
        if s["Effect"].as_str() != Some("Allow") {
            continue;
        }
        for a in actions(s) {
            if a.starts_with("s3:") && a != "s3:ListBucket" {
                for r in resources(s) {
                    let r = r.as_str().unwrap_or_default();
                    let staged = r.ends_with("/tenants/*/uploads/*") || r.ends_with("/restores/*");
                    assert!(r.ends_with("/tenants/*/invoices/*") || staged, "{name}: {a} on {r}");
                    assert!(!(a == "s3:DeleteObject" && r.contains("/invoices/")), "{name} may delete issued PDFs");
                }
            }
        }
    }
}

/// IAM attaches at most 10 managed policies to a role unless the quota is raised; SAM adds two
/// to each function (basic execution, and X-Ray for `Tracing: Active`).
#[test]
fn function_roles_stay_within_the_managed_policy_quota() {
    let t = template();
    for (name, _) in functions(&t) {
        let n = t["Resources"][name.as_str()]["Properties"]["Policies"].as_sequence().map_or(0, |s| s.len());
        assert!(n + 2 <= 10, "{name}: {n} policies");
    }
}

/// The AWS::Logs::LogGroup `v` (a `!Ref` or `!GetAtt X.Arn`) names, with retention set.
fn retained_group<'a>(t: &'a Value, v: &Value) -> &'a str {
    let name = match v {
        Value::Tagged(g) if g.tag == "GetAtt" => g.value.as_str().and_then(|s| s.strip_suffix(".Arn")),
        _ => ref_to(v),
    }
    .unwrap_or_else(|| panic!("{v:?} names no resource"));
    let (key, group) = t["Resources"].as_mapping().unwrap().iter().find(|(k, _)| k.as_str() == Some(name)).expect("the log group");
    assert_eq!(group["Type"].as_str(), Some("AWS::Logs::LogGroup"), "{name}");
    assert_eq!(ref_to(&group["Properties"]["RetentionInDays"]), Some("LogRetentionDays"), "{name}");
    key.as_str().unwrap()
}

#[test]
fn every_function_logs_to_a_group_with_retention() {
    let t = template();
    let global = &t["Globals"]["Function"]["LoggingConfig"];
    assert_eq!(global["LogFormat"].as_str(), Some("JSON"));
    assert_eq!(retained_group(&t, &global["LogGroup"]), "FunctionLogGroup");
    for (name, _) in functions(&t) {
        let own = &t["Resources"][name.as_str()]["Properties"]["LoggingConfig"]["LogGroup"];
        if !own.is_null() {
            retained_group(&t, own);
        }
    }
    let retention = &t["Parameters"]["LogRetentionDays"];
    let allowed: Vec<u64> = retention["AllowedValues"].as_sequence().unwrap().iter().filter_map(Value::as_u64).collect();
    assert_eq!(retention["Default"].as_u64(), Some(90));
    assert!(allowed.contains(&90) && allowed.contains(&3653) && allowed.windows(2).all(|w| w[0] < w[1]), "{allowed:?}");
    // Every log group keeps logs for that long; API Gateway's execution logs, which would go to a
    // group nobody set retention on, stay off.
    for (name, r) in t["Resources"].as_mapping().unwrap() {
        if r["Type"].as_str() == Some("AWS::Logs::LogGroup") {
            assert_eq!(ref_to(&r["Properties"]["RetentionInDays"]), Some("LogRetentionDays"), "{name:?}");
        }
    }
    let method_settings = &t["Resources"]["Api"]["Properties"]["MethodSettings"];
    for m in method_settings.as_sequence().into_iter().flatten() {
        assert!(matches!(m["LoggingLevel"].as_str(), None | Some("OFF")), "{m:?}");
    }
}

#[test]
fn access_logs_name_the_request_the_principal_the_key_and_the_answer() {
    let t = template();
    let setting = &t["Resources"]["Api"]["Properties"]["AccessLogSetting"];
    assert_eq!(retained_group(&t, &setting["DestinationArn"]), "ApiAccessLogGroup");
    let format = setting["Format"].as_str().expect("Format");
    assert!(!format.contains('\n'), "one line per request");
    let fields: BTreeMap<String, String> = serde_json::from_str(format).expect("the access log format is a JSON object of strings");
    for (field, variable) in [
        ("requestId", "$context.requestId"),
        ("extendedRequestId", "$context.extendedRequestId"),
        ("ip", "$context.identity.sourceIp"),
        ("principal", "$context.identity.userArn"),
        ("caller", "$context.identity.caller"),
        ("apiKeyId", "$context.identity.apiKeyId"),
        ("httpMethod", "$context.httpMethod"),
        ("resourcePath", "$context.resourcePath"),
        ("status", "$context.status"),
        ("responseLength", "$context.responseLength"),
        ("responseLatency", "$context.responseLatency"),
        ("integrationLatency", "$context.integrationLatency"),
        ("errorMessage", "$context.error.message"),
    ] {
        assert_eq!(fields.get(field).map(String::as_str), Some(variable), "{field}");
    }
}

/// The gateway response type API Gateway answers each of the local gateway's refusals with. A
/// match without a catch-all: a refusal added to the local gateway must be placed here.
fn response_type(r: &Refusal) -> &'static str {
    match r {
        Refusal::MissingAuthenticationToken => "MISSING_AUTHENTICATION_TOKEN",
        Refusal::InvalidSignature(_) => "INVALID_SIGNATURE",
        Refusal::Forbidden => "INVALID_API_KEY",
        Refusal::AccessDenied { .. } => "ACCESS_DENIED",
        Refusal::TooManyRequests => "THROTTLED",
        Refusal::LimitExceeded => "QUOTA_EXCEEDED",
        Refusal::TooLarge => "REQUEST_TOO_LARGE",
        // AWS documents no response type of their own for these two: the 4xx catch-all.
        Refusal::IncompleteSignature(_) | Refusal::InvalidToken => "DEFAULT_4XX",
    }
}

/// The body a gateway response's JSON template gives for `message`.
fn rendered(template: &str, message: &str) -> serde_json::Value {
    let text = template.replace("$context.error.messageString", &serde_json::to_string(message).unwrap());
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{template}: {e}"))
}

/// API Gateway's own refusals keep the status and `{"message": ...}` body the README documents
/// and the local gateway answers, whatever AWS's defaults become.
#[test]
fn gateway_responses_keep_the_local_gateways_answers() {
    let t = template();
    let responses = t["Resources"]["Api"]["Properties"]["GatewayResponses"].as_mapping().expect("GatewayResponses");
    let refusals = [
        Refusal::MissingAuthenticationToken,
        Refusal::IncompleteSignature("Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 Credential=x".into()),
        Refusal::InvalidToken,
        Refusal::InvalidSignature("Signature expired: 20250101T000000Z is now earlier than 20250101T000500Z (20250101T001000Z - 5 min.)".into()),
        Refusal::Forbidden,
        Refusal::TooLarge,
        Refusal::TooManyRequests,
        Refusal::LimitExceeded,
        Refusal::AccessDenied {
            user: "arn:aws:iam::123456789012:user/x".into(),
            resource: "arn:aws:execute-api:ap-northeast-1:********7890:a/v1/GET/v1/issuer".into(),
        },
    ];
    for r in &refusals {
        let kind = response_type(r);
        let response = responses.get(kind).unwrap_or_else(|| panic!("{kind} not declared ({r:?})"));
        let local: serde_json::Value = serde_json::from_str(&r.body()).unwrap();
        let (_, message) = local.as_object().unwrap().iter().next().unwrap();
        let templates = response["ResponseTemplates"].as_mapping().expect("ResponseTemplates");
        assert_eq!(templates.len(), 1, "{kind}: JSON only");
        let template = response["ResponseTemplates"]["application/json"].as_str().unwrap_or_else(|| panic!("{kind}: no application/json template"));
        assert_eq!(rendered(template, message.as_str().unwrap()), local, "{kind}");
        match response["StatusCode"].as_str() {
            Some(code) => assert_eq!(code, r.status().as_str(), "{kind}"),
            // The catch-all keeps the status AWS chose, as the local gateway imitates it.
            None => assert!(kind.starts_with("DEFAULT_") && r.status().is_client_error(), "{kind} declares no status"),
        }
    }
    // A broken integration: the local gateway's 502 (server.rs) and API Gateway's, as JSON.
    let server = std::fs::read_to_string(root().join("infra/local-gateway/src/server.rs")).unwrap();
    assert!(server.contains(r#"{"message": "Internal server error"}"#));
    let default_5xx = responses.get("DEFAULT_5XX").expect("DEFAULT_5XX")["ResponseTemplates"]["application/json"].as_str().unwrap();
    assert_eq!(rendered(default_5xx, "Internal server error"), serde_json::json!({"message": "Internal server error"}));
    for kind in ["EXPIRED_TOKEN", "INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT"] {
        let template = responses.get(kind).unwrap_or_else(|| panic!("{kind}"))["ResponseTemplates"]["application/json"].as_str().unwrap();
        assert_eq!(rendered(template, "m"), serde_json::json!({"message": "m"}), "{kind}");
    }
    // Every declared response is JSON with one message key.
    for (kind, response) in responses {
        let template = response["ResponseTemplates"]["application/json"].as_str().unwrap_or_else(|| panic!("{kind:?}"));
        assert_eq!(rendered(template, "m").as_object().map(|o| o.len()), Some(1), "{kind:?}");
    }
}

/// A `Fn::ForEach::<name>` loop of `Resources`: its identifier, collection and body.
fn for_each<'a>(t: &'a Value, name: &str) -> (&'a str, Vec<&'a str>, &'a Value) {
    let looped = t["Resources"].get(format!("Fn::ForEach::{name}")).unwrap_or_else(|| panic!("Fn::ForEach::{name}"));
    let parts = looped.as_sequence().expect("[identifier, collection, body]");
    assert_eq!(parts.len(), 3);
    let collection = parts[1].as_sequence().expect("a literal collection").iter().map(|v| v.as_str().unwrap()).collect();
    (parts[0].as_str().unwrap(), collection, &parts[2])
}

/// Every alarm of the template, loop bodies included (one per loop, not per name).
fn alarms(t: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (name, r) in t["Resources"].as_mapping().unwrap() {
        let name = name.as_str().unwrap().to_owned();
        if r["Type"].as_str() == Some("AWS::CloudWatch::Alarm") {
            out.push((name, r));
        } else if let Some(parts) = r.as_sequence() {
            for (k, body) in parts[2].as_mapping().unwrap() {
                assert_eq!(body["Type"].as_str(), Some("AWS::CloudWatch::Alarm"), "{name}: {k:?}");
                out.push((format!("{name}/{}", k.as_str().unwrap()), body));
            }
        }
    }
    out
}

#[test]
fn every_alarm_notifies_the_topic() {
    let t = template();
    assert_eq!(t["Resources"]["AlarmTopic"]["Type"].as_str(), Some("AWS::SNS::Topic"));
    let all = alarms(&t);
    assert!(all.len() >= 8, "{}", all.len());
    for (name, a) in all {
        let actions = a["Properties"]["AlarmActions"].as_sequence().unwrap_or_else(|| panic!("{name}: no AlarmActions"));
        assert!(actions.iter().any(|v| ref_to(v) == Some("AlarmTopic")), "{name}");
        assert!(a["Properties"]["TreatMissingData"].as_str().is_some(), "{name}: say what no data means");
    }
    // An email subscription only when an address is given.
    let sub = &t["Resources"]["AlarmEmailSubscription"];
    assert_eq!(sub["Condition"].as_str(), Some("HasAlarmEmail"));
    assert_eq!(ref_to(&sub["Properties"]["Endpoint"]), Some("AlarmEmail"));
    assert_eq!(t["Parameters"]["AlarmEmail"]["Default"].as_str(), Some(""));
    assert!(!t["Conditions"]["HasAlarmEmail"].is_null());
    // The dead-letter queue's alarm is among them.
    assert_eq!(ref_to(&t["Resources"]["RunDeadLettersAlarm"]["Properties"]["AlarmActions"][0]), Some("AlarmTopic"));
}

/// The loop body's alarm on `metric`, checked to watch the looped function.
fn function_alarm<'a>(ident: &str, body: &'a Value, metric: &str) -> &'a Value {
    let (_, a) = body.as_mapping().unwrap().iter().find(|(_, a)| a["Properties"]["MetricName"].as_str() == Some(metric)).unwrap_or_else(|| panic!("{metric}"));
    let p = &a["Properties"];
    assert_eq!(p["Namespace"].as_str(), Some("AWS/Lambda"));
    let dimension = &p["Dimensions"][0];
    assert_eq!(dimension["Name"].as_str(), Some("FunctionName"));
    // {Ref: !Sub "${Name}Function"}: the function's physical name.
    let target = dimension["Value"].get("Ref").and_then(|v| match v {
        Value::Tagged(s) if s.tag == "Sub" => s.value.as_str(),
        _ => None,
    });
    assert_eq!(target, Some(format!("${{{ident}}}Function").as_str()), "{metric}");
    p
}

/// Each function has alarms on its errors, throttles and p99 duration, the loops naming exactly
/// the template's functions; streaming routes are judged against the slow threshold.
#[test]
fn every_function_has_error_throttle_and_latency_alarms() {
    let t = template();
    let fns: BTreeSet<String> = functions(&t).into_iter().map(|(name, _)| name).collect();
    let named = |c: &[&str]| -> BTreeSet<String> { c.iter().map(|n| format!("{n}Function")).collect() };

    let (ident, every, body) = for_each(&t, "FunctionAlarms");
    assert_eq!(named(&every), fns, "Fn::ForEach::FunctionAlarms names every function");
    assert_eq!(every.len(), named(&every).len(), "no function twice");
    assert_eq!(ref_to(&function_alarm(ident, body, "Errors")["Threshold"]), Some("FunctionErrorsThreshold"));
    assert_eq!(ref_to(&function_alarm(ident, body, "Throttles")["Threshold"]), Some("FunctionThrottlesThreshold"));

    let (fast_ident, fast, fast_body) = for_each(&t, "RouteLatencyAlarms");
    let (slow_ident, slow, slow_body) = for_each(&t, "SlowRouteLatencyAlarms");
    for (ident, body, threshold) in [(fast_ident, fast_body, "RouteP99LatencyMs"), (slow_ident, slow_body, "SlowRouteP99LatencyMs")] {
        let p = function_alarm(ident, body, "Duration");
        assert_eq!(p["ExtendedStatistic"].as_str(), Some("p99"));
        assert_eq!(ref_to(&p["Threshold"]), Some(threshold));
    }
    assert!(named(&fast).is_disjoint(&named(&slow)));
    let routes: BTreeSet<String> = functions(&t).into_iter().filter(|(_, b)| !WORKERS.contains(&b.as_str())).map(|(name, _)| name).collect();
    assert_eq!(named(&fast).union(&named(&slow)).cloned().collect::<BTreeSet<_>>(), routes, "one latency alarm per route");
    for (name, binary) in functions(&t) {
        if route_of(&binary).is_some_and(|r| r.streams()) {
            assert!(named(&slow).contains(&name), "{name} streams: its duration is the whole download");
        }
    }
    let worker = &t["Resources"]["RunWorkerLatencyAlarm"]["Properties"];
    assert_eq!(ref_to(&worker["Dimensions"][0]["Value"]), Some("RunWorkerFunction"));
    assert_eq!(worker["ExtendedStatistic"].as_str(), Some("p99"));
}

/// The API's 5xx rate, and a sustained 4xx rate (throttling's 429s among them), on the API and
/// stage the template deploys.
#[test]
fn api_alarms_watch_the_5xx_and_4xx_rates() {
    let t = template();
    assert_eq!(ref_to(&t["Resources"]["Api"]["Properties"]["Name"]), Some("AWS::StackName"));
    let on_this_api = |dims: &Value| {
        let d = dims.as_sequence().expect("Dimensions");
        d.iter().any(|d| d["Name"].as_str() == Some("ApiName") && ref_to(&d["Value"]) == Some("AWS::StackName"))
            && d.iter().any(|d| d["Name"].as_str() == Some("Stage") && ref_to(&d["Value"]) == Some("StageName"))
    };
    let five = &t["Resources"]["Api5xxAlarm"]["Properties"];
    assert_eq!(
        (five["Namespace"].as_str(), five["MetricName"].as_str(), five["Statistic"].as_str()),
        (Some("AWS/ApiGateway"), Some("5XXError"), Some("Average"))
    );
    assert!(on_this_api(&five["Dimensions"]));
    assert_eq!(ref_to(&five["Threshold"]), Some("Api5xxRateThreshold"));

    let four = &t["Resources"]["Api4xxAlarm"]["Properties"];
    let metrics = four["Metrics"].as_sequence().expect("Metrics");
    let stat = |name: &str| metrics.iter().find(|m| m["MetricStat"]["Metric"]["MetricName"].as_str() == Some(name)).unwrap_or_else(|| panic!("{name}"));
    for name in ["4XXError", "Count"] {
        assert!(on_this_api(&stat(name)["MetricStat"]["Metric"]["Dimensions"]), "{name}");
    }
    let returned: Vec<&Value> = metrics.iter().filter(|m| m["ReturnData"].as_bool() == Some(true)).collect();
    assert_eq!(returned.len(), 1);
    let expression = returned[0]["Expression"].as_str().expect("a rate expression");
    assert!(expression.contains(&format!("{} / {}", stat("4XXError")["Id"].as_str().unwrap(), stat("Count")["Id"].as_str().unwrap())), "{expression}");
    assert_eq!(ref_to(&four["Threshold"]), Some("Api4xxRateThreshold"));
    assert!(four["EvaluationPeriods"].as_u64() >= Some(3), "a spike is sustained");
}

#[test]
fn the_bucket_refuses_requests_without_tls() {
    let t = template();
    let policy = &t["Resources"]["BucketPolicy"];
    assert_eq!(policy["Type"].as_str(), Some("AWS::S3::BucketPolicy"));
    assert_eq!(ref_to(&policy["Properties"]["Bucket"]), Some("Bucket"));
    let statements = policy["Properties"]["PolicyDocument"]["Statement"].as_sequence().unwrap();
    let deny = statements.iter().find(|s| s["Condition"]["Bool"]["aws:SecureTransport"].as_str() == Some("false")).expect("a SecureTransport condition");
    assert_eq!(deny["Effect"].as_str(), Some("Deny"));
    assert_eq!(deny["Principal"].as_str(), Some("*"));
    assert_eq!(actions(deny), ["s3:*"]);
    let covered: BTreeSet<&str> = resources(deny).iter().filter_map(|r| r.as_str()).collect();
    assert_eq!(covered, BTreeSet::from(["Bucket.Arn", "${Bucket.Arn}/*"]), "the bucket and every object");
    assert!(statements.iter().all(|s| s["Effect"].as_str() == Some("Deny")), "the bucket policy only refuses");
}

/// Invoices must be kept: the table and the bucket survive deleting the stack, or a change that
/// would replace them, and the table cannot be deleted by mistake.
#[test]
fn the_table_and_the_bucket_outlive_the_stack() {
    let t = template();
    for name in ["Table", "Bucket"] {
        let r = &t["Resources"][name];
        assert_eq!(r["DeletionPolicy"].as_str(), Some("Retain"), "{name}");
        assert_eq!(r["UpdateReplacePolicy"].as_str(), Some("Retain"), "{name}");
    }
    assert_eq!(t["Resources"]["Table"]["Properties"]["DeletionProtectionEnabled"].as_bool(), Some(true));
}

/// The account's CloudWatch role for API Gateway is made only when asked (an account may have
/// one), and the stage waits for it when it is.
#[test]
fn the_api_gateway_logging_role_is_optional() {
    let t = template();
    let condition = "CreatesApiGatewayLoggingRole";
    assert!(!t["Conditions"][condition].is_null());
    let allowed: Vec<&str> = t["Parameters"]["CreateApiGatewayLoggingRole"]["AllowedValues"].as_sequence().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(allowed, ["true", "false"]);
    for name in ["ApiGatewayLoggingRole", "ApiGatewayAccount"] {
        assert_eq!(t["Resources"][name]["Condition"].as_str(), Some(condition), "{name}");
    }
    let tag = &t["Resources"]["Api"]["Properties"]["Tags"]["seikyu:logging-role"];
    let waits = match tag {
        Value::Tagged(i) if i.tag == "If" => i.value[0].as_str() == Some(condition) && ref_to(&i.value[1]) == Some("ApiGatewayAccount"),
        _ => false,
    };
    assert!(waits, "the stage refers to ApiGatewayAccount when it is made: {tag:?}");
}

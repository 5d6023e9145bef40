//! The SAM template, the route table and `functions/` describe the same routes.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_norway::Value;

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The template as YAML: intrinsics stay tags (`!Ref X`), and `Fn::ForEach::…` loops stay
/// unexpanded entries of `Resources` (a sequence where a resource would be a mapping).
pub(crate) fn template() -> Value {
    let text = std::fs::read_to_string(root().join("infra/template.yaml")).expect("infra/template.yaml");
    serde_norway::from_str(&text).expect("the template is YAML")
}

/// The logical id `v` refers to: `!Ref X` or `{Ref: X}`.
pub(crate) fn ref_to(v: &Value) -> Option<&str> {
    match v {
        Value::Tagged(t) if t.tag == "Ref" => t.value.as_str(),
        Value::Mapping(m) if m.len() == 1 => m.get("Ref").and_then(Value::as_str),
        _ => None,
    }
}

/// The statements a function's role gets from its `Policies`: those of the template's managed
/// policies it names with `!Ref`, and inline ones. Anything else (a SAM policy template, an
/// AWS-managed policy) fails: its actions could not be checked here.
pub(crate) fn statements_of<'a>(t: &'a Value, function: &str) -> Vec<&'a Value> {
    let policies = t["Resources"][function]["Properties"]["Policies"].as_sequence().unwrap_or_else(|| panic!("{function} has no Policies"));
    let mut out = Vec::new();
    for p in policies {
        let document = match ref_to(p) {
            Some(name) => {
                let policy = &t["Resources"][name];
                assert_eq!(policy["Type"].as_str(), Some("AWS::IAM::ManagedPolicy"), "{function}: {name} is not one of the template's managed policies");
                &policy["Properties"]["PolicyDocument"]
            }
            None => {
                assert!(p.get("Statement").is_some(), "{function}: {p:?} is neither a managed policy of the template nor inline statements");
                p
            }
        };
        out.extend(document["Statement"].as_sequence().unwrap_or_else(|| panic!("{function}: a policy without statements")));
    }
    out
}

/// A statement's `Action`, one or a list.
pub(crate) fn actions(statement: &Value) -> Vec<&str> {
    match &statement["Action"] {
        Value::Sequence(s) => s.iter().map(|a| a.as_str().expect("an action is a string")).collect(),
        a => vec![a.as_str().expect("a statement names its actions")],
    }
}

/// Every action a function's policies allow.
pub(crate) fn allowed_actions(t: &Value, function: &str) -> BTreeSet<String> {
    statements_of(t, function).into_iter().filter(|s| s["Effect"].as_str() == Some("Allow")).flat_map(actions).map(str::to_owned).collect()
}

/// The functions of the template: logical id and binary (its crate under `functions/`).
pub(crate) fn functions(t: &Value) -> Vec<(String, String)> {
    let resources = t["Resources"].as_mapping().expect("Resources");
    resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(name, r)| {
            let name = name.as_str().expect("a logical id").to_owned();
            let binary = r["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap_or_else(|| panic!("{name} names no binary")).to_owned();
            (name, binary)
        })
        .collect()
}

#[test]
fn every_route_is_one_function_with_one_api_event() {
    let t = template();
    let mut in_template = BTreeSet::new();
    let resources = t["Resources"].as_mapping().expect("Resources");
    for (name, res) in resources {
        if res["Type"].as_str() != Some("AWS::Serverless::Function")
            || WORKERS.contains(&res["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap_or_default())
        {
            continue;
        }
        let binary = res["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap_or_else(|| panic!("{name:?} names no binary")).to_owned();
        let events = res["Properties"]["Events"].as_mapping().unwrap_or_else(|| panic!("{name:?} has no events"));
        assert_eq!(events.len(), 1, "{name:?}: one route per function");
        for (_, e) in events {
            assert_eq!(e["Type"].as_str(), Some("Api"), "{name:?}");
            let p = &e["Properties"];
            let streams = p["ResponseTransferMode"].as_str() == Some("RESPONSE_STREAM");
            in_template.insert((
                binary.clone(),
                p["Method"].as_str().unwrap_or_default().to_uppercase(),
                p["Path"].as_str().unwrap_or_default().to_owned(),
                streams,
            ));
        }
    }
    let in_code: BTreeSet<_> = local_gateway::ROUTES.iter().map(|r| (r.function.to_owned(), r.method.to_string(), r.path.to_owned(), r.streams())).collect();
    assert_eq!(in_template, in_code, "infra/template.yaml and the route table disagree");

    let crates: BTreeSet<String> =
        std::fs::read_dir(root().join("functions")).expect("functions/").filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    let routed: BTreeSet<String> = local_gateway::ROUTES.iter().map(|r| r.function.to_owned()).chain(WORKERS.iter().map(|w| (*w).to_owned())).collect();
    assert_eq!(crates, routed, "every crate in functions/ serves exactly one route, or is a queue worker");
}

/// Functions fed by a queue or a schedule, not a route.
pub(crate) const WORKERS: [&str; 2] = ["run-worker", "repair-sweep"];

/// The repair sweep runs on a schedule, one at a time, and may not scan (it lists the tenant
/// index and each tenant's partition).
#[test]
fn the_repair_sweep_runs_on_a_schedule() {
    let t = template();
    let sweep = &t["Resources"]["RepairSweepFunction"]["Properties"];
    let events = sweep["Events"].as_mapping().expect("events");
    assert_eq!(events.len(), 1);
    let (_, event) = events.iter().next().unwrap();
    assert_eq!(event["Type"].as_str(), Some("Schedule"));
    assert!(event["Properties"]["Schedule"].as_str().is_some_and(|s| s.starts_with("rate(") || s.starts_with("cron(")));
    assert_eq!(sweep["ReservedConcurrentExecutions"].as_u64(), Some(1));
    let allowed = allowed_actions(&t, "RepairSweepFunction");
    for needed in ["apigateway:GET", "apigateway:PATCH", "apigateway:DELETE", "s3:ListBucket", "s3:DeleteObject", "s3:PutObject", "sqs:SendMessage"] {
        assert!(allowed.contains(needed), "the sweep needs {needed}: {allowed:?}");
    }
}

/// The run worker as AWS advises for SQS event sources: partial batch failures, a visibility
/// timeout at least six times the function's timeout, a dead-letter queue with an alarm, and a cap
/// on concurrency so the invoice counter is not flooded. Its event source is written out (a SAM
/// `SQS` event would attach an AWS-managed policy reaching every queue of the account) and it
/// may receive from the run queue only.
#[test]
fn the_run_worker_drains_its_queue_safely() {
    let t = template();
    let worker = &t["Resources"]["RunWorkerFunction"]["Properties"];
    assert!(worker["Events"].is_null(), "the worker's event source is RunWorkerFunctionRuns, not a SAM event");
    let source = &t["Resources"]["RunWorkerFunctionRuns"];
    assert_eq!(source["Type"].as_str(), Some("AWS::Lambda::EventSourceMapping"));
    let source = &source["Properties"];
    assert_eq!(ref_to(&source["FunctionName"]), Some("RunWorkerFunction"));
    assert!(matches!(&source["EventSourceArn"], Value::Tagged(g) if g.tag == "GetAtt" && g.value.as_str() == Some("RunQueue.Arn")));
    assert_eq!(source["FunctionResponseTypes"][0].as_str(), Some("ReportBatchItemFailures"));
    assert_eq!(source["ScalingConfig"]["MaximumConcurrency"].as_u64(), worker["ReservedConcurrentExecutions"].as_u64());
    let receives: Vec<&Value> = statements_of(&t, "RunWorkerFunction").into_iter().filter(|s| actions(s).contains(&"sqs:ReceiveMessage")).collect();
    assert_eq!(receives.len(), 1);
    assert!(matches!(&receives[0]["Resource"], Value::Tagged(g) if g.tag == "GetAtt" && g.value.as_str() == Some("RunQueue.Arn")), "{receives:?}");
    let timeout = worker["Timeout"].as_u64().expect("worker timeout");
    let queue = &t["Resources"]["RunQueue"]["Properties"];
    assert!(queue["VisibilityTimeout"].as_u64().expect("visibility") >= 6 * timeout);
    assert!(queue["RedrivePolicy"]["maxReceiveCount"].as_u64().expect("redrive") > u64::from(common::service::runs::MAX_ATTEMPTS));
    assert!(worker["ReservedConcurrentExecutions"].as_u64().is_some_and(|c| (1..=10).contains(&c)));
    let alarm = &t["Resources"]["RunDeadLettersAlarm"]["Properties"];
    assert_eq!(alarm["MetricName"].as_str(), Some("ApproximateNumberOfMessagesVisible"));
}

#[test]
fn the_api_requires_sigv4_and_an_api_key_everywhere() {
    let t = template();
    let auth = &t["Resources"]["Api"]["Properties"]["Auth"];
    assert_eq!(auth["DefaultAuthorizer"].as_str(), Some("AWS_IAM"));
    assert_eq!(auth["ApiKeyRequired"].as_bool(), Some(true));
    assert_eq!(auth["InvokeRole"].as_str(), Some("NONE"));
    assert_eq!(t["Resources"]["Api"]["Properties"]["EndpointConfiguration"]["Type"].as_str(), Some("REGIONAL"));
}

/// The usage plans in the template are the ones the code (and the local gateway) enforce.
#[test]
fn usage_plans_match_the_code() {
    use common::domain::{PlanTier, QuotaPeriod, usage_plan};
    let t = template();
    for tier in PlanTier::ALL {
        let name = match tier {
            PlanTier::Basic => "BasicUsagePlan",
            PlanTier::Standard => "StandardUsagePlan",
            PlanTier::Premium => "PremiumUsagePlan",
        };
        let p = &t["Resources"][name];
        assert_eq!(p["Type"].as_str(), Some("AWS::ApiGateway::UsagePlan"), "{name}");
        let plan = usage_plan(tier);
        let props = &p["Properties"];
        assert_eq!(props["Throttle"]["RateLimit"].as_f64(), Some(plan.rate), "{name}");
        assert_eq!(props["Throttle"]["BurstLimit"].as_u64(), Some(u64::from(plan.burst)), "{name}");
        assert_eq!(props["Quota"]["Limit"].as_u64(), Some(plan.quota.limit), "{name}");
        let period = match plan.quota.period {
            QuotaPeriod::Day => "DAY",
            QuotaPeriod::Week => "WEEK",
            QuotaPeriod::Month => "MONTH",
        };
        assert_eq!(props["Quota"]["Period"].as_str(), Some(period), "{name}");
        let stages = props["ApiStages"].as_sequence().expect("ApiStages");
        assert_eq!(stages.len(), 1, "{name}");
        let throttles = stages[0]["Throttle"].as_mapping().map(|m| m.len()).unwrap_or(0);
        let in_code = common::domain::method_throttles(tier);
        assert_eq!(throttles, in_code.len(), "{name}: per-method throttles");
        for m in in_code {
            let t = &stages[0]["Throttle"][format!("{}/{}", m.path, m.method).as_str()];
            assert_eq!((t["RateLimit"].as_f64(), t["BurstLimit"].as_u64()), (Some(m.rate), Some(u64::from(m.burst))), "{name}: {} {}", m.method, m.path);
        }
    }
}

/// The text of a `!Sub "…"` value.
fn sub(v: &Value) -> Option<&str> {
    match v {
        Value::Tagged(t) if t.tag == "Sub" => t.value.as_str(),
        _ => None,
    }
}

/// Functions that manage or read API keys (their `main` builds the API Gateway client) may
/// call API Gateway, and find the plans by the names the template gives them.
#[test]
fn key_managing_functions_may_call_api_gateway_and_find_the_plans_by_name() {
    let t = template();
    let prefix = sub(&t["Globals"]["Function"]["Environment"]["Variables"]["SEIKYU_USAGE_PLAN_PREFIX"]).expect("SEIKYU_USAGE_PLAN_PREFIX in Globals");
    for (resource, tier) in [("BasicUsagePlan", "basic"), ("StandardUsagePlan", "standard"), ("PremiumUsagePlan", "premium")] {
        assert_eq!(sub(&t["Resources"][resource]["Properties"]["UsagePlanName"]), Some(format!("{prefix}-{tier}").as_str()), "{resource}");
    }
    let with_keys: BTreeSet<String> = local_gateway::ROUTES
        .iter()
        .map(|r| r.function)
        .chain(WORKERS)
        .filter(|f| {
            let main = std::fs::read_to_string(root().join("functions").join(f).join("src/main.rs")).unwrap_or_default();
            main.contains("run_lambda_with_keys") || main.contains("ApiGatewayKeys::from_env")
        })
        .map(str::to_owned)
        .collect();
    assert_eq!(with_keys.len(), 6, "the five routes that manage keys and the repair sweep: {with_keys:?}");
    for (name, binary) in functions(&t) {
        let calls_api_gateway = allowed_actions(&t, &name).iter().any(|a| a.starts_with("apigateway:"));
        assert_eq!(calls_api_gateway, with_keys.contains(&binary), "{name}: API Gateway access only where keys are managed");
    }
}

/// Each Lambda links only the AWS clients its route uses (common's features), and they are
/// exactly the ones its IAM policies let it reach; no Lambda links the embedded store.
#[test]
fn each_function_links_the_clients_its_policies_allow() {
    let t = template();
    let mut checked = 0;
    for (name, binary) in functions(&t) {
        let allowed = allowed_actions(&t, &name);
        let manifest = std::fs::read_to_string(root().join("functions").join(&binary).join("Cargo.toml")).expect("the function's Cargo.toml");
        let common = manifest.lines().find(|l| l.starts_with("seikyu-common")).unwrap_or_else(|| panic!("{binary} does not depend on seikyu-common"));
        let has = |feature: &str| common.contains(&format!("\"{feature}\""));
        assert_eq!(has("s3"), allowed.iter().any(|a| a.starts_with("s3:")), "{name} ({binary}): S3 linked exactly where the bucket is reachable: {common}");
        // Receiving (the worker's event source) is Lambda's poller, not the function's code.
        assert_eq!(has("sqs"), allowed.contains("sqs:SendMessage"), "{name} ({binary}): SQS linked exactly where run messages may be sent: {common}");
        assert_eq!(
            has("apigateway"),
            allowed.iter().any(|a| a.starts_with("apigateway:")),
            "{name} ({binary}): API Gateway keys linked exactly where they are managed"
        );
        assert!(!has("embedded"), "{binary}: a Lambda never links the embedded store");
        checked += 1;
    }
    assert!(checked > 30, "{checked} functions");
}

/// The tenant listing's sparse index, as the bootstrap creates it for tests and local runs.
#[test]
fn the_table_has_the_tenant_index() {
    let t = template();
    let indexes = t["Resources"]["Table"]["Properties"]["GlobalSecondaryIndexes"].as_sequence().expect("GlobalSecondaryIndexes");
    let gsi1 = indexes.iter().find(|i| i["IndexName"].as_str() == Some("GSI1")).expect("GSI1");
    let keys: Vec<&str> = gsi1["KeySchema"].as_sequence().unwrap().iter().filter_map(|k| k["AttributeName"].as_str()).collect();
    assert_eq!(keys, ["GSI1PK", "GSI1SK"]);
    assert_eq!(gsi1["Projection"]["ProjectionType"].as_str(), Some("ALL"));
}

/// CloudFormation's own schemas (through cfn-lint, SAM transform included) accept the template:
/// property names, types and references that the tests above do not look at.
#[test]
fn cfn_lint_accepts_the_template() {
    let python = std::env::var("SEIKYU_TEST_PYTHON").expect("SEIKYU_TEST_PYTHON: run ./scripts/test");
    let lint = std::path::Path::new(&python).with_file_name("cfn-lint");
    let out = std::process::Command::new(&lint).arg(root().join("infra/template.yaml")).output().unwrap_or_else(|e| panic!("{}: {e}", lint.display()));
    assert!(out.status.success(), "cfn-lint:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// `sam build` runs the root Makefile's `build-<LogicalId>` for each function, which builds the
/// crate named by the logical id without "Function", in kebab case: the template's names must
/// follow that, and every function must be built that way (and the fonts layer by its Makefile).
#[test]
fn sam_builds_each_function_through_the_makefile_from_its_logical_id() {
    let t = template();
    for (name, binary) in functions(&t) {
        let res = &t["Resources"][name.as_str()];
        assert_eq!(res["Metadata"]["BuildMethod"].as_str(), Some("makefile"), "{name}");
        assert_eq!(res["Properties"]["CodeUri"].as_str(), Some("../"), "{name}: the Makefile is at the repository's root");
        let stem = name.strip_suffix("Function").unwrap_or_else(|| panic!("{name} does not end in Function"));
        let mut kebab = String::new();
        for (i, c) in stem.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                kebab.push('-');
            }
            kebab.push(c.to_ascii_lowercase());
        }
        assert_eq!(kebab, binary, "{name}: the Makefile would build functions/{kebab}");
    }
    let makefile = std::fs::read_to_string(root().join("Makefile")).expect("the root Makefile");
    assert!(makefile.contains("build-%Function:") && makefile.contains("scripts/lambda-build"), "{makefile}");
    let layer = &t["Resources"]["FontsLayer"];
    assert_eq!(layer["Metadata"]["BuildMethod"].as_str(), Some("makefile"));
    let fonts = std::fs::read_to_string(root().join("layers/fonts/Makefile")).expect("layers/fonts/Makefile");
    assert!(fonts.contains("prepare-font"), "the layer ships the prepared font");
}

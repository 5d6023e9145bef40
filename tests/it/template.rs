//! The SAM template, the route table and `functions/` describe the same routes.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_norway::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn template() -> Value {
    let text = std::fs::read_to_string(root().join("infra/template.yaml")).expect("infra/template.yaml");
    serde_norway::from_str(&text).expect("the template is YAML")
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

/// Functions fed by a queue, not a route.
const WORKERS: [&str; 1] = ["run-worker"];

/// The run worker as AWS advises for SQS event sources: partial batch failures, a visibility
/// timeout at least six times the function's timeout, a dead-letter queue with an alarm, and a cap
/// on concurrency so the invoice counter is not flooded.
#[test]
fn the_run_worker_drains_its_queue_safely() {
    let t = template();
    let worker = &t["Resources"]["RunWorkerFunction"]["Properties"];
    let source = &worker["Events"]["Runs"];
    assert_eq!(source["Type"].as_str(), Some("SQS"));
    assert_eq!(source["Properties"]["FunctionResponseTypes"][0].as_str(), Some("ReportBatchItemFailures"));
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
        .filter(|r| std::fs::read_to_string(root().join("functions").join(r.function).join("src/main.rs")).unwrap_or_default().contains("run_lambda_with_keys"))
        .map(|r| r.function.to_owned())
        .collect();
    assert_eq!(with_keys.len(), 5, "{with_keys:?}");
    for (name, res) in t["Resources"].as_mapping().expect("Resources") {
        let Some(binary) = res["Metadata"]["BuildProperties"]["Binary"].as_str() else { continue };
        let policies = serde_norway::to_string(&res["Properties"]["Policies"]).unwrap_or_default();
        assert_eq!(policies.contains("apigateway:GET"), with_keys.contains(binary), "{name:?}: API Gateway access only where keys are managed");
    }
}

/// Each Lambda links only the AWS clients its route uses (common's features), and they are
/// exactly the ones its IAM policies let it reach; no Lambda links the embedded store.
#[test]
fn each_function_links_the_clients_its_policies_allow() {
    let t = template();
    let mut checked = 0;
    for (name, res) in t["Resources"].as_mapping().expect("Resources") {
        let Some(binary) = res["Metadata"]["BuildProperties"]["Binary"].as_str() else { continue };
        let policies = serde_norway::to_string(&res["Properties"]["Policies"]).unwrap_or_default();
        let manifest = std::fs::read_to_string(root().join("functions").join(binary).join("Cargo.toml")).expect("the function's Cargo.toml");
        let common = manifest.lines().find(|l| l.starts_with("seikyu-common")).unwrap_or_else(|| panic!("{binary} does not depend on seikyu-common"));
        let has = |feature: &str| common.contains(&format!("\"{feature}\""));
        assert_eq!(
            has("s3"),
            policies.contains("S3CrudPolicy") || policies.contains("S3ReadPolicy"),
            "{name:?} ({binary}): S3 linked exactly where the bucket is reachable: {common}"
        );
        assert_eq!(has("sqs"), policies.contains("SQSSendMessagePolicy"), "{name:?} ({binary}): SQS linked exactly where run messages may be sent: {common}");
        assert_eq!(has("apigateway"), policies.contains("apigateway:GET"), "{name:?} ({binary}): API Gateway keys linked exactly where they are managed");
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

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
        if res["Type"].as_str() != Some("AWS::Serverless::Function") {
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
    let routed: BTreeSet<String> = local_gateway::ROUTES.iter().map(|r| r.function.to_owned()).collect();
    assert_eq!(crates, routed, "every crate in functions/ serves exactly one route");
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
    }
}

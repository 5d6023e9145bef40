//! Every file in `events/` through `lambda_http` into its route's handler, over a seeded embedded
//! store. Each route must have at least one event, and each event states the status it expects.

use std::collections::BTreeMap;
use std::path::PathBuf;

use seikyu_tests::events::{call, parse};
use seikyu_tests::fixtures::seeded_app;

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// `events/expected.json`: `{ "<file>": <status> }`.
fn expectations() -> BTreeMap<String, u16> {
    let text = std::fs::read_to_string(events_dir().join("expected.json")).expect("events/expected.json");
    serde_json::from_str(&text).expect("events/expected.json maps file names to statuses")
}

#[tokio::test]
async fn every_route_has_an_event_and_every_event_gets_its_status() {
    let expected = expectations();
    let mut files: Vec<String> = std::fs::read_dir(events_dir())
        .expect("events/")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".json") && n != "expected.json")
        .collect();
    files.sort();
    for route in local_gateway::ROUTES {
        assert!(files.iter().any(|f| f == &format!("{}.json", route.function)), "route {} {} has no events/{}.json", route.method, route.path, route.function);
    }
    for file in &files {
        let status = *expected.get(file).unwrap_or_else(|| panic!("events/{file} has no entry in events/expected.json"));
        let function = file.split('.').next().unwrap_or_default();
        let route = local_gateway::ROUTES.iter().find(|r| r.function == function).unwrap_or_else(|| panic!("events/{file} names no route"));
        let text = std::fs::read_to_string(events_dir().join(file)).expect("read event");
        let event: serde_json::Value = serde_json::from_str(&text).expect("event JSON");
        assert_eq!(event["httpMethod"], route.method.as_str(), "{file}");
        assert_eq!(event["resource"], route.path, "{file}");
        // Each event runs against fresh seed data so that events cannot depend on each other.
        let s = seeded_app().await;
        let answer = call(route.entry, &s.app, parse(&text)).await;
        assert_eq!(answer.status, status, "events/{file}: {}", answer.body);
    }
    for name in expected.keys() {
        assert!(files.contains(name), "events/expected.json names {name}, which does not exist");
    }
}

//! Independent SigV4 implementations against the local gateway: botocore (Python; what boto3 and
//! awscurl use). The test command provides the interpreter, from the virtualenv that holds moto.

use seikyu_tests::gateway::start_gateway;

/// Set by the test command: a Python with botocore installed.
const PYTHON_ENV: &str = "SEIKYU_TEST_PYTHON";

#[tokio::test]
async fn botocore_signed_requests_are_accepted() {
    let python = std::env::var(PYTHON_ENV).unwrap_or_else(|_| panic!("{PYTHON_ENV} is not set: run the tests with ./scripts/test"));
    // botocore signs with the real clock, so the gateway runs on it too.
    let gw = start_gateway(chrono::Utc::now()).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/botocore_client.py");
    let demo_file = gw.dir.path().join(local_gateway::demo::FILE);
    // The demo file names the port of this run.
    local_gateway::demo::write(gw.dir.path(), &gw.demo).expect("demo file");
    let out = tokio::process::Command::new(&python).arg(script).arg(&demo_file).output().await.expect("run python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    let status =
        |name: &str| lines.iter().find(|l| l["name"] == name).and_then(|l| l["status"].as_u64()).unwrap_or_else(|| panic!("no result for {name}: {lines:?}"));
    assert_eq!(status("tenant reads itself"), 200, "{lines:?}");
    assert_eq!(status("tenant lists with a Japanese query value"), 200, "{lines:?}");
    assert_eq!(status("tenant reads another tenant"), 404, "{lines:?}");
    assert_eq!(status("operator writes a contract"), 201, "{lines:?}");
    assert_eq!(status("operator patches a tenant"), 428, "no If-Match: the signature was fine, the precondition missing");
    // Signature accepted; the handler refuses the made-up cursor and status, field by field.
    assert_eq!(status("query with reserved characters"), 400, "{lines:?}");
}

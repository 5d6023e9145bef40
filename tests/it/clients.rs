//! Independent SigV4 implementations against the local gateway: botocore (Python; what boto3 and
//! awscurl use) and Ruby's aws-sigv4 gem (what a Redmine plugin uses). The test command provides
//! both: Python from the virtualenv that holds moto, Ruby from Debian's packages.

use seikyu_tests::gateway::start_gateway;

/// Set by the test command: a Python with botocore installed.
const PYTHON_ENV: &str = "SEIKYU_TEST_PYTHON";

/// Runs a client script against a fresh gateway (on the real clock: the clients sign with it) and
/// returns its result lines and a lookup of status by request name.
async fn run_client(program: &str, script: &str) -> (Vec<serde_json::Value>, impl Fn(&str) -> u64) {
    let gw = start_gateway(chrono::Utc::now()).await;
    let script = format!("{}/clients/{script}", env!("CARGO_MANIFEST_DIR"));
    // The demo file names the port of this run.
    local_gateway::demo::write(gw.dir.path(), &gw.demo).expect("demo file");
    let demo_file = gw.dir.path().join(local_gateway::demo::FILE);
    let out = tokio::process::Command::new(program).arg(&script).arg(&demo_file).output().await.unwrap_or_else(|e| panic!("running {program}: {e}"));
    assert!(out.status.success(), "{program} {script}: {}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    let copy = lines.clone();
    let status = move |name: &str| {
        copy.iter().find(|l| l["name"] == name).and_then(|l| l["status"].as_u64()).unwrap_or_else(|| panic!("no result for {name}: {copy:?}"))
    };
    (lines, status)
}

#[tokio::test]
async fn botocore_signed_requests_are_accepted() {
    let python = std::env::var(PYTHON_ENV).unwrap_or_else(|_| panic!("{PYTHON_ENV} is not set: run the tests with ./scripts/test"));
    let (lines, status) = run_client(&python, "botocore_client.py").await;
    assert_eq!(status("tenant reads itself"), 200, "{lines:?}");
    assert_eq!(status("tenant lists active contracts"), 200, "{lines:?}");
    assert_eq!(status("tenant reads another tenant"), 404, "{lines:?}");
    assert_eq!(status("operator writes a contract"), 201, "{lines:?}");
    assert_eq!(status("operator patches a tenant"), 428, "no If-Match: the signature was fine, the precondition missing");
    // Signature accepted; the handler refuses the made-up cursor and status, field by field.
    assert_eq!(status("query with reserved characters and Japanese"), 400, "{lines:?}");
}

/// Ruby's aws-sigv4 gem, as a Redmine plugin signs.
#[tokio::test]
async fn ruby_aws_sigv4_signed_requests_are_accepted() {
    let (lines, status) = run_client("ruby", "ruby_client.rb").await;
    assert_eq!(status("tenant reads itself"), 200, "{lines:?}");
    assert_eq!(status("tenant lists active contracts"), 200, "{lines:?}");
    assert_eq!(status("tenant reads another tenant"), 404, "{lines:?}");
    assert_eq!(status("operator writes a contract"), 201, "{lines:?}");
}

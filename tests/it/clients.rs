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

/// The Ruby client library (`clients/ruby`, what the Redmine plugin and a Rails CMS use): its
/// own test suite, the live half against a fresh gateway named by `SEIKYU_DEMO`.
#[tokio::test]
async fn the_ruby_client_library_passes_its_suite_against_the_gateway() {
    // The wall clock: the Ruby client signs with it. The gateway's clock is moved on with it, so
    // that usage-plan buckets refill as they would for a real client.
    let gw = start_gateway(chrono::Utc::now()).await;
    let clock = gw.clock.clone();
    let ticking = tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            clock.advance(chrono::TimeDelta::milliseconds(100));
        }
    });
    local_gateway::demo::write(gw.dir.path(), &gw.demo).expect("demo file");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/ruby");
    let out = tokio::process::Command::new("ruby")
        .arg("-I")
        .arg(root.join("lib"))
        .arg("-I")
        .arg(root.join("test"))
        .arg(root.join("test/all.rb"))
        .env("SEIKYU_DEMO", gw.dir.path().join(local_gateway::demo::FILE))
        .output()
        .await
        .expect("running ruby");
    ticking.abort();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "clients/ruby suite failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    // The live tests ran (a suite that skipped them all would prove nothing about the API).
    assert!(!stdout.contains("SEIKYU_DEMO is not set"), "{stdout}");
    assert!(stdout.contains(" 0 failures, 0 errors"), "{stdout}");
}

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

/// Runs `ruby args…` against a fresh gateway on the wall clock (Ruby signs with it), the gateway's
/// clock moving on with it so that usage-plan buckets refill as for a real client; `env` gets the
/// demo file's path. Returns stdout, failing the test when the command fails.
async fn ruby_against_a_gateway(args: &[std::path::PathBuf], env: &str) -> String {
    let gw = start_gateway(chrono::Utc::now()).await;
    let clock = gw.clock.clone();
    let ticking = tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            clock.advance(chrono::TimeDelta::milliseconds(100));
        }
    });
    local_gateway::demo::write(gw.dir.path(), &gw.demo).expect("demo file");
    let demo = gw.dir.path().join(local_gateway::demo::FILE);
    let args: Vec<std::ffi::OsString> = args
        .iter()
        .map(|a| {
            if a.as_os_str() == "{demo}" {
                demo.clone().into()
            } else if a.as_os_str() == "{endpoint}" {
                gw.endpoint.clone().into()
            } else {
                a.clone().into()
            }
        })
        .collect();
    let out = tokio::process::Command::new("ruby").args(&args).env(env, &demo).output().await.expect("running ruby");
    ticking.abort();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "ruby {args:?} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn repo(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// The Ruby client library (`clients/ruby`, what the Redmine plugin and a Rails CMS use): its
/// own test suite, the live half against a fresh gateway named by `SEIKYU_DEMO`.
#[tokio::test]
async fn the_ruby_client_library_passes_its_suite_against_the_gateway() {
    let (lib, test) = (repo("clients/ruby/lib"), repo("clients/ruby/test"));
    let stdout = ruby_against_a_gateway(&["-I".into(), lib, "-I".into(), test, repo("clients/ruby/test/all.rb")], "SEIKYU_DEMO").await;
    // The live tests ran (a suite that skipped them all would prove nothing about the API).
    assert!(!stdout.contains("SEIKYU_DEMO is not set"), "{stdout}");
    assert!(stdout.contains(" 0 failures, 0 errors"), "{stdout}");
}

/// `scripts/smoke`, the deployment smoke test, against the local gateway, so that it cannot rot
/// before someone runs it on AWS: onboarding, a rendered invoice, a PDF over 6 MB through the
/// streaming route, 429s from a burst, and the clean-up.
#[tokio::test]
async fn the_deployment_smoke_test_passes_against_the_gateway() {
    let stdout = ruby_against_a_gateway(&[repo("scripts/smoke.rb"), "{endpoint}".into(), "{demo}".into()], "SEIKYU_DEMO").await;
    for check in [
        "its PDF downloads, SHA-256 = ETag",
        "it streams back whole",
        "streamed: no Content-Length",
        "gets 429s",
        "cleaned up: 2 invoices voided",
        "smoke test passed",
    ] {
        assert!(stdout.contains(check), "{check}: {stdout}");
    }
}

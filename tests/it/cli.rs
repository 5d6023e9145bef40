//! The operator CLI (`clients/cli`, binary `seikyu`) driven as a user drives it: the built binary,
//! run as a process against a live local gateway over HTTP, with the gateway's demo file.
//! The test command builds the binary and names it in `SEIKYU_CLI_BIN`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use seikyu_tests::gateway::{GatewayFixture, start_gateway};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, BufReader};

const CLI_ENV: &str = "SEIKYU_CLI_BIN";

/// A gateway on the wall clock (the CLI signs with it) and the demo file that points at it.
struct Fixture {
    gw: GatewayFixture,
    demo: PathBuf,
    ticking: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(t) = &self.ticking {
            t.abort();
        }
    }
}

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }
}

/// `tick`: the gateway's clock moves on with the wall clock, so that usage-plan buckets refill
/// as for a real client.
async fn fixture(tick: bool) -> Fixture {
    let gw = start_gateway(chrono::Utc::now()).await;
    local_gateway::demo::write(gw.dir.path(), &gw.demo).expect("demo file");
    let demo = gw.dir.path().join(local_gateway::demo::FILE);
    let clock = gw.clock.clone();
    let ticking = tick.then(|| {
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                clock.advance(chrono::TimeDelta::milliseconds(100));
            }
        })
    });
    Fixture { gw, demo, ticking }
}

impl Fixture {
    /// `seikyu --demo <file> args…`, with none of the caller's own seikyu settings.
    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let bin = std::env::var(CLI_ENV).unwrap_or_else(|_| panic!("{CLI_ENV} is not set: run the tests with ./scripts/test"));
        let mut cmd = tokio::process::Command::new(bin);
        cmd.arg("--demo").arg(&self.demo).args(args);
        for var in ["SEIKYU_ENDPOINT", "SEIKYU_REGION", "SEIKYU_API_KEY", "SEIKYU_DEMO", "SEIKYU_PROFILE"] {
            cmd.env_remove(var);
        }
        cmd.env("SEIKYU_CONFIG_FILE", self.gw.dir.path().join("no-config"));
        cmd
    }

    async fn run(&self, args: &[&str]) -> Ran {
        let out = self.command(args).output().await.expect("running seikyu");
        let ran = Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        eprintln!("$ seikyu {}\n{}{}", args.join(" "), ran.stdout, ran.stderr);
        ran
    }

    /// Runs with `--json` and expects success.
    async fn json(&self, args: &[&str]) -> Value {
        self.json_ending(args, 0).await
    }

    /// Runs with `--json` and expects this exit status.
    async fn json_ending(&self, args: &[&str], code: i32) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let ran = self.run(&all).await;
        assert_eq!(ran.code, code, "seikyu {args:?}: {}", ran.stderr);
        ran.json()
    }

    fn path(&self, name: &str) -> String {
        self.gw.dir.path().join(name).display().to_string()
    }
}

fn str_of(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("no {key} in {v}")).to_owned()
}

fn sha256_file(path: &str) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).expect("downloaded file")))
}

/// Onboarding, a contract, a billing record issued by hand and its PDF checked, then the next
/// month's run started and watched to its end, and what it issued downloaded.
#[tokio::test]
async fn a_whole_month_from_onboarding_to_a_watched_run() {
    let f = fixture(true).await;
    let me = f.json(&["me"]).await;
    assert_eq!(me["role"], "operator");

    let onboarded = f
        .json(&[
            "tenant",
            "create",
            "--name",
            "たたら製作所",
            "--company",
            "株式会社たたら製作所",
            "--postal-code",
            "690-0887",
            "--address",
            "島根県松江市殿町1番地",
            "--contact-name",
            "経理部",
            "--contact-email",
            "keiri@tatara.example.jp",
            "--plan",
            "standard",
        ])
        .await;
    let tenant = str_of(&onboarded, "tenantId");
    assert!(onboarded["apiKey"]["value"].as_str().is_some_and(|k| !k.is_empty()), "the key is shown once: {onboarded}");
    let t = tenant.as_str();
    // With a key of its own, the same onboarding run twice (a lost answer) onboards one tenant.
    let keyed = ["tenant", "create", "--name", "出雲", "--company", "出雲株式会社", "--postal-code", "693-0001", "--address", "島根県出雲市今市町1番地"];
    let keyed =
        [&keyed[..], &["--contact-name", "経理", "--contact-email", "keiri@izumo.example.jp", "--plan", "basic", "--idempotency-key", "izumo-1"]].concat();
    let (once, again) = (f.json(&keyed).await, f.json(&keyed).await);
    assert_eq!(once, again, "the retry answers as the first did");
    let listed = f.json(&["tenant", "list"]).await;
    assert!(listed.as_array().is_some_and(|a| a.iter().any(|x| x["tenantId"] == t)), "{listed}");
    let izumo = listed.as_array().map(|a| a.iter().filter(|x| x["name"] == "出雲").count());
    assert_eq!(izumo, Some(1), "{listed}");
    let updated = f.json(&["tenant", "update", t, "--plan", "premium"]).await;
    assert_eq!((updated["planTier"].as_str(), updated["version"].as_u64()), (Some("premium"), Some(2)));

    let contract = f
        .json(&[
            "contract",
            "put",
            t,
            "C-1",
            "--plan-name",
            "Redmine ホスティング",
            "--monthly-fee",
            "30000",
            "--start-date",
            "2030-12-01",
            "--cycle",
            "monthly",
        ])
        .await;
    assert_eq!(contract["status"], "active");
    // Changing one field keeps the others (read, apply, write with If-Match).
    let changed = f.json(&["contract", "put", t, "C-1", "--notes", "年末に開始"]).await;
    assert_eq!((changed["monthlyFee"].as_i64(), changed["notes"].as_str(), changed["version"].as_u64()), (Some(30000), Some("年末に開始"), Some(2)));

    let billing = f
        .json(&[
            "billing",
            "create",
            t,
            "--period",
            "2030-11",
            "--line",
            "初期設定費用,1,50000",
            "--line",
            "マニュアル,2,1080,reduced",
            "--issue-date",
            "2030-11-30",
            "--due-date",
            "2030-12-31",
        ])
        .await;
    assert_eq!(billing["totals"]["total"], 57_332);
    let invoice = f.json(&["invoice", "issue", t, &str_of(&billing, "billingId")]).await;
    let number = str_of(&invoice, "invoiceNumber");
    let pdf = f.path("invoice.pdf");
    let got = f.json(&["invoice", "download", t, &number, "-o", &pdf]).await;
    assert_eq!(got["verified"], true);
    assert_eq!(got["sha256"], invoice["pdf"]["sha256"], "the PDF's hash is the one the invoice records");
    assert_eq!(sha256_file(&pdf), str_of(&got, "sha256"));

    // December: one run, watched to its end (the bar is for terminals; the log gets lines).
    let watched = f.run(&["run", "start", "2030-12", "--tenant", t, "--watch", "--interval", "0.2"]).await;
    assert_eq!(watched.code, 0, "{}", watched.stderr);
    assert!(watched.stdout.contains("completed"), "{}", watched.stdout);
    assert!(watched.stderr.contains("completed: 1/1 settled (1 issued, 0 failed, 0 cancelled)"), "{}", watched.stderr);
    let runs = f.json(&["run", "list", "--period", "2030-12"]).await;
    let run = str_of(&runs[0], "runId");
    assert_eq!(runs[0]["counts"]["issued"], 1);
    let report = f.run(&["run", "report", &run]).await;
    assert!(report.stdout.contains(t), "{}", report.stdout);

    let december = f.json(&["invoice", "list", t, "--period", "2030-12"]).await;
    assert_eq!(december[0]["totals"]["total"], 33_000, "a month of ¥30,000 and 10% tax: {december}");
    let zip = f.path("december.zip");
    f.json(&["invoice", "download", t, "--period", "2030-12", "--run", &run, "-o", &zip]).await;
    assert!(std::fs::read(&zip).expect("zip").starts_with(b"PK"));
    let paid = f.json(&["invoice", "paid", t, &str_of(&december[0], "invoiceNumber")]).await;
    assert_eq!(paid["status"], "paid");
}

/// The same CSV imported twice: the second run replays every record and creates none.
#[tokio::test]
async fn an_import_run_again_creates_nothing_new() {
    let f = fixture(true).await;
    let (a, b) = (f.gw.demo.tenants[0].tenant_id.to_string(), f.gw.demo.tenants[1].tenant_id.to_string());
    let csv = format!(
        "record,tenantId,period,issueDate,dueDate,description,quantity,unitPrice,taxCategory,notes\n\
         CMS-1,{a},2030-06,2030-06-30,2030-07-31,追加ストレージ,2,1100,,6月分\n\
         CMS-2,{b},2030-06,2030-06-30,2030-07-31,研修資料,3,2000,reduced,\n\
         CMS-1,{a},2030-06,2030-06-30,2030-07-31,\"作業費, 臨時\",1,\"15,000\",standard,\n\
         CMS-3,{b},2030-06,2030-06-30,2030-07-31,免税品,1,100,exempt,\n"
    );
    let file = f.path("june.csv");
    std::fs::write(&file, csv).expect("csv");

    let first = f.run(&["billing", "import", &file]).await;
    assert_eq!(first.code, 4, "a refused record makes the import's status 4: {}", first.stderr);
    assert!(first.stdout.contains("2 created, 0 replayed, 0 already imported, 1 failed"), "{}", first.stdout);
    assert!(first.stdout.contains("line 5: taxCategory: must be standard (10%) or reduced (8%)"), "the CSV line is named: {}", first.stdout);

    let again = f.json_ending(&["billing", "import", &file], 4).await;
    assert_eq!((again["created"].as_u64(), again["replayed"].as_u64(), again["failed"].as_u64()), (Some(0), Some(2), Some(1)), "{again}");
    let records = f.json(&["billing", "list", &a, "--from", "2030-06", "--to", "2030-06"]).await;
    assert_eq!(records.as_array().map(Vec::len), Some(1), "one record for CMS-1: {records}");
    assert_eq!(records[0]["lines"].as_array().map(Vec::len), Some(2));
    assert_eq!(records[0]["totals"]["total"], 18_920, "(2,200 + 15,000) + 10%: {records}");
}

/// A tenant on the basic plan (burst 10) that has used up its burst: the CLI's call is answered
/// 429, waits, and succeeds once the bucket has refilled.
#[tokio::test]
async fn a_throttled_call_is_retried() {
    // The gateway's clock stands still until the CLI has been refused, so the bucket cannot
    // refill before then.
    let f = fixture(false).await;
    let izumo = &f.gw.demo.tenants[1];
    assert_eq!(izumo.plan_tier, common::domain::PlanTier::Basic);
    let tenant = f.gw.tenant(1);
    let url = format!("{}/v1/me", f.gw.endpoint);
    let mut refused = 0;
    for _ in 0..12 {
        let r = tenant.signer.send("GET", &url, &[("x-api-key", tenant.api_key.as_str())], b"").await;
        refused += u32::from(r.status == 429);
    }
    assert!(refused > 0, "the burst is spent");

    let mut child =
        f.command(&["--as-tenant", izumo.tenant_id.as_str(), "me", "--json"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("seikyu");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut notices = Vec::new();
    let first = tokio::time::timeout(Duration::from_secs(60), stderr.next_line()).await.expect("a retry notice in time").expect("stderr");
    notices.extend(first.clone());
    // The bucket refills (5 a second) while the CLI waits for its retry.
    f.gw.clock.advance(chrono::TimeDelta::seconds(2));
    while let Some(line) = stderr.next_line().await.expect("stderr") {
        notices.push(line);
    }
    let out = child.wait_with_output().await.expect("seikyu ends");
    assert!(out.status.success(), "{notices:?}");
    assert!(first.is_some_and(|l| l.contains("GET /v1/me: 429 Too Many Requests; retry 1/3 in")), "{notices:?}");
    let me: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(me["tenantId"].as_str(), Some(izumo.tenant_id.as_str()));
}

/// Refusals read as the API gave them, field by field, with the documented exit statuses:
/// 1 for the API's refusal, 2 for a usage error, 3 when nothing answers, 5 for a download that
/// does not verify.
#[tokio::test]
async fn a_refused_call_shows_its_field_errors_and_exit_status() {
    let f = fixture(true).await;
    let refused = f.run(&["tenant", "create", "--name", "たたら製作所", "--postal-code", "6900887", "--contact-email", "keiri"]).await;
    assert_eq!(refused.code, 1);
    assert_eq!(refused.stdout, "");
    assert!(
        refused.stderr.starts_with("error: Your request is not valid. See errors for each field that needs changing. (HTTP 400, request id "),
        "{}",
        refused.stderr
    );
    for field in [
        "  customerProfile.postalCode: must be a postal code written NNN-NNNN",
        "  customerProfile.billingContact.email: must be an e-mail address",
        "  customerProfile.companyName: must not be empty",
        "  planTier: must be one of basic, standard, premium",
    ] {
        assert!(refused.stderr.contains(field), "{field}: {}", refused.stderr);
    }

    let tenant = f.gw.demo.tenants[0].tenant_id.to_string();
    let usage =
        f.run(&["billing", "create", &tenant, "--period", "2030-06", "--line", "x,1.5,100", "--issue-date", "2030-06-30", "--due-date", "2030-07-31"]).await;
    assert_eq!(usage.code, 2, "{}", usage.stderr);
    assert!(usage.stderr.contains("QUANTITY must be a whole number"), "{}", usage.stderr);

    let as_tenant = f.run(&["--as-tenant", &tenant, "tenant", "list"]).await;
    assert_eq!(as_tenant.code, 1, "a tenant on an operator route: {}", as_tenant.stderr);
    assert!(as_tenant.stderr.contains("HTTP 403"), "{}", as_tenant.stderr);

    let unreachable = f.run(&["--endpoint", "http://127.0.0.1:9", "--max-retries", "0", "me"]).await;
    assert_eq!(unreachable.code, 3, "{}", unreachable.stderr);
    assert!(unreachable.stderr.starts_with("error: GET /v1/me: "), "{}", unreachable.stderr);

    // The demo's invoice, its stored PDF altered behind the API's back: the API ends the stream
    // short, and the CLI keeps nothing.
    let stored = f.gw.dir.path().join(format!("objects/tenants/{tenant}/invoices/INV-2025-000001.pdf"));
    let mut altered = std::fs::read(&stored).expect("the demo invoice's PDF");
    altered[10] ^= 0x20;
    std::fs::write(&stored, &altered).expect("alter the stored PDF");
    let out = f.path("altered.pdf");
    let download = f.run(&["invoice", "download", &tenant, "INV-2025-000001", "-o", &out]).await;
    assert_eq!(download.code, 5, "{}", download.stderr);
    assert!(download.stderr.contains("cut short"), "{}", download.stderr);
    assert!(!std::path::Path::new(&out).exists() && !std::path::Path::new(&format!("{out}.part")).exists(), "no file is left");
}

/// The invoice search the bookkeeping act asks for, and the audit trail, from the shell.
#[tokio::test]
async fn invoices_searched_and_the_audit_trail_read() {
    let f = fixture(true).await;
    let tenant = f.gw.demo.tenants[0].tenant_id.to_string();
    let search = |extra: &[&str]| {
        let mut args = vec!["--json", "invoice", "list", tenant.as_str()];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let args = search(&["--recipient", "しまね", "--min-total", "100000", "--max-total", "200000", "--issued-from", "2025-04-01", "--issued-to", "2025-04-30"]);
    let found = f.run(&args.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!(found.code, 0, "{}", found.stderr);
    let numbers: Vec<Value> = found.json().as_array().unwrap().iter().map(|i| i["invoiceNumber"].clone()).collect();
    assert_eq!(numbers, [Value::from("INV-2025-000001")]);
    let args = search(&["--min-total", "200000"]);
    let none = f.run(&args.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!((none.code, none.json()), (0, Value::Array(vec![])), "{}", none.stderr);
    let args = search(&["--min-total", "10", "--max-total", "5"]);
    let refused = f.run(&args.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("query.maxTotal: must not be less than minTotal"), "{}", refused.stderr);

    for step in ["suspend", "activate"] {
        let done = f.run(&["tenant", step, &tenant]).await;
        assert_eq!(done.code, 0, "{step}: {}", done.stderr);
    }
    let trail = f.run(&["--json", "audit", "list", &tenant]).await;
    assert_eq!(trail.code, 0, "{}", trail.stderr);
    let entries = trail.json();
    let tenant_changes: Vec<&Value> = entries.as_array().unwrap().iter().filter(|e| e["changes"][0]["resource"] == "tenant").collect();
    assert_eq!(tenant_changes.len(), 2, "suspended, then active again: {entries}");
    assert!(tenant_changes.iter().all(|e| e["route"] == "PATCH /v1/tenants/{tenantId}" && e["role"] == "operator"));
    let table = f.run(&["audit", "list"]).await;
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(table.stdout.contains("CHANGES") && table.stdout.contains("→"), "{}", table.stdout);
    let as_tenant = f.run(&["--as-tenant", &tenant, "audit", "list"]).await;
    assert!(as_tenant.code == 1 && as_tenant.stderr.contains("HTTP 403"), "everyone's trail is the operator's: {}", as_tenant.stderr);
    let own = f.run(&["--as-tenant", &tenant, "--json", "audit", "list", &tenant]).await;
    assert_eq!(own.code, 0, "a tenant reads its own: {}", own.stderr);
    assert!(own.json().as_array().unwrap().iter().all(|e| e.get("route").is_none()), "{}", own.stdout);
}

/// An offboarded tenant exported to a file, purged (refused without --yes), restored from the
/// file, and exported again: the same records and objects.
#[tokio::test]
async fn a_tenant_exported_purged_and_restored_from_its_archive() {
    let f = fixture(false).await;
    let b = f.gw.demo.tenants[1].tenant_id.to_string();
    f.json(&["tenant", "offboard", &b, "--yes"]).await;
    let (first, second) = (f.path("first.zip"), f.path("second.zip"));
    assert_eq!(f.run(&["tenant", "export", &b, "-o", &first]).await.code, 0);
    let refused = f.run(&["tenant", "purge", &b]).await;
    assert_eq!(refused.code, 2, "without --yes: {}", refused.stderr);
    let purged = f.json(&["tenant", "purge", &b, "--yes"]).await;
    assert!(purged["removed"]["contracts"].as_u64() > Some(0), "{purged}");
    // Through an upload (what archives over 4 MiB take): restore-url, a presigned PUT, restore.
    let restored = f.json(&["tenant", "restore", &first, "--upload"]).await;
    assert_eq!(restored["tenantId"].as_str(), Some(b.as_str()), "the tenant is the manifest's: {restored}");
    // As the request's body (small archives).
    let again = f.run(&["tenant", "restore", &first]).await;
    assert_eq!(again.code, 1, "the tenant is back: a second restore is refused: {}", again.stderr);
    assert!(again.stderr.contains("already holds"), "{}", again.stderr);
    assert_eq!(f.run(&["tenant", "export", &b, "-o", &second]).await.code, 0);
    let parts = |p: &str| -> std::collections::BTreeMap<String, Vec<u8>> {
        let zip = std::fs::read(p).expect("archive");
        common::export::unzip::entries(&zip).expect("zip").into_iter().map(|e| (e.name, zip[e.data].to_vec())).collect()
    };
    let (p1, p2) = (parts(&first), parts(&second));
    assert_eq!(p1.keys().collect::<Vec<_>>(), p2.keys().collect::<Vec<_>>());
    for (name, bytes) in &p1 {
        if !["manifest.json", "records/audit.ndjson"].contains(&name.as_str()) {
            assert_eq!(bytes, &p2[name], "{name}");
        }
    }
}

//! What the template does to keep invoices (電子帳簿保存法) and to back them up: the bucket's
//! Object Lock and versioning, the retention settings reaching every function that stores a PDF,
//! point-in-time recovery and an AWS Backup plan over the table and the bucket.

use common::store::{LockMode, PdfRetention};
use serde_norway::Value;

use super::template::{actions, functions, ref_to, statements_of, template};

/// `!GetAtt X.Arn` → `X`.
fn arn_of(v: &Value) -> Option<&str> {
    match v {
        Value::Tagged(t) if t.tag == "GetAtt" => t.value.as_str().and_then(|s| s.strip_suffix(".Arn")),
        _ => None,
    }
}

/// A function's environment variable, its own or from Globals.
fn env_var<'a>(t: &'a Value, function: &str, name: &str) -> &'a Value {
    let own = &t["Resources"][function]["Properties"]["Environment"]["Variables"][name];
    if own.is_null() { &t["Globals"]["Function"]["Environment"]["Variables"][name] } else { own }
}

/// Issued PDFs are locked: the bucket is versioned with Object Lock, and sets no default
/// retention (the functions lock each PDF, so staging uploads stay unlocked); its lifecycle never
/// expires a current version.
#[test]
fn the_bucket_is_versioned_with_object_lock_and_no_default_retention() {
    let t = template();
    let p = &t["Resources"]["Bucket"]["Properties"];
    assert_eq!(p["VersioningConfiguration"]["Status"].as_str(), Some("Enabled"));
    assert_eq!(p["ObjectLockEnabled"].as_bool(), Some(true));
    assert!(p["ObjectLockConfiguration"]["Rule"].is_null(), "no bucket-wide default retention: {:?}", p["ObjectLockConfiguration"]);
    for rule in p["LifecycleConfiguration"]["Rules"].as_sequence().expect("lifecycle rules") {
        // Archives staged for a restore (restores/, never a tenant's object) are the exception.
        let staged = rule["Prefix"].as_str() == Some("restores/");
        assert!(staged || (rule["ExpirationInDays"].is_null() && rule["ExpirationDate"].is_null()), "a rule expires current objects: {rule:?}");
    }
}

/// The parameters say what `PdfRetention` accepts, and reach every function that may store an
/// issued PDF, whose policy may also set its retention.
#[test]
fn the_pdf_retention_parameters_reach_every_function_that_stores_pdfs() {
    let t = template();
    let years = &t["Parameters"]["PdfRetentionYears"];
    assert_eq!(
        (years["Default"].as_u64(), years["MinValue"].as_u64(), years["MaxValue"].as_u64()),
        (Some(PdfRetention::DEFAULT_YEARS.into()), Some(PdfRetention::MIN_YEARS.into()), Some(PdfRetention::MAX_YEARS.into()))
    );
    let mode = &t["Parameters"]["PdfLockMode"];
    assert_eq!(mode["Default"].as_str(), Some(LockMode::default().as_str()));
    let modes: Vec<&str> = mode["AllowedValues"].as_sequence().expect("AllowedValues").iter().filter_map(Value::as_str).collect();
    assert_eq!(modes, [LockMode::Governance.as_str(), LockMode::Compliance.as_str()]);
    for m in &modes {
        assert_eq!(m.parse::<LockMode>().map(LockMode::as_str), Ok(*m));
    }

    let mut writers = Vec::new();
    for (name, binary) in functions(&t) {
        let stores_pdfs = statements_of(&t, &name).into_iter().filter(|s| s["Effect"].as_str() == Some("Allow")).find(|s| {
            let on_invoices = match &s["Resource"] {
                Value::Tagged(r) => r.value.as_str().is_some_and(|r| r.contains("/tenants/*/invoices/")),
                _ => false,
            };
            on_invoices && actions(s).contains(&"s3:PutObject")
        });
        let Some(statement) = stores_pdfs else { continue };
        assert!(actions(statement).contains(&"s3:PutObjectRetention"), "{name}: a PUT that sets a retention needs s3:PutObjectRetention");
        assert_eq!(ref_to(env_var(&t, &name, PdfRetention::YEARS_ENV)), Some("PdfRetentionYears"), "{name}");
        assert_eq!(ref_to(env_var(&t, &name, PdfRetention::MODE_ENV)), Some("PdfLockMode"), "{name}");
        writers.push(binary);
    }
    // Nothing in the stack may lift a lock, whatever it stores.
    for (name, _) in functions(&t) {
        for s in statements_of(&t, &name) {
            assert!(!actions(s).contains(&"s3:BypassGovernanceRetention"), "{name} may bypass governance retention");
        }
    }
    for known in ["issue-invoice", "complete-invoice-upload", "run-worker"] {
        assert!(writers.iter().any(|w| w == known), "{known} stores PDFs: {writers:?}");
    }
}

/// Point-in-time recovery on the table, and a daily AWS Backup of table and bucket kept
/// `BackupRetentionDays` (35 by default) in a vault that outlives the stack.
#[test]
fn the_table_and_the_bucket_are_backed_up() {
    let t = template();
    let r = &t["Resources"];
    assert_eq!(r["Table"]["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(), Some(true));

    let selection = &r["BackupSelection"];
    assert_eq!(selection["Type"].as_str(), Some("AWS::Backup::BackupSelection"));
    assert_eq!(ref_to(&selection["Properties"]["BackupPlanId"]), Some("BackupPlan"));
    let chosen = &selection["Properties"]["BackupSelection"];
    let mut covered: Vec<&str> = chosen["Resources"].as_sequence().expect("Resources").iter().filter_map(arn_of).collect();
    covered.sort();
    assert_eq!(covered, ["Bucket", "Table"]);

    let role_name = arn_of(&chosen["IamRoleArn"]).expect("IamRoleArn: !GetAtt <role>.Arn");
    let role = &r[role_name];
    assert_eq!(role["Type"].as_str(), Some("AWS::IAM::Role"));
    let trust = &role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(trust["Principal"]["Service"].as_str(), Some("backup.amazonaws.com"));
    let policies: Vec<String> = role["Properties"]["ManagedPolicyArns"]
        .as_sequence()
        .expect("ManagedPolicyArns")
        .iter()
        .filter_map(|p| match p {
            Value::Tagged(s) => s.value.as_str().map(str::to_owned),
            p => p.as_str().map(str::to_owned),
        })
        .collect();
    for needed in [
        "AWSBackupServiceRolePolicyForBackup",
        "AWSBackupServiceRolePolicyForRestores",
        "AWSBackupServiceRolePolicyForS3Backup",
        "AWSBackupServiceRolePolicyForS3Restore",
    ] {
        assert!(policies.iter().any(|p| p.ends_with(&format!("/{needed}"))), "{role_name} lacks {needed}: {policies:?}");
    }

    let plan = &r["BackupPlan"]["Properties"]["BackupPlan"];
    let rules = plan["BackupPlanRule"].as_sequence().expect("BackupPlanRule");
    assert_eq!(rules.len(), 1);
    let daily = &rules[0];
    let schedule = daily["ScheduleExpression"].as_str().expect("ScheduleExpression");
    assert!(schedule.starts_with("cron(") && schedule.contains(" * * ? *)"), "once a day: {schedule}");
    assert_eq!(ref_to(&daily["Lifecycle"]["DeleteAfterDays"]), Some("BackupRetentionDays"));
    assert_eq!(t["Parameters"]["BackupRetentionDays"]["Default"].as_u64(), Some(35));
    let vault = ref_to(&daily["TargetBackupVault"]).expect("TargetBackupVault: !Ref <vault>");
    assert_eq!(r[vault]["Type"].as_str(), Some("AWS::Backup::BackupVault"));
    assert_eq!(r[vault]["DeletionPolicy"].as_str(), Some("Retain"));
}

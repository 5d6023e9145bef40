//! Every response shape the views make, pinned. Stored records, as the stores hold them
//! (`golden/stored/*.json`), are read back, shown through the API's views and compared with
//! `golden/api/*.json`. So a storage change cannot slip into the API, nor an API change into
//! storage: records stored today must stay readable, and each stored fixture must also
//! serialise back to itself.
//!
//! After an intended API change: `SEIKYU_BLESS=1 cargo test -p seikyu-common --test views_golden`
//! rewrites the API files; review their diff, it is what every client will see.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use common::caller::Caller;
use common::domain::{
    ApiKeyId, BillingId, BillingPeriod, BillingRecord, Contract, Invoice, InvoiceRun, IssuerSettings, QuotaPeriod, Rounding, RunCounts, Tenant, TenantId,
    usage_plan,
};
use common::service::runs::Failure;
use common::service::tenants::Onboarded;
use common::service::usage::{Counts, Day, QuotaNow, TenantMonth};
use common::store::{Owner, Page, Principal, PrincipalArn};
use common::views::{
    BillingView, ContractView, InvoiceView, IssuerView, KeyView, Me, OnboardedView, PageView, PrincipalView, RunView, TenantUsage, TenantView, UsagePage,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

fn golden(kind: &str, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(kind).join(format!("{name}.json"))
}

/// A stored record, read as the stores read it; it must write back unchanged.
fn stored<T: DeserializeOwned + Serialize>(name: &str) -> T {
    let text = std::fs::read_to_string(golden("stored", name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
    let record: T = serde_json::from_value(raw.clone()).unwrap_or_else(|e| panic!("stored {name} no longer reads: {e}"));
    assert_eq!(serde_json::to_value(&record).unwrap(), raw, "stored {name} no longer writes back as it was stored");
    record
}

fn pinned(name: &str, view: &impl Serialize) {
    let actual = serde_json::to_value(view).unwrap();
    let path = golden("api", name);
    if std::env::var("SEIKYU_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, serde_json::to_string_pretty(&actual).unwrap() + "\n").unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (SEIKYU_BLESS=1 writes it)", path.display()));
    let expected: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(actual, expected, "the API's {name} changed shape (golden/api/{name}.json); if intended, bless and review");
}

#[test]
fn tenant() {
    let tenant: Tenant = stored("tenant");
    pinned("tenant", &TenantView::from(tenant.clone()));
    let key = KeyView { id: ApiKeyId::parse("a1b2c3d4e5").unwrap(), value: "k".repeat(40) };
    pinned("tenant-onboarded", &OnboardedView::from(Onboarded { tenant, api_key: key }));
}

#[test]
fn contract() {
    let contract: Contract = stored("contract");
    pinned("contract", &ContractView::from(contract.clone()));
    let page = Page { items: vec![contract], next_cursor: Some("opaque-cursor".into()) };
    pinned("contract-page", &PageView::of(page, ContractView::from));
}

/// The invoice's view leaves out where its PDF came from and the record's version.
#[test]
fn invoice() {
    let invoice: Invoice = stored("invoice");
    let view = serde_json::to_value(InvoiceView::from(&invoice)).unwrap();
    for storage_only in ["pdfSource", "version"] {
        assert!(view.get(storage_only).is_none(), "{storage_only} is a storage matter");
    }
    pinned("invoice", &InvoiceView::from(&invoice));
}

#[test]
fn issuer() {
    let issuer: IssuerSettings = stored("issuer");
    pinned("issuer", &IssuerView::from(issuer));
}

/// A draft's totals are computed with today's rounding, which the view names.
#[test]
fn billing_draft() {
    let record: BillingRecord = stored("billing-draft");
    pinned("billing-draft", &BillingView::of(&record, Rounding::Floor).unwrap());
    let ceil = serde_json::to_value(BillingView::of(&record, Rounding::Ceil).unwrap()).unwrap();
    assert_eq!(ceil["rounding"], "ceil");
}

/// A run as it is watched: counts with `remaining`, the rate, the failures.
#[test]
fn run() {
    let run: InvoiceRun = stored("run");
    let counts = RunCounts { total: 5, issued: 3, failed: 1, cancelled: 0 };
    let failures = vec![Failure {
        tenant_id: TenantId::parse("tn_0000000000000002").unwrap(),
        billing_id: BillingId::parse("2026-11-a1b2c3d4").unwrap(),
        reason: "The billing record has no lines.".into(),
    }];
    let now: DateTime<Utc> = "2026-12-01T00:00:10Z".parse().unwrap();
    pinned("run", &RunView::of(run, counts, failures, now));
}

#[test]
fn principal_and_me() {
    let principal: Principal = stored("principal");
    pinned("principal", &PrincipalView::from(&principal));
    let tenant: Tenant = stored("tenant");
    let caller = Caller { principal: principal.arn.clone(), owner: principal.owner.clone(), api_key_id: Some(tenant.api_key_id.clone().unwrap()) };
    pinned("me-tenant", &Me::of(&caller, Some(tenant)));
    let operator = Caller { principal: PrincipalArn::parse("arn:aws:iam::123456789012:role/Cms").unwrap(), owner: Owner::Operator, api_key_id: None };
    pinned("me-operator", &Me::of(&operator, None));
}

#[test]
fn usage() {
    let tenant: Tenant = stored("tenant");
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let counts = Counts { requests: 120, bytes_streamed: 55_262, invoices_rendered: 2, exports: 1 };
    let report = TenantUsage {
        tenant_id: tenant.tenant_id.clone(),
        plan_tier: tenant.plan_tier,
        plan: usage_plan(tenant.plan_tier),
        api_key_id: tenant.api_key_id.clone(),
        from: d("2026-12-01"),
        to: d("2026-12-02"),
        days: vec![Day { date: d("2026-12-01"), counts }, Day { date: d("2026-12-02"), counts: Counts::default() }],
        totals: counts,
        quota: Some(QuotaNow {
            period: QuotaPeriod::Day,
            period_start: d("2026-12-02"),
            period_end: d("2026-12-02"),
            limit: 100_000,
            used: 0,
            remaining: 100_000,
        }),
    };
    pinned("usage-tenant", &report);
    let month = TenantMonth { tenant_id: tenant.tenant_id, name: tenant.name, plan_tier: tenant.plan_tier, status: tenant.status, totals: counts };
    let page =
        UsagePage { period: BillingPeriod::parse("2026-12").unwrap(), from: d("2026-12-01"), to: d("2026-12-02"), items: vec![month], next_cursor: None };
    pinned("usage-page", &page);
}

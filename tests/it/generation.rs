//! Month-end generation on every adapter: drafts from contracts by the charge rules, generated
//! once whatever happens, hand-written records left alone, dry runs that write nothing.

use std::sync::Arc;

use chrono::NaiveDate;
use common::App;
use common::caller::Caller;
use common::clock::SequentialIds;
use common::domain::{BillingCycle, BillingFilter, BillingPeriod, BillingStatus, ContractStatus, ContractTerms, TenantId, Yen};
use common::error::ApiError;
use common::service::generation::{self, Outcome, generated_id};
use common::store::{Owner, PageRequest, PrincipalArn, Stores};
use seikyu_tests::fixtures::{FakePdf, StoreFixture, billing, contract, issuer, tenant, tenant_id};

fn operator() -> Caller {
    Caller { principal: PrincipalArn::parse("arn:aws:iam::123456789012:role/SeikyuOperator").unwrap(), owner: Owner::Operator, api_key_id: None }
}

fn period(s: &str) -> BillingPeriod {
    BillingPeriod::parse(s).unwrap()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Tenant 1 with contracts of every kind, tenant 2 with a hand-written April record, tenant 3
/// with nothing active.
async fn ready(stores: Stores) -> App {
    let app = App {
        stores,
        clock: Arc::new(common::clock::SystemClock),
        ids: Arc::new(SequentialIds::default()),
        renderer: Some(Arc::new(FakePdf)),
        keys: None,
        iam: None,
    };
    app.stores.invoices.put_issuer(&issuer(), None).await.unwrap();
    for n in 1..=3 {
        app.stores.tenants.create_tenant(&tenant(&tenant_id(n), "T")).await.unwrap();
    }
    let terms = |fee: i64, start: &str, end: Option<&str>, cycle, status| ContractTerms {
        plan_name: "Redmine ホスティング".into(),
        monthly_fee: Yen::new(fee).unwrap(),
        start_date: day(start),
        end_date: end.map(day),
        billing_cycle: cycle,
        status,
        notes: None,
    };
    let a = tenant_id(1);
    for (id, t) in [
        ("C-1", terms(30_000, "2025-01-01", None, BillingCycle::Monthly, ContractStatus::Active)),
        ("C-2", terms(30_000, "2025-04-16", None, BillingCycle::Monthly, ContractStatus::Active)),
        ("C-3", terms(10_000, "2024-04-01", None, BillingCycle::Yearly, ContractStatus::Active)),
        ("C-4", terms(99_999, "2025-01-01", None, BillingCycle::Monthly, ContractStatus::Suspended)),
        ("C-5", terms(99_999, "2025-01-01", Some("2025-03-31"), BillingCycle::Monthly, ContractStatus::Active)),
    ] {
        app.stores.contracts.create_contract(&common::domain::Contract { terms: t, ..contract(&a, id, ContractStatus::Active) }).await.unwrap();
    }
    app.stores.contracts.create_contract(&contract(&tenant_id(2), "C-B", ContractStatus::Active)).await.unwrap();
    app.stores.billings.create_billing(&billing(&tenant_id(2), "2025-04", 7, BillingStatus::Draft)).await.unwrap();
    app.stores.contracts.create_contract(&contract(&tenant_id(3), "C-C", ContractStatus::Cancelled)).await.unwrap();
    app
}

async fn records(app: &App, t: &TenantId, p: &str) -> Vec<common::domain::BillingRecord> {
    let filter = BillingFilter { from: Some(period(p)), to: Some(period(p)), statuses: None };
    app.stores.billings.list_billings(t, &filter, &PageRequest { limit: 100, cursor: None }).await.unwrap().items
}

pub async fn drafts_from_contracts_once_and_never_over_a_hand_written_record(f: StoreFixture) {
    let app = ready(f.stores.clone()).await;
    let (a, april) = (tenant_id(1), period("2025-04"));

    let dry = generation::generate(&app, &operator(), &a, april, true).await.unwrap();
    assert_eq!((dry.outcome, dry.lines), (Outcome::Created, 3), "{}", f.adapter);
    // 30,000 + 15,000 (from the 16th) + 120,000 (yearly, April start); tax floor(10%).
    assert_eq!(dry.totals.as_ref().map(|t| (t.subtotal.get(), t.tax.get(), t.total.get())), Some((165_000, 16_500, 181_500)));
    assert!(records(&app, &a, "2025-04").await.is_empty(), "{}: a dry run writes nothing", f.adapter);

    let made = generation::generate(&app, &operator(), &a, april, false).await.unwrap();
    assert_eq!((made.outcome, made.billing_id.clone(), made.totals.clone()), (Outcome::Created, generated_id(&a, april), dry.totals.clone()));
    let stored = records(&app, &a, "2025-04").await;
    assert_eq!(stored.len(), 1);
    let r = &stored[0];
    assert_eq!((r.status(), r.content().issue_date, r.content().due_date), (BillingStatus::Draft, day("2025-04-30"), day("2025-05-31")));
    let prices: Vec<i64> = r.content().lines.iter().map(|l| l.unit_price.get()).collect();
    assert_eq!(prices, [30_000, 15_000, 120_000], "a line per contract, in contract order");

    let again = generation::generate(&app, &operator(), &a, april, false).await.unwrap();
    assert_eq!(again.outcome, Outcome::AlreadyGenerated);
    assert_eq!(records(&app, &a, "2025-04").await, stored, "{}: generating twice changes nothing", f.adapter);

    let b = tenant_id(2);
    let before = records(&app, &b, "2025-04").await;
    assert_eq!(generation::generate(&app, &operator(), &b, april, false).await.unwrap().outcome, Outcome::HandWritten);
    assert_eq!(records(&app, &b, "2025-04").await, before, "the hand-written record is left alone, and no second one made");
    assert_eq!(generation::generate(&app, &operator(), &b, period("2025-05"), false).await.unwrap().outcome, Outcome::Created, "other months generate");
    assert_eq!(generation::generate(&app, &operator(), &tenant_id(3), april, false).await.unwrap().outcome, Outcome::NothingToBill);
    assert!(matches!(generation::generate(&app, &operator(), &tenant_id(9), april, false).await, Err(ApiError::NotFound)));
    let tenant_caller = Caller { owner: Owner::Tenant { tenant_id: a.clone() }, ..operator() };
    assert!(matches!(generation::generate(&app, &tenant_caller, &a, april, false).await, Err(ApiError::Forbidden(_))));
}

pub async fn concurrent_generation_makes_one_record(f: StoreFixture) {
    let app = Arc::new(ready(f.stores.clone()).await);
    let a = tenant_id(1);
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (app, a) = (app.clone(), a.clone());
            tokio::spawn(async move { generation::generate(&app, &operator(), &a, period("2025-06"), false).await.unwrap().outcome })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    assert_eq!(outcomes.iter().filter(|o| **o == Outcome::Created).count(), 1, "{}: {outcomes:?}", f.adapter);
    assert!(outcomes.iter().all(|o| matches!(o, Outcome::Created | Outcome::AlreadyGenerated)));
    assert_eq!(records(&app, &a, "2025-06").await.len(), 1);
}

macro_rules! generation_suite {
    ($adapter:ident, $make:path) => {
        mod $adapter {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn drafts_from_contracts_once_and_never_over_a_hand_written_record() {
                super::drafts_from_contracts_once_and_never_over_a_hand_written_record($make().await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_generation_makes_one_record() {
                super::concurrent_generation_makes_one_record($make().await).await
            }
        }
    };
}

generation_suite!(embedded, seikyu_tests::fixtures::embedded_store);
generation_suite!(dynamodb, seikyu_tests::fixtures::dynamodb_store);

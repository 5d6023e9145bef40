//! A month-end run of N invoices end to end on the embedded store, and the same work done
//! directly, in one process: N tenants with one monthly contract each; the run generates their
//! drafts and issues them (real PDFs) through the queue and the local gateway's workers; the
//! direct paths generate and issue the same records with as many tasks and no run machinery: one
//! record at a time (as `POST …/issue` does), and in batches with the run's own batched issuing.
//! Prints wall times, invoices per second, the run's overhead and peak RSS.
//!
//! `cargo run --release -p local-gateway --example bench_run -- [count] [workers]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::App;
use common::caller::Caller;
use common::clock::{IdGenerator, RandomIds, SystemClock};
use common::domain::{
    BillingContact, BillingCycle, BillingPeriod, Contract, ContractId, ContractStatus, ContractTerms, CustomerProfile, Email, PlanTier, PostalCode, RunState,
    Tenant, TenantStatus, Yen,
};
use common::service::invoices::{self, IssuerInput};
use common::service::runs::{self, RunInput, Started};
use common::service::{generation, issue_batch};
use common::store::embedded::{EmbeddedOptions, EmbeddedStore};
use common::store::{Owner, PrincipalArn};

fn operator() -> Result<Caller, String> {
    Ok(Caller { principal: PrincipalArn::parse("arn:aws:iam::000000000000:user/bench")?, owner: Owner::Operator, api_key_id: None })
}

/// Peak resident memory of this process so far, in MB.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    kb / 1000.0
}

/// A fresh store with the issuer and `count` tenants, each with one monthly contract.
async fn seeded(dir: &std::path::Path, count: usize) -> Result<(Arc<EmbeddedStore>, Arc<App>), String> {
    let options = EmbeddedOptions { cursor_key: vec![7; 32], presign_key: vec![8; 32], public_base_url: "http://127.0.0.1:1".into() };
    let store = EmbeddedStore::open(dir, options, Arc::new(SystemClock)).map_err(|e| e.to_string())?;
    let renderer = issue_invoice::PdfRenderer::from_env()?;
    let app = Arc::new(App {
        stores: store.stores(),
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
        renderer: Some(Arc::new(renderer)),
        keys: None,
        iam: None,
    });
    let issuer = IssuerInput {
        name: "株式会社セイキュウ".into(),
        address: "島根県松江市学園南1丁目2番3号".into(),
        registration_number: "T8700110005901".into(),
        bank_details: "しまね銀行 松江支店 普通 1234567".into(),
        invoice_prefix: "INV".into(),
        rounding: None,
        invoice_dates: None,
    };
    invoices::put_issuer(&app, &operator()?, issuer, None).await.map_err(|e| e.to_string())?;
    let now = chrono::Utc::now();
    for i in 0..count {
        let tenant = Tenant {
            tenant_id: RandomIds.tenant_id(),
            name: format!("テナント{i}"),
            customer_profile: CustomerProfile {
                company_name: format!("株式会社テナント{i}"),
                postal_code: PostalCode::parse("690-0887")?,
                address: "島根県松江市殿町1番地".into(),
                billing_contact: BillingContact { name: "経理".into(), email: Email::parse("keiri@example.jp")? },
            },
            plan_tier: PlanTier::Standard,
            status: TenantStatus::Active,
            api_key_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        app.stores.tenants.create_tenant(&tenant).await.map_err(|e| e.to_string())?;
        let contract = Contract {
            contract_id: ContractId::parse("C-1")?,
            tenant_id: tenant.tenant_id.clone(),
            terms: ContractTerms {
                plan_name: "Redmine ホスティング スタンダード".into(),
                monthly_fee: Yen::new(55_000)?,
                start_date: "2025-01-01".parse().map_err(|e| format!("{e}"))?,
                end_date: None,
                billing_cycle: BillingCycle::Monthly,
                status: ContractStatus::Active,
                notes: None,
            },
            created_at: now,
            updated_at: now,
            version: 1,
        };
        app.stores.contracts.create_contract(&contract).await.map_err(|e| e.to_string())?;
    }
    Ok((store, app))
}

/// The disk's latency for one small synced write, in ms: each invoice costs a few of them, so
/// results from days when the disk is slower are comparable only with this next to them.
fn fsync_ms(dir: &std::path::Path) -> Result<f64, String> {
    use std::io::Write;
    let mut f = std::fs::File::create(dir.join("fsync-probe")).map_err(|e| e.to_string())?;
    let started = Instant::now();
    for _ in 0..200 {
        f.write_all(&[7; 4096]).map_err(|e| e.to_string())?;
        f.sync_data().map_err(|e| e.to_string())?;
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0 / 200.0)
}

/// Records a worker issues at once (the local runner's batch).
const BATCH: usize = 25;

/// Generates and issues every record of a fresh store with `workers` tasks: one record at a time,
/// or `BATCH` at a time through `issue_batch::issue_many`.
async fn direct(count: usize, workers: usize, period: BillingPeriod, batched: bool) -> Result<Duration, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (_store, app) = seeded(dir.path(), count).await?;
    let started = Instant::now();
    let issuer = app.stores.invoices.get_issuer().await.map_err(|e| e.to_string())?.ok_or("no issuer")?;
    let mut tenants = Vec::with_capacity(count);
    let mut cursor = None;
    loop {
        let page = app.stores.tenants.list_tenants(&common::store::PageRequest { limit: 100, cursor }).await.map_err(|e| e.to_string())?;
        tenants.extend(page.items.into_iter().map(|t| t.tenant_id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let chunks: Vec<Vec<_>> = tenants.chunks(count.div_ceil(workers)).map(<[_]>::to_vec).collect();
    let mut tasks = Vec::new();
    for chunk in chunks {
        let (app, issuer) = (app.clone(), issuer.clone());
        tasks.push(tokio::spawn(async move {
            for slice in chunk.chunks(BATCH) {
                let mut records = Vec::with_capacity(slice.len());
                for t in slice {
                    let g = generation::draft_for(&app, t, period, &issuer, false).await.map_err(|e| format!("{e:?}"))?;
                    records.push((t.clone(), g.billing_id));
                }
                if batched {
                    for r in issue_batch::issue_many(&app, &operator()?, &records).await.map_err(|e| format!("{e:?}"))? {
                        r.map_err(|e| format!("{e:?}"))?;
                    }
                } else {
                    for (t, b) in &records {
                        invoices::issue(&app, &operator()?, t, b).await.map_err(|e| format!("{e:?}"))?;
                    }
                }
            }
            Ok::<_, String>(())
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    Ok(started.elapsed())
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let count = args.first().copied().unwrap_or(10_000);
    let workers = args.get(1).copied().unwrap_or(2).max(1);
    let period = BillingPeriod::parse("2025-11")?;

    // The run: one request, then the workers drain the queue.
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (store, app) = seeded(dir.path(), count).await?;
    let seeded_rss = peak_rss_mb();
    let started = Instant::now();
    let input = RunInput { period: period.to_string(), tenants: None, generate: Some(true), dry_run: None };
    let Started::Run(run) = runs::start(&app, &operator()?, input).await.map_err(|e| format!("{e:?}"))? else { return Err("dry run".into()) };
    let handles = local_gateway::runner::spawn(app.clone(), store.clone(), workers);
    let view = loop {
        let v = runs::get(&app, &operator()?, &run.run_id).await.map_err(|e| format!("{e:?}"))?;
        if !v.state.is_active() {
            break v;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let run_time = started.elapsed();
    for h in handles {
        h.abort();
    }
    if view.state != RunState::Completed || view.counts.issued != count as u64 {
        return Err(format!("the run ended {:?} with {:?}", view.state, view.counts));
    }
    let run_rss = peak_rss_mb();

    // The same work without the run, as a client calling `POST …/issue` per record would.
    let direct_time = direct(count, workers, period, false).await?;
    // And with the run's own batched issuing, without its queue, items and counts: the difference
    // to the run is the run machinery alone.
    let batched_time = direct(count, workers, period, true).await?;

    let per_sec = |d: Duration| count as f64 / d.as_secs_f64();
    println!("invoices: {count}, workers: {workers}, disk: {:.3} ms per synced 4 KiB write", fsync_ms(dir.path())?);
    println!("run (generate + issue through the queue): {:.2} s, {:.0} invoices/s", run_time.as_secs_f64(), per_sec(run_time));
    println!("direct, one record at a time (no run):   {:.2} s, {:.0} invoices/s", direct_time.as_secs_f64(), per_sec(direct_time));
    println!("direct, batches of {BATCH} (no run):          {:.2} s, {:.0} invoices/s", batched_time.as_secs_f64(), per_sec(batched_time));
    println!("run machinery overhead (run vs direct batches): {:+.1}%", (run_time.as_secs_f64() / batched_time.as_secs_f64() - 1.0) * 100.0);
    println!("peak RSS: {seeded_rss:.1} MB after seeding, {run_rss:.1} MB after the run, {:.1} MB at the end", peak_rss_mb());
    Ok(())
}

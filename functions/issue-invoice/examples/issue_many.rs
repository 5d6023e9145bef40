//! Time to issue N invoices end to end through the domain on the embedded store: allocate the
//! number, render the real PDF, store it, mark issued.
//!
//! `cargo run --release -p issue-invoice --example issue_many -- [count] [concurrency] [--audited]`
//!
//! `--audited`: each issue runs as a request does, so its writes carry their audit entries (what
//! the audit trail costs).

use std::sync::Arc;
use std::time::Instant;

use common::App;
use common::caller::Caller;
use common::clock::{IdGenerator, RandomIds, SystemClock};
use common::domain::{BillingContact, CustomerProfile, Email, PlanTier, PostalCode, Tenant, TenantStatus};
use common::service::billings::{self, LineInput, NewBilling};
use common::service::invoices::{self, IssuerInput};
use common::store::embedded::{EmbeddedOptions, EmbeddedStore};
use common::store::{Owner, PrincipalArn};

#[tokio::main]
async fn main() -> Result<(), String> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let count = args.first().copied().unwrap_or(1000);
    let concurrency = args.get(1).copied().unwrap_or(1).max(1);
    let audited = std::env::args().any(|a| a == "--audited");
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let options = EmbeddedOptions { cursor_key: vec![7; 32], presign_key: vec![8; 32], public_base_url: "http://127.0.0.1:1".into() };
    let store = EmbeddedStore::open(dir.path(), options, Arc::new(SystemClock)).map_err(|e| e.to_string())?;
    let renderer = issue_invoice::PdfRenderer::from_env()?;
    let app = Arc::new(App {
        stores: store.stores(),
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
        renderer: Some(Arc::new(renderer)),
        keys: None,
        iam: None,
    });
    let op = Caller { principal: PrincipalArn::parse("arn:aws:iam::000000000000:user/bench")?, owner: Owner::Operator, api_key_id: None };
    let issuer = IssuerInput {
        name: "株式会社セイキュウ".into(),
        address: "島根県松江市学園南1丁目2番3号".into(),
        registration_number: "T8700110005901".into(),
        bank_details: "しまね銀行 松江支店 普通 1234567".into(),
        invoice_prefix: "INV".into(),
        rounding: None,
        invoice_dates: None,
    };
    invoices::put_issuer(&app, &op, issuer, None).await.map_err(|e| e.to_string())?;
    // The tenant goes straight to storage: onboarding (and its API key) is not what this measures.
    let now = chrono::Utc::now();
    let tenant = Tenant {
        tenant_id: RandomIds.tenant_id(),
        name: "しまね商事".into(),
        customer_profile: CustomerProfile {
            company_name: "株式会社しまね商事".into(),
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
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let lines = (0..20)
            .map(|n| LineInput {
                description: format!("Redmine ホスティング 項目 {n}"),
                quantity: 1 + (n % 3),
                unit_price: 1000 + 37 * n,
                tax_category: if n % 5 == 0 { "reduced" } else { "standard" }.into(),
            })
            .collect();
        let input = NewBilling { period: "2025-04".into(), lines, notes: None, issue_date: "2025-04-30".into(), due_date: "2025-05-31".into() };
        let (period, content) = billings::validate_new(input).map_err(|e| e.to_string())?;
        // Base-36 digits of i: a distinct id suffix per record.
        let mut suffix = [0u8; 8];
        for (k, slot) in suffix.iter_mut().rev().enumerate() {
            *slot = ((i / 36usize.pow(k as u32)) % 36) as u8;
        }
        let b = billings::create(&app, &op, &tenant.tenant_id, period, content, suffix).await.map_err(|e| e.to_string())?;
        ids.push(b.billing_id);
    }
    let started = Instant::now();
    let chunks: Vec<Vec<_>> = ids.chunks(count.div_ceil(concurrency)).map(<[_]>::to_vec).collect();
    let mut tasks = Vec::new();
    for chunk in chunks {
        let (app, op, t) = (app.clone(), op.clone(), tenant.tenant_id.clone());
        tasks.push(tokio::spawn(async move {
            for id in chunk {
                let issue = invoices::issue(&app, &op, &t, &id);
                if audited {
                    let actor = common::audit::Actor::new("POST /v1/tenants/{tenantId}/billings/{billingId}/issue", "", RandomIds.token(4), chrono::Utc::now());
                    common::audit::scope(actor, async {
                        common::audit::set_caller(op.principal.as_str(), op.role(), None);
                        issue.await
                    })
                    .await
                } else {
                    issue.await
                }
                .map_err(|e| e.to_string())?;
            }
            Ok::<_, String>(())
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    let elapsed = started.elapsed();
    let next = app.stores.invoices.next_invoice_seq(2025).await.map_err(|e| e.to_string())?;
    let query = common::store::AuditQuery { tenant: Some(tenant.tenant_id.clone()), from: now, to: chrono::Utc::now() + chrono::TimeDelta::days(1) };
    let entries =
        app.stores.audit.list_audit(&query, &common::store::PageRequest { limit: 100_000, cursor: None }).await.map_err(|e| e.to_string())?.items.len();
    println!(
        "issued {count} invoices (20 lines each) with {concurrency} concurrent issuer(s){} in {:.2} s: {:.1} invoices/s; next number {next} (gapless: {}); {entries} audit entries",
        if audited { ", audited" } else { "" },
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        next == count as u64 + 1
    );
    Ok(())
}

//! What must hold after any flow, however it was interrupted, once the client retried: read
//! through the unwrapped stores, over every tenant, invoice, object, key and run.

use std::collections::{BTreeMap, BTreeSet};

use common::App;
use common::caller::Caller;
use common::domain::{Invoice, InvoiceFilter, InvoiceNumber, ItemState, TenantId, TenantStatus};
use common::service::invoices::{self, pdf_key, stored_pdf};
use common::service::repair::{Action, Kind};
use common::store::{ListedObject, Owner, Page, PageRequest, PrincipalArn, StoreError};

use super::faults::Harness;
use super::faults_flows::Flow;

async fn all<T, F, Fut>(mut fetch: F) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, StoreError>>,
{
    let (mut out, mut cursor) = (Vec::new(), None);
    loop {
        let page = fetch(PageRequest { limit: 100, cursor }).await.expect("a listing");
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

fn as_tenant(t: &TenantId) -> Caller {
    Caller {
        principal: PrincipalArn::parse("arn:aws:iam::123456789012:user/faults").expect("arn"),
        owner: Owner::Tenant { tenant_id: t.clone() },
        api_key_id: None,
    }
}

/// The invariants, then the repair sweep: it may only delete (a staging upload left by a failed
/// clean-up, a key made for a request that failed), and a second sweep finds nothing.
pub(crate) async fn after_run(h: &Harness, flow: Flow, label: &str) {
    invariants(h, label).await;
    let report = h.sweep().await;
    for f in &report.findings {
        let allowed = matches!((f.kind, f.action), (Kind::StagedUpload | Kind::OrphanKey, Action::Deleted));
        assert!(allowed, "{label}: the sweep found something a retry should have completed:\n{report}");
    }
    if flow != Flow::Keys && flow != Flow::Offboard {
        assert!(report.of(Kind::OrphanKey).is_empty(), "{label}: {report}");
    }
    let again = h.sweep().await;
    assert!(again.is_clean(), "{label}: a second sweep still finds:\n{again}");
}

pub(crate) async fn invariants(h: &Harness, label: &str) {
    let app = &*h.clean;
    let tenants = all(|p| async move { app.stores.tenants.list_tenants(&p).await }).await;
    let objects: BTreeMap<String, ListedObject> =
        all(|p| async move { app.stores.objects.list_objects("tenants/", &p).await }).await.into_iter().map(|o| (o.key.clone(), o)).collect();
    let mut numbers: BTreeMap<i32, Vec<u64>> = BTreeMap::new();
    let mut known: BTreeSet<String> = BTreeSet::new();
    for t in &tenants {
        let id = &t.tenant_id;
        let filter = &InvoiceFilter::default();
        for inv in all(|p| async move { app.stores.invoices.list_invoices(id, filter, &p).await }).await {
            numbers.entry(Invoice::year_of(inv.issue_date)).or_default().push(inv.invoice_number.seq());
            known.insert(pdf_key(&inv).expect("key").as_str().to_owned());
            if inv.status().is_delivered() {
                let key = pdf_key(&inv).expect("key");
                let size = objects.get(key.as_str()).map(|o| o.size);
                assert_eq!(size, inv.pdf().map(|p| p.size), "{label}: {} is {} without its PDF", inv.invoice_number, inv.status().as_str());
            }
        }
        // What the tenant sees: only delivered invoices, each with exactly its recorded PDF.
        let caller = &as_tenant(id);
        let seen =
            all(|p| async move { invoices::list(app, caller, id, InvoiceFilter::default(), &p).await.map_err(|e| StoreError::Unavailable(format!("{e:?}"))) })
                .await;
        for inv in seen {
            assert!(inv.status().is_delivered(), "{label}: a tenant sees {} while {}", inv.invoice_number, inv.status().as_str());
            let (_, key, pdf) = invoices::pdf_of(app, caller, id, &inv.invoice_number).await.expect("a visible invoice's PDF");
            let stored = stored_pdf(app, &key).await.expect("read").map(|(info, _)| info);
            assert_eq!(stored.as_ref(), Some(&pdf), "{label}: {} shows a PDF that is not the one stored", inv.invoice_number);
        }
    }
    // Every object under invoices/ is an invoice's PDF.
    for key in objects.keys().filter(|k| k.contains("/invoices/")) {
        assert!(known.contains(key), "{label}: {key} belongs to no invoice");
    }
    // Numbers: every year's run from 1 without a gap or a repeat, and the counter right after.
    for (year, mut seqs) in numbers {
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "{label}: invoice numbers of {year}");
        let next = app.stores.invoices.next_invoice_seq(year).await.expect("counter");
        assert_eq!(next, seqs.len() as u64 + 1, "{label}: {year}'s counter handed out a number no invoice has");
    }
    keys(app, &tenants, label).await;
    runs(app, label).await;
}

/// Each tenant's key on its tier's plan, enabled exactly while active (at the gateway and in the
/// registry), gone once offboarded; any other key cannot be used.
async fn keys(app: &App, tenants: &[common::domain::Tenant], label: &str) {
    let Some(manager) = &app.keys else { return };
    let states = manager.list_keys().await.expect("keys");
    let mut held = BTreeSet::new();
    for t in tenants {
        let Some(id) = &t.api_key_id else {
            assert_eq!(t.status, TenantStatus::Offboarded, "{label}: {} has no key", t.tenant_id);
            continue;
        };
        held.insert(id.as_str().to_owned());
        let state = states.iter().find(|s| s.id == *id);
        let record = app.stores.principals.get_api_key(id).await.expect("registry");
        if t.status == TenantStatus::Offboarded {
            assert!(state.is_none() && record.is_none(), "{label}: offboarded {} keeps its key {state:?} {record:?}", t.tenant_id);
            continue;
        }
        let enabled = t.status == TenantStatus::Active;
        let state = state.unwrap_or_else(|| panic!("{label}: {}'s key {} is not at the gateway", t.tenant_id, id.as_str()));
        assert_eq!((state.tiers.as_slice(), state.enabled), ([t.plan_tier].as_slice(), enabled), "{label}: {}'s key at the gateway", t.tenant_id);
        let record = record.unwrap_or_else(|| panic!("{label}: {}'s key is not in the registry", t.tenant_id));
        assert_eq!((&record.owner, record.enabled), (&Owner::Tenant { tenant_id: t.tenant_id.clone() }, enabled), "{label}: {}'s key record", t.tenant_id);
    }
    for s in states.iter().filter(|s| !held.contains(s.id.as_str())) {
        let record = app.stores.principals.get_api_key(&s.id).await.expect("registry");
        let usable = s.enabled && record.is_some_and(|r| r.enabled);
        assert!(!usable, "{label}: key {} of {} is held by no tenant and still works", s.id.as_str(), s.tenant);
    }
}

/// Every run finished, its counts adding up and matching its items.
async fn runs(app: &App, label: &str) {
    for run in all(|p| async move { app.stores.runs.list_runs(None, &p).await }).await {
        let id = &run.run_id;
        let (run, counts) = app.stores.runs.get_run(id).await.expect("run").expect("listed");
        assert!(!run.state.is_active(), "{label}: {id} is still {}", run.state.as_str());
        let items = all(|p| async move { app.stores.runs.list_items(id, &p).await }).await;
        let count = |s: ItemState| items.iter().filter(|i| i.state == s).count() as u64;
        assert_eq!(
            (counts.total, counts.issued, counts.failed, counts.cancelled),
            (items.len() as u64, count(ItemState::Issued), count(ItemState::Failed), count(ItemState::Cancelled)),
            "{label}: {id}'s counts"
        );
        assert_eq!(counts.remaining(), 0, "{label}: {id}");
    }
}

/// The invoice `number` of `tenant`, for the repair tests.
pub(crate) async fn invoice(app: &App, tenant: &TenantId, number: &InvoiceNumber) -> Invoice {
    app.stores.invoices.get_invoice(tenant, number).await.expect("read").expect("the invoice")
}

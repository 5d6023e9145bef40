//! Prepares a gateway data directory for the streaming benchmark: the demo, a 1 GiB "PDF" for an
//! invoice of the first demo tenant, and 1,000,000 CSV rows (100,000 billing records of 10 lines).
//! Written through the embedded store's streaming put and bulk import, so that this process, not
//! the gateway measured afterwards, carries the cost.
//!
//! `cargo run --release -p local-gateway --example seed_streaming -- DATA_DIR [MiB] [records]`
//! prints `tenant=<id> invoice=<number>`.

use std::sync::Arc;

use bytes::Bytes;
use common::clock::SystemClock;
use common::domain::{
    BillingContent, BillingId, BillingLine, BillingPeriod, BillingRecord, BillingStatus, Invoice, InvoiceNumber, InvoiceStatus, IssuerSnapshot, PdfInfo,
    RegistrationNumber, TaxCategory, Yen,
};
use common::store::ObjectKey;
use common::store::embedded::{EmbeddedOptions, EmbeddedStore};
use local_gateway::start::{Options, start};
use sha2::{Digest, Sha256};

#[tokio::main]
async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::path::PathBuf::from(args.first().ok_or("usage: seed_streaming DATA_DIR [MiB] [records]")?);
    let mib: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1024);
    let records: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    // The demo (credentials, tenants), through the gateway's own start-up; then let go of the store.
    let started = start(&Options { port: 0, data_dir: dir.clone(), ..Options::default() }, Arc::new(SystemClock)).await?;
    let demo = started.demo.clone().ok_or("the data directory already held a demo; use an empty one")?;
    let tenant = demo.tenants[0].tenant_id.clone();
    let issued = started.gateway.app().stores.invoices.get_issuer().await.map_err(|e| e.to_string())?.ok_or("no issuer")?;
    let recipient = started.gateway.app().stores.tenants.get_tenant(&tenant).await.map_err(|e| e.to_string())?.ok_or("no tenant")?.customer_profile;
    drop(started);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let keys: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("keys.json")).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let key = |k: &str| hex::decode(keys[k].as_str().unwrap_or_default()).map_err(|e| e.to_string());
    let options = EmbeddedOptions { cursor_key: key("cursorKey")?, presign_key: key("presignKey")?, public_base_url: "http://127.0.0.1:3000".into() };
    let store = EmbeddedStore::open(&dir, options, Arc::new(SystemClock)).map_err(|e| e.to_string())?;

    // The big object, streamed in 1 MiB chunks, hashed as it goes.
    let number = InvoiceNumber::parse("BIG-2025-000001")?;
    let object_key = ObjectKey::new(&tenant, &format!("invoices/{number}.pdf"))?;
    let chunk = Bytes::from((0..1 << 20).map(|i: usize| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect::<Vec<u8>>());
    let mut hasher = Sha256::new();
    for _ in 0..mib {
        hasher.update(&chunk);
    }
    let sha = hex::encode(hasher.finalize());
    let body = futures_util::stream::iter((0..mib).map(|_| Ok::<_, std::convert::Infallible>(chunk.clone())));
    store.put_stream(&object_key, body, "application/pdf", u64::MAX).await.map_err(|e| format!("{e:?}"))?;

    let line = |n: i64| BillingLine {
        description: format!("Redmine ホスティング 項目 {n}, \"標準\""),
        quantity: 1 + n % 3,
        unit_price: Yen::new(1000 + 37 * n).unwrap_or(Yen::ZERO),
        tax_category: if n % 4 == 0 { TaxCategory::Reduced } else { TaxCategory::Standard },
    };
    let period = BillingPeriod::parse("2025-06")?;
    let content = BillingContent {
        lines: (0..10).map(line).collect(),
        notes: None,
        issue_date: period.first_day().unwrap_or_default(),
        due_date: period.first_day().unwrap_or_default(),
    };
    let now = chrono::Utc::now();
    let record = |i: usize| BillingRecord {
        billing_id: BillingId::parse(&format!("2025-06-{i:08}")).unwrap_or_else(|_| BillingId::new(period, [0; 8])),
        tenant_id: tenant.clone(),
        period,
        content: content.clone(),
        status: BillingStatus::Issued,
        invoice_number: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    for batch in (0..records).collect::<Vec<_>>().chunks(10_000) {
        store.import_billings(batch.iter().map(|i| record(*i)).collect()).await.map_err(|e| e.to_string())?;
    }
    // The invoice that names the big object (its billing record is the first imported one).
    let bound = BillingRecord { invoice_number: Some(number.clone()), ..record(records) };
    let invoice = Invoice {
        invoice_number: number.clone(),
        tenant_id: tenant.clone(),
        billing_id: bound.billing_id.clone(),
        period,
        status: InvoiceStatus::Issued,
        issue_date: content.issue_date,
        due_date: content.due_date,
        recipient,
        issuer: IssuerSnapshot {
            name: issued.name,
            address: issued.address,
            registration_number: RegistrationNumber::parse("T8700110005901")?,
            bank_details: issued.bank_details,
        },
        lines: content.lines.clone(),
        notes: None,
        totals: content.totals(issued.rounding)?,
        pdf: Some(PdfInfo { sha256: sha.clone(), size: (mib as u64) << 20 }),
        pdf_source: common::domain::PdfSource::External,
        void_reason: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    use common::store::{BillingStore, InvoiceStore};
    store.create_billing(&BillingRecord { invoice_number: None, ..bound.clone() }).await.map_err(|e| e.to_string())?;
    let seq = store.next_invoice_seq(2025).await.map_err(|e| e.to_string())?;
    store.allocate_invoice(2025, seq, &invoice, &bound, 1).await.map_err(|e| e.to_string())?;
    println!("tenant={tenant} invoice={number} sha256={sha} rows={}", records * 10);
    Ok(())
}

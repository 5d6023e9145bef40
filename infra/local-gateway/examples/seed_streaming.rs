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
use common::domain::{BillingContent, BillingId, BillingLine, BillingPeriod, BillingRecord, InvoiceNumber, PdfInfo, PdfSource, TaxCategory, Yen, lifecycle};
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
    let draft = |i: usize| {
        let id = BillingId::parse(&format!("2025-06-{i:08}")).unwrap_or_else(|_| BillingId::new(period, [0; 8]));
        BillingRecord::draft(id, tenant.clone(), content.clone(), now)
    };
    // Records reach `issued` the only way they can: bound to a number, then issued.
    let issued_record = |i: usize| -> Result<BillingRecord, String> {
        let d = draft(i);
        let n = InvoiceNumber::parse(&format!("CSV-2025-{:07}", i + 1))?;
        let (invoice, bound) = lifecycle::bind(&d, lifecycle::freeze(&d, &issued, recipient.clone(), n, PdfSource::Rendered)?, now).map_err(|e| e.0)?;
        Ok(lifecycle::issue(&invoice, &bound, PdfInfo { sha256: "0".repeat(64), size: 0 }, now).map_err(|e| e.0)?.1)
    };
    for batch in (0..records).collect::<Vec<_>>().chunks(10_000) {
        let batch = batch.iter().map(|i| issued_record(*i)).collect::<Result<Vec<_>, _>>()?;
        store.import_billings(batch).await.map_err(|e| e.to_string())?;
    }
    // The invoice that names the big object, numbered and issued through the store's ports.
    use common::store::{BillingStore, InvoiceStore};
    let big = draft(records);
    store.create_billing(&big).await.map_err(|e| e.to_string())?;
    let (invoice, bound) = lifecycle::bind(&big, lifecycle::freeze(&big, &issued, recipient, number.clone(), PdfSource::External)?, now).map_err(|e| e.0)?;
    let seq = store.next_invoice_seq(2025).await.map_err(|e| e.to_string())?;
    store.allocate_invoice(2025, seq, &invoice, &bound, big.version).await.map_err(|e| e.to_string())?;
    let (done, done_record) = lifecycle::issue(&invoice, &bound, PdfInfo { sha256: sha.clone(), size: (mib as u64) << 20 }, now).map_err(|e| e.0)?;
    store.update_invoice_and_billing(&done, invoice.version, &done_record, bound.version).await.map_err(|e| e.to_string())?;
    println!("tenant={tenant} invoice={number} sha256={sha} rows={}", records * 10);
    Ok(())
}

//! A month-end run on AWS's own pieces, over moto: DynamoDB and S3 for the records and PDFs, SQS
//! for the work, and the worker Lambda's handler fed SQS batches as the event source feeds it,
//! every batch delivered twice.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use common::App;
use common::caller::Caller;
use common::clock::{SequentialIds, SystemClock};
use common::domain::{BillingContent, BillingId, BillingLine, RunState, TaxCategory, Yen};
use common::service::runs::{self, RunInput, Started};
use common::store::{Owner, PrincipalArn};
use seikyu_tests::fixtures::{FakePdf, draft_with, dynamodb_store_with_queue, issuer, moto_sdk_config, tenant, tenant_id};
use serde_json::json;

fn operator() -> Caller {
    Caller { principal: PrincipalArn::parse("arn:aws:iam::123456789012:role/SeikyuOperator").unwrap(), owner: Owner::Operator, api_key_id: None }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_over_sqs_issues_every_draft_once() {
    let (fixture, url) = dynamodb_store_with_queue().await;
    let app = App {
        stores: fixture.stores.clone(),
        clock: Arc::new(SystemClock),
        ids: Arc::new(SequentialIds::default()),
        renderer: Some(Arc::new(FakePdf)),
        keys: None,
        iam: None,
    };
    app.stores.invoices.put_issuer(&issuer(), None).await.unwrap();
    for t in 1..=2u8 {
        app.stores.tenants.create_tenant(&tenant(&tenant_id(t), "T")).await.unwrap();
        for i in 0..12u16 {
            let line = BillingLine { description: "保守".into(), quantity: 1, unit_price: Yen::new(500).unwrap(), tax_category: TaxCategory::Standard };
            let content = BillingContent { lines: vec![line], notes: None, issue_date: "2025-10-31".parse().unwrap(), due_date: "2025-11-30".parse().unwrap() };
            app.stores.billings.create_billing(&draft_with(&tenant_id(t), BillingId::parse(&format!("2025-10-{i:08}")).unwrap(), content)).await.unwrap();
        }
    }
    let Started::Run(run) =
        runs::start(&app, &operator(), RunInput { period: "2025-10".into(), tenants: None, generate: Some(false), dry_run: None }).await.unwrap()
    else {
        panic!("not a dry run");
    };

    let conf = moto_sdk_config().await;
    let sqs = aws_sdk_sqs::Client::new(&conf);
    let mut empty = 0;
    let mut batches = 0;
    while empty < 2 && batches < 200 {
        let got = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
            .visibility_timeout(0)
            .send()
            .await
            .unwrap();
        let messages = got.messages.unwrap_or_default();
        if messages.is_empty() {
            empty += 1;
            continue;
        }
        batches += 1;
        // The batch as the SQS event source hands it to the Lambda.
        let records: Vec<_> = messages
            .iter()
            .map(|m| {
                let receives = m.attributes().and_then(|a| a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)).cloned();
                json!({"messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(), "attributes": {"ApproximateReceiveCount": receives.unwrap_or_else(|| "1".into())}, "messageAttributes": {}, "eventSource": "aws:sqs"})
            })
            .collect();
        let event: SqsEvent = serde_json::from_value(json!({ "Records": records })).unwrap();
        let first = run_worker::handle(&app, event.clone()).await;
        let again = run_worker::handle(&app, event).await;
        assert!(first.batch_item_failures.is_empty() && again.batch_item_failures.is_empty(), "{first:?}");
        for m in &messages {
            sqs.delete_message().queue_url(&url).receipt_handle(m.receipt_handle().unwrap_or_default()).send().await.unwrap();
        }
    }
    let done = runs::get(&app, &operator(), &run.run_id).await.unwrap();
    assert_eq!((done.state, done.counts.total, done.counts.issued, done.counts.remaining), (RunState::Completed, 24, 24, 0));
    let mut seqs = Vec::new();
    for t in 1..=2u8 {
        let page =
            app.stores.invoices.list_invoices(&tenant_id(t), &Default::default(), &common::store::PageRequest { limit: 100, cursor: None }).await.unwrap();
        seqs.extend(page.items.iter().map(|i| i.invoice_number.seq()));
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=24).collect::<Vec<_>>(), "one invoice per record, gapless, though every message came twice");
}

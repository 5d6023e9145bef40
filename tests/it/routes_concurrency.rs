//! Simultaneous requests over HTTP through the local gateway: one Idempotency-Key sent twice at
//! once makes one record, and one record issued twice at once gets one invoice number, with the
//! year's sequence going on without a gap.

use std::collections::BTreeSet;

use seikyu_tests::gateway::start_gateway;
use seikyu_tests::http_client::Fetched;

use crate::routes_support::{assert_problem, billing_body, header, json, line, now, seq_of, sha256_hex, text};

fn billing_id(r: &Fetched) -> String {
    json(r)["billingId"].as_str().unwrap_or_else(|| panic!("no billingId: {}", text(r))).to_owned()
}

fn replayed(r: &Fetched) -> bool {
    header(r, "idempotent-replayed") == Some("true")
}

/// Rounds of the same race: each one a chance for the second request to find the first still
/// running (409) or already done (a replay).
const ROUNDS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_idempotency_key_sent_twice_at_once_makes_one_record() {
    let gw = start_gateway(now()).await;
    let op = gw.operator();
    let billings = format!("/v1/tenants/{}/billings", gw.demo.tenants[1].tenant_id);
    let mut made = BTreeSet::new();
    let (mut conflicts, mut replays) = (0, 0);
    for round in 0..ROUNDS {
        let key = format!("race-{round}");
        let body = billing_body(&[line(&format!("同時送信 {round}"), 1, 1_000, "standard")]);
        let headers = [("content-type", "application/json"), ("idempotency-key", key.as_str())];
        let (first, second) = tokio::join!(op.send("POST", &billings, &headers, &body), op.send("POST", &billings, &headers, &body));
        let mut created = Vec::new();
        for r in [&first, &second] {
            match r.status {
                201 => created.push(r),
                409 => {
                    assert_problem(r, 409, "the duplicate while the first runs");
                    conflicts += 1;
                }
                s => panic!("round {round}: {s} {}", text(r)),
            }
        }
        let fresh: Vec<_> = created.iter().filter(|r| !replayed(r)).collect();
        assert_eq!(fresh.len(), 1, "round {round}: exactly one request made the record: {} and {}", first.status, second.status);
        let id = billing_id(fresh[0]);
        for r in &created {
            assert_eq!(billing_id(r), id, "round {round}: a replay answers with the same record");
        }
        replays += created.len() - 1;
        // The client retrying afterwards gets the first answer.
        let retry = op.send("POST", &billings, &headers, &body).await;
        assert_eq!((retry.status, replayed(&retry), billing_id(&retry)), (201, true, id.clone()), "round {round}");
        made.insert(id);
    }
    eprintln!("{ROUNDS} races: {conflicts} answered 409 (still running), {replays} replayed");
    let listed = op.send("GET", &format!("{billings}?limit=100"), &[], b"").await;
    assert_eq!(listed.status, 200, "{}", text(&listed));
    let ids: Vec<String> = json(&listed)["items"].as_array().unwrap().iter().filter_map(|b| b["billingId"].as_str().map(str::to_owned)).collect();
    assert_eq!(ids.len(), ROUNDS, "one record per key: {ids:?}");
    assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), made);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_record_issued_twice_at_once_gets_one_number_and_the_next_follows() {
    let gw = start_gateway(now()).await;
    let op = gw.operator();
    let tenant = gw.demo.tenants[1].tenant_id.to_string();
    let billings = format!("/v1/tenants/{tenant}/billings");
    // The year's sequence so far: the demo's invoice for the first tenant.
    let demo = op.send("GET", &format!("/v1/tenants/{}/invoices", gw.demo.tenants[0].tenant_id), &[], b"").await;
    let last = json(&demo)["items"].as_array().unwrap().iter().filter_map(|i| i["invoiceNumber"].as_str()).map(seq_of).max().expect("the demo invoice");

    let mut drafts = Vec::new();
    for i in 0..=ROUNDS {
        let body = billing_body(&[line(&format!("保守作業 {i}"), 1, 20_000, "standard")]);
        let key = format!("issue-race-{i}");
        let r = op.send("POST", &billings, &[("content-type", "application/json"), ("idempotency-key", &key)], &body).await;
        assert_eq!(r.status, 201, "{}", text(&r));
        drafts.push(billing_id(&r));
    }
    let next = drafts.pop().expect("one more draft");

    let mut numbers = Vec::new();
    for (round, id) in drafts.iter().enumerate() {
        let issue = format!("{billings}/{id}/issue");
        let (first, second) = tokio::join!(op.send("POST", &issue, &[], b""), op.send("POST", &issue, &[], b""));
        let mut statuses = [first.status, second.status];
        statuses.sort_unstable();
        assert!(
            statuses == [200, 201] || statuses == [201, 201],
            "round {round}: both succeed, one of them issuing: {statuses:?} {} {}",
            text(&first),
            text(&second)
        );
        let (a, b) = (json(&first)["invoiceNumber"].clone(), json(&second)["invoiceNumber"].clone());
        assert!(a.is_string(), "{}", text(&first));
        assert_eq!(a, b, "round {round}: one number for one record");
        assert_eq!(json(&first)["billingId"].as_str(), Some(id.as_str()));
        numbers.push(a.as_str().unwrap_or_default().to_owned());
    }
    let seqs: Vec<u64> = numbers.iter().map(|n| seq_of(n)).collect();
    assert_eq!(seqs, (last + 1..=last + ROUNDS as u64).collect::<Vec<_>>(), "consecutive after the demo's, none skipped: {numbers:?}");

    // Exactly one invoice per record, its stored PDF the one it records.
    let listed = op.send("GET", &format!("/v1/tenants/{tenant}/invoices?limit=100"), &[], b"").await;
    let items = json(&listed)["items"].as_array().cloned().unwrap_or_default();
    let listed_numbers: BTreeSet<String> = items.iter().filter_map(|i| i["invoiceNumber"].as_str().map(str::to_owned)).collect();
    assert_eq!(listed_numbers, numbers.iter().cloned().collect::<BTreeSet<_>>(), "{}", text(&listed));
    assert_eq!(items.len(), ROUNDS, "one invoice per record: {}", text(&listed));
    for item in &items {
        let number = item["invoiceNumber"].as_str().unwrap_or_default();
        let pdf = op.send("GET", &format!("/v1/tenants/{tenant}/invoices/{number}/pdf"), &[], b"").await;
        assert_eq!(pdf.status, 200, "{number}: {}", text(&pdf));
        assert_eq!(Some(sha256_hex(&pdf.body).as_str()), item["pdf"]["sha256"].as_str(), "{number}");
    }

    let after = op.send("POST", &format!("{billings}/{next}/issue"), &[], b"").await;
    assert_eq!(after.status, 201, "{}", text(&after));
    let n = json(&after)["invoiceNumber"].as_str().unwrap_or_default().to_owned();
    assert_eq!(seq_of(&n), last + ROUNDS as u64 + 1, "the next record gets the next number: {n}");
}

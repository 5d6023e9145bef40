//! The life of a billing record and its invoice, and what each step freezes. This is the one place
//! that changes either: every route goes through these transitions, so none can edit what an
//! invoice number is bound to.
//!
//! | step          | billing record    | invoice          | what may still change                          |
//! |---------------|-------------------|------------------|------------------------------------------------|
//! | draft         | `draft`           | —                | lines, notes, dates (totals use today's rounding) |
//! | number bound  | `issuing` / `awaitingUpload` | `rendering` / `awaitingUpload` | nothing billed: lines, notes, dates, totals, rounding, issuer, recipient and number are frozen; only the PDF is still to come |
//! | issued        | `issued`          | `issued`         | the PDF is fixed (SHA-256, size); only paid or void may follow |
//! | paid          | `paid`            | `paid` + date    | nothing                                        |
//! | void          | `void`            | `void` + reason  | nothing; the number stays used                  |
//!
//! Binding copies the invoice's totals and rounding onto the record in the same write, so a record
//! shows exactly what was invoiced whatever the issuer's settings say later.

use chrono::{DateTime, NaiveDate, Utc};

use super::Versioned;

use super::{
    BillingContent, BillingRecord, BillingStatus, Binding, CustomerProfile, FrozenInvoice, Invoice, InvoiceNumber, InvoiceStatus, IssuerSettings, PdfInfo,
    PdfSource,
};

/// A transition the current state does not allow, worded for the client (the API answers 409).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn refused(m: impl Into<String>) -> Refused {
    Refused(m.into())
}

/// Why a record that is not a draft cannot change.
fn frozen_detail(record: &BillingRecord) -> String {
    match (record.status(), record.invoice_number()) {
        (BillingStatus::Issuing, Some(n)) => format!("The billing record is bound to invoice {n}, which is being issued; it can no longer change."),
        (BillingStatus::AwaitingUpload, Some(n)) => format!(
            "The billing record is bound to invoice {n}, which is waiting for its uploaded PDF; it can no longer change. Upload the PDF, or correct it after issuing by voiding and issuing a new record."
        ),
        (s, Some(n)) => {
            format!("The billing record is {} as invoice {n}; only drafts change. Void the invoice and issue a new record to correct it.", s.as_str())
        }
        (s, None) => format!("The billing record is {}; only drafts change.", s.as_str()),
    }
}

/// A draft's content replaced.
pub fn revise(record: &BillingRecord, content: BillingContent, now: DateTime<Utc>) -> Result<BillingRecord, Refused> {
    if record.status() != BillingStatus::Draft || record.binding().is_some() {
        return Err(refused(frozen_detail(record)));
    }
    Ok(record.next(now, |r| r.set_content(content)))
}

/// What a draft becomes under `number`: its content with the issuer's settings and the recipient
/// as they are now, totals rounded the issuer's way. Fails only when the totals overflow.
pub fn freeze(
    record: &BillingRecord,
    issuer: &IssuerSettings,
    recipient: CustomerProfile,
    number: InvoiceNumber,
    pdf_source: PdfSource,
) -> Result<FrozenInvoice, String> {
    let content = record.content();
    Ok(FrozenInvoice {
        invoice_number: number,
        tenant_id: record.tenant_id.clone(),
        billing_id: record.billing_id.clone(),
        period: record.period,
        issue_date: content.issue_date,
        due_date: content.due_date,
        recipient,
        issuer: issuer.into(),
        lines: content.lines.clone(),
        notes: content.notes.clone(),
        rounding: issuer.rounding,
        totals: content.totals(issuer.rounding)?,
        pdf_source,
    })
}

/// Binds a draft to its invoice: the new invoice and the record that now carries its number and
/// totals. The invoice must have been frozen from this very record.
pub fn bind(record: &BillingRecord, frozen: FrozenInvoice, now: DateTime<Utc>) -> Result<(Invoice, BillingRecord), Refused> {
    if record.status() != BillingStatus::Draft || record.binding().is_some() {
        return Err(refused(frozen_detail(record)));
    }
    let content = record.content();
    let same = frozen.billing_id == record.billing_id
        && frozen.tenant_id == record.tenant_id
        && frozen.lines == content.lines
        && frozen.notes == content.notes
        && (frozen.issue_date, frozen.due_date) == (content.issue_date, content.due_date);
    if !same {
        return Err(refused("The invoice was not made from this billing record's current content."));
    }
    let status = match frozen.pdf_source {
        PdfSource::Rendered => BillingStatus::Issuing,
        PdfSource::External => BillingStatus::AwaitingUpload,
    };
    let binding = Binding { invoice_number: frozen.invoice_number.clone(), rounding: frozen.rounding, totals: frozen.totals.clone() };
    let invoice = Invoice::numbered(frozen, now);
    let bound = record.next(now, |r| {
        r.set_status(status);
        r.set_binding(binding);
    });
    Ok((invoice, bound))
}

/// Whether `record` and `invoice` say the same thing: the number, lines, notes, dates, totals and
/// rounding the record is bound to are the invoice's.
pub fn agrees(record: &BillingRecord, invoice: &Invoice) -> bool {
    let (content, Some(binding)) = (record.content(), record.binding()) else { return false };
    binding.invoice_number == invoice.invoice_number
        && binding.totals == invoice.totals
        && binding.rounding == invoice.rounding
        && record.billing_id == invoice.billing_id
        && record.tenant_id == invoice.tenant_id
        && content.lines == invoice.lines
        && content.notes == invoice.notes
        && (content.issue_date, content.due_date) == (invoice.issue_date, invoice.due_date)
}

fn check_pair(record: &BillingRecord, invoice: &Invoice) -> Result<(), Refused> {
    if agrees(record, invoice) { Ok(()) } else { Err(refused(format!("Invoice {} and its billing record disagree.", invoice.invoice_number))) }
}

/// The numbered invoice issued with its stored PDF, and its record with it.
pub fn issue(invoice: &Invoice, record: &BillingRecord, pdf: PdfInfo, now: DateTime<Utc>) -> Result<(Invoice, BillingRecord), Refused> {
    check_pair(record, invoice)?;
    let waiting = matches!(
        (invoice.status(), record.status()),
        (InvoiceStatus::Rendering, BillingStatus::Issuing) | (InvoiceStatus::AwaitingUpload, BillingStatus::AwaitingUpload)
    );
    if !waiting {
        return Err(refused(format!("Invoice {} is {}; it was issued already.", invoice.invoice_number, invoice.status().as_str())));
    }
    let issued = invoice.next(now, |i| {
        i.set_status(InvoiceStatus::Issued);
        i.set_pdf(pdf);
    });
    Ok((issued, record.next(now, |r| r.set_status(BillingStatus::Issued))))
}

/// An issued invoice paid on `on`, invoice and record alike.
pub fn pay(invoice: &Invoice, record: &BillingRecord, on: NaiveDate, now: DateTime<Utc>) -> Result<(Invoice, BillingRecord), Refused> {
    check_pair(record, invoice)?;
    if invoice.status() != InvoiceStatus::Issued || record.status() != BillingStatus::Issued {
        return Err(refused(format!("Only issued invoices can be paid; invoice {} is {}.", invoice.invoice_number, invoice.status().as_str())));
    }
    let paid = invoice.next(now, |i| {
        i.set_status(InvoiceStatus::Paid);
        i.set_paid_on(on);
    });
    Ok((paid, record.next(now, |r| r.set_status(BillingStatus::Paid))))
}

/// An issued, unpaid invoice voided, invoice and record alike; its number stays used.
pub fn void(invoice: &Invoice, record: &BillingRecord, reason: String, now: DateTime<Utc>) -> Result<(Invoice, BillingRecord), Refused> {
    check_pair(record, invoice)?;
    if invoice.status() != InvoiceStatus::Issued || record.status() != BillingStatus::Issued {
        return Err(refused(format!("Only issued, unpaid invoices can be voided; invoice {} is {}.", invoice.invoice_number, invoice.status().as_str())));
    }
    let voided = invoice.next(now, |i| {
        i.set_status(InvoiceStatus::Void);
        i.set_void_reason(reason);
    });
    Ok((voided, record.next(now, |r| r.set_status(BillingStatus::Void))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        BillingContact, BillingId, BillingLine, BillingPeriod, InvoicePrefix, PostalCode, RegistrationNumber, Rounding, TaxCategory, TenantId, Yen,
    };
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 4, 30, 9, 0, 0).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn content(prices: &[(i64, TaxCategory)]) -> BillingContent {
        let lines =
            prices.iter().map(|(p, c)| BillingLine { description: "保守".into(), quantity: 1, unit_price: Yen::new(*p).unwrap(), tax_category: *c }).collect();
        BillingContent { lines, notes: None, issue_date: day("2025-04-30"), due_date: day("2025-05-31") }
    }

    fn draft() -> BillingRecord {
        let id = BillingId::new(BillingPeriod::parse("2025-04").unwrap(), [1; 8]);
        BillingRecord::draft(
            id,
            TenantId::parse("tn_0000000000000001").unwrap(),
            content(&[(12_345, TaxCategory::Standard), (6_481, TaxCategory::Reduced)]),
            now(),
        )
    }

    fn issuer(rounding: Rounding) -> IssuerSettings {
        IssuerSettings {
            name: "株式会社セイキュウ".into(),
            address: "島根県松江市".into(),
            registration_number: RegistrationNumber::parse("T8700110005901").unwrap(),
            bank_details: "しまね銀行".into(),
            invoice_prefix: InvoicePrefix::parse("INV").unwrap(),
            rounding,
            invoice_dates: Default::default(),
            version: 1,
            updated_at: now(),
        }
    }

    fn recipient() -> CustomerProfile {
        CustomerProfile {
            company_name: "しまね商事".into(),
            postal_code: PostalCode::parse("690-0001").unwrap(),
            address: "松江市".into(),
            billing_contact: BillingContact { name: "山田".into(), email: crate::domain::Email::parse("a@example.jp").unwrap() },
        }
    }

    fn bound(source: PdfSource, rounding: Rounding) -> (Invoice, BillingRecord) {
        let d = draft();
        let number = InvoiceNumber::parse("INV-2025-000040").unwrap();
        bind(&d, freeze(&d, &issuer(rounding), recipient(), number, source).unwrap(), now()).unwrap()
    }

    fn pdf() -> PdfInfo {
        PdfInfo { sha256: "0".repeat(64), size: 10 }
    }

    #[test]
    fn a_bound_record_shows_the_invoiced_totals_whatever_the_rounding_is_now() {
        let (invoice, record) = bound(PdfSource::Rendered, Rounding::Floor);
        assert_eq!((invoice.totals.tax.get(), invoice.totals.total.get()), (1234 + 518, 20_578));
        for today in [Rounding::Floor, Rounding::Ceil, Rounding::HalfUp] {
            assert_eq!(record.totals(today).unwrap(), (invoice.totals.clone(), Rounding::Floor));
        }
        let (computed, used) = draft().totals(Rounding::Ceil).unwrap();
        assert_eq!((computed.total.get(), used), (20_580, Rounding::Ceil), "a draft uses today's rounding and says so");
    }

    #[test]
    fn nothing_changes_a_record_once_its_number_is_bound() {
        for source in [PdfSource::Rendered, PdfSource::External] {
            let (invoice, record) = bound(source, Rounding::Floor);
            let expected = if source == PdfSource::External { BillingStatus::AwaitingUpload } else { BillingStatus::Issuing };
            assert_eq!(record.status(), expected);
            let err = revise(&record, content(&[(1_099_999, TaxCategory::Standard)]), now()).unwrap_err();
            assert!(err.0.contains("INV-2025-000040"), "{err}");
            assert!(bind(&record, invoice.frozen().clone(), now()).is_err(), "a second number");
            let (issued, rec) = issue(&invoice, &record, pdf(), now()).unwrap();
            assert!(issue(&issued, &rec, pdf(), now()).is_err(), "issued twice");
            assert!(revise(&rec, draft().content().clone(), now()).is_err());
        }
    }

    #[test]
    fn paid_and_void_reach_the_invoice() {
        let (invoice, record) = bound(PdfSource::Rendered, Rounding::Floor);
        assert!(pay(&invoice, &record, day("2025-05-10"), now()).is_err(), "not issued yet");
        let (invoice, record) = issue(&invoice, &record, pdf(), now()).unwrap();
        let (paid, paid_record) = pay(&invoice, &record, day("2025-05-10"), now()).unwrap();
        assert_eq!((paid.status(), paid.paid_on(), paid_record.status()), (InvoiceStatus::Paid, Some(day("2025-05-10")), BillingStatus::Paid));
        assert!(void(&paid, &paid_record, "x".into(), now()).is_err(), "paid invoices are not voided");
        let (voided, void_record) = void(&invoice, &record, "宛名誤り".into(), now()).unwrap();
        assert_eq!((voided.status(), voided.void_reason(), void_record.status()), (InvoiceStatus::Void, Some("宛名誤り"), BillingStatus::Void));
        assert!(pay(&voided, &void_record, day("2025-05-10"), now()).is_err());
        assert_eq!(voided.totals, invoice.totals, "voiding changes no amount");
    }

    #[test]
    fn a_mismatched_pair_is_refused() {
        let (invoice, _) = bound(PdfSource::Rendered, Rounding::Floor);
        let (_, other) = bound(PdfSource::Rendered, Rounding::Ceil);
        assert!(!agrees(&other, &invoice));
        assert!(issue(&invoice, &other, pdf(), now()).is_err());
        let d = draft();
        let mut frozen = freeze(&d, &issuer(Rounding::Floor), recipient(), InvoiceNumber::parse("INV-2025-000041").unwrap(), PdfSource::Rendered).unwrap();
        frozen.lines[0].unit_price = Yen::new(1).unwrap();
        assert!(bind(&d, frozen, now()).is_err(), "an invoice that is not the record's content");
    }
}

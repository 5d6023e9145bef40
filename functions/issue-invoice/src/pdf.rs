//! The invoice as the PDF renderer draws it: the frozen invoice turned into printed text.

use chrono::{Datelike, NaiveDate};
use common::domain::{Invoice, TaxCategory};
use common::service::invoices::InvoiceRenderer;
use invoice_pdf::{InvoiceDocument, Issuer, Line, Recipient, Renderer, TaxRow};

/// `2025年4月30日`.
fn japanese_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// What the renderer prints for `invoice`.
pub fn document(invoice: &Invoice) -> InvoiceDocument {
    InvoiceDocument {
        invoice_number: invoice.invoice_number.to_string(),
        issue_date: japanese_date(invoice.issue_date),
        transaction_period: format!("{}年{}月分", invoice.period.year(), invoice.period.month()),
        due_date: japanese_date(invoice.due_date),
        recipient: Recipient {
            company_name: invoice.recipient.company_name.clone(),
            postal_code: invoice.recipient.postal_code.to_string(),
            address: invoice.recipient.address.clone(),
        },
        issuer: Issuer {
            name: invoice.issuer.name.clone(),
            registration_number: invoice.issuer.registration_number.to_string(),
            address: invoice.issuer.address.clone(),
            bank_details: invoice.issuer.bank_details.clone(),
        },
        lines: invoice
            .lines
            .iter()
            .map(|l| Line {
                description: l.description.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price.get(),
                // Stored lines were validated: their amounts are within range.
                amount: l.amount().map_or(0, |a| a.get()),
                reduced_rate: l.tax_category == TaxCategory::Reduced,
            })
            .collect(),
        tax_summary: invoice
            .totals
            .by_rate
            .iter()
            .map(|r| TaxRow { rate_percent: u8::try_from(r.rate_percent).unwrap_or(0), subtotal: r.subtotal.get(), tax: r.tax.get() })
            .collect(),
        total: invoice.totals.total.get(),
        notes: invoice.notes.clone(),
    }
}

/// The real renderer: the font parsed once, at start-up.
pub struct PdfRenderer(Renderer);

impl PdfRenderer {
    /// Loads the font from `FONT_DIR` (`/opt/fonts` in Lambda, `layers/fonts` locally); the
    /// error says where it looked.
    pub fn from_env() -> Result<Self, String> {
        Renderer::from_env().map(Self).map_err(|e| e.to_string())
    }
}

impl InvoiceRenderer for PdfRenderer {
    fn render(&self, invoice: &Invoice) -> Result<Vec<u8>, String> {
        self.0.render(&document(invoice)).map_err(|e| e.to_string())
    }
}

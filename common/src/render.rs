//! The port through which invoices become PDFs (the PDF crate behind it in issue-invoice and the
//! run worker; fakes in tests). A leaf: `App` holds one without depending on the services.

use std::sync::Arc;

use crate::domain::Invoice;

/// Turns an invoice into PDF bytes; the same invoice always gives the same bytes.
pub trait InvoiceRenderer: Send + Sync {
    fn render(&self, invoice: &Invoice) -> Result<Vec<u8>, String>;
}

/// Keeps `Arc` in the signature readable where renderers are passed around.
pub type SharedRenderer = Arc<dyn InvoiceRenderer>;

//! Domain operations: what each route does, independent of HTTP. Handlers parse, call one of
//! these, and format the answer.

pub mod archive;
pub mod audit;
pub mod billings;
pub mod contracts;
pub mod generation;
pub mod invoices;
pub mod issue_batch;
pub mod issuer;
pub mod principals;
pub mod repair;
pub mod runs;
pub mod tenant_keys;
pub mod tenants;
pub mod uploads;
pub mod usage;

use std::future::Future;

use crate::store::{MAX_PAGE, Page, PageRequest, StoreError};

/// Every item of a listing, read a full page at a time.
pub(crate) async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, StoreError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, StoreError>>,
{
    let (mut all, mut cursor) = (Vec::new(), None);
    loop {
        let page = fetch(PageRequest { limit: MAX_PAGE, cursor }).await?;
        all.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(all),
        }
    }
}

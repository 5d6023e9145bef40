//! Domain operations: what each route does, independent of HTTP. Handlers parse, call one of
//! these, and format the answer.

pub mod billings;
pub mod contracts;
pub mod generation;
pub mod invoices;
pub mod issuer;
pub mod runs;
pub mod tenant_keys;
pub mod tenants;
pub mod uploads;
pub mod usage;

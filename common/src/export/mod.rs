//! The files the API streams: billing data for spreadsheets, run reports, invoice bundles.

pub mod bundle;
pub mod csv;
pub mod files;
mod paged;
pub mod pdf;
pub mod tenant_archive;
pub mod unzip;
pub mod zip;

pub use paged::paged;

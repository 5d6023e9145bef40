//! Exports of billing data for spreadsheets.

pub mod csv;
pub mod zip;

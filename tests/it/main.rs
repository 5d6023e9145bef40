//! The one end-to-end test binary: storage conformance on every adapter, every route's handler,
//! and every sample event in `events/`.

mod apikeys;
mod apikeys_aws;
mod apikeys_recorded;
mod cli;
mod clients;
mod conformance;
mod conformance_principals;
mod downloads;
mod events;
mod exports;
mod gateway;
mod generation;
mod handlers;
mod handlers_billings;
mod handlers_contracts;
mod handlers_invoices;
mod integrity;
mod invoice_isolation;
mod issued_pdf;
mod issuing;
mod lifecycle_props;
mod limits;
mod openapi;
mod principals;
mod revalidation;
mod routes_access;
mod routes_concurrency;
mod routes_coverage;
mod routes_support;
mod runs;
mod runs_aws;
mod template;
mod template_stack;
mod uploads;
mod usage;

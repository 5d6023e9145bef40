//! seikyu's core: domain types that parse, validation, errors, the caller context, storage ports
//! and adapters, and telemetry. Function crates are thin wrappers over this.

pub mod apikeys;
pub mod app;
pub mod audit;
pub mod aws_http;
pub mod caller;
pub mod clock;
pub mod domain;
pub mod error;
pub mod export;
pub mod http;
pub mod iam;
pub mod metrics;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod render;
pub mod runtime;
pub mod service;
pub mod store;
pub mod stream;
pub mod telemetry;
pub mod validation;
pub mod views;

pub use app::App;
pub use error::ApiError;

//! The local stand-in for API Gateway: every route on localhost with SigV4 verification, API
//! keys and API Gateway's exact answers, calling each route's handler in-process with the REST
//! proxy event API Gateway would send. Its route table is the one list of routes: the SAM
//! template, `events/`, the OpenAPI document and the tests are all held against it. It also serves
//! that document, and a page made from it, at `/openapi.json` and `/docs` (local only).

pub mod answers;
pub mod credentials;
pub mod demo;
pub mod docs;
mod event;
pub mod iam;
pub mod keys;
pub mod limits;
mod routes;
pub mod runner;
pub mod server;
pub mod sigv4;
pub mod start;

pub use routes::{Access, Entry, ROUTES, Route};
pub use server::{Gateway, serve};

/// A request id in API Gateway's shape (a UUID).
pub fn request_id() -> String {
    let b: [u8; 16] = rand::random();
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

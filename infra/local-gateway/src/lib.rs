//! The local stand-in for API Gateway. Its route table is the one list of routes: the SAM
//! template, `events/` and the tests are all held against it.

mod routes;

pub use routes::{ROUTES, Route};

//! Test fixtures: stores over each adapter, a seeded app, and API Gateway REST proxy events.

pub mod events;
pub mod faults;
pub mod fixtures;
pub mod gateway;
pub mod http_client;

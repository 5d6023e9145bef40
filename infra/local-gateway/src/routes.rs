//! Every API route: method, path template, the function crate that serves it, and its handler.

use common::runtime::Handler;
use http::Method;

#[derive(Debug, Clone)]
pub struct Route {
    /// The function crate's name, also its directory under `functions/` and its Lambda's name.
    pub function: &'static str,
    pub method: Method,
    /// API Gateway's resource path, with `{param}` templates.
    pub path: &'static str,
    pub handler: Handler,
    /// Streams its response (Lambda response streaming) rather than buffering it.
    pub streams: bool,
}

pub const ROUTES: &[Route] = &[
    Route { function: "create-tenant", method: Method::POST, path: "/v1/tenants", handler: create_tenant::handler, streams: false },
    Route { function: "get-tenant", method: Method::GET, path: "/v1/tenants/{tenantId}", handler: get_tenant::handler, streams: false },
    Route { function: "update-tenant", method: Method::PATCH, path: "/v1/tenants/{tenantId}", handler: update_tenant::handler, streams: false },
    Route { function: "list-contracts", method: Method::GET, path: "/v1/tenants/{tenantId}/contracts", handler: list_contracts::handler, streams: false },
    Route {
        function: "get-contract",
        method: Method::GET,
        path: "/v1/tenants/{tenantId}/contracts/{contractId}",
        handler: get_contract::handler,
        streams: false,
    },
    Route {
        function: "put-contract",
        method: Method::PUT,
        path: "/v1/tenants/{tenantId}/contracts/{contractId}",
        handler: put_contract::handler,
        streams: false,
    },
];

impl Route {
    /// Matches a request path against the template; the path parameters on success.
    /// Segments are compared as sent (API Gateway matches before decoding).
    pub fn matches(&self, path: &str) -> Option<Vec<(&'static str, String)>> {
        let mut params = Vec::new();
        let mut want = self.path.split('/');
        let mut got = path.split('/');
        loop {
            match (want.next(), got.next()) {
                (None, None) => return Some(params),
                (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') => {
                    if g.is_empty() {
                        return None;
                    }
                    params.push((&w[1..w.len() - 1], g.to_owned()));
                }
                (Some(w), Some(g)) if w == g => {}
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_unique_and_matches_its_own_template() {
        for (i, r) in ROUTES.iter().enumerate() {
            let concrete = r.path.replace("{tenantId}", "tn_0000000000000001").replace("{contractId}", "C-1");
            assert!(r.matches(&concrete).is_some(), "{}", r.path);
            for other in &ROUTES[i + 1..] {
                assert!(!(other.method == r.method && other.path == r.path), "duplicate {} {}", r.method, r.path);
            }
        }
    }

    #[test]
    fn templates_bind_segments() {
        let r = ROUTES.iter().find(|r| r.function == "get-contract").unwrap();
        assert_eq!(r.matches("/v1/tenants/tn_x/contracts/C-1").unwrap(), vec![("tenantId", "tn_x".to_owned()), ("contractId", "C-1".to_owned())]);
        assert!(r.matches("/v1/tenants/tn_x/contracts").is_none());
        assert!(r.matches("/v1/tenants//contracts/C-1").is_none());
        assert!(r.matches("/v1/tenants/tn_x/contracts/C-1/extra").is_none());
    }
}

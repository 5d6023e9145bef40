//! Every API route: method, path template, the function crate that serves it, and its handler.

use common::runtime::{Handler, StreamHandler};
use http::Method;

/// How a route answers: a buffered response (up to Lambda's 6 MB), or a stream (Lambda response
/// streaming, any size).
#[derive(Debug, Clone, Copy)]
pub enum Entry {
    Buffered(Handler),
    Streaming(StreamHandler),
}

/// Who may call a route: the README's "who" column. API Gateway lets any registered caller
/// through; the handlers enforce this, and the end-to-end tests hold them to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The operator only: a tenant gets 403.
    Operator,
    /// A tenant for its own data (another tenant's answers 404), and the operator for any.
    TenantOwn,
    /// Any registered caller, about itself.
    Anyone,
}

#[derive(Debug, Clone)]
pub struct Route {
    /// The function crate's name, also its directory under `functions/` and its Lambda's name.
    pub function: &'static str,
    pub method: Method,
    /// API Gateway's resource path, with `{param}` templates.
    pub path: &'static str,
    pub entry: Entry,
    pub access: Access,
    /// The function crate's own `ROUTE` ("METHOD path"): logs and metrics name the route by it,
    /// so a test holds it to `method` and `path`.
    pub declared: &'static str,
}

/// A buffered route.
const fn route(function: &'static str, access: Access, method: Method, path: &'static str, declared: &'static str, handler: Handler) -> Route {
    Route { function, method, path, entry: Entry::Buffered(handler), access, declared }
}

/// A streaming route.
const fn stream(function: &'static str, access: Access, method: Method, path: &'static str, declared: &'static str, handler: StreamHandler) -> Route {
    Route { function, method, path, entry: Entry::Streaming(handler), access, declared }
}

use Access::{Anyone, Operator, TenantOwn};

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    route("create-tenant", Operator, Method::POST, "/v1/tenants", create_tenant::ROUTE, create_tenant::handler),
    route("get-tenant", TenantOwn, Method::GET, "/v1/tenants/{tenantId}", get_tenant::ROUTE, get_tenant::handler),
    route("update-tenant", Operator, Method::PATCH, "/v1/tenants/{tenantId}", update_tenant::ROUTE, update_tenant::handler),
    route("rotate-api-key", Operator, Method::POST, "/v1/tenants/{tenantId}/api-key/rotate", rotate_api_key::ROUTE, rotate_api_key::handler),
    route("get-tenant-usage", TenantOwn, Method::GET, "/v1/tenants/{tenantId}/usage", get_tenant_usage::ROUTE, get_tenant_usage::handler),
    route("list-contracts", TenantOwn, Method::GET, "/v1/tenants/{tenantId}/contracts", list_contracts::ROUTE, list_contracts::handler),
    route("get-contract", TenantOwn, Method::GET, "/v1/tenants/{tenantId}/contracts/{contractId}", get_contract::ROUTE, get_contract::handler),
    route("put-contract", Operator, Method::PUT, "/v1/tenants/{tenantId}/contracts/{contractId}", put_contract::ROUTE, put_contract::handler),
    route("create-billing", Operator, Method::POST, "/v1/tenants/{tenantId}/billings", create_billing::ROUTE, create_billing::handler),
    route("list-billings", TenantOwn, Method::GET, "/v1/tenants/{tenantId}/billings", list_billings::ROUTE, list_billings::handler),
    stream("export-billings", TenantOwn, Method::GET, "/v1/tenants/{tenantId}/billings.csv", export_billings::ROUTE, export_billings::handler),
    route("get-billing", TenantOwn, Method::GET, "/v1/tenants/{tenantId}/billings/{billingId}", get_billing::ROUTE, get_billing::handler),
    route("update-billing", Operator, Method::PATCH, "/v1/tenants/{tenantId}/billings/{billingId}", update_billing::ROUTE, update_billing::handler),
    route("issue-invoice", Operator, Method::POST, "/v1/tenants/{tenantId}/billings/{billingId}/issue", issue_invoice::ROUTE, issue_invoice::handler),
    route("mark-paid", Operator, Method::POST, "/v1/tenants/{tenantId}/billings/{billingId}/paid", mark_paid::ROUTE, mark_paid::handler),
    route("list-invoices", TenantOwn, Method::GET, "/v1/tenants/{tenantId}/invoices", list_invoices::ROUTE, list_invoices::handler),
    stream("download-invoices-zip", TenantOwn, Method::GET, "/v1/tenants/{tenantId}/invoices.zip", download_invoices_zip::ROUTE, download_invoices_zip::handler),
    route("get-invoice", TenantOwn, Method::GET, "/v1/tenants/{tenantId}/invoices/{invoiceNumber}", get_invoice::ROUTE, get_invoice::handler),
    stream("download-invoice", TenantOwn, Method::GET, "/v1/tenants/{tenantId}/invoices/{invoiceNumber}/pdf", download_invoice::ROUTE, download_invoice::handler),
    route("invoice-upload-url", Operator, Method::POST, "/v1/tenants/{tenantId}/invoices/{invoiceNumber}/upload-url", invoice_upload_url::ROUTE, invoice_upload_url::handler),
    route("complete-invoice-upload", Operator, Method::POST, "/v1/tenants/{tenantId}/invoices/{invoiceNumber}/upload-complete", complete_invoice_upload::ROUTE, complete_invoice_upload::handler),
    route("void-invoice", Operator, Method::POST, "/v1/tenants/{tenantId}/invoices/{invoiceNumber}/void", void_invoice::ROUTE, void_invoice::handler),
    route("put-issuer", Operator, Method::PUT, "/v1/issuer", put_issuer::ROUTE, put_issuer::handler),
    route("get-issuer", Operator, Method::GET, "/v1/issuer", get_issuer::ROUTE, get_issuer::handler),
    route("list-usage", Operator, Method::GET, "/v1/usage", list_usage::ROUTE, list_usage::handler),
    route("list-audit", Operator, Method::GET, "/v1/audit", list_audit::ROUTE, list_audit::handler),
    route("list-tenant-audit", TenantOwn, Method::GET, "/v1/tenants/{tenantId}/audit", list_tenant_audit::ROUTE, list_tenant_audit::handler),
    stream("export-tenant", Operator, Method::POST, "/v1/tenants/{tenantId}/exports", export_tenant::ROUTE, export_tenant::handler),
    route("restore-tenant", Operator, Method::POST, "/v1/tenants/{tenantId}/restore", restore_tenant::ROUTE, restore_tenant::handler),
    route("restore-url", Operator, Method::POST, "/v1/tenants/{tenantId}/restore-url", restore_url::ROUTE, restore_url::handler),
    route("purge-tenant", Operator, Method::POST, "/v1/tenants/{tenantId}/purge", purge_tenant::ROUTE, purge_tenant::handler),
    route("create-invoice-run", Operator, Method::POST, "/v1/invoice-runs", create_invoice_run::ROUTE, create_invoice_run::handler),
    route("list-invoice-runs", Operator, Method::GET, "/v1/invoice-runs", list_invoice_runs::ROUTE, list_invoice_runs::handler),
    route("get-invoice-run", Operator, Method::GET, "/v1/invoice-runs/{runId}", get_invoice_run::ROUTE, get_invoice_run::handler),
    route("cancel-invoice-run", Operator, Method::POST, "/v1/invoice-runs/{runId}/cancel", cancel_invoice_run::ROUTE, cancel_invoice_run::handler),
    stream("run-report", Operator, Method::GET, "/v1/invoice-runs/{runId}/report.csv", run_report::ROUTE, run_report::handler),
    route("get-me", Anyone, Method::GET, "/v1/me", get_me::ROUTE, get_me::handler),
    route("register-principal", Operator, Method::POST, "/v1/principals", register_principal::ROUTE, register_principal::handler),
    route("list-principals", Operator, Method::GET, "/v1/principals", list_principals::ROUTE, list_principals::handler),
    route("remove-principal", Operator, Method::DELETE, "/v1/principals/{principalId}", remove_principal::ROUTE, remove_principal::handler),
    route("get-iam-policy", Operator, Method::GET, "/v1/tenants/{tenantId}/iam-policy", get_iam_policy::ROUTE, get_iam_policy::handler),
];

impl Route {
    /// Whether the route streams its response.
    pub fn streams(&self) -> bool {
        matches!(self.entry, Entry::Streaming(_))
    }

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
            let concrete = r
                .path
                .replace("{tenantId}", "tn_0000000000000001")
                .replace("{contractId}", "C-1")
                .replace("{billingId}", "2025-04-abcdefgh")
                .replace("{invoiceNumber}", "INV-2025-000001");
            assert!(r.matches(&concrete).is_some(), "{}", r.path);
            for other in &ROUTES[i + 1..] {
                assert!(!(other.method == r.method && other.path == r.path), "duplicate {} {}", r.method, r.path);
            }
        }
    }

    /// Each function crate names its own route (its logs and metrics carry it): the same as the
    /// table's, and its crate is the table's function.
    #[test]
    fn each_function_declares_its_own_route() {
        for r in ROUTES {
            assert_eq!(r.declared, format!("{} {}", r.method, r.path), "{}", r.function);
        }
        let mut functions: Vec<&str> = ROUTES.iter().map(|r| r.function).collect();
        functions.sort_unstable();
        functions.dedup();
        assert_eq!(functions.len(), ROUTES.len(), "one route per function crate");
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

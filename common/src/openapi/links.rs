//! Links (OpenAPI's `links` on a response): where what an operation answers leads. A create's
//! answer names what it made, so the read, the change and the next step of its life take their
//! path parameters from its body, and a change its `If-Match` from the answer's `ETag`; a read
//! leads to the change the same way. Clients and tools that follow links (schemathesis's stateful
//! phase) chain create → read → change with the version just returned, instead of guessing ids
//! and versions. The tests hold every link to the operations it names: the target exists, each
//! parameter set is one of its parameters, every path parameter it needs is set, and each
//! expression names a field of the source's answer or a header it sends.

use utoipa::Modify;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::link::{Link, LinkBuilder};
use utoipa::openapi::{OpenApi, RefOr};

use super::problems::operations;

/// The answer's `ETag`: the version a change names in `If-Match`.
const ETAG: &str = "$response.header.ETag";
const TENANT: (&str, &str) = ("path.tenantId", "$response.body#/tenantId");
const CONTRACT: (&str, &str) = ("path.contractId", "$response.body#/contractId");
const BILLING: (&str, &str) = ("path.billingId", "$response.body#/billingId");
const INVOICE: (&str, &str) = ("path.invoiceNumber", "$response.body#/invoiceNumber");
const RUN: (&str, &str) = ("path.runId", "$response.body#/runId");
const PRINCIPAL: (&str, &str) = ("path.principalId", "$response.body#/principalId");
const IF_MATCH: (&str, &str) = ("header.If-Match", ETAG);

/// One link: from an operation's answers with these statuses to another operation, named after
/// it, with its parameters (`<in>.<name>`, as OpenAPI qualifies them) taken from the answer.
pub(super) struct Follow {
    pub(super) from: &'static str,
    pub(super) statuses: &'static [&'static str],
    pub(super) to: &'static str,
    pub(super) parameters: &'static [(&'static str, &'static str)],
    pub(super) description: &'static str,
}

const fn follow(
    from: &'static str,
    statuses: &'static [&'static str],
    to: &'static str,
    parameters: &'static [(&'static str, &'static str)],
    description: &'static str,
) -> Follow {
    Follow { from, statuses, to, parameters, description }
}

const CREATED: &[&str] = &["201"];
const OK: &[&str] = &["200"];
const OK_OR_CREATED: &[&str] = &["200", "201"];

/// Every link, by source operation.
pub(super) const FOLLOWS: &[Follow] = &[
    // Tenants: onboard, read, change (the onboarding's ETag is version 1).
    follow("create-tenant", CREATED, "get-tenant", &[TENANT], "The tenant just onboarded."),
    follow("create-tenant", CREATED, "update-tenant", &[TENANT, IF_MATCH], "Change the tenant just onboarded, at the version it was onboarded with."),
    follow("get-tenant", OK, "update-tenant", &[TENANT, IF_MATCH], "Change the tenant at the version read."),
    follow("update-tenant", OK, "get-tenant", &[TENANT], "The tenant as changed."),
    follow("update-tenant", OK, "update-tenant", &[TENANT, IF_MATCH], "Change it again, at the version just made."),
    follow("rotate-api-key", OK, "get-tenant", &[TENANT], "The tenant, now with its new key's id."),
    // Contracts: a PUT creates or replaces; replacing names the version in If-Match.
    follow("put-contract", OK_OR_CREATED, "get-contract", &[TENANT, CONTRACT], "The contract as stored."),
    follow("put-contract", OK_OR_CREATED, "put-contract", &[TENANT, CONTRACT, IF_MATCH], "Replace the contract, at the version just stored."),
    follow("get-contract", OK, "put-contract", &[TENANT, CONTRACT, IF_MATCH], "Replace the contract at the version read."),
    // Billing records: create a draft, read it, change it, issue it, mark it paid.
    follow("create-billing", CREATED, "get-billing", &[TENANT, BILLING], "The draft just created."),
    follow("create-billing", CREATED, "update-billing", &[TENANT, BILLING, IF_MATCH], "Change the draft just created, at its first version."),
    follow("create-billing", CREATED, "issue-invoice", &[TENANT, BILLING], "Issue the draft just created."),
    follow("get-billing", OK, "update-billing", &[TENANT, BILLING, IF_MATCH], "Change the draft at the version read."),
    follow("get-billing", OK, "issue-invoice", &[TENANT, BILLING], "Issue the record read."),
    follow("update-billing", OK, "get-billing", &[TENANT, BILLING], "The draft as changed."),
    follow("update-billing", OK, "update-billing", &[TENANT, BILLING, IF_MATCH], "Change it again, at the version just made."),
    follow("update-billing", OK, "issue-invoice", &[TENANT, BILLING], "Issue the draft as changed."),
    follow("mark-paid", OK, "get-billing", &[TENANT, BILLING], "The record, paid."),
    follow("mark-paid", OK, "get-invoice", &[TENANT, INVOICE], "Its invoice, paid."),
    // Invoices: what issuing made, its PDF, paying or voiding it.
    follow("issue-invoice", OK_OR_CREATED, "get-invoice", &[TENANT, INVOICE], "The invoice issued."),
    follow("issue-invoice", OK_OR_CREATED, "download-invoice", &[TENANT, INVOICE], "The invoice's PDF."),
    follow("issue-invoice", OK_OR_CREATED, "invoice-upload-url", &[TENANT, INVOICE], "Where to upload its PDF (issued with `?pdf=external`)."),
    follow("issue-invoice", OK_OR_CREATED, "mark-paid", &[TENANT, BILLING], "Mark its billing record paid."),
    follow("issue-invoice", OK_OR_CREATED, "void-invoice", &[TENANT, INVOICE], "Void the invoice."),
    follow("complete-invoice-upload", OK, "get-invoice", &[TENANT, INVOICE], "The invoice, issued with the uploaded PDF."),
    follow("complete-invoice-upload", OK, "download-invoice", &[TENANT, INVOICE], "The uploaded PDF."),
    follow("void-invoice", OK, "get-invoice", &[TENANT, INVOICE], "The invoice, void."),
    // Issuer: set, read, replace at the version read.
    follow("put-issuer", OK_OR_CREATED, "get-issuer", &[], "The settings as stored."),
    follow("put-issuer", OK_OR_CREATED, "put-issuer", &[IF_MATCH], "Replace the settings, at the version just stored."),
    follow("get-issuer", OK, "put-issuer", &[IF_MATCH], "Replace the settings at the version read."),
    // Month-end runs: poll the run started, cancel it, read its report.
    follow("create-invoice-run", &["202"], "get-invoice-run", &[RUN], "Poll the run."),
    follow("create-invoice-run", &["202"], "cancel-invoice-run", &[RUN], "Cancel the run."),
    follow("create-invoice-run", &["202"], "run-report", &[RUN], "The run's report."),
    follow("cancel-invoice-run", OK, "get-invoice-run", &[RUN], "The run, cancelled."),
    // Principals: one registered can be removed.
    follow("register-principal", OK_OR_CREATED, "remove-principal", &[PRINCIPAL], "Remove the principal registered."),
];

/// Puts every link of [`FOLLOWS`] on its source's answers.
pub(super) struct Links;

impl Modify for Links {
    fn modify(&self, api: &mut OpenApi) {
        for item in api.paths.paths.values_mut() {
            for (_, op) in operations(item) {
                let Some(id) = op.operation_id.clone() else { continue };
                for follow in FOLLOWS.iter().filter(|f| f.from == id) {
                    let link = link(follow);
                    for status in follow.statuses {
                        let Some(RefOr::T(response)) = op.responses.responses.get_mut(*status) else { continue };
                        response.links.insert(follow.to.to_owned(), RefOr::T(link.clone()));
                    }
                }
            }
        }
    }
}

/// The link object. utoipa 5.5 serialises `Link::operation_id` as `operation_id` (its `Link` has
/// no camelCase renaming), which no tool reads; the field is left empty (so it is left out) and
/// `operationId` goes in through the flattened extensions, which serialise keys as they are.
fn link(follow: &Follow) -> Link {
    let mut id = Extensions::default();
    id.insert("operationId".to_owned(), follow.to.into());
    follow
        .parameters
        .iter()
        .fold(LinkBuilder::new().description(follow.description), |link, (name, value)| link.parameter(*name, *value))
        .extensions(Some(id))
        .build()
}

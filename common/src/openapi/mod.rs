//! The API's contract: an OpenAPI 3.1 document made from the code. The schemas are derived from
//! the types the handlers serialise (`views`) and deserialise (the services' inputs), so a field
//! cannot change without the document changing; each route has one annotated item here, named
//! after its function crate, with its parameters, body and every status it answers. What every
//! route shares (API Gateway's refusals, the problems any handler can end in, revalidation,
//! security) is added to all of them by `problems`; the links from what an operation answers to
//! the operations on what it made (read, change with the `ETag` just returned, issue) by `links`.
//!
//! `cargo run -p local-gateway --bin write-openapi` writes it to `infra/openapi.json`; a test fails
//! when that file is stale, or when the document, the route table, the SAM template and `events/`
//! disagree.

mod apigateway;
mod archive;
mod audit;
mod billings;
mod contracts;
mod invoices;
mod issuer;
mod links;
mod params;
mod principals;
mod problems;
mod runs;
mod tenants;
mod types;
mod usage;

use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::server::{ServerBuilder, ServerVariableBuilder};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{Components, InfoBuilder, LicenseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

pub(crate) use types::{Address, BankDetails, LineDescription, Name, Notes, VoidReason};

use apigateway::DocumentationParts;
use links::Links;
use problems::Refusals;

/// The document, as served and written.
pub fn document() -> utoipa::openapi::OpenApi {
    Api::openapi()
}

/// The document as `infra/openapi.json` holds it: pretty, keys in a fixed order, a final newline.
pub fn to_json() -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(&document())?;
    text.push('\n');
    Ok(text)
}

#[derive(OpenApi)]
#[openapi(
    paths(
        tenants::create_tenant,
        tenants::get_tenant,
        tenants::update_tenant,
        tenants::rotate_api_key,
        usage::get_tenant_usage,
        usage::list_usage,
        contracts::list_contracts,
        contracts::get_contract,
        contracts::put_contract,
        billings::create_billing,
        billings::list_billings,
        billings::export_billings,
        billings::get_billing,
        billings::update_billing,
        billings::issue_invoice,
        billings::mark_paid,
        invoices::list_invoices,
        invoices::download_invoices_zip,
        invoices::get_invoice,
        invoices::download_invoice,
        invoices::invoice_upload_url,
        invoices::complete_invoice_upload,
        invoices::void_invoice,
        issuer::put_issuer,
        issuer::get_issuer,
        runs::create_invoice_run,
        runs::list_invoice_runs,
        runs::get_invoice_run,
        runs::cancel_invoice_run,
        runs::run_report,
        principals::get_me,
        principals::register_principal,
        principals::list_principals,
        principals::remove_principal,
        principals::get_iam_policy,
        audit::list_tenant_audit,
        audit::list_audit,
        archive::export_tenant,
        archive::restore_tenant,
        archive::restore_url,
        archive::purge_tenant,
    ),
    modifiers(&Frame, &Refusals, &Links, &DocumentationParts)
)]
struct Api;

/// The operations' extension saying who may call them (the route table's `Access`, which a test
/// holds them to): `operator`, `tenantOwn` or `anyone`.
pub const ACCESS_EXTENSION: &str = "x-seikyu-access";

const DESCRIPTION: &str = "A multi-tenant billing API: tenants (hosted customers), their contracts, billing records (請求情報), \
    qualified invoices (請求書) with their PDFs, month-end runs, usage.\n\n\
    Every request is signed with AWS Signature Version 4 (service `execute-api`) by a registered IAM principal and carries that \
    caller's API key in `x-api-key`. The tenant a caller acts for comes from its identity only, never from the path, query or body: \
    a tenant reads its own data (another tenant's answers 404, as if it did not exist), the operator manages all.\n\n\
    Amounts are integer yen; integers are written without a fraction or an exponent (`1.0` and `1e3` are refused, though JSON Schema counts \
    them as integers); dates `YYYY-MM-DD`; timestamps RFC 3339 UTC; JSON is camelCase. Refusals by the API are RFC 9457 \
    `application/problem+json`; API Gateway's own refusals are `application/json` `{\"message\": ...}`.";

/// Info, servers, tags, the two security schemes, and on every operation: both schemes required
/// together, and who may call it in words.
struct Frame;

impl Modify for Frame {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        api.info = InfoBuilder::new()
            .title("seikyu")
            .version(env!("CARGO_PKG_VERSION"))
            .description(Some(DESCRIPTION))
            .license(Some(LicenseBuilder::new().name("MIT").identifier(Some("MIT")).build()))
            .build();
        let variable = |default: &str, description: &str| ServerVariableBuilder::new().default_value(default).description(Some(description)).build();
        api.servers = Some(vec![
            ServerBuilder::new()
                .url("https://{apiId}.execute-api.{region}.amazonaws.com/{stage}")
                .description(Some("The API deployed by infra/template.yaml."))
                .parameter("apiId", variable("a1b2c3d4e5", "The REST API's id (in the stack's `ApiEndpoint` output)."))
                .parameter("region", variable("ap-northeast-1", "The stack's Region."))
                .parameter("stage", variable("v1", "The stage (`StageName`)."))
                .build(),
            ServerBuilder::new()
                .url("http://127.0.0.1:3000")
                .description(Some("The local gateway (`cargo run -p local-gateway`), which signs and throttles as API Gateway does."))
                .build(),
        ]);
        api.tags = Some(TAGS.iter().map(|(name, description)| TagBuilder::new().name(*name).description(Some(*description)).build()).collect());
        let components = api.components.get_or_insert_with(Components::new);
        let mut sigv4 = ApiKeyValue::with_description(
            "Authorization",
            "AWS Signature Version 4, service `execute-api`, by an IAM principal registered with `POST /v1/principals` (with `X-Amz-Date`, and \
                `X-Amz-Security-Token` for temporary credentials).",
        );
        // API Gateway's own name for it, when the document is imported there.
        sigv4.extensions = Some(ExtensionsBuilder::new().add("x-amazon-apigateway-authtype", "awsSigv4").build());
        components.add_security_scheme(SIGV4, SecurityScheme::ApiKey(ApiKey::Header(sigv4)));
        let key = ApiKeyValue::with_description(
            "x-api-key",
            "The caller's API key (API Gateway's): each tenant's is on its tier's usage plan, the operator's on premium.",
        );
        components.add_security_scheme(API_KEY, SecurityScheme::ApiKey(ApiKey::Header(key)));
        for item in api.paths.paths.values_mut() {
            for (_, op) in problems::operations(item) {
                op.security = Some(vec![SecurityRequirement::new(SIGV4, Vec::<String>::new()).add(API_KEY, Vec::<String>::new())]);
                let access = op.extensions.as_ref().and_then(|e| e.get(ACCESS_EXTENSION)).and_then(|v| v.as_str()).and_then(who);
                if let Some(who) = access {
                    let text = op.description.take().map_or_else(|| who.to_owned(), |d| format!("{d}\n\n{who}"));
                    op.description = Some(text);
                }
            }
        }
        let schemas = &mut api.components.get_or_insert_with(Components::new).schemas;
        for (name, schema) in problems::schemas() {
            schemas.entry(name).or_insert(schema);
        }
        schemas.insert(crate::service::principals::NewPrincipal::name().into_owned(), types::new_principal());
    }
}

const SIGV4: &str = "sigv4";
const API_KEY: &str = "apiKey";

const TAGS: [(&str, &str); 9] = [
    ("tenants", "Hosted customers: onboarding, their details and plan, their API key."),
    ("contracts", "What each tenant has contracted for: month-end runs bill from these."),
    ("billings", "Billing records (請求情報): drafts with their lines and totals, issuing them as invoices, payment."),
    ("invoices", "Invoices (請求書): frozen at issue, their PDFs (streamed), a month's ZIP, PDFs made elsewhere and uploaded, voiding."),
    ("runs", "Month-end runs: one call generates drafts from contracts and issues a period's invoices in the background."),
    ("usage", "Requests per tenant and day as the usage plans count them, what the handlers meter, quotas."),
    ("audit", "Who changed what: every change, written with the change itself, and every refused attempt; never edited or deleted."),
    ("principals", "Who calls: the registry of IAM principals, `GET /v1/me`, a tenant's IAM policy."),
    ("issuer", "The operator as qualified-invoice issuer (適格請求書発行事業者): name, registration number, numbering, rounding, dates."),
];

/// Who may call, in words, for an `x-seikyu-access` value.
fn who(access: &str) -> Option<&'static str> {
    match access {
        "operator" => Some("**Who:** the operator only; a tenant gets 403."),
        "tenantOwn" => Some("**Who:** a tenant for its own data (another tenant's answers 404, as if it did not exist); the operator for any tenant."),
        "anyone" => Some("**Who:** any registered caller, about itself."),
        _ => None,
    }
}

#[cfg(test)]
mod tests;

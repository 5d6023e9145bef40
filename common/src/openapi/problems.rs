//! What any operation can answer besides its own results, added to every operation here so that
//! none can be forgotten: API Gateway's refusals before any handler runs (`{"message": ...}`, as
//! the template's `GatewayResponses` and the local gateway's `answers` write them), the problems
//! every handler can end in (`ApiError` → RFC 9457), the request body's refusals, and the
//! revalidation every JSON read gets from `runtime::dispatch`. Operations list the rest
//! themselves.

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{Components, OpenApi, Ref, RefOr, Required};
use utoipa::{IntoParams, Modify, PartialSchema, ToSchema};

use super::params::Revalidate;
use crate::error::{ApiError, Problem};
use crate::store::IdempotencyKey;
use crate::validation::FieldError;

/// API Gateway's own refusal, before any handler runs (its kind is in `x-amzn-ErrorType`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub(super) struct GatewayMessage {
    /// `Missing Authentication Token`, `Forbidden`, `Too Many Requests`, `Limit Exceeded`, a
    /// signature's mismatch with what the gateway computed, ...
    message: String,
}

/// An IAM refusal (`AccessDeniedException`): API Gateway spells this key `Message`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(super) struct AccessDenied {
    /// `User: <arn> is not authorized to perform: execute-api:Invoke on resource: <arn>`.
    #[schema(rename = "Message")]
    message: String,
}

pub(super) const PROBLEM: &str = "application/problem+json";
const JSON: &str = "application/json";

/// The operations of a path, with their methods.
pub(super) fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("patch", &mut item.patch),
        ("head", &mut item.head),
        ("options", &mut item.options),
        ("trace", &mut item.trace),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_mut().map(|op| (method, op)))
}

fn problem_content(example: &ApiError) -> utoipa::openapi::content::Content {
    let example = serde_json::to_value(example.problem("c6af9ac6-7b61-11e6-9a41-93e8deadbe04")).ok();
    ContentBuilder::new().schema(Some(Ref::from_schema_name(Problem::name()))).example(example).build()
}

fn gateway_content(message: &str) -> utoipa::openapi::content::Content {
    ContentBuilder::new().schema(Some(Ref::from_schema_name(GatewayMessage::name()))).example(Some(serde_json::json!({ "message": message }))).build()
}

fn header(description: &str) -> utoipa::openapi::header::Header {
    HeaderBuilder::new().schema(ObjectBuilder::new().schema_type(Type::String)).description(Some(description)).build()
}

/// The responses every operation shares, by name under `components.responses`.
fn shared() -> Vec<(&'static str, Response)> {
    let gateway_or_iam: RefOr<Schema> =
        OneOfBuilder::new().item(Ref::from_schema_name(GatewayMessage::name())).item(Ref::from_schema_name(AccessDenied::name())).into();
    let validation =
        ApiError::Validation(vec![FieldError::new("customerProfile.billingContact.email", "must be an e-mail address such as billing@example.co.jp")]);
    vec![
        (
            "BadRequest",
            ResponseBuilder::new()
                .description(
                    "Not valid: `errors` lists every refused field at once (`name`, `lines[0].unitPrice`, `path.tenantId`, `query.limit`, \
                    `header.If-Match`, `body` for JSON that does not parse). A body of the wrong shape (an unknown field, a wrong JSON type) is refused \
                    naming its first such field; a pagination cursor from another listing, query or caller is refused as `query.cursor`.",
                )
                .content(PROBLEM, problem_content(&validation))
                .build(),
        ),
        (
            "Refused",
            ResponseBuilder::new()
                .description(
                    "Refused. By API Gateway, before any handler (`application/json`): an unsigned or wrongly signed request, or no such route \
                    (`Missing Authentication Token`); a missing, unknown or disabled `x-api-key` (`Forbidden`); an IAM policy that does not allow this \
                    request (key `Message`). By the API (`application/problem+json`): the signing principal is not registered; its API key belongs to \
                    another owner; a tenant calling an operator-only operation.",
                )
                .content(PROBLEM, problem_content(&ApiError::Forbidden("This operation is for the operator only.".into())))
                .content(JSON, ContentBuilder::new().schema(Some(gateway_or_iam)).example(Some(serde_json::json!({ "message": "Forbidden" }))).build())
                .build(),
        ),
        (
            "PayloadTooLarge",
            ResponseBuilder::new()
                .description(
                    "The body is too large: a JSON body over 256 KiB (`application/problem+json`), or any body over API Gateway's 10 MB \
                    (`application/json`, `Request Too Long`).",
                )
                .content(PROBLEM, problem_content(&ApiError::PayloadTooLarge { limit: crate::http::JSON_BODY_LIMIT }))
                .content(JSON, gateway_content("Request Too Long"))
                .build(),
        ),
        (
            "UnsupportedMediaType",
            ResponseBuilder::new()
                .description("The body is not `application/json` (or another `application/*+json`) in UTF-8.")
                .content(PROBLEM, problem_content(&ApiError::UnsupportedMediaType("Send the body as application/json (charset UTF-8), not text/plain.".into())))
                .build(),
        ),
        (
            "Throttled",
            ResponseBuilder::new()
                .description(
                    "The API key's usage plan refused the request (API Gateway, before any handler): `Too Many Requests` beyond its rate and \
                    burst (retry with backoff; no `Retry-After`), `Limit Exceeded` once its quota for the day, week or month is used (retrying does not \
                    help until the period ends, UTC).",
                )
                .content(JSON, gateway_content("Too Many Requests"))
                .build(),
        ),
        (
            "InternalError",
            ResponseBuilder::new()
                .description("A fault on the API's side; nothing internal is shown. Quote `instance` when reporting it.")
                .content(PROBLEM, problem_content(&ApiError::Internal(String::new())))
                .build(),
        ),
        (
            "BadGateway",
            ResponseBuilder::new()
                .description("API Gateway: the function failed before it answered (a crash, a start-up failure).")
                .content(JSON, gateway_content("Internal server error"))
                .build(),
        ),
        (
            "Unavailable",
            ResponseBuilder::new()
                .description(
                    "Storage (or API Gateway's key management) did not answer: retry after `Retry-After` seconds. Without `Retry-After`, type \
                    `urn:seikyu:problem:limit-reached`: an AWS account limit is reached (onboarding beyond 10,000 API keys) and retrying does not help.",
                )
                .header("Retry-After", header("Seconds to wait before retrying."))
                .content(PROBLEM, problem_content(&ApiError::Unavailable(String::new())))
                .build(),
        ),
        (
            "GatewayTimeout",
            ResponseBuilder::new()
                .description("API Gateway: the function did not answer within its 29 seconds.")
                .content(JSON, gateway_content("Endpoint request timed out"))
                .build(),
        ),
        (
            "NotModified",
            ResponseBuilder::new()
                .description("`If-None-Match` names the ETag this read would carry: nothing changed, no body.")
                .header("ETag", header("The current ETag."))
                .build(),
        ),
    ]
}

/// Adds the shared responses to every operation, the revalidation of JSON reads, and the security
/// both schemes give (SigV4 and the API key, together).
pub(super) struct Refusals;

impl Modify for Refusals {
    fn modify(&self, api: &mut OpenApi) {
        let components = api.components.get_or_insert_with(Components::new);
        for (name, response) in shared() {
            components.responses.insert(name.to_owned(), RefOr::T(response));
        }
        for item in api.paths.paths.values_mut() {
            for (method, op) in operations(item) {
                let has_input = op.request_body.is_some() || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                if method == "get" && answers_json(op) {
                    revalidated(op);
                }
                let mut shared = vec![
                    ("403", "Refused"),
                    ("429", "Throttled"),
                    ("500", "InternalError"),
                    ("502", "BadGateway"),
                    ("503", "Unavailable"),
                    ("504", "GatewayTimeout"),
                ];
                if has_input {
                    shared.push(("400", "BadRequest"));
                }
                if let Some(body) = op.request_body.as_mut() {
                    optional_body_is_left_out(body);
                    shared.extend([("413", "PayloadTooLarge"), ("415", "UnsupportedMediaType")]);
                }
                for (status, name) in shared {
                    op.responses.responses.entry(status.to_owned()).or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                }
            }
        }
    }
}

/// Whether the operation's 200 is JSON (a buffered route's), not a stream.
fn answers_json(op: &Operation) -> bool {
    matches!(op.responses.responses.get("200"), Some(RefOr::T(r)) if r.content.contains_key(JSON))
}

/// `runtime::dispatch` tags every JSON 200 of a GET (the handler's ETag, or a weak tag of the
/// body) and answers 304 when `If-None-Match` names it.
fn revalidated(op: &mut Operation) {
    let params = op.parameters.get_or_insert_with(Vec::new);
    if !params.iter().any(|p| p.name.eq_ignore_ascii_case("If-None-Match")) {
        params.extend(Revalidate::into_params(|| Some(ParameterIn::Header)));
    }
    if let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") {
        ok.headers.entry("ETag".to_owned()).or_insert_with(|| header("A weak tag of the body (`W/\"…\"`): send it in `If-None-Match` to revalidate."));
    }
    op.responses.responses.entry("304".to_owned()).or_insert_with(|| RefOr::Ref(Ref::from_response_name("NotModified")));
}

/// An optional body is left out, never sent as `null` (`http::optional_json_body` refuses a JSON
/// `null` as "must be a JSON object"); utoipa writes `Option<T>` as "T or null".
fn optional_body_is_left_out(body: &mut RequestBody) {
    for content in body.content.values_mut() {
        let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema else { continue };
        let is_null = |s: &RefOr<Schema>| matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == Type::Null.into());
        let rest: Vec<RefOr<Schema>> = one_of.items.iter().filter(|s| !is_null(s)).cloned().collect();
        if let [only] = rest.as_slice()
            && rest.len() < one_of.items.len()
        {
            content.schema = Some(only.clone());
            body.required = Some(Required::False);
        }
    }
}

/// The schemas that only the shared responses and the parameters name (utoipa collects those of
/// bodies only).
pub(super) fn schemas() -> Vec<(String, RefOr<Schema>)> {
    vec![
        (GatewayMessage::name().into_owned(), GatewayMessage::schema()),
        (AccessDenied::name().into_owned(), AccessDenied::schema()),
        (IdempotencyKey::name().into_owned(), IdempotencyKey::schema()),
    ]
}

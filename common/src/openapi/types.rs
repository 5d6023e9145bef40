//! Schemas of the types whose JSON is not their Rust shape: identifiers and values that serde reads
//! through their `parse` (`#[serde(try_from = "String")]`), so a derive would only say "string".
//! Each pattern and bound restates that `parse` (see the domain type for the rule); the tests hold
//! every example to `parse`, and `tests/it/openapi.rs` runs good and bad values of each through
//! both the schema and `parse`.

use std::borrow::Cow;

use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::{
    ApiKeyId, BillingId, BillingPeriod, ContractId, Email, InvoiceNumber, InvoicePrefix, PostalCode, RegistrationNumber, RunId, TenantId, Yen,
};
use crate::service::contracts::PageView;
use crate::store::{IdempotencyKey, PrincipalArn, PrincipalId};

/// A string schema: what `parse` accepts as a pattern, one value it accepts, and what it is.
fn string(pattern: &str, example: &str, description: &str) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern)).examples([example]).description(Some(description))
}

macro_rules! string_schema {
    ($ty:ty, $pattern:literal, $example:literal, $description:literal) => {
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                string($pattern, $example, $description).into()
            }
        }
        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($ty))
            }
        }
    };
}

string_schema!(TenantId, "^tn_[0-9a-z]{16}$", "tn_0123456789abcdef", "A tenant's id: `tn_` and 16 of 0-9 and a-z, generated at onboarding.");
string_schema!(
    ContractId,
    "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
    "C-2025-0001",
    "A contract's id, chosen by the operator's system: 1 to 64 of A-Z, a-z, 0-9, `-` and `_`, starting with a letter or digit."
);
string_schema!(ApiKeyId, "^[A-Za-z0-9]{1,128}$", "a1b2c3d4e5", "An API key's id (API Gateway's), never its value.");
string_schema!(BillingPeriod, "^2[0-9]{3}-(0[1-9]|1[0-2])$", "2025-11", "A billing period: one calendar month, `YYYY-MM`, 2000-01 to 2999-12.");
string_schema!(BillingId, "^2[0-9]{3}-(0[1-9]|1[0-2])-[0-9a-z]{8}$", "2025-11-k3j9x2m1", "A billing record's id: its period and 8 of 0-9 and a-z.");
string_schema!(RunId, "^run-2[0-9]{3}-(0[1-9]|1[0-2])-[0-9a-z]{8}$", "run-2025-11-k3j9x2m1", "A month-end run's id: `run-`, its period and 8 of 0-9 and a-z.");
string_schema!(InvoicePrefix, "^[A-Z0-9]{1,10}$", "INV", "What invoice numbers start with: 1 to 10 of A-Z and 0-9.");
string_schema!(
    InvoiceNumber,
    "^[A-Z0-9]{1,10}-[0-9]{4}-[0-9]{6,12}$",
    "INV-2025-000001",
    "An invoice number, `<prefix>-<year>-<sequence>`: gapless per issuer and year, the sequence 6 digits or more."
);
string_schema!(
    RegistrationNumber,
    "^T[0-9]{13}$",
    "T8700110005901",
    "A qualified-invoice issuer's registration number (登録番号): `T` and a 13-digit corporate number whose first digit is its check digit, 9 − (Σ Pn×Qn \
        mod 9) over the other twelve (Pn the n-th digit from the right, Qn 1 for odd n, 2 for even n); a wrong check digit is refused."
);
string_schema!(PostalCode, "^[0-9]{3}-[0-9]{4}$", "690-0887", "A Japanese postal code, `NNN-NNNN`.");
string_schema!(
    PrincipalArn,
    "^arn:[a-z-]+:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_-]{1,128}$",
    "arn:aws:iam::123456789012:role/redmine-shimane",
    "An IAM principal, normalised: an assumed-role ARN (`arn:aws:sts::<account>:assumed-role/<role>/<session>`) is its role, whatever the session; a \
        role's or user's path is dropped."
);
string_schema!(
    PrincipalId,
    "^pr_[A-Za-z0-9_-]+$",
    "pr_YXJuOmF3czppYW06OjEyMzQ1Njc4OTAxMjpyb2xlL3JlZG1pbmUtc2hpbWFuZQ",
    "A principal's id in URLs: `pr_` and its normalised ARN in URL-safe base64 without padding."
);
string_schema!(IdempotencyKey, "^[!-~]{1,255}$", "5f0c6d1e-8a4b-4f6e-9c1d-2b3a4c5d6e7f", "1 to 255 visible ASCII characters: a UUID, typically.");

impl PartialSchema for Email {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::Custom("email".into())))
            .max_length(Some(254))
            .examples(["keiri@shimane.example.jp"])
            .description(Some("An e-mail address, checked for shape (one `@`, a dotted domain, no spaces), not for delivery; surrounding blanks are trimmed."))
            .into()
    }
}

impl ToSchema for Email {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Email")
    }
}

impl PartialSchema for Yen {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(-Yen::MAX))
            .maximum(Some(Yen::MAX))
            .examples([55_000])
            .description(Some("An amount in whole yen: an integer, never a fraction or a string; negative for a credit."))
            .into()
    }
}

impl ToSchema for Yen {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Yen")
    }
}

/// Unicode's control characters (general category Cc, a set Unicode never changes):
/// `validation::text` refuses them all, but for line breaks and, in text of several lines, tabs.
const CONTROL: &str = r"\u0000-\u001f\u007f-\u009f";
/// The same but tab, which text of several lines may hold (its line breaks are matched apart).
const CONTROL_BUT_TAB: &str = r"\u0000-\u0008\u000a-\u001f\u007f-\u009f";
/// The blanks `text` trims (Unicode's White_Space) that are not control characters: a character
/// outside both sets is one trimming leaves, so text holding one is never blank.
const BLANK: &str = r"\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// Free text as `validation::text` reads it: `max` characters and `lines` lines at most. The
/// pattern asks for a character that is not blank and refuses control characters (single-line
/// text: line breaks and tabs too; text of several lines: more than `lines - 1` breaks, each LF,
/// CRLF or CR). It is a little stricter than `text`, never looser: `text` also takes, and trims
/// away, control-character blanks around the text (a leading blank line, a trailing break), and
/// counts the characters left after trimming.
fn text(max: usize, lines: usize, example: &str, description: &str) -> ObjectBuilder {
    let visible = format!("[^{CONTROL}{BLANK}]");
    let pattern = if lines <= 1 {
        format!("^[^{CONTROL}]*{visible}[^{CONTROL}]*$")
    } else {
        let line = format!("[^{CONTROL_BUT_TAB}]*");
        format!("^{line}{visible}{line}((\\r\\n?|\\n){line}){{0,{}}}$", lines - 1)
    };
    let rule = if lines <= 1 {
        format!("One line of text (no line breaks, no tabs), 1 to {max} characters once the blanks around it are trimmed; no control characters.")
    } else {
        format!(
            "Text of at most {lines} lines (a line break is LF, CRLF or CR: it is stored as LF), 1 to {max} characters once the blanks around it are \
            trimmed; no control characters but line breaks and tabs."
        )
    };
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(pattern))
        .examples([example])
        .description(Some(format!("{description} {rule}")))
}

/// The kinds of free text the inputs take, each a schema of its own: `validation::text` with
/// these bounds (characters, lines), an example, and what it is.
macro_rules! text_schemas {
    ($($ty:ident: $max:literal chars, $lines:literal lines, $example:literal, $description:literal;)+) => {
        /// Each kind's name, characters and lines.
        #[cfg(test)]
        pub(super) const TEXTS: &[(&str, usize, usize)] = &[$((stringify!($ty), $max, $lines)),+];

        $(
            #[doc = $description]
            pub(crate) struct $ty;

            impl PartialSchema for $ty {
                fn schema() -> RefOr<Schema> {
                    text($max, $lines, $example, $description).into()
                }
            }

            impl ToSchema for $ty {
                fn name() -> Cow<'static, str> {
                    Cow::Borrowed(stringify!($ty))
                }
            }
        )+
    };
}

text_schemas! {
    Name: 100 chars, 1 lines, "株式会社しまね商事", "A name: a tenant's, its company's or contact's, a plan's, the issuer's.";
    Address: 200 chars, 1 lines, "島根県松江市殿町1番地", "A postal address, on one line.";
    LineDescription: 200 chars, 1 lines, "保守サービス 2025年11月分", "What a billing line is for.";
    Notes: 2000 chars, 20 lines, "お振込手数料はご負担ください。", "Notes (printed on the invoice, shown in Redmine).";
    BankDetails: 300 chars, 4 lines, "山陰銀行 本店営業部 普通 1234567 カ）セイキユウ", "Where to pay, as printed on every invoice.";
    VoidReason: 500 chars, 10 lines, "請求先の誤りのため", "Why an invoice is voided.";
}

/// An ARN `PrincipalArn::parse` takes as it is sent: an IAM role's or user's (any path before
/// the name), or an STS assumed-role one (role and session); printable ASCII (`parse` does not ask
/// for it in a path).
const ARN_INPUT: &str = concat!(
    "^arn:[a-z-]+:(iam::[0-9]{12}:(role|user)/([\\u0021-\\u007e]*/)?|sts::[0-9]{12}:assumed-role/[A-Za-z0-9+=,.@_-]{1,128}/)",
    "[A-Za-z0-9+=,.@_-]{1,128}$"
);

/// `POST /v1/principals` as `principals::register` reads it: a tenant's principal (`role`
/// tenant, with the tenant's id) or the operator's (`role` operator, no `tenantId`), one of the
/// two. It replaces the derived schema of `NewPrincipal`, which cannot say that `tenantId` goes
/// with the role; a test holds the two to the same fields.
pub(super) fn new_principal() -> RefOr<Schema> {
    let variant = |role: &str, tenant: bool| {
        let arn = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(ARN_INPUT))
            .description(Some("An IAM user or role ARN, or an STS assumed-role ARN (which registers its role, whatever the session)."));
        let access_key = ObjectBuilder::new().schema_type(Type::Boolean).description(Some(
            "Mint an access key pair for the user: only where the deployment mints keys (the local gateway; elsewhere 400), and only for an IAM \
            user's ARN (a role's callers sign with temporary credentials).",
        ));
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .title(Some(format!("{role}'s principal")))
            .property("arn", arn)
            .required("arn")
            .property("role", ObjectBuilder::new().schema_type(Type::String).enum_values(Some([role])))
            .required("role");
        if tenant {
            object = object.property("tenantId", Ref::from_schema_name(TenantId::name())).required("tenantId");
        }
        object.property("accessKey", access_key).additional_properties(Some(AdditionalProperties::FreeForm(false)))
    };
    let example = serde_json::json!({ "arn": "arn:aws:iam::123456789012:role/redmine-shimane", "role": "tenant", "tenantId": "tn_0123456789abcdef" });
    OneOfBuilder::new()
        .item(variant("tenant", true))
        .item(variant("operator", false))
        .description(Some("`POST /v1/principals`: a tenant's principal (with the tenant's id) or the operator's (without one)."))
        .examples([example])
        .into()
}

/// A page of a listing, named after its items (`ContractViewPage`, ...). `nextCursor` is always
/// there: `null` on the last page.
impl<T: ToSchema> PartialSchema for PageView<T> {
    fn schema() -> RefOr<Schema> {
        let cursor = ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
            .description(Some("Pass as `cursor` for the next page; `null` when no more items match."));
        ObjectBuilder::new()
            .property("items", ArrayBuilder::new().items(Ref::from_schema_name(T::name())))
            .property("nextCursor", cursor)
            .required("items")
            .required("nextCursor")
            .into()
    }
}

impl<T: ToSchema> ToSchema for PageView<T> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("{}Page", T::name()))
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}

/// The bytes of a download (a PDF, a ZIP).
pub(super) struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary))).into()
    }
}

impl ToSchema for Binary {}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples<T: ToSchema>() -> Vec<serde_json::Value> {
        let schema = serde_json::to_value(T::schema()).unwrap();
        schema["examples"].as_array().cloned().unwrap_or_else(|| panic!("{} has no example", T::name()))
    }

    fn text<T: ToSchema>() -> String {
        examples::<T>()[0].as_str().unwrap().to_owned()
    }

    /// Every example is a value the type's own parsing accepts.
    #[test]
    fn examples_parse() {
        assert!(TenantId::parse(&text::<TenantId>()).is_ok());
        assert!(ContractId::parse(&text::<ContractId>()).is_ok());
        assert!(ApiKeyId::parse(&text::<ApiKeyId>()).is_ok());
        assert!(BillingPeriod::parse(&text::<BillingPeriod>()).is_ok());
        assert!(BillingId::parse(&text::<BillingId>()).is_ok());
        assert!(RunId::parse(&text::<RunId>()).is_ok());
        assert!(InvoicePrefix::parse(&text::<InvoicePrefix>()).is_ok());
        assert!(InvoiceNumber::parse(&text::<InvoiceNumber>()).is_ok());
        assert!(RegistrationNumber::parse(&text::<RegistrationNumber>()).is_ok());
        assert!(PostalCode::parse(&text::<PostalCode>()).is_ok());
        assert!(Email::parse(&text::<Email>()).is_ok());
        assert!(IdempotencyKey::parse(&text::<IdempotencyKey>()).is_ok());
        let arn = PrincipalArn::parse(&text::<PrincipalArn>()).unwrap();
        assert_eq!(arn.as_str(), text::<PrincipalArn>(), "the example is normalised");
        assert_eq!(PrincipalId::parse(&text::<PrincipalId>()).unwrap(), arn, "the id example names the ARN example");
        assert!(Yen::new(examples::<Yen>()[0].as_i64().unwrap()).is_ok());
    }

    #[test]
    fn pages_are_named_after_their_items_and_list_them_by_reference() {
        assert_eq!(PageView::<crate::views::ContractView>::name(), "ContractViewPage");
        let schema = serde_json::to_value(PageView::<crate::views::ContractView>::schema()).unwrap();
        assert_eq!(schema["properties"]["items"]["items"]["$ref"], "#/components/schemas/ContractView");
        assert_eq!(schema["required"], serde_json::json!(["items", "nextCursor"]));
    }
}

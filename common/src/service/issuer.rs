//! The qualified-invoice issuer (the operator): name, registration number, bank details, how
//! invoices are numbered, how tax is rounded and how month-end runs date invoices.

use serde::Deserialize;

use crate::app::App;
use crate::caller::Caller;
use crate::domain::{InvoiceDates, InvoicePrefix, IssueOn, IssuerSettings, RegistrationNumber, Rounding};
use crate::error::ApiError;
use crate::http::IfMatch;
use crate::validation::{Validator, text};

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssuerInput {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Address))]
    pub address: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::RegistrationNumber))]
    pub registration_number: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::BankDetails))]
    pub bank_details: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::InvoicePrefix))]
    pub invoice_prefix: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::domain::Rounding>))]
    pub rounding: Option<String>,
    #[serde(default)]
    pub invoice_dates: Option<InvoiceDatesInput>,
}

/// `invoiceDates`: how month-end runs date what they generate.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvoiceDatesInput {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::domain::IssueOn))]
    pub issue_on: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 3))]
    pub due_months_after_period: i64,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 31))]
    pub due_day: i64,
}

fn invoice_dates(input: InvoiceDatesInput) -> Result<InvoiceDates, String> {
    let issue_on = match input.issue_on.as_str() {
        "periodEnd" => IssueOn::PeriodEnd,
        "nextMonthStart" => IssueOn::NextMonthStart,
        _ => return Err("issueOn must be periodEnd or nextMonthStart".into()),
    };
    let months = u8::try_from(input.due_months_after_period).map_err(|_| "dueMonthsAfterPeriod must be 0 to 3".to_owned())?;
    let day = u8::try_from(input.due_day).map_err(|_| "dueDay must be 1 to 31 (31: the month's last day)".to_owned())?;
    InvoiceDates::new(issue_on, months, day)
}

/// Creates or replaces the issuer settings (operator only); replacing needs `If-Match`.
pub async fn put_issuer(app: &App, caller: &Caller, input: IssuerInput, precondition: Option<IfMatch>) -> Result<(IssuerSettings, bool), ApiError> {
    caller.require_operator()?;
    let mut v = Validator::new();
    let name = v.check("name", text(&input.name, 100, 1));
    let address = v.check("address", text(&input.address, 200, 1));
    let registration_number = v.check("registrationNumber", RegistrationNumber::parse(&input.registration_number));
    let bank_details = v.check("bankDetails", text(&input.bank_details, 300, 4));
    let invoice_prefix = v.check("invoicePrefix", InvoicePrefix::parse(&input.invoice_prefix));
    let rounding = v.check_opt("rounding", input.rounding.as_deref(), Rounding::parse);
    let dates = v.check_opt("invoiceDates", input.invoice_dates, invoice_dates);
    let (name, address, registration_number, bank_details, invoice_prefix, rounding, dates) =
        v.finish_with((name, address, registration_number, bank_details, invoice_prefix, rounding, dates))?;
    let current = app.stores.invoices.get_issuer().await?;
    let mut settings = IssuerSettings {
        name,
        address,
        registration_number,
        bank_details,
        invoice_prefix,
        rounding: rounding.unwrap_or_default(),
        invoice_dates: dates.unwrap_or_default(),
        version: 1,
        updated_at: app.clock.now(),
    };
    match (current, precondition) {
        (None, _) => {
            app.stores.invoices.put_issuer(&settings, None).await?;
            Ok((settings, true))
        }
        (Some(_), None) => Err(ApiError::PreconditionRequired("The issuer settings exist; send If-Match with their ETag to replace them.".into())),
        (Some(cur), Some(m)) if m.matches(cur.version) => {
            settings.version = cur.version + 1;
            app.stores.invoices.put_issuer(&settings, Some(cur.version)).await?;
            Ok((settings, false))
        }
        (Some(_), Some(_)) => Err(ApiError::PreconditionFailed("The issuer settings have changed since you read them.".into())),
    }
}

pub async fn get_issuer(app: &App, caller: &Caller) -> Result<IssuerSettings, ApiError> {
    caller.require_operator()?;
    app.stores.invoices.get_issuer().await?.ok_or(ApiError::NotFound)
}

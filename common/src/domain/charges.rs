//! What contracts bill for a period, and when the invoice is dated: the rules month-end runs
//! generate draft billing records with.
//!
//! - Only `active` contracts bill. A contract serves from its `startDate` to its `endDate`, both
//!   days included (no end: open).
//! - **Monthly** contracts bill every month they serve in: the monthly fee for a whole month; for a
//!   month they serve only part of (starting or ending inside it), the fee × days served ÷ days in
//!   the month, rounded down to the yen (日割, in the customer's favour).
//! - **Yearly** contracts bill once a year, in their start month: 12 × the monthly fee for the
//!   contract year that begins on the anniversary of the start date (a 29 February start has its
//!   anniversary on 28 February in other years). When the contract ends inside that year, the fee
//!   × days served ÷ days in the contract year, rounded down.
//! - Every charge is one line at the standard 10% rate, quantity 1.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{BillingCycle, BillingLine, BillingPeriod, Contract, ContractStatus, TaxCategory, Yen};

/// One contract's charge for one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub line: BillingLine,
    /// `(days served, days in the billed span)` when prorated.
    pub prorated: Option<(i64, i64)>,
}

fn days(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days() + 1
}

/// `fee × served ÷ total`, rounded down; `None` past `Yen`'s range.
fn prorate(fee: i64, served: i64, total: i64) -> Option<Yen> {
    let v = i128::from(fee) * i128::from(served) / i128::from(total);
    Yen::new(i64::try_from(v).ok()?).ok()
}

fn jp(d: NaiveDate) -> String {
    format!("{}/{}", d.month(), d.day())
}

/// The date `years` after `start`, on 28 February where 29 February does not exist.
fn anniversary(start: NaiveDate, years: u32) -> Option<NaiveDate> {
    start.checked_add_months(Months::new(12 * years))
}

/// What `contract` bills for `period`, if anything. `None` also when a fee leaves `Yen`'s range
/// (not possible for validated contracts).
pub fn charge(contract: &Contract, period: BillingPeriod) -> Option<Charge> {
    let terms = &contract.terms;
    if terms.status != ContractStatus::Active {
        return None;
    }
    let first = period.first_day()?;
    let last = period.next()?.first_day()?.pred_opt()?;
    let (span_from, span_to, fee, label) = match terms.billing_cycle {
        BillingCycle::Monthly => (first, last, terms.monthly_fee.get(), format!("{}（{}年{}月分）", terms.plan_name, period.year(), period.month())),
        BillingCycle::Yearly => {
            if terms.start_date.month() != u32::from(period.month()) || i32::from(period.year()) < terms.start_date.year() {
                return None;
            }
            let years = u32::try_from(i32::from(period.year()) - terms.start_date.year()).ok()?;
            let from = anniversary(terms.start_date, years)?;
            let to = anniversary(terms.start_date, years + 1)?.pred_opt()?;
            let label = format!("{}（年額 {}年{}月〜{}年{}月分）", terms.plan_name, from.year(), from.month(), to.year(), to.month());
            (from, to, terms.monthly_fee.get().checked_mul(12)?, label)
        }
    };
    let served_from = span_from.max(terms.start_date);
    let served_to = terms.end_date.map_or(span_to, |e| e.min(span_to));
    if served_to < served_from {
        return None;
    }
    let (served, total) = (days(served_from, served_to), days(span_from, span_to));
    let (unit_price, prorated, description) = if served == total {
        (Yen::new(fee).ok()?, None, label)
    } else {
        let d = format!("{label} 日割 {}〜{}（{served}/{total}日）", jp(served_from), jp(served_to));
        (prorate(fee, served, total)?, Some((served, total)), d)
    };
    Some(Charge { line: BillingLine { description, quantity: 1, unit_price, tax_category: TaxCategory::Standard }, prorated })
}

/// Which day an invoice is issued on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum IssueOn {
    /// The period's last day (月末締め). The default.
    #[default]
    PeriodEnd,
    /// The first day after the period.
    NextMonthStart,
}

/// How generated invoices are dated: issued on a day after the period, due on a day some months
/// after the period (`dueDay` past the month's end means its last day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InvoiceDates {
    pub issue_on: IssueOn,
    /// 0 to 3: months after the billed period the payment is due in (1: 翌月末 with `dueDay` 31).
    pub due_months_after_period: u8,
    /// 1 to 31; past the month's end means its last day.
    pub due_day: u8,
}

impl Default for InvoiceDates {
    /// Issued on the period's last day, due at the end of the next month (月末締め翌月末払い).
    fn default() -> Self {
        Self { issue_on: IssueOn::PeriodEnd, due_months_after_period: 1, due_day: 31 }
    }
}

impl InvoiceDates {
    pub fn new(issue_on: IssueOn, due_months_after_period: u8, due_day: u8) -> Result<Self, String> {
        if due_months_after_period > 3 {
            return Err("dueMonthsAfterPeriod must be 0 to 3".into());
        }
        if !(1..=31).contains(&due_day) {
            return Err("dueDay must be 1 to 31 (31: the month's last day)".into());
        }
        let dates = Self { issue_on, due_months_after_period, due_day };
        // The due date must not come before the issue date (e.g. issued on the 1st, due the same month).
        let p = BillingPeriod::parse("2025-02").map_err(|e| e.to_string())?;
        match dates.for_period(p) {
            Some((issue, due)) if due >= issue => Ok(dates),
            _ => Err("the due date would come before the issue date: due at least in the month after the period".into()),
        }
    }

    /// `(issue date, due date)` for `period`.
    pub fn for_period(&self, period: BillingPeriod) -> Option<(NaiveDate, NaiveDate)> {
        let next = period.next()?.first_day()?;
        let issue = match self.issue_on {
            IssueOn::PeriodEnd => next.pred_opt()?,
            IssueOn::NextMonthStart => next,
        };
        let due_month = period.first_day()?.checked_add_months(Months::new(u32::from(self.due_months_after_period)))?;
        let due_month_end = due_month.checked_add_months(Months::new(1))?.pred_opt()?;
        let due = due_month.with_day(u32::from(self.due_day)).unwrap_or(due_month_end).min(due_month_end);
        Some((issue, due))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ContractId, ContractTerms, TenantId};
    use chrono::{TimeZone, Utc};

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn p(s: &str) -> BillingPeriod {
        BillingPeriod::parse(s).unwrap()
    }

    fn contract(cycle: BillingCycle, fee: i64, start: &str, end: Option<&str>) -> Contract {
        Contract {
            contract_id: ContractId::parse("C-1").unwrap(),
            tenant_id: TenantId::parse("tn_0000000000000001").unwrap(),
            terms: ContractTerms {
                plan_name: "スタンダード".into(),
                monthly_fee: Yen::new(fee).unwrap(),
                start_date: day(start),
                end_date: end.map(day),
                billing_cycle: cycle,
                status: ContractStatus::Active,
                notes: None,
            },
            created_at: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
            updated_at: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
            version: 1,
        }
    }

    fn billed(c: &Contract, period: &str) -> Option<(i64, Option<(i64, i64)>)> {
        charge(c, p(period)).map(|ch| (ch.line.unit_price.get(), ch.prorated))
    }

    #[test]
    fn monthly_contracts_bill_whole_months_and_prorate_partial_ones_by_day() {
        let m = |start, end| contract(BillingCycle::Monthly, 30_000, start, end);
        assert_eq!(billed(&m("2025-04-01", None), "2025-04"), Some((30_000, None)), "from the 1st: a whole month");
        assert_eq!(billed(&m("2025-03-10", None), "2025-04"), Some((30_000, None)));
        assert_eq!(billed(&m("2025-04-16", None), "2025-04"), Some((15_000, Some((15, 30)))), "16th to 30th of 30 days");
        assert_eq!(billed(&m("2025-04-30", None), "2025-04"), Some((1_000, Some((1, 30)))), "the last day alone");
        assert_eq!(billed(&m("2025-01-01", Some("2025-04-01")), "2025-04"), Some((1_000, Some((1, 30)))), "ends on the 1st: one day");
        assert_eq!(billed(&m("2025-01-01", Some("2025-04-30")), "2025-04"), Some((30_000, None)), "ends on the last day: whole");
        assert_eq!(billed(&m("2025-05-10", Some("2025-05-10")), "2025-05"), Some((967, Some((1, 31)))), "a one-day contract: 30,000 / 31, rounded down");
        assert_eq!(billed(&m("2025-01-01", Some("2025-03-31")), "2025-04"), None, "ended before");
        assert_eq!(billed(&m("2025-05-01", None), "2025-04"), None, "not started yet");
    }

    #[test]
    fn february_has_its_own_length() {
        let m = |start| contract(BillingCycle::Monthly, 29_000, start, None);
        assert_eq!(billed(&m("2024-02-29"), "2024-02"), Some((1_000, Some((1, 29)))), "leap day: 1 of 29");
        assert_eq!(billed(&m("2025-02-15"), "2025-02"), Some((14_500, Some((14, 28)))));
        assert_eq!(billed(&m("2024-02-01"), "2024-02"), Some((29_000, None)));
    }

    #[test]
    fn yearly_contracts_bill_once_a_year_in_their_start_month() {
        let y = contract(BillingCycle::Yearly, 10_000, "2024-04-15", None);
        assert_eq!(billed(&y, "2024-04"), Some((120_000, None)), "the contract year starts on the start date");
        assert_eq!(billed(&y, "2025-04"), Some((120_000, None)));
        for other in ["2024-05", "2025-03", "2023-04"] {
            assert_eq!(billed(&y, other), None, "{other}");
        }
        let ending = contract(BillingCycle::Yearly, 10_000, "2024-04-15", Some("2025-10-14"));
        // 2025-04-15..=2025-10-14 is 183 of the 365 days to 2026-04-14.
        assert_eq!(billed(&ending, "2025-04"), Some((120_000 * 183 / 365, Some((183, 365)))));
        let leap = contract(BillingCycle::Yearly, 10_000, "2024-02-29", None);
        assert_eq!(billed(&leap, "2025-02"), Some((120_000, None)), "29 February's anniversary is the 28th");
        assert!(charge(&leap, p("2025-02")).unwrap().line.description.contains("年額 2025年2月〜2026年2月分"));
    }

    #[test]
    fn only_active_contracts_bill_and_descriptions_say_what_and_when() {
        let mut c = contract(BillingCycle::Monthly, 30_000, "2025-04-16", None);
        let ch = charge(&c, p("2025-04")).unwrap();
        assert_eq!(ch.line.description, "スタンダード（2025年4月分） 日割 4/16〜4/30（15/30日）");
        assert_eq!((ch.line.quantity, ch.line.tax_category), (1, TaxCategory::Standard));
        for s in [ContractStatus::Suspended, ContractStatus::Cancelled] {
            c.terms.status = s;
            assert_eq!(charge(&c, p("2025-04")), None);
        }
    }

    #[test]
    fn invoice_dates_follow_the_rule() {
        let d = InvoiceDates::default();
        assert_eq!(d.for_period(p("2025-01")), Some((day("2025-01-31"), day("2025-02-28"))), "月末締め翌月末払い");
        assert_eq!(d.for_period(p("2024-01")), Some((day("2024-01-31"), day("2024-02-29"))));
        assert_eq!(d.for_period(p("2025-12")), Some((day("2025-12-31"), day("2026-01-31"))));
        let tenth = InvoiceDates::new(IssueOn::NextMonthStart, 1, 10).unwrap();
        assert_eq!(tenth.for_period(p("2025-04")), Some((day("2025-05-01"), day("2025-05-10"))));
        assert!(InvoiceDates::new(IssueOn::PeriodEnd, 0, 15).is_err(), "due before issue");
        assert!(InvoiceDates::new(IssueOn::PeriodEnd, 4, 15).is_err());
        assert!(InvoiceDates::new(IssueOn::PeriodEnd, 1, 0).is_err());
        assert_eq!(InvoiceDates::new(IssueOn::PeriodEnd, 0, 31).unwrap().for_period(p("2025-04")), Some((day("2025-04-30"), day("2025-04-30"))));
    }
}

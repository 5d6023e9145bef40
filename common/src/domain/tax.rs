//! Consumption tax: the standard 10% and the reduced 8% rate, computed the qualified-invoice way:
//! once per rate per invoice, never per line.

use serde::{Deserialize, Serialize};

use super::Yen;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TaxCategory {
    /// 10%.
    Standard,
    /// 8% (軽減税率: food and newspapers).
    Reduced,
}

impl TaxCategory {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "standard" => Ok(Self::Standard),
            "reduced" => Ok(Self::Reduced),
            _ => Err("must be standard (10%) or reduced (8%)".into()),
        }
    }

    pub fn percent(self) -> i64 {
        match self {
            Self::Standard => 10,
            Self::Reduced => 8,
        }
    }
}

/// How the issuer rounds each rate's tax to whole yen (端数処理), applied to the magnitude so that
/// a negative subtotal (a credit) rounds symmetrically.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum Rounding {
    /// 切り捨て: toward zero. The default.
    #[default]
    Floor,
    /// 切り上げ: away from zero.
    Ceil,
    /// 四捨五入: half away from zero.
    HalfUp,
}

impl Rounding {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "floor" => Ok(Self::Floor),
            "ceil" => Ok(Self::Ceil),
            "halfUp" => Ok(Self::HalfUp),
            _ => Err("must be one of floor, ceil, halfUp".into()),
        }
    }

    /// `amount × percent / 100`, rounded to whole yen.
    pub fn tax(self, amount: i64, percent: i64) -> i64 {
        let magnitude = i128::from(amount).abs() * i128::from(percent);
        let (q, r) = (magnitude / 100, magnitude % 100);
        let rounded = match self {
            Rounding::Floor => q,
            Rounding::Ceil => q + i128::from(r > 0),
            Rounding::HalfUp => q + i128::from(r >= 50),
        };
        let signed = if amount < 0 { -rounded } else { rounded };
        // |amount| ≤ Yen::MAX, so the tax is a tenth of that at most: always fits.
        i64::try_from(signed).unwrap_or(0)
    }
}

/// One rate's totals on an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RateTotal {
    pub tax_category: TaxCategory,
    pub rate_percent: i64,
    /// Sum of the rate's line amounts, before tax.
    pub subtotal: Yen,
    /// Tax on `subtotal`, rounded once.
    pub tax: Yen,
}

/// An invoice's totals: per rate (10% first), and overall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub by_rate: Vec<RateTotal>,
    pub subtotal: Yen,
    pub tax: Yen,
    pub total: Yen,
}

/// Totals of `(category, amount)` line amounts. Fails only when a sum leaves `Yen`'s range.
pub fn totals(lines: impl IntoIterator<Item = (TaxCategory, Yen)>, rounding: Rounding) -> Result<Totals, String> {
    let too_big = || "the invoice total is beyond ¥999,999,999,999".to_string();
    let mut sums: [Option<i64>; 2] = [None, None];
    for (category, amount) in lines {
        let slot = &mut sums[usize::from(category == TaxCategory::Reduced)];
        *slot = Some(slot.unwrap_or(0).checked_add(amount.get()).ok_or_else(too_big)?);
    }
    let mut by_rate = Vec::new();
    let (mut subtotal, mut tax) = (0i64, 0i64);
    for (category, sum) in [(TaxCategory::Standard, sums[0]), (TaxCategory::Reduced, sums[1])] {
        let Some(sum) = sum else { continue };
        let t = rounding.tax(sum, category.percent());
        by_rate.push(RateTotal {
            tax_category: category,
            rate_percent: category.percent(),
            subtotal: Yen::new(sum).map_err(|_| too_big())?,
            tax: Yen::new(t).map_err(|_| too_big())?,
        });
        subtotal = subtotal.checked_add(sum).ok_or_else(too_big)?;
        tax = tax.checked_add(t).ok_or_else(too_big)?;
    }
    let total = subtotal.checked_add(tax).ok_or_else(too_big)?;
    Ok(Totals {
        by_rate,
        subtotal: Yen::new(subtotal).map_err(|_| too_big())?,
        tax: Yen::new(tax).map_err(|_| too_big())?,
        total: Yen::new(total).map_err(|_| too_big())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn yen(v: i64) -> Yen {
        Yen::new(v).unwrap()
    }

    #[test]
    fn rounding_modes_at_one_yen_edges() {
        // 10% of 1,009 = 100.9; 8% of 1,006 = 80.48; 8% of 1,007 = 80.56.
        assert_eq!(Rounding::Floor.tax(1009, 10), 100);
        assert_eq!(Rounding::Ceil.tax(1009, 10), 101);
        assert_eq!(Rounding::HalfUp.tax(1009, 10), 101);
        assert_eq!(Rounding::HalfUp.tax(1006, 8), 80);
        assert_eq!(Rounding::HalfUp.tax(1007, 8), 81);
        assert_eq!(Rounding::HalfUp.tax(1005, 10), 101, "100.5 rounds half up");
        assert_eq!(Rounding::Ceil.tax(1000, 10), 100, "exact amounts are not rounded");
        assert_eq!(Rounding::Floor.tax(-1009, 10), -100, "credits round toward zero too");
        assert_eq!(Rounding::Floor.tax(9, 10), 0);
        assert_eq!(Rounding::Ceil.tax(1, 8), 1);
    }

    #[test]
    fn tax_is_rounded_once_per_rate_not_per_line() {
        // Three lines of ¥105 at 8%: per line 8.4 → 8 each (24); per invoice 25.2 → 25.
        let t = totals([(TaxCategory::Reduced, yen(105)); 3], Rounding::Floor).unwrap();
        assert_eq!(t.by_rate.len(), 1);
        assert_eq!(t.by_rate[0].subtotal, yen(315));
        assert_eq!(t.by_rate[0].tax, yen(25));
        assert_eq!(t.total, yen(340));
    }

    #[test]
    fn mixed_rates_standard_first() {
        let t = totals([(TaxCategory::Reduced, yen(1080)), (TaxCategory::Standard, yen(55000)), (TaxCategory::Reduced, yen(540))], Rounding::Floor).unwrap();
        assert_eq!(t.by_rate.iter().map(|r| (r.rate_percent, r.subtotal.get(), r.tax.get())).collect::<Vec<_>>(), [(10, 55000, 5500), (8, 1620, 129)]);
        assert_eq!((t.subtotal.get(), t.tax.get(), t.total.get()), (56620, 5629, 62249));
    }

    #[test]
    fn totals_that_overflow_are_refused() {
        assert!(totals([(TaxCategory::Standard, yen(Yen::MAX)), (TaxCategory::Standard, yen(1))], Rounding::Floor).is_err());
        assert!(totals([(TaxCategory::Standard, yen(Yen::MAX))], Rounding::Floor).is_err(), "the tax pushes the total past the bound");
    }

    fn category() -> impl Strategy<Value = TaxCategory> {
        prop_oneof![Just(TaxCategory::Standard), Just(TaxCategory::Reduced)]
    }

    fn rounding() -> impl Strategy<Value = Rounding> {
        prop_oneof![Just(Rounding::Floor), Just(Rounding::Ceil), Just(Rounding::HalfUp)]
    }

    proptest! {
        #[test]
        fn totals_add_up(lines in prop::collection::vec((category(), -5_000_000i64..50_000_000), 0..60), mode in rounding()) {
            let t = totals(lines.iter().map(|(c, a)| (*c, Yen::new(*a).unwrap())), mode).unwrap();
            for r in &t.by_rate {
                let sum: i64 = lines.iter().filter(|(c, _)| *c == r.tax_category).map(|(_, a)| a).sum();
                prop_assert_eq!(r.subtotal.get(), sum);
                prop_assert_eq!(r.tax.get(), mode.tax(sum, r.rate_percent));
                // The rounded tax is within one yen of the exact tax, on the side the mode says.
                let exact = sum as f64 * r.rate_percent as f64 / 100.0;
                prop_assert!((r.tax.get() as f64 - exact).abs() < 1.0);
            }
            prop_assert_eq!(t.subtotal.get(), lines.iter().map(|(_, a)| a).sum::<i64>());
            prop_assert_eq!(t.tax.get(), t.by_rate.iter().map(|r| r.tax.get()).sum::<i64>());
            prop_assert_eq!(t.total.get(), t.subtotal.get() + t.tax.get());
            let rates: Vec<i64> = t.by_rate.iter().map(|r| r.rate_percent).collect();
            prop_assert!(rates == [10, 8] || rates == [10] || rates == [8] || rates.is_empty());
        }

        #[test]
        fn rounding_brackets_the_exact_tax(amount in 0i64..1_000_000_000, percent in prop_oneof![Just(8i64), Just(10i64)]) {
            let (f, c, h) = (Rounding::Floor.tax(amount, percent), Rounding::Ceil.tax(amount, percent), Rounding::HalfUp.tax(amount, percent));
            prop_assert!(f <= h && h <= c && c - f <= 1);
            prop_assert!(f * 100 <= amount * percent && amount * percent <= c * 100);
        }
    }
}

//! Searching by name: a substring match that ignores case and the compatibility forms Japanese
//! text is written in (full-width ＡＢＣ, half-width ｶﾅ, ㈱), as the electronic bookkeeping act's
//! search by counterparty needs.

use icu_normalizer::uts46::Uts46MapperBorrowed;

/// What a name is compared as: UTS 46's mapping (NFKC with case folding: `ＳＨＩＭＡＮＥ㈱` and
/// `shimane(株)` are the same, as are `ｼﾏﾈ` and `シマネ`), with runs of blanks made one space.
/// The mapping's data is already linked through `url`, so it costs no size.
pub fn fold_name(raw: &str) -> String {
    let mapper = Uts46MapperBorrowed::new();
    let mut out = String::with_capacity(raw.len());
    let mut blank = false;
    for c in mapper.map_normalize(raw.chars()) {
        if c.is_whitespace() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push(' ');
            blank = false;
        }
        out.push(c);
    }
    out
}

/// A name to look for inside others (a substring, compared folded: see [`fold_name`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NameQuery(String);

impl NameQuery {
    pub const MAX_CHARS: usize = 100;

    /// One line of 1 to 100 characters (blanks around it trimmed).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let text = crate::validation::text(raw, Self::MAX_CHARS, 1)?;
        let folded = fold_name(&text);
        if folded.is_empty() {
            return Err("must contain a letter, digit or sign to look for".into());
        }
        Ok(Self(folded))
    }

    /// The folded text, as compared (and as cursors are bound to).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn found_in(&self, name: &str) -> bool {
        fold_name(name).contains(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_width_and_compatibility_forms() {
        assert_eq!(fold_name("ＳＨＩＭＡＮＥ㈱"), "shimane(株)");
        assert_eq!(fold_name("ｼﾏﾈ ｼｮｳｼﾞ"), "シマネ ショウジ");
        assert_eq!(fold_name("カ\u{3099}"), "ガ");
        assert_eq!(fold_name("  株式会社\u{3000}\u{3000}しまね  "), "株式会社 しまね");
        let q = NameQuery::parse("しまね").unwrap();
        assert!(q.found_in("株式会社しまね商事"));
        assert!(NameQuery::parse("SHIMANE").unwrap().found_in("Shimane Trading ㈱"));
        assert!(NameQuery::parse("(株)").unwrap().found_in("しまね㈱"));
        assert!(NameQuery::parse("ｼﾏﾈ").unwrap().found_in("シマネ商事"));
        assert!(!q.found_in("出雲商事"));
        for bad in ["", "   ", "a\nb", &"長".repeat(101)] {
            assert!(NameQuery::parse(bad).is_err(), "{bad:?}");
        }
    }
}

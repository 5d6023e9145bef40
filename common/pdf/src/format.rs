//! Number formatting for printed amounts.

/// `1234567` → `"1,234,567"`, `-1000` → `"-1,000"`.
pub fn format_int(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    group_into(&digits, &mut out);
    out
}

/// Integer yen as printed: `1234567` → `"¥1,234,567"`, `-1000` → `"-¥1,000"`.
pub fn format_yen(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 4);
    if amount < 0 {
        out.push('-');
    }
    out.push('¥');
    group_into(&digits, &mut out);
    out
}

fn group_into(digits: &str, out: &mut String) {
    let len = digits.len();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yen() {
        assert_eq!(format_yen(0), "¥0");
        assert_eq!(format_yen(999), "¥999");
        assert_eq!(format_yen(1000), "¥1,000");
        assert_eq!(format_yen(1_234_567), "¥1,234,567");
        assert_eq!(format_yen(-1000), "-¥1,000");
        assert_eq!(format_yen(-12), "-¥12");
        assert_eq!(format_yen(i64::MIN), "-¥9,223,372,036,854,775,808");
    }

    #[test]
    fn ints() {
        assert_eq!(format_int(0), "0");
        assert_eq!(format_int(100_000), "100,000");
        assert_eq!(format_int(-1_000_000), "-1,000,000");
    }
}

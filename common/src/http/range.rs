//! `Range: bytes=...` (RFC 9110 §14): one range is honoured; several, or a malformed header, are
//! ignored and the whole representation is sent, as the RFC allows.

use crate::store::ByteRange;

pub fn parse_range(header: Option<&str>) -> Option<ByteRange> {
    let spec = header?.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let num = |s: &str| if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) { s.parse::<u64>().ok() } else { None };
    match (start.trim(), end.trim()) {
        ("", suffix) => num(suffix).map(ByteRange::Suffix),
        (s, "") => num(s).map(|start| ByteRange::From { start, end: None }),
        (s, e) => {
            let (start, end) = (num(s)?, num(e)?);
            (end >= start).then_some(ByteRange::From { start, end: Some(end) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges() {
        assert_eq!(parse_range(Some("bytes=0-99")), Some(ByteRange::From { start: 0, end: Some(99) }));
        assert_eq!(parse_range(Some("bytes=100-")), Some(ByteRange::From { start: 100, end: None }));
        assert_eq!(parse_range(Some("bytes=-500")), Some(ByteRange::Suffix(500)));
        for ignored in [None, Some("bytes=0-1,5-9"), Some("items=0-1"), Some("bytes=9-1"), Some("bytes=a-b"), Some("bytes=-"), Some("bytes=1-2-3")] {
            assert_eq!(parse_range(ignored), None, "{ignored:?}");
        }
    }
}

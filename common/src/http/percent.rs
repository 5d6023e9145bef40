//! Percent-encoding as SigV4 and URLs need it: only RFC 3986's unreserved characters are left
//! alone; decoding leaves malformed escapes as they are.

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Encodes every byte outside the unreserved set (and outside `/` when `keep_slash`).
pub fn encode(s: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s {
        if unreserved(b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (not `+`).
pub fn decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Decodes to text, replacing invalid UTF-8.
pub fn decode_lossy(s: &str) -> String {
    String::from_utf8_lossy(&decode(s)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(encode("請求 a/b".as_bytes(), false), "%E8%AB%8B%E6%B1%82%20a%2Fb");
        assert_eq!(encode(b"a/b~", true), "a/b~");
        assert_eq!(decode_lossy("%E8%AB%8B%E6%B1%82"), "請求");
        assert_eq!(decode_lossy("a+b%2"), "a+b%2");
        assert_eq!(decode_lossy("%zz"), "%zz");
    }
}

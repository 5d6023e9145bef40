//! Reads the entries of a ZIP held in memory, as [`super::zip::ZipWriter`] writes them (stored,
//! ZIP64 where needed): the central directory gives each entry's name, offset and size.

use std::ops::Range;

const CENTRAL_HEADER: u32 = 0x0201_4b50;
const LOCAL_HEADER: u32 = 0x0403_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const END: u32 = 0x0605_4b50;
const LIMIT: u64 = 0xFFFF_FFFF;

fn u16_at(b: &[u8], at: usize) -> Result<u16, String> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]])).ok_or_else(|| "the archive is truncated".to_owned())
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok_or_else(|| "the archive is truncated".to_owned())
}

fn u64_at(b: &[u8], at: usize) -> Result<u64, String> {
    let lo = u64::from(u32_at(b, at)?);
    let hi = u64::from(u32_at(b, at + 4)?);
    Ok(lo | (hi << 32))
}

fn usize_of(v: u64) -> Result<usize, String> {
    usize::try_from(v).map_err(|_| "the archive is too large".to_owned())
}

/// One entry: its name and where its (stored) bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub data: Range<usize>,
}

/// Every entry of the archive in directory order. Refuses compressed entries (seikyu stores).
pub fn entries(b: &[u8]) -> Result<Vec<Entry>, String> {
    let floor = b.len().saturating_sub(22 + 0xFFFF);
    let end = (floor..=b.len().saturating_sub(22)).rev().find(|&at| u32_at(b, at) == Ok(END)).ok_or("not a ZIP archive (no end record)")?;
    let (mut count, mut cd_start) = (u64::from(u16_at(b, end + 10)?), u64::from(u32_at(b, end + 16)?));
    if end >= 20 && u32_at(b, end - 20)? == ZIP64_LOCATOR {
        let at = usize_of(u64_at(b, end - 20 + 8)?)?;
        if u32_at(b, at)? != ZIP64_END {
            return Err("the ZIP64 end record is missing".into());
        }
        count = u64_at(b, at + 32)?;
        cd_start = u64_at(b, at + 48)?;
    }
    let mut at = usize_of(cd_start)?;
    let mut out = Vec::new();
    for _ in 0..count {
        if u32_at(b, at)? != CENTRAL_HEADER {
            return Err("the central directory is damaged".into());
        }
        let method = u16_at(b, at + 10)?;
        let (mut csize, mut usize_, mut offset) = (u64::from(u32_at(b, at + 20)?), u64::from(u32_at(b, at + 24)?), u64::from(u32_at(b, at + 42)?));
        let (nlen, xlen, clen) = (usize::from(u16_at(b, at + 28)?), usize::from(u16_at(b, at + 30)?), usize::from(u16_at(b, at + 32)?));
        let name = b.get(at + 46..at + 46 + nlen).ok_or("the archive is truncated")?;
        let name = String::from_utf8(name.to_vec()).map_err(|_| "an entry's name is not UTF-8")?;
        // The ZIP64 extra field holds, in order, each of the sizes and offset that overflowed.
        let mut x = at + 46 + nlen;
        let x_end = x + xlen;
        while x + 4 <= x_end {
            let (id, len) = (u16_at(b, x)?, usize::from(u16_at(b, x + 2)?));
            if id == 1 {
                let mut f = x + 4;
                for v in [&mut usize_, &mut csize, &mut offset] {
                    if *v == LIMIT {
                        *v = u64_at(b, f)?;
                        f += 8;
                    }
                }
            }
            x += 4 + len;
        }
        if method != 0 {
            return Err(format!("{name} is compressed; seikyu archives store their entries"));
        }
        if csize != usize_ {
            return Err(format!("{name}: sizes disagree"));
        }
        let local = usize_of(offset)?;
        if u32_at(b, local)? != LOCAL_HEADER {
            return Err(format!("{name}: local header missing"));
        }
        let start = local + 30 + usize::from(u16_at(b, local + 26)?) + usize::from(u16_at(b, local + 28)?);
        let stop = start.checked_add(usize_of(csize)?).filter(|&s| s <= b.len()).ok_or_else(|| format!("{name} is truncated"))?;
        out.push(Entry { name, data: start..stop });
        at = x_end + clen;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::zip::{ZipWriter, dos_date};
    use super::*;

    #[test]
    fn reads_what_the_writer_wrote() {
        let mut z = ZipWriter::new();
        let mut bytes = Vec::new();
        let day = dos_date(chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap());
        for (name, data) in [("a.txt", &b"hello"[..]), ("dir/b.bin", &b""[..]), ("c", &[7u8; 1000][..])] {
            bytes.extend_from_slice(&z.begin(name, day));
            z.data(data);
            bytes.extend_from_slice(data);
            bytes.extend_from_slice(&z.end());
        }
        bytes.extend_from_slice(&z.finish());
        let e = entries(&bytes).unwrap();
        assert_eq!(e.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["a.txt", "dir/b.bin", "c"]);
        assert_eq!(&bytes[e[0].data.clone()], b"hello");
        assert_eq!(e[2].data.len(), 1000);
        assert!(entries(&bytes[..bytes.len() - 30]).is_err());
        assert!(entries(b"not a zip").is_err());
    }
}

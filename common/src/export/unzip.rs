//! Reads the entries of a ZIP as [`super::zip::ZipWriter`] writes them (stored, ZIP64 where
//! needed): the central directory gives each entry's name, offset and size. The pieces (end
//! records, directory, local header) are parsed apart, so that an archive in storage can be read
//! in ranges; [`entries`] reads one held in memory.

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

/// One entry as the central directory describes it: name, where its local header starts, and
/// the size of its (stored) bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Central {
    pub name: String,
    pub offset: u64,
    pub size: u64,
}

/// How many of an archive's last bytes hold its end records: the end record (22 bytes and a
/// comment of at most 64 KiB) and the ZIP64 locator before it.
pub const TAIL: u64 = 22 + 0xFFFF + 20;
/// The ZIP64 end record's length (without an extensible data sector).
pub const ZIP64_END_LEN: u64 = 56;

/// Where the central directory is, read from the archive's last bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tail {
    /// `count` entries in `start..end`.
    Directory { count: u64, start: u64, end: u64 },
    /// A ZIP64 archive: its end record is at `at` (and the directory ends there).
    Zip64 { at: u64 },
}

/// Finds the end records in `tail`, the archive's bytes from offset `tail_start` to its end.
pub fn tail(b: &[u8], tail_start: u64) -> Result<Tail, String> {
    let floor = b.len().saturating_sub(22 + 0xFFFF);
    let end = (floor..=b.len().saturating_sub(22)).rev().find(|&at| u32_at(b, at) == Ok(END)).ok_or("not a ZIP archive (no end record)")?;
    if end >= 20 && u32_at(b, end - 20)? == ZIP64_LOCATOR {
        return Ok(Tail::Zip64 { at: u64_at(b, end - 20 + 8)? });
    }
    Ok(Tail::Directory { count: u64::from(u16_at(b, end + 10)?), start: u64::from(u32_at(b, end + 16)?), end: tail_start + end as u64 })
}

/// The entry count and directory start of a ZIP64 end record.
pub fn zip64_end(b: &[u8]) -> Result<(u64, u64), String> {
    if u32_at(b, 0)? != ZIP64_END {
        return Err("the ZIP64 end record is missing".into());
    }
    Ok((u64_at(b, 32)?, u64_at(b, 48)?))
}

/// The `count` entries of the central directory `b`, in directory order. Refuses compressed
/// entries (seikyu stores).
pub fn central(b: &[u8], count: u64) -> Result<Vec<Central>, String> {
    let mut at = 0;
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
        out.push(Central { name, offset, size: csize });
        at = x_end + clen;
    }
    Ok(out)
}

/// The length of the local header at the start of `b` (its fixed 30 bytes, then name and extra
/// field), once `b` holds at least those 30 bytes.
pub fn local_header_len(b: &[u8], name: &str) -> Result<usize, String> {
    if u32_at(b, 0)? != LOCAL_HEADER {
        return Err(format!("{name}: local header missing"));
    }
    Ok(30 + usize::from(u16_at(b, 26)?) + usize::from(u16_at(b, 28)?))
}

/// Every entry of an archive held in memory, in directory order.
pub fn entries(b: &[u8]) -> Result<Vec<Entry>, String> {
    let tail_start = b.len().saturating_sub(TAIL as usize);
    let (count, start, end) = match tail(&b[tail_start..], tail_start as u64)? {
        Tail::Directory { count, start, end } => (count, start, end),
        Tail::Zip64 { at } => {
            let (count, start) = zip64_end(b.get(usize_of(at)?..).ok_or("the archive is truncated")?)?;
            (count, start, at)
        }
    };
    let directory = b.get(usize_of(start)?..usize_of(end)?).ok_or("the central directory is damaged")?;
    let mut out = Vec::new();
    for c in central(directory, count)? {
        let local = usize_of(c.offset)?;
        let header = local_header_len(b.get(local..).unwrap_or_default(), &c.name)?;
        let start = local + header;
        let stop = start.checked_add(usize_of(c.size)?).filter(|&s| s <= b.len()).ok_or_else(|| format!("{} is truncated", c.name))?;
        out.push(Entry { name: c.name, data: start..stop });
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

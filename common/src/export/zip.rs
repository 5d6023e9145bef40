//! A ZIP archive written as a stream, one entry after another, never holding more than a chunk:
//! entries are stored (PDFs are already compressed), each followed by a data descriptor with its
//! CRC-32, and ZIP64 records are used wherever a size or offset passes 4 GiB.

use bytes::{BufMut, Bytes, BytesMut};

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const END: u32 = 0x0605_4b50;
/// Bit 3: sizes and CRC follow the data; bit 11: names are UTF-8.
const FLAGS: u16 = (1 << 3) | (1 << 11);
const LIMIT: u64 = 0xFFFF_FFFF;

struct Entry {
    name: String,
    crc: u32,
    size: u64,
    offset: u64,
    dos_time: u16,
    dos_date: u16,
}

/// The entry being written.
struct Open {
    name: String,
    crc: crc32fast::Hasher,
    size: u64,
    offset: u64,
    modified: (u16, u16),
}

/// Builds the archive's bytes around the entries' contents, which the caller streams itself.
#[derive(Default)]
pub struct ZipWriter {
    entries: Vec<Entry>,
    offset: u64,
    current: Option<Open>,
}

/// MS-DOS date and time of a calendar date (midnight).
pub fn dos_date(d: chrono::NaiveDate) -> (u16, u16) {
    use chrono::Datelike;
    let year = (d.year().clamp(1980, 2107) - 1980) as u16;
    (0, (year << 9) | ((d.month() as u16) << 5) | d.day() as u16)
}

impl ZipWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// The local header that starts an entry; then stream its bytes through `data`.
    pub fn begin(&mut self, name: &str, modified: (u16, u16)) -> Bytes {
        let mut b = BytesMut::with_capacity(50 + name.len());
        b.put_u32_le(LOCAL_HEADER);
        b.put_u16_le(45); // version needed: 4.5, ZIP64
        b.put_u16_le(FLAGS);
        b.put_u16_le(0); // stored
        b.put_u16_le(modified.0);
        b.put_u16_le(modified.1);
        b.put_u32_le(0); // CRC: in the data descriptor
        b.put_u32_le(LIMIT as u32); // sizes: ZIP64, in the data descriptor
        b.put_u32_le(LIMIT as u32);
        b.put_u16_le(name.len() as u16);
        b.put_u16_le(20);
        b.put_slice(name.as_bytes());
        // The ZIP64 extra field says the data descriptor's sizes are 8 bytes; the sizes follow
        // the data (bit 3), so they are zero here.
        b.put_u16_le(0x0001);
        b.put_u16_le(16);
        b.put_u64_le(0);
        b.put_u64_le(0);
        self.current = Some(Open { name: name.to_owned(), crc: crc32fast::Hasher::new(), size: 0, offset: self.offset, modified });
        self.offset += b.len() as u64;
        b.freeze()
    }

    /// Accounts for a chunk of the current entry's content (the caller sends the chunk itself).
    pub fn data(&mut self, chunk: &[u8]) {
        if let Some(open) = self.current.as_mut() {
            open.crc.update(chunk);
            open.size += chunk.len() as u64;
        }
        self.offset += chunk.len() as u64;
    }

    /// The data descriptor that ends the current entry (64-bit sizes: readers take them by the
    /// ZIP64 rule, and they are correct at any size).
    pub fn end(&mut self) -> Bytes {
        let Some(Open { name, crc, size, offset, modified: (dos_time, dos_date) }) = self.current.take() else { return Bytes::new() };
        let crc = crc.finalize();
        let mut b = BytesMut::with_capacity(24);
        b.put_u32_le(DATA_DESCRIPTOR);
        b.put_u32_le(crc);
        b.put_u64_le(size);
        b.put_u64_le(size);
        self.offset += b.len() as u64;
        self.entries.push(Entry { name, crc, size, offset, dos_time, dos_date });
        b.freeze()
    }

    /// The central directory and end records.
    pub fn finish(self) -> Bytes {
        let mut b = BytesMut::new();
        let cd_start = self.offset;
        for e in &self.entries {
            // Every entry carries a ZIP64 extra field: its descriptor has 64-bit sizes.
            let mut extra = BytesMut::new();
            extra.put_u16_le(0x0001);
            extra.put_u16_le(24);
            extra.put_u64_le(e.size);
            extra.put_u64_le(e.size);
            extra.put_u64_le(e.offset);
            b.put_u32_le(CENTRAL_HEADER);
            b.put_u16_le(45); // made by
            b.put_u16_le(45); // needed
            b.put_u16_le(FLAGS);
            b.put_u16_le(0);
            b.put_u16_le(e.dos_time);
            b.put_u16_le(e.dos_date);
            b.put_u32_le(e.crc);
            b.put_u32_le(LIMIT as u32);
            b.put_u32_le(LIMIT as u32);
            b.put_u16_le(e.name.len() as u16);
            b.put_u16_le(extra.len() as u16);
            b.put_u16_le(0); // comment
            b.put_u16_le(0); // disk
            b.put_u16_le(0); // internal attributes
            b.put_u32_le(0); // external attributes
            b.put_u32_le(LIMIT as u32); // offset: in the extra field
            b.put_slice(e.name.as_bytes());
            b.put_slice(&extra);
        }
        let cd_size = b.len() as u64;
        let zip64_end_offset = cd_start + cd_size;
        let count = self.entries.len() as u64;
        b.put_u32_le(ZIP64_END);
        b.put_u64_le(44);
        b.put_u16_le(45);
        b.put_u16_le(45);
        b.put_u32_le(0);
        b.put_u32_le(0);
        b.put_u64_le(count);
        b.put_u64_le(count);
        b.put_u64_le(cd_size);
        b.put_u64_le(cd_start);
        b.put_u32_le(ZIP64_LOCATOR);
        b.put_u32_le(0);
        b.put_u64_le(zip64_end_offset);
        b.put_u32_le(1);
        b.put_u32_le(END);
        b.put_u16_le(0);
        b.put_u16_le(0);
        b.put_u16_le(count.min(0xFFFF) as u16);
        b.put_u16_le(count.min(0xFFFF) as u16);
        b.put_u32_le(cd_size.min(LIMIT) as u32);
        b.put_u32_le(cd_start.min(LIMIT) as u32);
        b.put_u16_le(0);
        b.freeze()
    }
}

//! The one embedded face: parsed once, with a flat char → glyph table and per-glyph advances so
//! that laying out a line is two array lookups per character (no shaping engine, no re-parse).
//!
//! The font's TrueType hinting (glyph programs: 46% of IPAex Gothic's glyph data, plus the
//! fpgm/prep/cvt tables) is dropped once at load. Hinting only snaps outlines to a screen's
//! pixel grid at small sizes; PDF viewers and printers scale outlines freely, and without it
//! each embedded subset is about half the size, which halves the dominant cost of a render
//! (deflating the subset) and the PDF's size.
//!
//! Invoices are horizontal Japanese + Latin text set in one CJK font, for which the cmap's
//! nominal glyphs and the hmtx advances are exactly what a shaper would produce (IPAex Gothic
//! applies no default ligatures or kerning).

use std::collections::HashMap;
use std::sync::Arc;

use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};

pub(crate) struct Face {
    /// The krilla handle (reference-counted; cloning it per draw call is cheap).
    pub(crate) font: Font,
    /// Glyph id for every BMP code point (0 = .notdef).
    bmp: Box<[u16]>,
    /// Glyph ids outside the BMP.
    astral: HashMap<u32, u16>,
    /// Advance width per glyph id, in font units.
    advances: Box<[u16]>,
    units_per_em: f32,
}

impl Face {
    pub(crate) fn parse(data: Vec<u8>) -> Result<Face, String> {
        // Embedded subsets carry no TrueType hinting (see `strip_hinting`); a font prepared at
        // build time has none left, and one that is not a plain glyf font is embedded as it is.
        let data = Arc::new(if has_hinting(&data) { strip_hinting(&data).unwrap_or(data) } else { data });
        let (bmp, astral, advances, units_per_em) = {
            let font = skrifa::FontRef::new(data.as_slice()).map_err(|e| format!("not a TrueType/OpenType font ({e})"))?;
            let metrics = font.metrics(Size::unscaled(), LocationRef::default());
            if metrics.units_per_em == 0 || metrics.glyph_count == 0 {
                return Err("font has no glyphs or no units-per-em".to_string());
            }
            let mut bmp = vec![0u16; 0x1_0000].into_boxed_slice();
            let mut astral = HashMap::new();
            let mut mapped = 0usize;
            for (cp, gid) in font.charmap().mappings() {
                let Ok(gid) = u16::try_from(gid.to_u32()) else {
                    continue;
                };
                mapped += 1;
                match usize::try_from(cp) {
                    Ok(i) if i < bmp.len() => bmp[i] = gid,
                    _ => {
                        astral.insert(cp, gid);
                    }
                }
            }
            if mapped == 0 {
                return Err("font has no usable Unicode character map".to_string());
            }
            let glyph_metrics = font.glyph_metrics(Size::unscaled(), LocationRef::default());
            let advances = (0..metrics.glyph_count)
                .map(|g| glyph_metrics.advance_width(skrifa::GlyphId::new(u32::from(g))).map_or(0, |w| w.clamp(0.0, f32::from(u16::MAX)) as u16))
                .collect::<Vec<_>>()
                .into_boxed_slice();
            (bmp, astral, advances, f32::from(metrics.units_per_em))
        };
        let font = Font::new(krilla::Data::from(data), 0).ok_or_else(|| "the PDF writer could not read the font".to_string())?;
        Ok(Face { font, bmp, astral, advances, units_per_em })
    }

    #[inline]
    pub(crate) fn glyph(&self, ch: char) -> u16 {
        // Tabs and other controls print as a space rather than a missing-glyph box.
        let cp = if ch.is_control() { 0x20 } else { ch as u32 };
        match self.bmp.get(cp as usize) {
            Some(&g) => g,
            None => self.astral.get(&cp).copied().unwrap_or(0),
        }
    }

    /// Advance of a glyph in em units.
    #[inline]
    fn advance_em(&self, gid: u16) -> f32 {
        f32::from(self.advances.get(usize::from(gid)).copied().unwrap_or(0)) / self.units_per_em
    }

    /// Width of one character at `size` points.
    #[inline]
    pub(crate) fn char_width(&self, ch: char, size: f32) -> f32 {
        self.advance_em(self.glyph(ch)) * size
    }

    /// Width of a string at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance_em(self.glyph(c))).sum::<f32>() * size
    }

    /// Positioned glyphs for `text` (one glyph per character, cluster = that character's bytes),
    /// appended to `out` (cleared first).
    pub(crate) fn glyphs_into(&self, text: &str, out: &mut Vec<KrillaGlyph>) {
        out.clear();
        self.append_glyphs(text, 0, out);
    }

    /// Appends the glyphs of `text`, whose first byte is at `offset` in the run's text.
    pub(crate) fn append_glyphs(&self, text: &str, offset: usize, out: &mut Vec<KrillaGlyph>) {
        out.extend(text.char_indices().map(|(i, ch)| {
            let i = offset + i;
            let gid = self.glyph(ch);
            KrillaGlyph::new(GlyphId::new(u32::from(gid)), self.advance_em(gid), 0.0, 0.0, 0.0, i..i + ch.len_utf8(), None)
        }));
    }
}

/// Tables that only serve hinting (or cache hinted metrics), dropped with the glyph programs.
const HINTING_TABLES: [&[u8; 4]; 6] = [b"cvt ", b"fpgm", b"prep", b"hdmx", b"LTSH", b"VDMX"];

/// Whether the font still carries hinting: a hinting table, or glyph programs (maxp's
/// maxSizeOfInstructions). Reads only the table directory and maxp.
pub(crate) fn has_hinting(font: &[u8]) -> bool {
    let be16 = |at: usize| font.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let be32 = |at: usize| font.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let Some(num_tables) = be16(4) else { return true };
    for i in 0..usize::from(num_tables) {
        let rec = 12 + 16 * i;
        let Some(tag) = font.get(rec..rec + 4) else { return true };
        if HINTING_TABLES.iter().any(|t| t.as_slice() == tag) {
            return true;
        }
        if tag == b"maxp" {
            // maxSizeOfInstructions: offset 26 of a version 1.0 maxp (32 bytes).
            let at = be32(rec + 8).and_then(|o| usize::try_from(o).ok());
            let len = be32(rec + 12).unwrap_or(0);
            if len >= 32 && at.and_then(|at| be16(at + 26)).is_none_or(|n| n > 0) {
                return true;
            }
        }
    }
    false
}

/// The font with every glyph's instructions removed (and the hinting tables dropped), written
/// with a long `loca`. `None` when the data is not a single TrueType-outline font or is
/// malformed; the caller then embeds the font unchanged.
pub(crate) fn strip_hinting(font: &[u8]) -> Option<Vec<u8>> {
    let be16 = |at: usize| -> Option<u16> { Some(u16::from_be_bytes(font.get(at..at + 2)?.try_into().ok()?)) };
    let be32 = |at: usize| -> Option<u32> { Some(u32::from_be_bytes(font.get(at..at + 4)?.try_into().ok()?)) };
    let version = be32(0)?;
    if version != 0x0001_0000 && version != u32::from_be_bytes(*b"true") {
        return None;
    }
    let num_tables = usize::from(be16(4)?);
    let mut tables: Vec<([u8; 4], &[u8])> = Vec::with_capacity(num_tables);
    for i in 0..num_tables {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = font.get(rec..rec + 4)?.try_into().ok()?;
        let offset = usize::try_from(be32(rec + 8)?).ok()?;
        let length = usize::try_from(be32(rec + 12)?).ok()?;
        tables.push((tag, font.get(offset..offset.checked_add(length)?)?));
    }
    let table = |tag: &[u8; 4]| tables.iter().find(|(t, _)| t == tag).map(|(_, d)| *d);
    let head = table(b"head")?;
    let maxp = table(b"maxp")?;
    let loca = table(b"loca")?;
    let glyf = table(b"glyf")?;
    let long_loca = *head.get(50..52)? != [0, 0];
    let num_glyphs = usize::from(u16::from_be_bytes(maxp.get(4..6)?.try_into().ok()?));
    let offset_of = |i: usize| -> Option<usize> {
        if long_loca {
            let b = loca.get(4 * i..4 * i + 4)?;
            usize::try_from(u32::from_be_bytes(b.try_into().ok()?)).ok()
        } else {
            let b = loca.get(2 * i..2 * i + 2)?;
            Some(2 * usize::from(u16::from_be_bytes(b.try_into().ok()?)))
        }
    };

    let mut new_glyf = Vec::with_capacity(glyf.len());
    let mut new_loca = Vec::with_capacity(4 * (num_glyphs + 1));
    for gid in 0..num_glyphs {
        new_loca.extend_from_slice(&u32::try_from(new_glyf.len()).ok()?.to_be_bytes());
        let (start, end) = (offset_of(gid)?, offset_of(gid + 1)?);
        if end <= start {
            continue;
        }
        let g = glyf.get(start..end)?;
        let contours = i16::from_be_bytes(g.get(0..2)?.try_into().ok()?);
        if contours >= 0 {
            // header, endPtsOfContours, instructionLength, instructions, flags + coordinates
            let n = usize::try_from(contours).ok()?;
            let len_at = 10 + 2 * n;
            let ins_len = usize::from(u16::from_be_bytes(g.get(len_at..len_at + 2)?.try_into().ok()?));
            let rest = g.get(len_at + 2 + ins_len..)?;
            new_glyf.extend_from_slice(g.get(..len_at)?);
            new_glyf.extend_from_slice(&[0, 0]);
            new_glyf.extend_from_slice(rest);
        } else {
            // Composite: components, then instructions if any component says so.
            const ARGS_ARE_WORDS: u16 = 0x0001;
            const HAVE_SCALE: u16 = 0x0008;
            const MORE_COMPONENTS: u16 = 0x0020;
            const HAVE_XY_SCALE: u16 = 0x0040;
            const HAVE_2X2: u16 = 0x0080;
            const HAVE_INSTRUCTIONS: u16 = 0x0100;
            let base = new_glyf.len();
            let mut at = 10;
            loop {
                let flags = u16::from_be_bytes(g.get(at..at + 2)?.try_into().ok()?);
                let mut len = 4 + if flags & ARGS_ARE_WORDS != 0 { 4 } else { 2 };
                if flags & HAVE_SCALE != 0 {
                    len += 2;
                } else if flags & HAVE_XY_SCALE != 0 {
                    len += 4;
                } else if flags & HAVE_2X2 != 0 {
                    len += 8;
                }
                g.get(at..at + len)?;
                at += len;
                if flags & MORE_COMPONENTS == 0 {
                    break;
                }
            }
            new_glyf.extend_from_slice(g.get(..at)?);
            // Clear WE_HAVE_INSTRUCTIONS on every component.
            let mut c = base + 10;
            loop {
                let flags = u16::from_be_bytes(new_glyf.get(c..c + 2)?.try_into().ok()?);
                let cleared = flags & !HAVE_INSTRUCTIONS;
                new_glyf.get_mut(c..c + 2)?.copy_from_slice(&cleared.to_be_bytes());
                let mut len = 4 + if flags & ARGS_ARE_WORDS != 0 { 4 } else { 2 };
                if flags & HAVE_SCALE != 0 {
                    len += 2;
                } else if flags & HAVE_XY_SCALE != 0 {
                    len += 4;
                } else if flags & HAVE_2X2 != 0 {
                    len += 8;
                }
                c += len;
                if flags & MORE_COMPONENTS == 0 {
                    break;
                }
            }
        }
        while new_glyf.len() % 4 != 0 {
            new_glyf.push(0);
        }
    }
    new_loca.extend_from_slice(&u32::try_from(new_glyf.len()).ok()?.to_be_bytes());

    let mut new_head = head.to_vec();
    new_head.get_mut(8..12)?.copy_from_slice(&[0; 4]); // checkSumAdjustment, recomputed below
    new_head.get_mut(50..52)?.copy_from_slice(&1u16.to_be_bytes()); // long loca
    let mut new_maxp = maxp.to_vec();
    if new_maxp.len() >= 32 {
        // maxFunctionDefs, maxInstructionDefs, maxStackElements, maxSizeOfInstructions
        new_maxp.get_mut(20..28)?.copy_from_slice(&[0; 8]);
    }

    // post version 3: no per-glyph PostScript names (PDF viewers do not use them; the text
    // layer comes from the ToUnicode map), so subsets do not carry a name per glyph.
    let mut new_post = table(b"post").and_then(|p| p.get(..32)).map(<[u8]>::to_vec);
    if let Some(post) = new_post.as_mut() {
        post.get_mut(0..4)?.copy_from_slice(&0x0003_0000u32.to_be_bytes());
    }

    let mut out_tables: Vec<([u8; 4], &[u8])> = Vec::with_capacity(tables.len());
    for (tag, data) in &tables {
        if HINTING_TABLES.contains(&tag) {
            continue;
        }
        let data: &[u8] = match tag {
            b"glyf" => &new_glyf,
            b"loca" => &new_loca,
            b"head" => &new_head,
            b"maxp" => &new_maxp,
            b"post" => new_post.as_deref().unwrap_or(data),
            _ => data,
        };
        out_tables.push((*tag, data));
    }
    out_tables.sort_by_key(|t| t.0);
    Some(write_sfnt(version, &out_tables))
}

fn table_checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

fn write_sfnt(version: u32, tables: &[([u8; 4], &[u8])]) -> Vec<u8> {
    let n = tables.len() as u16;
    let mut pow = 1u16;
    let mut log = 0u16;
    while pow * 2 <= n {
        pow *= 2;
        log += 1;
    }
    let dir_len = 12 + 16 * tables.len();
    let total = dir_len + tables.iter().map(|(_, d)| d.len().div_ceil(4) * 4).sum::<usize>();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(&(pow * 16).to_be_bytes());
    out.extend_from_slice(&log.to_be_bytes());
    out.extend_from_slice(&(n * 16 - pow * 16).to_be_bytes());
    let mut offset = dir_len;
    for (tag, data) in tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&table_checksum(data).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        offset += data.len().div_ceil(4) * 4;
    }
    let mut head_at = None;
    for (tag, data) in tables {
        if tag == b"head" {
            head_at = Some(out.len());
        }
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    if let Some(at) = head_at {
        let adjustment = 0xB1B0_AFBAu32.wrapping_sub(table_checksum(&out));
        if let Some(field) = out.get_mut(at + 8..at + 12) {
            field.copy_from_slice(&adjustment.to_be_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font() -> Vec<u8> {
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../layers/fonts/ipaexg.ttf")).unwrap()
    }

    #[test]
    fn stripping_hints_keeps_outlines_and_metrics() {
        let original = font();
        let stripped = strip_hinting(&original).expect("IPAex Gothic is a plain glyf font");
        assert!(stripped.len() < original.len() * 7 / 10, "{} vs {}", stripped.len(), original.len());
        let a = skrifa::FontRef::new(&original).unwrap();
        let b = skrifa::FontRef::new(&stripped).unwrap();
        assert!(b.table_data(skrifa::Tag::new(b"fpgm")).is_none());
        let (ma, mb) = (a.metrics(Size::unscaled(), LocationRef::default()), b.metrics(Size::unscaled(), LocationRef::default()));
        assert_eq!(ma.glyph_count, mb.glyph_count);
        assert_eq!(ma.units_per_em, mb.units_per_em);
        let (oa, ob) = (a.outline_glyphs(), b.outline_glyphs());
        for ch in ['請', '求', '書', 'A', '¥', '※', '1'] {
            let gid = a.charmap().map(ch).unwrap();
            assert_eq!(b.charmap().map(ch), Some(gid));
            let pa = oa.get(gid).unwrap();
            let pb = ob.get(gid).unwrap();
            let mut sa = skrifa::outline::pen::SvgPen::default();
            let mut sb = skrifa::outline::pen::SvgPen::default();
            let settings = skrifa::outline::DrawSettings::unhinted(Size::unscaled(), LocationRef::default());
            pa.draw(settings, &mut sa).unwrap();
            let settings = skrifa::outline::DrawSettings::unhinted(Size::unscaled(), LocationRef::default());
            pb.draw(settings, &mut sb).unwrap();
            assert_eq!(sa.to_string(), sb.to_string(), "outline of {ch}");
        }
    }

    #[test]
    fn not_a_font_is_left_alone() {
        assert!(strip_hinting(b"not a font at all").is_none());
        assert!(strip_hinting(&[]).is_none());
    }
}

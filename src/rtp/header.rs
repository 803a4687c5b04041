//! The RTP fixed header, CSRC list, header extension block and padding (RFC 3550 §5.1, §5.3.1).
//!
//! [`RtpView`] checks a packet once and then answers from the borrowed bytes without allocating;
//! [`RtpHeader`] is the owned value a sender fills in and writes into its datagram buffer.

use super::ext::{ExtensionBlock, Extensions};

/// RFC 3550 §5.1: the only RTP version.
pub const RTP_VERSION: u8 = 2;
/// Length of the fixed header (RFC 3550 §5.1), before CSRCs and extensions.
pub const FIXED_HEADER_LEN: usize = 12;
/// RFC 3550 §5.1: the CSRC count is 4 bits.
pub const MAX_CSRCS: usize = 15;

/// Why an RTP packet or header did not parse or encode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtpError {
    /// Shorter than the fixed header, its CSRCs or its extension block.
    #[error("RTP packet truncated")]
    Truncated,
    /// RFC 3550 §5.1: the version field must be 2.
    #[error("RTP version {0} is not 2")]
    BadVersion(u8),
    /// RFC 3550 §5.1: the padding count is zero or exceeds what follows the header.
    #[error("RTP padding length is invalid")]
    BadPadding,
    /// RFC 8285 §4.2 / §4.3: an extension element runs past its block.
    #[error("malformed RTP header extension")]
    BadExtension,
    /// More than 15 CSRCs (RFC 3550 §5.1: the count is 4 bits).
    #[error("more than 15 CSRCs")]
    TooManyCsrcs,
    /// The output buffer is shorter than [`RtpHeader::encoded_len`].
    #[error("buffer of {have} bytes is too small for {need}")]
    BufferTooSmall {
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
    },
}

/// A checked RTP packet over borrowed bytes.
///
/// [`RtpView::parse`] validates the version, the CSRC list, the extension block (every RFC 8285
/// element lies within the block) and the padding; the accessors then read the bytes directly.
#[derive(Debug, Clone, Copy)]
pub struct RtpView<'a> {
    buf: &'a [u8],
    header_len: usize,
    padding_len: usize,
    /// Offset of the extension block's profile field, when the X bit is set.
    ext_offset: Option<usize>,
}

impl<'a> RtpView<'a> {
    /// Checks an RTP packet. Never allocates.
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtpError> {
        let Some(&b0) = buf.first() else {
            return Err(RtpError::Truncated);
        };
        if buf.len() < FIXED_HEADER_LEN {
            return Err(RtpError::Truncated);
        }
        // RFC 3550 §5.1: V is the top two bits and must be 2.
        if b0 >> 6 != RTP_VERSION {
            return Err(RtpError::BadVersion(b0 >> 6));
        }
        // RFC 3550 §5.1: CC 32-bit CSRC identifiers follow the fixed header.
        let mut header_len = FIXED_HEADER_LEN + 4 * usize::from(b0 & 0x0F);
        if buf.len() < header_len {
            return Err(RtpError::Truncated);
        }
        let mut ext_offset = None;
        if b0 & 0x10 != 0 {
            // RFC 3550 §5.3.1: a 16-bit profile, a 16-bit length in 32-bit words, the data.
            let Some(head) = buf.get(header_len..header_len + 4) else {
                return Err(RtpError::Truncated);
            };
            let profile = u16::from_be_bytes([head[0], head[1]]);
            let words = usize::from(u16::from_be_bytes([head[2], head[3]]));
            let start = header_len + 4;
            let Some(data) = buf.get(start..start + 4 * words) else {
                return Err(RtpError::Truncated);
            };
            ExtensionBlock::parse(profile, data)?;
            ext_offset = Some(header_len);
            header_len = start + 4 * words;
        }
        let padding_len = if b0 & 0x20 != 0 {
            // RFC 3550 §5.1: the last octet of the padding counts the padding octets, itself
            // included, so it is at least 1; and padding never reaches into the header.
            let count = usize::from(buf[buf.len() - 1]);
            if count == 0 || count > buf.len() - header_len {
                return Err(RtpError::BadPadding);
            }
            count
        } else {
            0
        };
        Ok(RtpView {
            buf,
            header_len,
            padding_len,
            ext_offset,
        })
    }

    /// The whole packet.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// The version field (always 2 in a parsed view).
    pub fn version(&self) -> u8 {
        self.buf[0] >> 6
    }

    /// The P bit.
    pub fn padding(&self) -> bool {
        self.buf[0] & 0x20 != 0
    }

    /// The X bit.
    pub fn extension(&self) -> bool {
        self.buf[0] & 0x10 != 0
    }

    /// The CSRC count.
    pub fn csrc_count(&self) -> usize {
        usize::from(self.buf[0] & 0x0F)
    }

    /// The M bit.
    pub fn marker(&self) -> bool {
        self.buf[1] & 0x80 != 0
    }

    /// The 7-bit payload type.
    pub fn payload_type(&self) -> u8 {
        self.buf[1] & 0x7F
    }

    /// The 16-bit sequence number.
    pub fn sequence_number(&self) -> u16 {
        u16::from_be_bytes([self.buf[2], self.buf[3]])
    }

    /// The 32-bit media timestamp.
    pub fn timestamp(&self) -> u32 {
        u32::from_be_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]])
    }

    /// The synchronization source.
    pub fn ssrc(&self) -> u32 {
        u32::from_be_bytes([self.buf[8], self.buf[9], self.buf[10], self.buf[11]])
    }

    /// The contributing sources, in order.
    pub fn csrcs(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        let end = FIXED_HEADER_LEN + 4 * self.csrc_count();
        self.buf[FIXED_HEADER_LEN..end]
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }

    /// Length of the header: fixed part, CSRCs and extension block.
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// The payload, without the header and without padding.
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[self.header_len..self.buf.len() - self.padding_len]
    }

    /// Number of padding octets at the end (0 without the P bit), the count octet included.
    pub fn padding_len(&self) -> usize {
        self.padding_len
    }

    /// The extension block's 16-bit profile field (`0xBEDE`, `0x100x` or another profile).
    pub fn extension_profile(&self) -> Option<u16> {
        self.ext_offset
            .map(|o| u16::from_be_bytes([self.buf[o], self.buf[o + 1]]))
    }

    /// The extension block's data, after the profile and length fields.
    pub fn extension_data(&self) -> Option<&'a [u8]> {
        self.ext_offset.map(|o| &self.buf[o + 4..self.header_len])
    }

    /// The extension block (already validated by [`RtpView::parse`]).
    pub fn extensions(&self) -> Option<ExtensionBlock<'a>> {
        let o = self.ext_offset?;
        let profile = u16::from_be_bytes([self.buf[o], self.buf[o + 1]]);
        Some(ExtensionBlock::new_unchecked(
            profile,
            &self.buf[o + 4..self.header_len],
        ))
    }

    /// The data of the RFC 8285 element with this id, if present (the first one).
    pub fn extension_by_id(&self, id: u8) -> Option<&'a [u8]> {
        self.extensions()?.get(id)
    }

    /// The header as an owned value.
    pub fn to_header(&self) -> RtpHeader {
        let mut csrcs = Csrcs::new();
        for c in self.csrcs() {
            // At most 15: the count is 4 bits.
            let _ = csrcs.push(c);
        }
        let extensions = match self.extensions() {
            Some(block) => Extensions::from_block(&block),
            None => Extensions::new(),
        };
        RtpHeader {
            marker: self.marker(),
            payload_type: self.payload_type(),
            sequence_number: self.sequence_number(),
            timestamp: self.timestamp(),
            ssrc: self.ssrc(),
            csrcs,
            extensions,
            // Parse checked count <= buf.len() - header_len, and the count is one octet.
            padding_len: self.padding_len as u8,
        }
    }
}

/// Up to 15 contributing sources, stored inline (no allocation).
#[derive(Clone, Copy, Default)]
pub struct Csrcs {
    len: u8,
    ids: [u32; MAX_CSRCS],
}

impl Csrcs {
    /// No CSRCs.
    pub const fn new() -> Self {
        Csrcs {
            len: 0,
            ids: [0; MAX_CSRCS],
        }
    }

    /// The CSRCs of a slice; at most 15.
    pub fn from_slice(ids: &[u32]) -> Result<Self, RtpError> {
        let mut c = Csrcs::new();
        for &id in ids {
            c.push(id)?;
        }
        Ok(c)
    }

    /// Appends one; fails past 15 (RFC 3550 §5.1: the count is 4 bits).
    pub fn push(&mut self, id: u32) -> Result<(), RtpError> {
        let slot = self
            .ids
            .get_mut(usize::from(self.len))
            .ok_or(RtpError::TooManyCsrcs)?;
        *slot = id;
        self.len += 1;
        Ok(())
    }

    /// Removes all.
    pub fn clear(&mut self) {
        *self = Csrcs::new();
    }

    /// The CSRCs as a slice.
    pub fn as_slice(&self) -> &[u32] {
        &self.ids[..usize::from(self.len)]
    }
}

impl std::ops::Deref for Csrcs {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        self.as_slice()
    }
}

impl PartialEq for Csrcs {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Csrcs {}

impl std::fmt::Debug for Csrcs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

/// An RTP header as a value (RFC 3550 §5.1): what a sender fills in and encodes in front of a
/// payload, and what [`RtpHeader::parse`] returns.
///
/// The version is always 2; P, X and CC follow from `padding_len`, `extensions` and `csrcs`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RtpHeader {
    /// The M bit.
    pub marker: bool,
    /// The payload type, 0..=127. The top bit of the octet is the marker's: encoding keeps the
    /// low 7 bits only, and [`RtpHeader::parse`] never returns more.
    pub payload_type: u8,
    /// The sequence number.
    pub sequence_number: u16,
    /// The media timestamp.
    pub timestamp: u32,
    /// The synchronization source.
    pub ssrc: u32,
    /// The contributing sources.
    pub csrcs: Csrcs,
    /// The header extensions (RFC 8285 elements, or a block of another profile).
    pub extensions: Extensions,
    /// Padding octets after the payload, the count octet included; 0 for none (no P bit).
    pub padding_len: u8,
}

impl RtpHeader {
    /// Parses a packet's header (payload skipped); allocates only for the extension elements.
    pub fn parse(buf: &[u8]) -> Result<Self, RtpError> {
        Ok(RtpView::parse(buf)?.to_header())
    }

    /// Bytes [`RtpHeader::encode`] writes: fixed header, CSRCs and extension block. Padding is
    /// not included: it follows the payload (see [`RtpHeader::encode_padding`]).
    pub fn encoded_len(&self) -> usize {
        FIXED_HEADER_LEN + 4 * self.csrcs.len() + self.extensions.block_len()
    }

    /// Appends the header to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.resize(start + self.encoded_len(), 0);
        self.write(&mut out[start..]);
    }

    /// Writes the header at the start of `out` (a datagram buffer) and returns its length.
    pub fn encode_into(&self, out: &mut [u8]) -> Result<usize, RtpError> {
        let need = self.encoded_len();
        let Some(dst) = out.get_mut(..need) else {
            return Err(RtpError::BufferTooSmall {
                need,
                have: out.len(),
            });
        };
        self.write(dst);
        Ok(need)
    }

    /// Appends the padding that goes after the payload: `padding_len - 1` zero octets and the
    /// count (RFC 3550 §5.1). Nothing when `padding_len` is 0.
    pub fn encode_padding(&self, out: &mut Vec<u8>) {
        if self.padding_len > 0 {
            out.resize(out.len() + usize::from(self.padding_len) - 1, 0);
            out.push(self.padding_len);
        }
    }

    /// Appends header, payload and padding: a whole packet.
    pub fn encode_packet(&self, payload: &[u8], out: &mut Vec<u8>) {
        self.encode(out);
        out.extend_from_slice(payload);
        self.encode_padding(out);
    }

    /// `dst` is exactly `encoded_len()` long.
    fn write(&self, dst: &mut [u8]) {
        let (fixed, rest) = dst.split_at_mut(FIXED_HEADER_LEN);
        let has_ext = self.extensions.block_len() > 0;
        fixed[0] = (RTP_VERSION << 6)
            | (u8::from(self.padding_len > 0) << 5)
            | (u8::from(has_ext) << 4)
            | self.csrcs.len() as u8;
        fixed[1] = (u8::from(self.marker) << 7) | (self.payload_type & 0x7F);
        fixed[2..4].copy_from_slice(&self.sequence_number.to_be_bytes());
        fixed[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        fixed[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        let (csrc, ext) = rest.split_at_mut(4 * self.csrcs.len());
        for (chunk, id) in csrc.chunks_exact_mut(4).zip(self.csrcs.iter()) {
            chunk.copy_from_slice(&id.to_be_bytes());
        }
        self.extensions.write_block(ext);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(b0: u8, extra: &[u8]) -> Vec<u8> {
        let mut p = vec![b0, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        p.extend_from_slice(extra);
        p
    }

    #[test]
    fn version_must_be_2() {
        // RFC 3550 §5.1
        assert_eq!(
            RtpView::parse(&packet(0x40, &[])).err(),
            Some(RtpError::BadVersion(1))
        );
        assert_eq!(
            RtpView::parse(&packet(0xC0, &[])).err(),
            Some(RtpError::BadVersion(3))
        );
        assert!(RtpView::parse(&packet(0x80, &[])).is_ok());
    }

    #[test]
    fn fixed_header_and_csrcs_must_fit() {
        assert_eq!(RtpView::parse(&[0x80; 11]).err(), Some(RtpError::Truncated));
        assert_eq!(RtpView::parse(&[]).err(), Some(RtpError::Truncated));
        // CC = 2 needs 8 more bytes.
        assert_eq!(
            RtpView::parse(&packet(0x82, &[0; 7])).err(),
            Some(RtpError::Truncated)
        );
        let p = packet(0x82, &[0, 0, 0, 9, 0, 0, 0, 10, 0xAA]);
        let v = RtpView::parse(&p).unwrap();
        assert_eq!(v.csrcs().collect::<Vec<_>>(), [9, 10]);
        assert_eq!(v.header_len(), 20);
        assert_eq!(v.payload(), [0xAA]);
    }

    #[test]
    fn padding_counts_itself_and_stays_after_the_header() {
        // RFC 3550 §5.1: a count of 0 is invalid (the last octet counts itself).
        assert_eq!(
            RtpView::parse(&packet(0xA0, &[1, 2, 0])).err(),
            Some(RtpError::BadPadding)
        );
        // Count 4 with 3 bytes after the header reaches into the header.
        assert_eq!(
            RtpView::parse(&packet(0xA0, &[1, 2, 4])).err(),
            Some(RtpError::BadPadding)
        );
        // No byte after the header at all: the "count" would be the SSRC's last octet.
        assert_eq!(
            RtpView::parse(&packet(0xA0, &[])).err(),
            Some(RtpError::BadPadding)
        );
        let p = packet(0xA0, &[1, 2, 0, 3]);
        let v = RtpView::parse(&p).unwrap();
        assert_eq!(v.payload(), [1]);
        assert_eq!(v.padding_len(), 3);
        // Padding may take everything after the header (a padding-only probe).
        let p = packet(0xA0, &[0, 0, 3]);
        let v = RtpView::parse(&p).unwrap();
        assert_eq!(v.payload(), [] as [u8; 0]);
    }

    #[test]
    fn extension_block_must_fit() {
        // RFC 3550 §5.3.1: length in 32-bit words.
        let p = packet(0x90, &[0xBE, 0xDE, 0, 2, 0x10, 1, 0, 0]);
        assert_eq!(RtpView::parse(&p).err(), Some(RtpError::Truncated));
        let p = packet(0x90, &[0xBE, 0xDE]);
        assert_eq!(RtpView::parse(&p).err(), Some(RtpError::Truncated));
        let p = packet(0x90, &[0xBE, 0xDE, 0, 1, 0x10, 1, 0, 0, 0x55]);
        let v = RtpView::parse(&p).unwrap();
        assert_eq!(v.extension_profile(), Some(0xBEDE));
        assert_eq!(v.extension_by_id(1), Some(&[1u8][..]));
        assert_eq!(v.payload(), [0x55]);
    }

    #[test]
    fn encode_into_writes_in_place_and_refuses_short_buffers() {
        let mut h = RtpHeader {
            marker: true,
            payload_type: 111,
            sequence_number: 0xABCD,
            timestamp: 0x01020304,
            ssrc: 0xDEADBEEF,
            ..RtpHeader::default()
        };
        h.csrcs.push(7).unwrap();
        let mut buf = [0u8; 64];
        let n = h.encode_into(&mut buf).unwrap();
        assert_eq!(n, 16);
        assert_eq!(
            &buf[..n],
            [
                0x81,
                0x80 | 111,
                0xAB,
                0xCD,
                1,
                2,
                3,
                4,
                0xDE,
                0xAD,
                0xBE,
                0xEF,
                0,
                0,
                0,
                7
            ]
        );
        assert_eq!(
            h.encode_into(&mut buf[..15]),
            Err(RtpError::BufferTooSmall { need: 16, have: 15 })
        );
        let mut v = Vec::new();
        h.encode(&mut v);
        assert_eq!(v, buf[..n]);
    }

    #[test]
    fn csrcs_are_bounded() {
        let mut c = Csrcs::from_slice(&[1; 15]).unwrap();
        assert_eq!(c.push(2), Err(RtpError::TooManyCsrcs));
        assert_eq!(
            Csrcs::from_slice(&[0; 16]).err(),
            Some(RtpError::TooManyCsrcs)
        );
    }
}

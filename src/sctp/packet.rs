//! SCTP packets (RFC 9260 §3): a 12-byte common header followed by chunks, each a
//! type/flags/length TLV padded to 4 bytes.

/// RFC 9260 §3.1: the common header is 12 bytes.
pub const COMMON_HEADER_LEN: usize = 12;

/// Why a packet was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PacketError {
    /// Shorter than the common header.
    #[error("SCTP packet shorter than its common header")]
    TooShort,
    /// The CRC32c does not match (RFC 9260 §6.8).
    #[error("SCTP checksum mismatch")]
    BadChecksum,
    /// A chunk's length field is below 4 or runs past the packet.
    #[error("malformed SCTP chunk length")]
    BadChunkLength,
}

/// RFC 9260 §3.2: what to do with a chunk of unknown type, from its two high bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownChunkAction {
    /// 00: stop processing the packet, discard it, do not report.
    Stop,
    /// 01: stop, discard, and report it in an ERROR chunk (Unrecognized Chunk Type).
    StopAndReport,
    /// 10: skip this chunk and continue.
    Skip,
    /// 11: skip, continue, and report it in an ERROR chunk.
    SkipAndReport,
}

impl UnknownChunkAction {
    /// The action for chunk type `typ`.
    pub fn of(typ: u8) -> Self {
        match typ >> 6 {
            0 => Self::Stop,
            1 => Self::StopAndReport,
            2 => Self::Skip,
            _ => Self::SkipAndReport,
        }
    }
}

/// RFC 9260 Appendix A: CRC32c over the packet with the checksum field taken as zero. The
/// result goes on the wire least-significant byte first (the reflected algorithm's natural
/// order), which `to_le_bytes` expresses.
pub fn checksum(packet: &[u8]) -> u32 {
    let mut crc = crc32c::crc32c(&packet[..8.min(packet.len())]);
    crc = crc32c::crc32c_append(crc, &[0; 4]);
    if packet.len() > COMMON_HEADER_LEN {
        crc = crc32c::crc32c_append(crc, &packet[COMMON_HEADER_LEN..]);
    }
    crc
}

/// One chunk, borrowed from the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkView<'a> {
    /// Chunk type.
    pub typ: u8,
    /// Chunk flags.
    pub flags: u8,
    /// The value (without the 4-byte chunk header and without padding).
    pub value: &'a [u8],
}

/// A checked view of one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Source port.
    pub source_port: u16,
    /// Destination port.
    pub destination_port: u16,
    /// Verification tag.
    pub verification_tag: u32,
    chunks: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Parses the header and chunk framing. The checksum is verified unless `zero_checksum`
    /// (RFC 9653: both sides agreed, DTLS being the alternate error detection) and the field is
    /// zero.
    pub fn parse(buf: &'a [u8], zero_checksum: bool) -> Result<Self, PacketError> {
        if buf.len() < COMMON_HEADER_LEN {
            return Err(PacketError::TooShort);
        }
        let stored = u32::from_le_bytes([buf[8], buf[9], buf[10], buf[11]]);
        if !(zero_checksum && stored == 0) && stored != checksum(buf) {
            return Err(PacketError::BadChecksum);
        }
        let p = Self {
            source_port: u16::from_be_bytes([buf[0], buf[1]]),
            destination_port: u16::from_be_bytes([buf[2], buf[3]]),
            verification_tag: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
            chunks: &buf[COMMON_HEADER_LEN..],
        };
        // Validate the framing once so that iteration cannot fail.
        let mut rest = p.chunks;
        while !rest.is_empty() {
            rest = split_chunk(rest)?.1;
        }
        Ok(p)
    }

    /// The chunks, in order.
    pub fn chunks(&self) -> impl Iterator<Item = ChunkView<'a>> + 'a {
        let mut rest = self.chunks;
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            let (c, r) = split_chunk(rest).ok()?;
            rest = r;
            Some(c)
        })
    }

    /// Writes a packet with these header fields and chunks (type, flags, value), padding each
    /// chunk to 4 bytes and filling in the checksum (or zero, RFC 9653).
    pub fn write(
        source_port: u16,
        destination_port: u16,
        verification_tag: u32,
        chunks: &[ChunkView<'_>],
        zero_checksum: bool,
        out: &mut Vec<u8>,
    ) {
        let start = out.len();
        out.extend_from_slice(&source_port.to_be_bytes());
        out.extend_from_slice(&destination_port.to_be_bytes());
        out.extend_from_slice(&verification_tag.to_be_bytes());
        out.extend_from_slice(&[0; 4]);
        for c in chunks {
            let len = u16::try_from(4 + c.value.len()).expect("invariant: chunk fits a packet");
            out.extend_from_slice(&[c.typ, c.flags]);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(c.value);
            // RFC 9260 §3.2: padding to a multiple of 4, zero-filled, not counted in length.
            out.resize(out.len() + (4 - c.value.len() % 4) % 4, 0);
        }
        if !zero_checksum {
            let crc = checksum(&out[start..]);
            out[start + 8..start + 12].copy_from_slice(&crc.to_le_bytes());
        }
    }
}

/// RFC 9260 §3.2: a chunk is type, flags, length (≥ 4, header included, padding excluded), value,
/// then zero padding to a multiple of 4. A missing pad is tolerated only at the very end of the
/// packet (the receiver must not depend on it: §3.2 says the last chunk's padding is sent, but
/// ignoring its absence costs nothing).
fn split_chunk(buf: &[u8]) -> Result<(ChunkView<'_>, &[u8]), PacketError> {
    if buf.len() < 4 {
        return Err(PacketError::BadChunkLength);
    }
    let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
    if len < 4 || len > buf.len() {
        return Err(PacketError::BadChunkLength);
    }
    let padded = (len + 3) & !3;
    let rest = buf.get(padded..).unwrap_or_default();
    Ok((
        ChunkView {
            typ: buf[0],
            flags: buf[1],
            value: &buf[4..len],
        },
        rest,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn crc32c_check_value_and_wire_order() {
        // The CRC-32C check value (RFC 3720 §B.4 catalogue): "123456789" → 0xE3069283.
        assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
        // RFC 3720 §B.4: 32 bytes of zeros → 0x8A9136AA; on the wire as AA 36 91 8A.
        let mut p = vec![0u8; 32];
        p[8..12].copy_from_slice(&[0xFF; 4]); // checksum field is ignored
        assert_eq!(checksum(&p), 0x8A91_36AA);
        let mut out = Vec::new();
        Packet::write(0, 0, 0, &[], false, &mut out);
        assert_eq!(out.len(), 12);
        assert_eq!(&out[8..], &checksum(&out).to_le_bytes());
    }

    #[test]
    fn unknown_chunk_actions_by_upper_bits() {
        assert_eq!(UnknownChunkAction::of(0x0F), UnknownChunkAction::Stop);
        assert_eq!(
            UnknownChunkAction::of(0x4F),
            UnknownChunkAction::StopAndReport
        );
        assert_eq!(UnknownChunkAction::of(0x84), UnknownChunkAction::Skip); // PAD is 0x84
        assert_eq!(
            UnknownChunkAction::of(0xC0),
            UnknownChunkAction::SkipAndReport
        ); // FORWARD-TSN
    }

    #[test]
    fn framing_and_checksum_errors() {
        let mut out = Vec::new();
        let value = [1u8, 2, 3, 4, 5];
        Packet::write(
            5000,
            5000,
            7,
            &[ChunkView {
                typ: 0,
                flags: 3,
                value: &value,
            }],
            false,
            &mut out,
        );
        assert_eq!(out.len(), 12 + 4 + 8, "5-byte value padded to 8");
        let p = Packet::parse(&out, false).unwrap();
        assert_eq!(
            p.chunks().collect::<Vec<_>>(),
            [ChunkView {
                typ: 0,
                flags: 3,
                value: &value
            }]
        );
        let mut bad = out.clone();
        bad[20] ^= 1;
        assert_eq!(Packet::parse(&bad, false), Err(PacketError::BadChecksum));
        // RFC 9653: a zero checksum is accepted only when agreed.
        let mut zero = Vec::new();
        Packet::write(1, 2, 3, &[], true, &mut zero);
        assert_eq!(Packet::parse(&zero, false), Err(PacketError::BadChecksum));
        assert!(Packet::parse(&zero, true).is_ok());
        // A chunk length below 4 or past the end.
        let mut short = out.clone();
        short[14..16].copy_from_slice(&2u16.to_be_bytes());
        let crc = checksum(&short);
        short[8..12].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(
            Packet::parse(&short, false),
            Err(PacketError::BadChunkLength)
        );
        assert_eq!(Packet::parse(&out[..8], false), Err(PacketError::TooShort));
    }

    proptest! {
        #[test]
        fn round_trip(
            ports in any::<(u16, u16)>(),
            tag in any::<u32>(),
            zero in any::<bool>(),
            chunks in proptest::collection::vec((any::<u8>(), any::<u8>(), proptest::collection::vec(any::<u8>(), 0..40)), 0..6),
        ) {
            let views: Vec<ChunkView<'_>> = chunks.iter().map(|(t, f, v)| ChunkView { typ: *t, flags: *f, value: v }).collect();
            let mut out = Vec::new();
            Packet::write(ports.0, ports.1, tag, &views, zero, &mut out);
            prop_assert_eq!(out.len() % 4, 0);
            let p = Packet::parse(&out, zero).unwrap();
            prop_assert_eq!((p.source_port, p.destination_port, p.verification_tag), (ports.0, ports.1, tag));
            prop_assert_eq!(p.chunks().collect::<Vec<_>>(), views);
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80), zero in any::<bool>()) {
            if let Ok(p) = Packet::parse(&bytes, zero) {
                let _ = p.chunks().count();
            }
        }
    }
}

//! Extended reports (RFC 3611): the receiver reference time (§4.4) and DLRR (§4.5) blocks
//! typed, every other block kept raw.

use super::{
    Cursor, Encode, RtcpEncodeError, Sink, check_len, impl_encode_api, packet_len, packet_type,
    put_header, put_u8, put_u16, put_u32, put_u64,
};

/// RFC 3611 §4.5: one DLRR sub-block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct DlrrItem {
    /// SSRC of the receiver the item answers.
    pub ssrc: u32,
    /// LRR: the middle 32 bits of that receiver's last RRTR NTP timestamp.
    pub last_rr: u32,
    /// DLRR: delay since then, in 1/65536 s.
    pub delay_since_last_rr: u32,
}

/// One XR report block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XrBlock {
    /// RFC 3611 §4.4: receiver reference time (BT=4).
    Rrtr {
        /// The NTP timestamp.
        ntp_timestamp: u64,
    },
    /// RFC 3611 §4.5: DLRR (BT=5).
    Dlrr(Vec<DlrrItem>),
    /// Any other block type, kept raw.
    Other {
        /// BT.
        block_type: u8,
        /// The type-specific octet.
        type_specific: u8,
        /// The block contents after its header, a whole number of 32-bit words.
        data: Vec<u8>,
    },
}

impl XrBlock {
    /// RFC 3611 §4.4: block type of RRTR.
    pub const RRTR: u8 = 4;
    /// RFC 3611 §4.5: block type of DLRR.
    pub const DLRR: u8 = 5;

    fn content_len(&self) -> usize {
        match self {
            XrBlock::Rrtr { .. } => 8,
            XrBlock::Dlrr(items) => 12 * items.len(),
            XrBlock::Other { data, .. } => data.len(),
        }
    }
}

/// RFC 3611 §2: an extended report packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Xr {
    /// SSRC of the packet sender.
    pub ssrc: u32,
    /// The report blocks, in order.
    pub blocks: Vec<XrBlock>,
}

impl Xr {
    /// How many blocks are of a type not decoded here (kept raw as [`XrBlock::Other`]).
    pub fn unknown_blocks(&self) -> usize {
        self.blocks
            .iter()
            .filter(|b| matches!(b, XrBlock::Other { .. }))
            .count()
    }

    pub(crate) fn parse_body(body: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(body);
        let ssrc = c.u32()?;
        let mut blocks = Vec::new();
        // RFC 3611 §3: blocks of BT, type-specific, length in 32-bit words minus the header.
        while c.remaining() > 0 {
            let block_type = c.u8()?;
            let type_specific = c.u8()?;
            let words = usize::from(c.u16()?);
            let mut data = Cursor::new(c.take(words * 4)?);
            blocks.push(match block_type {
                // RFC 3611 §4.4: block length 2.
                XrBlock::RRTR if words == 2 => XrBlock::Rrtr {
                    ntp_timestamp: data.u64()?,
                },
                XrBlock::RRTR => return None,
                // RFC 3611 §4.5: block length 3 × the number of sub-blocks.
                XrBlock::DLRR if words.is_multiple_of(3) => XrBlock::Dlrr(
                    (0..words / 3)
                        .map(|_| {
                            Some(DlrrItem {
                                ssrc: data.u32()?,
                                last_rr: data.u32()?,
                                delay_since_last_rr: data.u32()?,
                            })
                        })
                        .collect::<Option<Vec<_>>>()?,
                ),
                XrBlock::DLRR => return None,
                _ => XrBlock::Other {
                    block_type,
                    type_specific,
                    data: data.rest().to_vec(),
                },
            });
        }
        Some(Self { ssrc, blocks })
    }

    fn body_len(&self) -> usize {
        4 + self
            .blocks
            .iter()
            .map(|b| 4 + b.content_len())
            .sum::<usize>()
    }
}

impl Encode for Xr {
    fn check(&self) -> Result<(), RtcpEncodeError> {
        for b in &self.blocks {
            if let XrBlock::Other {
                block_type, data, ..
            } = b
            {
                if !data.len().is_multiple_of(4) {
                    return Err(RtcpEncodeError::Unaligned {
                        len_bytes: data.len(),
                    });
                }
                if matches!(*block_type, XrBlock::RRTR | XrBlock::DLRR) {
                    return Err(RtcpEncodeError::Inconsistent {
                        field: "XR Other block with a typed block type",
                    });
                }
            }
            if b.content_len() / 4 > usize::from(u16::MAX) {
                return Err(RtcpEncodeError::TooLong {
                    len_bytes: b.content_len(),
                });
            }
        }
        check_len(self.len())
    }
    fn len(&self) -> usize {
        packet_len(self.body_len())
    }
    fn write(&self, s: &mut dyn Sink) {
        put_header(s, 0, packet_type::XR, self.len());
        put_u32(s, self.ssrc);
        for b in &self.blocks {
            let words = (b.content_len() / 4) as u16;
            match b {
                XrBlock::Rrtr { ntp_timestamp } => {
                    put_u8(s, XrBlock::RRTR);
                    put_u8(s, 0);
                    put_u16(s, words);
                    put_u64(s, *ntp_timestamp);
                }
                XrBlock::Dlrr(items) => {
                    put_u8(s, XrBlock::DLRR);
                    put_u8(s, 0);
                    put_u16(s, words);
                    for i in items {
                        put_u32(s, i.ssrc);
                        put_u32(s, i.last_rr);
                        put_u32(s, i.delay_since_last_rr);
                    }
                }
                XrBlock::Other {
                    block_type,
                    type_specific,
                    data,
                } => {
                    put_u8(s, *block_type);
                    put_u8(s, *type_specific);
                    put_u16(s, words);
                    s.put(data);
                }
            }
        }
    }
}
impl_encode_api!(Xr);

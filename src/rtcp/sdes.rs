//! Source description (RFC 3550 §6.5).

use super::{
    Cursor, Encode, MAX_COUNT, RtcpEncodeError, Sink, check_len, impl_encode_api, packet_len,
    packet_type, pad4, put_header, put_u8, put_u32, put_zeros,
};

/// RFC 3550 §6.5: SDES item types.
pub mod item {
    /// §6.5.1: canonical end-point identifier.
    pub const CNAME: u8 = 1;
    /// §6.5.2: user name.
    pub const NAME: u8 = 2;
    /// §6.5.3: e-mail address.
    pub const EMAIL: u8 = 3;
    /// §6.5.4: phone number.
    pub const PHONE: u8 = 4;
    /// §6.5.5: geographic location.
    pub const LOC: u8 = 5;
    /// §6.5.6: application or tool name.
    pub const TOOL: u8 = 6;
    /// §6.5.7: notice/status.
    pub const NOTE: u8 = 7;
    /// §6.5.8: private extensions.
    pub const PRIV: u8 = 8;
}

/// One SDES item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SdesItem {
    /// RFC 3550 §6.5.1: CNAME (bytes as sent; UTF-8 by the RFC, not checked).
    Cname(Vec<u8>),
    /// Any other item, kept raw. `item_type` is never 0 (the list terminator) nor CNAME.
    Other {
        /// The item type (see [`item`]).
        item_type: u8,
        /// The item's text, at most 255 bytes.
        value: Vec<u8>,
    },
}

impl SdesItem {
    fn item_type(&self) -> u8 {
        match self {
            SdesItem::Cname(_) => item::CNAME,
            SdesItem::Other { item_type, .. } => *item_type,
        }
    }
    fn value(&self) -> &[u8] {
        match self {
            SdesItem::Cname(v) | SdesItem::Other { value: v, .. } => v,
        }
    }
}

/// One SDES chunk: an SSRC/CSRC and its items.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct SdesChunk {
    /// The source described.
    pub ssrc: u32,
    /// Its items, in order.
    pub items: Vec<SdesItem>,
}

impl SdesChunk {
    /// A chunk with only a CNAME.
    pub fn with_cname(ssrc: u32, cname: impl Into<Vec<u8>>) -> Self {
        Self {
            ssrc,
            items: vec![SdesItem::Cname(cname.into())],
        }
    }
    /// The first CNAME item, if any.
    pub fn cname(&self) -> Option<&[u8]> {
        self.items.iter().find_map(|i| match i {
            SdesItem::Cname(v) => Some(v.as_slice()),
            SdesItem::Other { .. } => None,
        })
    }
    fn encoded_len(&self) -> usize {
        // RFC 3550 §6.5: SSRC, the items, then at least one null octet ending the list, padded
        // with nulls to the next 32-bit boundary.
        let items: usize = self.items.iter().map(|i| 2 + i.value().len()).sum();
        4 + pad4(items + 1)
    }
}

/// RFC 3550 §6.5: a source description packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sdes {
    /// The chunks, at most 31.
    pub chunks: Vec<SdesChunk>,
}

impl Sdes {
    /// One chunk with one CNAME: what every compound carries (RFC 3550 §6.1).
    pub fn with_cname(ssrc: u32, cname: impl Into<Vec<u8>>) -> Self {
        Self {
            chunks: vec![SdesChunk::with_cname(ssrc, cname)],
        }
    }

    pub(crate) fn parse_body(count: u8, body: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(body);
        // Each chunk takes at least 8 bytes, so `count` (at most 31) is bounded by the body.
        let mut chunks = Vec::with_capacity(usize::from(count).min(body.len() / 8));
        for _ in 0..count {
            let start = c.remaining();
            let ssrc = c.u32()?;
            let mut items = Vec::new();
            loop {
                let item_type = c.u8()?;
                if item_type == 0 {
                    // RFC 3550 §6.5: the first null octet ends the list; nulls follow up to the
                    // next 32-bit boundary counted from the chunk's start.
                    let used = start - c.remaining();
                    c.take(pad4(used) - used)?;
                    break;
                }
                let len = c.u8()?;
                let value = c.take(usize::from(len))?.to_vec();
                items.push(if item_type == item::CNAME {
                    SdesItem::Cname(value)
                } else {
                    SdesItem::Other { item_type, value }
                });
            }
            chunks.push(SdesChunk { ssrc, items });
        }
        Some(Self { chunks })
    }

    fn body_len(&self) -> usize {
        self.chunks.iter().map(SdesChunk::encoded_len).sum()
    }
}

impl Encode for Sdes {
    fn check(&self) -> Result<(), RtcpEncodeError> {
        if self.chunks.len() > MAX_COUNT {
            return Err(RtcpEncodeError::TooManyItems { max: MAX_COUNT });
        }
        for i in self.chunks.iter().flat_map(|c| &c.items) {
            if i.value().len() > 255 {
                return Err(RtcpEncodeError::TooManyItems { max: 255 });
            }
            if i.item_type() == 0
                || matches!(i, SdesItem::Other { item_type, .. } if *item_type == item::CNAME)
            {
                return Err(RtcpEncodeError::Inconsistent {
                    field: "SDES Other item type (0 ends the list, 1 is Cname)",
                });
            }
        }
        check_len(packet_len(self.body_len()))
    }
    fn len(&self) -> usize {
        packet_len(self.body_len())
    }
    fn write(&self, s: &mut dyn Sink) {
        put_header(s, self.chunks.len() as u8, packet_type::SDES, self.len());
        for chunk in &self.chunks {
            put_u32(s, chunk.ssrc);
            let mut used = 0;
            for i in &chunk.items {
                put_u8(s, i.item_type());
                put_u8(s, i.value().len() as u8);
                s.put(i.value());
                used += 2 + i.value().len();
            }
            put_zeros(s, pad4(used + 1) - used);
        }
    }
}
impl_encode_api!(Sdes);

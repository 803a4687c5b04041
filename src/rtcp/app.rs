//! Application-defined packets (RFC 3550 §6.7).

use super::{
    Cursor, Encode, RtcpEncodeError, Sink, check_len, impl_encode_api, packet_len, packet_type,
    put_header, put_u32,
};

/// RFC 3550 §6.7: an APP packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct App {
    /// The 5-bit subtype (in the count field).
    pub subtype: u8,
    /// SSRC/CSRC of the sender.
    pub ssrc: u32,
    /// The four-character name.
    pub name: [u8; 4],
    /// Application-dependent data, a whole number of 32-bit words.
    pub data: Vec<u8>,
}

impl App {
    pub(crate) fn parse_body(count: u8, body: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(body);
        let ssrc = c.u32()?;
        let name = c.take(4)?.try_into().ok()?;
        // RFC 3550 §6.7: the data "MUST be a multiple of 32 bits long".
        if !c.remaining().is_multiple_of(4) {
            return None;
        }
        Some(Self {
            subtype: count,
            ssrc,
            name,
            data: c.rest().to_vec(),
        })
    }
}

impl Encode for App {
    fn check(&self) -> Result<(), RtcpEncodeError> {
        if self.subtype > 31 {
            return Err(RtcpEncodeError::Inconsistent {
                field: "APP subtype has 5 bits",
            });
        }
        if !self.data.len().is_multiple_of(4) {
            return Err(RtcpEncodeError::Unaligned {
                len_bytes: self.data.len(),
            });
        }
        check_len(self.len())
    }
    fn len(&self) -> usize {
        packet_len(8 + self.data.len())
    }
    fn write(&self, s: &mut dyn Sink) {
        put_header(s, self.subtype, packet_type::APP, self.len());
        put_u32(s, self.ssrc);
        s.put(&self.name);
        s.put(&self.data);
    }
}
impl_encode_api!(App);

//! Goodbye (RFC 3550 §6.6).

use super::{
    Cursor, Encode, MAX_COUNT, RtcpEncodeError, Sink, check_len, impl_encode_api, packet_len,
    packet_type, put_header, put_u8, put_u32, put_zeros,
};

/// RFC 3550 §6.6: a BYE packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bye {
    /// The sources leaving, at most 31.
    pub ssrcs: Vec<u32>,
    /// The optional reason for leaving (at most 255 bytes).
    pub reason: Option<Vec<u8>>,
}

impl Bye {
    pub(crate) fn parse_body(count: u8, body: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(body);
        if c.remaining() < usize::from(count) * 4 {
            return None;
        }
        let ssrcs = (0..count).map(|_| c.u32()).collect::<Option<Vec<_>>>()?;
        // RFC 3550 §6.6: anything after the SSRC list is the reason: a length octet and text,
        // then null padding to the 32-bit boundary.
        let reason = if c.remaining() == 0 {
            None
        } else {
            let len = c.u8()?;
            Some(c.take(usize::from(len))?.to_vec())
        };
        Some(Self { ssrcs, reason })
    }

    fn body_len(&self) -> usize {
        4 * self.ssrcs.len() + self.reason.as_ref().map_or(0, |r| 1 + r.len())
    }
}

impl Encode for Bye {
    fn check(&self) -> Result<(), RtcpEncodeError> {
        if self.ssrcs.len() > MAX_COUNT {
            return Err(RtcpEncodeError::TooManyItems { max: MAX_COUNT });
        }
        if self.reason.as_ref().is_some_and(|r| r.len() > 255) {
            return Err(RtcpEncodeError::TooManyItems { max: 255 });
        }
        check_len(packet_len(self.body_len()))
    }
    fn len(&self) -> usize {
        packet_len(self.body_len())
    }
    fn write(&self, s: &mut dyn Sink) {
        put_header(s, self.ssrcs.len() as u8, packet_type::BYE, self.len());
        self.ssrcs.iter().for_each(|&ssrc| put_u32(s, ssrc));
        if let Some(r) = &self.reason {
            put_u8(s, r.len() as u8);
            s.put(r);
        }
        // RFC 3550 §6.6: the reason is padded with null octets to the next 32-bit boundary.
        put_zeros(s, self.len() - 4 - self.body_len());
    }
}
impl_encode_api!(Bye);

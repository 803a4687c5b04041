//! MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) and MESSAGE-INTEGRITY-SHA256 (§14.6).
//!
//! The HMAC covers the message up to (not including) the integrity attribute, with the header's
//! length field rewritten to end just after the integrity attribute — as if it were the last
//! attribute. Verification compares in constant time (`hmac`'s `verify_*`).

use super::{AttributeType, HEADER_LEN, MessageView};
use hmac::{Hmac, KeyInit, Mac};

type HmacSha1 = Hmac<sha1::Sha1>;
type HmacSha256 = Hmac<sha2::Sha256>;

/// Why integrity verification failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IntegrityError {
    /// The message carries no MESSAGE-INTEGRITY(-SHA256).
    #[error("no message integrity")]
    Missing,
    /// The HMAC does not match.
    #[error("message integrity mismatch")]
    Mismatch,
}

/// The header of `buf` with its length field set to end `attr_end` bytes into the message.
fn adjusted_header(buf: &[u8], attr_end: usize) -> [u8; HEADER_LEN] {
    let mut header: [u8; HEADER_LEN] = buf[..HEADER_LEN].try_into().expect("checked header");
    let len = (attr_end - HEADER_LEN) as u16;
    header[2..4].copy_from_slice(&len.to_be_bytes());
    header
}

/// HMAC-SHA1 over `buf[..offset]` for an integrity attribute at `offset` (RFC 8489 §14.5).
pub(crate) fn hmac_sha1(key: &[u8], buf: &[u8], offset: usize) -> [u8; 20] {
    let mut mac = HmacSha1::new_from_slice(key).expect("invariant: HMAC takes keys of any length");
    mac.update(&adjusted_header(buf, offset + 4 + 20));
    mac.update(&buf[HEADER_LEN..offset]);
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA256 over `buf[..offset]` for an integrity attribute of `len` bytes at `offset`.
pub(crate) fn hmac_sha256(key: &[u8], buf: &[u8], offset: usize, len: usize) -> [u8; 32] {
    let mut mac =
        HmacSha256::new_from_slice(key).expect("invariant: HMAC takes keys of any length");
    mac.update(&adjusted_header(buf, offset + 4 + len));
    mac.update(&buf[HEADER_LEN..offset]);
    mac.finalize().into_bytes().into()
}

impl MessageView<'_> {
    /// Verifies MESSAGE-INTEGRITY with `key` (for short-term credentials, the password bytes;
    /// RFC 8489 §9.1.1). When the message carries only MESSAGE-INTEGRITY-SHA256 that is verified
    /// instead (§9.1.3 prefers it when both are present, which is checked first).
    pub fn verify_integrity(&self, key: &[u8]) -> Result<(), IntegrityError> {
        let buf = self.as_bytes();
        // One pass: the first MESSAGE-INTEGRITY and the first MESSAGE-INTEGRITY-SHA256 (which
        // may follow MESSAGE-INTEGRITY, RFC 8489 §14.5).
        let (mut mi, mut mi256) = (None, None);
        for a in self.attributes().flatten() {
            match a.typ {
                AttributeType::MESSAGE_INTEGRITY if mi.is_none() && mi256.is_none() => mi = Some(a),
                AttributeType::MESSAGE_INTEGRITY_SHA256 if mi256.is_none() => {
                    mi256 = Some(a);
                    break;
                }
                _ => {}
            }
        }
        if let Some(a) = mi256 {
            let mut mac = HmacSha256::new_from_slice(key).expect("invariant: any key length");
            mac.update(&adjusted_header(buf, a.offset + 4 + a.value.len()));
            mac.update(&buf[HEADER_LEN..a.offset]);
            // RFC 8489 §14.6: possibly truncated to the leftmost 16..=32 bytes.
            return mac
                .verify_truncated_left(a.value)
                .map_err(|_| IntegrityError::Mismatch);
        }
        let a = mi.ok_or(IntegrityError::Missing)?;
        let mut mac = HmacSha1::new_from_slice(key).expect("invariant: any key length");
        mac.update(&adjusted_header(buf, a.offset + 4 + 20));
        mac.update(&buf[HEADER_LEN..a.offset]);
        mac.verify_slice(a.value)
            .map_err(|_| IntegrityError::Mismatch)
    }
}

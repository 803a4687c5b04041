//! STUN messages (RFC 8489; RFC 5389 peers accepted): a zero-copy checked view and an owned value.
//!
//! - [`MessageView`] validates the header (RFC 8489 §5: leading zero bits, magic cookie, length a
//!   multiple of 4 that matches the datagram) and the attribute TLVs without allocating, and gives
//!   access to the raw attribute values. The hot path (ICE checks, the STUN server) uses it.
//! - [`StunMessage`] is the decoded value: class, method, transaction id and typed [`StunAttribute`]s.
//!   `StunMessage::parse` → `StunMessage::encode` reproduces the message (padding zeroed).
//! - FINGERPRINT (RFC 8489 §14.7) is verified while parsing whenever present, and computed while
//!   encoding.
//!
//! Used alone (a STUN client or server of your own): [`MessageView`] to check and read what
//! arrives, [`StunMessage`] to build what you send (`encode` refuses what STUN's length fields
//! cannot hold), [`LongTermKey`] for long-term credentials, [`server::StunServer`] for a
//! ready Binding server. The retransmission schedule's parameters are [`RetransmitConfig`].

mod attr;
mod credentials;
mod integrity;
pub mod server;
pub(crate) mod transaction;

use attr::padded;
pub use attr::{
    AttributeType, MAX_TEXT_BYTES, MAX_USERNAME_BYTES, PasswordAlgorithm, StunAttribute,
};
pub use credentials::{CredentialError, LongTermKey, PasswordAlgorithmKind};
pub use integrity::IntegrityError;
pub use transaction::RetransmitConfig;

use std::fmt;

/// RFC 8489 §5: the fixed magic cookie.
pub const MAGIC_COOKIE: u32 = 0x2112_A442;
/// RFC 8489 §5: the header is 20 bytes.
pub const HEADER_LEN: usize = 20;
/// RFC 8489 §14.7: FINGERPRINT is the CRC-32 of the message XOR-ed with this.
const FINGERPRINT_XOR: u32 = 0x5354_554E;

/// The 96-bit transaction id (RFC 8489 §5).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransactionId(pub [u8; 12]);

impl fmt::Debug for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TransactionId(")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))?;
        write!(f, ")")
    }
}

impl TransactionId {
    /// A fresh id from the caller's random stream (RFC 8489 §5: uniformly random).
    pub fn random(rng: &mut crate::rng::Rng) -> Self {
        Self(rng.bytes())
    }
}

/// The message class (RFC 8489 §5, the C1/C0 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// A request: expects a response.
    Request,
    /// An indication: no response.
    Indication,
    /// A success response.
    SuccessResponse,
    /// An error response.
    ErrorResponse,
}

impl Class {
    fn bits(self) -> u16 {
        match self {
            Class::Request => 0b00,
            Class::Indication => 0b01,
            Class::SuccessResponse => 0b10,
            Class::ErrorResponse => 0b11,
        }
    }

    fn from_bits(b: u16) -> Self {
        match b & 0b11 {
            0b00 => Class::Request,
            0b01 => Class::Indication,
            0b10 => Class::SuccessResponse,
            _ => Class::ErrorResponse,
        }
    }
}

/// A STUN method, 12 bits (RFC 8489 §18.2, RFC 8656 §17).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Method(u16);

impl Method {
    /// Binding (RFC 8489).
    pub const BINDING: Method = Method(0x001);
    /// Allocate (RFC 8656).
    pub const ALLOCATE: Method = Method(0x003);
    /// Refresh (RFC 8656).
    pub const REFRESH: Method = Method(0x004);
    /// Send (RFC 8656).
    pub const SEND: Method = Method(0x006);
    /// Data (RFC 8656).
    pub const DATA: Method = Method(0x007);
    /// CreatePermission (RFC 8656).
    pub const CREATE_PERMISSION: Method = Method(0x008);
    /// ChannelBind (RFC 8656).
    pub const CHANNEL_BIND: Method = Method(0x009);

    /// A method from its 12-bit number; `None` past 0xFFF.
    pub const fn new(value: u16) -> Option<Method> {
        if value <= 0x0FFF {
            Some(Method(value))
        } else {
            None
        }
    }

    /// The 12-bit method number.
    pub const fn value(self) -> u16 {
        self.0
    }
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            Method::BINDING => "Binding",
            Method::ALLOCATE => "Allocate",
            Method::REFRESH => "Refresh",
            Method::SEND => "Send",
            Method::DATA => "Data",
            Method::CREATE_PERMISSION => "CreatePermission",
            Method::CHANNEL_BIND => "ChannelBind",
            _ => return write!(f, "Method({:#05x})", self.0),
        };
        f.write_str(name)
    }
}

/// RFC 8489 §5: the method bits M11..M0 are interleaved with the class bits C1 (bit 8) and C0
/// (bit 4) in the 14-bit message type.
fn message_type(class: Class, method: Method) -> u16 {
    let m = method.0;
    let c = class.bits();
    (m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 0b01) << 4) | ((c & 0b10) << 7)
}

fn split_message_type(t: u16) -> (Class, Method) {
    let m = (t & 0x000F) | ((t >> 1) & 0x0070) | ((t >> 2) & 0x0F80);
    let c = ((t >> 4) & 0b01) | ((t >> 7) & 0b10);
    (Class::from_bits(c), Method(m))
}

/// Why bytes are not a valid STUN message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StunError {
    /// Shorter than the 20-byte header.
    #[error("shorter than a STUN header")]
    TooShort,
    /// The two leading bits are not zero (RFC 8489 §5).
    #[error("leading bits are not zero")]
    NotStun,
    /// The magic cookie is wrong (RFC 3489 messages are not accepted).
    #[error("bad magic cookie")]
    BadCookie,
    /// The header length is not a multiple of 4 or does not match the datagram.
    #[error("length field {declared} does not match {actual} bytes of attributes")]
    BadLength {
        /// What the header says.
        declared: usize,
        /// What follows the header.
        actual: usize,
    },
    /// An attribute runs past the end of the message.
    #[error("attribute truncated")]
    AttributeTruncated,
    /// An attribute value is malformed for its type.
    #[error("malformed attribute {typ:#06x}")]
    BadAttribute {
        /// The attribute type.
        typ: u16,
    },
    /// FINGERPRINT is not the last attribute (RFC 8489 §14.7).
    #[error("FINGERPRINT is not the last attribute")]
    FingerprintNotLast,
    /// FINGERPRINT does not match the message.
    #[error("FINGERPRINT mismatch")]
    FingerprintMismatch,
}

/// Why a message cannot be encoded: STUN's 16-bit length fields (RFC 8489 §5, §14) cannot
/// hold it. Nothing is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StunEncodeError {
    /// The attributes take more than 65535 bytes (or one value does).
    #[error("STUN message body of {len} bytes is over 65535")]
    TooLong {
        /// The body length it would have.
        len: usize,
    },
}

/// One raw attribute in a [`MessageView`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    /// Its type.
    pub typ: AttributeType,
    /// Its value, without padding.
    pub value: &'a [u8],
    /// Offset of the attribute header from the start of the message (integrity computations
    /// cover the bytes before it).
    pub offset: usize,
}

/// A validated STUN message over borrowed bytes.
#[derive(Debug, Clone, Copy)]
pub struct MessageView<'a> {
    buf: &'a [u8],
    class: Class,
    method: Method,
    transaction_id: TransactionId,
}

/// Quick check whether a datagram could be STUN (first two bits zero, cookie present), without
/// validating attributes. RFC 7983 demux picks STUN by first byte; this adds the cookie check.
pub fn is_stun(buf: &[u8]) -> bool {
    buf.len() >= HEADER_LEN
        && buf[0] & 0xC0 == 0
        && u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]) == MAGIC_COOKIE
}

impl<'a> MessageView<'a> {
    /// Validates the header and every attribute's TLV framing, and FINGERPRINT if present.
    pub fn parse(buf: &'a [u8]) -> Result<Self, StunError> {
        if buf.len() < HEADER_LEN {
            return Err(StunError::TooShort);
        }
        if buf[0] & 0xC0 != 0 {
            return Err(StunError::NotStun);
        }
        if u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]) != MAGIC_COOKIE {
            return Err(StunError::BadCookie);
        }
        let declared = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
        let actual = buf.len() - HEADER_LEN;
        // RFC 8489 §5: the length is a multiple of 4 and counts every byte after the header.
        if !declared.is_multiple_of(4) || declared != actual {
            return Err(StunError::BadLength { declared, actual });
        }
        let (class, method) = split_message_type(u16::from_be_bytes([buf[0], buf[1]]));
        let transaction_id = TransactionId(buf[8..20].try_into().expect("12 bytes"));
        let view = MessageView {
            buf,
            class,
            method,
            transaction_id,
        };
        let mut it = view.attributes();
        for attr in &mut it {
            let attr = attr?;
            if attr.typ == AttributeType::FINGERPRINT {
                // RFC 8489 §14.7: FINGERPRINT MUST be the last attribute.
                if attr.offset + 8 != buf.len() {
                    return Err(StunError::FingerprintNotLast);
                }
                let value: [u8; 4] = attr
                    .value
                    .try_into()
                    .map_err(|_| StunError::BadAttribute { typ: attr.typ.0 })?;
                if u32::from_be_bytes(value) != fingerprint(&buf[..attr.offset]) {
                    return Err(StunError::FingerprintMismatch);
                }
            }
        }
        Ok(view)
    }

    /// The message class.
    pub fn class(&self) -> Class {
        self.class
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The transaction id.
    pub fn transaction_id(&self) -> TransactionId {
        self.transaction_id
    }

    /// The message bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// The raw attributes in order. Framing was validated by `parse`, so the iterator yields
    /// no errors for a parsed view.
    pub fn attributes(&self) -> AttributeIter<'a> {
        AttributeIter {
            buf: self.buf,
            pos: HEADER_LEN,
        }
    }

    /// The first attribute of type `typ` (RFC 8489 §14: only the first of duplicates counts).
    ///
    /// RFC 8489 §14.5/§14.6: attributes after MESSAGE-INTEGRITY are ignored, except
    /// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, and after MESSAGE-INTEGRITY-SHA256 all but
    /// FINGERPRINT: they are not covered by the HMAC, so an attacker could have appended them.
    pub fn get(&self, typ: AttributeType) -> Option<RawAttribute<'a>> {
        let mut after_mi = false;
        let mut after_mi256 = false;
        for a in self.attributes().flatten() {
            let visible = match a.typ {
                AttributeType::FINGERPRINT => true,
                AttributeType::MESSAGE_INTEGRITY_SHA256 => !after_mi256,
                _ => !after_mi && !after_mi256,
            };
            if visible && a.typ == typ {
                return Some(a);
            }
            after_mi |= a.typ == AttributeType::MESSAGE_INTEGRITY;
            after_mi256 |= a.typ == AttributeType::MESSAGE_INTEGRITY_SHA256;
        }
        None
    }

    /// Decodes the first attribute of type `typ`.
    pub fn decode(&self, typ: AttributeType) -> Option<Result<StunAttribute, StunError>> {
        self.get(typ)
            .map(|a| StunAttribute::decode(a.typ, a.value, &self.transaction_id))
    }

    /// The comprehension-required attribute types that sansrtc does not understand
    /// (RFC 8489 §6.3.1: a request carrying any gets a 420 listing them).
    pub fn unknown_comprehension_required(&self) -> Vec<AttributeType> {
        self.attributes()
            .flatten()
            .filter(|a| a.typ.is_comprehension_required() && a.typ.name().is_none())
            .map(|a| a.typ)
            .collect()
    }
}

/// Iterator over the raw attributes of a message.
#[derive(Debug, Clone)]
pub struct AttributeIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for AttributeIter<'a> {
    type Item = Result<RawAttribute<'a>, StunError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let offset = self.pos;
        let Some(header) = self.buf.get(offset..offset + 4) else {
            self.pos = self.buf.len();
            return Some(Err(StunError::AttributeTruncated));
        };
        let typ = AttributeType(u16::from_be_bytes([header[0], header[1]]));
        let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
        let start = offset + 4;
        // RFC 8489 §14: values are padded to 4 bytes; the padding must be present.
        let end = start + padded(len);
        if end > self.buf.len() {
            self.pos = self.buf.len();
            return Some(Err(StunError::AttributeTruncated));
        }
        self.pos = end;
        Some(Ok(RawAttribute {
            typ,
            value: &self.buf[start..start + len],
            offset,
        }))
    }
}

/// RFC 8489 §14.7: CRC-32 (ISO HDLC, the one in `crc32fast`) of the bytes before FINGERPRINT,
/// with the header length already covering FINGERPRINT, XOR 0x5354554E.
fn fingerprint(before: &[u8]) -> u32 {
    crc32fast::hash(before) ^ FINGERPRINT_XOR
}

/// A decoded STUN message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StunMessage {
    /// The class.
    pub class: Class,
    /// The method.
    pub method: Method,
    /// The transaction id.
    pub transaction_id: TransactionId,
    /// The attributes, in order.
    pub attributes: Vec<StunAttribute>,
}

impl StunMessage {
    /// A message with no attributes.
    pub fn new(class: Class, method: Method, transaction_id: TransactionId) -> Self {
        Self {
            class,
            method,
            transaction_id,
            attributes: Vec::new(),
        }
    }

    /// Parses and decodes every attribute.
    pub fn parse(buf: &[u8]) -> Result<Self, StunError> {
        let view = MessageView::parse(buf)?;
        view.to_message()
    }

    /// The first attribute of type `typ`.
    pub fn get(&self, typ: AttributeType) -> Option<&StunAttribute> {
        self.attributes.iter().find(|a| a.typ() == typ)
    }

    /// Bytes [`StunMessage::encode`] will write.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN
            + self
                .attributes
                .iter()
                .map(StunAttribute::encoded_len)
                .sum::<usize>()
    }

    /// Appends the encoded message to `out`. A FINGERPRINT attribute gets its CRC computed here
    /// (it must be the last attribute to be meaningful). A message whose attributes do not fit
    /// STUN's 16-bit length fields is refused and nothing is written.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), StunEncodeError> {
        self.encode_with_key(None, out)
    }

    /// Like [`StunMessage::encode`], and with `key` computes MESSAGE-INTEGRITY and
    /// MESSAGE-INTEGRITY-SHA256 attributes over what precedes them (RFC 8489 §14.5-6); without a
    /// key their stored values are written as they are.
    pub fn encode_with_key(
        &self,
        key: Option<&[u8]>,
        out: &mut Vec<u8>,
    ) -> Result<(), StunEncodeError> {
        let start = out.len();
        let body_len = self.encoded_len() - HEADER_LEN;
        // Every attribute's value is part of the body, so a body that fits has values that fit.
        let len =
            u16::try_from(body_len).map_err(|_| StunEncodeError::TooLong { len: body_len })?;
        out.reserve(HEADER_LEN + body_len);
        out.extend_from_slice(&message_type(self.class, self.method).to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        out.extend_from_slice(&self.transaction_id.0);
        for a in &self.attributes {
            let attr_start = out.len();
            a.encode(&self.transaction_id, out);
            match (a, key) {
                (StunAttribute::Fingerprint, _) => {
                    let crc = fingerprint(&out[start..attr_start]);
                    out[attr_start + 4..attr_start + 8].copy_from_slice(&crc.to_be_bytes());
                }
                (StunAttribute::MessageIntegrity(_), Some(key)) => {
                    let mac = integrity::hmac_sha1(key, &out[start..], attr_start - start);
                    out[attr_start + 4..attr_start + 24].copy_from_slice(&mac);
                }
                (StunAttribute::MessageIntegritySha256(v), Some(key)) => {
                    let mac =
                        integrity::hmac_sha256(key, &out[start..], attr_start - start, v.len());
                    let n = v.len().min(32);
                    out[attr_start + 4..attr_start + 4 + n].copy_from_slice(&mac[..n]);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The encoded message as a new vector (refused as [`StunMessage::encode`] refuses).
    pub fn to_bytes(&self) -> Result<Vec<u8>, StunEncodeError> {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.encode(&mut v)?;
        Ok(v)
    }

    /// The encoded message with integrity computed under `key`.
    pub fn to_bytes_with_key(&self, key: &[u8]) -> Result<Vec<u8>, StunEncodeError> {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.encode_with_key(Some(key), &mut v)?;
        Ok(v)
    }
}

impl MessageView<'_> {
    /// Decodes every attribute into an owned [`StunMessage`].
    pub fn to_message(&self) -> Result<StunMessage, StunError> {
        let attributes = self
            .attributes()
            .map(|a| a.and_then(|a| StunAttribute::decode(a.typ, a.value, &self.transaction_id)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(StunMessage {
            class: self.class,
            method: self.method,
            transaction_id: self.transaction_id,
            attributes,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests;

//! STUN attributes: types, the validated values, and their wire codec.
//!
//! RFC 8489 §14 (STUN), RFC 8445 §16.1 (ICE), RFC 8656 §18 (TURN), RFC 8489 §18.3 (registry).

use super::{MAGIC_COOKIE, StunError, TransactionId};
use bytes::Bytes;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// A STUN attribute type (RFC 8489 §18.3).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttributeType(pub u16);

macro_rules! attribute_types {
    ($($(#[$m:meta])* $name:ident = $value:expr, $text:expr;)+) => {
        impl AttributeType {
            $($(#[$m])* pub const $name: AttributeType = AttributeType($value);)+

            /// The registered name, if this type is one sansrtc knows.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($text),)+
                    _ => None,
                }
            }
        }
    };
}

attribute_types! {
    /// MAPPED-ADDRESS (RFC 8489 §14.1).
    MAPPED_ADDRESS = 0x0001, "MAPPED-ADDRESS";
    /// USERNAME (RFC 8489 §14.3).
    USERNAME = 0x0006, "USERNAME";
    /// MESSAGE-INTEGRITY (RFC 8489 §14.5).
    MESSAGE_INTEGRITY = 0x0008, "MESSAGE-INTEGRITY";
    /// ERROR-CODE (RFC 8489 §14.8).
    ERROR_CODE = 0x0009, "ERROR-CODE";
    /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.9).
    UNKNOWN_ATTRIBUTES = 0x000A, "UNKNOWN-ATTRIBUTES";
    /// CHANNEL-NUMBER (RFC 8656 §18.1).
    CHANNEL_NUMBER = 0x000C, "CHANNEL-NUMBER";
    /// LIFETIME (RFC 8656 §18.2).
    LIFETIME = 0x000D, "LIFETIME";
    /// XOR-PEER-ADDRESS (RFC 8656 §18.3).
    XOR_PEER_ADDRESS = 0x0012, "XOR-PEER-ADDRESS";
    /// DATA (RFC 8656 §18.4).
    DATA = 0x0013, "DATA";
    /// REALM (RFC 8489 §14.9).
    REALM = 0x0014, "REALM";
    /// NONCE (RFC 8489 §14.10).
    NONCE = 0x0015, "NONCE";
    /// XOR-RELAYED-ADDRESS (RFC 8656 §18.5).
    XOR_RELAYED_ADDRESS = 0x0016, "XOR-RELAYED-ADDRESS";
    /// REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.6).
    REQUESTED_ADDRESS_FAMILY = 0x0017, "REQUESTED-ADDRESS-FAMILY";
    /// REQUESTED-TRANSPORT (RFC 8656 §18.8).
    REQUESTED_TRANSPORT = 0x0019, "REQUESTED-TRANSPORT";
    /// DONT-FRAGMENT (RFC 8656 §18.9).
    DONT_FRAGMENT = 0x001A, "DONT-FRAGMENT";
    /// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6).
    MESSAGE_INTEGRITY_SHA256 = 0x001C, "MESSAGE-INTEGRITY-SHA256";
    /// PASSWORD-ALGORITHM (RFC 8489 §14.12).
    PASSWORD_ALGORITHM = 0x001D, "PASSWORD-ALGORITHM";
    /// USERHASH (RFC 8489 §14.4).
    USERHASH = 0x001E, "USERHASH";
    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2).
    XOR_MAPPED_ADDRESS = 0x0020, "XOR-MAPPED-ADDRESS";
    /// PRIORITY (RFC 8445 §16.1).
    PRIORITY = 0x0024, "PRIORITY";
    /// USE-CANDIDATE (RFC 8445 §16.1).
    USE_CANDIDATE = 0x0025, "USE-CANDIDATE";
    /// PASSWORD-ALGORITHMS (RFC 8489 §14.11).
    PASSWORD_ALGORITHMS = 0x8002, "PASSWORD-ALGORITHMS";
    /// SOFTWARE (RFC 8489 §14.14).
    SOFTWARE = 0x8022, "SOFTWARE";
    /// ALTERNATE-SERVER (RFC 8489 §14.15).
    ALTERNATE_SERVER = 0x8023, "ALTERNATE-SERVER";
    /// FINGERPRINT (RFC 8489 §14.7).
    FINGERPRINT = 0x8028, "FINGERPRINT";
    /// ICE-CONTROLLED (RFC 8445 §16.1).
    ICE_CONTROLLED = 0x8029, "ICE-CONTROLLED";
    /// ICE-CONTROLLING (RFC 8445 §16.1).
    ICE_CONTROLLING = 0x802A, "ICE-CONTROLLING";
}

impl AttributeType {
    /// RFC 8489 §14: types 0x0000–0x7FFF are comprehension-required; an agent that does not
    /// understand one must fail the transaction (420 for a request).
    pub fn is_comprehension_required(self) -> bool {
        self.0 < 0x8000
    }
}

impl fmt::Debug for AttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "AttributeType({:#06x})", self.0),
        }
    }
}

/// One entry of PASSWORD-ALGORITHMS, or the PASSWORD-ALGORITHM value (RFC 8489 §14.11-12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordAlgorithm {
    /// 0x0001 MD5, 0x0002 SHA-256 (RFC 8489 §18.5).
    pub algorithm: u16,
    /// Algorithm parameters (empty for both registered algorithms).
    pub parameters: Vec<u8>,
}

/// A decoded STUN attribute.
///
/// Attributes sansrtc does not model are kept as [`StunAttribute::Other`] with their raw value, so
/// a message re-encodes as it came.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StunAttribute {
    /// MAPPED-ADDRESS: the reflexive address, in the clear (RFC 3489 servers).
    MappedAddress(SocketAddr),
    /// XOR-MAPPED-ADDRESS: the reflexive address, obfuscated (RFC 8489 §14.2).
    XorMappedAddress(SocketAddr),
    /// USERNAME, UTF-8, under 513 bytes.
    Username(String),
    /// USERHASH, SHA-256 of `username ":" realm`.
    UserHash([u8; 32]),
    /// MESSAGE-INTEGRITY: HMAC-SHA1 over the message up to this attribute.
    MessageIntegrity([u8; 20]),
    /// MESSAGE-INTEGRITY-SHA256: HMAC-SHA256, possibly truncated to 16..=32 bytes (multiple of 4).
    MessageIntegritySha256(Vec<u8>),
    /// FINGERPRINT. Its CRC value is checked when parsing and computed when encoding, so it
    /// carries no data here; when present it is the last attribute.
    Fingerprint,
    /// ERROR-CODE: code 300..=699 and a reason phrase.
    ErrorCode {
        /// Class × 100 + number.
        code: u16,
        /// The reason phrase.
        reason: String,
    },
    /// UNKNOWN-ATTRIBUTES: the comprehension-required types a request carried that we do not
    /// understand.
    UnknownAttributes(Vec<AttributeType>),
    /// REALM.
    Realm(String),
    /// NONCE.
    Nonce(String),
    /// PASSWORD-ALGORITHMS: what the server supports.
    PasswordAlgorithms(Vec<PasswordAlgorithm>),
    /// PASSWORD-ALGORITHM: what the client chose.
    PasswordAlgorithm(PasswordAlgorithm),
    /// SOFTWARE.
    Software(String),
    /// ALTERNATE-SERVER.
    AlternateServer(SocketAddr),
    /// PRIORITY: the priority a peer-reflexive candidate would get (RFC 8445 §7.1.1).
    Priority(u32),
    /// USE-CANDIDATE: nominate this pair (RFC 8445 §7.1.2).
    UseCandidate,
    /// ICE-CONTROLLED with the sender's tie-breaker.
    IceControlled(u64),
    /// ICE-CONTROLLING with the sender's tie-breaker.
    IceControlling(u64),
    /// CHANNEL-NUMBER (0x4000..=0x4FFF when valid; checked by TURN, not the codec).
    ChannelNumber(u16),
    /// LIFETIME in seconds.
    Lifetime(u32),
    /// XOR-PEER-ADDRESS.
    XorPeerAddress(SocketAddr),
    /// DATA.
    Data(Bytes),
    /// XOR-RELAYED-ADDRESS.
    XorRelayedAddress(SocketAddr),
    /// REQUESTED-TRANSPORT: an IP protocol number (17 = UDP).
    RequestedTransport(u8),
    /// DONT-FRAGMENT.
    DontFragment,
    /// REQUESTED-ADDRESS-FAMILY: 0x01 IPv4, 0x02 IPv6.
    RequestedAddressFamily(u8),
    /// Any other attribute, kept verbatim (without padding).
    Other {
        /// Its type.
        typ: AttributeType,
        /// Its value.
        value: Vec<u8>,
    },
}

/// RFC 8489 §14.3: USERNAME MUST be less than 513 bytes.
pub const MAX_USERNAME_BYTES: usize = 512;
/// RFC 8489 §14.9-10/14.14: REALM, NONCE, SOFTWARE: under 128 characters, at most 763 bytes.
pub const MAX_TEXT_BYTES: usize = 763;
const MAX_TEXT_CHARS: usize = 127;

const FAMILY_V4: u8 = 0x01;
const FAMILY_V6: u8 = 0x02;

impl StunAttribute {
    /// The attribute's type code.
    pub fn typ(&self) -> AttributeType {
        use StunAttribute::*;
        match self {
            MappedAddress(_) => AttributeType::MAPPED_ADDRESS,
            XorMappedAddress(_) => AttributeType::XOR_MAPPED_ADDRESS,
            Username(_) => AttributeType::USERNAME,
            UserHash(_) => AttributeType::USERHASH,
            MessageIntegrity(_) => AttributeType::MESSAGE_INTEGRITY,
            MessageIntegritySha256(_) => AttributeType::MESSAGE_INTEGRITY_SHA256,
            Fingerprint => AttributeType::FINGERPRINT,
            ErrorCode { .. } => AttributeType::ERROR_CODE,
            UnknownAttributes(_) => AttributeType::UNKNOWN_ATTRIBUTES,
            Realm(_) => AttributeType::REALM,
            Nonce(_) => AttributeType::NONCE,
            PasswordAlgorithms(_) => AttributeType::PASSWORD_ALGORITHMS,
            PasswordAlgorithm(_) => AttributeType::PASSWORD_ALGORITHM,
            Software(_) => AttributeType::SOFTWARE,
            AlternateServer(_) => AttributeType::ALTERNATE_SERVER,
            Priority(_) => AttributeType::PRIORITY,
            UseCandidate => AttributeType::USE_CANDIDATE,
            IceControlled(_) => AttributeType::ICE_CONTROLLED,
            IceControlling(_) => AttributeType::ICE_CONTROLLING,
            ChannelNumber(_) => AttributeType::CHANNEL_NUMBER,
            Lifetime(_) => AttributeType::LIFETIME,
            XorPeerAddress(_) => AttributeType::XOR_PEER_ADDRESS,
            Data(_) => AttributeType::DATA,
            XorRelayedAddress(_) => AttributeType::XOR_RELAYED_ADDRESS,
            RequestedTransport(_) => AttributeType::REQUESTED_TRANSPORT,
            DontFragment => AttributeType::DONT_FRAGMENT,
            RequestedAddressFamily(_) => AttributeType::REQUESTED_ADDRESS_FAMILY,
            Other { typ, .. } => *typ,
        }
    }

    /// Length of the value, before padding.
    pub fn value_len(&self) -> usize {
        use StunAttribute::*;
        match self {
            MappedAddress(a) | XorMappedAddress(a) | AlternateServer(a) | XorPeerAddress(a)
            | XorRelayedAddress(a) => address_len(a),
            Username(s) | Realm(s) | Nonce(s) | Software(s) => s.len(),
            UserHash(_) => 32,
            MessageIntegrity(_) => 20,
            MessageIntegritySha256(v) => v.len(),
            Fingerprint => 4,
            ErrorCode { reason, .. } => 4 + reason.len(),
            UnknownAttributes(v) => 2 * v.len(),
            PasswordAlgorithms(v) => v.iter().map(|a| 4 + padded(a.parameters.len())).sum(),
            PasswordAlgorithm(a) => 4 + padded(a.parameters.len()),
            Priority(_)
            | Lifetime(_)
            | ChannelNumber(_)
            | RequestedTransport(_)
            | RequestedAddressFamily(_) => 4,
            UseCandidate | DontFragment => 0,
            IceControlled(_) | IceControlling(_) => 8,
            Data(d) => d.len(),
            Other { value, .. } => value.len(),
        }
    }

    /// Bytes on the wire: 4 header bytes, the value, padding to a multiple of 4.
    pub fn encoded_len(&self) -> usize {
        4 + padded(self.value_len())
    }

    /// Appends type, length, value and zero padding. `fingerprint` is written as zero here; the
    /// message encoder fills it in.
    pub(crate) fn encode(&self, tid: &TransactionId, out: &mut Vec<u8>) {
        use StunAttribute::*;
        let len = self.value_len();
        out.extend_from_slice(&self.typ().0.to_be_bytes());
        // The message encoder refused bodies over 65535 bytes, so every value fits.
        out.extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
        let start = out.len();
        match self {
            MappedAddress(a) | AlternateServer(a) => encode_address(*a, None, out),
            XorMappedAddress(a) | XorPeerAddress(a) | XorRelayedAddress(a) => {
                encode_address(*a, Some(tid), out)
            }
            Username(s) | Realm(s) | Nonce(s) | Software(s) => out.extend_from_slice(s.as_bytes()),
            UserHash(h) => out.extend_from_slice(h),
            MessageIntegrity(h) => out.extend_from_slice(h),
            MessageIntegritySha256(h) => out.extend_from_slice(h),
            Fingerprint => out.extend_from_slice(&[0; 4]),
            ErrorCode { code, reason } => {
                let class = (code / 100) as u8;
                let number = (code % 100) as u8;
                out.extend_from_slice(&[0, 0, class & 0x07, number]);
                out.extend_from_slice(reason.as_bytes());
            }
            UnknownAttributes(v) => v
                .iter()
                .for_each(|t| out.extend_from_slice(&t.0.to_be_bytes())),
            PasswordAlgorithms(v) => v.iter().for_each(|a| encode_password_algorithm(a, out)),
            PasswordAlgorithm(a) => encode_password_algorithm(a, out),
            Priority(v) | Lifetime(v) => out.extend_from_slice(&v.to_be_bytes()),
            ChannelNumber(c) => {
                out.extend_from_slice(&c.to_be_bytes());
                out.extend_from_slice(&[0, 0]);
            }
            RequestedTransport(p) => out.extend_from_slice(&[*p, 0, 0, 0]),
            RequestedAddressFamily(f) => out.extend_from_slice(&[*f, 0, 0, 0]),
            UseCandidate | DontFragment => {}
            IceControlled(t) | IceControlling(t) => out.extend_from_slice(&t.to_be_bytes()),
            Data(d) => out.extend_from_slice(d),
            Other { value, .. } => out.extend_from_slice(value),
        }
        debug_assert_eq!(out.len() - start, len, "value_len agrees with encode");
        out.resize(start + padded(len), 0);
    }

    /// Decodes one attribute value. Padding has already been stripped.
    pub(crate) fn decode(
        typ: AttributeType,
        value: &[u8],
        tid: &TransactionId,
    ) -> Result<StunAttribute, StunError> {
        use StunAttribute::*;
        let bad = || StunError::BadAttribute { typ: typ.0 };
        Ok(match typ {
            AttributeType::MAPPED_ADDRESS => {
                MappedAddress(decode_address(value, None).ok_or_else(bad)?)
            }
            AttributeType::ALTERNATE_SERVER => {
                AlternateServer(decode_address(value, None).ok_or_else(bad)?)
            }
            AttributeType::XOR_MAPPED_ADDRESS => {
                XorMappedAddress(decode_address(value, Some(tid)).ok_or_else(bad)?)
            }
            AttributeType::XOR_PEER_ADDRESS => {
                XorPeerAddress(decode_address(value, Some(tid)).ok_or_else(bad)?)
            }
            AttributeType::XOR_RELAYED_ADDRESS => {
                XorRelayedAddress(decode_address(value, Some(tid)).ok_or_else(bad)?)
            }
            AttributeType::USERNAME => {
                if value.len() > MAX_USERNAME_BYTES {
                    return Err(bad());
                }
                Username(utf8(value).ok_or_else(bad)?)
            }
            AttributeType::REALM => Realm(text(value).ok_or_else(bad)?),
            AttributeType::NONCE => Nonce(text(value).ok_or_else(bad)?),
            AttributeType::SOFTWARE => Software(text(value).ok_or_else(bad)?),
            AttributeType::USERHASH => UserHash(value.try_into().map_err(|_| bad())?),
            AttributeType::MESSAGE_INTEGRITY => {
                MessageIntegrity(value.try_into().map_err(|_| bad())?)
            }
            AttributeType::MESSAGE_INTEGRITY_SHA256 => {
                // RFC 8489 §14.6: 16 to 32 bytes, a multiple of 4.
                if !(16..=32).contains(&value.len()) || !value.len().is_multiple_of(4) {
                    return Err(bad());
                }
                MessageIntegritySha256(value.to_vec())
            }
            AttributeType::FINGERPRINT => {
                if value.len() != 4 {
                    return Err(bad());
                }
                Fingerprint
            }
            AttributeType::ERROR_CODE => {
                if value.len() < 4 {
                    return Err(bad());
                }
                // RFC 8489 §14.8: class 3..=6 in the low 3 bits of byte 2, number 0..=99.
                let class = u16::from(value[2] & 0x07);
                let number = u16::from(value[3]);
                if !(3..=6).contains(&class) || number > 99 {
                    return Err(bad());
                }
                ErrorCode {
                    code: class * 100 + number,
                    reason: text(&value[4..]).ok_or_else(bad)?,
                }
            }
            AttributeType::UNKNOWN_ATTRIBUTES => {
                if !value.len().is_multiple_of(2) {
                    return Err(bad());
                }
                UnknownAttributes(
                    value
                        .chunks_exact(2)
                        .map(|c| AttributeType(u16::from_be_bytes([c[0], c[1]])))
                        .collect(),
                )
            }
            AttributeType::PASSWORD_ALGORITHMS => {
                let mut rest = value;
                let mut algs = Vec::new();
                while !rest.is_empty() {
                    let (alg, used) = decode_password_algorithm(rest).ok_or_else(bad)?;
                    algs.push(alg);
                    rest = &rest[used..];
                }
                PasswordAlgorithms(algs)
            }
            AttributeType::PASSWORD_ALGORITHM => {
                let (alg, used) = decode_password_algorithm(value).ok_or_else(bad)?;
                if used != value.len() {
                    return Err(bad());
                }
                PasswordAlgorithm(alg)
            }
            AttributeType::PRIORITY => Priority(u32::from_be_bytes(exact(value).ok_or_else(bad)?)),
            AttributeType::LIFETIME => Lifetime(u32::from_be_bytes(exact(value).ok_or_else(bad)?)),
            AttributeType::USE_CANDIDATE => empty(value, UseCandidate).ok_or_else(bad)?,
            AttributeType::DONT_FRAGMENT => empty(value, DontFragment).ok_or_else(bad)?,
            AttributeType::ICE_CONTROLLED => {
                IceControlled(u64::from_be_bytes(exact(value).ok_or_else(bad)?))
            }
            AttributeType::ICE_CONTROLLING => {
                IceControlling(u64::from_be_bytes(exact(value).ok_or_else(bad)?))
            }
            AttributeType::CHANNEL_NUMBER => {
                let v: [u8; 4] = exact(value).ok_or_else(bad)?;
                ChannelNumber(u16::from_be_bytes([v[0], v[1]]))
            }
            AttributeType::REQUESTED_TRANSPORT => {
                RequestedTransport(exact::<4>(value).ok_or_else(bad)?[0])
            }
            AttributeType::REQUESTED_ADDRESS_FAMILY => {
                let f = exact::<4>(value).ok_or_else(bad)?[0];
                if f != FAMILY_V4 && f != FAMILY_V6 {
                    return Err(bad());
                }
                RequestedAddressFamily(f)
            }
            AttributeType::DATA => Data(Bytes::copy_from_slice(value)),
            _ => Other {
                typ,
                value: value.to_vec(),
            },
        })
    }
}

/// `n` rounded up to a multiple of 4.
pub(crate) const fn padded(n: usize) -> usize {
    (n + 3) & !3
}

fn exact<const N: usize>(v: &[u8]) -> Option<[u8; N]> {
    v.try_into().ok()
}

fn empty(v: &[u8], a: StunAttribute) -> Option<StunAttribute> {
    v.is_empty().then_some(a)
}

fn utf8(v: &[u8]) -> Option<String> {
    std::str::from_utf8(v).ok().map(str::to_owned)
}

/// REALM / NONCE / SOFTWARE: UTF-8, under 128 characters and at most 763 bytes.
fn text(v: &[u8]) -> Option<String> {
    if v.len() > MAX_TEXT_BYTES {
        return None;
    }
    let s = std::str::from_utf8(v).ok()?;
    (s.chars().count() <= MAX_TEXT_CHARS).then(|| s.to_owned())
}

fn address_len(a: &SocketAddr) -> usize {
    match a {
        SocketAddr::V4(_) => 8,
        SocketAddr::V6(_) => 20,
    }
}

/// RFC 8489 §14.1/14.2: family, port, address; the XOR variant masks the port with the cookie's
/// high half and the address with cookie ‖ transaction id.
fn encode_address(a: SocketAddr, xor: Option<&TransactionId>, out: &mut Vec<u8>) {
    let cookie = MAGIC_COOKIE.to_be_bytes();
    let mut port = a.port();
    if xor.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    match a.ip() {
        IpAddr::V4(ip) => {
            out.extend_from_slice(&[0, FAMILY_V4]);
            out.extend_from_slice(&port.to_be_bytes());
            let mut b = ip.octets();
            if xor.is_some() {
                b.iter_mut().zip(cookie).for_each(|(x, k)| *x ^= k);
            }
            out.extend_from_slice(&b);
        }
        IpAddr::V6(ip) => {
            out.extend_from_slice(&[0, FAMILY_V6]);
            out.extend_from_slice(&port.to_be_bytes());
            let mut b = ip.octets();
            if let Some(tid) = xor {
                let key = cookie.iter().chain(tid.0.iter());
                b.iter_mut().zip(key).for_each(|(x, k)| *x ^= k);
            }
            out.extend_from_slice(&b);
        }
    }
}

fn decode_address(v: &[u8], xor: Option<&TransactionId>) -> Option<SocketAddr> {
    if v.len() < 4 {
        return None;
    }
    let cookie = MAGIC_COOKIE.to_be_bytes();
    let mut port = u16::from_be_bytes([v[2], v[3]]);
    if xor.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    let ip = match (v[1], v.len()) {
        (FAMILY_V4, 8) => {
            let mut b: [u8; 4] = v[4..8].try_into().ok()?;
            if xor.is_some() {
                b.iter_mut().zip(cookie).for_each(|(x, k)| *x ^= k);
            }
            IpAddr::V4(Ipv4Addr::from(b))
        }
        (FAMILY_V6, 20) => {
            let mut b: [u8; 16] = v[4..20].try_into().ok()?;
            if let Some(tid) = xor {
                let key = cookie.iter().chain(tid.0.iter());
                b.iter_mut().zip(key).for_each(|(x, k)| *x ^= k);
            }
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

fn encode_password_algorithm(a: &PasswordAlgorithm, out: &mut Vec<u8>) {
    out.extend_from_slice(&a.algorithm.to_be_bytes());
    // Inside a body that fits 16 bits (the message encoder checked), the parameters fit too.
    out.extend_from_slice(
        &u16::try_from(a.parameters.len())
            .unwrap_or(u16::MAX)
            .to_be_bytes(),
    );
    out.extend_from_slice(&a.parameters);
    out.resize(
        out.len() + padded(a.parameters.len()) - a.parameters.len(),
        0,
    );
}

/// One algorithm entry; returns it and the bytes it used (with padding).
fn decode_password_algorithm(v: &[u8]) -> Option<(PasswordAlgorithm, usize)> {
    if v.len() < 4 {
        return None;
    }
    let algorithm = u16::from_be_bytes([v[0], v[1]]);
    let len = usize::from(u16::from_be_bytes([v[2], v[3]]));
    let params = v.get(4..4 + len)?;
    let used = (4 + padded(len)).min(v.len());
    Some((
        PasswordAlgorithm {
            algorithm,
            parameters: params.to_vec(),
        },
        used,
    ))
}

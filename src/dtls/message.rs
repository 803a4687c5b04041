//! DTLS 1.2 handshake message codecs (RFC 6347 §4.2 and §4.3.2 on top of RFC 5246 §7.4), with
//! the ECDHE key exchange of RFC 8422 and the hello extensions a WebRTC handshake uses.
//!
//! Every message is a validated value type with `parse(body)`, which takes the whole message
//! body (the reassembled bytes after the 12-byte handshake header) and must consume all of it,
//! and `encode(&self, out)`, which appends the body only; [`HandshakeHeader`] is separate.
//!
//! Parsing never panics and allocates at most a small constant multiple of the input it is
//! given: every length on the wire is checked against the bytes actually present before
//! anything is copied.
//!
//! Encoding asserts its invariants instead of returning errors: a length that does not fit its
//! wire field (a `u8`/`u16`/`u24` length prefix, a `u24` header field) is a bug in the caller,
//! and the encoders panic on it (`put_prefixed`, `put_u24`) rather than write a truncated
//! length. Values obtained from `parse` always fit. The semantic bounds the parsers enforce
//! (non-empty lists, a session id of at most 32 bytes, ...) are only `debug_assert!`ed when
//! encoding.

use std::collections::BTreeSet;

/// Why a handshake message or extension does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MessageError {
    /// A length or fixed field runs past the end of the input.
    #[error("truncated")]
    Truncated,
    /// Bytes are left over after the structure.
    #[error("trailing bytes")]
    Trailing,
    /// A field has a value the RFCs forbid (an empty list that must not be empty, an odd-length
    /// list of `u16`, a wrong `curve_type`, ...).
    #[error("invalid field")]
    Invalid,
    /// An extension type appears twice in one hello (RFC 5246 §7.4.1.4).
    #[error("duplicate extension")]
    DuplicateExtension,
}

/// Largest handshake message we accept (a certificate chain): 64 KiB.
pub(crate) const MAX_MESSAGE_LEN: u32 = 65536;

/// Handshake types (RFC 5246 §7.4, RFC 6347 §4.3.2).
pub(crate) mod msg_type {
    /// hello_request (RFC 5246 §7.4.1.1).
    pub(crate) const HELLO_REQUEST: u8 = 0;
    /// client_hello (RFC 5246 §7.4.1.2, RFC 6347 §4.2.1 adds the cookie).
    pub(crate) const CLIENT_HELLO: u8 = 1;
    /// server_hello (RFC 5246 §7.4.1.3).
    pub(crate) const SERVER_HELLO: u8 = 2;
    /// hello_verify_request (RFC 6347 §4.2.1).
    pub(crate) const HELLO_VERIFY_REQUEST: u8 = 3;
    /// certificate (RFC 5246 §7.4.2, §7.4.6).
    pub(crate) const CERTIFICATE: u8 = 11;
    /// server_key_exchange (RFC 5246 §7.4.3, RFC 8422 §5.4).
    pub(crate) const SERVER_KEY_EXCHANGE: u8 = 12;
    /// certificate_request (RFC 5246 §7.4.4).
    pub(crate) const CERTIFICATE_REQUEST: u8 = 13;
    /// server_hello_done (RFC 5246 §7.4.5).
    pub(crate) const SERVER_HELLO_DONE: u8 = 14;
    /// certificate_verify (RFC 5246 §7.4.8).
    pub(crate) const CERTIFICATE_VERIFY: u8 = 15;
    /// client_key_exchange (RFC 5246 §7.4.7, RFC 8422 §5.7).
    pub(crate) const CLIENT_KEY_EXCHANGE: u8 = 16;
    /// finished (RFC 5246 §7.4.9).
    pub(crate) const FINISHED: u8 = 20;
}

/// DTLS 1.0 on the wire (RFC 4347 §4.1; also the record version of a first ClientHello).
pub(crate) const DTLS1_0: u16 = 0xFEFF;
/// DTLS 1.2 on the wire (RFC 6347 §4.1).
pub(crate) const DTLS1_2: u16 = 0xFEFD;

/// Extension code points (IANA "TLS ExtensionType Values").
pub(crate) mod ext {
    /// supported_groups, formerly elliptic_curves (RFC 8422 §5.1.1).
    pub(crate) const SUPPORTED_GROUPS: u16 = 10;
    /// ec_point_formats (RFC 8422 §5.1.2).
    pub(crate) const EC_POINT_FORMATS: u16 = 11;
    /// signature_algorithms (RFC 5246 §7.4.1.4.1).
    pub(crate) const SIGNATURE_ALGORITHMS: u16 = 13;
    /// use_srtp (RFC 5764 §4.1.1).
    pub(crate) const USE_SRTP: u16 = 14;
    /// extended_master_secret (RFC 7627 §5.1).
    pub(crate) const EXTENDED_MASTER_SECRET: u16 = 23;
    /// renegotiation_info (RFC 5746 §3.2).
    pub(crate) const RENEGOTIATION_INFO: u16 = 0xFF01;
}

/// `ECCurveType.named_curve` (RFC 8422 §5.4), the only curve type we accept.
const NAMED_CURVE: u8 = 3;

/// Length of `verify_data` for every cipher suite we support (RFC 5246 §7.4.9).
const VERIFY_DATA_LEN: usize = 12;

/// Longest `SessionID` (RFC 5246 §7.4.1.2: `opaque SessionID<0..32>`).
const MAX_SESSION_ID: usize = 32;

// ---------------------------------------------------------------------------------------------
// Reading

/// A cursor over a byte slice: every read is bounds-checked and fails with
/// [`MessageError::Truncated`], so nothing is copied before its length is known to be present.
#[derive(Debug, Clone, Copy)]
struct Reader<'a> {
    /// The bytes not read yet.
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `buf`.
    fn new(buf: &'a [u8]) -> Self {
        Self { rest: buf }
    }

    /// Whether everything has been read.
    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> Result<&'a [u8], MessageError> {
        let (head, tail) = self
            .rest
            .split_at_checked(n)
            .ok_or(MessageError::Truncated)?;
        self.rest = tail;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    fn array<const N: usize>(&mut self) -> Result<[u8; N], MessageError> {
        self.take(N)?
            .try_into()
            .map_err(|_| MessageError::Truncated)
    }

    /// A `uint8`.
    fn u8(&mut self) -> Result<u8, MessageError> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    /// A big-endian `uint16` (RFC 5246 §4.4).
    fn u16(&mut self) -> Result<u16, MessageError> {
        Ok(u16::from_be_bytes(self.array::<2>()?))
    }

    /// A big-endian `uint24` (RFC 5246 §4.4).
    fn u24(&mut self) -> Result<u32, MessageError> {
        let [a, b, c] = self.array::<3>()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// A vector with a one-byte length prefix (RFC 5246 §4.3, `<..2^8-1>`).
    fn vec8(&mut self) -> Result<&'a [u8], MessageError> {
        let len = self.u8()?;
        self.take(usize::from(len))
    }

    /// A vector with a two-byte length prefix (RFC 5246 §4.3, `<..2^16-1>`).
    fn vec16(&mut self) -> Result<&'a [u8], MessageError> {
        let len = self.u16()?;
        self.take(usize::from(len))
    }

    /// A vector with a three-byte length prefix (RFC 5246 §4.3, `<..2^24-1>`).
    fn vec24(&mut self) -> Result<&'a [u8], MessageError> {
        let len = self.u24()?;
        let len = usize::try_from(len).map_err(|_| MessageError::Truncated)?;
        self.take(len)
    }

    /// Everything not read yet (consumes the reader).
    fn rest(self) -> &'a [u8] {
        self.rest
    }

    /// Ends the read: [`MessageError::Trailing`] if anything is left.
    fn finish(self) -> Result<(), MessageError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(MessageError::Trailing)
        }
    }
}

/// The `u16` values of a vector's contents (cipher suites, named groups, signature schemes,
/// SRTP profiles: RFC 5246 §4.3 vectors of 2-byte elements). An odd byte count is
/// [`MessageError::Invalid`]; so is an empty list when `non_empty`.
fn u16_list(bytes: &[u8], non_empty: bool) -> Result<Vec<u16>, MessageError> {
    if !bytes.len().is_multiple_of(2) || (non_empty && bytes.is_empty()) {
        return Err(MessageError::Invalid);
    }
    Ok(bytes
        .chunks_exact(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Appends a `uint16` (RFC 5246 §4.4).
fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends a `uint24` (RFC 5246 §4.4).
///
/// Panics if `v` does not fit 24 bits: an invariant violation by the caller.
fn put_u24(out: &mut Vec<u8>, v: u32) {
    assert!(v <= 0x00FF_FFFF, "uint24 field overflow: {v}");
    out.extend_from_slice(&v.to_be_bytes()[1..]);
}

/// Appends a `W`-byte length prefix and then what `body` writes, patching the prefix with the
/// body's length afterwards (RFC 5246 §4.3 variable-length vectors).
///
/// Panics if the body does not fit a `W`-byte length: an invariant violation by the caller
/// (values from `parse` always fit; constructed values must respect the documented bounds).
fn put_prefixed<const W: usize>(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    const { assert!(W >= 1 && W <= 3) };
    let start = out.len();
    out.extend_from_slice(&[0; W]);
    body(out);
    let len = out.len() - start - W;
    let len = u64::try_from(len).expect("usize fits u64");
    assert!(
        len < 1 << (8 * W),
        "{len} bytes do not fit a {W}-byte length prefix"
    );
    out[start..start + W].copy_from_slice(&len.to_be_bytes()[8 - W..]);
}

/// Appends `data` with a one-byte length prefix. Panics past 255 bytes (invariant).
fn put_vec8(out: &mut Vec<u8>, data: &[u8]) {
    put_prefixed::<1>(out, |out| out.extend_from_slice(data));
}

/// Appends `data` with a two-byte length prefix. Panics past 65535 bytes (invariant).
fn put_vec16(out: &mut Vec<u8>, data: &[u8]) {
    put_prefixed::<2>(out, |out| out.extend_from_slice(data));
}

/// Appends a list of `u16` with a two-byte length prefix (in bytes). Panics past 32767
/// entries (invariant).
fn put_u16_list(out: &mut Vec<u8>, list: &[u16]) {
    put_prefixed::<2>(out, |out| {
        for v in list {
            put_u16(out, *v);
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Handshake header

/// RFC 6347 §4.2.2 handshake header (12 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HandshakeHeader {
    /// HandshakeType ([`msg_type`]).
    pub(crate) msg_type: u8,
    /// Length of the whole message body (`uint24`).
    pub(crate) length: u32,
    /// message_seq.
    pub(crate) message_seq: u16,
    /// Offset of this fragment in the body (`uint24`).
    pub(crate) fragment_offset: u32,
    /// Length of this fragment (`uint24`).
    pub(crate) fragment_length: u32,
}

impl HandshakeHeader {
    /// Bytes of a handshake header (RFC 6347 §4.2.2).
    pub(crate) const LEN: usize = 12;

    /// Parses the header at the start of `buf`; returns it, the fragment (exactly
    /// `fragment_length` bytes following the header) and the rest of `buf` after the fragment
    /// (a record may carry several handshake fragments, RFC 6347 §4.2.3).
    ///
    /// Errors: [`MessageError::Truncated`] when the header or the fragment is cut short;
    /// [`MessageError::Invalid`] when `fragment_offset + fragment_length > length` or
    /// `length > MAX_MESSAGE_LEN`.
    pub(crate) fn parse(buf: &[u8]) -> Result<(Self, &[u8], &[u8]), MessageError> {
        // RFC 6347 §4.2.2
        let mut r = Reader::new(buf);
        let header = Self {
            msg_type: r.u8()?,
            length: r.u24()?,
            message_seq: r.u16()?,
            fragment_offset: r.u24()?,
            fragment_length: r.u24()?,
        };
        // Both are uint24, so the sum cannot overflow a u32.
        if header.length > MAX_MESSAGE_LEN
            || header.fragment_offset + header.fragment_length > header.length
        {
            return Err(MessageError::Invalid);
        }
        let len = usize::try_from(header.fragment_length).map_err(|_| MessageError::Invalid)?;
        let fragment = r.take(len)?;
        Ok((header, fragment, r.rest()))
    }

    /// Appends the 12 header bytes.
    ///
    /// Panics if `length`, `fragment_offset` or `fragment_length` exceeds 24 bits (invariant).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        // RFC 6347 §4.2.2
        out.push(self.msg_type);
        put_u24(out, self.length);
        put_u16(out, self.message_seq);
        put_u24(out, self.fragment_offset);
        put_u24(out, self.fragment_length);
    }
}

// ---------------------------------------------------------------------------------------------
// Extensions

/// RFC 5764 §4.1.1 use_srtp extension data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct UseSrtp {
    /// `SRTPProtectionProfile SRTPProtectionProfiles<2..2^16-1>`: non-empty.
    pub(crate) profiles: Vec<u16>,
    /// `opaque srtp_mki<0..255>`.
    pub(crate) mki: Vec<u8>,
}

impl UseSrtp {
    /// Parses the extension data (RFC 5764 §4.1.1).
    fn parse(data: &[u8]) -> Result<Self, MessageError> {
        let mut r = Reader::new(data);
        let profiles = u16_list(r.vec16()?, true)?;
        let mki = r.vec8()?.to_vec();
        r.finish()?;
        Ok(Self { profiles, mki })
    }

    /// Appends the extension data (RFC 5764 §4.1.1).
    fn encode(&self, out: &mut Vec<u8>) {
        debug_assert!(!self.profiles.is_empty(), "use_srtp needs a profile");
        put_u16_list(out, &self.profiles);
        put_vec8(out, &self.mki);
    }
}

/// The hello extensions we understand; others are skipped (their types kept in `unknown`, for
/// tests and counters). RFC 5246 §7.4.1.4: at most one of each type, or
/// [`MessageError::DuplicateExtension`] (unknown types included).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Extensions {
    /// RFC 8422 §5.1.1 `NamedCurve named_curve_list<2..2^16-1>`: non-empty.
    pub(crate) supported_groups: Option<Vec<u16>>,
    /// RFC 8422 §5.1.2 `ECPointFormat ec_point_format_list<1..2^8-1>`: non-empty.
    pub(crate) ec_point_formats: Option<Vec<u8>>,
    /// RFC 5246 §7.4.1.4.1 `supported_signature_algorithms<2..2^16-2>`: non-empty, each entry
    /// the (hash, signature) pair as one `u16` (the TLS 1.3 SignatureScheme code point).
    pub(crate) signature_algorithms: Option<Vec<u16>>,
    /// RFC 5764 §4.1.1.
    pub(crate) use_srtp: Option<UseSrtp>,
    /// RFC 7627 §5.1: present with an empty body.
    pub(crate) extended_master_secret: bool,
    /// RFC 5746 §3.2 `opaque renegotiated_connection<0..255>`.
    pub(crate) renegotiation_info: Option<Vec<u8>>,
    /// Types of the extensions we skipped, in wire order (never encoded).
    pub(crate) unknown: Vec<u16>,
}

impl Extensions {
    /// Parses the extensions block INCLUDING its `u16` length prefix; an absent block (empty
    /// input) is valid and gives `Default` (RFC 5246 §7.4.1.2: extensions may be absent, "the
    /// presence of extensions can be detected by determining whether there are bytes following
    /// the compression_methods"). The whole input must be the block, else
    /// [`MessageError::Trailing`].
    pub(crate) fn parse(buf: &[u8]) -> Result<Self, MessageError> {
        let mut exts = Self::default();
        if buf.is_empty() {
            return Ok(exts);
        }
        // RFC 5246 §7.4.1.2: Extension extensions<0..2^16-1>
        let mut outer = Reader::new(buf);
        let block = outer.vec16()?;
        outer.finish()?;
        let mut seen = BTreeSet::new();
        let mut r = Reader::new(block);
        while !r.is_empty() {
            // RFC 5246 §7.4.1.4: struct { ExtensionType extension_type; opaque
            // extension_data<0..2^16-1>; } Extension;
            let ty = r.u16()?;
            let data = r.vec16()?;
            // RFC 5246 §7.4.1.4: "There MUST NOT be more than one extension of the same type."
            if !seen.insert(ty) {
                return Err(MessageError::DuplicateExtension);
            }
            match ty {
                ext::SUPPORTED_GROUPS => {
                    // RFC 8422 §5.1.1
                    let mut d = Reader::new(data);
                    let list = u16_list(d.vec16()?, true)?;
                    d.finish()?;
                    exts.supported_groups = Some(list);
                }
                ext::EC_POINT_FORMATS => {
                    // RFC 8422 §5.1.2
                    let mut d = Reader::new(data);
                    let list = d.vec8()?;
                    d.finish()?;
                    if list.is_empty() {
                        return Err(MessageError::Invalid);
                    }
                    exts.ec_point_formats = Some(list.to_vec());
                }
                ext::SIGNATURE_ALGORITHMS => {
                    // RFC 5246 §7.4.1.4.1
                    let mut d = Reader::new(data);
                    let list = u16_list(d.vec16()?, true)?;
                    d.finish()?;
                    exts.signature_algorithms = Some(list);
                }
                ext::USE_SRTP => {
                    // RFC 5764 §4.1.1
                    exts.use_srtp = Some(UseSrtp::parse(data)?);
                }
                ext::EXTENDED_MASTER_SECRET => {
                    // RFC 7627 §5.1: "The "extension_data" field of this extension is empty."
                    if !data.is_empty() {
                        return Err(MessageError::Invalid);
                    }
                    exts.extended_master_secret = true;
                }
                ext::RENEGOTIATION_INFO => {
                    // RFC 5746 §3.2
                    let mut d = Reader::new(data);
                    let info = d.vec8()?;
                    d.finish()?;
                    exts.renegotiation_info = Some(info.to_vec());
                }
                // Everything else (session_ticket, ALPN, padding, GREASE, key_share, ...) is
                // ignored, RFC 5246 §7.4.1.4.
                other => exts.unknown.push(other),
            }
        }
        Ok(exts)
    }

    /// Whether no extension we encode is present (`unknown` does not count).
    fn is_empty(&self) -> bool {
        self.supported_groups.is_none()
            && self.ec_point_formats.is_none()
            && self.signature_algorithms.is_none()
            && self.use_srtp.is_none()
            && !self.extended_master_secret
            && self.renegotiation_info.is_none()
    }

    /// Writes the `u16`-length-prefixed block in this order: renegotiation_info,
    /// extended_master_secret, supported_groups, ec_point_formats, signature_algorithms,
    /// use_srtp (unknown ones are never written). Writes nothing at all if no extension is
    /// present.
    ///
    /// Panics if a list exceeds its wire field or the block exceeds 65535 bytes (invariant).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        if self.is_empty() {
            return;
        }
        /// One `Extension` (RFC 5246 §7.4.1.4): type, then the `u16`-prefixed data.
        fn put_ext(out: &mut Vec<u8>, ty: u16, data: impl FnOnce(&mut Vec<u8>)) {
            put_u16(out, ty);
            put_prefixed::<2>(out, data);
        }
        put_prefixed::<2>(out, |out| {
            if let Some(info) = &self.renegotiation_info {
                put_ext(out, ext::RENEGOTIATION_INFO, |out| put_vec8(out, info));
            }
            if self.extended_master_secret {
                put_ext(out, ext::EXTENDED_MASTER_SECRET, |_| {});
            }
            if let Some(groups) = &self.supported_groups {
                debug_assert!(!groups.is_empty(), "supported_groups must not be empty");
                put_ext(out, ext::SUPPORTED_GROUPS, |out| put_u16_list(out, groups));
            }
            if let Some(formats) = &self.ec_point_formats {
                debug_assert!(!formats.is_empty(), "ec_point_formats must not be empty");
                put_ext(out, ext::EC_POINT_FORMATS, |out| put_vec8(out, formats));
            }
            if let Some(schemes) = &self.signature_algorithms {
                debug_assert!(
                    !schemes.is_empty(),
                    "signature_algorithms must not be empty"
                );
                put_ext(out, ext::SIGNATURE_ALGORITHMS, |out| {
                    put_u16_list(out, schemes)
                });
            }
            if let Some(srtp) = &self.use_srtp {
                put_ext(out, ext::USE_SRTP, |out| srtp.encode(out));
            }
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Messages

/// RFC 5246 §7.4.1.2 ClientHello with the DTLS cookie (RFC 6347 §4.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientHello {
    /// client_version ([`DTLS1_2`], or [`DTLS1_0`] from old peers).
    pub(crate) version: u16,
    /// Random.
    pub(crate) random: [u8; 32],
    /// `SessionID session_id` (at most 32 bytes).
    pub(crate) session_id: Vec<u8>,
    /// `opaque cookie<0..2^8-1>` (RFC 6347 §4.2.1).
    pub(crate) cookie: Vec<u8>,
    /// `CipherSuite cipher_suites<2..2^16-2>`: non-empty (GREASE values are ordinary entries).
    pub(crate) cipher_suites: Vec<u16>,
    /// `CompressionMethod compression_methods<1..2^8-1>`: non-empty.
    pub(crate) compression_methods: Vec<u8>,
    /// The hello extensions.
    pub(crate) extensions: Extensions,
}

impl ClientHello {
    /// Parses a ClientHello body (RFC 5246 §7.4.1.2, RFC 6347 §4.2.1).
    pub(crate) fn parse(body: &[u8]) -> Result<Self, MessageError> {
        let mut r = Reader::new(body);
        let version = r.u16()?;
        let random = r.array::<32>()?;
        let session_id = r.vec8()?;
        if session_id.len() > MAX_SESSION_ID {
            return Err(MessageError::Invalid);
        }
        let cookie = r.vec8()?;
        let cipher_suites = u16_list(r.vec16()?, true)?;
        let compression_methods = r.vec8()?;
        if compression_methods.is_empty() {
            return Err(MessageError::Invalid);
        }
        let extensions = Extensions::parse(r.rest())?;
        Ok(Self {
            version,
            random,
            session_id: session_id.to_vec(),
            cookie: cookie.to_vec(),
            cipher_suites,
            compression_methods: compression_methods.to_vec(),
            extensions,
        })
    }

    /// Appends the body (RFC 5246 §7.4.1.2, RFC 6347 §4.2.1).
    ///
    /// Panics if the cookie exceeds 255 bytes or the suites 32767 entries (invariant).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        debug_assert!(self.session_id.len() <= MAX_SESSION_ID);
        debug_assert!(!self.cipher_suites.is_empty());
        debug_assert!(!self.compression_methods.is_empty());
        put_u16(out, self.version);
        out.extend_from_slice(&self.random);
        put_vec8(out, &self.session_id);
        put_vec8(out, &self.cookie);
        put_u16_list(out, &self.cipher_suites);
        put_vec8(out, &self.compression_methods);
        self.extensions.encode(out);
    }
}

/// RFC 6347 §4.2.1 HelloVerifyRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HelloVerifyRequest {
    /// server_version.
    pub(crate) version: u16,
    /// `opaque cookie<0..2^8-1>`.
    pub(crate) cookie: Vec<u8>,
}

impl HelloVerifyRequest {
    /// Parses a HelloVerifyRequest body (RFC 6347 §4.2.1).
    pub(crate) fn parse(body: &[u8]) -> Result<Self, MessageError> {
        let mut r = Reader::new(body);
        let version = r.u16()?;
        let cookie = r.vec8()?.to_vec();
        r.finish()?;
        Ok(Self { version, cookie })
    }

    /// Appends the body (RFC 6347 §4.2.1). Panics past a 255-byte cookie (invariant).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        put_u16(out, self.version);
        put_vec8(out, &self.cookie);
    }
}

/// RFC 5246 §7.4.1.3 ServerHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerHello {
    /// server_version.
    pub(crate) version: u16,
    /// Random.
    pub(crate) random: [u8; 32],
    /// `SessionID session_id` (at most 32 bytes).
    pub(crate) session_id: Vec<u8>,
    /// The selected cipher suite.
    pub(crate) cipher_suite: u16,
    /// The selected compression method.
    pub(crate) compression_method: u8,
    /// The hello extensions.
    pub(crate) extensions: Extensions,
}

impl ServerHello {
    /// Parses a ServerHello body (RFC 5246 §7.4.1.3).
    pub(crate) fn parse(body: &[u8]) -> Result<Self, MessageError> {
        let mut r = Reader::new(body);
        let version = r.u16()?;
        let random = r.array::<32>()?;
        let session_id = r.vec8()?;
        if session_id.len() > MAX_SESSION_ID {
            return Err(MessageError::Invalid);
        }
        let cipher_suite = r.u16()?;
        let compression_method = r.u8()?;
        let extensions = Extensions::parse(r.rest())?;
        Ok(Self {
            version,
            random,
            session_id: session_id.to_vec(),
            cipher_suite,
            compression_method,
            extensions,
        })
    }

    /// Appends the body (RFC 5246 §7.4.1.3).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        debug_assert!(self.session_id.len() <= MAX_SESSION_ID);
        put_u16(out, self.version);
        out.extend_from_slice(&self.random);
        put_vec8(out, &self.session_id);
        put_u16(out, self.cipher_suite);
        out.push(self.compression_method);
        self.extensions.encode(out);
    }
}

/// RFC 5246 §7.4.2 Certificate (also the client's, §7.4.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertificateMsg {
    /// `ASN.1Cert certificate_list<0..2^24-1>`, each `opaque ASN.1Cert<1..2^24-1>` (DER,
    /// sender's certificate first). An empty chain parses (a client without a certificate).
    pub(crate) chain: Vec<Vec<u8>>,
}

impl CertificateMsg {
    /// Parses a Certificate body (RFC 5246 §7.4.2). An empty certificate is
    /// [`MessageError::Invalid`].
    pub(crate) fn parse(body: &[u8]) -> Result<Self, MessageError> {
        let mut r = Reader::new(body);
        let list = r.vec24()?;
        r.finish()?;
        let mut chain = Vec::new();
        let mut certs = Reader::new(list);
        while !certs.is_empty() {
            let cert = certs.vec24()?;
            if cert.is_empty() {
                return Err(MessageError::Invalid);
            }
            chain.push(cert.to_vec());
        }
        Ok(Self { chain })
    }

    /// Appends the body (RFC 5246 §7.4.2). Panics past 2^24-1 bytes (invariant).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        put_prefixed::<3>(out, |out| {
            for cert in &self.chain {
                debug_assert!(!cert.is_empty(), "empty certificate");
                put_prefixed::<3>(out, |out| out.extend_from_slice(cert));
            }
        });
    }
}

/// RFC 8422 §5.4 ServerKeyExchange for ECDHE with named_curve (curve_type 3 only; anything
/// else is [`MessageError::Invalid`]), with the TLS 1.2 signature (RFC 5246 §7.4.3, §4.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerKeyExchange {
    /// `NamedCurve namedcurve`.
    pub(crate) group: u16,
    /// `ECPoint public`: `opaque point<1..2^8-1>`.
    pub(crate) public: Vec<u8>,
    /// The SignatureAndHashAlgorithm as one `u16` (RFC 5246 §7.4.1.4.1).
    pub(crate) scheme: u16,
    /// `opaque signature<0..2^16-1>` (RFC 5246 §4.7).
    pub(crate) signature: Vec<u8>,
}

impl ServerKeyExchange {
    /// Parses a ServerKeyExchange body (RFC 8422 §5.4).
    pub(crate) fn parse(body: &[u8]) -> Result<Self, MessageError> {
        let mut r = Reader::new(body);
        // RFC 8422 §5.4: ServerECDHParams { ECParameters curve_params; ECPoint public; }
        if r.u8()? != NAMED_CURVE {
            return Err(MessageError::Invalid);
        }
        let group = r.u16()?;
        let public = r.vec8()?;
        if public.is_empty() {
            return Err(MessageError::Invalid);
        }
        // RFC 5246 §4.7 digitally-signed: SignatureAndHashAlgorithm, opaque signature<0..2^16-1>
        let scheme = r.u16()?;
        let signature = r.vec16()?.to_vec();
        r.finish()?;
        Ok(Self {
            group,
            public: public.to_vec(),
            scheme,
            signature,
        })
    }

    /// Appends the ServerECDHParams bytes that are signed (curve_type 3, group, `u8`-length
    /// public): RFC 8422 §5.4, signed as client_random + server_random + params.
    ///
    /// Panics if `public` exceeds 255 bytes (invariant).
    pub(crate) fn encode_params(&self, out: &mut Vec<u8>) {
        debug_assert!(!self.public.is_empty(), "empty ECDHE public key");
        out.push(NAMED_CURVE);
        put_u16(out, self.group);
        put_vec8(out, &self.public);
    }

    /// Appends the body (RFC 8422 §5.4). Panics past a 65535-byte signature (invariant).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        self.encode_params(out);
        put_u16(out, self.scheme);
        put_vec16(out, &self.signature);
    }
}

/// RFC 5246 §7.4.4 CertificateRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertificateRequest {
    /// `ClientCertificateType certificate_types<1..2^8-1>`: non-empty.
    pub(crate) certificate_types: Vec<u8>,
    /// `SignatureAndHashAlgorithm supported_signature_algorithms<2^16-1>`, as `u16`s.
    pub(crate) signature_algorithms: Vec<u16>,
    /// The raw contents of `DistinguishedName certificate_authorities<0..2^16-1>` (without the
    /// length prefix; not parsed further).
    pub(crate) authorities: Vec<u8>,
}

impl CertificateRequest {
    /// Parses a CertificateRequest body (RFC 5246 §7.4.4).
    pub(crate) fn parse(body: &[u8]) -> Result<Self, MessageError> {
        let mut r = Reader::new(body);
        let certificate_types = r.vec8()?;
        if certificate_types.is_empty() {
            return Err(MessageError::Invalid);
        }
        let signature_algorithms = u16_list(r.vec16()?, false)?;
        let authorities = r.vec16()?.to_vec();
        r.finish()?;
        Ok(Self {
            certificate_types: certificate_types.to_vec(),
            signature_algorithms,
            authorities,
        })
    }

    /// Appends the body (RFC 5246 §7.4.4). Panics if a field exceeds its length prefix
    /// (invariant).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        debug_assert!(!self.certificate_types.is_empty());
        put_vec8(out, &self.certificate_types);
        put_u16_list(out, &self.signature_algorithms);
        put_vec16(out, &self.authorities);
    }
}

/// RFC 8422 §5.7 ClientKeyExchange for ECDHE: the client's ephemeral public point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientKeyExchange {
    /// `ECPoint ecdh_Yc`: `opaque point<1..2^8-1>`.
    pub(crate) public: Vec<u8>,
}

impl ClientKeyExchange {
    /// Parses a ClientKeyExchange body (RFC 8422 §5.7).
    pub(crate) fn parse(body: &[u8]) -> Result<Self, MessageError> {
        let mut r = Reader::new(body);
        let public = r.vec8()?;
        r.finish()?;
        if public.is_empty() {
            return Err(MessageError::Invalid);
        }
        Ok(Self {
            public: public.to_vec(),
        })
    }

    /// Appends the body (RFC 8422 §5.7). Panics past 255 bytes (invariant).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        debug_assert!(!self.public.is_empty(), "empty ECDHE public key");
        put_vec8(out, &self.public);
    }
}

/// RFC 5246 §7.4.8 CertificateVerify (a digitally-signed struct, §4.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertificateVerify {
    /// The SignatureAndHashAlgorithm as one `u16`.
    pub(crate) scheme: u16,
    /// `opaque signature<0..2^16-1>`.
    pub(crate) signature: Vec<u8>,
}

impl CertificateVerify {
    /// Parses a CertificateVerify body (RFC 5246 §7.4.8).
    pub(crate) fn parse(body: &[u8]) -> Result<Self, MessageError> {
        let mut r = Reader::new(body);
        let scheme = r.u16()?;
        let signature = r.vec16()?.to_vec();
        r.finish()?;
        Ok(Self { scheme, signature })
    }

    /// Appends the body (RFC 5246 §7.4.8). Panics past 65535 bytes (invariant).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        put_u16(out, self.scheme);
        put_vec16(out, &self.signature);
    }
}

/// RFC 5246 §7.4.9 Finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finished {
    /// `opaque verify_data[verify_data_length]`, 12 bytes for every suite we support.
    pub(crate) verify_data: [u8; 12],
}

impl Finished {
    /// Parses a Finished body (RFC 5246 §7.4.9). The body is verify_data itself, so any length
    /// other than 12 (shorter or longer) is [`MessageError::Invalid`].
    pub(crate) fn parse(body: &[u8]) -> Result<Self, MessageError> {
        let verify_data: [u8; VERIFY_DATA_LEN] =
            body.try_into().map_err(|_| MessageError::Invalid)?;
        Ok(Self { verify_data })
    }

    /// Appends the body (RFC 5246 §7.4.9).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.verify_data);
    }
}

/// Parses the empty body of ServerHelloDone (RFC 5246 §7.4.5) or HelloRequest (§7.4.1.1):
/// anything in it is [`MessageError::Trailing`].
pub(crate) fn parse_empty(body: &[u8]) -> Result<(), MessageError> {
    Reader::new(body).finish()
}

// ---------------------------------------------------------------------------------------------
// Fuzzing

/// The codec shape shared by every message type, for the fuzz entry point and the tests.
#[cfg(any(test, feature = "fuzzing"))]
trait Codec: Sized + PartialEq + std::fmt::Debug {
    /// `parse(body)`.
    fn parse_body(body: &[u8]) -> Result<Self, MessageError>;
    /// `encode(&self, out)`.
    fn encode_body(&self, out: &mut Vec<u8>);
    /// What survives a round trip: `unknown` extension types are never encoded.
    fn normalized(mut self) -> Self {
        self.clear_unknown();
        self
    }
    /// Forgets the skipped extension types (no-op for messages without extensions).
    fn clear_unknown(&mut self) {}
}

/// Implements [`Codec`] for message types by delegating to their inherent `parse`/`encode`.
#[cfg(any(test, feature = "fuzzing"))]
macro_rules! codec {
    ($($ty:ty $(=> |$v:ident| $clear:expr)?),* $(,)?) => {$(
        impl Codec for $ty {
            fn parse_body(body: &[u8]) -> Result<Self, MessageError> {
                <$ty>::parse(body)
            }
            fn encode_body(&self, out: &mut Vec<u8>) {
                self.encode(out)
            }
            $(fn clear_unknown(&mut self) {
                let $v = self;
                $clear
            })?
        }
    )*};
}

#[cfg(any(test, feature = "fuzzing"))]
codec!(
    Extensions => |e| e.unknown.clear(),
    ClientHello => |m| m.extensions.unknown.clear(),
    ServerHello => |m| m.extensions.unknown.clear(),
    HelloVerifyRequest,
    CertificateMsg,
    ServerKeyExchange,
    CertificateRequest,
    ClientKeyExchange,
    CertificateVerify,
    Finished,
);

/// Whatever parses re-encodes, the encoding parses to the same value (minus the skipped
/// extension types), and encoding that again gives the same bytes. Returns whether `data`
/// parsed.
#[cfg(any(test, feature = "fuzzing"))]
fn fuzz_round_trip<T: Codec>(data: &[u8]) -> bool {
    let Ok(value) = T::parse_body(data) else {
        return false;
    };
    let mut bytes = Vec::new();
    value.encode_body(&mut bytes);
    let again = T::parse_body(&bytes).expect("what we encode parses");
    let mut bytes_again = Vec::new();
    again.encode_body(&mut bytes_again);
    assert_eq!(again, value.normalized(), "round trip");
    assert_eq!(bytes_again, bytes, "encoding is canonical");
    true
}

/// Parses `body` with the parser `msg_type` selects (RFC 5246 §7.4) and round-trips it;
/// returns whether it parsed (`false` for types without a parser here).
#[cfg(any(test, feature = "fuzzing"))]
fn fuzz_typed(ty: u8, body: &[u8]) -> bool {
    match ty {
        msg_type::HELLO_REQUEST | msg_type::SERVER_HELLO_DONE => {
            let ok = parse_empty(body).is_ok();
            assert_eq!(ok, body.is_empty());
            ok
        }
        msg_type::CLIENT_HELLO => fuzz_round_trip::<ClientHello>(body),
        msg_type::SERVER_HELLO => fuzz_round_trip::<ServerHello>(body),
        msg_type::HELLO_VERIFY_REQUEST => fuzz_round_trip::<HelloVerifyRequest>(body),
        msg_type::CERTIFICATE => fuzz_round_trip::<CertificateMsg>(body),
        msg_type::SERVER_KEY_EXCHANGE => fuzz_round_trip::<ServerKeyExchange>(body),
        msg_type::CERTIFICATE_REQUEST => fuzz_round_trip::<CertificateRequest>(body),
        msg_type::CERTIFICATE_VERIFY => fuzz_round_trip::<CertificateVerify>(body),
        msg_type::CLIENT_KEY_EXCHANGE => fuzz_round_trip::<ClientKeyExchange>(body),
        msg_type::FINISHED => fuzz_round_trip::<Finished>(body),
        _ => false,
    }
}

/// Fuzz entry point: feeds `data` to every parser in this module (header, each message body,
/// the extensions block, the empty body) and, when `data` starts with a whole unfragmented
/// handshake message, its body to the parser its header's type selects; whatever parses is
/// re-encoded and re-parsed, and the results must agree. Panics on any disagreement (or if a
/// parser panics).
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn fuzz_parse_all(data: &[u8]) {
    if let Ok((header, fragment, rest)) = HandshakeHeader::parse(data) {
        let mut bytes = Vec::new();
        header.encode(&mut bytes);
        assert_eq!(bytes, data[..HandshakeHeader::LEN], "header round trip");
        assert_eq!(
            usize::try_from(header.fragment_length).ok(),
            Some(fragment.len()),
            "fragment length"
        );
        assert_eq!(
            HandshakeHeader::LEN + fragment.len() + rest.len(),
            data.len(),
            "header, fragment and rest cover the input"
        );
        assert!(header.length <= MAX_MESSAGE_LEN);
        assert!(header.fragment_offset + header.fragment_length <= header.length);
        if header.fragment_offset == 0 && header.fragment_length == header.length {
            // A whole message: route its body by type, as the handshake layer does.
            fuzz_typed(header.msg_type, fragment);
        }
    }
    fuzz_round_trip::<Extensions>(data);
    for ty in [
        msg_type::CLIENT_HELLO,
        msg_type::SERVER_HELLO,
        msg_type::HELLO_VERIFY_REQUEST,
        msg_type::CERTIFICATE,
        msg_type::SERVER_KEY_EXCHANGE,
        msg_type::CERTIFICATE_REQUEST,
        msg_type::SERVER_HELLO_DONE,
        msg_type::CERTIFICATE_VERIFY,
        msg_type::CLIENT_KEY_EXCHANGE,
        msg_type::FINISHED,
    ] {
        fuzz_typed(ty, data);
    }
    if let Ok(skx) = ServerKeyExchange::parse(data) {
        let mut params = Vec::new();
        skx.encode_params(&mut params);
        assert!(data.starts_with(&params), "params are the body's prefix");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::vec;
    use proptest::option;
    use proptest::prelude::*;

    /// Decodes a hex string (test vectors).
    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(s.len().is_multiple_of(2), "odd hex length");
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
            .collect()
    }

    /// Encodes a value with its inherent encoder.
    fn encoded<T: Codec>(value: &T) -> Vec<u8> {
        let mut out = Vec::new();
        value.encode_body(&mut out);
        out
    }

    /// Round trip, truncation at every offset and one trailing byte. `stripped` is the value a
    /// hello parses to when the extensions block is cut off exactly (RFC 5246 §7.4.1.2: an
    /// absent block is valid), `None` for messages without an optional tail.
    fn check_codec<T: Codec + Clone>(value: &T, stripped: Option<&T>, trailing: MessageError) {
        let bytes = encoded(value);
        assert_eq!(&T::parse_body(&bytes).expect("parses"), value);
        let stripped_bytes = stripped.map(encoded);
        for cut in 0..bytes.len() {
            let prefix = &bytes[..cut];
            match T::parse_body(prefix) {
                Err(_) => {}
                Ok(parsed) => {
                    let stripped = stripped.expect("a strict prefix parsed");
                    assert_eq!(&parsed, stripped, "prefix of {cut} bytes");
                    assert_eq!(Some(prefix), stripped_bytes.as_deref());
                }
            }
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(T::parse_body(&longer), Err(trailing));
        fuzz_parse_all(&bytes);
        fuzz_parse_all(&longer);
    }

    /// The trailing-byte error of a hello: without an extensions block, one more byte is the
    /// start of a truncated block; with one, it is trailing.
    fn hello_trailing(exts: &Extensions) -> MessageError {
        if exts.is_empty() {
            MessageError::Truncated
        } else {
            MessageError::Trailing
        }
    }

    prop_compose! {
        fn arb_use_srtp()(
            profiles in vec(any::<u16>(), 1..8),
            mki in vec(any::<u8>(), 0..=255),
        ) -> UseSrtp {
            UseSrtp { profiles, mki }
        }
    }

    prop_compose! {
        fn arb_extensions()(
            supported_groups in option::of(vec(any::<u16>(), 1..16)),
            ec_point_formats in option::of(vec(any::<u8>(), 1..8)),
            signature_algorithms in option::of(vec(any::<u16>(), 1..24)),
            use_srtp in option::of(arb_use_srtp()),
            extended_master_secret in any::<bool>(),
            renegotiation_info in option::of(vec(any::<u8>(), 0..=255)),
        ) -> Extensions {
            Extensions {
                supported_groups,
                ec_point_formats,
                signature_algorithms,
                use_srtp,
                extended_master_secret,
                renegotiation_info,
                unknown: Vec::new(),
            }
        }
    }

    prop_compose! {
        fn arb_client_hello()(
            version in any::<u16>(),
            random in any::<[u8; 32]>(),
            session_id in vec(any::<u8>(), 0..=32),
            cookie in vec(any::<u8>(), 0..=255),
            cipher_suites in vec(any::<u16>(), 1..48),
            compression_methods in vec(any::<u8>(), 1..4),
            extensions in arb_extensions(),
        ) -> ClientHello {
            ClientHello {
                version, random, session_id, cookie, cipher_suites, compression_methods, extensions,
            }
        }
    }

    prop_compose! {
        fn arb_server_hello()(
            version in any::<u16>(),
            random in any::<[u8; 32]>(),
            session_id in vec(any::<u8>(), 0..=32),
            cipher_suite in any::<u16>(),
            compression_method in any::<u8>(),
            extensions in arb_extensions(),
        ) -> ServerHello {
            ServerHello { version, random, session_id, cipher_suite, compression_method, extensions }
        }
    }

    proptest! {
        #[test]
        fn extensions_round_trip(exts in arb_extensions()) {
            let bytes = encoded(&exts);
            prop_assert_eq!(bytes.is_empty(), exts.is_empty());
            prop_assert_eq!(Extensions::parse(&bytes), Ok(exts.clone()));
            for cut in 1..bytes.len() {
                prop_assert!(Extensions::parse(&bytes[..cut]).is_err());
            }
            if !exts.is_empty() {
                let mut longer = bytes.clone();
                longer.push(0);
                prop_assert_eq!(Extensions::parse(&longer), Err(MessageError::Trailing));
            }
            fuzz_parse_all(&bytes);
        }

        #[test]
        fn client_hello_round_trip(hello in arb_client_hello()) {
            let stripped = ClientHello { extensions: Extensions::default(), ..hello.clone() };
            let strip = (!hello.extensions.is_empty()).then_some(&stripped);
            check_codec(&hello, strip, hello_trailing(&hello.extensions));
        }

        #[test]
        fn server_hello_round_trip(hello in arb_server_hello()) {
            let stripped = ServerHello { extensions: Extensions::default(), ..hello.clone() };
            let strip = (!hello.extensions.is_empty()).then_some(&stripped);
            check_codec(&hello, strip, hello_trailing(&hello.extensions));
        }

        #[test]
        fn hello_verify_request_round_trip(
            version in any::<u16>(),
            cookie in vec(any::<u8>(), 0..=255),
        ) {
            check_codec(&HelloVerifyRequest { version, cookie }, None, MessageError::Trailing);
        }

        #[test]
        fn certificate_round_trip(chain in vec(vec(any::<u8>(), 1..300), 0..4)) {
            check_codec(&CertificateMsg { chain }, None, MessageError::Trailing);
        }

        #[test]
        fn server_key_exchange_round_trip(
            group in any::<u16>(),
            public in vec(any::<u8>(), 1..=255),
            scheme in any::<u16>(),
            signature in vec(any::<u8>(), 0..300),
        ) {
            let skx = ServerKeyExchange { group, public, scheme, signature };
            let bytes = encoded(&skx);
            let mut params = Vec::new();
            skx.encode_params(&mut params);
            prop_assert_eq!(params.len(), 4 + skx.public.len());
            prop_assert!(bytes.starts_with(&params));
            check_codec(&skx, None, MessageError::Trailing);
        }

        #[test]
        fn certificate_request_round_trip(
            certificate_types in vec(any::<u8>(), 1..8),
            signature_algorithms in vec(any::<u16>(), 0..24),
            authorities in vec(any::<u8>(), 0..300),
        ) {
            let req = CertificateRequest { certificate_types, signature_algorithms, authorities };
            check_codec(&req, None, MessageError::Trailing);
        }

        #[test]
        fn client_key_exchange_round_trip(public in vec(any::<u8>(), 1..=255)) {
            check_codec(&ClientKeyExchange { public }, None, MessageError::Trailing);
        }

        #[test]
        fn certificate_verify_round_trip(
            scheme in any::<u16>(),
            signature in vec(any::<u8>(), 0..300),
        ) {
            check_codec(&CertificateVerify { scheme, signature }, None, MessageError::Trailing);
        }

        #[test]
        fn finished_round_trip(verify_data in any::<[u8; 12]>()) {
            // The body is verify_data itself: a 13th byte makes it the wrong length (Invalid),
            // not trailing data.
            check_codec(&Finished { verify_data }, None, MessageError::Invalid);
        }

        #[test]
        fn handshake_header_round_trip(
            msg_type in any::<u8>(),
            message_seq in any::<u16>(),
            length in 0..=MAX_MESSAGE_LEN,
            a in any::<u32>(),
            b in any::<u32>(),
            rest in vec(any::<u8>(), 0..8),
        ) {
            let fragment_offset = a % (length + 1);
            let fragment_length = b % ((length - fragment_offset).min(300) + 1);
            let header = HandshakeHeader {
                msg_type, length, message_seq, fragment_offset, fragment_length,
            };
            let fragment: Vec<u8> = (0..fragment_length).map(|i| i.to_le_bytes()[0]).collect();
            let mut bytes = Vec::new();
            header.encode(&mut bytes);
            prop_assert_eq!(bytes.len(), HandshakeHeader::LEN);
            bytes.extend_from_slice(&fragment);
            let whole = bytes.len();
            bytes.extend_from_slice(&rest);
            let (parsed, frag, tail) = HandshakeHeader::parse(&bytes).expect("parses");
            prop_assert_eq!(parsed, header);
            prop_assert_eq!(frag, &fragment[..]);
            prop_assert_eq!(tail, &rest[..]);
            for cut in 0..whole {
                prop_assert_eq!(
                    HandshakeHeader::parse(&bytes[..cut]).map(|(h, _, _)| h),
                    Err(MessageError::Truncated)
                );
            }
            fuzz_parse_all(&bytes);
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in vec(any::<u8>(), 0..600)) {
            fuzz_parse_all(&data);
        }
    }

    #[test]
    fn header_rejects_bad_fragments() {
        let header = |length: u32, offset: u32, frag: u32| {
            let mut out = Vec::new();
            HandshakeHeader {
                msg_type: msg_type::CERTIFICATE,
                length,
                message_seq: 3,
                fragment_offset: offset,
                fragment_length: frag,
            }
            .encode(&mut out);
            out.resize(out.len() + 0x20_0000, 0);
            out
        };
        assert!(HandshakeHeader::parse(&header(100, 40, 60)).is_ok());
        assert_eq!(
            HandshakeHeader::parse(&header(100, 41, 60)),
            Err(MessageError::Invalid)
        );
        assert_eq!(
            HandshakeHeader::parse(&header(MAX_MESSAGE_LEN + 1, 0, 1)),
            Err(MessageError::Invalid)
        );
        assert_eq!(
            HandshakeHeader::parse(&header(0xFF_FFFF, 0xFF_FFFF, 0xFF_FFFF)),
            Err(MessageError::Invalid)
        );
        let ok = header(MAX_MESSAGE_LEN, 0, MAX_MESSAGE_LEN);
        let (h, frag, _) = HandshakeHeader::parse(&ok).expect("a 64 KiB fragment");
        assert_eq!(h.length, MAX_MESSAGE_LEN);
        assert_eq!(frag.len(), 65536);
        // The fragment itself cut short.
        assert_eq!(
            HandshakeHeader::parse(&ok[..HandshakeHeader::LEN + 100]),
            Err(MessageError::Truncated)
        );
    }

    #[test]
    #[should_panic(expected = "uint24 field overflow")]
    fn header_encode_asserts_u24() {
        let mut out = Vec::new();
        HandshakeHeader {
            msg_type: 0,
            length: 1 << 24,
            message_seq: 0,
            fragment_offset: 0,
            fragment_length: 0,
        }
        .encode(&mut out);
    }

    #[test]
    #[should_panic(expected = "do not fit a 1-byte length prefix")]
    fn encode_asserts_prefix_width() {
        let mut out = Vec::new();
        HelloVerifyRequest {
            version: DTLS1_2,
            cookie: vec![0; 256],
        }
        .encode(&mut out);
    }

    /// A ClientHello body with the given extension bytes (without the block's length).
    fn hello_with_extensions(exts: &[u8]) -> Vec<u8> {
        let mut body = hex("fefd");
        body.extend_from_slice(&[0x11; 32]);
        body.extend_from_slice(&hex("00 00 0002 c02b 0100"));
        put_vec16(&mut body, exts);
        body
    }

    #[test]
    fn duplicate_extension_is_rejected() {
        let ems_twice = hello_with_extensions(&hex("0017 0000 0017 0000"));
        assert_eq!(
            ClientHello::parse(&ems_twice),
            Err(MessageError::DuplicateExtension)
        );
        // Also for a type we do not understand (GREASE 0x0a0a).
        let grease_twice = hello_with_extensions(&hex("0a0a 0000 0017 0000 0a0a 0001 00"));
        assert_eq!(
            ClientHello::parse(&grease_twice),
            Err(MessageError::DuplicateExtension)
        );
        // And in a ServerHello.
        let mut server = hex("fefd");
        server.extend_from_slice(&[0x22; 32]);
        server.extend_from_slice(&hex("00 c02b 00"));
        put_vec16(
            &mut server,
            &hex("000e 0005 0002 0007 00 000e 0005 0002 0007 00"),
        );
        assert_eq!(
            ServerHello::parse(&server),
            Err(MessageError::DuplicateExtension)
        );
    }

    #[test]
    fn extension_bodies_are_validated() {
        let parse = |exts: &str| ClientHello::parse(&hello_with_extensions(&hex(exts)));
        // RFC 7627 §5.1: extended_master_secret has an empty body.
        assert_eq!(parse("0017 0001 00"), Err(MessageError::Invalid));
        // Empty and odd-length u16 lists.
        assert_eq!(parse("000a 0002 0000"), Err(MessageError::Invalid));
        assert_eq!(parse("000a 0005 0003 001d00"), Err(MessageError::Invalid));
        assert_eq!(parse("000d 0002 0000"), Err(MessageError::Invalid));
        assert_eq!(parse("000e 0003 0000 00"), Err(MessageError::Invalid));
        // Empty ec_point_formats.
        assert_eq!(parse("000b 0001 00"), Err(MessageError::Invalid));
        // Inner length past the extension data, and data after the inner structure.
        assert_eq!(parse("ff01 0001 05"), Err(MessageError::Truncated));
        assert_eq!(parse("ff01 0002 00 00"), Err(MessageError::Trailing));
        // Extension data past the block.
        assert_eq!(parse("0017 0004 0000"), Err(MessageError::Truncated));
        // A lone byte after the last extension.
        assert_eq!(parse("0017 0000 00"), Err(MessageError::Truncated));
        let ok = parse("ff01 0001 00 0017 0000").expect("parses");
        assert!(ok.extensions.extended_master_secret);
        assert_eq!(ok.extensions.renegotiation_info, Some(Vec::new()));
    }

    #[test]
    fn hello_fields_are_validated() {
        let mut body = hex("fefd");
        body.extend_from_slice(&[0; 32]);
        let with = |tail: &str| {
            let mut b = body.clone();
            b.extend_from_slice(&hex(tail));
            ClientHello::parse(&b)
        };
        // 33-byte session id.
        let long_session = format!("21 {} 00 0002 c02b 0100", "00".repeat(33));
        assert_eq!(with(&long_session), Err(MessageError::Invalid));
        // No cipher suites, an odd suites length, no compression methods.
        assert_eq!(with("00 00 0000 0100"), Err(MessageError::Invalid));
        assert_eq!(with("00 00 0003 c02b00 0100"), Err(MessageError::Invalid));
        assert_eq!(with("00 00 0002 c02b 00"), Err(MessageError::Invalid));
        // An empty extensions block is the same as none.
        let empty_block = with("00 00 0002 c02b 0100 0000").expect("parses");
        assert_eq!(empty_block.extensions, Extensions::default());
        // A 255-byte cookie (RFC 6347 §4.2.1 raised the limit from 32).
        let cookie = format!("00 ff {} 0002 c02b 0100", "ab".repeat(255));
        assert_eq!(with(&cookie).expect("parses").cookie, vec![0xab; 255]);
    }

    #[test]
    fn server_key_exchange_needs_named_curve() {
        // curve_type 1 (explicit_prime) and 2 (explicit_char2) are not supported.
        for curve_type in ["01", "02", "00", "04"] {
            let body = hex(&format!("{curve_type} 0017 01 04 0403 0000"));
            assert_eq!(
                ServerKeyExchange::parse(&body),
                Err(MessageError::Invalid),
                "curve_type {curve_type}"
            );
        }
        let ok = ServerKeyExchange::parse(&hex("03 001d 02 0a0b 0403 0002 5051")).expect("ok");
        assert_eq!(ok.group, 0x1d);
        assert_eq!(ok.public, vec![0x0a, 0x0b]);
        assert_eq!(ok.scheme, 0x0403);
        assert_eq!(ok.signature, vec![0x50, 0x51]);
        let mut params = Vec::new();
        ok.encode_params(&mut params);
        assert_eq!(params, hex("03 001d 02 0a0b"));
        // An empty point.
        assert_eq!(
            ServerKeyExchange::parse(&hex("03 001d 00 0403 0000")),
            Err(MessageError::Invalid)
        );
    }

    #[test]
    fn other_messages_reject_bad_fields() {
        // An empty certificate in the chain.
        assert_eq!(
            CertificateMsg::parse(&hex("000007 000001 aa 000000")),
            Err(MessageError::Invalid)
        );
        // An empty chain is fine.
        assert_eq!(
            CertificateMsg::parse(&hex("000000")),
            Ok(CertificateMsg { chain: Vec::new() })
        );
        // A certificate running past the list.
        assert_eq!(
            CertificateMsg::parse(&hex("000004 000002 aa")),
            Err(MessageError::Truncated)
        );
        assert_eq!(
            ClientKeyExchange::parse(&hex("00")),
            Err(MessageError::Invalid)
        );
        assert_eq!(
            CertificateRequest::parse(&hex("00 0000 0000")),
            Err(MessageError::Invalid)
        );
        assert_eq!(
            CertificateRequest::parse(&hex("01 40 0001 04 0000")),
            Err(MessageError::Invalid)
        );
        for len in [0, 11, 13] {
            assert_eq!(
                Finished::parse(&vec![0; len]),
                Err(MessageError::Invalid),
                "{len}"
            );
        }
        assert_eq!(parse_empty(&[]), Ok(()));
        assert_eq!(parse_empty(&[0]), Err(MessageError::Trailing));
    }

    #[test]
    fn grease_and_browser_extensions_are_skipped() {
        // Mirrors a BoringSSL TLS-style hello: GREASE suite and extensions, session_ticket,
        // ALPN, status_request, SCT, padding; none of them may get in the way.
        let mut body = hex("fefd");
        body.extend_from_slice(&[0x33; 32]);
        body.extend_from_slice(&hex("00 00 0006 3a3a c02b c02f 0100"));
        let exts = hex("3a3a 0000
             0017 0000
             ff01 0001 00
             0023 0000
             0010 000e 000c 02 6832 08 687474702f312e31
             0005 0005 0100000000
             0012 0000
             000a 0008 0006 8a8a 001d 0017
             000b 0002 0100
             000e 0005 0002 0007 00
             aaaa 0001 00
             0015 0005 0000000000");
        put_vec16(&mut body, &exts);
        let hello = ClientHello::parse(&body).expect("parses");
        assert_eq!(hello.cipher_suites, vec![0x3a3a, 0xc02b, 0xc02f]);
        assert_eq!(
            hello.extensions.unknown,
            vec![0x3a3a, 0x0023, 0x0010, 0x0005, 0x0012, 0xaaaa, 0x0015]
        );
        assert_eq!(
            hello.extensions.supported_groups,
            Some(vec![0x8a8a, 0x1d, 0x17])
        );
        assert!(hello.extensions.extended_master_secret);
        fuzz_parse_all(&body);
    }

    /// Checks the fields of the captured Chrome ClientHellos (all versions from 124 to 129
    /// send the same contents, only the extension order changed in 129).
    fn check_chrome(hello: &ClientHello) {
        assert_eq!(hello.version, DTLS1_2);
        assert!(hello.session_id.is_empty());
        assert!(hello.cookie.is_empty());
        assert_eq!(
            hello.cipher_suites,
            vec![
                0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc009, 0xc013, 0xc00a, 0xc014, 0x009c, 0x002f,
                0x0035
            ]
        );
        assert_eq!(hello.compression_methods, vec![0]);
        let e = &hello.extensions;
        assert!(e.extended_master_secret);
        assert_eq!(e.renegotiation_info, Some(Vec::new()));
        // x25519, secp256r1, secp384r1
        assert_eq!(e.supported_groups, Some(vec![0x001d, 0x0017, 0x0018]));
        assert_eq!(e.ec_point_formats, Some(vec![0]));
        assert_eq!(
            e.signature_algorithms,
            Some(vec![
                0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201
            ])
        );
        // SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_256_GCM, SRTP_AEAD_AES_128_GCM
        assert_eq!(
            e.use_srtp,
            Some(UseSrtp {
                profiles: vec![0x0001, 0x0008, 0x0007],
                mki: Vec::new()
            })
        );
        // session_ticket
        assert_eq!(e.unknown, vec![0x0023]);
    }

    // The captured ClientHello bodies below (from client_version on, the 12-byte handshake
    // header removed) come from theodorsm/covert-dtls, pkg/fingerprints/fingerprints.go
    // (commit 0292b1e13595ea080256a5a1059b68c40204eec4): that project's "fingerprint" CI
    // workflow runs the real browsers in a WebRTC call, captures the DTLS handshake
    // (fingerprints-captures/*.pcap in the same repository) and records the ClientHello.

    /// Chrome 124.0.6367.60 (WebRTC, BoringSSL), the constant `Google_Chrome_124_0_6367_60_unknown`.
    const CHROME_124: &str = "fefdae6064bebc0381a2c7a260cd429b2f5861b9e31425b324dc1a96551bf6cae555\
        00000016c02bc02fcca9cca8c009c013c00ac014009c002f00350100004400170000ff01000100000a00080006\
        001d00170018000b0002010000230000000d00140012040308040401050308050501080606010201000e000900\
        0600010008000700";

    /// Chrome 129.0.6668.58 on Linux, the constant `Chrome_linux_129_0_6668_58`: BoringSSL now
    /// permutes the extension order.
    const CHROME_129: &str = "fefdbe5eb2420b729cb21c730e9cb650872c034d402ee32a98ba8f482778cc5c49dd\
        00000016c02bc02fcca9cca8c009c013c00ac014009c002f00350100004400230000000d001400120403080404\
        0105030805050108060601020100170000000a00080006001d00170018ff01000100000e000900060001000800\
        0700000b00020100";

    /// Firefox 130.0 on Linux (NSS), the constant `Firefox_linux_stable_130_0`: a DTLS 1.3
    /// capable hello with TLS 1.3 suites, ALPN, delegated_credentials, key_share,
    /// supported_versions and record_size_limit.
    const FIREFOX_130: &str = "fefd756b703ad52e00975e5a7793d4af3ee5fdfeaa2aebc2a19d7513aec2fde4aabe\
        0000001413011303c02bc02fcca9cca8c00ac009c013c014010000b100170000ff01000100000a000c000a001d\
        0017001801000101000b000201000010001200100677656272746308632d7765627274630022000a0008040305\
        0306030203003300260024001d0020cd13d322ef7caa203087b220927b35087c83c3ebeae2dae37a32b2183ecf\
        d666002b000706fefcfefd0303000d0020001e0403050306030203080408050806040105010601020104020502\
        06020202001c00024001000e000b0008000700080001000200";

    #[test]
    fn chrome_124_client_hello() {
        let body = hex(CHROME_124);
        let hello = ClientHello::parse(&body).expect("Chrome 124 ClientHello parses");
        check_chrome(&hello);
        assert_eq!(hello.random[..4], hex("ae6064be"));
        fuzz_parse_all(&body);
    }

    #[test]
    fn chrome_129_client_hello() {
        let body = hex(CHROME_129);
        let hello = ClientHello::parse(&body).expect("Chrome 129 ClientHello parses");
        check_chrome(&hello);
        fuzz_parse_all(&body);
    }

    #[test]
    fn firefox_130_client_hello() {
        let body = hex(FIREFOX_130);
        let hello = ClientHello::parse(&body).expect("Firefox 130 ClientHello parses");
        assert_eq!(hello.version, DTLS1_2);
        assert!(hello.session_id.is_empty() && hello.cookie.is_empty());
        assert_eq!(
            hello.cipher_suites,
            vec![
                0x1301, 0x1303, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc00a, 0xc009, 0xc013, 0xc014
            ]
        );
        let e = &hello.extensions;
        assert!(e.extended_master_secret);
        assert_eq!(e.renegotiation_info, Some(Vec::new()));
        // x25519, secp256r1, secp384r1, ffdhe2048, ffdhe3072
        assert_eq!(
            e.supported_groups,
            Some(vec![0x001d, 0x0017, 0x0018, 0x0100, 0x0101])
        );
        assert_eq!(e.ec_point_formats, Some(vec![0]));
        assert_eq!(e.signature_algorithms.as_ref().map(Vec::len), Some(15));
        assert_eq!(
            e.use_srtp,
            Some(UseSrtp {
                profiles: vec![0x0007, 0x0008, 0x0001, 0x0002],
                mki: Vec::new()
            })
        );
        // ALPN, delegated_credentials, key_share, supported_versions, record_size_limit
        assert_eq!(e.unknown, vec![16, 34, 51, 43, 28]);
        fuzz_parse_all(&body);
    }

    #[test]
    fn openssl_dtls10_client_hello_and_hello_verify_request() {
        // From DinoTools/python-flextls, tests/test_dtls_1_0.py (TestClientHello.test_pkg2 and
        // TestHelloVerifyRequest.test_pkg1): a DTLS 1.0 exchange with OpenSSL 1.0.1's default
        // client (its 39-suite list with the renegotiation SCSV 0x00ff, all 25 named curves,
        // session_ticket and the OpenSSL-only heartbeat extension). The second ClientHello,
        // carrying the cookie, and the HelloVerifyRequest that asked for it; handshake headers
        // removed.
        let hello = hex("feff
             24dc8f65fb5970f29af7f330b6a00942d71783db3230cba5bdb98213efdbb99f
             00 142c24633bb13af58be4a0f50e47767cfa93e63515
             004e
             c014c00a0039003800880087c00fc00500350084
             c013c00900330032009a009900450044c00ec004
             002f009600410007c012c00800160013c00dc003
             000a001500120009001400110008000600ff
             0100
             0049000b000403000102000a00340032000e000d
             0019000b000c00180009000a0016001700080006
             0007001400150004000500120013000100020003
             000f0010001100230000000f000101");
        let hvr = hex("feff 14 2c24633bb13af58be4a0f50e47767cfa93e63515");

        let hvr = HelloVerifyRequest::parse(&hvr).expect("HelloVerifyRequest parses");
        assert_eq!(hvr.version, DTLS1_0);
        assert_eq!(hvr.cookie.len(), 20);

        let parsed = ClientHello::parse(&hello).expect("OpenSSL ClientHello parses");
        assert_eq!(parsed.version, DTLS1_0);
        assert!(parsed.session_id.is_empty());
        assert_eq!(parsed.cookie, hvr.cookie);
        assert_eq!(parsed.cipher_suites.len(), 39);
        assert_eq!(parsed.cipher_suites.last(), Some(&0x00ff));
        assert_eq!(parsed.compression_methods, vec![0]);
        let e = &parsed.extensions;
        // uncompressed, ansiX962_compressed_prime, ansiX962_compressed_char2
        assert_eq!(e.ec_point_formats, Some(vec![0, 1, 2]));
        let groups = e.supported_groups.as_ref().expect("supported_groups");
        assert_eq!(groups.len(), 25);
        assert!(groups.contains(&0x0017) && groups.contains(&0x0018));
        assert!(!e.extended_master_secret);
        assert_eq!(e.renegotiation_info, None);
        assert_eq!(e.signature_algorithms, None);
        assert_eq!(e.use_srtp, None);
        // session_ticket, heartbeat
        assert_eq!(e.unknown, vec![0x0023, 0x000f]);
        fuzz_parse_all(&hello);
    }

    #[test]
    fn framed_messages_route_by_type() {
        let hello = ClientHello::parse(&hex(CHROME_124)).expect("parses");
        let mut samples: Vec<(u8, Vec<u8>)> = vec![
            (msg_type::HELLO_REQUEST, Vec::new()),
            (msg_type::CLIENT_HELLO, encoded(&hello.normalized())),
            (msg_type::SERVER_HELLO_DONE, Vec::new()),
            (msg_type::FINISHED, vec![7; 12]),
        ];
        let mut push = |ty: u8, value: &dyn Fn(&mut Vec<u8>)| {
            let mut body = Vec::new();
            value(&mut body);
            samples.push((ty, body));
        };
        push(msg_type::SERVER_HELLO, &|out| {
            ServerHello {
                version: DTLS1_2,
                random: [9; 32],
                session_id: vec![1; 32],
                cipher_suite: 0xc02b,
                compression_method: 0,
                extensions: Extensions {
                    extended_master_secret: true,
                    use_srtp: Some(UseSrtp {
                        profiles: vec![7],
                        mki: Vec::new(),
                    }),
                    ..Extensions::default()
                },
            }
            .encode(out)
        });
        push(msg_type::HELLO_VERIFY_REQUEST, &|out| {
            HelloVerifyRequest {
                version: DTLS1_0,
                cookie: vec![5; 20],
            }
            .encode(out)
        });
        push(msg_type::CERTIFICATE, &|out| {
            CertificateMsg {
                chain: vec![vec![0x30; 300], vec![0x31; 2]],
            }
            .encode(out)
        });
        push(msg_type::SERVER_KEY_EXCHANGE, &|out| {
            ServerKeyExchange {
                group: 0x17,
                public: vec![4; 65],
                scheme: 0x0403,
                signature: vec![0x30; 71],
            }
            .encode(out)
        });
        push(msg_type::CERTIFICATE_REQUEST, &|out| {
            CertificateRequest {
                certificate_types: vec![64],
                signature_algorithms: vec![0x0403, 0x0804],
                authorities: Vec::new(),
            }
            .encode(out)
        });
        push(msg_type::CERTIFICATE_VERIFY, &|out| {
            CertificateVerify {
                scheme: 0x0403,
                signature: vec![0x30; 70],
            }
            .encode(out)
        });
        push(msg_type::CLIENT_KEY_EXCHANGE, &|out| {
            ClientKeyExchange {
                public: vec![4; 65],
            }
            .encode(out)
        });
        for (seq, (ty, body)) in samples.iter().enumerate() {
            let length = u32::try_from(body.len()).expect("small");
            let header = HandshakeHeader {
                msg_type: *ty,
                length,
                message_seq: u16::try_from(seq).expect("small"),
                fragment_offset: 0,
                fragment_length: length,
            };
            let mut framed = Vec::new();
            header.encode(&mut framed);
            framed.extend_from_slice(body);
            let (parsed, fragment, rest) = HandshakeHeader::parse(&framed).expect("header");
            assert_eq!(parsed, header);
            assert_eq!(fragment, &body[..]);
            assert!(rest.is_empty());
            assert!(fuzz_typed(*ty, fragment), "type {ty} parses");
            fuzz_parse_all(&framed);
        }
        // A type we have no parser for.
        assert!(!fuzz_typed(4, &[]));
    }

    #[test]
    fn encode_writes_extensions_in_order() {
        let exts = Extensions {
            supported_groups: Some(vec![0x1d]),
            ec_point_formats: Some(vec![0]),
            signature_algorithms: Some(vec![0x0403]),
            use_srtp: Some(UseSrtp {
                profiles: vec![7],
                mki: Vec::new(),
            }),
            extended_master_secret: true,
            renegotiation_info: Some(Vec::new()),
            unknown: vec![0x23],
        };
        assert_eq!(
            encoded(&exts),
            hex("0028
                 ff01 0001 00
                 0017 0000
                 000a 0004 0002 001d
                 000b 0002 01 00
                 000d 0004 0002 0403
                 000e 0005 0002 0007 00")
        );
        assert!(encoded(&Extensions::default()).is_empty());
        let only_unknown = Extensions {
            unknown: vec![0x23],
            ..Extensions::default()
        };
        assert!(encoded(&only_unknown).is_empty());
    }
}

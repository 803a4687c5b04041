//! The one small crypto provider seam DTLS 1.2 uses (and SRTP will reuse): hashes and the TLS 1.2
//! PRF, the record AEADs, ECDHE key shares, and the signatures of the handshake.
//!
//! Two backends sit behind these types and put the same bytes on the wire:
//! - **RustCrypto** (`rust_crypto`, the default build): pure Rust, no C toolchain.
//! - **aws-lc** (`aws_lc`, feature `aws-lc-rs`): the fast path for the hot and expensive parts:
//!   the record AEADs, ECDHE agreement and signature verification.
//!
//! What stays RustCrypto under both features, and why:
//! - hashing, HMAC and the PRF: cheap next to the rest of a handshake, and one implementation
//!   means one set of bytes;
//! - signing: RFC 6979 deterministic ECDSA, so our signatures (and therefore our wire bytes) are
//!   a function of key and message only. aws-lc draws the ECDSA nonce from its own RNG, which
//!   would break "the same seed gives the same bytes";
//! - parsing and validating peer keys: the same certificates are accepted or refused whichever
//!   backend verifies the signature afterwards;
//! - RSA peer keys under 2048 bits: aws-lc refuses them, RustCrypto verifies them (RFC 5246
//!   does not forbid them and some peers still use 1024-bit RSA).
//!
//! Randomness never comes from here: ECDHE private keys are drawn by the caller's `fill`
//! (the peer's seeded DTLS stream), and both backends derive identical public shares from the
//! same drawn bytes. The `rust_crypto` module is compiled in both builds so the tests can check
//! that parity byte for byte.

#[cfg(feature = "aws-lc-rs")]
mod aws_lc;
mod rust_crypto;

#[cfg(feature = "aws-lc-rs")]
use aws_lc as backend;
#[cfg(not(feature = "aws-lc-rs"))]
use rust_crypto as backend;

use p256::elliptic_curve::zeroize::Zeroize;

/// Hash of the PRF / transcript (TLS 1.2 cipher suites use SHA-256 or SHA-384).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashAlg {
    /// SHA-256: the PRF hash of every `*_SHA256` suite (RFC 5246 §5).
    Sha256,
    /// SHA-384: the PRF hash of the `*_SHA384` suites (RFC 5289 §3).
    Sha384,
}

impl HashAlg {
    /// Digest length in bytes: 32 or 48.
    #[allow(
        dead_code,
        reason = "seam API (verify_data and SRTP key sizes); not every caller is written yet"
    )]
    pub(crate) fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
        }
    }
}

/// A digest up to 48 bytes (SHA-256 or SHA-384), without allocation.
#[derive(Clone, Copy)]
pub(crate) struct Digest {
    bytes: [u8; 48],
    len: u8,
}

impl Digest {
    fn from_slice(digest: &[u8]) -> Self {
        let mut bytes = [0u8; 48];
        bytes[..digest.len()].copy_from_slice(digest);
        Self {
            bytes,
            len: digest.len() as u8,
        }
    }
}

impl AsRef<[u8]> for Digest {
    fn as_ref(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Transcript hashes are public values (both peers compute them from the wire).
        write!(f, "Digest(")?;
        for b in self.as_ref() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

/// Hash of the concatenation of `parts`.
pub(crate) fn hash(alg: HashAlg, parts: &[&[u8]]) -> Digest {
    rust_crypto::hash(alg, parts)
}

/// RFC 5246 §5 PRF: `P_<hash>(secret, label || seed_parts...)` filling `out` (any length).
///
/// The seed is given in parts (for example client_random and server_random) so callers never
/// concatenate.
pub(crate) fn prf(alg: HashAlg, secret: &[u8], label: &[u8], seed_parts: &[&[u8]], out: &mut [u8]) {
    rust_crypto::prf(alg, secret, label, seed_parts, out);
}

/// Constant-time equality (for Finished verify_data and tags, RFC 5246 §7.4.9: a timing
/// difference would leak how many leading bytes matched). Different lengths are unequal; the
/// lengths themselves are public.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Record AEADs (RFC 5288 AES-GCM, RFC 7905 ChaCha20-Poly1305); also SRTP's AEAD_AES_128_GCM /
/// AEAD_AES_256_GCM (RFC 7714).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AeadAlg {
    /// AES-128-GCM, 16-byte key.
    Aes128Gcm,
    /// AES-256-GCM, 32-byte key.
    Aes256Gcm,
    /// ChaCha20-Poly1305 (RFC 8439), 32-byte key.
    ChaCha20Poly1305,
}

impl AeadAlg {
    /// Every algorithm here has a 16-byte tag.
    pub(crate) const TAG_LEN: usize = 16;

    /// Key length in bytes: 16, 32, 32.
    pub(crate) fn key_len(self) -> usize {
        match self {
            Self::Aes128Gcm => 16,
            Self::Aes256Gcm | Self::ChaCha20Poly1305 => 32,
        }
    }
}

/// Failure to authenticate (the only AEAD error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AeadError;

/// An expanded AEAD key: the key schedule is done once, when the keys are derived, not per
/// record.
pub(crate) struct AeadKey {
    alg: AeadAlg,
    inner: backend::AeadKey,
}

impl std::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("AeadKey")
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl AeadKey {
    /// The key schedule of `key` for `alg`.
    ///
    /// # Panics
    /// If `key.len() != alg.key_len()`: keys come from our own key derivation, so a wrong length
    /// is a bug, not an input.
    pub(crate) fn new(alg: AeadAlg, key: &[u8]) -> Self {
        assert_eq!(
            key.len(),
            alg.key_len(),
            "invariant: the key block gives {alg:?} keys of its length"
        );
        Self {
            alg,
            inner: backend::AeadKey::new(alg, key),
        }
    }

    /// The algorithm.
    pub(crate) fn alg(&self) -> AeadAlg {
        self.alg
    }

    /// Encrypts in place. `in_out` is the plaintext followed by [`AeadAlg::TAG_LEN`] bytes of
    /// room: the plaintext becomes ciphertext and the tag is written into the last 16 bytes. No
    /// allocation.
    ///
    /// # Panics
    /// If `in_out` is shorter than the tag (the caller reserves the room).
    pub(crate) fn seal_in_place(&self, nonce: &[u8; 12], aad: &[u8], in_out: &mut [u8]) {
        let split = in_out
            .len()
            .checked_sub(AeadAlg::TAG_LEN)
            .expect("invariant: the caller reserves room for the tag");
        let (data, tag) = in_out.split_at_mut(split);
        tag.copy_from_slice(&self.inner.seal(nonce, aad, data));
    }

    /// Decrypts in place. `in_out` is ciphertext || tag; on success its first
    /// `len - TAG_LEN` bytes are the plaintext. On failure (a forged or damaged record, or fewer
    /// than 16 bytes) its contents are unspecified. No allocation.
    pub(crate) fn open_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<(), AeadError> {
        if in_out.len() < AeadAlg::TAG_LEN {
            return Err(AeadError);
        }
        self.inner.open(nonce, aad, in_out)
    }

    /// Decrypts out of place: `input` is ciphertext || tag, left as it was; on success `out`
    /// (exactly `input.len() - TAG_LEN` bytes) holds the plaintext. On failure (a forged or
    /// damaged record, fewer than 16 bytes of input, or `out` of another length) `out`'s
    /// contents are unspecified. No allocation. This is how a borrowed datagram is opened
    /// without first being copied.
    pub(crate) fn open_to(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        input: &[u8],
        out: &mut [u8],
    ) -> Result<(), AeadError> {
        if input.len() < AeadAlg::TAG_LEN || out.len() != input.len() - AeadAlg::TAG_LEN {
            return Err(AeadError);
        }
        self.inner.open_to(nonce, aad, input, out)
    }
}

/// AES in counter mode with a 128-bit big-endian counter: SRTP's AES-CM (RFC 3711 §4.1.1) and
/// its key derivation PRF (§4.3.3). The key schedule is done once; each call is one keystream
/// from `iv`.
pub(crate) struct AesCtrKey {
    inner: backend::AesCtrKey,
}

impl std::fmt::Debug for AesCtrKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("AesCtrKey").finish_non_exhaustive()
    }
}

impl AesCtrKey {
    /// The key schedule of a 16-byte (AES-128) or 32-byte (AES-256) key.
    ///
    /// # Panics
    /// On any other length: keys come from our own key derivation, so a wrong length is a bug.
    pub(crate) fn new(key: &[u8]) -> Self {
        assert!(
            key.len() == 16 || key.len() == 32,
            "invariant: AES-CM keys are 128 or 256 bits"
        );
        Self {
            inner: backend::AesCtrKey::new(key),
        }
    }

    /// XORs `data` with the keystream that starts at counter block `iv` (the counter is the
    /// whole 128-bit block, incremented big-endian). Encryption and decryption are the same
    /// operation. No allocation.
    pub(crate) fn apply_keystream(&self, iv: &[u8; 16], data: &mut [u8]) {
        self.inner.apply_keystream(iv, data);
    }
}

/// HMAC-SHA1 with its key absorbed once (SRTP's authentication, RFC 3711 §4.2.1).
pub(crate) struct HmacSha1Key {
    inner: backend::HmacSha1Key,
}

impl std::fmt::Debug for HmacSha1Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("HmacSha1Key").finish_non_exhaustive()
    }
}

impl HmacSha1Key {
    /// HMAC-SHA1 keyed with `key` (any length; SRTP's session authentication keys are 20 bytes).
    pub(crate) fn new(key: &[u8]) -> Self {
        Self {
            inner: backend::HmacSha1Key::new(key),
        }
    }

    /// The 20-byte MAC of the concatenation of `parts`. No allocation.
    pub(crate) fn sign(&self, parts: &[&[u8]]) -> [u8; 20] {
        self.inner.sign(parts)
    }
}

/// ECDHE groups (TLS NamedGroup code points, RFC 8422 §5.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    /// x25519 (RFC 7748), code 29.
    X25519,
    /// secp256r1 (NIST P-256), code 23.
    Secp256r1,
    /// secp384r1 (NIST P-384), code 24.
    Secp384r1,
}

impl Group {
    /// The NamedGroup code point.
    pub(crate) fn code(self) -> u16 {
        match self {
            Self::X25519 => 29,
            Self::Secp256r1 => 23,
            Self::Secp384r1 => 24,
        }
    }

    /// The group with code point `c`, if we support it.
    pub(crate) fn from_code(c: u16) -> Option<Self> {
        [Self::X25519, Self::Secp256r1, Self::Secp384r1]
            .into_iter()
            .find(|g| g.code() == c)
    }

    /// Private key length in bytes.
    fn secret_len(self) -> usize {
        match self {
            Self::X25519 | Self::Secp256r1 => 32,
            Self::Secp384r1 => 48,
        }
    }

    /// Public share length in bytes: 32 for X25519, an uncompressed SEC1 point for the NIST
    /// curves (RFC 8422 §5.4.1: uncompressed is the only format TLS 1.2 peers must support).
    fn public_len(self) -> usize {
        match self {
            Self::X25519 => 32,
            Self::Secp256r1 => 65,
            Self::Secp384r1 => 97,
        }
    }
}

/// Why a key exchange, a signature or a certificate was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CryptoError {
    /// The peer's ECDHE share is not a valid point (or gives an all-zero X25519 secret).
    #[error("invalid public key")]
    InvalidPublicKey,
    /// The signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// A SignatureScheme this key cannot make or check.
    #[error("unsupported signature scheme")]
    UnsupportedScheme,
    /// A key type or size we do not support.
    #[error("unsupported key")]
    UnsupportedKey,
    /// The certificate (or the key in it) does not parse.
    #[error("bad certificate")]
    BadCertificate,
}

/// Our ephemeral ECDHE share.
pub(crate) struct KeyShare {
    group: Group,
    public: [u8; 97],
    public_len: u8,
    secret: backend::Secret,
}

impl std::fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The public share only, never the private key.
        f.debug_struct("KeyShare")
            .field("group", &self.group)
            .field("public_len", &self.public_len)
            .finish_non_exhaustive()
    }
}

impl KeyShare {
    /// A fresh share whose private key bytes are drawn from `fill` (the peer's seeded DTLS
    /// stream, `crate::rng::Rng::fill_bytes`).
    ///
    /// P-256 / P-384 draw 32 / 48 bytes until they are a valid scalar in `[1, n)` (rejection
    /// sampling: uniform, and the same draws under both backends); X25519 takes 32 bytes as
    /// they come (RFC 7748 §5 clamps them). Both backends put the same public bytes on the wire
    /// for the same drawn bytes.
    pub(crate) fn generate(group: Group, fill: &mut dyn FnMut(&mut [u8])) -> Self {
        let mut buf = [0u8; 48];
        let drawn = &mut buf[..group.secret_len()];
        loop {
            fill(drawn);
            // The validity check is RustCrypto's in both builds, so the number of draws (and
            // with it the rest of the stream) never depends on the backend.
            if rust_crypto::is_valid_secret(group, drawn) {
                break;
            }
        }
        let mut public = [0u8; 97];
        let public_len = group.public_len();
        let secret = backend::Secret::new(group, drawn, &mut public[..public_len]);
        buf.zeroize();
        Self {
            group,
            public,
            public_len: public_len as u8,
            secret,
        }
    }

    /// The group.
    #[allow(dead_code, reason = "seam API; not every caller is written yet")]
    pub(crate) fn group(&self) -> Group {
        self.group
    }

    /// Our public share: 32 bytes for X25519; for the NIST curves an uncompressed SEC1 point
    /// (`0x04 || X || Y`).
    pub(crate) fn public(&self) -> &[u8] {
        &self.public[..usize::from(self.public_len)]
    }

    /// The premaster secret with the peer's share: RFC 8422 §5.10, the X coordinate for the
    /// NIST curves; the RFC 7748 output for X25519.
    ///
    /// Refuses (with [`CryptoError::InvalidPublicKey`], never a panic) a share of the wrong
    /// length, a compressed or otherwise non-uncompressed NIST point, a point not on the curve,
    /// and an X25519 share giving the all-zero secret (RFC 7748 §6.1: low-order points).
    pub(crate) fn agree(self, peer_public: &[u8]) -> Result<Vec<u8>, CryptoError> {
        // One format per group, checked here so both backends see the same inputs (RustCrypto
        // would also take compressed points, aws-lc also SubjectPublicKeyInfo).
        if peer_public.len() != self.group.public_len()
            || (self.group != Group::X25519 && peer_public[0] != 0x04)
        {
            return Err(CryptoError::InvalidPublicKey);
        }
        self.secret.agree(self.group, peer_public)
    }
}

/// TLS 1.2 SignatureAndHashAlgorithm code points we know (RFC 5246 §7.4.1.4.1; the RSA-PSS ones
/// are numbered as in RFC 8446 §4.2.3, which RFC 8446 §1.3 makes applicable to TLS 1.2).
pub(crate) mod scheme {
    /// ecdsa_secp256r1_sha256 (TLS 1.2: ECDSA with SHA-256, any curve).
    pub(crate) const ECDSA_SHA256: u16 = 0x0403;
    /// ecdsa_secp384r1_sha384 (TLS 1.2: ECDSA with SHA-384, any curve).
    pub(crate) const ECDSA_SHA384: u16 = 0x0503;
    /// ecdsa_secp521r1_sha512 (TLS 1.2: ECDSA with SHA-512, any curve).
    pub(crate) const ECDSA_SHA512: u16 = 0x0603;
    /// rsa_pkcs1_sha256.
    pub(crate) const RSA_PKCS1_SHA256: u16 = 0x0401;
    /// rsa_pkcs1_sha384.
    pub(crate) const RSA_PKCS1_SHA384: u16 = 0x0501;
    /// rsa_pkcs1_sha512.
    pub(crate) const RSA_PKCS1_SHA512: u16 = 0x0601;
    /// rsa_pss_rsae_sha256.
    pub(crate) const RSA_PSS_RSAE_SHA256: u16 = 0x0804;
    /// rsa_pss_rsae_sha384.
    pub(crate) const RSA_PSS_RSAE_SHA384: u16 = 0x0805;
    /// rsa_pss_rsae_sha512.
    pub(crate) const RSA_PSS_RSAE_SHA512: u16 = 0x0806;
    /// What we accept from peers, in our preference order (for signature_algorithms).
    pub(crate) const VERIFY: &[u16] = &[
        ECDSA_SHA256,
        ECDSA_SHA384,
        RSA_PSS_RSAE_SHA256,
        RSA_PSS_RSAE_SHA384,
        RSA_PKCS1_SHA256,
        RSA_PKCS1_SHA384,
        ECDSA_SHA512,
        RSA_PSS_RSAE_SHA512,
        RSA_PKCS1_SHA512,
    ];
}

/// The signature algorithm half of a scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SigAlg {
    Ecdsa,
    RsaPkcs1,
    /// RSASSA-PSS, salt length = hash length, MGF1 with the same hash (RFC 8446 §4.2.3).
    RsaPss,
}

/// The hash half of a scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SigHash {
    Sha256,
    Sha384,
    Sha512,
}

/// Splits a known scheme into its two halves.
fn split_scheme(code: u16) -> Option<(SigAlg, SigHash)> {
    use scheme::*;
    Some(match code {
        ECDSA_SHA256 => (SigAlg::Ecdsa, SigHash::Sha256),
        ECDSA_SHA384 => (SigAlg::Ecdsa, SigHash::Sha384),
        ECDSA_SHA512 => (SigAlg::Ecdsa, SigHash::Sha512),
        RSA_PKCS1_SHA256 => (SigAlg::RsaPkcs1, SigHash::Sha256),
        RSA_PKCS1_SHA384 => (SigAlg::RsaPkcs1, SigHash::Sha384),
        RSA_PKCS1_SHA512 => (SigAlg::RsaPkcs1, SigHash::Sha512),
        RSA_PSS_RSAE_SHA256 => (SigAlg::RsaPss, SigHash::Sha256),
        RSA_PSS_RSAE_SHA384 => (SigAlg::RsaPss, SigHash::Sha384),
        RSA_PSS_RSAE_SHA512 => (SigAlg::RsaPss, SigHash::Sha512),
        _ => return None,
    })
}

/// What kind of key (for choosing ECDHE_ECDSA vs ECDHE_RSA suites).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// ECDSA on P-256.
    EcdsaP256,
    /// ECDSA on P-384.
    EcdsaP384,
    /// RSA (1024 to 8192 bits).
    Rsa,
}

/// The public key of a peer's certificate.
pub(crate) struct PeerKey {
    /// Parsed and validated by RustCrypto in both builds (the same certificates are accepted);
    /// the verifier in the default build.
    key: rust_crypto::PeerKey,
    /// The aws-lc verifier; `None` for RSA keys under 2048 bits, which aws-lc refuses and
    /// RustCrypto verifies.
    #[cfg(feature = "aws-lc-rs")]
    fast: Option<aws_lc::PeerKey>,
}

impl std::fmt::Debug for PeerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerKey")
            .field("kind", &self.kind())
            .finish_non_exhaustive()
    }
}

/// id-ecPublicKey (RFC 5480 §2.1.1).
const OID_EC_PUBLIC_KEY: x509_cert::der::asn1::ObjectIdentifier =
    x509_cert::der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// secp256r1 (RFC 5480 §2.1.1.1).
const OID_SECP256R1: x509_cert::der::asn1::ObjectIdentifier =
    x509_cert::der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// secp384r1 (RFC 5480 §2.1.1.1).
const OID_SECP384R1: x509_cert::der::asn1::ObjectIdentifier =
    x509_cert::der::asn1::ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// rsaEncryption (RFC 8017 Appendix C, RFC 3279 §2.3.1).
const OID_RSA_ENCRYPTION: x509_cert::der::asn1::ObjectIdentifier =
    x509_cert::der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

impl PeerKey {
    /// Parses the X.509 DER certificate and loads its SubjectPublicKeyInfo: id-ecPublicKey with
    /// P-256 or P-384, or rsaEncryption with 1024..=8192 bits. Another key type or size is
    /// [`CryptoError::UnsupportedKey`]; an unparsable certificate or key is
    /// [`CryptoError::BadCertificate`]. Never panics.
    ///
    /// Only the key is read: WebRTC authenticates the certificate by its fingerprint
    /// (RFC 8122 §5), not by a chain, names or validity dates.
    pub(crate) fn from_certificate(der: &[u8]) -> Result<Self, CryptoError> {
        use x509_cert::der::Decode;
        let cert =
            x509_cert::Certificate::from_der(der).map_err(|_| CryptoError::BadCertificate)?;
        let spki = cert.tbs_certificate().subject_public_key_info();
        let key_bytes = spki
            .subject_public_key
            .as_bytes()
            .ok_or(CryptoError::BadCertificate)?;
        let key = match spki.algorithm.oid {
            OID_EC_PUBLIC_KEY => {
                // RFC 5480 §2.1.1: namedCurve parameters (implicitCA and specifiedCurve are
                // not allowed in PKIX).
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .ok_or(CryptoError::BadCertificate)?
                    .decode_as::<x509_cert::der::asn1::ObjectIdentifier>()
                    .map_err(|_| CryptoError::UnsupportedKey)?;
                let kind = match curve {
                    OID_SECP256R1 => KeyKind::EcdsaP256,
                    OID_SECP384R1 => KeyKind::EcdsaP384,
                    _ => return Err(CryptoError::UnsupportedKey),
                };
                rust_crypto::PeerKey::ec(kind, key_bytes)?
            }
            OID_RSA_ENCRYPTION => rust_crypto::PeerKey::rsa(key_bytes)?,
            _ => return Err(CryptoError::UnsupportedKey),
        };
        Ok(Self {
            #[cfg(feature = "aws-lc-rs")]
            fast: aws_lc::PeerKey::new(&key, key_bytes),
            key,
        })
    }

    /// What kind of key.
    pub(crate) fn kind(&self) -> KeyKind {
        self.key.kind()
    }

    /// Whether `scheme` can be verified with this key: the ECDSA schemes for EC keys (in TLS 1.2
    /// the curve is not bound to the hash, RFC 5246 §7.4.1.4.1, so ECDSA_SHA384 with a P-256
    /// key is valid), the RSA schemes for RSA keys.
    pub(crate) fn supports(&self, scheme: u16) -> bool {
        matches!(
            (split_scheme(scheme), self.kind()),
            (
                Some((SigAlg::Ecdsa, _)),
                KeyKind::EcdsaP256 | KeyKind::EcdsaP384
            ) | (Some((SigAlg::RsaPkcs1 | SigAlg::RsaPss, _)), KeyKind::Rsa)
        )
    }

    /// Verifies `signature` (ECDSA: DER-encoded `Ecdsa-Sig-Value`; RSA: the raw signature, as
    /// long as the modulus) over `message`, hashed here with the scheme's hash. PSS: salt length
    /// = hash length, MGF1 with the same hash (RFC 8446 §4.2.3).
    pub(crate) fn verify(
        &self,
        scheme: u16,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        if !self.supports(scheme) {
            return Err(CryptoError::UnsupportedScheme);
        }
        let (alg, hash) = split_scheme(scheme).ok_or(CryptoError::UnsupportedScheme)?;
        #[cfg(feature = "aws-lc-rs")]
        if let Some(fast) = &self.fast {
            return fast.verify(alg, hash, message, signature);
        }
        self.key.verify(alg, hash, message, signature)
    }
}

/// Our signing key (from our certificate's PKCS#8 or SEC1 DER: P-256 or P-384).
pub(crate) struct SigningKey {
    key: rust_crypto::SigningKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("SigningKey")
            .field("kind", &self.kind())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Loads a PKCS#8 (RFC 5958) or SEC1 (RFC 5915) DER EC private key on P-256 or P-384;
    /// anything else is [`CryptoError::UnsupportedKey`].
    ///
    /// The public key is not derived (and an embedded one not checked against the secret): keys
    /// are loaded per connection and a scalar multiplication would be most of the cost. A key
    /// that does not match its certificate makes signatures the peer refuses.
    pub(crate) fn from_der(private_key: &[u8]) -> Result<Self, CryptoError> {
        Ok(Self {
            key: rust_crypto::SigningKey::from_der(private_key)?,
        })
    }

    /// What kind of key.
    pub(crate) fn kind(&self) -> KeyKind {
        self.key.kind()
    }

    /// The schemes this key signs, preferred first: P-256: `[ECDSA_SHA256, ECDSA_SHA384]`;
    /// P-384: `[ECDSA_SHA384, ECDSA_SHA256]`.
    pub(crate) fn schemes(&self) -> &'static [u16] {
        match self.kind() {
            KeyKind::EcdsaP384 => &[scheme::ECDSA_SHA384, scheme::ECDSA_SHA256],
            _ => &[scheme::ECDSA_SHA256, scheme::ECDSA_SHA384],
        }
    }

    /// RFC 6979 deterministic ECDSA over the scheme's hash of `message`, DER-encoded.
    /// [`CryptoError::UnsupportedScheme`] for a scheme not in [`Self::schemes`]. The bytes are
    /// the same under both backends: RustCrypto signs, except that with `aws-lc-rs` a P-256 key
    /// signing SHA-256 (what WebRTC certificates do) has aws-lc compute k·G (`aws_lc::sign_p256`).
    pub(crate) fn sign(&self, scheme: u16, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let hash = match scheme {
            _ if !self.schemes().contains(&scheme) => return Err(CryptoError::UnsupportedScheme),
            scheme::ECDSA_SHA384 => SigHash::Sha384,
            _ => SigHash::Sha256,
        };
        #[cfg(feature = "aws-lc-rs")]
        if let (rust_crypto::SigningKey::P256(d), SigHash::Sha256) = (&self.key, hash) {
            use sha2::Digest as _;
            let z: [u8; 32] = sha2::Sha256::digest(message).into();
            return Ok(aws_lc::sign_p256(d, &z).to_der().as_bytes().to_vec());
        }
        Ok(self.key.sign(hash, message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_util::unhex;

    // ---------------------------------------------------------------- hashes, PRF, ct_eq

    #[test]
    fn hash_known_answers_and_parts() {
        // FIPS 180-2 Appendix B.1 and D.1: the digests of "abc".
        let d = hash(HashAlg::Sha256, &[b"abc"]);
        assert_eq!(
            d.as_ref(),
            unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        let d = hash(HashAlg::Sha384, &[b"a", b"", b"bc"]);
        assert_eq!(
            d.as_ref(),
            unhex(
                "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed
                 8086072ba1e7cc2358baeca134c825a7"
            )
        );
        assert_eq!(HashAlg::Sha256.output_len(), 32);
        assert_eq!(HashAlg::Sha384.output_len(), 48);
        assert_eq!(hash(HashAlg::Sha384, &[]).as_ref().len(), 48);
    }

    /// The TLS 1.2 PRF test vectors posted to the IETF TLS list
    /// (https://www.ietf.org/mail-archive/web/tls/current/msg03416.html), as used by GnuTLS'
    /// tests/tls12-prf.c and dimpl's prf_tls12_sha256 test.
    #[test]
    fn prf_sha256_known_answer() {
        let secret = unhex("9bbe436ba940f017b17652849a71db35");
        let seed = unhex("a0ba9f936cda311827a6f796ffd5198c");
        let want = unhex(
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a
             6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab
             4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701
             87347b66",
        );
        let mut out = [0u8; 100];
        prf(HashAlg::Sha256, &secret, b"test label", &[&seed], &mut out);
        assert_eq!(out[..], want[..]);
        // The seed split into parts, and a shorter output (a prefix of the longer one).
        let mut out = [0u8; 45];
        prf(
            HashAlg::Sha256,
            &secret,
            b"test label",
            &[&seed[..3], &[], &seed[3..]],
            &mut out,
        );
        assert_eq!(out[..], want[..45]);
    }

    /// Same source: the SHA-384 vector, 148 bytes.
    #[test]
    fn prf_sha384_known_answer() {
        let secret = unhex("b80b733d6ceefcdc71566ea48e5567df");
        let seed = unhex("cd665cf6a8447dd6ff8b27555edb7465");
        let want = unhex(
            "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd
             e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd
             8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425
             9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6
             91c8f3a26854308d5eaa3be85e0990703d73e56f",
        );
        assert_eq!(want.len(), 148);
        let mut out = [0u8; 148];
        prf(HashAlg::Sha384, &secret, b"test label", &[&seed], &mut out);
        assert_eq!(out[..], want[..]);
        let mut empty = [0u8; 0];
        prf(
            HashAlg::Sha384,
            &secret,
            b"test label",
            &[&seed],
            &mut empty,
        );
    }

    #[test]
    fn ct_eq_compares_bytes_and_lengths() {
        assert!(ct_eq(b"", b""));
        assert!(ct_eq(b"verify_data!", b"verify_data!"));
        assert!(!ct_eq(b"verify_data!", b"verify_data?"));
        assert!(!ct_eq(b"verify_data", b"verify_data!"));
        assert!(!ct_eq(b"", b"x"));
    }

    // ---------------------------------------------------------------- AEADs

    struct AeadVector {
        alg: AeadAlg,
        key: &'static str,
        nonce: &'static str,
        aad: &'static str,
        plaintext: &'static str,
        ciphertext: &'static str,
        tag: &'static str,
    }

    /// The GCM plaintext of McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)",
    /// test cases 4 and 16 (60 bytes).
    const GCM_P: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
                         1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";

    const AEAD_VECTORS: &[AeadVector] = &[
        // McGrew & Viega GCM spec, Test Case 4: AES-128, 96-bit IV, 20 bytes of AAD.
        AeadVector {
            alg: AeadAlg::Aes128Gcm,
            key: "feffe9928665731c6d6a8f9467308308",
            nonce: "cafebabefacedbaddecaf888",
            aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            plaintext: GCM_P,
            ciphertext: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e
                         21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
            tag: "5bc94fbc3221a5db94fae95ae7121a47",
        },
        // Same document, Test Case 16: AES-256, 96-bit IV, 20 bytes of AAD.
        AeadVector {
            alg: AeadAlg::Aes256Gcm,
            key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            nonce: "cafebabefacedbaddecaf888",
            aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            plaintext: GCM_P,
            ciphertext: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
                         8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            tag: "76fc6ece0f4e1768cddf8853bb2d551b",
        },
        // RFC 8439 §2.8.2: "Ladies and Gentlemen of the class of '99: If I could offer you
        // only one tip for the future, sunscreen would be it."
        AeadVector {
            alg: AeadAlg::ChaCha20Poly1305,
            key: "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
            nonce: "070000004041424344454647",
            aad: "50515253c0c1c2c3c4c5c6c7",
            plaintext: "4c616469657320616e642047656e746c656d656e206f662074686520636c6173
                        73206f66202739393a204966204920636f756c64206f6666657220796f75206f
                        6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73
                        637265656e20776f756c642062652069742e",
            ciphertext: "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6
                         3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36
                         92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
                         3ff4def08e4b7a9de576d26586cec64b6116",
            tag: "1ae10b594f09e26a7e902ecbd0600691",
        },
    ];

    #[test]
    fn aead_known_answers_seal_and_open() {
        for v in AEAD_VECTORS {
            let key = AeadKey::new(v.alg, &unhex(v.key));
            assert_eq!(key.alg(), v.alg);
            assert_eq!(v.alg.key_len(), unhex(v.key).len());
            let nonce: [u8; 12] = unhex(v.nonce).try_into().unwrap();
            let aad = unhex(v.aad);
            let plaintext = unhex(v.plaintext);
            let want = [unhex(v.ciphertext), unhex(v.tag)].concat();

            let mut buf = plaintext.clone();
            buf.extend_from_slice(&[0u8; AeadAlg::TAG_LEN]);
            key.seal_in_place(&nonce, &aad, &mut buf);
            assert_eq!(buf, want, "{:?} seal", v.alg);

            let mut opened = want.clone();
            key.open_in_place(&nonce, &aad, &mut opened).unwrap();
            assert_eq!(opened[..plaintext.len()], plaintext[..], "{:?} open", v.alg);
            // Out of place: the same plaintext, the input untouched; `out` of another length
            // (or a record shorter than the tag) is refused.
            let mut out = vec![0u8; plaintext.len()];
            key.open_to(&nonce, &aad, &want, &mut out).unwrap();
            assert_eq!(out, plaintext, "{:?} open_to", v.alg);
            for wrong in [plaintext.len() - 1, plaintext.len() + 1] {
                let mut out = vec![0u8; wrong];
                assert_eq!(key.open_to(&nonce, &aad, &want, &mut out), Err(AeadError));
            }
            assert_eq!(
                key.open_to(&nonce, &aad, &want[..15], &mut []),
                Err(AeadError)
            );
            let mut bad = want.clone();
            bad[0] ^= 0x01;
            assert_eq!(key.open_to(&nonce, &aad, &bad, &mut out), Err(AeadError));

            // Any flipped bit (ciphertext, tag, AAD, nonce) fails authentication.
            for i in [0, plaintext.len() - 1, plaintext.len(), want.len() - 1] {
                let mut bad = want.clone();
                bad[i] ^= 0x01;
                assert_eq!(key.open_in_place(&nonce, &aad, &mut bad), Err(AeadError));
            }
            let mut bad_aad = aad.clone();
            bad_aad[0] ^= 0x80;
            assert_eq!(
                key.open_in_place(&nonce, &bad_aad, &mut want.clone()),
                Err(AeadError)
            );
            let mut bad_nonce = nonce;
            bad_nonce[11] ^= 0x01;
            assert_eq!(
                key.open_in_place(&bad_nonce, &aad, &mut want.clone()),
                Err(AeadError)
            );
            // A truncated record: missing tag bytes, or nothing at all.
            assert_eq!(
                key.open_in_place(&nonce, &aad, &mut want[..15].to_vec()),
                Err(AeadError)
            );
            assert_eq!(key.open_in_place(&nonce, &aad, &mut []), Err(AeadError));
        }
    }

    #[test]
    fn aead_empty_plaintext_round_trip() {
        for alg in [
            AeadAlg::Aes128Gcm,
            AeadAlg::Aes256Gcm,
            AeadAlg::ChaCha20Poly1305,
        ] {
            let key = AeadKey::new(alg, &vec![7u8; alg.key_len()]);
            let mut buf = [0u8; AeadAlg::TAG_LEN];
            key.seal_in_place(&[1; 12], b"hdr", &mut buf);
            key.open_in_place(&[1; 12], b"hdr", &mut buf.clone())
                .unwrap();
            buf[3] ^= 4;
            assert_eq!(
                key.open_in_place(&[1; 12], b"hdr", &mut buf),
                Err(AeadError)
            );
            assert!(!format!("{key:?}").contains("07"));
        }
    }

    #[test]
    #[should_panic(expected = "invariant")]
    fn aead_key_of_the_wrong_length_is_a_bug() {
        let _ = AeadKey::new(AeadAlg::Aes256Gcm, &[0u8; 16]);
    }

    // ---------------------------------------------------------------- ECDHE

    /// A `fill` that hands out `draws` in order (each exactly the requested length).
    fn replay(draws: Vec<Vec<u8>>) -> impl FnMut(&mut [u8]) {
        let mut draws = draws.into_iter();
        move |buf: &mut [u8]| buf.copy_from_slice(&draws.next().expect("enough draws"))
    }

    #[test]
    fn group_code_points() {
        for (g, code) in [
            (Group::X25519, 29),
            (Group::Secp256r1, 23),
            (Group::Secp384r1, 24),
        ] {
            assert_eq!(g.code(), code);
            assert_eq!(Group::from_code(code), Some(g));
        }
        assert_eq!(Group::from_code(25), None); // secp521r1: not supported
        assert_eq!(Group::from_code(30), None); // x448: not supported
    }

    /// RFC 7748 §6.1: Alice's private key through `generate`, Bob's public key, the shared
    /// secret.
    #[test]
    fn x25519_rfc7748_vector() {
        let alice = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let alice_public =
            unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        let bob_public = unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        let shared = unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        let share = KeyShare::generate(Group::X25519, &mut replay(vec![alice]));
        assert_eq!(share.group(), Group::X25519);
        assert_eq!(share.public(), alice_public);
        assert_eq!(share.agree(&bob_public).unwrap(), shared);
    }

    /// RFC 5903 §8.1 (256-bit random ECP group) and §8.2 (384-bit): the initiator's private key
    /// `i` through `generate`, its public key `g^i`, the responder's `g^r`, and the shared
    /// secret's X coordinate (`g^ir` x, the TLS premaster secret of RFC 8422 §5.10).
    #[test]
    fn nist_rfc5903_vectors() {
        let cases = [
            (
                Group::Secp256r1,
                "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
                "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180
                 5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
                "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63
                 56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
                "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de",
            ),
            (
                Group::Secp384r1,
                "099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655
                 e35b538041e649ee3faef896783ab194",
                "667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6
                 de3ac808acb4bdb4c88732aee95f41aa
                 9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38e
                 eb9fcff3c2c947dae69b4c634573a81c",
                "e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d
                 0d1ac43a0336def96fda41d0774a3571
                 dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1ff
                 f83fa40142209dff5eaad96db9e6386c",
                "11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4
                 d603135569b9e9d09cf5d4a270f59746",
            ),
        ];
        for (group, i, gi, gr, girx) in cases {
            let share = KeyShare::generate(group, &mut replay(vec![unhex(i)]));
            assert_eq!(share.public(), [&[4u8][..], &unhex(gi)].concat());
            let peer = [&[4u8][..], &unhex(gr)].concat();
            assert_eq!(share.agree(&peer).unwrap(), unhex(girx), "{group:?}");
        }
    }

    #[test]
    fn nist_secrets_are_rejection_sampled() {
        // All-ones is above the group order of both curves, zero is not a valid scalar: both
        // are drawn again, and the third draw is the key.
        for (group, len) in [(Group::Secp256r1, 32), (Group::Secp384r1, 48)] {
            let good = vec![0x42u8; len];
            let mut draws = 0;
            let mut inner = replay(vec![vec![0xff; len], vec![0; len], good.clone()]);
            let mut fill = |buf: &mut [u8]| {
                draws += 1;
                inner(buf)
            };
            let share = KeyShare::generate(group, &mut fill);
            let direct = KeyShare::generate(group, &mut replay(vec![good]));
            assert_eq!(share.public(), direct.public());
            assert_eq!(draws, 3);
        }
    }

    #[test]
    fn both_sides_agree_in_every_group() {
        let mut rng = crate::rng::RngRoot::from_seed(7).stream(crate::rng::Stream::Dtls);
        for group in [Group::X25519, Group::Secp256r1, Group::Secp384r1] {
            let a = KeyShare::generate(group, &mut |b| rng.fill_bytes(b));
            let b = KeyShare::generate(group, &mut |b| rng.fill_bytes(b));
            assert_eq!(a.public().len(), group.public_len());
            assert_ne!(a.public(), b.public());
            assert!(!format!("{a:?}").is_empty());
            let (a_pub, b_pub) = (a.public().to_vec(), b.public().to_vec());
            let ab = a.agree(&b_pub).unwrap();
            let ba = b.agree(&a_pub).unwrap();
            assert_eq!(ab, ba);
            assert_eq!(ab.len(), group.secret_len());
        }
    }

    #[test]
    fn key_shares_replay_from_the_seed() {
        for group in [Group::X25519, Group::Secp256r1, Group::Secp384r1] {
            let publics: Vec<Vec<u8>> = (0..2)
                .map(|_| {
                    let mut rng =
                        crate::rng::RngRoot::from_seed(99).stream(crate::rng::Stream::Dtls);
                    KeyShare::generate(group, &mut |b| rng.fill_bytes(b))
                        .public()
                        .to_vec()
                })
                .collect();
            assert_eq!(publics[0], publics[1]);
        }
    }

    #[test]
    fn invalid_peer_shares_are_refused_without_panicking() {
        let mut rng = crate::rng::RngRoot::from_seed(3).stream(crate::rng::Stream::Dtls);
        let mut share = |g| KeyShare::generate(g, &mut |b| rng.fill_bytes(b));
        let valid_p256 = share(Group::Secp256r1).public().to_vec();
        let valid_p384 = share(Group::Secp384r1).public().to_vec();
        let off_curve = |valid: &[u8]| {
            let mut p = valid.to_vec();
            *p.last_mut().unwrap() ^= 1;
            p
        };
        let compressed = |valid: &[u8]| {
            let x_len = (valid.len() - 1) / 2;
            let mut p = vec![2 | (valid.last().unwrap() & 1)];
            p.extend_from_slice(&valid[1..=x_len]);
            p
        };
        let cases: Vec<(Group, Vec<u8>)> = vec![
            // RFC 7748 §6.1: the all-zero shared secret of low-order points (u = 0 and u = 1,
            // order 4; clamping makes the scalar a multiple of 8).
            (Group::X25519, vec![0; 32]),
            (Group::X25519, [&[1u8][..], &[0; 31]].concat()),
            (Group::X25519, vec![0x11; 31]),
            (Group::X25519, vec![0x11; 33]),
            (Group::X25519, vec![]),
            (Group::Secp256r1, off_curve(&valid_p256)),
            (Group::Secp256r1, compressed(&valid_p256)),
            (Group::Secp256r1, [&[4u8][..], &[0; 64]].concat()),
            (Group::Secp256r1, [&[4u8][..], &[0xff; 64]].concat()),
            (Group::Secp256r1, vec![0]), // the point at infinity
            (Group::Secp256r1, valid_p256[..64].to_vec()),
            (Group::Secp256r1, valid_p384.clone()),
            (Group::Secp256r1, vec![]),
            (Group::Secp384r1, off_curve(&valid_p384)),
            (Group::Secp384r1, compressed(&valid_p384)),
            (Group::Secp384r1, [&[4u8][..], &[0; 96]].concat()),
            (Group::Secp384r1, valid_p256.clone()),
            (Group::Secp384r1, vec![]),
        ];
        for (group, peer) in cases {
            assert_eq!(
                share(group).agree(&peer),
                Err(CryptoError::InvalidPublicKey),
                "{group:?} {peer:02x?}"
            );
        }
        // A compressed share is valid SEC1, just not what TLS 1.2 peers send (RFC 8422
        // §5.1.2): refused the same way.
        assert_eq!(compressed(&valid_p256).len(), 33);
    }

    // ---------------------------------------------------------------- signatures

    const MESSAGE: &[u8] = include_bytes!("testdata/message.bin");

    fn generated_certificate() -> crate::dtls::Certificate {
        crate::dtls::Certificate::generate(
            &mut crate::rng::RngRoot::from_seed(1).stream(crate::rng::Stream::Certificate),
        )
    }

    #[test]
    fn p256_sign_verify_round_trip() {
        let cert = generated_certificate();
        let key = SigningKey::from_der(&cert.private_key_pkcs8).unwrap();
        assert_eq!(key.kind(), KeyKind::EcdsaP256);
        assert_eq!(key.schemes(), [scheme::ECDSA_SHA256, scheme::ECDSA_SHA384]);
        assert!(!format!("{key:?}").is_empty());
        let peer = PeerKey::from_certificate(cert.der()).unwrap();
        assert_eq!(peer.kind(), KeyKind::EcdsaP256);
        for &s in key.schemes() {
            let sig = key.sign(s, MESSAGE).unwrap();
            // RFC 6979: deterministic.
            assert_eq!(sig, key.sign(s, MESSAGE).unwrap());
            peer.verify(s, MESSAGE, &sig).unwrap();
            assert_eq!(
                peer.verify(s, b"another message", &sig),
                Err(CryptoError::BadSignature)
            );
            let mut bad = sig.clone();
            *bad.last_mut().unwrap() ^= 1;
            assert_eq!(
                peer.verify(s, MESSAGE, &bad),
                Err(CryptoError::BadSignature)
            );
        }
        // Signed with SHA-256, checked as SHA-384: refused.
        let sig = key.sign(scheme::ECDSA_SHA256, MESSAGE).unwrap();
        assert_eq!(
            peer.verify(scheme::ECDSA_SHA384, MESSAGE, &sig),
            Err(CryptoError::BadSignature)
        );
        assert_eq!(
            key.sign(scheme::ECDSA_SHA512, MESSAGE),
            Err(CryptoError::UnsupportedScheme)
        );
        assert_eq!(
            key.sign(scheme::RSA_PSS_RSAE_SHA256, MESSAGE),
            Err(CryptoError::UnsupportedScheme)
        );
        assert_eq!(
            peer.verify(scheme::RSA_PKCS1_SHA256, MESSAGE, &sig),
            Err(CryptoError::UnsupportedScheme)
        );
        assert_eq!(
            peer.verify(0x0807, MESSAGE, &sig), // ed25519: not a scheme we know
            Err(CryptoError::UnsupportedScheme)
        );
    }

    /// Our P-256 signatures are the bytes `p256::ecdsa::SigningKey` makes (what we signed with
    /// before this module, through dimpl): RFC 6979 with SHA-256 for the nonce, whatever the
    /// message hash.
    #[test]
    fn p256_signatures_match_p256_signing_key() {
        use ecdsa::signature::hazmat::PrehashSigner;
        use p256::pkcs8::DecodePrivateKey;
        use sha2::Digest as _;
        let cert = generated_certificate();
        let key = SigningKey::from_der(&cert.private_key_pkcs8).unwrap();
        let reference = p256::ecdsa::SigningKey::from(
            p256::SecretKey::from_pkcs8_der(&cert.private_key_pkcs8).unwrap(),
        );
        for (s, prehash) in [
            (scheme::ECDSA_SHA256, sha2::Sha256::digest(MESSAGE).to_vec()),
            (scheme::ECDSA_SHA384, sha2::Sha384::digest(MESSAGE).to_vec()),
        ] {
            let want: p256::ecdsa::Signature = reference.sign_prehash(&prehash).unwrap();
            assert_eq!(key.sign(s, MESSAGE).unwrap(), want.to_der().as_bytes());
        }
    }

    #[test]
    fn p256_key_verifies_every_ecdsa_hash() {
        // TLS 1.2 does not bind the hash to the curve (RFC 5246 §7.4.1.4.1): a P-256 key with
        // SHA-512, signed here by p256's own signer.
        use ecdsa::signature::hazmat::PrehashSigner;
        use p256::pkcs8::DecodePrivateKey;
        use sha2::Digest as _;
        let cert = generated_certificate();
        let reference = p256::ecdsa::SigningKey::from(
            p256::SecretKey::from_pkcs8_der(&cert.private_key_pkcs8).unwrap(),
        );
        let sig: p256::ecdsa::Signature = reference
            .sign_prehash(&sha2::Sha512::digest(MESSAGE))
            .unwrap();
        let peer = PeerKey::from_certificate(cert.der()).unwrap();
        peer.verify(scheme::ECDSA_SHA512, MESSAGE, sig.to_der().as_bytes())
            .unwrap();
        assert!(peer.supports(scheme::ECDSA_SHA512));
        assert!(!peer.supports(scheme::RSA_PSS_RSAE_SHA256));
    }

    #[test]
    fn p384_keys_from_pkcs8_and_sec1() {
        let cert = include_bytes!("testdata/p384.cert.der");
        let peer = PeerKey::from_certificate(cert).unwrap();
        assert_eq!(peer.kind(), KeyKind::EcdsaP384);
        // OpenSSL's own ECDSA-SHA384 signature.
        peer.verify(
            scheme::ECDSA_SHA384,
            MESSAGE,
            include_bytes!("testdata/p384_ecdsa_sha384.sig"),
        )
        .unwrap();
        let pkcs8 = SigningKey::from_der(include_bytes!("testdata/p384.pk8.der")).unwrap();
        let sec1 = SigningKey::from_der(include_bytes!("testdata/p384.sec1.der")).unwrap();
        assert_eq!(pkcs8.kind(), KeyKind::EcdsaP384);
        assert_eq!(
            pkcs8.schemes(),
            [scheme::ECDSA_SHA384, scheme::ECDSA_SHA256]
        );
        for &s in pkcs8.schemes() {
            let sig = pkcs8.sign(s, MESSAGE).unwrap();
            // The same key in either container signs the same bytes.
            assert_eq!(sig, sec1.sign(s, MESSAGE).unwrap());
            peer.verify(s, MESSAGE, &sig).unwrap();
            assert_eq!(
                peer.verify(s, &MESSAGE[1..], &sig),
                Err(CryptoError::BadSignature)
            );
        }
    }

    #[test]
    fn p256_sec1_key_and_openssl_signature() {
        let peer = PeerKey::from_certificate(include_bytes!("testdata/p256.cert.der")).unwrap();
        peer.verify(
            scheme::ECDSA_SHA256,
            MESSAGE,
            include_bytes!("testdata/p256_ecdsa_sha256.sig"),
        )
        .unwrap();
        let key = SigningKey::from_der(include_bytes!("testdata/p256.sec1.der")).unwrap();
        assert_eq!(key.kind(), KeyKind::EcdsaP256);
        let sig = key.sign(scheme::ECDSA_SHA384, MESSAGE).unwrap();
        peer.verify(scheme::ECDSA_SHA384, MESSAGE, &sig).unwrap();
    }

    /// RSA verification against OpenSSL-made signatures (testdata/README.md): 2048 bits (aws-lc
    /// verifies it under the feature) and 1024 bits (RustCrypto in both builds).
    #[test]
    fn rsa_pkcs1_and_pss_signatures() {
        /// A certificate and (scheme, signature of MESSAGE) pairs.
        type Fixture = (&'static [u8], [(u16, &'static [u8]); 4]);
        let cases: [Fixture; 2] = [
            (
                include_bytes!("testdata/rsa2048.cert.der"),
                [
                    (
                        scheme::RSA_PKCS1_SHA256,
                        include_bytes!("testdata/rsa2048_pkcs1_sha256.sig"),
                    ),
                    (
                        scheme::RSA_PKCS1_SHA384,
                        include_bytes!("testdata/rsa2048_pkcs1_sha384.sig"),
                    ),
                    (
                        scheme::RSA_PSS_RSAE_SHA256,
                        include_bytes!("testdata/rsa2048_pss_sha256.sig"),
                    ),
                    (
                        scheme::RSA_PSS_RSAE_SHA384,
                        include_bytes!("testdata/rsa2048_pss_sha384.sig"),
                    ),
                ],
            ),
            (
                include_bytes!("testdata/rsa1024.cert.der"),
                [
                    (
                        scheme::RSA_PKCS1_SHA256,
                        include_bytes!("testdata/rsa1024_pkcs1_sha256.sig"),
                    ),
                    (
                        scheme::RSA_PKCS1_SHA384,
                        include_bytes!("testdata/rsa1024_pkcs1_sha384.sig"),
                    ),
                    (
                        scheme::RSA_PSS_RSAE_SHA256,
                        include_bytes!("testdata/rsa1024_pss_sha256.sig"),
                    ),
                    (
                        scheme::RSA_PSS_RSAE_SHA384,
                        include_bytes!("testdata/rsa1024_pss_sha384.sig"),
                    ),
                ],
            ),
        ];
        for (cert, sigs) in cases {
            let peer = PeerKey::from_certificate(cert).unwrap();
            assert_eq!(peer.kind(), KeyKind::Rsa);
            assert!(!peer.supports(scheme::ECDSA_SHA256));
            for (s, sig) in sigs {
                assert!(peer.supports(s));
                peer.verify(s, MESSAGE, sig).unwrap();
                assert_eq!(
                    peer.verify(s, b"not the message", sig),
                    Err(CryptoError::BadSignature)
                );
                let mut bad = sig.to_vec();
                bad[10] ^= 0x40;
                assert_eq!(
                    peer.verify(s, MESSAGE, &bad),
                    Err(CryptoError::BadSignature)
                );
                assert_eq!(
                    peer.verify(s, MESSAGE, &sig[1..]),
                    Err(CryptoError::BadSignature)
                );
                assert_eq!(
                    peer.verify(scheme::ECDSA_SHA256, MESSAGE, sig),
                    Err(CryptoError::UnsupportedScheme)
                );
            }
            // The padding is part of the scheme: a PSS signature is not a PKCS#1 one, and the
            // hash is too.
            let [(_, pkcs1_256), (_, pkcs1_384), (_, pss_256), _] = sigs;
            assert_eq!(
                peer.verify(scheme::RSA_PKCS1_SHA256, MESSAGE, pss_256),
                Err(CryptoError::BadSignature)
            );
            assert_eq!(
                peer.verify(scheme::RSA_PSS_RSAE_SHA256, MESSAGE, pkcs1_256),
                Err(CryptoError::BadSignature)
            );
            assert_eq!(
                peer.verify(scheme::RSA_PKCS1_SHA256, MESSAGE, pkcs1_384),
                Err(CryptoError::BadSignature)
            );
            assert_eq!(
                peer.verify(scheme::RSA_PKCS1_SHA512, MESSAGE, pkcs1_256),
                Err(CryptoError::BadSignature)
            );
        }
    }

    #[test]
    fn certificates_and_keys_we_refuse() {
        assert_eq!(
            PeerKey::from_certificate(include_bytes!("testdata/ed25519.cert.der")).unwrap_err(),
            CryptoError::UnsupportedKey
        );
        assert_eq!(
            PeerKey::from_certificate(include_bytes!("testdata/rsa512.cert.der")).unwrap_err(),
            CryptoError::UnsupportedKey
        );
        assert_eq!(
            PeerKey::from_certificate(b"").unwrap_err(),
            CryptoError::BadCertificate
        );
        assert_eq!(
            PeerKey::from_certificate(b"not a certificate").unwrap_err(),
            CryptoError::BadCertificate
        );
        // Every truncation and a flipped byte in every position of a real certificate: an error
        // or a key, never a panic.
        for cert in [
            generated_certificate().der().to_vec(),
            include_bytes!("testdata/rsa2048.cert.der").to_vec(),
        ] {
            for n in 0..cert.len() {
                assert!(PeerKey::from_certificate(&cert[..n]).is_err());
                let mut bad = cert.clone();
                bad[n] ^= 0x5a;
                let _ = PeerKey::from_certificate(&bad);
            }
        }

        for key in [
            &include_bytes!("testdata/ed25519.pk8.der")[..],
            include_bytes!("testdata/rsa1024.pk8.der"),
            b"",
            b"\x30\x03\x02\x01\x01",
            include_bytes!("testdata/p256.cert.der"),
        ] {
            assert_eq!(
                SigningKey::from_der(key).unwrap_err(),
                CryptoError::UnsupportedKey
            );
        }
        let pkcs8 = generated_certificate().private_key_pkcs8;
        for n in 0..pkcs8.len() {
            assert!(SigningKey::from_der(&pkcs8[..n]).is_err());
        }
    }

    // ---------------------------------------------------------------- backend parity

    /// The aws-lc backend puts the same bytes on the wire as RustCrypto: AEAD output, ECDHE
    /// public shares and shared secrets, and verification verdicts.
    #[cfg(feature = "aws-lc-rs")]
    mod parity {
        use super::super::{AeadAlg, Group, aws_lc, rust_crypto};
        use crate::rng::{RngRoot, Stream};
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            /// The aws-lc P-256 signer (aws-lc's k·G) gives exactly the signature of the `ecdsa`
            /// crate's RFC 6979 signer, for any key and digest (including digests at or above
            /// the group order, which reduce).
            #[test]
            fn p256_signatures_match_ecdsa(key in any::<[u8; 32]>(), z in any::<[u8; 32]>(),
                                           high in any::<bool>()) {
                let z = if high { [0xff; 32] } else { z };
                let Some(d) = Option::<p256::NonZeroScalar>::from(
                    p256::NonZeroScalar::from_repr(key.into()),
                ) else {
                    return Ok(());
                };
                let want = ecdsa::hazmat::sign_prehashed_rfc6979::<p256::NistP256, sha2::Sha256>(
                    &d, &z, &[],
                )
                .0;
                prop_assert_eq!(aws_lc::sign_p256(&d, &z), want);
            }
        }

        proptest! {
            /// SRTP's AES-CM keystream and HMAC-SHA1 are the same bytes under both backends, for
            /// any key, counter block (including counters that carry across 64 bits) and length.
            #[test]
            fn srtp_ctr_and_hmac_match(
                key in proptest::collection::vec(any::<u8>(), 16..=16),
                key256 in any::<bool>(),
                iv in any::<[u8; 16]>(),
                data in proptest::collection::vec(any::<u8>(), 0..700),
                mac_key in proptest::collection::vec(any::<u8>(), 0..80),
            ) {
                let key = if key256 { [key.clone(), key].concat() } else { key };
                let mut a = data.clone();
                let mut b = data.clone();
                aws_lc::AesCtrKey::new(&key).apply_keystream(&iv, &mut a);
                rust_crypto::AesCtrKey::new(&key).apply_keystream(&iv, &mut b);
                prop_assert_eq!(a, b);
                let parts: [&[u8]; 2] = [&data, &iv];
                prop_assert_eq!(
                    aws_lc::HmacSha1Key::new(&mac_key).sign(&parts),
                    rust_crypto::HmacSha1Key::new(&mac_key).sign(&parts)
                );
            }
        }

        /// Through the provider: a certificate's key signs the same bytes under both backends.
        #[test]
        fn provider_p256_signatures_match_rust_crypto() {
            use super::super::{SigHash, SigningKey, scheme};
            let generated = super::generated_certificate();
            let ours = SigningKey::from_der(&generated.private_key_pkcs8).unwrap();
            let rc = rust_crypto::SigningKey::from_der(&generated.private_key_pkcs8).unwrap();
            for i in 0..32u8 {
                let message = vec![i; usize::from(i) * 7];
                assert_eq!(
                    ours.sign(scheme::ECDSA_SHA256, &message).unwrap(),
                    rc.sign(SigHash::Sha256, &message)
                );
            }
        }

        #[test]
        fn aead_outputs_are_identical() {
            let mut rng = RngRoot::from_seed(11).stream(Stream::Application);
            for alg in [
                AeadAlg::Aes128Gcm,
                AeadAlg::Aes256Gcm,
                AeadAlg::ChaCha20Poly1305,
            ] {
                for len in [0, 1, 15, 16, 17, 100, 1200, 16384] {
                    let mut key = vec![0u8; alg.key_len()];
                    rng.fill_bytes(&mut key);
                    let nonce = rng.bytes::<12>();
                    let aad = rng.bytes::<13>();
                    let mut plaintext = vec![0u8; len];
                    rng.fill_bytes(&mut plaintext);
                    let (rc, lc) = (
                        rust_crypto::AeadKey::new(alg, &key),
                        aws_lc::AeadKey::new(alg, &key),
                    );
                    let mut a = plaintext.clone();
                    let mut b = plaintext.clone();
                    let tag_a = rc.seal(&nonce, &aad, &mut a);
                    let tag_b = lc.seal(&nonce, &aad, &mut b);
                    assert_eq!((&a, tag_a), (&b, tag_b), "{alg:?} {len}");
                    // Each opens the other's record.
                    let mut record = [a, tag_a.to_vec()].concat();
                    lc.open(&nonce, &aad, &mut record.clone()).unwrap();
                    // Out of place too.
                    let (mut out_rc, mut out_lc) = (vec![0u8; len], vec![0u8; len]);
                    rc.open_to(&nonce, &aad, &record, &mut out_rc).unwrap();
                    lc.open_to(&nonce, &aad, &record, &mut out_lc).unwrap();
                    assert_eq!(
                        (&out_rc, &out_lc),
                        (&plaintext, &plaintext),
                        "{alg:?} {len}"
                    );
                    rc.open(&nonce, &aad, &mut record).unwrap();
                    assert_eq!(record[..len], plaintext[..]);
                }
            }
        }

        #[test]
        fn key_shares_and_secrets_are_identical() {
            let mut rng = RngRoot::from_seed(12).stream(Stream::Application);
            for group in [Group::X25519, Group::Secp256r1, Group::Secp384r1] {
                for _ in 0..8 {
                    let draw = |rng: &mut crate::rng::Rng| loop {
                        let mut b = vec![0u8; group.secret_len()];
                        rng.fill_bytes(&mut b);
                        if rust_crypto::is_valid_secret(group, &b) {
                            break b;
                        }
                    };
                    let (ours, theirs) = (draw(&mut rng), draw(&mut rng));
                    let n = group.public_len();
                    let (mut pub_rc, mut pub_lc, mut peer) = (vec![0; n], vec![0; n], vec![0; n]);
                    let rc = rust_crypto::Secret::new(group, &ours, &mut pub_rc);
                    let lc = aws_lc::Secret::new(group, &ours, &mut pub_lc);
                    assert_eq!(pub_rc, pub_lc, "{group:?} public share");
                    let _ = rust_crypto::Secret::new(group, &theirs, &mut peer);
                    assert_eq!(
                        rc.agree(group, &peer).unwrap(),
                        lc.agree(group, &peer).unwrap(),
                        "{group:?} shared secret"
                    );
                }
            }
            // And both refuse the same low-order X25519 point.
            let mut public = [0u8; 32];
            let rc = rust_crypto::Secret::new(Group::X25519, &[9; 32], &mut public);
            let lc = aws_lc::Secret::new(Group::X25519, &[9; 32], &mut public);
            assert!(rc.agree(Group::X25519, &[0; 32]).is_err());
            assert!(lc.agree(Group::X25519, &[0; 32]).is_err());
        }

        #[test]
        fn verification_verdicts_are_identical() {
            use super::super::{PeerKey, SigningKey, scheme, split_scheme};
            let generated = super::generated_certificate();
            let ours = SigningKey::from_der(&generated.private_key_pkcs8).unwrap();
            let p384 = SigningKey::from_der(include_bytes!("testdata/p384.pk8.der")).unwrap();
            let cases: Vec<(&[u8], u16, Vec<u8>)> = vec![
                (
                    generated.der(),
                    scheme::ECDSA_SHA256,
                    ours.sign(scheme::ECDSA_SHA256, super::MESSAGE).unwrap(),
                ),
                (
                    generated.der(),
                    scheme::ECDSA_SHA384,
                    ours.sign(scheme::ECDSA_SHA384, super::MESSAGE).unwrap(),
                ),
                (
                    include_bytes!("testdata/p384.cert.der"),
                    scheme::ECDSA_SHA256,
                    p384.sign(scheme::ECDSA_SHA256, super::MESSAGE).unwrap(),
                ),
                (
                    include_bytes!("testdata/p384.cert.der"),
                    scheme::ECDSA_SHA384,
                    include_bytes!("testdata/p384_ecdsa_sha384.sig").to_vec(),
                ),
                (
                    include_bytes!("testdata/rsa2048.cert.der"),
                    scheme::RSA_PKCS1_SHA256,
                    include_bytes!("testdata/rsa2048_pkcs1_sha256.sig").to_vec(),
                ),
                (
                    include_bytes!("testdata/rsa2048.cert.der"),
                    scheme::RSA_PKCS1_SHA384,
                    include_bytes!("testdata/rsa2048_pkcs1_sha384.sig").to_vec(),
                ),
                (
                    include_bytes!("testdata/rsa2048.cert.der"),
                    scheme::RSA_PSS_RSAE_SHA256,
                    include_bytes!("testdata/rsa2048_pss_sha256.sig").to_vec(),
                ),
                (
                    include_bytes!("testdata/rsa2048.cert.der"),
                    scheme::RSA_PSS_RSAE_SHA384,
                    include_bytes!("testdata/rsa2048_pss_sha384.sig").to_vec(),
                ),
            ];
            for (cert, code, sig) in cases {
                let peer = PeerKey::from_certificate(cert).unwrap();
                let fast = peer.fast.as_ref().unwrap();
                // Each scheme of the key's kind, on the right and on a wrong message: every
                // verdict the same.
                for other in scheme::VERIFY.iter().copied().filter(|&s| peer.supports(s)) {
                    let (alg, hash) = split_scheme(other).unwrap();
                    for message in [super::MESSAGE, b"something else"] {
                        let rc = peer.key.verify(alg, hash, message, &sig);
                        let lc = fast.verify(alg, hash, message, &sig);
                        assert_eq!(rc, lc, "{code:#06x} checked as {other:#06x}");
                        assert_eq!(
                            rc.is_ok(),
                            other == code && message == super::MESSAGE,
                            "{code:#06x} checked as {other:#06x}"
                        );
                    }
                }
            }
        }

        #[test]
        fn rsa_under_2048_bits_stays_with_rust_crypto() {
            let small =
                super::PeerKey::from_certificate(include_bytes!("testdata/rsa1024.cert.der"))
                    .unwrap();
            assert!(small.fast.is_none());
            let large =
                super::PeerKey::from_certificate(include_bytes!("testdata/rsa2048.cert.der"))
                    .unwrap();
            assert!(large.fast.is_some());
            // RustCrypto agrees with aws-lc on the 2048-bit key's signatures.
            let sig = include_bytes!("testdata/rsa2048_pss_sha256.sig");
            let (alg, hash) =
                super::super::split_scheme(super::scheme::RSA_PSS_RSAE_SHA256).unwrap();
            large.key.verify(alg, hash, super::MESSAGE, sig).unwrap();
            large
                .fast
                .as_ref()
                .unwrap()
                .verify(alg, hash, super::MESSAGE, sig)
                .unwrap();
        }
    }
}

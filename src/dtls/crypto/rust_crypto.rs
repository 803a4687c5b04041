//! The RustCrypto backend: the default build's AEADs and ECDHE, and what both builds share
//! (hashing, the PRF, RFC 6979 signing, parsing and validating keys, RSA under 2048 bits).
//!
//! Compiled in both builds; under `aws-lc-rs` the AEAD and ECDHE halves only run in the parity
//! tests.

#![cfg_attr(
    all(feature = "aws-lc-rs", not(test)),
    allow(
        dead_code,
        reason = "the aws-lc backend replaces the AEADs and ECDHE; kept for parity"
    )
)]

use super::{AeadAlg, AeadError, CryptoError, Digest, Group, HashAlg, KeyKind, SigAlg, SigHash};
use aes_gcm::aead::{AeadInOut, KeyInit};
use ecdsa::signature::hazmat::PrehashVerifier;
use hmac::Mac;
use p256::NistP256;
use p256::elliptic_curve::sec1::ToSec1Point;
use p384::NistP384;
use sha2::Digest as _;
use x509_cert::der::asn1::{BitStringRef, ObjectIdentifier, OctetStringRef};
use x509_cert::der::{Decode, Reader, SliceReader, TagMode, TagNumber};

/// Hash of the concatenation of `parts`.
pub(super) fn hash(alg: HashAlg, parts: &[&[u8]]) -> Digest {
    fn run<D: sha2::Digest>(parts: &[&[u8]]) -> Digest {
        let mut h = D::new();
        for p in parts {
            h.update(p);
        }
        Digest::from_slice(&h.finalize())
    }
    match alg {
        HashAlg::Sha256 => run::<sha2::Sha256>(parts),
        HashAlg::Sha384 => run::<sha2::Sha384>(parts),
    }
}

/// RFC 5246 §5: `PRF(secret, label, seed) = P_<hash>(secret, label + seed)`.
pub(super) fn prf(alg: HashAlg, secret: &[u8], label: &[u8], seed_parts: &[&[u8]], out: &mut [u8]) {
    match alg {
        HashAlg::Sha256 => p_hash::<hmac::Hmac<sha2::Sha256>>(secret, label, seed_parts, out),
        HashAlg::Sha384 => p_hash::<hmac::Hmac<sha2::Sha384>>(secret, label, seed_parts, out),
    }
}

/// RFC 5246 §5: `P_hash(secret, seed) = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed)
/// + ...` with `A(0) = seed`, `A(i) = HMAC(secret, A(i-1))`, truncated to `out.len()`. Here the
/// seed is `label || seed_parts...`, fed to the MAC piece by piece.
fn p_hash<M: Mac + KeyInit + Clone>(
    secret: &[u8],
    label: &[u8],
    seed_parts: &[&[u8]],
    out: &mut [u8],
) {
    // The HMAC key schedule once; every block clones it.
    let keyed = <M as KeyInit>::new_from_slice(secret).expect("invariant: HMAC takes any key");
    let with_seed = |mut m: M| {
        m.update(label);
        for p in seed_parts {
            m.update(p);
        }
        m
    };
    let mut a = with_seed(keyed.clone()).finalize().into_bytes(); // A(1)
    let mut chunks = out.chunks_mut(a.len()).peekable();
    while let Some(chunk) = chunks.next() {
        let mut m = keyed.clone();
        m.update(&a);
        let block = with_seed(m).finalize().into_bytes();
        chunk.copy_from_slice(&block[..chunk.len()]);
        if chunks.peek().is_some() {
            let mut m = keyed.clone();
            m.update(&a);
            a = m.finalize().into_bytes(); // A(i + 1)
        }
    }
}

/// An expanded AEAD key. (Boxed: the AES key schedules and GHASH tables are large, and the
/// variants would otherwise differ in size.)
pub(super) enum AeadKey {
    Aes128Gcm(Box<aes_gcm::Aes128Gcm>),
    Aes256Gcm(Box<aes_gcm::Aes256Gcm>),
    ChaCha20Poly1305(Box<chacha20poly1305::ChaCha20Poly1305>),
}

impl AeadKey {
    /// `key` has the algorithm's length (checked by the caller).
    pub(super) fn new(alg: AeadAlg, key: &[u8]) -> Self {
        const LEN: &str = "invariant: key length checked by AeadKey::new";
        match alg {
            AeadAlg::Aes128Gcm => Self::Aes128Gcm(Box::new(
                aes_gcm::Aes128Gcm::new_from_slice(key).expect(LEN),
            )),
            AeadAlg::Aes256Gcm => Self::Aes256Gcm(Box::new(
                aes_gcm::Aes256Gcm::new_from_slice(key).expect(LEN),
            )),
            AeadAlg::ChaCha20Poly1305 => Self::ChaCha20Poly1305(Box::new(
                chacha20poly1305::ChaCha20Poly1305::new_from_slice(key).expect(LEN),
            )),
        }
    }

    /// Encrypts `data` in place, returning the tag.
    pub(super) fn seal(&self, nonce: &[u8; 12], aad: &[u8], data: &mut [u8]) -> [u8; 16] {
        fn run<A: AeadInOut<NonceSize = aes_gcm::aead::consts::U12>>(
            a: &A,
            nonce: &[u8; 12],
            aad: &[u8],
            data: &mut [u8],
        ) -> [u8; 16] {
            let tag = a
                .encrypt_inout_detached(&(*nonce).into(), aad, data.into())
                .expect("invariant: records are far below the AEAD length limits");
            let mut out = [0u8; 16];
            out.copy_from_slice(&tag);
            out
        }
        match self {
            Self::Aes128Gcm(a) => run(&**a, nonce, aad, data),
            Self::Aes256Gcm(a) => run(&**a, nonce, aad, data),
            Self::ChaCha20Poly1305(a) => run(&**a, nonce, aad, data),
        }
    }

    /// Decrypts ciphertext || tag in place (`in_out` has at least 16 bytes).
    pub(super) fn open(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<(), AeadError> {
        fn run<A: AeadInOut<NonceSize = aes_gcm::aead::consts::U12>>(
            a: &A,
            nonce: &[u8; 12],
            aad: &[u8],
            in_out: &mut [u8],
        ) -> Result<(), AeadError> {
            let split = in_out.len() - AeadAlg::TAG_LEN;
            let (data, tag) = in_out.split_at_mut(split);
            let tag = aes_gcm::aead::Tag::<A>::try_from(&*tag).map_err(|_| AeadError)?;
            a.decrypt_inout_detached(&(*nonce).into(), aad, data.into(), &tag)
                .map_err(|_| AeadError)
        }
        match self {
            Self::Aes128Gcm(a) => run(&**a, nonce, aad, in_out),
            Self::Aes256Gcm(a) => run(&**a, nonce, aad, in_out),
            Self::ChaCha20Poly1305(a) => run(&**a, nonce, aad, in_out),
        }
    }

    /// Decrypts `input` (ciphertext || tag, at least 16 bytes) into `out` (exactly the
    /// ciphertext's length), leaving `input` as it was.
    pub(super) fn open_to(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        input: &[u8],
        out: &mut [u8],
    ) -> Result<(), AeadError> {
        fn run<A: AeadInOut<NonceSize = aes_gcm::aead::consts::U12>>(
            a: &A,
            nonce: &[u8; 12],
            aad: &[u8],
            input: &[u8],
            out: &mut [u8],
        ) -> Result<(), AeadError> {
            let (data, tag) = input.split_at(input.len() - AeadAlg::TAG_LEN);
            let tag = aes_gcm::aead::Tag::<A>::try_from(tag).map_err(|_| AeadError)?;
            let buf = aes_gcm::aead::inout::InOutBuf::new(data, out).map_err(|_| AeadError)?;
            a.decrypt_inout_detached(&(*nonce).into(), aad, buf, &tag)
                .map_err(|_| AeadError)
        }
        match self {
            Self::Aes128Gcm(a) => run(&**a, nonce, aad, input, out),
            Self::Aes256Gcm(a) => run(&**a, nonce, aad, input, out),
            Self::ChaCha20Poly1305(a) => run(&**a, nonce, aad, input, out),
        }
    }
}

/// Whether `bytes` is a private key of `group` (any 32 bytes for X25519, a scalar in `[1, n)`
/// for the NIST curves). Both backends draw through this check.
pub(super) fn is_valid_secret(group: Group, bytes: &[u8]) -> bool {
    match group {
        Group::X25519 => bytes.len() == 32,
        Group::Secp256r1 => p256_scalar(bytes).is_some(),
        Group::Secp384r1 => p384_scalar(bytes).is_some(),
    }
}

fn p256_scalar(bytes: &[u8]) -> Option<p256::NonZeroScalar> {
    let bytes: [u8; 32] = bytes.try_into().ok()?;
    p256::NonZeroScalar::from_repr(bytes.into()).into_option()
}

fn p384_scalar(bytes: &[u8]) -> Option<p384::NonZeroScalar> {
    let bytes: [u8; 48] = bytes.try_into().ok()?;
    p384::NonZeroScalar::from_repr(bytes.into()).into_option()
}

/// An ECDHE private key.
pub(super) enum Secret {
    X25519(x25519_dalek::StaticSecret),
    P256(p256::NonZeroScalar),
    P384(p384::NonZeroScalar),
}

impl Secret {
    /// The key of the drawn `bytes` (valid for `group`: checked by the caller); writes the
    /// public share into `public` (exactly its length).
    pub(super) fn new(group: Group, bytes: &[u8], public: &mut [u8]) -> Self {
        const VALID: &str = "invariant: drawn through is_valid_secret";
        match group {
            Group::X25519 => {
                let bytes: [u8; 32] = bytes.try_into().expect(VALID);
                let s = x25519_dalek::StaticSecret::from(bytes);
                public.copy_from_slice(x25519_dalek::PublicKey::from(&s).as_bytes());
                Self::X25519(s)
            }
            Group::Secp256r1 => {
                let s = p256_scalar(bytes).expect(VALID);
                let point = p256::PublicKey::from_secret_scalar(&s).to_sec1_point(false);
                public.copy_from_slice(point.as_bytes());
                Self::P256(s)
            }
            Group::Secp384r1 => {
                let s = p384_scalar(bytes).expect(VALID);
                let point = p384::PublicKey::from_secret_scalar(&s).to_sec1_point(false);
                public.copy_from_slice(point.as_bytes());
                Self::P384(s)
            }
        }
    }

    /// The shared secret with `peer` (length and format checked by the caller).
    pub(super) fn agree(self, _group: Group, peer: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match self {
            Self::X25519(s) => {
                let peer: [u8; 32] = peer.try_into().map_err(|_| CryptoError::InvalidPublicKey)?;
                let shared = s.diffie_hellman(&x25519_dalek::PublicKey::from(peer));
                // RFC 7748 §6.1: a low-order peer point gives the all-zero secret.
                if !shared.was_contributory() {
                    return Err(CryptoError::InvalidPublicKey);
                }
                Ok(shared.as_bytes().to_vec())
            }
            // RFC 8422 §5.10: the premaster secret is the X coordinate, leading zeros kept.
            Self::P256(s) => {
                let peer = p256::PublicKey::from_sec1_bytes(peer)
                    .map_err(|_| CryptoError::InvalidPublicKey)?;
                let shared = p256::ecdh::diffie_hellman(s, peer.as_affine());
                Ok(shared.raw_secret_bytes().to_vec())
            }
            Self::P384(s) => {
                let peer = p384::PublicKey::from_sec1_bytes(peer)
                    .map_err(|_| CryptoError::InvalidPublicKey)?;
                let shared = p384::ecdh::diffie_hellman(s, peer.as_affine());
                Ok(shared.raw_secret_bytes().to_vec())
            }
        }
    }
}

/// `message` hashed with `hash` into `buf`; the digest slice.
fn prehash<'a>(hash: SigHash, message: &[u8], buf: &'a mut [u8; 64]) -> &'a [u8] {
    match hash {
        SigHash::Sha256 => {
            buf[..32].copy_from_slice(&sha2::Sha256::digest(message));
            &buf[..32]
        }
        SigHash::Sha384 => {
            buf[..48].copy_from_slice(&sha2::Sha384::digest(message));
            &buf[..48]
        }
        SigHash::Sha512 => {
            buf.copy_from_slice(&sha2::Sha512::digest(message));
            &buf[..]
        }
    }
}

/// A peer's public key, validated.
pub(super) enum PeerKey {
    P256(ecdsa::VerifyingKey<NistP256>),
    P384(ecdsa::VerifyingKey<NistP384>),
    Rsa { key: rsa::PublicKey, bits: usize },
}

/// RSA modulus sizes we accept (RFC 8017 imposes none; 1024 is the floor of what peers still
/// use, 8192 bounds the verification cost).
const RSA_BITS: std::ops::RangeInclusive<usize> = 1024..=8192;

impl PeerKey {
    /// An EC key from the SubjectPublicKey's SEC1 point (RFC 5480 §2.2).
    pub(super) fn ec(kind: KeyKind, point: &[u8]) -> Result<Self, CryptoError> {
        let bad = |_| CryptoError::BadCertificate;
        Ok(match kind {
            KeyKind::EcdsaP256 => {
                Self::P256(ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad)?)
            }
            KeyKind::EcdsaP384 => {
                Self::P384(ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad)?)
            }
            KeyKind::Rsa => return Err(CryptoError::UnsupportedKey),
        })
    }

    /// An RSA key from the SubjectPublicKey's RSAPublicKey DER (RFC 8017 Appendix A.1.1).
    pub(super) fn rsa(pkcs1: &[u8]) -> Result<Self, CryptoError> {
        let parsed = rsa::pkcs1::RsaPublicKeyRef::try_from(pkcs1)
            .map_err(|_| CryptoError::BadCertificate)?;
        // DER integers are minimal, so the first byte of the magnitude is nonzero.
        let modulus = parsed.modulus.as_bytes();
        let bits = match modulus.first() {
            Some(&b) => modulus.len() * 8 - b.leading_zeros() as usize,
            None => return Err(CryptoError::BadCertificate),
        };
        if !RSA_BITS.contains(&bits) {
            return Err(CryptoError::UnsupportedKey);
        }
        let key = rsa::PublicKey::try_from(parsed).map_err(|_| CryptoError::BadCertificate)?;
        Ok(Self::Rsa { key, bits })
    }

    pub(super) fn kind(&self) -> KeyKind {
        match self {
            Self::P256(_) => KeyKind::EcdsaP256,
            Self::P384(_) => KeyKind::EcdsaP384,
            Self::Rsa { .. } => KeyKind::Rsa,
        }
    }

    /// The EC point, uncompressed (what the aws-lc verifier is given).
    #[cfg_attr(not(feature = "aws-lc-rs"), allow(dead_code, reason = "aws-lc only"))]
    pub(super) fn ec_point(&self) -> Option<Vec<u8>> {
        match self {
            Self::P256(k) => Some(k.to_sec1_point(false).as_bytes().to_vec()),
            Self::P384(k) => Some(k.to_sec1_point(false).as_bytes().to_vec()),
            Self::Rsa { .. } => None,
        }
    }

    /// RSA modulus size in bits.
    #[cfg_attr(not(feature = "aws-lc-rs"), allow(dead_code, reason = "aws-lc only"))]
    pub(super) fn rsa_bits(&self) -> Option<usize> {
        match self {
            Self::Rsa { bits, .. } => Some(*bits),
            _ => None,
        }
    }

    /// Verifies `signature` over `message` (`alg` matches the key: checked by the caller).
    pub(super) fn verify(
        &self,
        alg: SigAlg,
        hash: SigHash,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let mut buf = [0u8; 64];
        let digest = prehash(hash, message, &mut buf);
        fn bad<E>(_: E) -> CryptoError {
            CryptoError::BadSignature
        }
        match (self, alg) {
            // ecdsa's prehash verification truncates or pads the digest to the curve's size
            // (SEC 1 §4.1.4 step 5), so any of the three hashes works with either curve.
            (Self::P256(k), SigAlg::Ecdsa) => {
                let sig = ecdsa::Signature::<NistP256>::from_der(signature).map_err(bad)?;
                k.verify_prehash(digest, &sig).map_err(bad)
            }
            (Self::P384(k), SigAlg::Ecdsa) => {
                let sig = ecdsa::Signature::<NistP384>::from_der(signature).map_err(bad)?;
                k.verify_prehash(digest, &sig).map_err(bad)
            }
            (Self::Rsa { key, .. }, SigAlg::RsaPkcs1) => {
                let padding = match hash {
                    SigHash::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                    SigHash::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                    SigHash::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                };
                key.verify(padding, digest, signature).map_err(bad)
            }
            // Pss::new: salt length = hash length, MGF1 with the same hash (RFC 8446 §4.2.3).
            (Self::Rsa { key, .. }, SigAlg::RsaPss) => match hash {
                SigHash::Sha256 => key.verify(rsa::Pss::<sha2::Sha256>::new(), digest, signature),
                SigHash::Sha384 => key.verify(rsa::Pss::<sha2::Sha384>::new(), digest, signature),
                SigHash::Sha512 => key.verify(rsa::Pss::<sha2::Sha512>::new(), digest, signature),
            }
            .map_err(bad),
            _ => Err(CryptoError::UnsupportedScheme),
        }
    }
}

/// Our ECDSA private key: the bare scalar (signing needs nothing else).
pub(super) enum SigningKey {
    P256(p256::NonZeroScalar),
    P384(p384::NonZeroScalar),
}

/// id-ecPublicKey (RFC 5480 §2.1.1).
const OID_EC_PUBLIC_KEY: ObjectIdentifier = super::OID_EC_PUBLIC_KEY;

impl SigningKey {
    /// A PKCS#8 (RFC 5958) or SEC1 (RFC 5915) DER EC private key on P-256 or P-384.
    pub(super) fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        let unsupported = CryptoError::UnsupportedKey;
        let (curve, scalar) = if let Ok(info) = p256::pkcs8::PrivateKeyInfoRef::from_der(der) {
            // RFC 5958 + RFC 5915 §1: id-ecPublicKey with the curve in the AlgorithmIdentifier,
            // the ECPrivateKey in the OCTET STRING.
            if info.algorithm.oid != OID_EC_PUBLIC_KEY {
                return Err(unsupported);
            }
            let curve = info
                .algorithm
                .parameters
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                .ok_or(unsupported)?;
            let (scalar, inner_curve) =
                parse_ec_private_key(info.private_key.as_bytes()).ok_or(unsupported)?;
            if inner_curve.is_some_and(|c| c != curve) {
                return Err(unsupported);
            }
            (curve, scalar)
        } else {
            // A bare SEC1 ECPrivateKey ("BEGIN EC PRIVATE KEY"): the curve from its parameters,
            // or from the key length when they are omitted (RFC 5915 §3 makes them optional).
            let (scalar, curve) = parse_ec_private_key(der).ok_or(unsupported)?;
            let curve = match (curve, scalar.len()) {
                (Some(c), _) => c,
                (None, 32) => super::OID_SECP256R1,
                (None, 48) => super::OID_SECP384R1,
                _ => return Err(unsupported),
            };
            (curve, scalar)
        };
        match curve {
            super::OID_SECP256R1 => p256_scalar(scalar).map(Self::P256),
            super::OID_SECP384R1 => p384_scalar(scalar).map(Self::P384),
            _ => None,
        }
        .ok_or(unsupported)
    }

    pub(super) fn kind(&self) -> KeyKind {
        match self {
            Self::P256(_) => KeyKind::EcdsaP256,
            Self::P384(_) => KeyKind::EcdsaP384,
        }
    }

    /// RFC 6979 deterministic ECDSA over `hash(message)`, DER-encoded.
    ///
    /// The RFC 6979 nonce is derived with the curve's own hash (SHA-256 for P-256, SHA-384 for
    /// P-384) whatever the message hash: what `p256::ecdsa::SigningKey::sign_prehash` does (and
    /// `cert::sign_p256`), so the bytes match the signatures we made before this module.
    pub(super) fn sign(&self, hash: SigHash, message: &[u8]) -> Vec<u8> {
        let mut buf = [0u8; 64];
        let digest = prehash(hash, message, &mut buf);
        match self {
            Self::P256(d) => {
                ecdsa::hazmat::sign_prehashed_rfc6979::<NistP256, sha2::Sha256>(d, digest, &[])
                    .0
                    .to_der()
                    .as_bytes()
                    .to_vec()
            }
            Self::P384(d) => {
                ecdsa::hazmat::sign_prehashed_rfc6979::<NistP384, sha2::Sha384>(d, digest, &[])
                    .0
                    .to_der()
                    .as_bytes()
                    .to_vec()
            }
        }
    }
}

/// RFC 5915 §3:
/// ```text
/// ECPrivateKey ::= SEQUENCE {
///   version        INTEGER { ecPrivkeyVer1(1) },
///   privateKey     OCTET STRING,
///   parameters [0] ECParameters {{ NamedCurve }} OPTIONAL,
///   publicKey  [1] BIT STRING OPTIONAL }
/// ```
/// The private key bytes and the named curve, if given. The public key is skipped unchecked
/// (see `SigningKey::from_der`).
fn parse_ec_private_key(der: &[u8]) -> Option<(&[u8], Option<ObjectIdentifier>)> {
    let mut reader = SliceReader::new(der).ok()?;
    let parsed = reader
        .sequence(|r: &mut SliceReader<'_>| {
            if u8::decode(r)? != 1 {
                return Err(x509_cert::der::Tag::Integer.value_error().into());
            }
            let key = <&OctetStringRef>::decode(r)?.as_bytes();
            let curve = r.context_specific::<ObjectIdentifier>(TagNumber(0), TagMode::Explicit)?;
            let _public =
                r.context_specific::<BitStringRef<'_>>(TagNumber(1), TagMode::Explicit)?;
            Ok::<_, x509_cert::der::Error>((key, curve))
        })
        .ok()?;
    reader.finish().ok()?;
    Some(parsed)
}

/// AES-CTR (SRTP's AES-CM) with the key schedule done once. (Boxed: the expanded keys are
/// large, and an SRTP transform holds one beside an AEAD's boxed key.)
pub(super) enum AesCtrKey {
    Aes128(Box<aes::Aes128>),
    Aes256(Box<aes::Aes256>),
}

impl AesCtrKey {
    /// `key` is 16 or 32 bytes (checked by the caller).
    pub(super) fn new(key: &[u8]) -> Self {
        use aes::cipher::KeyInit as _;
        const LEN: &str = "invariant: key length checked by AesCtrKey::new";
        if key.len() == 16 {
            Self::Aes128(Box::new(aes::Aes128::new_from_slice(key).expect(LEN)))
        } else {
            Self::Aes256(Box::new(aes::Aes256::new_from_slice(key).expect(LEN)))
        }
    }

    /// XORs `data` with the keystream from counter block `iv`.
    pub(super) fn apply_keystream(&self, iv: &[u8; 16], data: &mut [u8]) {
        use ctr::cipher::{InnerIvInit as _, StreamCipher as _, StreamCipherCoreWrapper};
        // The expanded key is copied into the stream cipher (a few hundred bytes, no
        // allocation): the counter mode owns its block cipher.
        match self {
            Self::Aes128(k) => {
                let core = ctr::CtrCore::<aes::Aes128, ctr::flavors::Ctr128BE>::inner_iv_init(
                    (**k).clone(),
                    iv.into(),
                );
                StreamCipherCoreWrapper::from_core(core).apply_keystream(data);
            }
            Self::Aes256(k) => {
                let core = ctr::CtrCore::<aes::Aes256, ctr::flavors::Ctr128BE>::inner_iv_init(
                    (**k).clone(),
                    iv.into(),
                );
                StreamCipherCoreWrapper::from_core(core).apply_keystream(data);
            }
        }
    }
}

/// HMAC-SHA1 with the key absorbed (the inner and outer pads' states are kept).
pub(super) struct HmacSha1Key(hmac::Hmac<sha1::Sha1>);

impl HmacSha1Key {
    /// Any key length (HMAC hashes keys longer than a block).
    pub(super) fn new(key: &[u8]) -> Self {
        Self(
            <hmac::Hmac<sha1::Sha1> as hmac::KeyInit>::new_from_slice(key)
                .expect("invariant: HMAC takes keys of any length"),
        )
    }

    /// The MAC of the concatenation of `parts`.
    pub(super) fn sign(&self, parts: &[&[u8]]) -> [u8; 20] {
        let mut mac = self.0.clone();
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().into()
    }
}

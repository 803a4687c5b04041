//! The aws-lc backend (feature `aws-lc-rs`): the record AEADs, ECDHE agreement and signature
//! verification. Each produces the same bytes as the RustCrypto backend (the parity tests check
//! it): AEADs and ECDH are deterministic functions of their inputs, and the ECDHE private keys
//! are the caller's drawn bytes, loaded with `PrivateKey::from_private_key`. P-256 signing keeps
//! RFC 6979 and only moves the fixed-base multiplication k·G into aws-lc (`sign_p256`).

use super::{AeadAlg, AeadError, CryptoError, Group, SigAlg, SigHash};
use aws_lc_rs::{aead, agreement, signature};

/// An expanded AEAD key.
pub(super) struct AeadKey(aead::LessSafeKey);

impl AeadKey {
    /// `key` has the algorithm's length (checked by the caller).
    pub(super) fn new(alg: AeadAlg, key: &[u8]) -> Self {
        let algorithm = match alg {
            AeadAlg::Aes128Gcm => &aead::AES_128_GCM,
            AeadAlg::Aes256Gcm => &aead::AES_256_GCM,
            AeadAlg::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        };
        let key = aead::UnboundKey::new(algorithm, key)
            .expect("invariant: key length checked by AeadKey::new");
        Self(aead::LessSafeKey::new(key))
    }

    /// Encrypts `data` in place, returning the tag.
    pub(super) fn seal(&self, nonce: &[u8; 12], aad: &[u8], data: &mut [u8]) -> [u8; 16] {
        // The nonce is unique per key by construction: RFC 5288 §3 / RFC 7905 §2 derive it
        // from the record's epoch and sequence number.
        let tag = self
            .0
            .seal_in_place_separate_tag(
                aead::Nonce::assume_unique_for_key(*nonce),
                aead::Aad::from(aad),
                data,
            )
            .expect("invariant: records are far below the AEAD length limits");
        let mut out = [0u8; 16];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// Decrypts ciphertext || tag in place (`in_out` has at least 16 bytes).
    pub(super) fn open(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<(), AeadError> {
        self.0
            .open_in_place(
                aead::Nonce::assume_unique_for_key(*nonce),
                aead::Aad::from(aad),
                in_out,
            )
            .map(|_| ())
            .map_err(|_| AeadError)
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
        let (data, tag) = input.split_at(input.len() - AeadAlg::TAG_LEN);
        self.0
            .open_separate_gather(
                aead::Nonce::assume_unique_for_key(*nonce),
                aead::Aad::from(aad),
                data,
                tag,
                out,
            )
            .map_err(|_| AeadError)
    }
}

fn agreement_alg(group: Group) -> &'static agreement::Algorithm {
    match group {
        Group::X25519 => &agreement::X25519,
        Group::Secp256r1 => &agreement::ECDH_P256,
        Group::Secp384r1 => &agreement::ECDH_P384,
    }
}

/// An ECDHE private key.
pub(super) struct Secret(agreement::PrivateKey);

impl Secret {
    /// The key of the drawn `bytes` (valid for `group`: checked by the caller); writes the
    /// public share into `public` (exactly its length: aws-lc's NIST public keys are
    /// uncompressed SEC1 points, like RustCrypto's).
    pub(super) fn new(group: Group, bytes: &[u8], public: &mut [u8]) -> Self {
        const VALID: &str = "invariant: drawn through is_valid_secret";
        let key =
            agreement::PrivateKey::from_private_key(agreement_alg(group), bytes).expect(VALID);
        public.copy_from_slice(key.compute_public_key().expect(VALID).as_ref());
        Self(key)
    }

    /// The shared secret with `peer` (length and format checked by the caller). aws-lc refuses
    /// points off the curve and (X25519) the all-zero secret of RFC 7748 §6.1.
    pub(super) fn agree(self, group: Group, peer: &[u8]) -> Result<Vec<u8>, CryptoError> {
        agreement::agree(
            &self.0,
            agreement::UnparsedPublicKey::new(agreement_alg(group), peer),
            CryptoError::InvalidPublicKey,
            |secret| Ok(secret.to_vec()),
        )
    }
}

/// A peer's public key for aws-lc: the encoding its verifiers parse.
pub(super) enum PeerKey {
    /// Uncompressed SEC1 point.
    P256(Vec<u8>),
    /// Uncompressed SEC1 point.
    P384(Vec<u8>),
    /// RSAPublicKey DER (RFC 8017 Appendix A.1.1), 2048 bits or more.
    Rsa(Vec<u8>),
}

/// aws-lc's RSA verifiers take 2048..=8192-bit keys; smaller ones stay with RustCrypto.
const RSA_MIN_BITS: usize = 2048;

impl PeerKey {
    /// The aws-lc form of a key RustCrypto has validated (`key_bytes`: the certificate's
    /// SubjectPublicKey). `None` for RSA under 2048 bits.
    pub(super) fn new(key: &super::rust_crypto::PeerKey, key_bytes: &[u8]) -> Option<Self> {
        use super::KeyKind;
        match key.kind() {
            KeyKind::EcdsaP256 => key.ec_point().map(Self::P256),
            KeyKind::EcdsaP384 => key.ec_point().map(Self::P384),
            KeyKind::Rsa => {
                (key.rsa_bits()? >= RSA_MIN_BITS).then(|| Self::Rsa(key_bytes.to_vec()))
            }
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
        use signature::VerificationAlgorithm;
        // aws-lc's ECDSA verifiers bind curve and hash; TLS 1.2 does not (RFC 5246 §7.4.1.4.1),
        // so pick the one for this (curve, hash) pair.
        let (verifier, key): (&'static dyn VerificationAlgorithm, &[u8]) = match (self, alg, hash) {
            (Self::P256(k), SigAlg::Ecdsa, SigHash::Sha256) => {
                (&signature::ECDSA_P256_SHA256_ASN1, k)
            }
            (Self::P256(k), SigAlg::Ecdsa, SigHash::Sha384) => {
                (&signature::ECDSA_P256_SHA384_ASN1, k)
            }
            (Self::P256(k), SigAlg::Ecdsa, SigHash::Sha512) => {
                (&signature::ECDSA_P256_SHA512_ASN1, k)
            }
            (Self::P384(k), SigAlg::Ecdsa, SigHash::Sha256) => {
                (&signature::ECDSA_P384_SHA256_ASN1, k)
            }
            (Self::P384(k), SigAlg::Ecdsa, SigHash::Sha384) => {
                (&signature::ECDSA_P384_SHA384_ASN1, k)
            }
            (Self::P384(k), SigAlg::Ecdsa, SigHash::Sha512) => {
                (&signature::ECDSA_P384_SHA512_ASN1, k)
            }
            (Self::Rsa(k), SigAlg::RsaPkcs1, SigHash::Sha256) => {
                (&signature::RSA_PKCS1_2048_8192_SHA256, k)
            }
            (Self::Rsa(k), SigAlg::RsaPkcs1, SigHash::Sha384) => {
                (&signature::RSA_PKCS1_2048_8192_SHA384, k)
            }
            (Self::Rsa(k), SigAlg::RsaPkcs1, SigHash::Sha512) => {
                (&signature::RSA_PKCS1_2048_8192_SHA512, k)
            }
            // Salt length = digest length (RSA_PSS_SALTLEN_DIGEST), MGF1 with the same hash.
            (Self::Rsa(k), SigAlg::RsaPss, SigHash::Sha256) => {
                (&signature::RSA_PSS_2048_8192_SHA256, k)
            }
            (Self::Rsa(k), SigAlg::RsaPss, SigHash::Sha384) => {
                (&signature::RSA_PSS_2048_8192_SHA384, k)
            }
            (Self::Rsa(k), SigAlg::RsaPss, SigHash::Sha512) => {
                (&signature::RSA_PSS_2048_8192_SHA512, k)
            }
            _ => return Err(CryptoError::UnsupportedScheme),
        };
        signature::UnparsedPublicKey::new(verifier, key)
            .verify(message, signature)
            .map_err(|_| CryptoError::BadSignature)
    }
}

/// RFC 6979 deterministic ECDSA on P-256 over the SHA-256 digest `z`: the same signature as
/// `ecdsa::hazmat::sign_prehashed_rfc6979::<NistP256, Sha256>` (the `p256_signatures_match_ecdsa`
/// property test compares them byte for byte), with the fixed-base multiplication k·G, most of
/// the cost, done by aws-lc.
///
/// Every step is a library's: k is the `rfc6979` crate's HMAC-DRBG (the one `ecdsa` uses); k·G
/// is aws-lc's constant-time P-256 base-point multiplication (`compute_public_key` of k taken as
/// a private key gives the uncompressed point k·G); r and s are computed in p256's constant-time
/// scalar field (FIPS 186-5 §6.4.1 steps 5–8: r = x(k·G) mod n, s = k⁻¹(z + r·d) mod n). P-256's
/// order has 256 bits, so z (32 bytes) needs no truncation. A k that gives r = 0 or s = 0 (never
/// seen in practice) takes the next k from the DRBG, as the `ecdsa` crate does.
pub(super) fn sign_p256(d: &p256::NonZeroScalar, z: &[u8; 32]) -> p256::ecdsa::Signature {
    use p256::elliptic_curve::ops::Reduce;
    use p256::elliptic_curve::{Curve, PrimeField};
    use p256::{FieldBytes, NistP256, Scalar};

    let order = NistP256::ORDER;
    let mut kgen =
        rfc6979::KGenerator::<sha2::Sha256, p256::U256>::new(&d.to_repr(), z, &[], &order);
    let z = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(*z));
    loop {
        let mut k_bytes = FieldBytes::default();
        kgen.fill_next_k(&mut k_bytes);
        // fill_next_k returns 1 <= k < n, which aws-lc accepts as a private key.
        let Some(k) = Option::<Scalar>::from(Scalar::from_repr(k_bytes)) else {
            continue;
        };
        let Ok(key) = agreement::PrivateKey::from_private_key(&agreement::ECDH_P256, &k_bytes)
        else {
            continue;
        };
        let Ok(point) = key.compute_public_key() else {
            continue;
        };
        // Uncompressed SEC1: 0x04 || x || y.
        let Some(x) = point.as_ref().get(1..33) else {
            continue;
        };
        let r = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::try_from(x).expect("32 bytes"));
        let Some(k_inv) = Option::<Scalar>::from(k.invert()) else {
            continue;
        };
        let s = k_inv * (z + r * d.as_ref());
        // from_scalars refuses r = 0 or s = 0. P-256 signatures are not low-S normalised
        // (NistP256::NORMALIZE_S is false), so nothing else to do.
        if let Ok(sig) = p256::ecdsa::Signature::from_scalars(r, s) {
            return sig;
        }
    }
}

/// AES-CTR (SRTP's AES-CM) with the key schedule done once. (Boxed, as the HMAC key below: an
/// SRTP transform holds both beside an AEAD key, and they are large.)
pub(super) struct AesCtrKey(Box<aws_lc_rs::cipher::EncryptingKey>);

impl AesCtrKey {
    /// `key` is 16 or 32 bytes (checked by the caller).
    pub(super) fn new(key: &[u8]) -> Self {
        use aws_lc_rs::cipher::{AES_128, AES_256, EncryptingKey, UnboundCipherKey};
        const LEN: &str = "invariant: key length checked by AesCtrKey::new";
        let alg = if key.len() == 16 { &AES_128 } else { &AES_256 };
        let key = UnboundCipherKey::new(alg, key).expect(LEN);
        Self(Box::new(EncryptingKey::ctr(key).expect(LEN)))
    }

    /// XORs `data` with the keystream from counter block `iv`.
    pub(super) fn apply_keystream(&self, iv: &[u8; 16], data: &mut [u8]) {
        use aws_lc_rs::cipher::EncryptionContext;
        use aws_lc_rs::iv::FixedLength;
        // SRTP never reuses an IV under one key for different data (RFC 3711 §9.1: the index
        // is unique per SSRC and the SSRC is in the IV), which is what "less safe" asks of us.
        self.0
            .less_safe_encrypt(data, EncryptionContext::Iv128(FixedLength::from(*iv)))
            .expect("invariant: CTR takes any length with a 128-bit IV");
    }
}

/// HMAC-SHA1 with the key absorbed.
pub(super) struct HmacSha1Key(Box<aws_lc_rs::hmac::Key>);

impl HmacSha1Key {
    /// Any key length.
    pub(super) fn new(key: &[u8]) -> Self {
        Self(Box::new(aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            key,
        )))
    }

    /// The MAC of the concatenation of `parts`.
    pub(super) fn sign(&self, parts: &[&[u8]]) -> [u8; 20] {
        let mut ctx = aws_lc_rs::hmac::Context::with_key(&self.0);
        for p in parts {
            ctx.update(p);
        }
        let tag = ctx.sign();
        let mut out = [0u8; 20];
        out.copy_from_slice(tag.as_ref());
        out
    }
}

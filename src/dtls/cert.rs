//! The DTLS certificate: a self-signed ECDSA P-256 X.509 certificate generated from the peer's
//! seeded RNG (or supplied by the application), and the SDP fingerprints that pin it
//! (RFC 8122 §5, RFC 8827 §6.5).
//!
//! The DER is written by hand: it is one fixed shape (version 3, a random 127-bit serial,
//! `CN=sansrtc` as issuer and subject, fixed validity, an uncompressed P-256 key, ECDSA-SHA256),
//! and building it from a template keeps the generation a pure function of the RNG. WebRTC peers
//! authenticate each other by fingerprint only; the validity window is not checked by browsers,
//! so it is fixed (2000-01-01 to 2099-12-31) rather than read from a clock.

use crate::rng::Rng;
use crate::sdp::Fingerprint;
use p256::elliptic_curve::sec1::ToSec1Point;
use sha2::Digest;

/// A certificate and its private key.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    pub(super) private_key_pkcs8: Vec<u8>,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("Certificate")
            .field("sha-256", &self.fingerprint(FingerprintHash::Sha256))
            .finish_non_exhaustive()
    }
}

/// Why a supplied certificate was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// The private key is not PKCS#8 or SEC1 DER for P-256 or P-384.
    #[error("private key not usable")]
    BadKey,
    /// The certificate is empty.
    #[error("certificate missing")]
    Empty,
}

/// Hash functions for certificate fingerprints (RFC 8122 §5, "hash-func").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FingerprintHash {
    /// `sha-1`: accepted from peers, never offered.
    Sha1,
    /// `sha-256`: what we offer and browsers use.
    Sha256,
    /// `sha-384`
    Sha384,
    /// `sha-512`
    Sha512,
}

impl FingerprintHash {
    /// The SDP name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "sha-1",
            Self::Sha256 => "sha-256",
            Self::Sha384 => "sha-384",
            Self::Sha512 => "sha-512",
        }
    }

    /// The hash named `name` (case-insensitive), if supported.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Sha1, Self::Sha256, Self::Sha384, Self::Sha512]
            .into_iter()
            .find(|h| h.name().eq_ignore_ascii_case(name))
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

/// DER tag-length-value.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    match u8::try_from(n) {
        // X.690 §8.1.3.4: the short form below 128.
        Ok(short) if short < 0x80 => out.push(short),
        // §8.1.3.5: the long form, in as few bytes as the length needs (DER, §10.1).
        _ => {
            let be = n.to_be_bytes();
            let skip = be.iter().take_while(|b| **b == 0).count();
            let count = u8::try_from(be.len() - skip).expect("invariant: at most 8 length bytes");
            out.push(0x80 | count);
            out.extend_from_slice(&be[skip..]);
        }
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

// OIDs, DER-encoded with their tag.
const OID_ECDSA_WITH_SHA256: &[u8] = &[0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
const OID_PRIME256V1: &[u8] = &[0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
const OID_COMMON_NAME: &[u8] = &[0x06, 0x03, 0x55, 0x04, 0x03];

/// ECDSA P-256 over a SHA-256 prehash, RFC 6979 nonce: what `p256::ecdsa::SigningKey` does,
/// without the verifying key it computes on construction.
pub(super) fn sign_p256(
    secret: &p256::NonZeroScalar,
    prehash: &[u8],
) -> ecdsa::Signature<p256::NistP256> {
    ecdsa::hazmat::sign_prehashed_rfc6979::<p256::NistP256, sha2::Sha256>(secret, prehash, &[]).0
}

/// PKCS#8 (RFC 5958) around a SEC1 ECPrivateKey (RFC 5915) with the public key: the same bytes
/// `p256::SecretKey::to_pkcs8_der` writes, from a public key we already have.
fn pkcs8_p256(secret: &[u8], public_sec1: &[u8]) -> Vec<u8> {
    let ec_private_key = seq(&[
        &[0x02, 0x01, 0x01], // version 1
        &tlv(0x04, secret),
        &tlv(0xA1, &tlv(0x03, &[&[0u8][..], public_sec1].concat())),
    ]);
    seq(&[
        &[0x02, 0x01, 0x00], // version 0
        &seq(&[OID_EC_PUBLIC_KEY, OID_PRIME256V1]),
        &tlv(0x04, &ec_private_key),
    ])
}

/// The secret scalar of a PKCS#8 P-256 key, without deriving (and checking) its public key:
/// loading a key for every connection must not cost a scalar multiplication. `None` for other
/// keys (P-384, SEC1), which take the generic path.
#[cfg(test)]
pub(super) fn p256_scalar_of_pkcs8(der: &[u8]) -> Option<p256::NonZeroScalar> {
    use p256::pkcs8::der::Decode;
    let info = p256::pkcs8::PrivateKeyInfoRef::from_der(der).ok()?;
    let params = info.algorithm.parameters?;
    if info.algorithm.oid.as_bytes() != &OID_EC_PUBLIC_KEY[2..]
        || params.value() != &OID_PRIME256V1[2..]
    {
        return None;
    }
    // RFC 5915 ECPrivateKey: SEQUENCE { INTEGER 1, OCTET STRING (32 bytes), ... }. Anything
    // shaped otherwise takes the generic path.
    let ec = info.private_key.as_bytes();
    let (&tag, rest) = ec.split_first()?;
    let rest = match (tag, rest.first()?) {
        (0x30, &n) if n < 0x80 => &rest[1..],
        (0x30, 0x81) => rest.get(2..)?,
        (0x30, 0x82) => rest.get(3..)?,
        _ => return None,
    };
    let key = rest.strip_prefix(&[0x02, 0x01, 0x01, 0x04, 0x20][..])?;
    let bytes: [u8; 32] = key.get(..32)?.try_into().ok()?;
    p256::NonZeroScalar::from_repr(bytes.into()).into_option()
}

impl Certificate {
    /// A fresh self-signed ECDSA P-256 certificate drawn from `rng` (the peer's certificate
    /// sub-stream: the same seed gives the same certificate and fingerprint).
    pub fn generate(rng: &mut Rng) -> Self {
        let key = loop {
            // A uniformly random scalar: reject the ~2^-32 of 32-byte strings that are not one.
            if let Ok(k) = p256::SecretKey::from_slice(&rng.bytes::<32>()) {
                break k;
            }
        };
        let mut serial = rng.bytes::<16>();
        serial[0] = (serial[0] & 0x7F) | 0x40; // positive, minimal (no leading zero byte)
        // One scalar multiplication for the public key; the signature and the PKCS#8 below reuse
        // it (p256's `SigningKey::from` and `to_pkcs8_der` would each compute it again).
        let point = key.public_key().to_sec1_point(false);
        let name = seq(&[&tlv(0x31, &seq(&[OID_COMMON_NAME, &tlv(0x0C, b"sansrtc")]))]);
        let validity = seq(&[&tlv(0x17, b"000101000000Z"), &tlv(0x18, b"20991231235959Z")]);
        let spki = seq(&[
            &seq(&[OID_EC_PUBLIC_KEY, OID_PRIME256V1]),
            &tlv(0x03, &[&[0u8][..], point.as_bytes()].concat()),
        ]);
        let sig_alg = seq(&[OID_ECDSA_WITH_SHA256]);
        let tbs = seq(&[
            &[0xA0, 0x03, 0x02, 0x01, 0x02], // [0] EXPLICIT version v3
            &tlv(0x02, &serial),
            &sig_alg,
            &name,
            &validity,
            &name,
            &spki,
        ]);
        // RFC 6979 deterministic ECDSA: the signature is a function of key and message.
        let signature = sign_p256(&key.to_nonzero_scalar(), &sha2::Sha256::digest(&tbs));
        let sig_der = signature.to_der();
        let der = seq(&[
            &tbs,
            &sig_alg,
            &tlv(0x03, &[&[0u8][..], sig_der.as_bytes()].concat()),
        ]);
        let private_key_pkcs8 = pkcs8_p256(&key.to_bytes(), point.as_bytes());
        Self {
            der,
            private_key_pkcs8,
        }
    }

    /// An application-supplied certificate (a long-lived identity): the DER certificate and its
    /// private key (PKCS#8 or SEC1 DER, P-256 or P-384).
    pub fn from_der(certificate: Vec<u8>, private_key: Vec<u8>) -> Result<Self, CertificateError> {
        if certificate.is_empty() {
            return Err(CertificateError::Empty);
        }
        super::crypto::SigningKey::from_der(&private_key).map_err(|_| CertificateError::BadKey)?;
        Ok(Self {
            der: certificate,
            private_key_pkcs8: private_key,
        })
    }

    /// The certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Its fingerprint with `hash`, for `a=fingerprint`.
    pub fn fingerprint(&self, hash: FingerprintHash) -> Fingerprint {
        Fingerprint {
            hash: hash.name().into(),
            bytes: hash.digest(&self.der),
        }
    }

    /// The signing key, loaded for one connection (P-256 keys without deriving their public
    /// key: no scalar multiplication per connection).
    pub(super) fn signing_key(&self) -> super::crypto::SigningKey {
        super::crypto::SigningKey::from_der(&self.private_key_pkcs8)
            .expect("invariant: the key was checked when the certificate was made")
    }
}

/// Why a peer certificate does not match the remote description's fingerprints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FingerprintMismatch {
    /// No fingerprint with a hash function we support.
    #[error("no usable fingerprint in the remote description")]
    NoUsableFingerprint,
    /// The certificate matches none of the fingerprints of the strongest hash offered.
    #[error("certificate does not match the remote {hash} fingerprint")]
    Mismatch {
        /// The hash function whose fingerprints were checked.
        hash: &'static str,
    },
}

/// RFC 8122 §5: select the fingerprints of the most preferred hash function the peer offered
/// (we prefer the strongest) and require the certificate to match one of them.
pub fn verify_fingerprint(
    certificate_der: &[u8],
    fingerprints: &[Fingerprint],
) -> Result<FingerprintHash, FingerprintMismatch> {
    let best = fingerprints
        .iter()
        .filter_map(|f| FingerprintHash::from_name(&f.hash))
        .max()
        .ok_or(FingerprintMismatch::NoUsableFingerprint)?;
    let digest = best.digest(certificate_der);
    fingerprints
        .iter()
        .filter(|f| FingerprintHash::from_name(&f.hash) == Some(best))
        .any(|f| f.bytes == digest)
        .then_some(best)
        .ok_or(FingerprintMismatch::Mismatch { hash: best.name() })
}

#[cfg(test)]
mod der_tests {
    use super::tlv;
    use p256::pkcs8::der::{Decode, asn1::OctetString};

    /// DER lengths at every form boundary (X.690 §8.1.3): short below 128, then the long form
    /// in as few bytes as needed, past 16 bits too (it was cut to two bytes before); each one
    /// decodes with the `der` crate, which nobody here wrote.
    #[test]
    fn lengths_at_the_form_boundaries() {
        for (n, head) in [
            (0x7F, &[0x04, 0x7F][..]),
            (0x80, &[0x04, 0x81, 0x80][..]),
            (0xFF, &[0x04, 0x81, 0xFF][..]),
            (0x100, &[0x04, 0x82, 0x01, 0x00][..]),
            (0xFFFF, &[0x04, 0x82, 0xFF, 0xFF][..]),
            (0x1_0000, &[0x04, 0x83, 0x01, 0x00, 0x00][..]),
        ] {
            let content = vec![0xA5; n];
            let der = tlv(0x04, &content);
            assert_eq!(&der[..head.len()], head, "length {n:#x}");
            let parsed = OctetString::from_der(&der).expect("the der crate reads it");
            assert_eq!(parsed.as_bytes().len(), n);
        }
    }
}

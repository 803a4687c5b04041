//! A dimpl crypto provider whose randomness comes from the peer's DTLS sub-stream.
//!
//! dimpl's rust-crypto provider draws its randoms (hello randoms, ECDHE secrets) from the OS.
//! Everything else in it is deterministic (ECDSA signs per RFC 6979, AEAD nonces come from
//! sequence numbers), so we keep it and replace two parts: `secure_random` and the key-exchange
//! groups (X25519 and P-256 shares generated from our bytes).
//!
//! dimpl holds the provider's parts as `&'static` trait objects, so they cannot own a peer's RNG.
//! The RNG is lent to them for the duration of each call into dimpl through a thread-local slot:
//! [`with_rng`] moves the peer's `Rng` in before the call and back out after it (also when the
//! call unwinds), so the slot is only ever occupied inside a call and two peers on one thread
//! never see each other's stream (DESIGN §4).

use crate::rng::Rng;
use dimpl::CryptoError;
use dimpl::crypto::NamedGroup;
use dimpl::crypto::{ActiveKeyExchange, Buf, CryptoProvider, SecureRandom, SupportedKxGroup};
use std::cell::RefCell;

thread_local! {
    static LENT: RefCell<Option<Box<Rng>>> = const { RefCell::new(None) };
}

/// Runs `f` with `rng` lent to the provider; the RNG comes back even if `f` unwinds. (Boxed:
/// this runs twice per record, and moving the generator's ~330-byte state in and out by value
/// was 2% of a data-channel transfer's CPU.)
pub(super) fn with_rng<R>(rng: &mut Option<Box<Rng>>, f: impl FnOnce() -> R) -> R {
    struct Return<'a>(&'a mut Option<Box<Rng>>);
    impl Drop for Return<'_> {
        fn drop(&mut self) {
            *self.0 = LENT.with(|l| l.borrow_mut().take());
        }
    }
    LENT.with(|l| *l.borrow_mut() = rng.take());
    let _back = Return(rng);
    f()
}

fn fill(buf: &mut [u8]) {
    LENT.with(|l| {
        l.borrow_mut()
            .as_mut()
            .expect("invariant: dimpl is only called inside with_rng")
            .fill_bytes(buf)
    })
}

#[derive(Debug)]
struct LentRandom;

impl SecureRandom for LentRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), CryptoError> {
        fill(buf);
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
struct Group(NamedGroup);

enum Share {
    X25519(x25519_dalek::StaticSecret),
    P256(p256::SecretKey),
    /// The same key bytes, agreed through aws-lc. (`AssertUnwindSafe`: dimpl requires its
    /// parts to be unwind-safe; the key is read-only after creation, so no broken invariant can
    /// be observed after an unwind.)
    #[cfg(feature = "aws-lc-rs")]
    AwsLc(
        std::panic::AssertUnwindSafe<aws_lc_rs::agreement::PrivateKey>,
        NamedGroup,
    ),
}

struct Exchange {
    share: Share,
    public: Buf,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange").finish_non_exhaustive()
    }
}

impl SupportedKxGroup for Group {
    fn name(&self) -> NamedGroup {
        self.0
    }

    fn start_exchange(&self, mut buf: Buf) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        buf.clear();
        // The private key bytes come from the lent stream either way, so both backends put the
        // same public share on the wire.
        let (bytes, group) = match self.0 {
            NamedGroup::X25519 => {
                let mut b = [0u8; 32];
                fill(&mut b);
                (b, NamedGroup::X25519)
            }
            NamedGroup::Secp256r1 => loop {
                let mut b = [0u8; 32];
                fill(&mut b);
                // A uniformly random scalar in [1, n): reject the rare 32-byte strings above.
                if p256::SecretKey::from_slice(&b).is_ok() {
                    break (b, NamedGroup::Secp256r1);
                }
            },
            other => return Err(CryptoError::UnsupportedKeyExchangeGroup(other)),
        };
        let share = share_from(bytes, group, &mut buf)?;
        Ok(Box::new(Exchange { share, public: buf }))
    }
}

#[cfg(not(feature = "aws-lc-rs"))]
fn share_from(bytes: [u8; 32], group: NamedGroup, buf: &mut Buf) -> Result<Share, CryptoError> {
    use p256::elliptic_curve::sec1::ToSec1Point;
    Ok(match group {
        NamedGroup::X25519 => {
            let s = x25519_dalek::StaticSecret::from(bytes);
            buf.extend_from_slice(x25519_dalek::PublicKey::from(&s).as_bytes());
            Share::X25519(s)
        }
        _ => {
            let key = p256::SecretKey::from_slice(&bytes)
                .map_err(|_| CryptoError::UnsupportedKeyExchangeGroup(group))?;
            buf.extend_from_slice(key.public_key().to_sec1_point(false).as_bytes());
            Share::P256(key)
        }
    })
}

#[cfg(feature = "aws-lc-rs")]
fn share_from(bytes: [u8; 32], group: NamedGroup, buf: &mut Buf) -> Result<Share, CryptoError> {
    use aws_lc_rs::agreement::{ECDH_P256, PrivateKey, X25519};
    let alg = match group {
        NamedGroup::X25519 => &X25519,
        _ => &ECDH_P256,
    };
    let key = PrivateKey::from_private_key(alg, &bytes)
        .map_err(|_| CryptoError::UnsupportedKeyExchangeGroup(group))?;
    let public = key
        .compute_public_key()
        .map_err(|_| CryptoError::UnsupportedKeyExchangeGroup(group))?;
    buf.extend_from_slice(public.as_ref());
    // Keep the pure-Rust variants referenced so both builds check the same code.
    let _ = (
        Share::X25519 as fn(_) -> Share,
        Share::P256 as fn(_) -> Share,
    );
    Ok(Share::AwsLc(std::panic::AssertUnwindSafe(key), group))
}

impl ActiveKeyExchange for Exchange {
    fn pub_key(&self) -> &[u8] {
        &self.public
    }

    fn complete(self: Box<Self>, peer_pub: &[u8], out: &mut Buf) -> Result<(), CryptoError> {
        out.clear();
        match self.share {
            Share::X25519(s) => {
                let peer: [u8; 32] = peer_pub
                    .try_into()
                    .map_err(|_| CryptoError::InvalidPublicKey(NamedGroup::X25519))?;
                let shared = s.diffie_hellman(&x25519_dalek::PublicKey::from(peer));
                // RFC 7748 §6.1: refuse low-order points (an all-zero shared secret).
                if !shared.was_contributory() {
                    return Err(CryptoError::InvalidPublicKey(NamedGroup::X25519));
                }
                out.extend_from_slice(shared.as_bytes());
            }
            Share::P256(k) => {
                let peer = p256::PublicKey::from_sec1_bytes(peer_pub)
                    .map_err(|_| CryptoError::InvalidPublicKey(NamedGroup::Secp256r1))?;
                let shared = p256::ecdh::diffie_hellman(k.to_nonzero_scalar(), peer.as_affine());
                out.extend_from_slice(shared.raw_secret_bytes().as_slice());
            }
            #[cfg(feature = "aws-lc-rs")]
            Share::AwsLc(k, group) => {
                use aws_lc_rs::agreement::{ECDH_P256, UnparsedPublicKey, X25519, agree};
                let alg = match group {
                    NamedGroup::X25519 => &X25519,
                    _ => &ECDH_P256,
                };
                // aws-lc refuses invalid points and (for X25519) the all-zero shared secret.
                agree(
                    &k.0,
                    UnparsedPublicKey::new(alg, peer_pub),
                    CryptoError::InvalidPublicKey(group),
                    |secret| {
                        out.extend_from_slice(secret);
                        Ok(())
                    },
                )?;
            }
        }
        Ok(())
    }

    fn group(&self) -> NamedGroup {
        match self.share {
            Share::X25519(_) => NamedGroup::X25519,
            Share::P256(_) => NamedGroup::Secp256r1,
            #[cfg(feature = "aws-lc-rs")]
            Share::AwsLc(_, g) => g,
        }
    }
}

/// Loads our P-256 keys without deriving their public key (dimpl's loader computes it twice:
/// validating the PKCS#8 and building `SigningKey`, two scalar multiplications per connection,
/// 15% of setup). Other keys (P-384, SEC1) go to dimpl's loader.
#[derive(Debug)]
struct Keys;

impl dimpl::crypto::KeyProvider for Keys {
    fn load_private_key(
        &self,
        key_der: &[u8],
    ) -> Result<Box<dyn dimpl::crypto::SigningKey>, CryptoError> {
        if let Some(secret) = super::cert::p256_scalar_of_pkcs8(key_der) {
            return Ok(Box::new(P256Key(secret)));
        }
        dimpl::crypto::rust_crypto::default_provider()
            .key_provider
            .load_private_key(key_der)
    }
}

struct P256Key(p256::NonZeroScalar);

impl std::fmt::Debug for P256Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("P256Key").finish_non_exhaustive() // never the secret
    }
}

impl dimpl::crypto::SigningKey for P256Key {
    fn sign(
        &mut self,
        data: &[u8],
        hash_alg: dimpl::HashAlgorithm,
        out: &mut Buf,
    ) -> Result<(), CryptoError> {
        use sha2::Digest;
        // The same RFC 6979 signature dimpl's RustCrypto key makes (the prehash of either
        // hash, the nonce derived with SHA-256, P-256's digest): the bytes on the wire do not
        // depend on which loader ran.
        let signature = match hash_alg {
            dimpl::HashAlgorithm::SHA256 => {
                super::cert::sign_p256(&self.0, &sha2::Sha256::digest(data))
            }
            dimpl::HashAlgorithm::SHA384 => {
                super::cert::sign_p256(&self.0, &sha2::Sha384::digest(data))
            }
            hash => {
                return Err(CryptoError::SigningKeyUnsupportedHash {
                    group: NamedGroup::Secp256r1,
                    hash,
                });
            }
        };
        out.clear();
        out.extend_from_slice(signature.to_der().as_bytes());
        Ok(())
    }

    fn algorithm(&self) -> dimpl::SignatureAlgorithm {
        dimpl::SignatureAlgorithm::ECDSA
    }

    fn hash_algorithm(&self) -> dimpl::HashAlgorithm {
        dimpl::HashAlgorithm::SHA256
    }

    fn supported_hash_algorithms(&self) -> &[dimpl::HashAlgorithm] {
        &[dimpl::HashAlgorithm::SHA256, dimpl::HashAlgorithm::SHA384]
    }
}

static KEYS: Keys = Keys;
static RANDOM: LentRandom = LentRandom;
static X25519: Group = Group(NamedGroup::X25519);
static P256: Group = Group(NamedGroup::Secp256r1);
/// X25519 first (what browsers prefer), then P-256 (what every DTLS 1.2 peer has).
static GROUPS: [&dyn SupportedKxGroup; 2] = [&X25519, &P256];

/// dimpl's rust-crypto provider with our randomness and key shares.
#[cfg(not(feature = "aws-lc-rs"))]
pub(super) fn provider() -> CryptoProvider {
    let mut p = dimpl::crypto::rust_crypto::default_provider();
    p.secure_random = &RANDOM;
    p.kx_groups = &GROUPS;
    p.key_provider = &KEYS;
    p
}

/// dimpl's aws-lc provider (AEADs, hashes, HMAC, signature verification) with our randomness and
/// key shares, and our RFC 6979 signing keys: aws-lc's ECDSA draws its nonce from its own RNG,
/// RFC 6979 does not, and the signature is on the wire.
#[cfg(feature = "aws-lc-rs")]
pub(super) fn provider() -> CryptoProvider {
    let mut p = dimpl::crypto::aws_lc_rs::default_provider();
    p.secure_random = &RANDOM;
    p.kx_groups = &GROUPS;
    p.key_provider = &KEYS;
    p
}

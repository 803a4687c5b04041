//! Long-term credentials (RFC 8489 §9.2): the key a TURN client and server share.
//!
//! The key is `MD5(username ":" realm ":" password)` (algorithm MD5, 16 bytes) or
//! `SHA-256(username ":" realm ":" password)` (algorithm SHA-256, 32 bytes, RFC 8489 §9.2.2).
//! The password is prepared with SASLprep (RFC 4013) as RFC 5389 §15.4 specifies and the RFC 5769
//! §2.4 vector requires. RFC 8489 names the OpaqueString profile (RFC 8265) instead; the two agree
//! on every ASCII password (what TURN deployments and the REST convention use) and differ only on
//! compatibility characters, where SASLprep is what RFC 5389 servers expect.

use md5::{Digest, Md5};
use sha2::Sha256;

/// The password algorithm of RFC 8489 §18.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PasswordAlgorithmKind {
    /// 0x0001: MD5, the only one RFC 5389 servers know.
    Md5,
    /// 0x0002: SHA-256.
    Sha256,
}

impl PasswordAlgorithmKind {
    /// The registered number (RFC 8489 §18.5).
    pub fn number(self) -> u16 {
        match self {
            Self::Md5 => 0x0001,
            Self::Sha256 => 0x0002,
        }
    }

    /// The algorithm registered under `n`, if any.
    pub fn from_number(n: u16) -> Option<Self> {
        match n {
            0x0001 => Some(Self::Md5),
            0x0002 => Some(Self::Sha256),
            _ => None,
        }
    }
}

/// Why a long-term key could not be derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// The password holds characters SASLprep prohibits (RFC 4013 §2.3) or breaks its bidi rule.
    #[error("password rejected by SASLprep")]
    Prohibited,
}

/// A long-term credential key, the HMAC key for MESSAGE-INTEGRITY(-SHA256).
#[derive(Clone, PartialEq, Eq)]
pub struct LongTermKey {
    bytes: [u8; 32],
    len: u8,
}

impl std::fmt::Debug for LongTermKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a password equivalent: never printed.
        write!(f, "LongTermKey({} bytes)", self.len)
    }
}

impl LongTermKey {
    /// Derives the key for `username`, `realm` and `password` (RFC 8489 §9.2.2).
    pub fn new(
        algorithm: PasswordAlgorithmKind,
        username: &str,
        realm: &str,
        password: &str,
    ) -> Result<Self, CredentialError> {
        let password = stringprep::saslprep(password).map_err(|_| CredentialError::Prohibited)?;
        let parts = [
            username.as_bytes(),
            b":",
            realm.as_bytes(),
            b":",
            password.as_bytes(),
        ];
        let mut bytes = [0u8; 32];
        let len = match algorithm {
            PasswordAlgorithmKind::Md5 => {
                let mut h = Md5::new();
                parts.iter().for_each(|p| h.update(p));
                bytes[..16].copy_from_slice(&h.finalize());
                16
            }
            PasswordAlgorithmKind::Sha256 => {
                let mut h = Sha256::new();
                parts.iter().for_each(|p| h.update(p));
                bytes.copy_from_slice(&h.finalize());
                32
            }
        };
        Ok(Self { bytes, len })
    }

    /// The key bytes (16 for MD5, 32 for SHA-256).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

//! The SRTP transforms of each profile, applied in place: AES-CM with HMAC-SHA1
//! (RFC 3711 §4.1.1, §4.2.1) and AEAD AES-GCM (RFC 7714 §8–§9), and the key derivation
//! (RFC 3711 §4.3, key derivation rate 0; RFC 7714 §11).

use super::SrtpProfile;
use crate::dtls::crypto::{AeadAlg, AeadKey, AesCtrKey, HmacSha1Key, ct_eq};

/// RFC 3711 §4.3.1 labels: SRTP encryption, authentication and salt keys, then SRTCP's.
const LABEL_RTP_ENCRYPTION: u8 = 0x00;
const LABEL_RTP_AUTH: u8 = 0x01;
const LABEL_RTP_SALT: u8 = 0x02;
const LABEL_RTCP_ENCRYPTION: u8 = 0x03;
const LABEL_RTCP_AUTH: u8 = 0x04;
const LABEL_RTCP_SALT: u8 = 0x05;

/// Session authentication key length of the HMAC-SHA1 profiles (RFC 3711 §8.2: n_a = 160).
const AUTH_KEY_LEN: usize = 20;

/// A tag did not verify (or the packet was too short to hold one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AuthFailed;

/// RFC 3711 §4.3.1 with key derivation rate 0 (RFC 5764 §4.1.2: DTLS-SRTP uses KDR 0), and
/// §4.3.3's AES-CM PRF: `x = key_id XOR master_salt` with `key_id = label || 0^48`, the session
/// key is the AES-CM keystream of the master key from IV `x · 2^16`.
///
/// The AEAD profiles' 96-bit master salt (RFC 7714 §11) enters the 112-bit `x` as its leading
/// bits, zero-padded on the right, as libsrtp does.
pub(crate) fn derive(master_key: &[u8], master_salt: &[u8], label: u8, out: &mut [u8]) {
    let mut iv = [0u8; 16];
    iv[..master_salt.len()].copy_from_slice(master_salt);
    // key_id = label · 2^48 within the 112-bit x: byte 7 of the 14.
    iv[7] ^= label;
    out.fill(0);
    AesCtrKey::new(master_key).apply_keystream(&iv, out);
}

/// The session keys of one direction of one stream kind (SRTP or SRTCP).
pub(crate) enum Transform {
    /// AES_CM_128_HMAC_SHA1_80 / _32 (RFC 3711 §4.1.1, §4.2.1; RFC 5764 §4.1.2).
    AesCm {
        cipher: AesCtrKey,
        /// The 112-bit session salt in the IV's position (`k_s · 2^16`), as the IV's high and
        /// low 64 bits.
        salt: (u64, u64),
        auth: HmacSha1Key,
        tag_len: usize,
    },
    /// AEAD_AES_128_GCM / AEAD_AES_256_GCM (RFC 7714).
    Aead {
        key: AeadKey,
        /// The 96-bit session salt as the IV's high 32 and low 64 bits.
        salt: (u32, u64),
    },
}

impl std::fmt::Debug for Transform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys.
        match self {
            Self::AesCm { tag_len, .. } => f
                .debug_struct("AesCm")
                .field("tag_len", tag_len)
                .finish_non_exhaustive(),
            Self::Aead { key, .. } => f
                .debug_struct("Aead")
                .field("alg", &key.alg())
                .finish_non_exhaustive(),
        }
    }
}

impl Transform {
    /// The SRTP (`rtcp == false`) or SRTCP session keys derived from a master key and salt.
    pub(crate) fn derive(
        profile: SrtpProfile,
        master_key: &[u8],
        master_salt: &[u8],
        rtcp: bool,
    ) -> Self {
        let (enc, auth, salt) = if rtcp {
            (LABEL_RTCP_ENCRYPTION, LABEL_RTCP_AUTH, LABEL_RTCP_SALT)
        } else {
            (LABEL_RTP_ENCRYPTION, LABEL_RTP_AUTH, LABEL_RTP_SALT)
        };
        let mut key = [0u8; 32];
        let key = &mut key[..profile.key_len()];
        derive(master_key, master_salt, enc, key);
        match profile {
            SrtpProfile::AeadAes128Gcm | SrtpProfile::AeadAes256Gcm => {
                let mut s = [0u8; 12];
                derive(master_key, master_salt, salt, &mut s);
                Self::aead(key, s)
            }
            _ => {
                let mut s = [0u8; 14];
                derive(master_key, master_salt, salt, &mut s);
                let mut a = [0u8; AUTH_KEY_LEN];
                derive(master_key, master_salt, auth, &mut a);
                // RFC 5764 §4.1.2: SRTCP's tag is 80 bits in both HMAC-SHA1 profiles.
                let tag_len = if !rtcp && profile == SrtpProfile::Aes128CmSha1_32 {
                    4
                } else {
                    10
                };
                Self::aes_cm(key, s, &a, tag_len)
            }
        }
    }

    /// An AES-CM + HMAC-SHA1 transform from session keys.
    pub(crate) fn aes_cm(key: &[u8], salt: [u8; 14], auth: &[u8], tag_len: usize) -> Self {
        let mut wide = [0u8; 16];
        wide[..14].copy_from_slice(&salt);
        let wide = u128::from_be_bytes(wide);
        Self::AesCm {
            cipher: AesCtrKey::new(key),
            salt: ((wide >> 64) as u64, wide as u64),
            auth: HmacSha1Key::new(auth),
            tag_len,
        }
    }

    /// An AES-GCM transform from session keys.
    pub(crate) fn aead(key: &[u8], salt: [u8; 12]) -> Self {
        let alg = if key.len() == 16 {
            AeadAlg::Aes128Gcm
        } else {
            AeadAlg::Aes256Gcm
        };
        let mut wide = [0u8; 16];
        wide[4..].copy_from_slice(&salt);
        let wide = u128::from_be_bytes(wide);
        Self::Aead {
            key: AeadKey::new(alg, key),
            salt: ((wide >> 64) as u32, wide as u64),
        }
    }

    /// Bytes the transform adds to a packet (the tag; SRTCP adds its 4-byte index word too).
    pub(crate) fn tag_len(&self) -> usize {
        match self {
            Self::AesCm { tag_len, .. } => *tag_len,
            Self::Aead { .. } => AeadAlg::TAG_LEN,
        }
    }

    /// AES-CM's IV (RFC 3711 §4.1.1): `(k_s · 2^16) XOR (SSRC · 2^64) XOR (i · 2^16)`, as
    /// XORs on the block's two 64-bit halves (not a byte loop) per packet.
    #[inline]
    fn cm_iv((hi, lo): (u64, u64), ssrc: u32, index: u64) -> [u8; 16] {
        let mut iv = [0u8; 16];
        iv[..8].copy_from_slice(&(hi ^ u64::from(ssrc)).to_be_bytes());
        iv[8..].copy_from_slice(&(lo ^ (index << 16)).to_be_bytes());
        iv
    }

    /// The 96-bit GCM IV `salt XOR (00 00 || SSRC || low)`, `low` being 48 bits.
    #[inline]
    fn gcm_iv((hi, lo): (u32, u64), ssrc: u32, low: u64) -> [u8; 12] {
        let mut iv = [0u8; 12];
        iv[..4].copy_from_slice(&(hi ^ (ssrc >> 16)).to_be_bytes());
        iv[4..].copy_from_slice(&(lo ^ (u64::from(ssrc) << 48) ^ low).to_be_bytes());
        iv
    }

    /// RFC 7714 §8.1: `00 00 || SSRC || ROC || SEQ`, XOR the session salt (`index` is
    /// `ROC || SEQ`, 48 bits).
    #[inline]
    fn gcm_rtp_iv(salt: (u32, u64), ssrc: u32, index: u64) -> [u8; 12] {
        Self::gcm_iv(salt, ssrc, index)
    }

    /// RFC 7714 §9.1: `00 00 || SSRC || 00 00 || 0 || SRTCP index(31)`, XOR the session salt.
    #[inline]
    fn gcm_rtcp_iv(salt: (u32, u64), ssrc: u32, index: u32) -> [u8; 12] {
        Self::gcm_iv(salt, ssrc, u64::from(index))
    }

    /// Protects an RTP packet in place: `buf[..header_len]` is the header (authenticated),
    /// `buf[header_len..len]` the payload (encrypted), and the tag is written at `buf[len..]`,
    /// which has exactly [`tag_len`](Self::tag_len) bytes.
    pub(crate) fn protect_rtp(&self, buf: &mut [u8], header_len: usize, ssrc: u32, index: u64) {
        match self {
            Self::AesCm {
                cipher,
                salt,
                auth,
                tag_len,
            } => {
                let len = buf.len() - tag_len;
                let (packet, tag) = buf.split_at_mut(len);
                cipher.apply_keystream(&Self::cm_iv(*salt, ssrc, index), &mut packet[header_len..]);
                // RFC 3711 §4.2: the tag covers the authenticated portion and the ROC.
                let roc = ((index >> 16) as u32).to_be_bytes();
                let mac = auth.sign(&[packet, &roc]);
                tag.copy_from_slice(&mac[..*tag_len]);
            }
            Self::Aead { key, salt } => {
                // RFC 7714 §8.2: the header is the AAD, the payload the plaintext.
                let (header, rest) = buf.split_at_mut(header_len);
                key.seal_in_place(&Self::gcm_rtp_iv(*salt, ssrc, index), header, rest);
            }
        }
    }

    /// Unprotects an RTP packet in place (`packet` is header, ciphertext and tag). On success
    /// `packet[..packet.len() - tag_len]` is the plaintext packet.
    pub(crate) fn unprotect_rtp(
        &self,
        packet: &mut [u8],
        header_len: usize,
        ssrc: u32,
        index: u64,
    ) -> Result<(), AuthFailed> {
        let tag_len = self.tag_len();
        if packet.len() < header_len + tag_len {
            return Err(AuthFailed);
        }
        match self {
            Self::AesCm {
                cipher, salt, auth, ..
            } => {
                let len = packet.len() - tag_len;
                let (body, tag) = packet.split_at_mut(len);
                let roc = ((index >> 16) as u32).to_be_bytes();
                check_tag(auth, &[body, &roc], tag)?;
                cipher.apply_keystream(&Self::cm_iv(*salt, ssrc, index), &mut body[header_len..]);
                Ok(())
            }
            Self::Aead { key, salt } => {
                let (header, rest) = packet.split_at_mut(header_len);
                key.open_in_place(&Self::gcm_rtp_iv(*salt, ssrc, index), header, rest)
                    .map_err(|_| AuthFailed)
            }
        }
    }

    /// Protects an RTCP packet in place with SRTCP index `index` and the E flag set (we always
    /// encrypt). `buf[..len]` is the compound packet; `buf` has exactly `len + 4 + tag_len`
    /// bytes. RFC 3711 §3.4 puts the E||index word before the tag; RFC 7714 §9.1 puts it after
    /// the AEAD tag.
    pub(crate) fn protect_rtcp(&self, buf: &mut [u8], len: usize, ssrc: u32, index: u32) {
        let word = (index | 0x8000_0000).to_be_bytes();
        match self {
            Self::AesCm {
                cipher,
                salt,
                auth,
                tag_len,
            } => {
                cipher.apply_keystream(
                    &Self::cm_iv(*salt, ssrc, u64::from(index)),
                    &mut buf[8..len],
                );
                buf[len..len + 4].copy_from_slice(&word);
                let (authenticated, tag) = buf.split_at_mut(len + 4);
                let mac = auth.sign(&[authenticated]);
                tag.copy_from_slice(&mac[..*tag_len]);
            }
            Self::Aead { key, salt } => {
                // RFC 7714 §9.2: AAD = the first 8 octets (header and sender SSRC) || E||index.
                let mut aad = [0u8; 12];
                aad[..8].copy_from_slice(&buf[..8]);
                aad[8..].copy_from_slice(&word);
                let end = buf.len() - 4;
                key.seal_in_place(
                    &Self::gcm_rtcp_iv(*salt, ssrc, index),
                    &aad,
                    &mut buf[8..end],
                );
                buf[end..].copy_from_slice(&word);
            }
        }
    }

    /// Unprotects an SRTCP packet in place. Returns the plaintext length and the SRTCP index.
    /// `encrypted` is the E flag; E = 0 packets are authenticated only (RFC 3711 §3.4).
    pub(crate) fn unprotect_rtcp(
        &self,
        packet: &mut [u8],
        ssrc: u32,
    ) -> Result<Trailer, AuthFailed> {
        let tag_len = self.tag_len();
        // Header (8), the index word (4) and the tag.
        if packet.len() < 8 + 4 + tag_len {
            return Err(AuthFailed);
        }
        match self {
            Self::AesCm {
                cipher, salt, auth, ..
            } => {
                let body_len = packet.len() - tag_len;
                let (authenticated, tag) = packet.split_at_mut(body_len);
                check_tag(auth, &[authenticated], tag)?;
                let trailer = Trailer::read(&authenticated[body_len - 4..]);
                let len = body_len - 4;
                if trailer.encrypted {
                    cipher.apply_keystream(
                        &Self::cm_iv(*salt, ssrc, u64::from(trailer.index)),
                        &mut authenticated[8..len],
                    );
                }
                Ok(Trailer { len, ..trailer })
            }
            Self::Aead { key, salt } => {
                let word_at = packet.len() - 4;
                let trailer = Trailer::read(&packet[word_at..]);
                let mut word = [0u8; 4];
                word.copy_from_slice(&packet[word_at..]);
                let iv = Self::gcm_rtcp_iv(*salt, ssrc, trailer.index);
                if trailer.encrypted {
                    let mut aad = [0u8; 12];
                    aad[..8].copy_from_slice(&packet[..8]);
                    aad[8..].copy_from_slice(&word);
                    key.open_in_place(&iv, &aad, &mut packet[8..word_at])
                        .map_err(|_| AuthFailed)?;
                } else {
                    // RFC 7714 §9.3: unencrypted SRTCP authenticates the whole packet and the
                    // index word as AAD over an empty plaintext. The AAD is not contiguous (the
                    // tag sits between), so it is gathered; browsers always encrypt, this path
                    // is for completeness and allocates.
                    let tag_at = word_at - AeadAlg::TAG_LEN;
                    let mut aad = Vec::with_capacity(tag_at + 4);
                    aad.extend_from_slice(&packet[..tag_at]);
                    aad.extend_from_slice(&word);
                    key.open_in_place(&iv, &aad, &mut packet[tag_at..word_at])
                        .map_err(|_| AuthFailed)?;
                }
                Ok(Trailer {
                    len: word_at - AeadAlg::TAG_LEN,
                    ..trailer
                })
            }
        }
    }
}

/// RFC 3711 §4.2: the HMAC-SHA1 of `parts`, truncated to the tag's length, must equal `tag`;
/// compared in constant time (a timing difference would say how much of a forged tag matched).
fn check_tag(auth: &HmacSha1Key, parts: &[&[u8]], tag: &[u8]) -> Result<(), AuthFailed> {
    let mac = auth.sign(parts);
    if ct_eq(&mac[..tag.len()], tag) {
        Ok(())
    } else {
        Err(AuthFailed)
    }
}

/// What an SRTCP packet's trailer said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Trailer {
    /// The E flag.
    pub(crate) encrypted: bool,
    /// The 31-bit SRTCP index.
    pub(crate) index: u32,
    /// Plaintext length (set after unprotection).
    pub(crate) len: usize,
}

impl Trailer {
    fn read(word: &[u8]) -> Self {
        let w = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        Self {
            encrypted: w & 0x8000_0000 != 0,
            index: w & 0x7fff_ffff,
            len: 0,
        }
    }
}

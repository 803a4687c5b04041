//! The DTLS 1.2 record layer (RFC 6347 §4.1): record headers, AEAD protection in place
//! (RFC 5288 for AES-GCM, RFC 7905 for ChaCha20-Poly1305, both as RFC 6347 §4.1.2.1 applies
//! them), and the anti-replay window (§4.1.2.6).
//!
//! A record is sealed in the buffer it was written into: header, explicit nonce, plaintext, then
//! room for the tag, all contiguous, so sending application data costs one copy of the payload
//! into the outgoing buffer and no allocation beyond the buffer itself. Opening works the same
//! way inside the received datagram's buffer.

use super::crypto::{AeadAlg, AeadKey};

/// Bytes of a DTLS 1.2 record header: type(1) version(2) epoch(2) sequence_number(6) length(2).
pub(crate) const HEADER_LEN: usize = 13;

/// Largest record body (TLSCiphertext's limit, RFC 5246 §6.2.3, kept by RFC 6347 §4.1).
pub(crate) const MAX_BODY: usize = (1 << 14) + 2048;

/// Largest record plaintext (RFC 5246 §6.2.1).
pub(crate) const MAX_PLAINTEXT: usize = 1 << 14;

/// Largest record sequence number (48 bits, RFC 6347 §4.1).
pub(crate) const MAX_SEQ: u64 = (1 << 48) - 1;

/// Content types (RFC 5246 §6.2.1).
pub(crate) mod content {
    /// change_cipher_spec
    pub(crate) const CHANGE_CIPHER_SPEC: u8 = 20;
    /// alert
    pub(crate) const ALERT: u8 = 21;
    /// handshake
    pub(crate) const HANDSHAKE: u8 = 22;
    /// application_data
    pub(crate) const APPLICATION_DATA: u8 = 23;
}

/// A parsed record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordHeader {
    /// Content type.
    pub(crate) content_type: u8,
    /// Wire version (0xFEFF or 0xFEFD).
    pub(crate) version: u16,
    /// Epoch.
    pub(crate) epoch: u16,
    /// 48-bit sequence number within the epoch.
    pub(crate) seq: u64,
    /// Body length.
    pub(crate) length: u16,
}

impl RecordHeader {
    /// Parses the header at the start of `buf`. `None` when shorter than a header or when the
    /// declared body runs past `buf` or past [`MAX_BODY`].
    pub(crate) fn parse(buf: &[u8]) -> Option<Self> {
        let h: &[u8; HEADER_LEN] = buf.get(..HEADER_LEN)?.try_into().ok()?;
        let length = u16::from_be_bytes([h[11], h[12]]);
        if usize::from(length) > MAX_BODY || buf.len() - HEADER_LEN < usize::from(length) {
            return None;
        }
        let mut seq = [0u8; 8];
        seq[2..].copy_from_slice(&h[5..11]);
        Some(Self {
            content_type: h[0],
            version: u16::from_be_bytes([h[1], h[2]]),
            epoch: u16::from_be_bytes([h[3], h[4]]),
            seq: u64::from_be_bytes(seq),
            length,
        })
    }

    /// Writes the header into `out` (exactly [`HEADER_LEN`] bytes).
    pub(crate) fn write(&self, out: &mut [u8]) {
        out[0] = self.content_type;
        out[1..3].copy_from_slice(&self.version.to_be_bytes());
        out[3..5].copy_from_slice(&self.epoch.to_be_bytes());
        out[5..11].copy_from_slice(&self.seq.to_be_bytes()[2..]);
        out[11..13].copy_from_slice(&self.length.to_be_bytes());
    }

    /// epoch || sequence_number: the 64-bit `seq_num` of the AEAD additional data (RFC 6347
    /// §4.1.2.1 replaces TLS's implicit counter with it).
    fn seq_num(&self) -> [u8; 8] {
        ((u64::from(self.epoch) << 48) | self.seq).to_be_bytes()
    }
}

/// One direction's AEAD state for an epoch.
pub(crate) struct RecordCipher {
    key: AeadKey,
    /// GCM: the 4-byte salt (client/server_write_IV); ChaCha20: the 12-byte IV.
    iv: [u8; 12],
}

impl std::fmt::Debug for RecordCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordCipher")
            .field("alg", &self.key.alg())
            .finish_non_exhaustive()
    }
}

/// Why a record could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// Too short to hold the explicit nonce and tag.
    Short,
    /// The tag did not verify.
    Auth,
}

impl RecordCipher {
    /// The cipher for `alg` with the key block's `key` and `iv` (4 bytes for GCM, 12 for
    /// ChaCha20-Poly1305).
    pub(crate) fn new(alg: AeadAlg, key: &[u8], iv: &[u8]) -> Self {
        let mut fixed = [0u8; 12];
        fixed[..iv.len()].copy_from_slice(iv);
        Self {
            key: AeadKey::new(alg, key),
            iv: fixed,
        }
    }

    /// Bytes an AEAD record adds in front of the plaintext (the GCM explicit nonce).
    pub(crate) fn prefix_len(&self) -> usize {
        match self.key.alg() {
            AeadAlg::ChaCha20Poly1305 => 0,
            _ => 8,
        }
    }

    /// Bytes a record adds around the plaintext (explicit nonce and tag).
    pub(crate) fn overhead(&self) -> usize {
        self.prefix_len() + AeadAlg::TAG_LEN
    }

    fn nonce(&self, seq_num: [u8; 8], explicit: Option<[u8; 8]>) -> [u8; 12] {
        let mut n = self.iv;
        match explicit {
            // RFC 5288 §3: salt(4) || nonce_explicit(8).
            Some(e) => n[4..].copy_from_slice(&e),
            // RFC 7905 §2: the IV XOR the left-padded 64-bit sequence number.
            None => {
                for (b, s) in n[4..].iter_mut().zip(seq_num) {
                    *b ^= s;
                }
            }
        }
        n
    }

    /// Seals the record in `record`: [`HEADER_LEN`] header bytes (written here from `header`,
    /// whose `length` is set), [`Self::prefix_len`] bytes of room, the plaintext, then 16 bytes
    /// of room for the tag. `record.len()` must be exactly that.
    pub(crate) fn seal(&self, mut header: RecordHeader, record: &mut [u8]) {
        let prefix = self.prefix_len();
        let plain_len = record.len() - HEADER_LEN - prefix - AeadAlg::TAG_LEN;
        let seq_num = header.seq_num();
        // RFC 5288 §3 lets the explicit nonce be the sequence number: unique per key by
        // construction (no random draw that could repeat, nothing to remember).
        let explicit = (prefix == 8).then_some(seq_num);
        let nonce = self.nonce(seq_num, explicit);
        let aad = aad(&header, seq_num, plain_len);
        header.length = u16::try_from(record.len() - HEADER_LEN)
            .expect("invariant: callers cut records to MAX_BODY");
        header.write(&mut record[..HEADER_LEN]);
        if let Some(e) = explicit {
            record[HEADER_LEN..HEADER_LEN + 8].copy_from_slice(&e);
        }
        self.key
            .seal_in_place(&nonce, &aad, &mut record[HEADER_LEN + prefix..]);
    }

    /// Opens a record body in place; returns the plaintext's range within `body`.
    pub(crate) fn open(
        &self,
        header: &RecordHeader,
        body: &mut [u8],
    ) -> Result<std::ops::Range<usize>, OpenError> {
        let (prefix, nonce, aad) = self.open_params(header, body)?;
        self.key
            .open_in_place(&nonce, &aad, &mut body[prefix..])
            .map_err(|_| OpenError::Auth)?;
        Ok(prefix..body.len() - AeadAlg::TAG_LEN)
    }

    /// Opens a record body borrowed from the datagram into `out`, which must have room for the
    /// body (the plaintext is shorter); returns the plaintext's length, written at the start of
    /// `out`. `body` is left as it was.
    pub(crate) fn open_to(
        &self,
        header: &RecordHeader,
        body: &[u8],
        out: &mut [u8],
    ) -> Result<usize, OpenError> {
        let (prefix, nonce, aad) = self.open_params(header, body)?;
        let plain_len = body.len() - prefix - AeadAlg::TAG_LEN;
        let out = out.get_mut(..plain_len).ok_or(OpenError::Short)?;
        self.key
            .open_to(&nonce, &aad, &body[prefix..], out)
            .map_err(|_| OpenError::Auth)?;
        Ok(plain_len)
    }

    /// The explicit nonce's length, the nonce and the additional data of a received `body`.
    fn open_params(
        &self,
        header: &RecordHeader,
        body: &[u8],
    ) -> Result<(usize, [u8; 12], [u8; 13]), OpenError> {
        let prefix = self.prefix_len();
        if body.len() < prefix + AeadAlg::TAG_LEN {
            return Err(OpenError::Short);
        }
        let seq_num = header.seq_num();
        let explicit = (prefix == 8).then(|| {
            let mut e = [0u8; 8];
            e.copy_from_slice(&body[..8]);
            e
        });
        let nonce = self.nonce(seq_num, explicit);
        let plain_len = body.len() - prefix - AeadAlg::TAG_LEN;
        Ok((prefix, nonce, aad(header, seq_num, plain_len)))
    }
}

/// RFC 5246 §6.2.3.3 additional data: seq_num + type + version + length (of the plaintext).
fn aad(header: &RecordHeader, seq_num: [u8; 8], plain_len: usize) -> [u8; 13] {
    let mut a = [0u8; 13];
    a[..8].copy_from_slice(&seq_num);
    a[8] = header.content_type;
    a[9..11].copy_from_slice(&header.version.to_be_bytes());
    a[11..13].copy_from_slice(
        &u16::try_from(plain_len)
            .expect("invariant: record bodies are at most MAX_BODY")
            .to_be_bytes(),
    );
    a
}

/// The anti-replay window of RFC 6347 §4.1.2.6, 128 records wide (the RFC's minimum is 32 and
/// its suggestion 64; a wider window costs nothing and keeps a burst reordered by a busy path
/// from being mistaken for replays).
#[derive(Debug, Clone, Default)]
pub(crate) struct ReplayWindow {
    /// Highest sequence number accepted so far, plus one (0: none yet).
    top: u64,
    /// Bit i set: `top - 1 - i` was received.
    bits: u128,
}

impl ReplayWindow {
    /// Width of the window in records.
    pub(crate) const WIDTH: u64 = 128;

    /// Whether `seq` is new (not seen, not left of the window). Checked before decryption;
    /// [`ReplayWindow::mark`] only after the record authenticated (§4.1.2.6).
    pub(crate) fn is_fresh(&self, seq: u64) -> bool {
        if seq >= self.top {
            return true;
        }
        let back = self.top - 1 - seq;
        back < Self::WIDTH && self.bits & (1u128 << back) == 0
    }

    /// Records `seq` as received.
    pub(crate) fn mark(&mut self, seq: u64) {
        if seq >= self.top {
            let shift = seq + 1 - self.top;
            self.bits = if shift >= Self::WIDTH {
                0
            } else {
                self.bits << shift
            };
            self.bits |= 1;
            self.top = seq + 1;
        } else {
            let back = self.top - 1 - seq;
            if back < Self::WIDTH {
                self.bits |= 1u128 << back;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn header_round_trip_and_bounds() {
        let h = RecordHeader {
            content_type: content::HANDSHAKE,
            version: 0xFEFD,
            epoch: 1,
            seq: MAX_SEQ,
            length: 3,
        };
        let mut b = [0u8; HEADER_LEN + 3];
        h.write(&mut b[..HEADER_LEN]);
        assert_eq!(RecordHeader::parse(&b), Some(h));
        assert_eq!(
            RecordHeader::parse(&b[..HEADER_LEN + 2]),
            None,
            "body runs past"
        );
        assert_eq!(RecordHeader::parse(&b[..HEADER_LEN - 1]), None);
    }

    #[test]
    fn seal_open_every_aead_and_tamper() {
        for (alg, klen, ivlen) in [
            (AeadAlg::Aes128Gcm, 16, 4),
            (AeadAlg::Aes256Gcm, 32, 4),
            (AeadAlg::ChaCha20Poly1305, 32, 12),
        ] {
            let key = vec![7u8; klen];
            let iv = vec![9u8; ivlen];
            let c = RecordCipher::new(alg, &key, &iv);
            let h = RecordHeader {
                content_type: content::APPLICATION_DATA,
                version: 0xFEFD,
                epoch: 1,
                seq: 5,
                length: 0,
            };
            let plain = b"hello record layer";
            let mut rec = vec![0u8; HEADER_LEN + c.overhead() + plain.len()];
            let p = HEADER_LEN + c.prefix_len();
            rec[p..p + plain.len()].copy_from_slice(plain);
            c.seal(h, &mut rec);
            let parsed = RecordHeader::parse(&rec).unwrap();
            assert_eq!(usize::from(parsed.length), rec.len() - HEADER_LEN);
            let mut body = rec[HEADER_LEN..].to_vec();
            let r = c.open(&parsed, &mut body).unwrap();
            assert_eq!(&body[r], plain);
            // Any change to the header (AAD), the nonce or the ciphertext fails.
            for i in 0..rec.len() {
                if (11..13).contains(&i) {
                    continue; // the length field is re-derived from the body
                }
                let mut t = rec.clone();
                t[i] ^= 1;
                let th = RecordHeader::parse(&t).unwrap();
                let mut tb = t[HEADER_LEN..].to_vec();
                assert_eq!(
                    c.open(&th, &mut tb),
                    Err(OpenError::Auth),
                    "{alg:?} byte {i}"
                );
            }
        }
    }

    // A model: the set of accepted numbers, and the rule "fresh iff unseen and within WIDTH of
    // the highest".
    proptest! {
        #[test]
        fn replay_window_matches_a_model(seqs in proptest::collection::vec(0u64..400, 1..300)) {
            let mut w = ReplayWindow::default();
            let mut seen = std::collections::BTreeSet::new();
            for s in seqs {
                let top = seen.iter().next_back().copied();
                let expect = !seen.contains(&s)
                    && top.is_none_or(|t| s > t || t - s < ReplayWindow::WIDTH);
                prop_assert_eq!(w.is_fresh(s), expect, "seq {}", s);
                if expect {
                    w.mark(s);
                    seen.insert(s);
                }
            }
        }
    }
}

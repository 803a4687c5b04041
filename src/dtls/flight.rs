//! Handshake message transport (RFC 6347 §4.2): flights kept for retransmission and cut into
//! records and datagrams to the MTU (§4.2.3), and bounded reassembly of the peer's fragments in
//! message_seq order (§4.2.2).

use super::message::{HandshakeHeader, MAX_MESSAGE_LEN};

/// One message of a flight, kept whole so a retransmission can cut it anew.
#[derive(Debug, Clone)]
pub(crate) enum FlightMsg {
    /// A handshake message: the 12-byte header (unfragmented form) and the body.
    Handshake {
        /// Epoch it goes out in (0, or 1 for Finished).
        epoch: u16,
        /// Header + body.
        bytes: Vec<u8>,
    },
    /// change_cipher_spec (always epoch 0).
    ChangeCipherSpec,
}

/// How many messages past the next expected one are buffered (RFC 6347 §4.2.2 "MAY discard"):
/// a flight holds at most six, so anything further ahead is not from this handshake.
const MAX_AHEAD: u16 = 6;

/// Bytes of partial messages held at once (a certificate chain or two).
const MAX_BUFFERED: usize = 160 * 1024;

#[derive(Debug)]
struct Partial {
    seq: u16,
    msg_type: u8,
    body: Vec<u8>,
    /// Received byte ranges, sorted and merged.
    have: Vec<(u32, u32)>,
}

impl Partial {
    fn complete(&self) -> bool {
        self.have.len() == 1 && self.have[0] == (0, self.len())
    }

    fn len(&self) -> u32 {
        u32::try_from(self.body.len()).expect("invariant: bodies are at most MAX_MESSAGE_LEN")
    }

    fn add(&mut self, from: u32, to: u32) {
        self.have.push((from, to));
        self.have.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(self.have.len());
        for &(a, b) in &self.have {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        self.have = merged;
    }
}

/// What happened to one fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inserted {
    /// Stored (or already had it).
    Stored,
    /// A message we already delivered: the peer is retransmitting its previous flight.
    Old,
    /// Dropped: too far ahead, over the memory bound, or inconsistent with earlier fragments.
    Dropped,
}

/// The peer's handshake messages, reassembled and released in message_seq order.
#[derive(Debug, Default)]
pub(crate) struct Reassembler {
    next: u16,
    partial: Vec<Partial>,
    buffered: usize,
}

impl Reassembler {
    /// The next message_seq to be delivered.
    pub(crate) fn next_seq(&self) -> u16 {
        self.next
    }

    /// Sets the next expected message_seq (a server accepting the cookie-bearing ClientHello).
    pub(crate) fn set_next(&mut self, seq: u16) {
        self.next = seq;
        self.partial.retain(|p| p.seq >= seq);
        self.buffered = self.partial.iter().map(|p| p.body.len()).sum();
    }

    /// Adds one fragment.
    pub(crate) fn insert(&mut self, h: &HandshakeHeader, fragment: &[u8]) -> Inserted {
        if h.message_seq < self.next {
            return Inserted::Old;
        }
        if h.message_seq - self.next > MAX_AHEAD || h.length > MAX_MESSAGE_LEN {
            return Inserted::Dropped;
        }
        let idx = match self.partial.iter().position(|p| p.seq == h.message_seq) {
            Some(i) => {
                let p = &self.partial[i];
                // RFC 6347 §4.2.3: every fragment of a message carries the same type and total
                // length; one that does not is not of this message.
                if p.msg_type != h.msg_type || p.len() != h.length {
                    return Inserted::Dropped;
                }
                i
            }
            None => {
                let len = h.length as usize;
                if self.buffered + len > MAX_BUFFERED {
                    return Inserted::Dropped;
                }
                self.buffered += len;
                self.partial.push(Partial {
                    seq: h.message_seq,
                    msg_type: h.msg_type,
                    body: vec![0; len],
                    have: Vec::new(),
                });
                self.partial.len() - 1
            }
        };
        let p = &mut self.partial[idx];
        let (from, to) = (h.fragment_offset, h.fragment_offset + h.fragment_length);
        if to > from {
            p.body[from as usize..to as usize].copy_from_slice(fragment);
            p.add(from, to);
        } else if p.len() == 0 {
            p.add(0, 0);
        }
        Inserted::Stored
    }

    /// The next message if it is complete: (message_seq, msg_type, body).
    pub(crate) fn pop(&mut self) -> Option<(u16, u8, Vec<u8>)> {
        let i = self
            .partial
            .iter()
            .position(|p| p.seq == self.next && p.complete())?;
        let p = self.partial.swap_remove(i);
        self.buffered -= p.body.len();
        self.next += 1;
        Some((p.seq, p.msg_type, p.body))
    }

    /// Bytes of partial messages held.
    #[cfg(test)]
    pub(crate) fn buffered(&self) -> usize {
        self.buffered
    }
}

/// A whole handshake message (header in its unfragmented form, then the body): what flights
/// keep and what the transcript hashes (RFC 6347 §4.2.6).
pub(crate) fn whole_message(msg_type: u8, seq: u16, body: &[u8]) -> Vec<u8> {
    let length = u32::try_from(body.len())
        .ok()
        .filter(|&l| l <= MAX_MESSAGE_LEN)
        .expect("invariant: our messages are far below MAX_MESSAGE_LEN");
    let mut out = Vec::with_capacity(HandshakeHeader::LEN + body.len());
    HandshakeHeader {
        msg_type,
        length,
        message_seq: seq,
        fragment_offset: 0,
        fragment_length: length,
    }
    .encode(&mut out);
    out.extend_from_slice(body);
    out
}

//! SRTP and SRTCP (RFC 3711, RFC 7714): protection in place, keyed from the DTLS exporter
//! (RFC 5764 §4.2).
//!
//! An [`SrtpSession`] is both directions of one DTLS-SRTP association: what we send is
//! protected with our write keys, what arrives is unprotected with the remote's. Every profile
//! DTLS negotiates is here ([`SrtpProfile`]): AEAD_AES_256_GCM, AEAD_AES_128_GCM
//! (RFC 7714), AES_CM_128_HMAC_SHA1_80 and _32 (RFC 3711, RFC 5764 §4.1.2).
//!
//! - **In place.** A packet is protected inside the buffer it was written into (the tag, and for
//!   SRTCP the index word, go into room after it) and unprotected inside the datagram's buffer;
//!   the plaintext is a prefix of it. No allocation per packet.
//! - **Indices.** SRTP's 48-bit index is the roll-over counter and the sequence number, the
//!   ROC estimated per RFC 3711 §3.3.1 (the first packet may carry any sequence number, and
//!   reordering across a wrap is placed right); SRTCP's 31-bit index travels in the packet with
//!   the E flag (§3.4). Both are updated only after a packet authenticates.
//! - **Replay protection** (§3.3.2) per SSRC over a window of [`SrtpConfig::replay_window`]
//!   indices (default 1024, libwebrtc's choice: a video stream at a few thousand packets per
//!   second, with retransmissions arriving up to a second late and reordering on the path, must
//!   not have late packets refused as "too old"; libsrtp's default 128 is too narrow for that).
//! - **Bounded.** Per-SSRC state exists only for packets that authenticated, and at most
//!   [`SrtpConfig::max_streams`] SSRCs per direction; packets of more are dropped and counted.
//! - **Drops are counted, not raised.** A failed tag, a replay, a packet too old for the window
//!   or too short to be one: `unprotect_*` returns the [`SrtpDrop`] reason and
//!   [`SrtpSession::drops`] counts it. The caller drops the packet; nothing is an error.

mod cipher;
mod index;
#[cfg(test)]
mod tests;

pub use crate::dtls::SrtpProfile;

use crate::dtls::DtlsRole;
use crate::vecmap::SortedVec;
use bytes::BytesMut;
use cipher::{AuthFailed, Transform};
use index::{ReplayRefusal, ReplayWindow, RocState, SRTCP_INDEX_MAX, SRTP_INDEX_MAX};

/// Options of an [`SrtpSession`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SrtpConfig {
    /// Width of the replay window in packets (RFC 3711 §3.3.2), per SSRC, for SRTP and SRTCP.
    /// Rounded up to a power of two between 64 and 2^20. Default 1024 (see the module
    /// documentation).
    pub replay_window: usize,
    /// Most SSRCs tracked per direction (default 1024: an SFU connection with a hundred
    /// simulcast video tracks, their RTX streams and audio, with room to spare). Each costs
    /// about `replay_window / 4` bytes. Packets of further SSRCs are dropped and counted
    /// ([`SrtpDrops::stream_limit`]); sending on one is refused.
    pub max_streams: usize,
}

impl Default for SrtpConfig {
    fn default() -> Self {
        Self {
            replay_window: 1024,
            max_streams: 1024,
        }
    }
}

impl SrtpConfig {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`replay_window`](Self::replay_window).
    pub fn with_replay_window(mut self, packets: usize) -> Self {
        self.replay_window = packets;
        self
    }

    /// Sets [`max_streams`](Self::max_streams).
    pub fn with_max_streams(mut self, streams: usize) -> Self {
        self.max_streams = streams;
        self
    }
}

/// A master key and salt of one direction (RFC 3711 §8.2). Secret: `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    key: [u8; 32],
    key_len: u8,
    salt: [u8; 14],
    salt_len: u8,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey")
            .field("key_len", &self.key_len)
            .finish_non_exhaustive()
    }
}

impl MasterKey {
    /// A master key and salt for `profile` ([`SrtpProfile::key_len`] and
    /// [`SrtpProfile::salt_len`] bytes).
    pub fn new(profile: SrtpProfile, key: &[u8], salt: &[u8]) -> Result<Self, SrtpError> {
        if key.len() != profile.key_len() || salt.len() != profile.salt_len() {
            return Err(SrtpError::KeyLength);
        }
        let mut k = [0u8; 32];
        k[..key.len()].copy_from_slice(key);
        let mut s = [0u8; 14];
        s[..salt.len()].copy_from_slice(salt);
        Ok(Self {
            key: k,
            key_len: key.len() as u8,
            salt: s,
            salt_len: salt.len() as u8,
        })
    }

    fn key(&self) -> &[u8] {
        &self.key[..usize::from(self.key_len)]
    }

    fn salt(&self) -> &[u8] {
        &self.salt[..usize::from(self.salt_len)]
    }

    /// The client's and the server's master keys from DTLS-SRTP keying material (RFC 5764
    /// §4.2: `client_write_key || server_write_key || client_write_salt || server_write_salt`).
    pub fn from_keying_material(
        profile: SrtpProfile,
        material: &[u8],
    ) -> Result<(Self, Self), SrtpError> {
        let (k, s) = (profile.key_len(), profile.salt_len());
        if material.len() != 2 * (k + s) {
            return Err(SrtpError::KeyLength);
        }
        let client = Self::new(profile, &material[..k], &material[2 * k..2 * k + s])?;
        let server = Self::new(profile, &material[k..2 * k], &material[2 * k + s..])?;
        Ok((client, server))
    }
}

/// What can go wrong making a session or protecting a packet (the caller's mistakes, never the
/// network's: received packets are dropped with an [`SrtpDrop`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SrtpError {
    /// Keying material, key or salt of the wrong length for the profile.
    #[error("key or salt length does not match the SRTP profile")]
    KeyLength,
    /// Not an RTP packet (shorter than its header says, or not version 2), or not an RTCP
    /// packet (shorter than 8 bytes).
    #[error("not a valid RTP/RTCP packet")]
    Malformed,
    /// The buffer has no room for the tag (and index word) after the packet.
    #[error("no room after the packet for the SRTP trailer")]
    NoRoom,
    /// This SSRC would exceed [`SrtpConfig::max_streams`].
    #[error("too many SSRCs")]
    TooManyStreams,
    /// The SSRC has used up its indices (2^48 SRTP packets or 2^31 SRTCP packets): RFC 3711
    /// §9.2 forbids sending more under this master key. Also a sequence number whose index would
    /// fall before the stream's first one (more than 2^15 behind the first packet sent, with
    /// no roll-over yet): it has no index.
    #[error("SRTP index space exhausted; the session must be rekeyed")]
    IndexExhausted,
}

/// Why a received packet was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SrtpDrop {
    /// Too short for its header and tag, or not RTP version 2 / RTCP.
    Malformed,
    /// The tag did not verify (forged, damaged, or keyed differently).
    AuthFailed,
    /// The index was accepted before (RFC 3711 §3.3.2).
    Replayed,
    /// The index lies behind the replay window (§3.3.2).
    TooOld,
    /// The index falls outside the index space (a roll-over counter below 0 or past 2^32−1).
    IndexOutOfRange,
    /// A new SSRC beyond [`SrtpConfig::max_streams`].
    StreamLimit,
}

/// Dropped packets by reason, SRTP and SRTCP together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SrtpDrops {
    /// [`SrtpDrop::Malformed`].
    pub malformed: u64,
    /// [`SrtpDrop::AuthFailed`].
    pub auth_failed: u64,
    /// [`SrtpDrop::Replayed`].
    pub replayed: u64,
    /// [`SrtpDrop::TooOld`].
    pub too_old: u64,
    /// [`SrtpDrop::IndexOutOfRange`].
    pub index_out_of_range: u64,
    /// [`SrtpDrop::StreamLimit`].
    pub stream_limit: u64,
}

impl SrtpDrops {
    fn count(&mut self, reason: SrtpDrop) {
        let c = match reason {
            SrtpDrop::Malformed => &mut self.malformed,
            SrtpDrop::AuthFailed => &mut self.auth_failed,
            SrtpDrop::Replayed => &mut self.replayed,
            SrtpDrop::TooOld => &mut self.too_old,
            SrtpDrop::IndexOutOfRange => &mut self.index_out_of_range,
            SrtpDrop::StreamLimit => &mut self.stream_limit,
        };
        *c += 1;
    }

    /// Every drop.
    pub fn total(&self) -> u64 {
        self.malformed
            + self.auth_failed
            + self.replayed
            + self.too_old
            + self.index_out_of_range
            + self.stream_limit
    }
}

/// Per-SSRC state of one direction.
#[derive(Debug, Clone, Default)]
struct Stream {
    /// SRTP: roll-over counter and highest sequence number.
    roc: RocState,
    /// SRTP replay window (inbound only).
    rtp_replay: Option<ReplayWindow>,
    /// SRTCP: the next index to send (outbound).
    rtcp_next: u32,
    /// SRTCP replay window (inbound only).
    rtcp_replay: Option<ReplayWindow>,
}

/// One direction's keys and streams.
#[derive(Debug)]
struct Direction {
    rtp: Transform,
    rtcp: Transform,
    streams: SortedVec<u32, Stream>,
}

impl Direction {
    fn new(profile: SrtpProfile, key: &MasterKey) -> Self {
        Self {
            rtp: Transform::derive(profile, key.key(), key.salt(), false),
            rtcp: Transform::derive(profile, key.key(), key.salt(), true),
            streams: SortedVec::default(),
        }
    }
}

/// Both directions of SRTP/SRTCP for one DTLS-SRTP association. See the module documentation.
#[derive(Debug)]
pub struct SrtpSession {
    profile: SrtpProfile,
    config: SrtpConfig,
    outbound: Direction,
    inbound: Direction,
    drops: SrtpDrops,
}

/// The RTP header length and SSRC, from the fixed header, the CSRC count and the extension
/// length (RFC 3550 §5.1, §5.3.1). Only what SRTP needs: the rest is `rtp`'s to check.
#[inline]
fn rtp_header(packet: &[u8]) -> Option<(usize, u32)> {
    if packet.len() < 12 || packet[0] >> 6 != 2 {
        return None;
    }
    let mut len = 12 + 4 * usize::from(packet[0] & 0x0f);
    if packet[0] & 0x10 != 0 {
        let ext = packet.get(len..len + 4)?;
        len += 4 + 4 * usize::from(u16::from_be_bytes([ext[2], ext[3]]));
    }
    if len > packet.len() {
        return None;
    }
    let ssrc = u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]);
    Some((len, ssrc))
}

/// The sender SSRC of an RTCP packet (RFC 3550 §6.4: every packet type starts with it), if the
/// packet is long enough and version 2.
fn rtcp_ssrc(packet: &[u8]) -> Option<u32> {
    if packet.len() < 8 || packet[0] >> 6 != 2 {
        return None;
    }
    Some(u32::from_be_bytes([
        packet[4], packet[5], packet[6], packet[7],
    ]))
}

impl SrtpSession {
    /// A session with our master key (`local`, for what we send) and the remote's (`remote`,
    /// for what we receive).
    pub fn new(
        profile: SrtpProfile,
        local: &MasterKey,
        remote: &MasterKey,
        config: SrtpConfig,
    ) -> Self {
        Self {
            profile,
            config,
            outbound: Direction::new(profile, local),
            inbound: Direction::new(profile, remote),
            drops: SrtpDrops::default(),
        }
    }

    /// A session from DTLS-SRTP keying material (what [`crate::dtls::DtlsEvent::KeyingMaterial`]
    /// carries) for our DTLS `role`: the client writes with the client keys and reads with the
    /// server's (RFC 5764 §4.2).
    pub fn from_keying_material(
        profile: SrtpProfile,
        material: &[u8],
        role: DtlsRole,
        config: SrtpConfig,
    ) -> Result<Self, SrtpError> {
        let (client, server) = MasterKey::from_keying_material(profile, material)?;
        Ok(match role {
            DtlsRole::Client => Self::new(profile, &client, &server, config),
            DtlsRole::Server => Self::new(profile, &server, &client, config),
        })
    }

    /// The profile.
    pub fn profile(&self) -> SrtpProfile {
        self.profile
    }

    /// Bytes [`protect_rtp`](Self::protect_rtp) adds to a packet (the tag: 16, 10 or 4).
    pub fn rtp_overhead(&self) -> usize {
        self.outbound.rtp.tag_len()
    }

    /// Bytes [`protect_rtcp`](Self::protect_rtcp) adds (the index word and the tag: 20 or 14).
    pub fn rtcp_overhead(&self) -> usize {
        4 + self.outbound.rtcp.tag_len()
    }

    /// Received packets dropped so far, by reason.
    pub fn drops(&self) -> &SrtpDrops {
        &self.drops
    }

    /// Protects the RTP packet `buf[..len]` in place; `buf` must have
    /// [`rtp_overhead`](Self::rtp_overhead) more bytes after it. Returns the SRTP packet's
    /// length. The packet index comes from its sequence number and this SSRC's roll-over
    /// counter (a retransmission with an old sequence number gets the index it had).
    pub fn protect_rtp_in(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let out_len = len + self.rtp_overhead();
        if buf.len() < out_len {
            return Err(SrtpError::NoRoom);
        }
        let (header_len, ssrc) = rtp_header(&buf[..len]).ok_or(SrtpError::Malformed)?;
        let seq = u16::from_be_bytes([buf[2], buf[3]]);
        let stream = outbound_stream(&mut self.outbound.streams, ssrc, self.config.max_streams)?;
        let index = stream.roc.estimate(seq).ok_or(SrtpError::IndexExhausted)?;
        if index > SRTP_INDEX_MAX {
            return Err(SrtpError::IndexExhausted);
        }
        stream.roc.update(index);
        self.outbound
            .rtp
            .protect_rtp(&mut buf[..out_len], header_len, ssrc, index);
        Ok(out_len)
    }

    /// [`protect_rtp_in`](Self::protect_rtp_in) on a `BytesMut` holding exactly the packet:
    /// the tag is appended (no allocation when the buffer has the capacity).
    pub fn protect_rtp(&mut self, packet: &mut BytesMut) -> Result<(), SrtpError> {
        let room = self.rtp_overhead();
        append_trailer(packet, room, |buf, len| self.protect_rtp_in(buf, len))
    }

    /// Unprotects the SRTP packet `packet` in place. On success the RTP packet is
    /// `packet[..n]` for the returned `n`. On failure the packet must be dropped (its contents
    /// are unspecified) and the reason is counted in [`drops`](Self::drops).
    pub fn unprotect_rtp_in(&mut self, packet: &mut [u8]) -> Result<usize, SrtpDrop> {
        let r = self.unprotect_rtp_inner(packet);
        if let Err(reason) = r {
            self.drops.count(reason);
        }
        r
    }

    /// [`unprotect_rtp_in`](Self::unprotect_rtp_in) on a `BytesMut`, truncated to the RTP
    /// packet on success.
    pub fn unprotect_rtp(&mut self, packet: &mut BytesMut) -> Result<(), SrtpDrop> {
        let n = self.unprotect_rtp_in(packet)?;
        packet.truncate(n);
        Ok(())
    }

    fn unprotect_rtp_inner(&mut self, packet: &mut [u8]) -> Result<usize, SrtpDrop> {
        let tag_len = self.inbound.rtp.tag_len();
        let body = packet
            .len()
            .checked_sub(tag_len)
            .ok_or(SrtpDrop::Malformed)?;
        let (header_len, ssrc) = rtp_header(&packet[..body]).ok_or(SrtpDrop::Malformed)?;
        let seq = u16::from_be_bytes([packet[2], packet[3]]);
        // RFC 3711 §3.3: estimate the index, check the replay list, authenticate, and only
        // then update the roll-over counter and the replay list.
        let slot = self.inbound_slot(ssrc)?;
        let existing = slot.ok().map(|i| self.inbound.streams.at(i));
        let roc = existing.map(|s| s.roc).unwrap_or_default();
        let index = roc.estimate(seq).ok_or(SrtpDrop::IndexOutOfRange)?;
        check_replay(existing.and_then(|s| s.rtp_replay.as_ref()), index)?;
        self.inbound
            .rtp
            .unprotect_rtp(packet, header_len, ssrc, index)
            .map_err(|AuthFailed| SrtpDrop::AuthFailed)?;
        let window = self.config.replay_window;
        let stream = slot_stream(&mut self.inbound.streams, slot, ssrc);
        stream.roc.update(index);
        accept_replay(&mut stream.rtp_replay, window, index);
        Ok(body)
    }

    /// Protects the RTCP compound packet `buf[..len]` in place with the E flag set and this
    /// sender SSRC's next SRTCP index; `buf` must have [`rtcp_overhead`](Self::rtcp_overhead)
    /// more bytes after it. Returns the SRTCP packet's length.
    pub fn protect_rtcp_in(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let out_len = len + self.rtcp_overhead();
        if buf.len() < out_len {
            return Err(SrtpError::NoRoom);
        }
        let ssrc = rtcp_ssrc(&buf[..len]).ok_or(SrtpError::Malformed)?;
        let stream = outbound_stream(&mut self.outbound.streams, ssrc, self.config.max_streams)?;
        let index = stream.rtcp_next;
        if index > SRTCP_INDEX_MAX {
            return Err(SrtpError::IndexExhausted);
        }
        // RFC 3711 §3.4: the index starts at 0 and grows by one per packet.
        stream.rtcp_next += 1;
        self.outbound
            .rtcp
            .protect_rtcp(&mut buf[..out_len], len, ssrc, index);
        Ok(out_len)
    }

    /// [`protect_rtcp_in`](Self::protect_rtcp_in) on a `BytesMut` holding exactly the packet.
    pub fn protect_rtcp(&mut self, packet: &mut BytesMut) -> Result<(), SrtpError> {
        let room = self.rtcp_overhead();
        append_trailer(packet, room, |buf, len| self.protect_rtcp_in(buf, len))
    }

    /// Unprotects the SRTCP packet `packet` in place; on success the RTCP compound packet is
    /// `packet[..n]`. Failures are counted in [`drops`](Self::drops).
    pub fn unprotect_rtcp_in(&mut self, packet: &mut [u8]) -> Result<usize, SrtpDrop> {
        let r = self.unprotect_rtcp_inner(packet);
        if let Err(reason) = r {
            self.drops.count(reason);
        }
        r
    }

    /// [`unprotect_rtcp_in`](Self::unprotect_rtcp_in) on a `BytesMut`, truncated to the RTCP
    /// packet on success.
    pub fn unprotect_rtcp(&mut self, packet: &mut BytesMut) -> Result<(), SrtpDrop> {
        let n = self.unprotect_rtcp_in(packet)?;
        packet.truncate(n);
        Ok(())
    }

    fn unprotect_rtcp_inner(&mut self, packet: &mut [u8]) -> Result<usize, SrtpDrop> {
        let tag_len = self.inbound.rtcp.tag_len();
        if packet.len() < 8 + 4 + tag_len {
            return Err(SrtpDrop::Malformed);
        }
        let ssrc = rtcp_ssrc(packet).ok_or(SrtpDrop::Malformed)?;
        // The index word: before the tag for AES-CM (RFC 3711 §3.4), last for AEAD (RFC 7714
        // §9.1). It is authenticated either way; it is read first for the replay check.
        let word_at = match self.inbound.rtcp {
            Transform::AesCm { .. } => packet.len() - tag_len - 4,
            Transform::Aead { .. } => packet.len() - 4,
        };
        let word = u32::from_be_bytes([
            packet[word_at],
            packet[word_at + 1],
            packet[word_at + 2],
            packet[word_at + 3],
        ]);
        let index = u64::from(word & 0x7fff_ffff);
        let slot = self.inbound_slot(ssrc)?;
        let existing = slot.ok().map(|i| self.inbound.streams.at(i));
        check_replay(existing.and_then(|s| s.rtcp_replay.as_ref()), index)?;
        let trailer = self
            .inbound
            .rtcp
            .unprotect_rtcp(packet, ssrc)
            .map_err(|AuthFailed| SrtpDrop::AuthFailed)?;
        let window = self.config.replay_window;
        let stream = slot_stream(&mut self.inbound.streams, slot, ssrc);
        accept_replay(&mut stream.rtcp_replay, window, index);
        Ok(trailer.len)
    }

    /// The slot of `ssrc`'s inbound state (`Ok` if it has some); `StreamLimit` when it has none
    /// and there is no room for one more. One search per packet: the slot serves the look-up
    /// before authentication and the update after it.
    fn inbound_slot(&self, ssrc: u32) -> Result<Result<usize, usize>, SrtpDrop> {
        let slot = self.inbound.streams.slot(&ssrc);
        if slot.is_err() && self.inbound.streams.len() >= self.config.max_streams {
            return Err(SrtpDrop::StreamLimit);
        }
        Ok(slot)
    }

    /// Test hook: the session keys given directly (RFC 7714's vectors give session keys, not
    /// master keys), the same for both directions.
    #[cfg(test)]
    pub(crate) fn with_session_transforms(
        profile: SrtpProfile,
        make: impl Fn(bool) -> Transform,
    ) -> Self {
        Self {
            profile,
            config: SrtpConfig::default(),
            outbound: Direction {
                rtp: make(false),
                rtcp: make(true),
                streams: SortedVec::default(),
            },
            inbound: Direction {
                rtp: make(false),
                rtcp: make(true),
                streams: SortedVec::default(),
            },
            drops: SrtpDrops::default(),
        }
    }

    /// Test hook: the next SRTCP index an outbound SSRC uses.
    #[cfg(test)]
    pub(crate) fn set_next_srtcp_index(&mut self, ssrc: u32, index: u32) {
        let max = self.config.max_streams;
        outbound_stream(&mut self.outbound.streams, ssrc, max)
            .expect("room for a test stream")
            .rtcp_next = index;
    }
}

#[inline]
fn outbound_stream(
    streams: &mut SortedVec<u32, Stream>,
    ssrc: u32,
    max: usize,
) -> Result<&mut Stream, SrtpError> {
    let slot = streams.slot(&ssrc);
    if slot.is_err() && streams.len() >= max {
        return Err(SrtpError::TooManyStreams);
    }
    Ok(slot_stream(streams, slot, ssrc))
}

/// The stream in `slot` (from `SortedVec::slot` for `ssrc`, the map unchanged since), made
/// when the slot was empty.
#[inline]
fn slot_stream(
    streams: &mut SortedVec<u32, Stream>,
    slot: Result<usize, usize>,
    ssrc: u32,
) -> &mut Stream {
    match slot {
        Ok(i) => streams.at_mut(i),
        Err(i) => streams.insert_at(i, ssrc, Stream::default()),
    }
}

/// RFC 3711 §3.3.2: a known stream's window refuses replays and indices behind it; a stream
/// without one (its first packet of this kind) accepts anything.
#[inline]
fn check_replay(window: Option<&ReplayWindow>, index: u64) -> Result<(), SrtpDrop> {
    match window.map(|w| w.check(index)) {
        Some(Err(ReplayRefusal::Replayed)) => Err(SrtpDrop::Replayed),
        Some(Err(ReplayRefusal::TooOld)) => Err(SrtpDrop::TooOld),
        _ => Ok(()),
    }
}

/// Records an authenticated index, making the window on the stream's first packet.
#[inline]
fn accept_replay(window: &mut Option<ReplayWindow>, size: usize, index: u64) {
    window
        .get_or_insert_with(|| ReplayWindow::new(size))
        .accept(index);
}

/// Makes `room` bytes after the packet in `packet`, protects with `protect(buf, len)` and
/// trims to what it wrote; on failure the packet is left as it was.
fn append_trailer(
    packet: &mut BytesMut,
    room: usize,
    protect: impl FnOnce(&mut [u8], usize) -> Result<usize, SrtpError>,
) -> Result<(), SrtpError> {
    let len = packet.len();
    packet.resize(len + room, 0);
    match protect(packet, len) {
        Ok(n) => {
            packet.truncate(n);
            Ok(())
        }
        Err(e) => {
            packet.truncate(len);
            Err(e)
        }
    }
}

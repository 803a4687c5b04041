//! The receive path of the association: packet acceptance (framing, ports and the verification
//! tag rules of RFC 9260 §8.5 / §8.5.1), dispatch of each chunk to the part of the protocol it
//! belongs to, unrecognized chunks (§3.2), DATA and its SACK policy (§6.2), SACK (§6.2.1),
//! FORWARD TSN (RFC 3758 §3.6) and ERROR (§3.3.10).

use super::assoc::{Association, AssociationState, SackDue, Timer};
use super::chunk::{self, Chunk, Data, ForwardTsn, Params, Sack, cause, typ};
use super::packet::{COMMON_HEADER_LEN, ChunkView, Packet, UnknownChunkAction};
use super::recv::{Owner, Refused};
use bytes::{Bytes, BytesMut};
use std::ops::Range;
use std::time::Instant;

/// What becomes of the rest of a packet after one of its chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    /// On to the next chunk.
    Next,
    /// No more chunks, but what the packet's data asks for (a SACK, a deferred reset, the
    /// shutdown's progress) still follows.
    EndOfChunks,
    /// The rest of the packet is dropped and nothing follows.
    Drop,
}

/// What the DATA chunks of one packet ask for (RFC 9260 §6.2).
#[derive(Debug, Default, Clone, Copy)]
struct DataSeen {
    /// The packet carried DATA (or I-DATA).
    had_data: bool,
    /// The SACK is to go at once.
    immediate: bool,
}

impl Association {
    /// Takes one SCTP packet (a DTLS application-data record). Bad input is dropped and counted.
    pub fn handle_packet(&mut self, now: Instant, buf: &[u8]) {
        let owner = Owner {
            bytes: None,
            packet: buf.len(),
        };
        self.process_packet(now, buf, owner);
    }

    /// Like [`Association::handle_packet`], for a packet already in a [`Bytes`] (as DTLS hands
    /// them over): message payloads are slices of it, not copies.
    pub fn handle_packet_bytes(&mut self, now: Instant, packet: &Bytes) {
        let owner = Owner {
            bytes: Some(packet),
            packet: packet.len(),
        };
        self.process_packet(now, packet, owner);
    }

    /// Like [`Association::handle_packet_bytes`], for the packet at `range` of `buf` (a DTLS
    /// record opened in place in its datagram): payloads kept are slices of `buf`.
    pub(crate) fn handle_packet_in(&mut self, now: Instant, buf: &Bytes, range: Range<usize>) {
        let Some(packet) = buf.get(range) else {
            return;
        };
        let owner = Owner {
            bytes: Some(buf),
            packet: packet.len(),
        };
        self.process_packet(now, packet, owner);
    }

    /// Whether handling `packet` would keep a payload of it as a slice (a message whole in one
    /// chunk, an unordered DATA fragment, a fragment out of TSN order), so that it is worth
    /// handing over in a shared buffer ([`Association::handle_packet_in`]); otherwise its
    /// payloads are copied into reassembly and a borrowed packet does. A wrong guess costs a
    /// copy, never correctness.
    pub(crate) fn keeps_slices_of(&self, packet: &[u8]) -> bool {
        let Some(r) = self.receiver.as_ref() else {
            return false;
        };
        let mut expected = r.cum_tsn().wrapping_add(1);
        let mut rest = packet.get(COMMON_HEADER_LEN..).unwrap_or_default();
        while let [typ, flags, l0, l1, ..] = *rest {
            let len = usize::from(u16::from_be_bytes([l0, l1]));
            if typ == typ::DATA || typ == typ::I_DATA {
                let Some(&[t0, t1, t2, t3]) = rest.get(4..8) else {
                    return true;
                };
                let whole = flags & (chunk::flags::BEGIN | chunk::flags::END)
                    == chunk::flags::BEGIN | chunk::flags::END;
                let unordered = typ == typ::DATA && flags & chunk::flags::UNORDERED != 0;
                if whole || unordered || u32::from_be_bytes([t0, t1, t2, t3]) != expected {
                    return true;
                }
                expected = expected.wrapping_add(1);
            }
            if len < 4 {
                return true;
            }
            rest = rest.get(len.next_multiple_of(4)..).unwrap_or_default();
        }
        false
    }

    /// RFC 9260 §8: one received packet, accepted or dropped as a whole, then chunk by chunk.
    fn process_packet(&mut self, now: Instant, buf: &[u8], owner: Owner<'_>) {
        self.advance(now);
        let Some(pkt) = self.accept_packet(buf) else {
            return;
        };
        self.stats.packets_received += 1;
        let tag = pkt.verification_tag;
        let mut seen = DataSeen::default();
        for v in pkt.chunks() {
            match self.on_chunk(v, tag, owner, &mut seen) {
                Flow::Next => {}
                Flow::EndOfChunks => break,
                Flow::Drop => return,
            }
        }
        if seen.had_data {
            self.after_data(seen.immediate);
        } else if seen.immediate {
            self.sack = SackDue::Now;
        }
        self.check_deferred_reset();
        self.maybe_progress_shutdown();
    }

    /// RFC 9260 §8.5: parses a packet and checks its ports and verification tag; a packet that
    /// fails is dropped and counted.
    fn accept_packet<'a>(&mut self, buf: &'a [u8]) -> Option<Packet<'a>> {
        let Ok(pkt) = Packet::parse(buf, self.cfg.zero_checksum) else {
            self.stats.dropped.malformed += 1;
            return None;
        };
        if pkt.destination_port != self.cfg.port || pkt.source_port != self.cfg.remote_port {
            self.stats.dropped.malformed += 1;
            return None;
        }
        let Some(first) = pkt.chunks().next() else {
            self.stats.dropped.malformed += 1;
            return None;
        };
        if !self.verification_tag_ok(&pkt, first) {
            self.stats.dropped.bad_tag += 1;
            return None;
        }
        Some(pkt)
    }

    /// RFC 9260 §8.5 / §8.5.1: the verification tag rules, by the packet's first chunk.
    fn verification_tag_ok(&self, pkt: &Packet<'_>, first: ChunkView<'_>) -> bool {
        let tag = pkt.verification_tag;
        match first.typ {
            // §6.10: INIT is never bundled; §8.5.1 A: its tag is zero.
            typ::INIT => tag == 0 && pkt.chunks().count() == 1,
            typ::COOKIE_ECHO => true, // checked against the cookie
            typ::ABORT | typ::SHUTDOWN_COMPLETE => {
                if first.flags & chunk::flags::T != 0 {
                    tag == self.peer_tag && self.peer_tag != 0
                } else {
                    tag == self.my_tag && self.my_tag != 0
                }
            }
            _ => self.my_tag != 0 && tag == self.my_tag,
        }
    }

    /// RFC 9260 §3.2 / §8: hands one chunk of an accepted packet to the part of the protocol it
    /// belongs to; a malformed chunk ends the packet.
    fn on_chunk(
        &mut self,
        v: ChunkView<'_>,
        tag: u32,
        owner: Owner<'_>,
        seen: &mut DataSeen,
    ) -> Flow {
        let Ok(c) = Chunk::parse(v) else {
            self.stats.dropped.bad_chunk += 1;
            // A malformed chunk ends the packet: nothing after it can be trusted.
            return Flow::EndOfChunks;
        };
        match c {
            Chunk::Data(d) => self.on_data_chunk(v.typ == typ::I_DATA, &d, owner, seen),
            Chunk::Init(init) => {
                self.on_init(&init);
                return Flow::Drop;
            }
            Chunk::InitAck(init) => {
                self.on_init_ack(&init);
                return Flow::Drop;
            }
            Chunk::Sack(s) => self.on_sack(&s),
            Chunk::Heartbeat(info) => self.on_heartbeat(info),
            Chunk::HeartbeatAck(info) => self.on_heartbeat_ack(info),
            Chunk::Abort { causes, .. } => {
                self.on_abort(causes);
                return Flow::Drop;
            }
            Chunk::Shutdown { cum_tsn } => self.on_shutdown(cum_tsn),
            Chunk::ShutdownAck => self.on_shutdown_ack(tag),
            Chunk::Error(causes) => self.on_error(causes),
            Chunk::CookieEcho(c) => {
                if !self.on_cookie_echo(c, tag) {
                    return Flow::Drop;
                }
            }
            Chunk::CookieAck => self.on_cookie_ack(),
            Chunk::ShutdownComplete { .. } => {
                self.on_shutdown_complete();
                return Flow::Drop;
            }
            Chunk::ReConfig(params) => self.on_reconfig(params),
            Chunk::Pad => {}
            Chunk::ForwardTsn(f) => {
                self.on_forward_tsn(&f, v.typ == typ::I_FORWARD_TSN);
                seen.immediate = true;
            }
            Chunk::Unknown(u) => return self.on_unknown_chunk(u),
        }
        Flow::Next
    }

    /// RFC 9260 §6.2 / RFC 8260 §2.2: a DATA or I-DATA chunk (the kind the association
    /// negotiated), noting whether the SACK is to go at once.
    fn on_data_chunk(
        &mut self,
        i_data_chunk: bool,
        d: &Data<'_>,
        owner: Owner<'_>,
        seen: &mut DataSeen,
    ) {
        if i_data_chunk != self.caps.i_data {
            // RFC 8260 §2.2: the wrong kind of data chunk is a protocol violation.
            self.stats.dropped.unexpected += 1;
            return;
        }
        seen.had_data = true;
        if d.flags & chunk::flags::IMMEDIATE != 0 {
            seen.immediate = true;
        }
        if !self.on_data(d, owner) {
            seen.immediate = true;
        }
    }

    /// RFC 9260 §3.2: an unrecognized chunk is skipped or ends the packet, and may be reported,
    /// as the upper two bits of its type say.
    fn on_unknown_chunk(&mut self, u: ChunkView<'_>) -> Flow {
        match UnknownChunkAction::of(u.typ) {
            UnknownChunkAction::Stop => Flow::EndOfChunks,
            UnknownChunkAction::StopAndReport => {
                self.report_unrecognized(u);
                Flow::EndOfChunks
            }
            UnknownChunkAction::Skip => Flow::Next,
            UnknownChunkAction::SkipAndReport => {
                self.report_unrecognized(u);
                Flow::Next
            }
        }
    }

    /// RFC 9260 §3.3.10.6: queues an Unrecognized Chunk Type error (a few at most).
    fn report_unrecognized(&mut self, u: ChunkView<'_>) {
        if self.errors.len() >= 4 || self.receiver.is_none() {
            return;
        }
        let mut v = BytesMut::with_capacity(4 + u.value.len());
        chunk::write_chunk_header(&mut v, u.typ, u.flags, u.value.len());
        v.extend_from_slice(u.value);
        // Keep the report within one packet.
        v.truncate(self.cfg.mtu / 2);
        self.errors
            .push_back((cause::UNRECOGNIZED_CHUNK, v.to_vec()));
    }

    /// One DATA chunk. False when the SACK should go at once (duplicate, gap, refusal).
    fn on_data(&mut self, d: &Data<'_>, owner: Owner<'_>) -> bool {
        let accepting = matches!(
            self.state,
            AssociationState::Established
                | AssociationState::ShutdownPending
                | AssociationState::ShutdownSent
        );
        let inbound = self.inbound_streams;
        let Some(r) = self.receiver.as_mut().filter(|_| accepting) else {
            self.stats.dropped.unexpected += 1;
            return true;
        };
        // §6.5: a chunk on a stream that does not exist is acknowledged, its data dropped,
        // and reported with an Invalid Stream Identifier error.
        let valid = d.stream < inbound;
        match r.on_data(d, valid, owner) {
            Ok(()) => {
                if !valid && self.errors.len() < 4 {
                    let mut v = d.stream.to_be_bytes().to_vec();
                    v.extend_from_slice(&[0, 0]);
                    self.errors.push_back((cause::INVALID_STREAM, v));
                }
                !r.has_gaps()
            }
            Err(Refused::Duplicate) => {
                self.stats.dropped.duplicates += 1;
                false
            }
            Err(Refused::OutOfWindow) => {
                self.stats.dropped.out_of_window += 1;
                false
            }
            Err(Refused::BufferFull) => {
                self.stats.dropped.buffer_full += 1;
                false
            }
        }
    }

    /// §6.2: SACK at once on gaps, duplicates or every second packet; otherwise delay (≤ 200 ms).
    fn after_data(&mut self, immediate: bool) {
        if self.state == AssociationState::ShutdownSent {
            // §9.2: answer DATA with SHUTDOWN (it carries the cumulative ack).
            self.shutdown_due = true;
            return;
        }
        self.data_packets_unacked += 1;
        if immediate || self.data_packets_unacked >= 2 {
            // The SACK is cut now, as its own packet, rather than left owed until the next
            // poll: a caller that hands over a batch of datagrams before polling (recvmmsg,
            // GRO, a simulator delivering a burst) must still produce one SACK per trigger, or
            // the sender loses its miss indications (§7.2.4) and its cwnd growth (§7.2.1),
            // which are counted per SACK.
            self.queue_sack_packet();
        } else if self.sack == SackDue::No {
            self.sack = SackDue::Delayed;
            self.timers
                .set(Timer::DelayedAck, self.now + self.cfg.delayed_ack);
        }
    }

    /// RFC 9260 §6.2.1: a SACK, in the states where data may be outstanding.
    fn on_sack(&mut self, s: &Sack<'_>) {
        if !matches!(
            self.state,
            AssociationState::Established
                | AssociationState::ShutdownPending
                | AssociationState::ShutdownReceived
                | AssociationState::ShutdownSent
        ) {
            self.stats.dropped.unexpected += 1;
            return;
        }
        let out = self
            .sender
            .on_sack(self.now, s.cum_tsn, s.a_rwnd, s.gap_blocks());
        if out.progress {
            self.error_count = 0;
        }
    }

    /// RFC 3758 §3.6 / RFC 8260 §2.3.1: a FORWARD TSN or I-FORWARD TSN (the kind negotiated).
    fn on_forward_tsn(&mut self, f: &ForwardTsn<'_>, i_forward: bool) {
        if i_forward != self.caps.i_data || !self.caps.forward_tsn && !self.caps.i_data {
            self.stats.dropped.unexpected += 1;
            return;
        }
        let Some(r) = self.receiver.as_mut() else {
            self.stats.dropped.unexpected += 1;
            return;
        };
        // RFC 3758 §3.6 trusts the new cumulative point; one beyond the TSN window is no
        // abandonment a sender could have made: ignored and counted.
        if !r.on_forward_tsn(f.new_cum_tsn, f.skipped()) {
            self.stats.dropped.out_of_window += 1;
        }
    }

    /// RFC 9260 §3.3.10: the error causes we act on: Stale Cookie (§5.2.6), and an
    /// unrecognized RE-CONFIG (the peer does not do RFC 6525).
    fn on_error(&mut self, causes: Params<'_>) {
        for c in causes.iter() {
            // §5.2.6: a Stale Cookie error in COOKIE-ECHOED restarts with a fresh INIT.
            if c.typ == cause::STALE_COOKIE && self.state == AssociationState::CookieEchoed {
                self.restart_after_stale_cookie();
                return;
            }
            if c.typ == cause::UNRECOGNIZED_CHUNK && c.value.first() == Some(&typ::RE_CONFIG) {
                // The peer does not do RFC 6525: these streams cannot be reset.
                self.on_reconfig_unsupported();
            }
        }
    }
}

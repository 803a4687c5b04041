//! The transmit path of the association: packets queued whole (INIT, INIT ACK, SACKs cut on
//! arrival, replies to stray packets) and the packet assembled at each poll, with its control
//! chunks bundled ahead of DATA in the order RFC 9260 §6.10 allows (COOKIE ECHO first), the
//! SACK (§6.2), and the common header with its checksum (§6.8, RFC 9653 zero checksum).

use super::assoc::{Association, AssociationState, SackDue, Timer};
use super::chunk::{
    ForwardTsn, ReconfigParam, Sack, StreamList, param, typ, write_chunk, write_param,
};
use super::packet::{COMMON_HEADER_LEN, checksum};
use bytes::BytesMut;
use std::time::Instant;

/// Most ready-made packets kept for an application that does not poll.
const MAX_QUEUED_PACKETS: usize = 64;

impl Association {
    /// The largest packet [`Association::poll_transmit_into`] writes ([`SctpConfig::mtu`](super::SctpConfig::mtu)).
    pub fn max_packet_len(&self) -> usize {
        self.cfg.mtu
    }

    /// The next packet to send (to be given to DTLS as application data), at `now`: timers it
    /// needs (T3-rtx, RE-CONFIG, a heartbeat's RTT) start at `now`, never at an older time
    /// (DESIGN §3: commands carry no time; the driver polls with the time right after them).
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Vec<u8>> {
        let mut buf = BytesMut::new();
        self.poll_transmit_into(now, &mut buf).then(|| buf.to_vec())
    }

    /// Like [`Association::poll_transmit`], writing into `buf` (cleared first) so that the caller
    /// can reuse one buffer. Returns false when there is nothing to send.
    pub fn poll_transmit_into(&mut self, now: Instant, buf: &mut BytesMut) -> bool {
        buf.clear();
        self.poll_transmit_append(now, buf)
    }

    /// Appends the next packet to `buf`, after what it already holds: the `Peer` hands it the
    /// DTLS record being written (header and nonce in place), so the packet is sealed where it
    /// was written. Returns false, with `buf` as it was, when there is nothing to send.
    pub fn poll_transmit_append(&mut self, now: Instant, buf: &mut BytesMut) -> bool {
        self.advance(now);
        let start = buf.len();
        if let Some(p) = self.out_packets.pop_front() {
            self.append_queued_packet(p, buf);
            return true;
        }
        if self.state == AssociationState::Closed || self.peer_tag == 0 {
            return false;
        }
        self.maybe_start_reset();
        buf.reserve(self.cfg.mtu);
        self.write_header(buf, self.peer_tag);
        let limit = start + self.cfg.mtu;
        self.bundle_handshake(buf);
        let data_state = matches!(
            self.state,
            AssociationState::Established
                | AssociationState::ShutdownPending
                | AssociationState::ShutdownReceived
        );
        let will_send_data = data_state && self.sender.wants_to_send();
        if self.sack == SackDue::Now || (self.sack == SackDue::Delayed && will_send_data) {
            self.write_sack(buf);
        }
        self.bundle_forward_tsn(buf, limit);
        self.bundle_reconfig(buf, limit);
        self.bundle_heartbeats(buf, limit);
        self.bundle_errors(buf, limit);
        self.bundle_shutdown(buf);
        if data_state {
            let room = limit.saturating_sub(buf.len());
            self.sender.write_data(self.now, buf, room);
        }
        if buf.len() == start + COMMON_HEADER_LEN {
            buf.truncate(start);
            return false;
        }
        let z = self.caps.zero_checksum;
        self.finish_packet(&mut buf[start..], z);
        self.stats.packets_sent += 1;
        true
    }

    /// Hands out a packet queued whole. Packets cut earlier (SACKs, control chunks) are small:
    /// copied into the caller's buffer (a DTLS record being written, for the Peer), their buffer
    /// kept for reuse.
    fn append_queued_packet(&mut self, mut p: BytesMut, buf: &mut BytesMut) {
        buf.extend_from_slice(&p);
        if self.spare.len() < 4 && p.capacity() >= 64 {
            p.clear();
            self.spare.push(p);
        }
        self.stats.packets_sent += 1;
    }

    /// RFC 9260 §5.1 / §6.10: the COOKIE ECHO (first in the packet) and COOKIE ACK, when due.
    fn bundle_handshake(&mut self, buf: &mut BytesMut) {
        if self.cookie_echo_due
            && self.state == AssociationState::CookieEchoed
            && let Some(c) = &self.cookie_echo
        {
            self.cookie_echo_due = false;
            write_chunk(buf, typ::COOKIE_ECHO, 0, |o| o.extend_from_slice(c));
        }
        if std::mem::take(&mut self.cookie_ack_due) {
            write_chunk(buf, typ::COOKIE_ACK, 0, |_| {});
        }
    }

    /// RFC 3758 §3.5 / RFC 8260 §2.3: the (I-)FORWARD TSN when the sender abandoned data, if it
    /// fits; otherwise it stays due.
    fn bundle_forward_tsn(&mut self, buf: &mut BytesMut, limit: usize) {
        if self.sender.forward_tsn_due
            && let Some((cum, skipped)) = self.sender.forward_tsn()
        {
            let size = 8 + skipped.len() * 8;
            if buf.len() + size <= limit {
                self.sender.forward_tsn_due = false;
                ForwardTsn::write(buf, self.caps.i_data, cum, skipped.into_iter());
            }
        } else {
            self.sender.forward_tsn_due = false;
        }
    }

    /// RFC 6525 §4.4 / §4.1: the Re-configuration Responses due and our outstanding Outgoing SSN
    /// Reset Request, each in a RE-CONFIG chunk of its own, as far as they fit.
    fn bundle_reconfig(&mut self, buf: &mut BytesMut, limit: usize) {
        while let Some((seq, result)) = self.responses_due.front().copied() {
            if buf.len() + 16 > limit {
                break;
            }
            self.responses_due.pop_front();
            write_chunk(buf, typ::RE_CONFIG, 0, |o| {
                ReconfigParam::Response {
                    response_seq: seq,
                    result,
                }
                .write(o)
            });
        }
        if self.reset_request_due
            && let Some(req) = &self.reset_request
        {
            let bytes = ReconfigParam::stream_bytes(&req.streams);
            if buf.len() + 24 + bytes.len() <= limit {
                self.reset_request_due = false;
                write_chunk(buf, typ::RE_CONFIG, 0, |o| {
                    ReconfigParam::OutgoingReset {
                        request_seq: req.seq,
                        response_seq: req.response_seq,
                        last_tsn: req.last_tsn,
                        streams: StreamList::from_bytes(&bytes),
                    }
                    .write(o)
                });
            }
        }
    }

    /// RFC 9260 §8.3: HEARTBEAT ACKs owed to the peer, and our HEARTBEAT (with a fresh nonce),
    /// as far as they fit.
    fn bundle_heartbeats(&mut self, buf: &mut BytesMut, limit: usize) {
        while let Some(info) = self.heartbeat_acks.front() {
            if buf.len() + 4 + info.len() > limit {
                break;
            }
            let info = self
                .heartbeat_acks
                .pop_front()
                .expect("invariant: front exists");
            write_chunk(buf, typ::HEARTBEAT_ACK, 0, |o| o.extend_from_slice(&info));
        }
        if std::mem::take(&mut self.heartbeat_due) && buf.len() + 16 <= limit {
            let nonce = self.rng.next_u64();
            self.heartbeat_outstanding = Some((nonce, self.now));
            write_chunk(buf, typ::HEARTBEAT, 0, |o| {
                write_param(o, param::HEARTBEAT_INFO, &nonce.to_be_bytes())
            });
        }
    }

    /// RFC 9260 §3.3.10: the ERROR chunks queued (one cause each), as far as they fit.
    fn bundle_errors(&mut self, buf: &mut BytesMut, limit: usize) {
        while let Some((_, value)) = self.errors.front() {
            if buf.len() + 8 + value.len() > limit {
                break;
            }
            let (code, value) = self.errors.pop_front().expect("invariant: front exists");
            write_chunk(buf, typ::ERROR, 0, |o| write_param(o, code, &value));
        }
    }

    /// RFC 9260 §9.2: SHUTDOWN (which acknowledges, as a SACK does) and SHUTDOWN ACK, when due.
    fn bundle_shutdown(&mut self, buf: &mut BytesMut) {
        if std::mem::take(&mut self.shutdown_due) {
            let cum = self.receiver.as_ref().map_or(0, |r| r.cum_tsn());
            write_chunk(buf, typ::SHUTDOWN, 0, |o| {
                o.extend_from_slice(&cum.to_be_bytes())
            });
            if self.sack != SackDue::No {
                self.sack_sent();
            }
        }
        if std::mem::take(&mut self.shutdown_ack_due) {
            write_chunk(buf, typ::SHUTDOWN_ACK, 0, |_| {});
        }
    }

    /// RFC 9260 §3.1: the common header, with the checksum left zero for `finish_packet`.
    pub(super) fn write_header(&self, out: &mut BytesMut, tag: u32) {
        out.extend_from_slice(&self.cfg.port.to_be_bytes());
        out.extend_from_slice(&self.cfg.remote_port.to_be_bytes());
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&[0; 4]);
    }

    /// RFC 9260 §6.8 / RFC 9653 §5.2: fills in the CRC32c checksum, unless the packet goes with a
    /// zero checksum.
    pub(super) fn finish_packet(&mut self, out: &mut [u8], zero_checksum: bool) {
        if !zero_checksum {
            let crc = checksum(out);
            out[8..12].copy_from_slice(&crc.to_le_bytes());
        }
    }

    /// Queues a complete packet (INIT, INIT ACK, SACK, replies to stray packets), bounded.
    pub(super) fn queue_packet(&mut self, out: BytesMut) {
        if self.out_packets.len() >= MAX_QUEUED_PACKETS {
            self.stats.dropped.packets_not_queued += 1;
            return;
        }
        self.out_packets.push_back(out);
    }

    /// RFC 9260 §6.2: a SACK cut at once as a packet of its own (queued, a bounded number), or
    /// owed to the next poll when the queue is full.
    pub(super) fn queue_sack_packet(&mut self) {
        if self.out_packets.len() < 64 {
            let mut out = self.spare.pop().unwrap_or_default();
            out.clear();
            self.write_header(&mut out, self.peer_tag);
            self.write_sack(&mut out);
            let z = self.caps.zero_checksum;
            self.finish_packet(&mut out, z);
            self.queue_packet(out);
        } else {
            self.sack = SackDue::Now;
        }
    }

    /// RFC 9260 §3.3.4 / §6.2: writes a SACK for what the receiver holds (the lowest gap blocks
    /// that fit half a packet, and the duplicates).
    fn write_sack(&mut self, buf: &mut BytesMut) {
        let Some(r) = self.receiver.as_ref() else {
            self.sack = SackDue::No;
            return;
        };
        let s = r.sack();
        self.last_advertised_rwnd = s.a_rwnd as usize;
        // Keep the SACK within half a packet: the lowest gaps matter most.
        let max_gaps = ((self.cfg.mtu / 2).saturating_sub(16 + 4 * s.dups.len())) / 4;
        let n = s.gaps.len().min(max_gaps);
        let base = s.base;
        Sack::write(
            buf,
            s.cum_tsn,
            s.a_rwnd,
            s.gaps[..n]
                .iter()
                .map(|&(a, b)| ((a - base) as u16, (b - base) as u16)),
            s.dups.iter().copied(),
        );
        self.sack_sent();
    }

    /// RFC 9260 §6.2: a SACK went out: nothing is owed, the delayed-ack timer stops.
    fn sack_sent(&mut self) {
        self.sack = SackDue::No;
        self.data_packets_unacked = 0;
        self.timers.stop(Timer::DelayedAck);
        if let Some(r) = self.receiver.as_mut() {
            r.clear_dups();
        }
    }
}

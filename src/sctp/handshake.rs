//! RFC 9260 §5: association initialization. INIT and INIT ACK with the capabilities they
//! announce (RFC 5061 §4.2.7 supported extensions, RFC 3758 §3.1, RFC 9653 zero checksum), the
//! HMAC-protected state cookie (§5.1.3), COOKIE ECHO and COOKIE ACK, INIT collisions and peer
//! restarts (§5.2), the Stale Cookie error (§5.2.6) and the T1-init / T1-cookie timers.

use super::assoc::{Association, AssociationState, CloseReason, SctpEvent, Timer};
use super::chunk::{self, EDMID_DTLS, Init, Params, cause, param, typ, write_chunk, write_param};
use super::recv::{Receiver, RecvLimits};
use super::send::{SendParams, Sender};
use bytes::BytesMut;
use hmac::{Hmac, KeyInit, Mac};
use std::time::Instant;

type HmacSha256 = Hmac<sha2::Sha256>;

/// What the peer supports, from INIT / INIT ACK.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Caps {
    pub(super) i_data: bool,
    pub(super) forward_tsn: bool,
    pub(super) reconfig: bool,
    pub(super) zero_checksum: bool,
}

impl Caps {
    fn bits(self) -> u8 {
        u8::from(self.i_data)
            | u8::from(self.forward_tsn) << 1
            | u8::from(self.reconfig) << 2
            | u8::from(self.zero_checksum) << 3
    }
    fn from_bits(b: u8) -> Self {
        Caps {
            i_data: b & 1 != 0,
            forward_tsn: b & 2 != 0,
            reconfig: b & 4 != 0,
            zero_checksum: b & 8 != 0,
        }
    }
}

/// The state a cookie carries (RFC 9260 §5.1.3), authenticated with HMAC-SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cookie {
    my_tag: u32,
    peer_tag: u32,
    my_initial_tsn: u32,
    peer_initial_tsn: u32,
    peer_a_rwnd: u32,
    outbound: u16,
    inbound: u16,
    caps: Caps,
    tie_my: u32,
    tie_peer: u32,
    created_ms: u64,
}

const COOKIE_BODY: usize = 1 + 4 * 5 + 2 * 2 + 1 + 4 * 2 + 8;
const COOKIE_LEN: usize = COOKIE_BODY + 32;

impl Cookie {
    fn encode(&self, secret: &[u8; 32]) -> Vec<u8> {
        let mut b = Vec::with_capacity(COOKIE_LEN);
        b.push(1);
        for v in [
            self.my_tag,
            self.peer_tag,
            self.my_initial_tsn,
            self.peer_initial_tsn,
            self.peer_a_rwnd,
        ] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.extend_from_slice(&self.outbound.to_be_bytes());
        b.extend_from_slice(&self.inbound.to_be_bytes());
        b.push(self.caps.bits());
        b.extend_from_slice(&self.tie_my.to_be_bytes());
        b.extend_from_slice(&self.tie_peer.to_be_bytes());
        b.extend_from_slice(&self.created_ms.to_be_bytes());
        let mut mac = HmacSha256::new_from_slice(secret).expect("invariant: HMAC takes any key");
        mac.update(&b);
        b.extend_from_slice(&mac.finalize().into_bytes());
        b
    }

    fn decode(b: &[u8], secret: &[u8; 32]) -> Option<Cookie> {
        if b.len() != COOKIE_LEN || b[0] != 1 {
            return None;
        }
        let mut mac = HmacSha256::new_from_slice(secret).expect("invariant: HMAC takes any key");
        mac.update(&b[..COOKIE_BODY]);
        mac.verify_slice(&b[COOKIE_BODY..]).ok()?;
        let r = |i: usize| chunk::be32(&b[i..]);
        Some(Cookie {
            my_tag: r(1),
            peer_tag: r(5),
            my_initial_tsn: r(9),
            peer_initial_tsn: r(13),
            peer_a_rwnd: r(17),
            outbound: chunk::be16(&b[21..]),
            inbound: chunk::be16(&b[23..]),
            caps: Caps::from_bits(b[25]),
            tie_my: r(26),
            tie_peer: r(30),
            created_ms: u64::from_be_bytes(b[34..42].try_into().expect("invariant: 8 bytes")),
        })
    }
}

impl Association {
    /// RFC 9260 §5.1 A: start the association (send INIT). Either side, or both, may call it;
    /// a collision resolves per §5.2.1.
    pub fn connect(&mut self, now: Instant) {
        self.advance(now);
        if self.state != AssociationState::Closed {
            return;
        }
        self.my_tag = self.nonzero_u32();
        self.my_initial_tsn = self.draw_initial_tsn();
        self.init_retransmits = 0;
        self.init_rto = self.cfg.rto_initial;
        self.state = AssociationState::CookieWait;
        self.send_init();
    }

    /// RFC 9260 §5.1 A: sends (or resends) the INIT and starts T1-init.
    fn send_init(&mut self) {
        let mut out = BytesMut::with_capacity(128);
        self.write_header(&mut out, 0);
        write_chunk(&mut out, typ::INIT, 0, |o| {
            self.init_fixed(self.my_tag, self.my_initial_tsn)
                .write_fixed(o);
            self.write_init_params(o);
        });
        // RFC 9653 §5.2: packets with INIT always carry a real checksum.
        self.finish_packet(&mut out, false);
        self.queue_packet(out);
        self.timers.set(Timer::T1Init, self.now + self.init_rto);
    }

    /// The fixed part of an INIT or INIT ACK (RFC 9260 §3.3.2, §3.3.3).
    fn init_fixed(&self, tag: u32, tsn: u32) -> Init<'static> {
        Init {
            initiate_tag: tag,
            a_rwnd: self.cfg.receive_window_bytes as u32,
            outbound_streams: self.cfg.streams,
            inbound_streams: self.cfg.streams,
            initial_tsn: tsn,
            params: Params::default(),
        }
    }

    /// The optional parameters of our INIT and INIT ACK: the extensions we speak.
    fn write_init_params(&self, o: &mut BytesMut) {
        // RFC 5061 §4.2.7: the extensions we speak.
        let mut ext = vec![typ::FORWARD_TSN, typ::RE_CONFIG];
        if self.cfg.i_data {
            ext.extend([typ::I_DATA, typ::I_FORWARD_TSN]);
        }
        write_param(o, param::SUPPORTED_EXTENSIONS, &ext);
        // RFC 3758 §3.1.
        write_param(o, param::FORWARD_TSN_SUPPORTED, &[]);
        if self.cfg.zero_checksum {
            write_param(o, param::ZERO_CHECKSUM, &EDMID_DTLS.to_be_bytes());
        }
    }

    /// The peer's capabilities from its INIT / INIT ACK parameters, and the parameters to report
    /// as unrecognized (RFC 9260 §3.2.1: by the upper two bits of the type).
    fn read_params(&self, params: Params<'_>, unrecognized: &mut BytesMut) -> Caps {
        let mut ext: &[u8] = &[];
        let mut caps = Caps::default();
        for p in params.iter() {
            match p.typ {
                param::SUPPORTED_EXTENSIONS => ext = p.value,
                param::FORWARD_TSN_SUPPORTED => caps.forward_tsn = true,
                param::ZERO_CHECKSUM => {
                    caps.zero_checksum = p.value.len() == 4 && chunk::be32(p.value) == EDMID_DTLS
                }
                param::STATE_COOKIE | param::UNRECOGNIZED => {}
                // IPv4/IPv6 addresses, cookie preservative, host name, supported address types:
                // meaningless over DTLS, accepted and ignored.
                5 | 6 | 9 | 11 | 12 => {}
                t => {
                    if t & 0x4000 != 0 {
                        // A parsed parameter's length came from a 16-bit field, so it fits.
                        let len = u16::try_from(4 + p.value.len())
                            .expect("invariant: parsed from a 16-bit length");
                        unrecognized.extend_from_slice(&t.to_be_bytes());
                        unrecognized.extend_from_slice(&len.to_be_bytes());
                        unrecognized.extend_from_slice(p.value);
                        chunk::pad(unrecognized, p.value.len());
                    }
                    if t & 0x8000 == 0 {
                        break;
                    }
                }
            }
        }
        caps.i_data =
            self.cfg.i_data && ext.contains(&typ::I_DATA) && ext.contains(&typ::I_FORWARD_TSN);
        caps.reconfig = ext.contains(&typ::RE_CONFIG);
        caps.forward_tsn |= ext.contains(&typ::FORWARD_TSN);
        caps.zero_checksum &= self.cfg.zero_checksum;
        caps
    }

    /// RFC 9260 §5.1.3: the cookie's creation time, in milliseconds since the association began.
    fn ms_since_epoch(&self) -> u64 {
        self.now.saturating_duration_since(self.epoch).as_millis() as u64
    }

    /// RFC 9260 §3.3.2: a random Initial TSN (one fixed by a test, in tests).
    fn draw_initial_tsn(&mut self) -> u32 {
        let tsn = self.rng.next_u32();
        #[cfg(test)]
        if let Some(t) = self.initial_tsn_for_test {
            return t;
        }
        tsn
    }

    /// Tests: the initial TSN this side will choose (to cross the 2^32 wrap early).
    #[cfg(test)]
    pub(super) fn set_initial_tsn_for_test(&mut self, tsn: u32) {
        self.initial_tsn_for_test = Some(tsn);
    }

    /// RFC 9260 §5.3.1: a random, non-zero verification tag.
    fn nonzero_u32(&mut self) -> u32 {
        loop {
            let v = self.rng.next_u32();
            if v != 0 {
                return v;
            }
        }
    }

    /// RFC 9260 §5.1 / §6.3.3 E2: T1-init or T1-cookie expired: the INIT or COOKIE ECHO goes
    /// again with the timer backed off, or the handshake gives up after Max.Init.Retransmits.
    pub(super) fn on_t1_expiry(&mut self, t: Timer) {
        let now = self.now;
        self.init_retransmits += 1;
        if self.init_retransmits > self.cfg.max_init_retransmits {
            self.close(CloseReason::HandshakeTimeout);
            return;
        }
        // E2 for T1, with the same back-off cap as T3-rtx.
        let cap = self
            .cfg
            .max_timer_backoff
            .map_or(self.cfg.rto_max, |c| c.max(self.cfg.rto_initial));
        self.init_rto = (self.init_rto * 2).min(self.cfg.rto_max).min(cap);
        if t == Timer::T1Init && self.state == AssociationState::CookieWait {
            self.send_init();
        } else if self.state == AssociationState::CookieEchoed {
            self.cookie_echo_due = true;
            self.timers.set(Timer::T1Cookie, now + self.init_rto);
        }
    }

    /// §5.1 B, §5.2.1, §5.2.2: answer an INIT with an INIT ACK carrying a state cookie.
    pub(super) fn on_init(&mut self, init: &Init<'_>) {
        // §3.3.2: a zero Initiate Tag is discarded; no streams is invalid.
        if init.initiate_tag == 0 || init.outbound_streams == 0 || init.inbound_streams == 0 {
            self.stats.dropped.bad_chunk += 1;
            return;
        }
        if matches!(self.state, AssociationState::ShutdownAckSent) {
            // §9.2: an INIT in SHUTDOWN-ACK-SENT gets the SHUTDOWN ACK again.
            self.shutdown_ack_due = true;
            return;
        }
        let mut unrecognized = BytesMut::new();
        let caps = self.read_params(init.params, &mut unrecognized);
        let (my_tag, my_tsn, tie_my, tie_peer) = match self.state {
            AssociationState::Closed => (self.nonzero_u32(), self.draw_initial_tsn(), 0, 0),
            // §5.2.1: in a collision, the INIT ACK repeats our INIT's tag and TSN.
            AssociationState::CookieWait | AssociationState::CookieEchoed => {
                (self.my_tag, self.my_initial_tsn, 0, 0)
            }
            // §5.2.2: otherwise a fresh tag, and the current ones as tie-tags (a restart).
            _ => (
                self.nonzero_u32(),
                self.rng.next_u32(),
                self.my_tag,
                self.peer_tag,
            ),
        };
        let cookie = Cookie {
            my_tag,
            peer_tag: init.initiate_tag,
            my_initial_tsn: my_tsn,
            peer_initial_tsn: init.initial_tsn,
            peer_a_rwnd: init.a_rwnd,
            outbound: self.cfg.streams.min(init.inbound_streams),
            inbound: self.cfg.streams.min(init.outbound_streams),
            caps,
            tie_my,
            tie_peer,
            created_ms: self.ms_since_epoch(),
        }
        .encode(&self.secret);
        let mut out = BytesMut::with_capacity(256);
        // §8.5.1: the INIT ACK carries the INIT's Initiate Tag.
        self.write_header(&mut out, init.initiate_tag);
        write_chunk(&mut out, typ::INIT_ACK, 0, |o| {
            self.init_fixed(my_tag, my_tsn).write_fixed(o);
            write_param(o, param::STATE_COOKIE, &cookie);
            self.write_init_params(o);
            if !unrecognized.is_empty() {
                write_param(o, param::UNRECOGNIZED, &unrecognized);
            }
        });
        // RFC 9653 §5.2: zero checksum only to a peer that announced it, never with INIT.
        self.finish_packet(&mut out, caps.zero_checksum);
        // An INIT flood gets at most a handful of answers queued; the rest are counted.
        if self.out_packets.len() < 8 {
            self.queue_packet(out);
        } else {
            self.stats.dropped.packets_not_queued += 1;
        }
    }

    /// §5.1 C: INIT ACK in COOKIE-WAIT: echo the cookie.
    pub(super) fn on_init_ack(&mut self, init: &Init<'_>) {
        if self.state != AssociationState::CookieWait {
            // §5.2.3: an unexpected INIT ACK is discarded.
            self.stats.dropped.unexpected += 1;
            return;
        }
        let Some(cookie) = init.params.find(param::STATE_COOKIE) else {
            // §5.1: a missing State Cookie is an error; answer with an ABORT would need the tag,
            // which we have: report and keep waiting for a valid INIT ACK.
            self.stats.dropped.bad_chunk += 1;
            return;
        };
        if init.initiate_tag == 0 || init.outbound_streams == 0 || init.inbound_streams == 0 {
            self.stats.dropped.bad_chunk += 1;
            return;
        }
        let mut unrecognized = BytesMut::new();
        self.caps = self.read_params(init.params, &mut unrecognized);
        self.peer_tag = init.initiate_tag;
        self.outbound_streams = self.cfg.streams.min(init.inbound_streams);
        self.inbound_streams = self.cfg.streams.min(init.outbound_streams);
        self.timers.stop(Timer::T1Init);
        self.cookie_echo = Some(cookie.to_vec());
        self.cookie_echo_due = true;
        self.state = AssociationState::CookieEchoed;
        self.init_retransmits = 0;
        self.timers.set(Timer::T1Cookie, self.now + self.init_rto);
        // The TCB is built now so that data can follow the cookie-ack.
        self.start_tcb(init.initial_tsn, init.a_rwnd);
    }

    /// RFC 9260 §5.1: builds the TCB (sender and receiver) from the negotiated values, keeping
    /// the messages queued before the association was up.
    fn start_tcb(&mut self, peer_initial_tsn: u32, peer_a_rwnd: u32) {
        let params = self.sender_params();
        let queued = std::mem::replace(
            &mut self.sender,
            Sender::new(params, self.my_initial_tsn, peer_a_rwnd),
        );
        self.sender.adopt_queue(queued);
        self.receiver = Some(Receiver::new(
            peer_initial_tsn,
            self.caps.i_data,
            RecvLimits {
                window_bytes: self.cfg.receive_window_bytes,
                max_ranges: self.cfg.max_out_of_order_ranges,
                max_message_bytes: self.cfg.max_receive_message_bytes,
            },
        ));
    }

    /// §5.1 D and §5.2.4: a COOKIE ECHO. Returns false when the rest of the packet is to be
    /// dropped.
    pub(super) fn on_cookie_echo(&mut self, raw: &[u8], tag: u32) -> bool {
        let Some(c) = self.open_cookie(raw, tag) else {
            return false;
        };
        self.accept_cookie(&c)
    }

    /// RFC 9260 §5.1.5, §8.5.1 D: authenticates a COOKIE ECHO's cookie and checks the packet's
    /// tag and the cookie's age; a stale cookie is answered with a Stale Cookie error.
    fn open_cookie(&mut self, raw: &[u8], tag: u32) -> Option<Cookie> {
        let Some(c) = Cookie::decode(raw, &self.secret) else {
            self.stats.dropped.bad_cookie += 1;
            return None;
        };
        // §8.5.1 D: the packet's tag is the one the cookie was made for.
        if tag != c.my_tag {
            self.stats.dropped.bad_tag += 1;
            return None;
        }
        let age = self.ms_since_epoch().saturating_sub(c.created_ms);
        if age > self.cfg.cookie_lifetime.as_millis() as u64 {
            self.stats.dropped.bad_cookie += 1;
            self.send_stale_cookie(&c, age);
            return None;
        }
        Some(c)
    }

    /// RFC 9260 §5.1.5 / §3.3.10.3: Stale Cookie, with the staleness in microseconds.
    fn send_stale_cookie(&mut self, c: &Cookie, age: u64) {
        let mut out = BytesMut::with_capacity(32);
        self.write_header(&mut out, c.peer_tag);
        let stale_us = (age - self.cfg.cookie_lifetime.as_millis() as u64) * 1000;
        write_chunk(&mut out, typ::ERROR, 0, |o| {
            write_param(o, cause::STALE_COOKIE, &(stale_us as u32).to_be_bytes())
        });
        self.finish_packet(&mut out, false);
        self.queue_packet(out);
    }

    /// RFC 9260 §5.2.4: what a valid cookie means, by its tags and tie-tags against ours: a new
    /// association, a collision, a retransmission, or a peer restart. False when the rest of the
    /// packet is to be dropped.
    fn accept_cookie(&mut self, c: &Cookie) -> bool {
        let have_tcb = self.receiver.is_some();
        let my_match = have_tcb && c.my_tag == self.my_tag;
        let peer_match = have_tcb && c.peer_tag == self.peer_tag;
        match self.state {
            AssociationState::Closed => {
                self.establish_from_cookie(c);
                self.cookie_ack_due = true;
            }
            AssociationState::CookieWait | AssociationState::CookieEchoed
                if c.my_tag == self.my_tag =>
            {
                // §5.2.4 B / D during a collision: our tag matches; take the peer's from the
                // cookie and establish.
                self.establish_from_cookie(c);
                self.cookie_ack_due = true;
            }
            _ if my_match && peer_match => {
                // §5.2.4 D: a retransmitted COOKIE ECHO; answer again.
                self.cookie_ack_due = true;
            }
            _ if my_match && !peer_match && c.tie_my == 0 => {
                // §5.2.4 B: collision resolved late; adopt the peer tag.
                self.peer_tag = c.peer_tag;
                self.cookie_ack_due = true;
            }
            _ if !my_match
                && !peer_match
                && c.tie_my == self.my_tag
                && c.tie_peer == self.peer_tag =>
            {
                return self.on_peer_restart(c);
            }
            _ => {
                // §5.2.4 C, or anything else: silently discard.
                self.stats.dropped.bad_cookie += 1;
                return false;
            }
        }
        true
    }

    /// RFC 9260 §5.2.4 A: the peer restarted. The old association's data is dropped and a new
    /// one established, except during shutdown, where the restart is refused. False when the
    /// rest of the packet is to be dropped.
    fn on_peer_restart(&mut self, c: &Cookie) -> bool {
        if matches!(self.state, AssociationState::ShutdownAckSent) {
            // §5.2.4 A: a restart during shutdown is refused.
            let mut out = BytesMut::with_capacity(64);
            self.write_header(&mut out, c.peer_tag);
            write_chunk(&mut out, typ::SHUTDOWN_ACK, 0, |_| {});
            write_chunk(&mut out, typ::ERROR, 0, |o| {
                write_param(o, cause::COOKIE_WHILE_SHUTTING_DOWN, &[])
            });
            self.finish_packet(&mut out, false);
            self.queue_packet(out);
            return false;
        }
        // Everything queued or in flight belonged to the old association.
        self.sender = Sender::new(self.sender_params(), 0, 0);
        self.flush_messages();
        self.establish_from_cookie(c);
        self.push_event(SctpEvent::Restarted);
        self.cookie_ack_due = true;
        true
    }

    /// The sender's parameters from the configuration and the negotiated capabilities.
    fn sender_params(&self) -> SendParams {
        SendParams {
            mtu: self.cfg.mtu,
            rto_initial: self.cfg.rto_initial,
            rto_min: self.cfg.rto_min,
            rto_max: self.cfg.rto_max,
            max_timer_backoff: self.cfg.max_timer_backoff,
            max_buffer_bytes: self.cfg.max_send_buffer_bytes,
            i_data: self.caps.i_data,
        }
    }

    /// RFC 9260 §5.1 D: takes the association's parameters from a valid cookie and establishes.
    fn establish_from_cookie(&mut self, c: &Cookie) {
        self.my_tag = c.my_tag;
        self.peer_tag = c.peer_tag;
        self.my_initial_tsn = c.my_initial_tsn;
        self.caps = c.caps;
        self.outbound_streams = c.outbound;
        self.inbound_streams = c.inbound;
        self.timers.stop(Timer::T1Init);
        self.timers.stop(Timer::T1Cookie);
        self.cookie_echo = None;
        self.cookie_echo_due = false;
        self.start_tcb(c.peer_initial_tsn, c.peer_a_rwnd);
        self.on_established();
    }

    /// RFC 9260 §5.1 D / E: ESTABLISHED, with the heartbeat timer running (§8.3).
    fn on_established(&mut self) {
        let first = self.state != AssociationState::Established;
        self.state = AssociationState::Established;
        self.error_count = 0;
        self.next_request_seq = self.my_initial_tsn;
        self.arm_heartbeat();
        if first {
            self.push_event(SctpEvent::Connected);
        }
    }

    /// RFC 9260 §5.1 E: a COOKIE ACK in COOKIE-ECHOED completes the handshake.
    pub(super) fn on_cookie_ack(&mut self) {
        if self.state != AssociationState::CookieEchoed {
            // §5.2.5: ignored in other states.
            return;
        }
        self.timers.stop(Timer::T1Cookie);
        self.cookie_echo = None;
        self.cookie_echo_due = false;
        self.on_established();
    }

    /// RFC 9260 §5.2.6: a Stale Cookie error in COOKIE-ECHOED starts over with a fresh INIT.
    pub(super) fn restart_after_stale_cookie(&mut self) {
        self.timers.stop(Timer::T1Cookie);
        self.cookie_echo = None;
        self.cookie_echo_due = false;
        self.state = AssociationState::CookieWait;
        self.send_init();
    }
}

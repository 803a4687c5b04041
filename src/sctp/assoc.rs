//! The SCTP association (RFC 9260) as used by WebRTC over DTLS (RFC 8261): the [`Association`]
//! struct, its configuration, state, events and statistics, the public API that is not tied to
//! one part of the protocol, and the timer dispatch.
//!
//! The association's methods are spread over one file per concern, each an `impl Association`
//! block in a sibling module: `handshake.rs` (§5: INIT, INIT ACK, COOKIE ECHO, COOKIE ACK, the
//! state cookie, collisions and restarts, T1), `receive.rs` (packet dispatch with the
//! verification tag rules of §8.5, DATA, SACK, FORWARD TSN and ERROR chunks), `transmit.rs`
//! (packet writing and chunk bundling, SACKs), `heartbeat.rs` (§8.3), `shutdown.rs` (§9: ABORT,
//! the SHUTDOWN sequence, T2 and the guard timer) and `reconfig.rs` (RFC 6525 stream reset).
//! The data path lives in `send.rs` and `recv.rs`.
//!
//! The association is sans-IO like every layer here: SCTP packets (DTLS application data) go
//! in through [`Association::handle_packet`], packets to encrypt come out of
//! [`Association::poll_transmit`], and time only enters as `now`.

use super::chunk::cause;
use super::handshake::Caps;
use super::reconfig::ResetRequest;
use super::recv::{Receiver, SctpMessage};
use super::send::{SctpSendError, SendOptions, SendParams, SendStats, Sender};
use crate::rng::Rng;
use crate::time::TimerTable;
use bytes::{Bytes, BytesMut};
use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

/// Most non-message events kept for an application that does not poll.
const MAX_QUEUED_EVENTS: usize = 4096;

/// Association settings. The defaults are chosen for WebRTC data channels.
#[derive(Debug, Clone)]
pub struct SctpConfig {
    /// Local and remote SCTP port (RFC 8841 `a=sctp-port`, 5000 by default).
    pub port: u16,
    /// The remote port, when it differs from `port`.
    pub remote_port: u16,
    /// Largest SCTP packet, which is the DTLS record payload (1200 by default: ICE/DTLS over
    /// IPv6 with room for TURN, as browsers do).
    pub mtu: usize,
    /// Receive window and reassembly budget in bytes (a_rwnd).
    pub receive_window_bytes: usize,
    /// Largest message accepted on receive (RFC 8841 `a=max-message-size`).
    pub max_receive_message_bytes: usize,
    /// Largest message accepted by [`Association::send`] (the peer's `max-message-size`; 65536
    /// when absent per RFC 8841 §6.1).
    pub max_send_message_bytes: usize,
    /// Bytes that may be queued across all streams.
    pub max_send_buffer_bytes: usize,
    /// Streams offered in each direction (the maximum, 65535, by default).
    pub streams: u16,
    /// RFC 9260 §6.3.1 RTO.Initial. DEVIATION(RFC 9260 §16: 1 s): 500 ms, as dcSCTP uses: the
    /// DTLS handshake has just shown a round trip, and WebRTC paths are rarely slower.
    pub rto_initial: Duration,
    /// RTO.Min. DEVIATION(RFC 9260 §16: 1 s): 400 ms, as dcSCTP uses. With a 1 s floor a lost
    /// tail chunk on a 30 ms path stalls a channel for a second; 400 ms is still twice the
    /// delayed-SACK timeout, so a delayed SACK never fires T3.
    pub rto_min: Duration,
    /// RTO.Max (60 s, the RFC value).
    pub rto_max: Duration,
    /// The most a timer backs off to after repeated expiries (T3-rtx, T1, T2, RE-CONFIG), or
    /// RTO.Max when `None`. DEVIATION(RFC 9260 §6.3.3 E2, where back-off runs up to RTO.Max,
    /// 60 s): 3 s by default, what Chrome and Firefox configure in dcSCTP
    /// (`max_timer_backoff_duration`). After an outage the first retransmission then comes at
    /// most 3 s after the path is back, instead of up to a minute; the price is one packet
    /// every 3 s while the path is down. An RTO measured above the cap (a very slow path) is
    /// still used as it is.
    pub max_timer_backoff: Option<Duration>,
    /// Max.Init.Retransmits (8).
    pub max_init_retransmits: u32,
    /// Association.Max.Retrans; `None` (the default) never gives up: under WebRTC, ICE consent
    /// (RFC 7675, 30 s) decides when the path is dead, and the `Peer` fails as a whole then.
    /// DEVIATION(RFC 9260 §16: 10): Chrome and Firefox configure dcSCTP the same way
    /// (`max_retransmissions = nullopt`), so that SCTP, with its 3 s back-off cap (10 expiries
    /// in about 27 s), never declares a path dead that consent still holds. An association used
    /// without ICE should set `Some(10)`.
    pub max_retransmissions: Option<u32>,
    /// Delayed SACK timeout (200 ms, RFC 9260 §6.2).
    pub delayed_ack: Duration,
    /// HB.interval (30 s).
    pub heartbeat_interval: Duration,
    /// Valid.Cookie.Life (60 s).
    pub cookie_lifetime: Duration,
    /// Offer I-DATA (RFC 8260) so large messages do not block other streams.
    pub i_data: bool,
    /// Offer and accept zero checksums (RFC 9653) with DTLS as the error detection method.
    pub zero_checksum: bool,
    /// Out-of-order TSN ranges kept by the receiver.
    pub max_out_of_order_ranges: usize,
}

impl Default for SctpConfig {
    fn default() -> Self {
        SctpConfig {
            port: 5000,
            remote_port: 5000,
            mtu: 1200,
            receive_window_bytes: 1 << 20,
            max_receive_message_bytes: 256 * 1024,
            max_send_message_bytes: 65536,
            max_send_buffer_bytes: 16 << 20,
            streams: 65535,
            rto_initial: Duration::from_millis(500),
            rto_min: Duration::from_millis(400),
            rto_max: Duration::from_secs(60),
            max_timer_backoff: Some(Duration::from_secs(3)),
            max_init_retransmits: 8,
            max_retransmissions: None,
            delayed_ack: Duration::from_millis(200),
            heartbeat_interval: Duration::from_secs(30),
            cookie_lifetime: Duration::from_secs(60),
            i_data: true,
            zero_checksum: true,
            max_out_of_order_ranges: 128,
        }
    }
}

/// Association states (RFC 9260 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssociationState {
    /// No association (listening for INIT).
    Closed,
    /// INIT sent.
    CookieWait,
    /// COOKIE ECHO sent.
    CookieEchoed,
    /// Data flows.
    Established,
    /// Shutdown asked for; waiting for outstanding data.
    ShutdownPending,
    /// SHUTDOWN sent.
    ShutdownSent,
    /// SHUTDOWN received; sending what is left.
    ShutdownReceived,
    /// SHUTDOWN ACK sent.
    ShutdownAckSent,
}

/// Why an association ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// Graceful shutdown completed.
    Shutdown,
    /// The peer sent ABORT (with the first error cause code, if any).
    PeerAbort {
        /// The first cause code.
        cause: Option<u16>,
    },
    /// [`Association::abort`] was called.
    LocalAbort,
    /// INIT or COOKIE ECHO was retransmitted Max.Init.Retransmits times without answer.
    HandshakeTimeout,
    /// Association.Max.Retrans consecutive retransmissions without answer.
    TooManyRetransmissions,
}

/// Something the application should know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SctpEvent {
    /// The association is established.
    Connected,
    /// A complete message arrived.
    Message(SctpMessage),
    /// A stream's buffered amount fell to its low threshold.
    BufferedAmountLow {
        /// The stream.
        stream: u16,
    },
    /// The peer reset these of its outgoing streams (our incoming side is closed).
    IncomingStreamsReset {
        /// The streams.
        streams: Vec<u16>,
    },
    /// Our reset of these outgoing streams completed.
    OutgoingStreamsReset {
        /// The streams.
        streams: Vec<u16>,
    },
    /// The peer denied resetting these streams.
    StreamResetFailed {
        /// The streams.
        streams: Vec<u16>,
    },
    /// The peer restarted the association (RFC 9260 §5.2.4 case A): state was reset.
    Restarted,
    /// The association ended.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

/// Inputs dropped, by reason.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SctpDrops {
    /// Packet framing, checksum or port errors.
    pub malformed: u64,
    /// Verification tag mismatch (RFC 9260 §8.5).
    pub bad_tag: u64,
    /// Chunk value errors.
    pub bad_chunk: u64,
    /// Chunks not expected in the current state.
    pub unexpected: u64,
    /// Invalid or expired cookies.
    pub bad_cookie: u64,
    /// DATA refused (out of window, too many out-of-order ranges) and FORWARD-TSN beyond the
    /// TSN window.
    pub out_of_window: u64,
    /// DATA refused: receive buffer full.
    pub buffer_full: u64,
    /// Duplicate DATA.
    pub duplicates: u64,
    /// Messages discarded for exceeding the maximum message size.
    pub oversize_messages: u64,
    /// Messages discarded because their fragments were inconsistent.
    pub malformed_messages: u64,
    /// Events dropped because the application did not poll (see `poll_event`).
    pub events: u64,
    /// Packets (SACKs, replies) not queued because the application did not poll.
    pub packets_not_queued: u64,
}

/// Counters and current values, cheap to read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SctpStats {
    /// Packets received and accepted.
    pub packets_received: u64,
    /// Packets sent.
    pub packets_sent: u64,
    /// Messages delivered.
    pub messages_received: u64,
    /// Dropped input.
    pub dropped: SctpDrops,
    /// Sending counters.
    pub send: SendStats,
    /// Congestion window.
    pub cwnd: usize,
    /// Current RTO.
    pub rto: Duration,
    /// Smoothed RTT, once measured.
    pub srtt: Option<Duration>,
    /// Bytes in flight.
    pub flight_bytes: usize,
    /// Bytes queued, not yet sent.
    pub queued_bytes: usize,
    /// The peer's receive window as last known.
    pub peer_rwnd: usize,
}

crate::time::timer_key! {
    /// The association's timers (the data path's T3-rtx is the sender's).
    pub(super) enum Timer {
        T1Init,
        T1Cookie,
        T2Shutdown,
        DelayedAck,
        Heartbeat,
        Reconfig,
        ShutdownGuard,
    }
}

/// When the next SACK is owed (RFC 9260 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SackDue {
    No,
    Delayed,
    Now,
}

/// One SCTP association.
#[derive(Debug)]
pub struct Association {
    pub(super) cfg: SctpConfig,
    pub(super) rng: Rng,
    pub(super) epoch: Instant,
    pub(super) now: Instant,
    pub(super) state: AssociationState,
    pub(super) secret: [u8; 32],
    pub(super) my_tag: u32,
    pub(super) peer_tag: u32,
    pub(super) my_initial_tsn: u32,
    pub(super) caps: Caps,
    pub(super) outbound_streams: u16,
    pub(super) inbound_streams: u16,
    pub(super) sender: Sender,
    pub(super) receiver: Option<Receiver>,
    pub(super) timers: TimerTable<Timer>,
    pub(super) init_retransmits: u32,
    pub(super) init_rto: Duration,
    pub(super) cookie_echo: Option<Vec<u8>>,
    /// Complete packets with their own tags (INIT, INIT ACK, replies to stray packets).
    pub(super) out_packets: VecDeque<BytesMut>,
    /// Buffers handed back by `poll_transmit_into`, reused for `out_packets` (no allocation per
    /// SACK in the steady state).
    pub(super) spare: Vec<BytesMut>,
    pub(super) sack: SackDue,
    pub(super) data_packets_unacked: u32,
    pub(super) last_advertised_rwnd: usize,
    pub(super) cookie_ack_due: bool,
    pub(super) cookie_echo_due: bool,
    pub(super) shutdown_due: bool,
    pub(super) shutdown_ack_due: bool,
    pub(super) heartbeat_acks: VecDeque<Vec<u8>>,
    pub(super) heartbeat_due: bool,
    pub(super) heartbeat_outstanding: Option<(u64, Instant)>,
    pub(super) errors: VecDeque<(u16, Vec<u8>)>,
    pub(super) error_count: u32,
    pub(super) events: VecDeque<SctpEvent>,
    // RFC 6525 state.
    pub(super) reset_wanted: BTreeSet<u16>,
    pub(super) reset_request: Option<ResetRequest>,
    pub(super) reset_request_due: bool,
    pub(super) next_request_seq: u32,
    pub(super) peer_next_request_seq: u32,
    pub(super) last_response: Option<(u32, u32)>,
    pub(super) responses_due: VecDeque<(u32, u32)>,
    pub(super) deferred_reset: Option<ResetRequest>,
    pub(super) pending_response_seq: Option<u32>,
    pub(super) stats: SctpStats,
    #[cfg(test)]
    pub(super) initial_tsn_for_test: Option<u32>,
}
impl Association {
    /// A new association in the Closed state, answering INITs. `rng` is the peer's SCTP
    /// sub-stream: tags, initial TSNs and the cookie secret come from it.
    pub fn new(cfg: SctpConfig, mut rng: Rng, now: Instant) -> Self {
        let secret = rng.bytes::<32>();
        let params = SendParams {
            mtu: cfg.mtu,
            rto_initial: cfg.rto_initial,
            rto_min: cfg.rto_min,
            rto_max: cfg.rto_max,
            max_timer_backoff: cfg.max_timer_backoff,
            max_buffer_bytes: cfg.max_send_buffer_bytes,
            i_data: false,
        };
        Association {
            sender: Sender::new(params, 0, cfg.receive_window_bytes as u32),
            init_rto: cfg.rto_initial,
            cfg,
            rng,
            epoch: now,
            now,
            state: AssociationState::Closed,
            secret,
            my_tag: 0,
            peer_tag: 0,
            my_initial_tsn: 0,
            caps: Caps::default(),
            outbound_streams: 0,
            inbound_streams: 0,
            receiver: None,
            timers: TimerTable::new(),
            init_retransmits: 0,
            cookie_echo: None,
            out_packets: VecDeque::new(),
            spare: Vec::new(),
            sack: SackDue::No,
            data_packets_unacked: 0,
            last_advertised_rwnd: usize::MAX,
            cookie_ack_due: false,
            cookie_echo_due: false,
            shutdown_due: false,
            shutdown_ack_due: false,
            heartbeat_acks: VecDeque::new(),
            heartbeat_due: false,
            heartbeat_outstanding: None,
            errors: VecDeque::new(),
            error_count: 0,
            events: VecDeque::new(),
            reset_wanted: BTreeSet::new(),
            reset_request: None,
            reset_request_due: false,
            next_request_seq: 0,
            peer_next_request_seq: 0,
            last_response: None,
            responses_due: VecDeque::new(),
            deferred_reset: None,
            pending_response_seq: None,
            stats: SctpStats::default(),
            #[cfg(test)]
            initial_tsn_for_test: None,
        }
    }

    /// The current state.
    pub fn state(&self) -> AssociationState {
        self.state
    }

    /// Whether data can flow.
    pub fn is_established(&self) -> bool {
        self.state == AssociationState::Established
    }

    /// Counters and current values.
    pub fn stats(&self) -> SctpStats {
        let mut s = self.stats;
        s.send = self.sender.stats;
        s.cwnd = self.sender.cwnd;
        s.rto = self.sender.rto.rto();
        s.srtt = self.sender.rto.srtt();
        s.flight_bytes = self.sender.flight_bytes();
        s.queued_bytes = self.sender.queued_bytes();
        s.peer_rwnd = self.sender.peer_rwnd();
        if let Some(r) = &self.receiver {
            s.dropped.oversize_messages = r.oversize_dropped;
            s.dropped.malformed_messages = r.malformed_dropped;
        }
        s
    }

    /// Releases the capacity an idle association keeps from busier times: empty queues, spare
    /// packet buffers, emptied maps. Cheap when there is nothing to release; the peer calls it
    /// from `handle_timeout` when nothing is queued or in flight (servers with many idle
    /// associations are what it is for).
    pub fn trim(&mut self) {
        use crate::vecmap::{reset_if_empty, shrink_if_empty};
        self.spare = Vec::new();
        shrink_if_empty!(
            self.out_packets,
            self.heartbeat_acks,
            self.errors,
            self.events,
            self.responses_due
        );
        reset_if_empty!(self.reset_wanted);
        self.sender.trim();
        if let Some(r) = self.receiver.as_mut() {
            r.trim();
        }
    }

    /// Bytes the receiving half holds: partial messages, complete ones waiting for their turn,
    /// and delivered ones not yet polled. Bounded by twice the receive window.
    pub fn held_bytes(&self) -> usize {
        self.receiver.as_ref().map_or(0, |r| r.held_bytes())
    }

    /// Negotiated (outbound, inbound) stream counts, once established.
    pub fn stream_counts(&self) -> (u16, u16) {
        (self.outbound_streams, self.inbound_streams)
    }

    /// Whether I-DATA (RFC 8260) is in use.
    pub fn uses_i_data(&self) -> bool {
        self.caps.i_data
    }

    /// Whether packets to the peer carry a zero checksum (RFC 9653).
    pub fn sends_zero_checksum(&self) -> bool {
        self.caps.zero_checksum
    }

    /// Every call that carries the time comes through here: what commands queued since the
    /// last one (message lifetimes) starts now, never at an older time (DESIGN §3).
    pub(super) fn advance(&mut self, now: Instant) {
        debug_assert!(now >= self.now, "time went backwards");
        self.now = self.now.max(now);
        self.sender.stamp(self.now);
    }

    /// Queues a message on `stream`. Messages may be queued before the association is up.
    pub fn send(
        &mut self,
        stream: u16,
        ppid: u32,
        data: Bytes,
        opts: SendOptions,
    ) -> Result<(), SctpSendError> {
        match self.state {
            AssociationState::Closed
            | AssociationState::CookieWait
            | AssociationState::CookieEchoed
            | AssociationState::Established => {}
            _ => return Err(SctpSendError::Closed),
        }
        if self.is_established() && stream >= self.outbound_streams {
            return Err(SctpSendError::InvalidStream {
                stream,
                max: self.outbound_streams,
            });
        }
        if data.len() > self.cfg.max_send_message_bytes {
            return Err(SctpSendError::TooLarge {
                len: data.len(),
                max: self.cfg.max_send_message_bytes,
            });
        }
        self.sender.enqueue(stream, ppid, data, opts)
    }

    /// The largest message [`Association::send`] accepts (W3C `RTCSctpTransport.maxMessageSize`
    /// when the association carries data channels).
    pub fn max_message_size(&self) -> usize {
        self.cfg.max_send_message_bytes
    }

    /// W3C `bufferedAmount`: bytes of `stream` queued and not yet sent.
    pub fn buffered_amount(&self, stream: u16) -> usize {
        self.sender.stream_ref(stream).map_or(0, |s| s.buffered)
    }

    /// W3C `bufferedAmountLowThreshold`: a [`SctpEvent::BufferedAmountLow`] fires when the
    /// buffered amount falls from above to at or below it.
    pub fn set_buffered_amount_low_threshold(&mut self, stream: u16, bytes: usize) {
        self.sender.stream(stream).low_threshold = bytes;
    }

    /// RFC 8831 §6.4 / W3C `priority` of an outgoing stream: 128 very-low, 256 low (the default),
    /// 512 medium, 1024 high. Saturated streams share the path 1 : 2 : 4 : 8 in that order
    /// (weighted round robin, RFC 8260 §3.6); other values scale the same way (priority / 128,
    /// at least 1, at most 64).
    pub fn set_stream_priority(&mut self, stream: u16, priority: u16) {
        self.sender
            .set_weight(stream, (priority / 128).clamp(1, 64));
    }

    /// Moves completed messages into the event queue so that an event about to be queued comes
    /// after them (a reset or close must not overtake data that arrived before it). Their bytes
    /// stay counted against the receive window until the application polls them.
    pub(super) fn flush_messages(&mut self) {
        if let Some(r) = self.receiver.as_mut() {
            while let Some(m) = r.poll_message() {
                r.hold_external(m.data.len());
                self.events.push_back(SctpEvent::Message(m));
            }
        }
    }

    /// Queues an event. Events other than messages are bounded (an application that never
    /// polls must not let a peer's reset storm grow memory without limit); the excess is
    /// dropped and counted.
    pub(super) fn push_event(&mut self, e: SctpEvent) {
        if self.events.len() >= MAX_QUEUED_EVENTS {
            self.stats.dropped.events += 1;
            return;
        }
        self.events.push_back(e);
    }

    /// RFC 9260 §9: ends the association (CLOSED, timers stopped, the receiving half dropped)
    /// and reports why, after the messages that arrived before.
    pub(super) fn close(&mut self, reason: CloseReason) {
        self.flush_messages();
        let was_closed = self.state == AssociationState::Closed && self.receiver.is_none();
        self.state = AssociationState::Closed;
        self.timers.stop_all();
        self.sender.t3 = None;
        self.receiver = None;
        self.sack = SackDue::No;
        self.cookie_echo = None;
        if !was_closed || reason != CloseReason::Shutdown {
            self.push_event(SctpEvent::Closed { reason });
        }
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<SctpEvent> {
        if let Some(e) = self.events.pop_front() {
            if let SctpEvent::Message(m) = &e {
                self.stats.messages_received += 1;
                if let Some(r) = self.receiver.as_mut() {
                    r.release_external(m.data.len());
                }
            }
            return Some(e);
        }
        if let Some(s) = self.sender.low_events.pop() {
            return Some(SctpEvent::BufferedAmountLow { stream: s });
        }
        let m = self.receiver.as_mut()?.poll_message()?;
        self.stats.messages_received += 1;
        self.maybe_window_update();
        Some(SctpEvent::Message(m))
    }

    /// RFC 9260 §6.2 (receiver silly window avoidance, as in RFC 1122 §4.2.3.3): when reading
    /// reopens a window last advertised as under a quarter of its size to at least half, tell
    /// the peer at once rather than leaving it to probe.
    fn maybe_window_update(&mut self) {
        let Some(r) = self.receiver.as_ref() else {
            return;
        };
        let window = self.cfg.receive_window_bytes;
        let now_open = window.saturating_sub(r.held_bytes());
        if self.last_advertised_rwnd < window / 4 && now_open >= window / 2 {
            self.sack = SackDue::Now;
            self.last_advertised_rwnd = now_open;
        }
    }

    /// The earliest deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.timers.next_deadline(), self.sender.t3) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Fires the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
        while let Some(t) = self.timers.pop_expired(now) {
            self.on_timer(t);
        }
        if self.sender.t3.is_some_and(|d| d <= now) {
            self.sender.t3 = None;
            if self.bump_errors() {
                self.sender.on_t3_expiry(now);
            }
        }
    }

    /// RFC 9260 §8.1: counts one unanswered retransmission; false when the association gave up
    /// (Association.Max.Retrans).
    pub(super) fn bump_errors(&mut self) -> bool {
        self.error_count += 1;
        if self
            .cfg
            .max_retransmissions
            .is_some_and(|m| self.error_count > m)
        {
            self.send_abort(cause::PROTOCOL_VIOLATION);
            self.close(CloseReason::TooManyRetransmissions);
            return false;
        }
        true
    }

    /// Dispatches an expired timer to the part of the protocol it belongs to.
    fn on_timer(&mut self, t: Timer) {
        match t {
            Timer::T1Init | Timer::T1Cookie => self.on_t1_expiry(t),
            Timer::T2Shutdown => self.on_t2_expiry(),
            Timer::ShutdownGuard => self.on_shutdown_guard_expiry(),
            Timer::DelayedAck => {
                // RFC 9260 §6.2: the delayed SACK is owed now.
                if self.sack == SackDue::Delayed {
                    self.sack = SackDue::Now;
                }
            }
            Timer::Heartbeat => self.on_heartbeat_timer(),
            Timer::Reconfig => self.on_reconfig_timer(),
        }
    }
}

//! The SCTP association (RFC 9260) as used by WebRTC over DTLS (RFC 8261): the four-way
//! handshake with an HMAC-protected state cookie (§5.1), verification tags (§8.5), INIT
//! collisions and restarts (§5.2), heartbeats (§8.3), errors (§3.3.10), graceful shutdown (§9.2),
//! abort (§9.1), and stream reset (RFC 6525). The data path lives in `send.rs` and `recv.rs`.
//!
//! The association is sans-IO like every layer here: SCTP packets (DTLS application data) go
//! in through [`Association::handle_packet`], packets to encrypt come out of
//! [`Association::poll_transmit`], and time only enters as `now`.

use super::chunk::{
    self, Chunk, Data, EDMID_DTLS, ForwardTsn, Init, Params, ReconfigParam, Sack, StreamList,
    cause, param, reconfig_result, typ, write_chunk, write_param,
};
use super::packet::{COMMON_HEADER_LEN, ChunkView, Packet, UnknownChunkAction, checksum};
use super::recv::{Receiver, RecvLimits, Refused, SctpMessage};
use super::send::{SctpSendError, SendOptions, SendParams, SendStats, Sender};
use crate::rng::Rng;
use crate::time::TimerTable;
use bytes::{Bytes, BytesMut};
use hmac::{Hmac, KeyInit, Mac};
use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

type HmacSha256 = Hmac<sha2::Sha256>;

/// Most non-message events kept for an application that does not poll.
const MAX_QUEUED_EVENTS: usize = 4096;
/// Most ready-made packets kept for an application that does not poll.
const MAX_QUEUED_PACKETS: usize = 64;

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
    enum Timer {
        T1Init,
        T1Cookie,
        T2Shutdown,
        DelayedAck,
        Heartbeat,
        Reconfig,
        ShutdownGuard,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SackDue {
    No,
    Delayed,
    Now,
}

/// What the peer supports, from INIT / INIT ACK.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Caps {
    i_data: bool,
    forward_tsn: bool,
    reconfig: bool,
    zero_checksum: bool,
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

#[derive(Debug, Clone)]
struct ResetRequest {
    seq: u32,
    streams: Vec<u16>,
    last_tsn: u32,
    response_seq: u32,
}

/// One SCTP association.
#[derive(Debug)]
pub struct Association {
    cfg: SctpConfig,
    rng: Rng,
    epoch: Instant,
    now: Instant,
    state: AssociationState,
    secret: [u8; 32],
    my_tag: u32,
    peer_tag: u32,
    my_initial_tsn: u32,
    caps: Caps,
    outbound_streams: u16,
    inbound_streams: u16,
    sender: Sender,
    receiver: Option<Receiver>,
    timers: TimerTable<Timer>,
    init_retransmits: u32,
    init_rto: Duration,
    cookie_echo: Option<Vec<u8>>,
    /// Complete packets with their own tags (INIT, INIT ACK, replies to stray packets).
    out_packets: VecDeque<BytesMut>,
    /// Buffers handed back by `poll_transmit_into`, reused for `out_packets` (no allocation per
    /// SACK in the steady state).
    spare: Vec<BytesMut>,
    sack: SackDue,
    data_packets_unacked: u32,
    last_advertised_rwnd: usize,
    cookie_ack_due: bool,
    cookie_echo_due: bool,
    shutdown_due: bool,
    shutdown_ack_due: bool,
    heartbeat_acks: VecDeque<Vec<u8>>,
    heartbeat_due: bool,
    heartbeat_outstanding: Option<(u64, Instant)>,
    errors: VecDeque<(u16, Vec<u8>)>,
    error_count: u32,
    events: VecDeque<SctpEvent>,
    // RFC 6525 state.
    reset_wanted: BTreeSet<u16>,
    reset_request: Option<ResetRequest>,
    reset_request_due: bool,
    next_request_seq: u32,
    peer_next_request_seq: u32,
    last_response: Option<(u32, u32)>,
    responses_due: VecDeque<(u32, u32)>,
    deferred_reset: Option<ResetRequest>,
    pending_response_seq: Option<u32>,
    stats: SctpStats,
    #[cfg(test)]
    initial_tsn_for_test: Option<u32>,
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
    fn advance(&mut self, now: Instant) {
        debug_assert!(now >= self.now, "time went backwards");
        self.now = self.now.max(now);
        self.sender.stamp(self.now);
    }

    fn ms_since_epoch(&self) -> u64 {
        self.now.saturating_duration_since(self.epoch).as_millis() as u64
    }

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

    fn nonzero_u32(&mut self) -> u32 {
        loop {
            let v = self.rng.next_u32();
            if v != 0 {
                return v;
            }
        }
    }

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

    fn write_header(&self, out: &mut BytesMut, tag: u32) {
        out.extend_from_slice(&self.cfg.port.to_be_bytes());
        out.extend_from_slice(&self.cfg.remote_port.to_be_bytes());
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&[0; 4]);
    }

    fn finish_packet(&mut self, out: &mut [u8], zero_checksum: bool) {
        if !zero_checksum {
            let crc = checksum(out);
            out[8..12].copy_from_slice(&crc.to_le_bytes());
        }
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

    /// RFC 6525 §5.1.2 / RFC 8831 §6.7: reset (close) outgoing streams. Queued messages are sent
    /// first; no new ones are accepted on them until the reset completes.
    pub fn reset_streams(&mut self, streams: &[u16]) {
        for &s in streams {
            self.sender.stream(s).resetting = true;
            self.reset_wanted.insert(s);
        }
    }

    /// RFC 9260 §9.2: graceful shutdown once queued data is delivered.
    pub fn shutdown(&mut self, now: Instant) {
        self.advance(now);
        match self.state {
            AssociationState::Established => {
                self.state = AssociationState::ShutdownPending;
                self.maybe_progress_shutdown();
            }
            AssociationState::Closed
            | AssociationState::CookieWait
            | AssociationState::CookieEchoed => self.close(CloseReason::Shutdown),
            _ => {}
        }
    }

    /// RFC 9260 §9.1: abort at once (ABORT with a User-Initiated Abort cause).
    pub fn abort(&mut self, now: Instant) {
        self.advance(now);
        if self.state == AssociationState::Closed {
            return;
        }
        self.send_abort(cause::USER_ABORT);
        self.close(CloseReason::LocalAbort);
    }

    fn send_abort(&mut self, cause_code: u16) {
        if self.peer_tag == 0 {
            return;
        }
        let mut out = BytesMut::with_capacity(32);
        self.write_header(&mut out, self.peer_tag);
        write_chunk(&mut out, typ::ABORT, 0, |o| write_param(o, cause_code, &[]));
        let z = self.caps.zero_checksum;
        self.finish_packet(&mut out, z);
        self.queue_packet(out);
    }

    /// Moves completed messages into the event queue so that an event about to be queued comes
    /// after them (a reset or close must not overtake data that arrived before it). Their bytes
    /// stay counted against the receive window until the application polls them.
    fn flush_messages(&mut self) {
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
    fn push_event(&mut self, e: SctpEvent) {
        if self.events.len() >= MAX_QUEUED_EVENTS {
            self.stats.dropped.events += 1;
            return;
        }
        self.events.push_back(e);
    }

    /// Queues a complete packet (INIT, INIT ACK, SACK, replies to stray packets), bounded.
    fn queue_packet(&mut self, out: BytesMut) {
        if self.out_packets.len() >= MAX_QUEUED_PACKETS {
            self.stats.dropped.packets_not_queued += 1;
            return;
        }
        self.out_packets.push_back(out);
    }

    fn close(&mut self, reason: CloseReason) {
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

    /// Counts one unanswered retransmission; false when the association gave up.
    fn bump_errors(&mut self) -> bool {
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

    fn on_timer(&mut self, t: Timer) {
        let now = self.now;
        match t {
            Timer::T1Init | Timer::T1Cookie => {
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
            Timer::T2Shutdown => {
                if !self.bump_errors() {
                    return;
                }
                self.sender.rto.back_off();
                match self.state {
                    AssociationState::ShutdownSent => self.shutdown_due = true,
                    AssociationState::ShutdownAckSent => self.shutdown_ack_due = true,
                    _ => return,
                }
                self.timers
                    .set(Timer::T2Shutdown, now + self.sender.rto.rto());
            }
            Timer::ShutdownGuard => {
                // §9.2: T5-shutdown-guard ends a shutdown that does not complete.
                self.send_abort(cause::USER_ABORT);
                self.close(CloseReason::Shutdown);
            }
            Timer::DelayedAck => {
                if self.sack == SackDue::Delayed {
                    self.sack = SackDue::Now;
                }
            }
            Timer::Heartbeat => {
                if !self.is_established() {
                    return;
                }
                if self.heartbeat_outstanding.take().is_some() && !self.bump_errors() {
                    return;
                }
                self.heartbeat_due = true;
                self.arm_heartbeat();
                self.sender.on_idle_check(now);
            }
            Timer::Reconfig => {
                if self.reset_request.is_some() {
                    if !self.bump_errors() {
                        return;
                    }
                    self.reset_request_due = true;
                    self.timers
                        .set(Timer::Reconfig, now + self.sender.rto.rto());
                }
            }
        }
    }

    fn arm_heartbeat(&mut self) {
        // §8.3: HB.interval + RTO, jittered by ±50% of RTO.
        let rto = self.sender.rto.rto();
        let jitter = self.rng.duration_between(Duration::ZERO, rto);
        self.timers.set(
            Timer::Heartbeat,
            self.now + self.cfg.heartbeat_interval + rto / 2 + jitter,
        );
    }

    // ---------------------------------------------------------------------------------------
    // Receive path
    // ---------------------------------------------------------------------------------------

    /// Takes one SCTP packet (a DTLS application-data record). Bad input is dropped and counted.
    pub fn handle_packet(&mut self, now: Instant, buf: &[u8]) {
        self.process_packet(now, buf, None);
    }

    /// Like [`Association::handle_packet`], for a packet already in a [`Bytes`] (as DTLS hands
    /// them over): message payloads are slices of it, not copies.
    pub fn handle_packet_bytes(&mut self, now: Instant, packet: &Bytes) {
        self.process_packet(now, packet, Some(packet));
    }

    fn process_packet(&mut self, now: Instant, buf: &[u8], owner: Option<&Bytes>) {
        self.advance(now);
        let Ok(pkt) = Packet::parse(buf, self.cfg.zero_checksum) else {
            self.stats.dropped.malformed += 1;
            return;
        };
        if pkt.destination_port != self.cfg.port || pkt.source_port != self.cfg.remote_port {
            self.stats.dropped.malformed += 1;
            return;
        }
        let mut chunks = pkt.chunks().peekable();
        let Some(first) = chunks.peek().copied() else {
            self.stats.dropped.malformed += 1;
            return;
        };
        // §8.5 / §8.5.1: verification tag rules.
        let tag = pkt.verification_tag;
        match first.typ {
            typ::INIT => {
                // §6.10: INIT is never bundled; §8.5.1 A: its tag is zero.
                if tag != 0 || pkt.chunks().count() != 1 {
                    self.stats.dropped.bad_tag += 1;
                    return;
                }
            }
            typ::COOKIE_ECHO => {} // checked against the cookie
            typ::ABORT | typ::SHUTDOWN_COMPLETE => {
                let t = first.flags & chunk::flags::T != 0;
                let ok = if t {
                    tag == self.peer_tag && self.peer_tag != 0
                } else {
                    tag == self.my_tag && self.my_tag != 0
                };
                if !ok {
                    self.stats.dropped.bad_tag += 1;
                    return;
                }
            }
            _ => {
                if self.my_tag == 0 || tag != self.my_tag {
                    self.stats.dropped.bad_tag += 1;
                    return;
                }
            }
        }
        self.stats.packets_received += 1;
        let mut had_data = false;
        let mut immediate = false;
        for v in chunks {
            let c = match Chunk::parse(v) {
                Ok(c) => c,
                Err(_) => {
                    self.stats.dropped.bad_chunk += 1;
                    // A malformed chunk ends the packet: nothing after it can be trusted.
                    break;
                }
            };
            match c {
                Chunk::Data(d) => {
                    let i_data_chunk = v.typ == typ::I_DATA;
                    if i_data_chunk != self.caps.i_data {
                        // RFC 8260 §2.2: the wrong kind of data chunk is a protocol violation.
                        self.stats.dropped.unexpected += 1;
                        continue;
                    }
                    had_data = true;
                    if d.flags & chunk::flags::IMMEDIATE != 0 {
                        immediate = true;
                    }
                    if !self.on_data(&d, owner) {
                        immediate = true;
                    }
                }
                Chunk::Init(init) => {
                    self.on_init(&init);
                    return;
                }
                Chunk::InitAck(init) => {
                    self.on_init_ack(&init);
                    return;
                }
                Chunk::Sack(s) => self.on_sack(&s),
                Chunk::Heartbeat(info) => {
                    if self.heartbeat_acks.len() < 4 {
                        self.heartbeat_acks.push_back(info.to_vec());
                    }
                }
                Chunk::HeartbeatAck(info) => self.on_heartbeat_ack(info),
                Chunk::Abort { causes, .. } => {
                    let cause = causes.iter().next().map(|p| p.typ);
                    if self.state != AssociationState::Closed {
                        self.close(CloseReason::PeerAbort { cause });
                    }
                    return;
                }
                Chunk::Shutdown { cum_tsn } => self.on_shutdown(cum_tsn),
                Chunk::ShutdownAck => self.on_shutdown_ack(tag),
                Chunk::Error(causes) => self.on_error(causes),
                Chunk::CookieEcho(c) => {
                    if !self.on_cookie_echo(c, tag) {
                        return;
                    }
                }
                Chunk::CookieAck => self.on_cookie_ack(),
                Chunk::ShutdownComplete { .. } => {
                    if self.state == AssociationState::ShutdownAckSent {
                        self.close(CloseReason::Shutdown);
                    }
                    return;
                }
                Chunk::ReConfig(params) => self.on_reconfig(params),
                Chunk::Pad => {}
                Chunk::ForwardTsn(f) => {
                    let i_fwd = v.typ == typ::I_FORWARD_TSN;
                    self.on_forward_tsn(&f, i_fwd);
                    immediate = true;
                }
                Chunk::Unknown(u) => match UnknownChunkAction::of(u.typ) {
                    UnknownChunkAction::Stop => break,
                    UnknownChunkAction::StopAndReport => {
                        self.report_unrecognized(u);
                        break;
                    }
                    UnknownChunkAction::Skip => {}
                    UnknownChunkAction::SkipAndReport => self.report_unrecognized(u),
                },
            }
        }
        if had_data {
            self.after_data(immediate);
        } else if immediate {
            self.sack = SackDue::Now;
        }
        self.check_deferred_reset();
        self.maybe_progress_shutdown();
    }

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
    fn on_data(&mut self, d: &Data<'_>, owner: Option<&Bytes>) -> bool {
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
        } else if self.sack == SackDue::No {
            self.sack = SackDue::Delayed;
            self.timers
                .set(Timer::DelayedAck, self.now + self.cfg.delayed_ack);
        }
    }

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

    fn on_heartbeat_ack(&mut self, info: &[u8]) {
        let Some(v) = Params::parse(info)
            .ok()
            .and_then(|p| p.find(param::HEARTBEAT_INFO))
        else {
            return;
        };
        if v.len() != 8 {
            self.stats.dropped.unexpected += 1;
            return;
        }
        let nonce = u64::from_be_bytes(v.try_into().expect("invariant: 8 bytes"));
        if let Some((n, at)) = self.heartbeat_outstanding
            && n == nonce
        {
            self.heartbeat_outstanding = None;
            self.error_count = 0;
            // §8.3: a heartbeat round trip is an RTT measurement.
            self.sender
                .rto
                .sample(self.now.saturating_duration_since(at));
        } else {
            self.stats.dropped.unexpected += 1;
        }
    }

    fn on_error(&mut self, causes: Params<'_>) {
        for c in causes.iter() {
            // §5.2.6: a Stale Cookie error in COOKIE-ECHOED restarts with a fresh INIT.
            if c.typ == cause::STALE_COOKIE && self.state == AssociationState::CookieEchoed {
                self.timers.stop(Timer::T1Cookie);
                self.cookie_echo = None;
                self.cookie_echo_due = false;
                self.state = AssociationState::CookieWait;
                self.send_init();
                return;
            }
            if c.typ == cause::UNRECOGNIZED_CHUNK
                && c.value.first() == Some(&typ::RE_CONFIG)
                && let Some(req) = self.reset_request.take()
            {
                // The peer does not do RFC 6525: these streams cannot be reset.
                self.timers.stop(Timer::Reconfig);
                for &s in &req.streams {
                    self.sender.reset_stream_sequence(s);
                }
                self.push_event(SctpEvent::StreamResetFailed {
                    streams: req.streams,
                });
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Handshake
    // ---------------------------------------------------------------------------------------

    /// §5.1 B, §5.2.1, §5.2.2: answer an INIT with an INIT ACK carrying a state cookie.
    fn on_init(&mut self, init: &Init<'_>) {
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
    fn on_init_ack(&mut self, init: &Init<'_>) {
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
    fn on_cookie_echo(&mut self, raw: &[u8], tag: u32) -> bool {
        let Some(c) = Cookie::decode(raw, &self.secret) else {
            self.stats.dropped.bad_cookie += 1;
            return false;
        };
        // §8.5.1 D: the packet's tag is the one the cookie was made for.
        if tag != c.my_tag {
            self.stats.dropped.bad_tag += 1;
            return false;
        }
        let age = self.ms_since_epoch().saturating_sub(c.created_ms);
        if age > self.cfg.cookie_lifetime.as_millis() as u64 {
            // §5.1.5 / §3.3.10.3: Stale Cookie, with the staleness in microseconds.
            self.stats.dropped.bad_cookie += 1;
            let mut out = BytesMut::with_capacity(32);
            self.write_header(&mut out, c.peer_tag);
            let stale_us = (age - self.cfg.cookie_lifetime.as_millis() as u64) * 1000;
            write_chunk(&mut out, typ::ERROR, 0, |o| {
                write_param(o, cause::STALE_COOKIE, &(stale_us as u32).to_be_bytes())
            });
            self.finish_packet(&mut out, false);
            self.queue_packet(out);
            return false;
        }
        let have_tcb = self.receiver.is_some();
        let my_match = have_tcb && c.my_tag == self.my_tag;
        let peer_match = have_tcb && c.peer_tag == self.peer_tag;
        match self.state {
            AssociationState::Closed => {
                self.establish_from_cookie(&c);
                self.cookie_ack_due = true;
            }
            AssociationState::CookieWait | AssociationState::CookieEchoed
                if c.my_tag == self.my_tag =>
            {
                // §5.2.4 B / D during a collision: our tag matches; take the peer's from the
                // cookie and establish.
                self.establish_from_cookie(&c);
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
                // §5.2.4 A: the peer restarted.
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
                self.establish_from_cookie(&c);
                self.push_event(SctpEvent::Restarted);
                self.cookie_ack_due = true;
            }
            _ => {
                // §5.2.4 C, or anything else: silently discard.
                self.stats.dropped.bad_cookie += 1;
                return false;
            }
        }
        true
    }

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

    fn on_cookie_ack(&mut self) {
        if self.state != AssociationState::CookieEchoed {
            // §5.2.5: ignored in other states.
            return;
        }
        self.timers.stop(Timer::T1Cookie);
        self.cookie_echo = None;
        self.cookie_echo_due = false;
        self.on_established();
    }

    // ---------------------------------------------------------------------------------------
    // Shutdown (§9.2)
    // ---------------------------------------------------------------------------------------

    fn on_shutdown(&mut self, cum_tsn: u32) {
        match self.state {
            AssociationState::Established | AssociationState::ShutdownPending => {
                self.sender.on_sack(
                    self.now,
                    cum_tsn,
                    self.sender.peer_rwnd() as u32,
                    std::iter::empty(),
                );
                self.state = AssociationState::ShutdownReceived;
                self.timers
                    .set(Timer::ShutdownGuard, self.now + 5 * self.cfg.rto_max);
            }
            AssociationState::ShutdownReceived => {
                self.sender.on_sack(
                    self.now,
                    cum_tsn,
                    self.sender.peer_rwnd() as u32,
                    std::iter::empty(),
                );
            }
            AssociationState::ShutdownSent => {
                // Both sides shut down at once: answer with SHUTDOWN ACK.
                self.state = AssociationState::ShutdownAckSent;
                self.shutdown_ack_due = true;
                self.timers
                    .set(Timer::T2Shutdown, self.now + self.sender.rto.rto());
            }
            _ => self.stats.dropped.unexpected += 1,
        }
    }

    fn on_shutdown_ack(&mut self, tag: u32) {
        match self.state {
            AssociationState::ShutdownSent | AssociationState::ShutdownAckSent => {
                let mut out = BytesMut::with_capacity(16);
                self.write_header(&mut out, self.peer_tag);
                write_chunk(&mut out, typ::SHUTDOWN_COMPLETE, 0, |_| {});
                let z = self.caps.zero_checksum;
                self.finish_packet(&mut out, z);
                self.queue_packet(out);
                self.close(CloseReason::Shutdown);
            }
            _ => {
                // §8.4 item 5 / §9.2: a SHUTDOWN ACK we do not expect (our SHUTDOWN COMPLETE
                // was lost and we are closed, or it is stale) is answered with a SHUTDOWN
                // COMPLETE whose T bit says the tag is reflected, so the peer can finish.
                self.stats.dropped.unexpected += 1;
                if self.out_packets.len() < 8 {
                    let mut out = BytesMut::with_capacity(16);
                    self.write_header(&mut out, tag);
                    write_chunk(&mut out, typ::SHUTDOWN_COMPLETE, chunk::flags::T, |_| {});
                    self.finish_packet(&mut out, false);
                    self.queue_packet(out);
                }
            }
        }
    }

    fn maybe_progress_shutdown(&mut self) {
        if !self.sender.is_idle() {
            return;
        }
        match self.state {
            AssociationState::ShutdownPending => {
                self.state = AssociationState::ShutdownSent;
                self.shutdown_due = true;
                self.timers
                    .set(Timer::T2Shutdown, self.now + self.sender.rto.rto());
                self.timers
                    .set(Timer::ShutdownGuard, self.now + 5 * self.cfg.rto_max);
            }
            AssociationState::ShutdownReceived => {
                self.state = AssociationState::ShutdownAckSent;
                self.shutdown_ack_due = true;
                self.timers
                    .set(Timer::T2Shutdown, self.now + self.sender.rto.rto());
            }
            _ => {}
        }
    }

    // ---------------------------------------------------------------------------------------
    // Stream reset (RFC 6525)
    // ---------------------------------------------------------------------------------------

    fn on_reconfig(&mut self, params: Params<'_>) {
        if self.receiver.is_none() {
            self.stats.dropped.unexpected += 1;
            return;
        }
        for p in Chunk::reconfig_params(params) {
            match p {
                ReconfigParam::OutgoingReset {
                    request_seq,
                    last_tsn,
                    streams,
                    ..
                } => {
                    let streams: Vec<u16> = streams.iter().collect();
                    self.on_peer_outgoing_reset(request_seq, last_tsn, streams);
                }
                ReconfigParam::IncomingReset {
                    request_seq,
                    streams,
                } => {
                    if let Some(result) = self.check_request_seq(request_seq) {
                        self.respond(request_seq, result);
                        continue;
                    }
                    self.peer_next_request_seq = request_seq.wrapping_add(1);
                    // §5.2.3: answered by an Outgoing SSN Reset Request of ours.
                    let list: Vec<u16> = if streams.is_empty() {
                        (0..self.outbound_streams).collect()
                    } else {
                        streams.iter().collect()
                    };
                    self.reset_streams(&list);
                    self.pending_response_seq = Some(request_seq);
                    self.last_response = Some((request_seq, reconfig_result::IN_PROGRESS));
                }
                ReconfigParam::Response {
                    response_seq,
                    result,
                } => self.on_reconfig_response(response_seq, result),
                ReconfigParam::Other { request_seq, .. } => {
                    if let Some(seq) = request_seq {
                        if let Some(result) = self.check_request_seq(seq) {
                            self.respond(seq, result);
                            continue;
                        }
                        self.peer_next_request_seq = seq.wrapping_add(1);
                        self.respond(seq, reconfig_result::DENIED);
                    }
                }
            }
        }
    }

    /// RFC 6525 §5.2.1: the request sequence number check. `Some(result)` answers without
    /// acting: the remembered result of a retransmitted request, or Bad Sequence Number.
    fn check_request_seq(&self, seq: u32) -> Option<u32> {
        if seq == self.peer_next_request_seq || self.reset_request_first_contact(seq) {
            return None;
        }
        match self.last_response {
            Some((s, r)) if s == seq => Some(r),
            _ => Some(reconfig_result::BAD_SEQUENCE_NUMBER),
        }
    }

    /// The first request's sequence number is the peer's initial TSN (§5.1.1), which we learn
    /// only from the INIT; until a first request is seen, accept it.
    fn reset_request_first_contact(&self, _seq: u32) -> bool {
        self.last_response.is_none() && self.peer_next_request_seq == 0
    }

    fn respond(&mut self, seq: u32, result: u32) {
        if self.responses_due.len() < 8 {
            self.responses_due.push_back((seq, result));
        }
    }

    fn on_peer_outgoing_reset(&mut self, seq: u32, last_tsn: u32, streams: Vec<u16>) {
        if let Some(result) = self.check_request_seq(seq) {
            // A retransmission of a deferred request is answered with its current state.
            if self.deferred_reset.as_ref().is_some_and(|d| d.seq == seq) {
                self.respond(seq, reconfig_result::IN_PROGRESS);
            } else {
                self.respond(seq, result);
            }
            return;
        }
        let req = ResetRequest {
            seq,
            streams,
            last_tsn,
            response_seq: 0,
        };
        let done = self
            .receiver
            .as_ref()
            .is_some_and(|r| r.has_received_through(last_tsn));
        if done {
            self.perform_incoming_reset(req);
        } else {
            // §5.2.2: deferred reset processing until the cumulative point reaches last_tsn.
            self.peer_next_request_seq = seq.wrapping_add(1);
            self.last_response = Some((seq, reconfig_result::IN_PROGRESS));
            self.deferred_reset = Some(req);
            self.respond(seq, reconfig_result::IN_PROGRESS);
        }
    }

    fn perform_incoming_reset(&mut self, req: ResetRequest) {
        let r = self
            .receiver
            .as_mut()
            .expect("invariant: checked by caller");
        if req.streams.is_empty() {
            r.reset_streams(None);
        } else {
            r.reset_streams(Some(&req.streams));
        }
        self.peer_next_request_seq = req.seq.wrapping_add(1);
        self.last_response = Some((req.seq, reconfig_result::PERFORMED));
        self.respond(req.seq, reconfig_result::PERFORMED);
        self.flush_messages();
        self.push_event(SctpEvent::IncomingStreamsReset {
            streams: req.streams,
        });
    }

    fn check_deferred_reset(&mut self) {
        let ready = match (&self.deferred_reset, &self.receiver) {
            (Some(d), Some(r)) => r.has_received_through(d.last_tsn),
            _ => false,
        };
        if ready {
            let req = self.deferred_reset.take().expect("invariant: checked");
            self.perform_incoming_reset(req);
        }
    }

    fn on_reconfig_response(&mut self, seq: u32, result: u32) {
        let Some(req) = self.reset_request.as_ref().filter(|r| r.seq == seq) else {
            self.stats.dropped.unexpected += 1;
            return;
        };
        if result == reconfig_result::IN_PROGRESS {
            // Retried on the Reconfig timer with the same sequence number.
            let _ = req;
            return;
        }
        let req = self.reset_request.take().expect("invariant: matched");
        self.timers.stop(Timer::Reconfig);
        self.next_request_seq = self.next_request_seq.wrapping_add(1);
        // Performed or not, the streams are usable again from sequence number 0 (a denied reset
        // leaves the peer's side as it was; the application hears which).
        for &s in &req.streams {
            self.sender.reset_stream_sequence(s);
        }
        let streams = req.streams;
        self.push_event(match result {
            reconfig_result::PERFORMED | reconfig_result::NOTHING_TO_DO => {
                SctpEvent::OutgoingStreamsReset { streams }
            }
            _ => SctpEvent::StreamResetFailed { streams },
        });
    }

    /// Starts an outgoing reset request when streams wait and none is outstanding.
    fn maybe_start_reset(&mut self) {
        if self.reset_request.is_some() || self.reset_wanted.is_empty() || !self.is_established() {
            return;
        }
        let max = (self.cfg.mtu - 64) / 2;
        let ready: Vec<u16> = self
            .reset_wanted
            .iter()
            .copied()
            .filter(|&s| self.sender.stream_drained(s))
            .take(max)
            .collect();
        if ready.is_empty() {
            return;
        }
        for s in &ready {
            self.reset_wanted.remove(s);
        }
        if !self.caps.reconfig {
            for &s in &ready {
                self.sender.reset_stream_sequence(s);
            }
            self.events
                .push_back(SctpEvent::StreamResetFailed { streams: ready });
            return;
        }
        let response_seq = self
            .pending_response_seq
            .take()
            .unwrap_or(self.peer_next_request_seq.wrapping_sub(1));
        self.reset_request = Some(ResetRequest {
            seq: self.next_request_seq,
            streams: ready,
            last_tsn: self.sender.last_assigned_tsn(),
            response_seq,
        });
        self.reset_request_due = true;
        self.timers
            .set(Timer::Reconfig, self.now + self.sender.rto.rto());
    }

    // ---------------------------------------------------------------------------------------
    // Transmit path
    // ---------------------------------------------------------------------------------------

    /// The largest packet [`Association::poll_transmit_into`] writes ([`SctpConfig::mtu`]).
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
        if let Some(mut p) = self.out_packets.pop_front() {
            // Packets cut earlier (SACKs, control chunks) are small: copied into the caller's
            // buffer (a DTLS record being written, for the Peer), their buffer kept for reuse.
            buf.extend_from_slice(&p);
            if self.spare.len() < 4 && p.capacity() >= 64 {
                p.clear();
                self.spare.push(p);
            }
            self.stats.packets_sent += 1;
            return true;
        }
        if self.state == AssociationState::Closed || self.peer_tag == 0 {
            return false;
        }
        self.maybe_start_reset();
        buf.reserve(self.cfg.mtu);
        self.write_header(buf, self.peer_tag);
        let limit = start + self.cfg.mtu;
        let now = self.now;
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
            self.heartbeat_outstanding = Some((nonce, now));
            write_chunk(buf, typ::HEARTBEAT, 0, |o| {
                write_param(o, param::HEARTBEAT_INFO, &nonce.to_be_bytes())
            });
        }
        while let Some((_, value)) = self.errors.front() {
            if buf.len() + 8 + value.len() > limit {
                break;
            }
            let (code, value) = self.errors.pop_front().expect("invariant: front exists");
            write_chunk(buf, typ::ERROR, 0, |o| write_param(o, code, &value));
        }
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
        if data_state {
            let room = limit.saturating_sub(buf.len());
            self.sender.write_data(now, buf, room);
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

    fn sack_sent(&mut self) {
        self.sack = SackDue::No;
        self.data_packets_unacked = 0;
        self.timers.stop(Timer::DelayedAck);
        if let Some(r) = self.receiver.as_mut() {
            r.clear_dups();
        }
    }
}

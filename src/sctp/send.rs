//! The sending half of an association: per-stream queues and a round-robin scheduler,
//! fragmentation to the path MTU (RFC 9260 §6.9), the retransmission queue with SACK processing
//! (§6.2.1), fast retransmit and fast recovery (§7.2.4), congestion control (§7.2), the
//! retransmission timer T3 and RTO estimation (§6.3), and partial reliability (RFC 3758 §3.5,
//! RFC 8260 §2.3).
//!
//! Cost per packet is O(1) amortized in the amount of data in flight: chunks live in a
//! `VecDeque` indexed by TSN offset from the cumulative ack, so a SACK touches only the TSNs it
//! newly acknowledges (gap blocks are diffed against the previous SACK's) and the holes below
//! the highest newly acked TSN; retransmissions come from an ordered set of lost TSNs. Only the
//! T3 timer's expiry walks the whole flight (§6.3.3 E3 asks for exactly that).

use super::chunk::{Data, Skipped, flags, pad};
use super::recv::unwrap_tsn;
use crate::vecmap::SortedVec;
use bytes::{Bytes, BytesMut};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

/// How a message is to be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SendOptions {
    /// Deliver as soon as complete, not in stream order (RFC 9260 §6.6).
    pub unordered: bool,
    /// Partial reliability by count (RFC 3758 / W3C `maxRetransmits`): abandon after this many
    /// retransmissions of any fragment.
    pub max_retransmits: Option<u16>,
    /// Partial reliability by time (W3C `maxPacketLifeTime`): abandon when not delivered within
    /// this long of `send`. A command carries no time: the lifetime starts at the time of the
    /// next call that does (`poll_transmit`, `handle_timeout`, `handle_packet`), which a driver
    /// makes right after its commands (the driver contract, DESIGN §3).
    pub lifetime: Option<Duration>,
}

#[derive(Debug)]
struct OutMessage {
    id: u64,
    ppid: u32,
    data: Bytes,
    opts: SendOptions,
    expires: Option<Instant>,
    /// Bytes already cut into chunks.
    offset: usize,
    /// SSN / MID, assigned with the first fragment.
    mid: Option<u32>,
    next_fsn: u32,
    /// Its slot in `Payloads`, taken with the first fragment.
    slot: u32,
}

#[derive(Debug, Default)]
pub(super) struct OutStream {
    queue: VecDeque<OutMessage>,
    next_ordered: u32,
    next_unordered: u32,
    /// Bytes queued and not yet handed to the wire (W3C `bufferedAmount`).
    pub(super) buffered: usize,
    pub(super) low_threshold: usize,
    /// A reset was asked for: no new messages, request once the queue drains.
    pub(super) resetting: bool,
    active: bool,
    /// Scheduling weight (RFC 8260 §3.6); 0 means the default.
    weight: u16,
    /// Deficit round robin: bytes this stream may still send in its turn (negative: what it
    /// overdrew, repaid from its next quantum).
    credit: i32,
}

/// Bytes one unit of weight buys per round (about one full chunk).
const QUANTUM: i32 = 1024;

/// The weight of streams nobody set one for: W3C's default priority ("low", 256).
const DEFAULT_WEIGHT: u16 = 2;

impl OutStream {
    fn weight(&self) -> u16 {
        if self.weight == 0 {
            DEFAULT_WEIGHT
        } else {
            self.weight
        }
    }

    /// RFC 9260 §6.5 / RFC 8260 §2.1: takes the next SSN (16 bits, DATA) or MID (32 bits,
    /// I-DATA) of the stream's ordered or unordered sequence.
    fn take_sequence_number(&mut self, unordered: bool, i_data: bool) -> u32 {
        let seq = if unordered {
            &mut self.next_unordered
        } else {
            &mut self.next_ordered
        };
        let taken = *seq;
        *seq = if i_data {
            seq.wrapping_add(1)
        } else {
            u32::from((*seq as u16).wrapping_add(1))
        };
        taken
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    InFlight,
    Acked,
    Lost,
    Abandoned,
}

#[derive(Debug)]
struct Sent {
    stream: u16,
    mid: u32,
    fsn: u32,
    ppid: u32,
    flags: u8,
    /// The payload: `len` bytes at `offset` of the message in `slot` of `Payloads`.
    slot: u32,
    len: u32,
    offset: usize,
    msg: u64,
    msg_first: u64,
    state: State,
    transmissions: u16,
    miss: u8,
    fast_retransmitted: bool,
    max_retransmits: Option<u16>,
    expires: Option<Instant>,
}

impl Sent {
    fn len(&self) -> usize {
        self.len as usize
    }
}

/// No payload slot (a stand-in chunk that is never sent).
const NO_SLOT: u32 = u32::MAX;

/// The payloads of messages with chunks in flight, by slot. A chunk names its message's slot and
/// its byte range, so cutting, acking and retransmitting a chunk touch no reference count: a
/// message's `Bytes` is cloned once, at its first cut, and dropped when its last chunk leaves
/// the flight (measured: the atomic count of a slice per chunk cost ~20 ns per packet).
#[derive(Debug, Default)]
struct Payloads {
    /// A message's bytes and how many hold them: its chunks in flight, plus one while the
    /// message is still being cut (so that its slot is not freed, and taken by another
    /// message, when its first chunks are acked before the rest is cut).
    slots: Vec<Option<(Bytes, u32)>>,
    free: Vec<u32>,
}

impl Payloads {
    /// A message's bytes, held once (by the queue) until `release`d.
    fn insert(&mut self, data: Bytes) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some((data, 1));
                i
            }
            None => {
                self.slots.push(Some((data, 1)));
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn add_chunk(&mut self, slot: u32) {
        if let Some(Some((_, n))) = self.slots.get_mut(slot as usize) {
            *n += 1;
        }
    }

    /// A chunk of `slot`'s message left the flight, or the message left the queue; the last
    /// holder frees the slot.
    fn release(&mut self, slot: u32) {
        let Some(entry) = self.slots.get_mut(slot as usize) else {
            return;
        };
        let last = match entry {
            Some((_, n)) => {
                *n -= 1;
                *n == 0
            }
            None => false,
        };
        if last {
            *entry = None;
            self.free.push(slot);
        }
    }

    fn bytes(&self, c: &Sent) -> &[u8] {
        match self.slots.get(c.slot as usize) {
            Some(Some((data, _))) => &data[c.offset..c.offset + c.len()],
            _ => &[],
        }
    }

    /// Slots in use.
    fn in_use(&self) -> usize {
        self.slots.len() - self.free.len()
    }
}

/// A fragment just cut from a queued message (RFC 9260 §6.9), before it is written.
#[derive(Debug)]
struct Fragment {
    tsn: u64,
    chunk: Sent,
    /// It ends its message.
    end: bool,
    /// Its stream has more messages queued.
    more: bool,
}

/// RFC 9260 §3.3.1: the B, E and U flags of a DATA / I-DATA chunk.
fn fragment_flags(begin: bool, end: bool, unordered: bool) -> u8 {
    let mut f = 0;
    if begin {
        f |= flags::BEGIN;
    }
    if end {
        f |= flags::END;
    }
    if unordered {
        f |= flags::UNORDERED;
    }
    f
}

/// Timing and congestion parameters.
#[derive(Debug, Clone, Copy)]
pub(super) struct SendParams {
    pub(super) mtu: usize,
    pub(super) rto_initial: Duration,
    pub(super) rto_min: Duration,
    pub(super) rto_max: Duration,
    pub(super) max_timer_backoff: Option<Duration>,
    pub(super) max_buffer_bytes: usize,
    pub(super) i_data: bool,
}

/// RFC 9260 §6.3.1: the RTO estimator.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rto {
    srtt: Option<Duration>,
    rttvar: Duration,
    rto: Duration,
    /// The RTO before any back-off (initial, then from the last measurement).
    base: Duration,
    min: Duration,
    max: Duration,
    /// The cap on backed-off values (`SctpConfig::max_timer_backoff`); `max` when none.
    backoff_cap: Duration,
}

impl Rto {
    pub(super) fn new(initial: Duration, min: Duration, max: Duration) -> Self {
        let rto = initial.clamp(min, max);
        Rto {
            srtt: None,
            rttvar: Duration::ZERO,
            rto,
            base: rto,
            min,
            max,
            backoff_cap: max,
        }
    }

    /// Caps backed-off values at `cap` (never below the RTO the measurements give).
    pub(super) fn with_backoff_cap(mut self, cap: Option<Duration>) -> Self {
        self.backoff_cap = cap.unwrap_or(self.max).min(self.max);
        self
    }

    /// C1–C3: a new round-trip measurement.
    pub(super) fn sample(&mut self, r: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(srtt) => {
                // α = 1/8, β = 1/4.
                let delta = srtt.abs_diff(r);
                self.rttvar = self.rttvar * 3 / 4 + delta / 4;
                self.srtt = Some(srtt * 7 / 8 + r / 8);
            }
        }
        // C3: RTO = SRTT + max(G, 4·RTTVAR).
        // DEVIATION(RFC 9260 §6.3.1 C3, G = clock granularity): the variance term is floored at
        // half of RTO.Min rather than at G, much as Linux TCP floors it at 200 ms. On a steady
        // path RTTVAR decays to almost nothing and RTO would sit just above SRTT, so a queue
        // building up in front of a bottleneck (tens of ms) fires T3 spuriously and collapses
        // cwnd to one MTU. The RFC's 1 s RTO.Min hides the problem; our lower RTO.Min (see
        // SctpConfig) needs the floor.
        let var = (self.rttvar * 4).max(self.min / 2);
        self.rto = (self.srtt.expect("invariant: set above") + var).clamp(self.min, self.max);
        self.base = self.rto;
    }

    /// E2 / §6.3.3: exponential back-off, up to RTO.Max, and up to the back-off cap.
    /// DEVIATION(RFC 9260 §6.3.3 E2, RTO.Max 60 s): backed-off values stop at
    /// `max(backoff cap, measured RTO)` (3 s by default, see `SctpConfig::max_timer_backoff`).
    pub(super) fn back_off(&mut self) {
        self.rto = (self.rto * 2)
            .min(self.max)
            .min(self.backoff_cap.max(self.base));
    }

    pub(super) fn rto(&self) -> Duration {
        self.rto
    }

    pub(super) fn srtt(&self) -> Option<Duration> {
        self.srtt
    }
}

/// What a SACK changed.
#[derive(Debug, Default)]
pub(super) struct SackOutcome {
    /// The cumulative point advanced, or gap blocks newly acked data.
    pub(super) progress: bool,
    /// Data was newly marked for fast retransmission.
    pub(super) fast_retransmit: bool,
}

#[derive(Debug)]
pub(super) struct Sender {
    p: SendParams,
    streams: SortedVec<u16, OutStream>,
    /// Streams with queued messages, in round-robin order.
    active: VecDeque<u16>,
    /// DATA (not I-DATA): the stream whose message is partly cut; it must finish first
    /// (§6.9: a message's fragments carry consecutive TSNs).
    current: Option<u16>,
    /// The stream at the front of `active` has started its turn (drawn its quantum).
    turn_started: bool,
    next_msg_id: u64,
    /// Messages with a lifetime whose clock has not started yet (stream, message id).
    unstamped: Vec<(u16, u64)>,
    queued_bytes: usize,
    /// The peer's cumulative TSN ack, unwrapped.
    cum: u64,
    next_tsn: u64,
    flight: VecDeque<Sent>,
    payloads: Payloads,
    lost: BTreeSet<u64>,
    prev_gaps: Vec<(u64, u64)>,
    /// Reused for gap-block and hole lists, so SACK handling does not allocate.
    scratch: Vec<(u64, u64)>,
    flight_bytes: usize,
    peer_rwnd: usize,
    pub(super) cwnd: usize,
    ssthresh: usize,
    partial_bytes_acked: usize,
    fast_recovery_exit: Option<u64>,
    /// Send one packet of fast retransmissions regardless of cwnd (§7.2.4 step 3).
    fast_rtx_burst: bool,
    pub(super) rto: Rto,
    rtt_probe: Option<(u64, Instant)>,
    pub(super) t3: Option<Instant>,
    /// RFC 3758 §3.5: the Advanced.Peer.Ack.Point, unwrapped.
    adv_peer_ack: u64,
    pub(super) forward_tsn_due: bool,
    last_sent: Option<Instant>,
    /// The last transmission opportunity ended with the window full (§7.2.1: cwnd only grows
    /// when it is being used). Kept between SACKs, so a batch of SACKs handled before the next
    /// transmission all count.
    cwnd_limited: bool,
    pub(super) stats: SendStats,
    /// Streams whose buffered amount fell to their threshold.
    pub(super) low_events: Vec<u16>,
}

/// Counters of the sending half.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendStats {
    /// DATA / I-DATA chunks sent the first time.
    pub data_chunks: u64,
    /// Chunks retransmitted (any reason).
    pub retransmissions: u64,
    /// Chunks marked by three miss indications (§7.2.4).
    pub fast_retransmits: u64,
    /// T3-rtx expirations.
    pub t3_expirations: u64,
    /// Messages abandoned (partial reliability).
    pub abandoned_messages: u64,
    /// SACKs ignored as out of date or acking unsent TSNs.
    pub sacks_ignored: u64,
}

/// Why a message was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SctpSendError {
    /// The stream id is not below the negotiated number of outbound streams.
    #[error("stream {stream} is not open (negotiated {max} outbound streams)")]
    InvalidStream {
        /// The stream.
        stream: u16,
        /// The number of outbound streams.
        max: u16,
    },
    /// Larger than the maximum message size.
    #[error("message of {len} bytes exceeds the maximum of {max}")]
    TooLarge {
        /// The message length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The send buffer is full.
    #[error("send buffer full")]
    BufferFull,
    /// The stream is being reset (closing).
    #[error("stream {stream} is being reset")]
    StreamResetting {
        /// The stream.
        stream: u16,
    },
    /// The association is shutting down or closed.
    #[error("the association is closing or closed")]
    Closed,
    /// An empty message (SCTP cannot carry zero bytes; data channels use PPID 56/57 with one
    /// byte instead).
    #[error("empty message")]
    Empty,
}

impl Sender {
    /// Releases idle capacity (see `Association::trim`).
    pub(super) fn trim(&mut self) {
        use crate::vecmap::{reset_if_empty, shrink_if_empty};
        for s in self.streams.values_mut() {
            shrink_if_empty!(s.queue);
        }
        self.streams.shrink_to_fit();
        if self.payloads.in_use() == 0 {
            self.payloads = Payloads::default();
        }
        reset_if_empty!(self.lost);
        shrink_if_empty!(
            self.flight,
            self.active,
            self.prev_gaps,
            self.scratch,
            self.low_events
        );
    }

    pub(super) fn new(p: SendParams, initial_tsn: u32, peer_rwnd: u32) -> Self {
        let cum = (1u64 << 32) + u64::from(initial_tsn) - 1;
        Sender {
            p,
            streams: SortedVec::default(),
            active: VecDeque::new(),
            turn_started: false,
            current: None,
            next_msg_id: 0,
            unstamped: Vec::new(),
            queued_bytes: 0,
            cum,
            next_tsn: cum + 1,
            flight: VecDeque::new(),
            payloads: Payloads::default(),
            lost: BTreeSet::new(),
            prev_gaps: Vec::new(),
            scratch: Vec::new(),
            flight_bytes: 0,
            peer_rwnd: peer_rwnd as usize,
            // RFC 9260 §7.2.1: initial cwnd = min(4·MTU, max(2·MTU, 4380)).
            cwnd: (4 * p.mtu).min((2 * p.mtu).max(4380)),
            // §7.2.1: initial ssthresh may be arbitrarily high; the peer's window is used.
            ssthresh: (peer_rwnd as usize).max(4 * p.mtu),
            partial_bytes_acked: 0,
            fast_recovery_exit: None,
            fast_rtx_burst: false,
            rto: Rto::new(p.rto_initial, p.rto_min, p.rto_max)
                .with_backoff_cap(p.max_timer_backoff),
            rtt_probe: None,
            t3: None,
            adv_peer_ack: cum,
            forward_tsn_due: false,
            last_sent: None,
            cwnd_limited: false,
            stats: SendStats::default(),
            low_events: Vec::new(),
        }
    }

    /// Takes over the messages queued on `old`. Before the association was up nothing of them
    /// was sent; on a new association over a closed one (a peer restart, RFC 9260 §5.2.4, after
    /// we had data in flight) what was in flight went with the old association, and a message
    /// partly cut into chunks starts again whole: its first fragments belonged to the old one.
    pub(super) fn adopt_queue(&mut self, mut old: Sender) {
        for (_, s) in old.streams.iter_mut() {
            let OutStream {
                queue, buffered, ..
            } = s;
            for m in queue.iter_mut().filter(|m| m.offset > 0) {
                *buffered += m.offset;
                old.queued_bytes += m.offset;
                m.offset = 0;
                m.mid = None;
                m.next_fsn = 0;
                // Its slot was in the old flight's payloads; the first cut takes a new one.
                m.slot = NO_SLOT;
            }
        }
        self.streams = old.streams;
        self.active = old.active;
        self.current = None;
        self.next_msg_id = old.next_msg_id;
        self.unstamped = old.unstamped;
        self.queued_bytes = old.queued_bytes;
    }

    pub(super) fn flight_bytes(&self) -> usize {
        self.flight_bytes
    }

    pub(super) fn peer_rwnd(&self) -> usize {
        self.peer_rwnd
    }

    pub(super) fn queued_bytes(&self) -> usize {
        self.queued_bytes
    }

    /// Nothing queued and nothing unacknowledged.
    pub(super) fn is_idle(&self) -> bool {
        self.queued_bytes == 0 && self.flight.is_empty()
    }

    /// The last TSN assigned (RFC 6525 Sender's Last Assigned TSN).
    pub(super) fn last_assigned_tsn(&self) -> u32 {
        (self.next_tsn - 1) as u32
    }

    pub(super) fn stream(&mut self, id: u16) -> &mut OutStream {
        self.streams.get_or_default(id)
    }

    pub(super) fn set_weight(&mut self, id: u16, weight: u16) {
        self.stream(id).weight = weight.max(1);
    }

    pub(super) fn stream_ref(&self, id: u16) -> Option<&OutStream> {
        self.streams.get(&id)
    }

    /// Queues one message. Its lifetime, if any, starts at the next [`Sender::stamp`].
    pub(super) fn enqueue(
        &mut self,
        stream: u16,
        ppid: u32,
        data: Bytes,
        opts: SendOptions,
    ) -> Result<(), SctpSendError> {
        if data.is_empty() {
            return Err(SctpSendError::Empty);
        }
        if self.queued_bytes + data.len() > self.p.max_buffer_bytes {
            return Err(SctpSendError::BufferFull);
        }
        let id = self.next_msg_id;
        self.next_msg_id += 1;
        let len = data.len();
        let s = self.streams.get_or_default(stream);
        if s.resetting {
            return Err(SctpSendError::StreamResetting { stream });
        }
        s.buffered += len;
        s.queue.push_back(OutMessage {
            id,
            ppid,
            data,
            opts,
            expires: None,
            offset: 0,
            mid: None,
            next_fsn: 0,
            slot: NO_SLOT,
        });
        if !s.active {
            s.active = true;
            self.active.push_back(stream);
        }
        if opts.lifetime.is_some() {
            self.unstamped.push((stream, id));
        }
        self.queued_bytes += len;
        Ok(())
    }

    /// Starts the lifetimes of messages queued since the last call at `now`, the first time the
    /// association is told the time after their `send` (the driver contract: commands take no
    /// time, so a lifetime never starts from a stale one). Bounded by the queued messages.
    pub(super) fn stamp(&mut self, now: Instant) {
        for (stream, id) in std::mem::take(&mut self.unstamped) {
            let Some(s) = self.streams.get_mut(&stream) else {
                continue;
            };
            // The newest messages are at the back.
            if let Some(m) = s.queue.iter_mut().rev().find(|m| m.id == id)
                && m.expires.is_none()
            {
                m.expires = m.opts.lifetime.map(|l| now + l);
            }
        }
    }

    /// Whether a stream has nothing queued (its reset request may go out).
    pub(super) fn stream_drained(&self, stream: u16) -> bool {
        self.streams.get(&stream).is_none_or(|s| s.queue.is_empty())
    }

    /// RFC 6525 §5.1.2 / §5.2.2: after an outgoing reset, sequence numbers restart at 0.
    pub(super) fn reset_stream_sequence(&mut self, stream: u16) {
        if let Some(s) = self.streams.get_mut(&stream) {
            s.next_ordered = 0;
            s.next_unordered = 0;
            s.resetting = false;
        }
    }

    fn data_header(&self) -> usize {
        if self.p.i_data {
            Data::I_DATA_HEADER
        } else {
            Data::DATA_HEADER
        }
    }

    /// Whether `poll` could put DATA in a packet now.
    pub(super) fn wants_to_send(&self) -> bool {
        self.fast_rtx_burst
            || (!self.lost.is_empty() && self.flight_bytes < self.cwnd)
            || (!self.active.is_empty() && self.can_send_new())
    }

    fn can_send_new(&self) -> bool {
        // §6.1 B: at most cwnd + MTU - 1 outstanding.
        if self.flight_bytes >= self.cwnd {
            return false;
        }
        // §6.1 A: respect the peer's window, except one zero-window probe when nothing is out.
        self.peer_rwnd > 0 || self.flight_bytes == 0
    }

    /// Writes DATA / I-DATA chunks into `out` while room (bytes) remains, retransmissions first.
    /// Returns whether anything was written.
    pub(super) fn write_data(&mut self, now: Instant, out: &mut BytesMut, room: usize) -> bool {
        let (room, retransmitted) = self.write_retransmissions(now, out, room);
        let wrote = self.write_new_data(now, out, room, retransmitted);
        self.cwnd_limited = self.flight_bytes + self.p.mtu > self.cwnd;
        if wrote {
            self.last_sent = Some(now);
            if self.t3.is_none() {
                // §6.3.2 R1.
                self.t3 = Some(now + self.rto.rto());
            }
        }
        wrote
    }

    /// RFC 9260 §6.1 / §7.2.4 step 3 / §6.3.3 E3: retransmits lost chunks, lowest TSN first,
    /// within cwnd (or regardless of it, once, after a fast retransmit) and `room`. Returns the
    /// room left and whether anything was written.
    fn write_retransmissions(
        &mut self,
        now: Instant,
        out: &mut BytesMut,
        mut room: usize,
    ) -> (usize, bool) {
        let mut wrote = false;
        let header = self.data_header();
        let burst = std::mem::take(&mut self.fast_rtx_burst);
        while let Some(&t) = self.lost.first() {
            if !burst && self.flight_bytes >= self.cwnd {
                break;
            }
            let i = (t - self.cum - 1) as usize;
            let Some(c) = self.flight.get(i) else {
                self.lost.remove(&t);
                continue;
            };
            if c.state != State::Lost {
                self.lost.remove(&t);
                continue;
            }
            // RFC 3758 §3.5 A1 / W3C: partial reliability decides before each retransmission.
            let exhausted = c.max_retransmits.is_some_and(|m| c.transmissions > m)
                || c.expires.is_some_and(|e| now >= e);
            if exhausted {
                self.abandon(t);
                continue;
            }
            let size = (header + c.len()).next_multiple_of(4);
            if size > room {
                break;
            }
            self.lost.remove(&t);
            self.rewrite_chunk(i, t, out);
            room -= size;
            wrote = true;
        }
        (room, wrote)
    }

    /// RFC 9260 §6.3.3 E3 / §7.2.4: writes the chunk at flight index `i` (TSN `t`) again and
    /// puts it back in flight.
    fn rewrite_chunk(&mut self, i: usize, t: u64, out: &mut BytesMut) {
        let c = &mut self.flight[i];
        Data::write_header(
            out,
            self.p.i_data,
            c.flags,
            t as u32,
            c.stream,
            c.mid,
            c.ppid,
            c.fsn,
            c.len(),
        );
        out.extend_from_slice(self.payloads.bytes(c));
        pad(out, c.len());
        c.state = State::InFlight;
        c.transmissions += 1;
        c.miss = 0;
        self.flight_bytes += c.len();
        self.stats.retransmissions += 1;
    }

    /// RFC 9260 §6.1: new chunks from the scheduled streams, within cwnd, the peer's window and
    /// `room`. `wrote` says whether the packet already carries DATA; returns whether it does.
    fn write_new_data(
        &mut self,
        now: Instant,
        out: &mut BytesMut,
        mut room: usize,
        mut wrote: bool,
    ) -> bool {
        let header = self.data_header();
        while self.lost.is_empty() && self.can_send_new() && room > header + 4 {
            let Some(stream) = self.next_stream() else {
                break;
            };
            let max_payload = room - header;
            // A message not yet started that would travel whole in a packet of its own is not
            // cut to fill this packet's leftover room: whole, it is delivered as a slice of the
            // received packet, while cut it needs reassembly (an allocation and a copy) at the
            // peer, for a few bytes saved on the wire (RFC 9260 §6.9 leaves fragmentation to the
            // sender). Measured: 1 KiB messages went out as two fragments each.
            if wrote && self.whole_later(stream, max_payload, header) {
                break;
            }
            if !self.cut_chunk(now, stream, max_payload, out) {
                break;
            }
            wrote = true;
            let last = self.flight.back().expect("invariant: just pushed");
            room = room.saturating_sub((header + last.len()).next_multiple_of(4));
        }
        wrote
    }

    /// Whether `stream`'s next message has not started, does not fit `max_payload`, and would
    /// fit a packet of its own (the common header, one DATA header, room for a SACK).
    fn whole_later(&self, stream: u16, max_payload: usize, header: usize) -> bool {
        let whole = self.p.mtu.saturating_sub(12 + header + 32);
        self.streams
            .get(&stream)
            .and_then(|s| s.queue.front())
            .is_some_and(|m| m.offset == 0 && m.data.len() > max_payload && m.data.len() <= whole)
    }

    /// The next stream to take a chunk from (round robin), skipping expired messages.
    fn next_stream(&mut self) -> Option<u16> {
        if let Some(s) = self.current {
            return Some(s);
        }
        self.active.front().copied()
    }

    /// Cuts the next chunk of `stream`'s front message and writes it. False when nothing could be
    /// cut (the queue emptied by expiry).
    fn cut_chunk(
        &mut self,
        now: Instant,
        stream: u16,
        max_payload: usize,
        out: &mut BytesMut,
    ) -> bool {
        if !self.drop_expired_unsent(now, stream) {
            self.deactivate(stream);
            return false;
        }
        let Some(cut) = self.take_fragment(stream, max_payload) else {
            return false;
        };
        let c = &cut.chunk;
        let n = c.len();
        Data::write_header(
            out,
            self.p.i_data,
            c.flags,
            cut.tsn as u32,
            stream,
            c.mid,
            c.ppid,
            c.fsn,
            n,
        );
        out.extend_from_slice(self.payloads.bytes(c));
        pad(out, n);
        self.schedule_after_chunk(stream, n, cut.end, cut.more);
        if self.rtt_probe.is_none() {
            self.rtt_probe = Some((cut.tsn, now));
        }
        self.flight_bytes += n;
        self.peer_rwnd = self.peer_rwnd.saturating_sub(n);
        self.stats.data_chunks += 1;
        self.flight.push_back(cut.chunk);
        true
    }

    /// RFC 3758 §3.5 / W3C `maxPacketLifeTime`: drops the messages at the front of `stream`
    /// that expired before their first byte went out. False when none is left.
    fn drop_expired_unsent(&mut self, now: Instant, stream: u16) -> bool {
        let s = self
            .streams
            .get_mut(&stream)
            .expect("invariant: active stream exists");
        while let Some(m) = s.queue.front() {
            if m.offset == 0 && m.expires.is_some_and(|e| now >= e) {
                let m = s.queue.pop_front().expect("invariant: front exists");
                s.buffered -= m.data.len();
                self.queued_bytes -= m.data.len();
                self.stats.abandoned_messages += 1;
                continue;
            }
            break;
        }
        !s.queue.is_empty()
    }

    /// RFC 9260 §6.9 / RFC 8260 §2.1: cuts the next fragment of `stream`'s front message (at
    /// most `max_payload` bytes, a multiple of 4 when the message continues) with its TSN,
    /// SSN / MID and FSN, and takes its bytes off the queue (W3C `bufferedAmount`). None when
    /// nothing could be cut.
    fn take_fragment(&mut self, stream: u16, max_payload: usize) -> Option<Fragment> {
        let i_data = self.p.i_data;
        let s = self.streams.get_mut(&stream).expect("invariant: exists");
        let m = s.queue.front().expect("invariant: checked by the caller");
        let (begin, unordered) = (m.offset == 0, m.opts.unordered);
        if begin {
            let mid = s.take_sequence_number(unordered, i_data);
            let m = s.queue.front_mut().expect("invariant: exists");
            m.mid = Some(mid);
            m.slot = self.payloads.insert(m.data.clone());
        }
        let m = s.queue.front_mut().expect("invariant: exists");
        // Keep payloads a multiple of 4 when the message continues, so chunks pack without pad.
        let rest = m.data.len() - m.offset;
        let n = if rest <= max_payload {
            rest
        } else {
            max_payload & !3
        };
        if n == 0 {
            return None;
        }
        let end = m.offset + n == m.data.len();
        let tsn = self.next_tsn;
        self.next_tsn += 1;
        let (slot, offset) = (m.slot, m.offset);
        self.payloads.add_chunk(slot);
        let mid = m.mid.expect("invariant: assigned on the first fragment");
        let fsn = m.next_fsn;
        m.next_fsn += 1;
        m.offset += n;
        let (msg, ppid, opts, expires) = (m.id, m.ppid, m.opts, m.expires);
        let msg_first = if begin {
            tsn
        } else {
            self.flight
                .back()
                .filter(|c| c.msg == msg)
                .map_or(tsn, |c| c.msg_first)
        };
        let more = self.take_off_queue(stream, n, end);
        let chunk = Sent {
            stream,
            mid,
            fsn,
            ppid,
            flags: fragment_flags(begin, end, unordered),
            slot,
            len: n as u32,
            offset,
            msg,
            msg_first,
            state: State::InFlight,
            transmissions: 1,
            miss: 0,
            fast_retransmitted: false,
            max_retransmits: opts.max_retransmits,
            expires,
        };
        Some(Fragment {
            tsn,
            chunk,
            end,
            more,
        })
    }

    /// W3C `bufferedAmount` / `bufferedAmountLowThreshold`: `n` bytes of `stream` left the
    /// queue (with its front message when `end`); a fall to the low threshold is noted.
    /// Returns whether the stream has more messages queued.
    fn take_off_queue(&mut self, stream: u16, n: usize, end: bool) -> bool {
        let s = self.streams.get_mut(&stream).expect("invariant: exists");
        let before = s.buffered;
        s.buffered -= n;
        let crossed = before > s.low_threshold && s.buffered <= s.low_threshold;
        if end && let Some(m) = s.queue.pop_front() {
            self.payloads.release(m.slot);
        }
        let more = !s.queue.is_empty();
        self.queued_bytes -= n;
        if crossed {
            self.low_events.push(stream);
        }
        more
    }

    /// RFC 8260 §3.6: the scheduler's turn after `n` bytes of `stream` went out. DATA finishes
    /// a message before switching streams; I-DATA interleaves per chunk (RFC 8260 §1: that is
    /// its point).
    fn schedule_after_chunk(&mut self, stream: u16, n: usize, end: bool, more: bool) {
        // RFC 8260 §3.6 weighted fair queueing, as deficit round robin: a stream keeps its turn
        // until it has sent `weight` quanta of bytes, so saturated streams share the path in
        // proportion to their weights whatever the sizes of their chunks (I-DATA cuts filler
        // fragments to fill packets). With DATA the turn can only end between messages.
        let i_data = self.p.i_data;
        let s = self.streams.get_mut(&stream).expect("invariant: exists");
        if s.credit <= 0 && !self.turn_started {
            s.credit += i32::from(s.weight()) * QUANTUM;
        }
        self.turn_started = true;
        s.credit -= n as i32;
        if end || i_data {
            self.current = None;
            let keep_turn = more && s.credit > 0 && self.active.front() == Some(&stream);
            if !keep_turn {
                self.turn_started = false;
                // Surplus does not carry over; debt does.
                s.credit = s.credit.min(0);
                if self.active.front() == Some(&stream) {
                    self.active.pop_front();
                }
                if more {
                    self.active.push_back(stream);
                } else {
                    s.active = false;
                    s.credit = 0;
                }
            }
        } else {
            self.current = Some(stream);
        }
    }

    fn deactivate(&mut self, stream: u16) {
        if self.current == Some(stream) {
            self.current = None;
        }
        if self.active.front() == Some(&stream) {
            self.turn_started = false;
        }
        if let Some(pos) = self.active.iter().position(|&s| s == stream) {
            self.active.remove(pos);
        }
        if let Some(s) = self.streams.get_mut(&stream) {
            s.active = false;
        }
    }

    /// RFC 9260 §6.2.1: processes a SACK.
    pub(super) fn on_sack(
        &mut self,
        now: Instant,
        cum_tsn: u32,
        a_rwnd: u32,
        gaps: impl Iterator<Item = (u16, u16)>,
    ) -> SackOutcome {
        let mut out = SackOutcome::default();
        let cum = unwrap_tsn(self.cum, cum_tsn);
        // §6.2.1 D i: an older cumulative ack is out of date; one past what was sent is bogus.
        if cum < self.cum || cum >= self.next_tsn {
            self.stats.sacks_ignored += 1;
            return out;
        }
        let cwnd_full = self.cwnd_limited;
        let advanced = cum > self.cum;
        let mut bytes_acked = self.ack_cumulative(now, cum);
        let blocks = self.gap_ranges(gaps);
        let first_highest = if advanced { Some(cum) } else { None };
        let (gap_bytes, highest_newly_acked) = self.ack_gap_blocks(blocks, first_highest);
        bytes_acked += gap_bytes;
        out.progress = bytes_acked > 0 || advanced;
        // §6.2.1: rwnd = a_rwnd − bytes still outstanding.
        self.peer_rwnd = (a_rwnd as usize).saturating_sub(self.flight_bytes);
        if let Some(htna) = highest_newly_acked {
            out.fast_retransmit = self.count_miss_indications(htna);
        }
        self.update_fast_recovery(out.fast_retransmit);
        self.grow_cwnd(advanced, cwnd_full, bytes_acked);
        // §6.3.2 R2 / R3.
        if !self.has_outstanding() {
            self.t3 = None;
        } else if advanced {
            self.t3 = Some(now + self.rto.rto());
        }
        self.update_adv_peer_ack();
        out
    }

    /// RFC 9260 §6.2.1 D ii: pops the chunks up to the cumulative TSN ack `cum`, taking an RTT
    /// sample (§6.3.1, Karn's rule C5) when the probe is among them. Returns the bytes newly
    /// acked.
    fn ack_cumulative(&mut self, now: Instant, cum: u64) -> usize {
        let mut bytes_acked = 0usize;
        while self.cum < cum {
            let c = self.flight.pop_front().expect("invariant: cum < next_tsn");
            self.payloads.release(c.slot);
            self.cum += 1;
            match c.state {
                State::InFlight => {
                    self.flight_bytes -= c.len();
                    bytes_acked += c.len();
                }
                State::Lost => {
                    self.lost.remove(&self.cum);
                    bytes_acked += c.len();
                }
                State::Acked | State::Abandoned => {}
            }
            if let Some((t, at)) = self.rtt_probe
                && t == self.cum
            {
                // §6.3.1 C5 (Karn): only chunks sent once give a sample.
                if c.transmissions == 1 {
                    self.rto.sample(now.saturating_duration_since(at));
                }
                self.rtt_probe = None;
            }
        }
        // RFC 3758 §3.5 C1: the advanced peer ack point is never behind the cumulative one.
        if self.adv_peer_ack < self.cum {
            self.adv_peer_ack = self.cum;
        }
        bytes_acked
    }

    /// RFC 9260 §6.2.1 D: the gap ack blocks as TSN ranges above the cumulative ack, blocks
    /// beyond what was sent dropped, sorted and merged (in the reused scratch vector).
    fn gap_ranges(&mut self, gaps: impl Iterator<Item = (u16, u16)>) -> Vec<(u64, u64)> {
        // The blocks are normalised (sorted, merged) so that a peer sending overlapping or
        // unordered blocks cannot make one SACK walk the flight many times over.
        let cum = self.cum;
        let mut blocks = std::mem::take(&mut self.scratch);
        blocks.clear();
        let mut sorted = true;
        for (s, e) in gaps {
            if s == 0 || e < s {
                continue;
            }
            let (s, e) = (cum + u64::from(s), cum + u64::from(e));
            if e >= self.next_tsn {
                continue;
            }
            if blocks.last().is_some_and(|&(_, pe)| s <= pe + 1) {
                sorted = false;
            }
            blocks.push((s, e));
        }
        if !sorted {
            blocks.sort_unstable();
            let mut merged: Vec<(u64, u64)> = Vec::with_capacity(blocks.len());
            for &(s, e) in blocks.iter() {
                match merged.last_mut() {
                    Some(last) if s <= last.1 + 1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            blocks = merged;
        }
        blocks
    }

    /// RFC 9260 §6.2.1 D iii: marks acked the TSNs of `blocks` that the previous SACK's blocks
    /// did not cover, and keeps `blocks` for the next SACK. Returns the bytes newly acked and
    /// the highest TSN newly acked (starting from `highest`).
    fn ack_gap_blocks(
        &mut self,
        blocks: Vec<(u64, u64)>,
        mut highest: Option<u64>,
    ) -> (usize, Option<u64>) {
        let mut bytes_acked = 0usize;
        let prev = std::mem::take(&mut self.prev_gaps);
        for &(s, e) in &blocks {
            for (a, b) in subtract(s, e, &prev) {
                for t in a..=b {
                    let i = (t - self.cum - 1) as usize;
                    let c = &mut self.flight[i];
                    match c.state {
                        State::InFlight => {
                            self.flight_bytes -= c.len();
                            bytes_acked += c.len();
                        }
                        State::Lost => {
                            self.lost.remove(&t);
                            bytes_acked += c.len();
                        }
                        State::Acked | State::Abandoned => continue,
                    }
                    c.state = State::Acked;
                    highest = Some(highest.map_or(t, |h: u64| h.max(t)));
                }
            }
        }
        self.prev_gaps = blocks;
        self.scratch = prev;
        (bytes_acked, highest)
    }

    /// RFC 9260 §7.2.4: one miss indication for each chunk in flight in a hole below the
    /// highest newly acked TSN `htna`; the third marks it for fast retransmission. True when
    /// any chunk was so marked.
    fn count_miss_indications(&mut self, htna: u64) -> bool {
        let mut marked = false;
        let mut hole_start = self.cum + 1;
        let mut holes = std::mem::take(&mut self.scratch);
        holes.clear();
        for &(s, e) in &self.prev_gaps {
            if s > htna {
                break;
            }
            if s > hole_start {
                holes.push((hole_start, s - 1));
            }
            hole_start = e + 1;
        }
        for &(a, b) in &holes {
            for t in a..=b.min(htna) {
                let i = (t - self.cum - 1) as usize;
                let c = &mut self.flight[i];
                if c.state != State::InFlight || c.fast_retransmitted {
                    continue;
                }
                c.miss += 1;
                if c.miss >= 3 {
                    c.fast_retransmitted = true;
                    c.state = State::Lost;
                    self.flight_bytes -= c.len();
                    self.lost.insert(t);
                    self.stats.fast_retransmits += 1;
                    marked = true;
                    if self.rtt_probe.is_some_and(|(p, _)| p == t) {
                        self.rtt_probe = None;
                    }
                }
            }
        }
        self.scratch = holes;
        marked
    }

    /// RFC 9260 §7.2.4 steps 2–3 / §7.2.3: enters fast recovery (once per window) when chunks
    /// were marked for fast retransmission, and leaves it once its exit point is acked.
    fn update_fast_recovery(&mut self, fast_retransmit: bool) {
        if fast_retransmit {
            // §7.2.4 step 2 / §7.2.3: enter fast recovery once per window.
            if self.fast_recovery_exit.is_none() {
                self.ssthresh = (self.cwnd / 2).max(4 * self.p.mtu);
                self.cwnd = self.ssthresh;
                self.partial_bytes_acked = 0;
                self.fast_recovery_exit = Some(self.next_tsn - 1);
            }
            self.fast_rtx_burst = true;
        }
        // §7.2.4: leave fast recovery once the exit point is acked.
        if self.fast_recovery_exit.is_some_and(|x| self.cum >= x) {
            self.fast_recovery_exit = None;
        }
    }

    /// RFC 9260 §7.2.1 / §7.2.2: slow start and congestion avoidance. cwnd grows on cumulative
    /// progress, outside fast recovery, when the window was in use.
    fn grow_cwnd(&mut self, advanced: bool, cwnd_full: bool, bytes_acked: usize) {
        if advanced && self.fast_recovery_exit.is_none() && cwnd_full {
            if self.cwnd <= self.ssthresh {
                self.cwnd += bytes_acked.min(self.p.mtu);
            } else {
                self.partial_bytes_acked += bytes_acked;
                if self.partial_bytes_acked >= self.cwnd {
                    self.partial_bytes_acked -= self.cwnd;
                    self.cwnd += self.p.mtu;
                }
            }
        }
        if self.flight_bytes == 0 && self.lost.is_empty() {
            self.partial_bytes_acked = 0;
        }
    }

    /// Anything not yet cumulatively acknowledged (T3 runs while so, §6.3.2).
    fn has_outstanding(&self) -> bool {
        !self.flight.is_empty()
    }

    /// RFC 9260 §6.3.3: T3-rtx expired.
    pub(super) fn on_t3_expiry(&mut self, now: Instant) {
        self.stats.t3_expirations += 1;
        // E1.
        self.ssthresh = (self.cwnd / 2).max(4 * self.p.mtu);
        self.cwnd = self.p.mtu;
        self.partial_bytes_acked = 0;
        self.fast_recovery_exit = None;
        // E2.
        self.rto.back_off();
        self.rtt_probe = None;
        // E3: everything outstanding is to be retransmitted.
        let mut marked = false;
        for (i, c) in self.flight.iter_mut().enumerate() {
            if c.state == State::InFlight {
                c.state = State::Lost;
                self.flight_bytes -= c.len();
                self.lost.insert(self.cum + 1 + i as u64);
                marked = true;
            }
        }
        if !marked && self.lost.is_empty() {
            // DEVIATION(RFC 9260 §6.2.1 renege): nothing was in flight but data sits acked only
            // by gap blocks; the peer may have reneged, so the first such chunk goes again.
            if let Some(c) = self.flight.front_mut()
                && c.state == State::Acked
            {
                c.state = State::Lost;
                self.lost.insert(self.cum + 1);
                self.prev_gaps.clear();
            }
        }
        // Expired partially reliable data is abandoned now rather than retransmitted.
        let expired: Vec<u64> = self
            .lost
            .iter()
            .copied()
            .filter(|&t| {
                let c = &self.flight[(t - self.cum - 1) as usize];
                c.expires.is_some_and(|e| now >= e)
                    || c.max_retransmits.is_some_and(|m| c.transmissions > m)
            })
            .collect();
        for t in expired {
            self.abandon(t);
        }
        self.update_adv_peer_ack();
        self.t3 = if self.has_outstanding() {
            Some(now + self.rto.rto())
        } else {
            None
        };
    }

    /// RFC 3758 §3.5 A1–A3: abandons the message that TSN `t` belongs to: all its fragments in
    /// flight, and what of it was not yet cut.
    fn abandon(&mut self, t: u64) {
        let i = (t - self.cum - 1) as usize;
        if self.flight[i].state == State::Abandoned {
            return;
        }
        let (msg, first, stream) = {
            let c = &self.flight[i];
            (c.msg, c.msg_first.max(self.cum + 1), c.stream)
        };
        if !self.abandon_sent_fragments(msg, first) {
            self.abandon_unsent_rest(msg, first, stream);
        }
        self.stats.abandoned_messages += 1;
        self.update_adv_peer_ack();
    }

    /// RFC 3758 §3.5: marks abandoned the fragments of message `msg` sent from TSN `first` on,
    /// taking them out of flight. True when its last fragment was among them.
    fn abandon_sent_fragments(&mut self, msg: u64, first: u64) -> bool {
        let mut saw_end = false;
        let mut k = (first - self.cum - 1) as usize;
        while k < self.flight.len() && !saw_end {
            let c = &mut self.flight[k];
            if c.msg == msg {
                saw_end = c.flags & flags::END != 0;
                match c.state {
                    State::InFlight => self.flight_bytes -= c.len(),
                    State::Lost => {
                        self.lost.remove(&(self.cum + 1 + k as u64));
                    }
                    State::Acked | State::Abandoned => {}
                }
                c.state = State::Abandoned;
            }
            k += 1;
        }
        saw_end
    }

    /// RFC 3758 §3.5: the rest of message `msg` was never cut: it is dropped from the queue, and
    /// a TSN that is never sent stands in for its last fragment.
    fn abandon_unsent_rest(&mut self, msg: u64, first: u64, stream: u16) {
        // The stand-in makes a FORWARD TSN go out, so that the receiver learns to skip the
        // message even if every fragment that was sent arrived (otherwise the peer's stream
        // would wait for the missing end forever).
        let (mut mid, mut ppid, mut f, mut fsn) = (0, 0, flags::END, 0);
        if let Some(c) = self.flight.iter().rev().find(|c| c.msg == msg) {
            mid = c.mid;
            ppid = c.ppid;
            f |= c.flags & flags::UNORDERED;
            fsn = c.fsn + 1;
        }
        let max_retransmits = self.drop_unsent_rest(stream, msg);
        self.next_tsn += 1;
        self.flight.push_back(Sent {
            stream,
            mid,
            fsn,
            ppid,
            flags: f,
            slot: NO_SLOT,
            len: 0,
            offset: 0,
            msg,
            msg_first: first,
            state: State::Abandoned,
            transmissions: 0,
            miss: 0,
            fast_retransmitted: false,
            max_retransmits,
            expires: None,
        });
    }

    /// RFC 3758 §3.5: drops what is left of message `msg` when it is at the front of `stream`'s
    /// queue, and takes the stream off the scheduler when nothing else is queued. Returns the
    /// message's retransmission limit.
    fn drop_unsent_rest(&mut self, stream: u16, msg: u64) -> Option<u16> {
        let s = self
            .streams
            .get_mut(&stream)
            .filter(|s| s.queue.front().is_some_and(|m| m.id == msg))?;
        let m = s.queue.pop_front().expect("invariant: front exists");
        self.payloads.release(m.slot);
        let rest = m.data.len() - m.offset;
        s.buffered -= rest;
        self.queued_bytes -= rest;
        let empty = s.queue.is_empty();
        if self.current == Some(stream) {
            self.current = None;
            if self.active.front() == Some(&stream) {
                self.turn_started = false;
            }
            if let Some(p) = self.active.iter().position(|&x| x == stream) {
                self.active.remove(p);
            }
            if empty {
                s.active = false;
            } else {
                self.active.push_back(stream);
            }
        } else if empty {
            self.deactivate(stream);
        }
        m.opts.max_retransmits
    }

    /// RFC 3758 §3.5 C1–C2: moves the advanced peer ack point over abandoned chunks.
    fn update_adv_peer_ack(&mut self) {
        if self.adv_peer_ack < self.cum {
            self.adv_peer_ack = self.cum;
        }
        let mut i = (self.adv_peer_ack - self.cum) as usize;
        while let Some(c) = self.flight.get(i) {
            if c.state != State::Abandoned {
                break;
            }
            self.adv_peer_ack += 1;
            i += 1;
        }
        if self.adv_peer_ack > self.cum {
            self.forward_tsn_due = true;
        }
    }

    /// The (I-)FORWARD-TSN to send, when the peer ack point is behind the advanced one: the new
    /// cumulative TSN and, per stream, the last skipped SSN / MID.
    pub(super) fn forward_tsn(&self) -> Option<(u32, Vec<Skipped>)> {
        if self.adv_peer_ack <= self.cum {
            return None;
        }
        let n = (self.adv_peer_ack - self.cum) as usize;
        let mut last: BTreeMap<(u16, bool), u32> = BTreeMap::new();
        for c in self.flight.iter().take(n) {
            let unordered = c.flags & flags::UNORDERED != 0;
            if unordered && !self.p.i_data {
                // RFC 3758 §3.2: unordered DATA needs no stream entry.
                continue;
            }
            last.insert((c.stream, unordered), c.mid);
        }
        Some((
            self.adv_peer_ack as u32,
            last.into_iter()
                .map(|((stream, unordered), mid)| Skipped {
                    stream,
                    unordered,
                    mid,
                })
                .collect(),
        ))
    }

    /// §7.2.1 cwnd validation: after an idle RTO, the window decays.
    pub(super) fn on_idle_check(&mut self, now: Instant) {
        if self.flight_bytes == 0
            && self
                .last_sent
                .is_some_and(|l| now.saturating_duration_since(l) > self.rto.rto())
        {
            self.cwnd = (self.cwnd / 2).max(4 * self.p.mtu).min(self.cwnd);
        }
    }
}

/// The parts of `[s, e]` not covered by the sorted, disjoint ranges of `prev`.
fn subtract(s: u64, e: u64, prev: &[(u64, u64)]) -> impl Iterator<Item = (u64, u64)> + '_ {
    let start = prev.partition_point(|r| r.1 < s);
    let mut cur = s;
    let mut it = prev[start..].iter();
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        for &(a, b) in it.by_ref() {
            if a > e {
                break;
            }
            if a > cur {
                let piece = (cur, a - 1);
                cur = b.saturating_add(1);
                return Some(piece);
            }
            cur = cur.max(b.saturating_add(1));
        }
        done = true;
        (cur <= e).then_some((cur, e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtract_ranges() {
        let prev = [(5, 7), (10, 12)];
        let v: Vec<_> = subtract(1, 15, &prev).collect();
        assert_eq!(v, [(1, 4), (8, 9), (13, 15)]);
        let v: Vec<_> = subtract(5, 7, &prev).collect();
        assert!(v.is_empty());
        let v: Vec<_> = subtract(6, 11, &prev).collect();
        assert_eq!(v, [(8, 9)]);
        let v: Vec<_> = subtract(20, 22, &prev).collect();
        assert_eq!(v, [(20, 22)]);
    }

    /// A restart over an association that had data in flight (found by a differential
    /// harness: a closed association with a flight, then a valid COOKIE ECHO): the queue moves,
    /// the flight does not, and a message cut in part starts again whole.
    #[test]
    fn adopting_a_queue_with_data_in_flight() {
        let now = crate::test_util::base();
        let p = params(false);
        let mut old = Sender::new(p, 1000, 1 << 20);
        old.cwnd = 1 << 20;
        old.enqueue(0, 53, Bytes::from(vec![1; 1000]), SendOptions::default())
            .unwrap();
        old.enqueue(1, 53, Bytes::from(vec![2; 5000]), SendOptions::default())
            .unwrap();
        let mut out = bytes::BytesMut::new();
        // The first message whole and the first fragment of the second go out.
        assert!(old.write_data(now, &mut out, 1200));
        out.clear();
        assert!(old.write_data(now, &mut out, 1200));
        assert!(!old.flight.is_empty());
        assert!(old.queued_bytes < 5000);
        let mut new = Sender::new(p, 7000, 1 << 20);
        new.cwnd = 1 << 20;
        new.adopt_queue(old);
        assert!(new.flight.is_empty());
        assert_eq!(new.queued_bytes, 5000, "the cut message is whole again");
        assert_eq!(new.stream_ref(1).map(|s| s.buffered), Some(5000));
        // Its first chunk on the new association begins the message (B flag).
        out.clear();
        assert!(new.write_data(now, &mut out, 1200));
        assert_eq!(out[1] & 0x02, 0x02, "B bit: the message starts again");
    }

    /// The parameters the sender tests use (1200-byte MTU, RTO 1 s within 0.4–60 s).
    fn params(i_data: bool) -> SendParams {
        SendParams {
            mtu: 1200,
            rto_initial: Duration::from_secs(1),
            rto_min: Duration::from_millis(400),
            rto_max: Duration::from_secs(60),
            max_timer_backoff: None,
            max_buffer_bytes: 1 << 20,
            i_data,
        }
    }

    fn sender_with_flight(n: usize) -> (Sender, Instant) {
        let now = crate::test_util::base();
        let mut s = Sender::new(params(true), 1000, 1 << 20);
        s.cwnd = 1 << 20;
        for i in 0..n {
            s.enqueue(
                0,
                53,
                Bytes::from(vec![i as u8; 1000]),
                SendOptions::default(),
            )
            .unwrap();
        }
        let mut out = bytes::BytesMut::new();
        while s.write_data(now, &mut out, 1024) {}
        assert_eq!(s.flight.len(), n);
        (s, now)
    }

    /// Chunks carry their bytes by message slot: with messages of two streams interleaved
    /// (I-DATA), a fast retransmission writes exactly what the first transmission wrote, and
    /// every slot is freed once the last chunk of its message is acked.
    #[test]
    fn payload_slots_follow_the_flight() {
        let now = crate::test_util::base();
        let mut s = Sender::new(params(true), 1000, 1 << 20);
        s.cwnd = 1 << 20;
        for (stream, b) in [(0u16, 1u8), (1, 2), (0, 3)] {
            let data: Vec<u8> = (0..5000u32).map(|i| b.wrapping_add(i as u8)).collect();
            s.enqueue(stream, 53, Bytes::from(data), SendOptions::default())
                .unwrap();
        }
        let mut sent = Vec::new();
        loop {
            let mut out = bytes::BytesMut::new();
            if !s.write_data(now, &mut out, 1024) {
                break;
            }
            sent.push(out);
        }
        assert_eq!(sent.len(), 15);
        assert_eq!(s.payloads.in_use(), 3);
        // TSN 1001 reported missing by three SACKs: fast retransmit, the same bytes again.
        for end in [2u16, 3, 4] {
            s.on_sack(now, 1000, 1 << 20, [(2u16, end + 1)].into_iter());
        }
        let mut again = bytes::BytesMut::new();
        assert!(s.write_data(now, &mut again, 1200));
        assert_eq!(&again[..], &sent[1][..]);
        s.on_sack(now, 1000 + 14, 1 << 20, std::iter::empty());
        assert_eq!(s.flight.len(), 0);
        assert_eq!(s.payloads.in_use(), 0);
    }

    /// RFC 9260 §6.2.1 gap blocks are offsets from the cumulative ack; a peer may send them
    /// unsorted or overlapping. Each TSN is acked once, whatever the shape.
    #[test]
    fn overlapping_and_unsorted_gap_blocks_ack_each_tsn_once() {
        let (mut s, now) = sender_with_flight(20);
        let cum = 999 + 2; // TSNs 1000 and 1001 acked cumulatively
        let gaps = [(10u16, 15u16), (2, 6), (3, 12), (10, 15), (0, 3), (7, 4)];
        s.on_sack(now, cum, 1 << 20, gaps.into_iter());
        // Acked: 1000-1001 (cum), then offsets 2..=15 → TSNs 1003..=1016. Outstanding: 1002 and
        // 1017..=1019, four chunks of 1000 bytes.
        assert_eq!(s.flight_bytes(), 4000);
        const B: u64 = 1 << 32; // TSNs are unwrapped above 2^32
        assert_eq!(s.prev_gaps, vec![(B + 1003, B + 1016)]);
        // The same SACK again changes nothing.
        s.on_sack(now, cum, 1 << 20, gaps.into_iter());
        assert_eq!(s.flight_bytes(), 4000);
    }

    /// §7.2.4: three SACKs reporting a hole (each newly acking above it) mark it for fast
    /// retransmission, once.
    #[test]
    fn three_miss_indications_trigger_one_fast_retransmit() {
        let (mut s, now) = sender_with_flight(10);
        let cum = 1000; // TSN 1000 acked, 1001 missing
        for (i, end) in [1u16, 2, 3].into_iter().enumerate() {
            s.on_sack(now, cum, 1 << 20, [(2u16, end + 1)].into_iter());
            assert_eq!(
                s.stats.fast_retransmits,
                u64::from(i == 2),
                "after SACK {}",
                i + 1
            );
        }
        s.on_sack(now, cum, 1 << 20, [(2u16, 8)].into_iter());
        assert_eq!(
            s.stats.fast_retransmits, 1,
            "a chunk is fast-retransmitted once"
        );
        assert!(s.lost.contains(&((1 << 32) + 1001)));
    }

    #[test]
    fn rto_follows_rfc_9260_6_3_1() {
        let mut r = Rto::new(
            Duration::from_secs(1),
            Duration::from_millis(10),
            Duration::from_secs(60),
        );
        assert_eq!(r.rto(), Duration::from_secs(1));
        r.sample(Duration::from_millis(100));
        // C2: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4·RTTVAR = 300 ms.
        assert_eq!(r.rto(), Duration::from_millis(300));
        r.sample(Duration::from_millis(100));
        // RTTVAR = 3/4·50 + 1/4·0 = 37.5; SRTT = 100; RTO = 250 ms.
        assert_eq!(r.rto(), Duration::from_micros(250_000));
        r.back_off();
        assert_eq!(r.rto(), Duration::from_millis(500));
        // A steady path: RTTVAR decays, but the variance term stays at least RTO.Min / 2.
        let mut r = Rto::new(
            Duration::from_secs(1),
            Duration::from_millis(400),
            Duration::from_secs(60),
        );
        for _ in 0..100 {
            r.sample(Duration::from_millis(300));
        }
        assert_eq!(r.rto(), Duration::from_millis(500));
    }

    /// The back-off cap (SctpConfig::max_timer_backoff): doubling stops at 3 s, not RTO.Max;
    /// a measured RTO above the cap is kept as it is; a new measurement starts over.
    #[test]
    fn back_off_stops_at_the_cap_but_never_below_the_measured_rto() {
        let cap = Some(Duration::from_secs(3));
        let mut r = Rto::new(
            Duration::from_millis(500),
            Duration::from_millis(400),
            Duration::from_secs(60),
        )
        .with_backoff_cap(cap);
        let mut seen = Vec::new();
        for _ in 0..8 {
            r.back_off();
            seen.push(r.rto().as_millis());
        }
        assert_eq!(seen, [1000, 2000, 3000, 3000, 3000, 3000, 3000, 3000]);
        // Without the cap: RFC 9260 E2 up to RTO.Max.
        let mut plain = Rto::new(
            Duration::from_millis(500),
            Duration::from_millis(400),
            Duration::from_secs(60),
        );
        for _ in 0..8 {
            plain.back_off();
        }
        assert_eq!(plain.rto(), Duration::from_secs(60));
        // A slow path: the measured RTO is above the cap and stays the floor.
        r.sample(Duration::from_secs(4));
        let measured = r.rto();
        assert!(measured > Duration::from_secs(3), "{measured:?}");
        r.back_off();
        assert_eq!(r.rto(), measured);
        // A fast path again: back to doubling from the new measurement, capped.
        for _ in 0..40 {
            r.sample(Duration::from_millis(50));
        }
        let base = r.rto();
        r.back_off();
        assert_eq!(r.rto(), base * 2);
    }
}

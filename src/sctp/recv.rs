//! The receiving half of an association: TSN tracking with bounded out-of-order state (RFC 9260
//! §6.2), SACK generation (§6.2, §6.7), reassembly (§6.9) with ordered and unordered delivery
//! (§6.6), DATA and I-DATA (RFC 8260), FORWARD TSN / I-FORWARD-TSN (RFC 3758 §3.6, RFC 8260 §2.3),
//! and incoming stream resets (RFC 6525 §5.2.2).
//!
//! TSNs are unwrapped to `u64` against the cumulative ack point, so ordering never needs serial
//! arithmetic past the wire boundary. Memory is bounded: at most `max_ranges` out-of-order ranges,
//! TSNs at most 65535 ahead of the cumulative point, and buffered bytes (partial messages,
//! complete messages waiting for their turn, and delivered messages not yet polled) capped by the
//! receive window, with a hard ceiling of twice the window for the progress-guaranteeing chunk.

use super::chunk::{Data, Skipped};
use bytes::{Bytes, BytesMut};
use std::collections::{BTreeMap, VecDeque};

/// A message delivered to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SctpMessage {
    /// Stream identifier.
    pub stream: u16,
    /// Payload protocol identifier.
    pub ppid: u32,
    /// The user data.
    pub data: Bytes,
    /// It was sent unordered.
    pub unordered: bool,
}

/// Why a received DATA chunk was not accepted (counted in the stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refused {
    /// Already received (acked and reported as a duplicate).
    Duplicate,
    /// Too far ahead of the cumulative ack point, or too many out-of-order ranges.
    OutOfWindow,
    /// The receive buffer is full.
    BufferFull,
}

/// What the receive budget charges for each fragment held beyond its payload: a peer sending
/// 1-byte fragments must not hold megabytes of bookkeeping against a 1 MiB window.
const FRAGMENT_OVERHEAD: usize = 64;

/// What a received packet's payloads may be kept in: `bytes` holds the packet when its payloads
/// may be kept as slices (a DTLS record opened in place), `None` when it is only lent; the
/// packet is `packet` bytes long either way (reassembly sizes its buffer from it).
#[derive(Debug, Clone, Copy)]
pub(super) struct Owner<'a> {
    pub(super) bytes: Option<&'a Bytes>,
    pub(super) packet: usize,
}

/// Room for the rest of a message whose fragment of `len` bytes came in a packet of `packet`,
/// guessed: a fragment that fills most of its packet is a large message cut to the packet size,
/// so there is room for 16 more packets (a 16 KiB message then assembles with no regrowth and no
/// copy); a small one (a leftover-room cut, or a last fragment) gets 4 times itself. Never less
/// than doubling (the caller's `max`). The room stays within 32 times the payload of the
/// fragment that asked for it, and the payload held is bounded by the receive window.
fn room_for(len: usize, packet: usize) -> usize {
    if len * 2 >= packet {
        packet * 16
    } else {
        (len * 4).max(1024)
    }
}

/// One fragment awaiting reassembly.
#[derive(Debug)]
struct Fragment {
    begin: bool,
    end: bool,
    ppid: u32,
    data: Bytes,
}

/// Fragments of one message keyed by position (DATA: unwrapped TSN; I-DATA: FSN).
///
/// Fragments that continue the message in order (the usual case) are appended straight into
/// one assembly buffer (`prefix`): no per-fragment bookkeeping and no second copy at the end.
/// Fragments that arrive ahead of a gap wait in `pending` and are absorbed when the gap fills.
/// Every step is O(log n) whatever the arrival order, so a peer sending a message in many tiny
/// fragments in reverse order cannot make reassembly quadratic.
#[derive(Debug, Default)]
struct Partial {
    first: Option<u64>,
    last: Option<u64>,
    /// The next position to append to `prefix` (meaningful once `first` is known).
    next: u64,
    ppid: u32,
    prefix: BytesMut,
    pending: BTreeMap<u64, Fragment>,
    /// Payload bytes held (prefix and pending).
    bytes: usize,
    /// Fragments taken so far (a bound against absurdly small fragments).
    count: usize,
    complete: bool,
}

/// A fragment as parsed, borrowing its payload from the packet.
#[derive(Debug, Clone, Copy)]
struct FragRef<'a> {
    begin: bool,
    end: bool,
    ppid: u32,
    payload: &'a [u8],
}

/// What inserting a fragment did.
enum Inserted {
    /// Stored; the payload bytes of a fragment it replaced, or of this one when its position
    /// was already held (so it was not stored again), if any.
    Stored(Option<usize>),
    /// A second, different first or last fragment: the peer is confused or hostile.
    Conflict,
}

impl Partial {
    fn is_complete(&self) -> bool {
        match (self.first, self.last) {
            (Some(f), Some(l)) => l >= f && self.next > l,
            _ => false,
        }
    }

    /// Appends the next fragment, `data`, which came in a packet of `packet` bytes.
    fn append(&mut self, data: &[u8], packet: usize) {
        if self.prefix.capacity() - self.prefix.len() < data.len() {
            self.prefix
                .reserve(room_for(data.len(), packet).max(self.prefix.len()));
        }
        self.prefix.extend_from_slice(data);
        self.next += 1;
    }

    /// Takes a fragment: `payload` is appended in place when it continues the message; `own`
    /// makes an owned copy only when it has to wait for a gap.
    fn insert(
        &mut self,
        pos: u64,
        frag: FragRef<'_>,
        packet: usize,
        own: impl FnOnce() -> Bytes,
    ) -> Inserted {
        if frag.end {
            match self.last {
                Some(l) if l != pos => return Inserted::Conflict,
                _ => self.last = Some(pos),
            }
        }
        if frag.begin {
            match self.first {
                Some(f) if f != pos => return Inserted::Conflict,
                Some(_) => {}
                None => {
                    self.first = Some(pos);
                    self.next = pos;
                    self.ppid = frag.ppid;
                }
            }
        }
        let len = frag.payload.len();
        self.count += 1;
        if self.first.is_some() && pos < self.next {
            // Already appended (a repeated I-DATA FSN under a new TSN): keep the first copy.
            return Inserted::Stored(Some(len));
        }
        self.bytes += len;
        if self.first.is_some() && pos == self.next {
            self.append(frag.payload, packet);
            // Absorb what waited for this gap.
            while let Some(f) = self.pending.remove(&self.next) {
                let packet = f.data.len();
                self.append(&f.data, packet);
            }
            return Inserted::Stored(None);
        }
        let stored = Fragment {
            begin: frag.begin,
            end: frag.end,
            ppid: frag.ppid,
            data: own(),
        };
        let old = self.pending.insert(pos, stored).map(|o| o.data.len());
        if let Some(o) = old {
            self.bytes -= o;
        }
        Inserted::Stored(old)
    }

    /// The assembled message (only once complete), and what is left of the assembly buffer:
    /// its spare room, which can take the allocation back once the message is dropped.
    fn assemble(mut self, stream: u16, unordered: bool) -> Option<(SctpMessage, BytesMut)> {
        if !self.is_complete() {
            return None;
        }
        let data = self.prefix.split().freeze();
        Some((
            SctpMessage {
                stream,
                ppid: self.ppid,
                data,
                unordered,
            },
            self.prefix,
        ))
    }
}

/// Per incoming stream: the next ordered sequence number (SSN for DATA, MID for I-DATA).
#[derive(Debug, Default, Clone, Copy)]
struct InStream {
    next_ordered: u32,
}

/// Receive-side limits.
#[derive(Debug, Clone, Copy)]
pub(super) struct RecvLimits {
    pub(super) window_bytes: usize,
    pub(super) max_ranges: usize,
    pub(super) max_message_bytes: usize,
}

/// What a SACK would carry now.
#[derive(Debug)]
pub(super) struct SackInfo<'a> {
    pub(super) cum_tsn: u32,
    pub(super) a_rwnd: u32,
    pub(super) gaps: &'a [(u64, u64)],
    pub(super) base: u64,
    pub(super) dups: &'a [u32],
}

#[derive(Debug)]
pub(super) struct Receiver {
    /// The cumulative TSN ack point, unwrapped.
    cum: u64,
    /// Sorted, disjoint, non-adjacent ranges of received TSNs above `cum + 1`.
    ranges: Vec<(u64, u64)>,
    dups: Vec<u32>,
    i_data: bool,
    limits: RecvLimits,
    streams: BTreeMap<u16, InStream>,
    /// Ordered DATA: (stream, SSN); I-DATA: (stream, unordered, MID).
    partials: BTreeMap<(u16, bool, u32), Partial>,
    /// Unordered DATA fragments, by TSN (their messages are runs of consecutive TSNs).
    unordered: BTreeMap<u64, (u16, Fragment)>,
    buffered: usize,
    /// Fragments held (partial messages and unordered DATA runs), each charged
    /// `FRAGMENT_OVERHEAD` against the window.
    fragments: usize,
    ready: VecDeque<SctpMessage>,
    /// What is left of the last assembled message's buffer: the next message assembles in
    /// the same allocation when the application has dropped that one.
    spare: BytesMut,
    ready_bytes: usize,
    external_bytes: usize,
    /// Messages discarded because they exceeded the size limit.
    pub(super) oversize_dropped: u64,
    /// Reassembly inconsistencies (a peer sending overlapping fragments); the message is dropped.
    pub(super) malformed_dropped: u64,
}

/// The TSN space unwraps from here, so that the first cumulative point minus one never
/// underflows.
const BASE: u64 = 1 << 32;

pub(super) fn unwrap_tsn(reference: u64, tsn: u32) -> u64 {
    let diff = i64::from(tsn.wrapping_sub(reference as u32) as i32);
    (reference as i64 + diff) as u64
}

/// RFC 1982 serial "a ≤ b" on the sequence-number width in use.
fn seq_le(a: u32, b: u32, bits16: bool) -> bool {
    if bits16 {
        (b as u16).wrapping_sub(a as u16) < 0x8000
    } else {
        b.wrapping_sub(a) < 0x8000_0000
    }
}

impl Receiver {
    /// Releases idle capacity (see `Association::trim`), the last assembled message's buffer
    /// included when no message is being assembled.
    pub(super) fn trim(&mut self) {
        use crate::vecmap::{reset_if_empty, shrink_if_empty};
        if self.partials.is_empty() {
            self.spare = BytesMut::new();
        }
        reset_if_empty!(self.partials, self.unordered);
        shrink_if_empty!(self.ranges, self.dups, self.ready);
    }

    pub(super) fn new(peer_initial_tsn: u32, i_data: bool, limits: RecvLimits) -> Self {
        Receiver {
            cum: BASE + u64::from(peer_initial_tsn) - 1,
            ranges: Vec::new(),
            dups: Vec::new(),
            i_data,
            limits,
            streams: BTreeMap::new(),
            partials: BTreeMap::new(),
            unordered: BTreeMap::new(),
            buffered: 0,
            fragments: 0,
            ready: VecDeque::new(),
            spare: BytesMut::new(),
            ready_bytes: 0,
            external_bytes: 0,
            oversize_dropped: 0,
            malformed_dropped: 0,
        }
    }

    pub(super) fn cum_tsn(&self) -> u32 {
        self.cum as u32
    }

    pub(super) fn has_gaps(&self) -> bool {
        !self.ranges.is_empty()
    }

    /// Bytes held: reassembly, ordered waiting, delivered but not yet polled (here or, moved
    /// ahead of a stream event, in the association's event queue).
    pub(super) fn held_bytes(&self) -> usize {
        self.buffered + self.fragments * FRAGMENT_OVERHEAD + self.ready_bytes + self.external_bytes
    }

    /// SctpMessage bytes moved to the association's event queue, still unread.
    pub(super) fn hold_external(&mut self, n: usize) {
        self.external_bytes += n;
    }

    /// The application read `n` bytes of such messages.
    pub(super) fn release_external(&mut self, n: usize) {
        self.external_bytes = self.external_bytes.saturating_sub(n);
    }

    pub(super) fn sack(&self) -> SackInfo<'_> {
        SackInfo {
            cum_tsn: self.cum as u32,
            a_rwnd: self.limits.window_bytes.saturating_sub(self.held_bytes()) as u32,
            gaps: &self.ranges,
            base: self.cum,
            dups: &self.dups,
        }
    }

    pub(super) fn clear_dups(&mut self) {
        self.dups.clear();
    }

    pub(super) fn poll_message(&mut self) -> Option<SctpMessage> {
        let m = self.ready.pop_front()?;
        self.ready_bytes -= m.data.len();
        Some(m)
    }

    fn is_received(&self, t: u64) -> bool {
        if t <= self.cum {
            return true;
        }
        let i = self.ranges.partition_point(|r| r.1 < t);
        self.ranges.get(i).is_some_and(|r| r.0 <= t)
    }

    /// RFC 9260 §6.2: takes one DATA / I-DATA chunk. On `Ok`, the TSN is recorded (and the chunk
    /// may have completed messages). `inbound_streams` bounds the stream id (§6.5: a chunk on an
    /// invalid stream is acked but its data dropped; the caller reports the error).
    pub(super) fn on_data(
        &mut self,
        d: &Data<'_>,
        valid_stream: bool,
        owner: Owner<'_>,
    ) -> Result<(), Refused> {
        let t = unwrap_tsn(self.cum, d.tsn);
        if self.is_received(t) {
            // §6.2: duplicates are reported in the next SACK (bounded list).
            if self.dups.len() < 16 {
                self.dups.push(d.tsn);
            }
            return Err(Refused::Duplicate);
        }
        // Bounded state: gap offsets are 16 bits in a SACK.
        if t - self.cum > 0xFFFF {
            return Err(Refused::OutOfWindow);
        }
        // §6.2: above the window only the next in-sequence chunk is taken (it always lets the
        // association progress); a hard ceiling of twice the window bounds even that.
        let len = d.payload.len();
        let held = self.held_bytes() + len;
        if held > self.limits.window_bytes
            && (t != self.cum + 1 || held > 2 * self.limits.window_bytes)
        {
            return Err(Refused::BufferFull);
        }
        if !self.insert_tsn(t) {
            return Err(Refused::OutOfWindow);
        }
        if valid_stream {
            self.reassemble(t, d, owner);
        }
        Ok(())
    }

    /// Records TSN `t` (not yet received). False when it would need one range too many.
    fn insert_tsn(&mut self, t: u64) -> bool {
        if t == self.cum + 1 {
            self.cum = t;
            if let Some(&(s, e)) = self.ranges.first()
                && s == t + 1
            {
                self.cum = e;
                self.ranges.remove(0);
            }
            return true;
        }
        let i = self.ranges.partition_point(|r| r.1 < t);
        let joins_prev = i > 0 && self.ranges[i - 1].1 + 1 == t;
        let joins_next = i < self.ranges.len() && self.ranges[i].0 == t + 1;
        match (joins_prev, joins_next) {
            (true, true) => {
                self.ranges[i - 1].1 = self.ranges[i].1;
                self.ranges.remove(i);
            }
            (true, false) => self.ranges[i - 1].1 = t,
            (false, true) => self.ranges[i].0 = t,
            (false, false) => {
                if self.ranges.len() >= self.limits.max_ranges {
                    return false;
                }
                self.ranges.insert(i, (t, t));
            }
        }
        true
    }

    /// `owner`, when given, is the buffer `d` was parsed from: payloads are sliced out of it
    /// instead of copied.
    fn reassemble(&mut self, t: u64, d: &Data<'_>, owner: Owner<'_>) {
        // An owned payload, made only when one must be kept. A slice pins the whole packet:
        // only worth it (and only safe against a peer that pads tiny chunks into big packets to
        // inflate our memory past the window) when the payload is most of the packet.
        let payload = d.payload;
        let own = || match owner.bytes {
            Some(b) if payload.len() * 2 >= owner.packet => b.slice_ref(payload),
            _ => Bytes::copy_from_slice(payload),
        };
        let unordered = d.is_unordered();
        // Fast path: a whole message in one chunk.
        if d.is_begin() && d.is_end() && self.deliver_whole(d, own) {
            return;
        }
        let len = payload.len();
        self.buffered += len;
        if unordered && !self.i_data {
            let stored = Fragment {
                begin: d.is_begin(),
                end: d.is_end(),
                ppid: d.ppid,
                data: own(),
            };
            self.unordered.insert(t, (d.stream, stored));
            self.fragments += 1;
            self.try_unordered_run(t);
            return;
        }
        if !unordered {
            let next = self.streams.entry(d.stream).or_default().next_ordered;
            if !seq_le(next, d.mid, !self.i_data) {
                // An SSN / MID already delivered or skipped: stale, drop the data.
                self.buffered -= len;
                return;
            }
        }
        let key = (d.stream, unordered, d.mid);
        if self.insert_fragment(t, d, key, owner, own) {
            self.check_partial(key);
        }
    }

    /// RFC 9260 §6.9 / §6.6: a message in one chunk is delivered at once when unordered or next
    /// in its stream's order (and not also being reassembled). False when it must wait.
    fn deliver_whole(&mut self, d: &Data<'_>, own: impl FnOnce() -> Bytes) -> bool {
        if d.is_unordered() {
            self.push_ready(SctpMessage {
                stream: d.stream,
                ppid: d.ppid,
                data: own(),
                unordered: true,
            });
            return true;
        }
        let next = self.streams.entry(d.stream).or_default().next_ordered;
        if d.mid == next && !self.partials.contains_key(&(d.stream, false, d.mid)) {
            self.advance_ordered(d.stream);
            self.push_ready(SctpMessage {
                stream: d.stream,
                ppid: d.ppid,
                data: own(),
                unordered: false,
            });
            self.deliver_ordered(d.stream);
            return true;
        }
        false
    }

    /// RFC 9260 §6.9 / RFC 8260 §2.1: stores one fragment in the partial message `key`, at its
    /// TSN (DATA) or FSN (I-DATA). A message with conflicting fragments is dropped whole
    /// (false); otherwise its size and fragment count are checked next (true).
    fn insert_fragment(
        &mut self,
        t: u64,
        d: &Data<'_>,
        key: (u16, bool, u32),
        owner: Owner<'_>,
        own: impl FnOnce() -> Bytes,
    ) -> bool {
        let len = d.payload.len();
        let frag = FragRef {
            begin: d.is_begin(),
            end: d.is_end(),
            ppid: d.ppid,
            payload: d.payload,
        };
        let pos = if self.i_data { u64::from(d.fsn) } else { t };
        let p = self.partials.entry(key).or_default();
        let packet = owner.packet;
        if p.prefix.capacity() == 0 {
            // A new message: it assembles in the last one's allocation when the application
            // has dropped that message (no fresh pages, warm in cache); else in a new one.
            let mut spare = std::mem::take(&mut self.spare);
            if spare.try_reclaim(room_for(len, packet)) {
                p.prefix = spare;
            }
        }
        let pending_before = p.pending.len();
        let inserted = p.insert(pos, frag, packet, own);
        let pending_after = p.pending.len();
        self.fragments = self.fragments + pending_after - pending_before;
        match inserted {
            Inserted::Stored(Some(not_kept)) => {
                // A repeated position (a confused or hostile peer): one copy is held.
                self.buffered -= not_kept;
            }
            Inserted::Stored(None) => {}
            Inserted::Conflict => {
                // Two different first (or last) fragments for one message: it cannot be
                // assembled truthfully. Drop it whole, count it, and let the stream move on.
                self.buffered -= len;
                self.malformed_dropped += 1;
                self.discard_message(key);
                return false;
            }
        }
        true
    }

    /// RFC 8831 §6.6 / RFC 9260 §6.9: after a fragment arrived, refuses the partial message
    /// `key` when it has too many fragments or too many bytes, and delivers it when complete.
    fn check_partial(&mut self, key: (u16, bool, u32)) {
        let (stream, unordered, _) = key;
        let max_fragments = self.max_fragments();
        let p = self
            .partials
            .get_mut(&key)
            .expect("invariant: just inserted");
        if p.count > max_fragments {
            // Far more, smaller fragments than any sender cuts: refuse the message whole.
            self.malformed_dropped += 1;
            self.discard_message(key);
            return;
        }
        if p.bytes > self.limits.max_message_bytes {
            // RFC 8831 §6.6 / RFC 8841: larger than the advertised max-message-size. Discard
            // the whole message (never surface part of it), keep the association.
            self.oversize_dropped += 1;
            self.discard_message(key);
            return;
        }
        if p.is_complete() {
            if unordered {
                let p = self
                    .partials
                    .remove(&key)
                    .expect("invariant: just inserted");
                self.finish(p, stream, true);
            } else {
                p.complete = true;
                self.deliver_ordered(stream);
            }
        }
    }

    /// Drops the partial message `key` whole; an ordered one's stream moves on past it.
    fn discard_message(&mut self, key: (u16, bool, u32)) {
        self.drop_partial(key);
        let (stream, unordered, mid) = key;
        if !unordered {
            self.skip_ordered_through(stream, mid);
        }
    }

    /// Removes a partial message, releasing what it held.
    fn drop_partial(&mut self, key: (u16, bool, u32)) {
        if let Some(p) = self.partials.remove(&key) {
            self.buffered -= p.bytes;
            self.fragments -= p.pending.len();
        }
    }

    /// The most fragments one message may arrive in: a 64-byte average, far below what any
    /// sender cuts at a path MTU.
    fn max_fragments(&self) -> usize {
        (self.limits.max_message_bytes / FRAGMENT_OVERHEAD).max(16)
    }

    fn finish(&mut self, p: Partial, stream: u16, unordered: bool) {
        let total = p.bytes;
        self.buffered -= total;
        self.fragments -= p.pending.len();
        match p.assemble(stream, unordered) {
            Some((m, rest)) => {
                self.spare = rest;
                self.push_ready(m);
            }
            None => self.malformed_dropped += 1,
        }
    }

    fn push_ready(&mut self, m: SctpMessage) {
        self.ready_bytes += m.data.len();
        self.ready.push_back(m);
    }

    fn advance_ordered(&mut self, stream: u16) {
        let s = self.streams.entry(stream).or_default();
        s.next_ordered = if self.i_data {
            s.next_ordered.wrapping_add(1)
        } else {
            u32::from((s.next_ordered as u16).wrapping_add(1))
        };
    }

    /// RFC 9260 §6.6: deliver the stream's complete messages in sequence.
    fn deliver_ordered(&mut self, stream: u16) {
        loop {
            let next = self.streams.entry(stream).or_default().next_ordered;
            let key = (stream, false, next);
            match self.partials.get(&key) {
                Some(p) if p.complete => {
                    let p = self.partials.remove(&key).expect("invariant: just found");
                    self.advance_ordered(stream);
                    self.finish(p, stream, false);
                }
                _ => return,
            }
        }
    }

    /// Unordered DATA: a message is a run of consecutive TSNs on one stream from a B to an E
    /// fragment. Only an E fragment or a gap filler can complete one, so in-order arrival walks
    /// each message once.
    fn try_unordered_run(&mut self, t: u64) {
        let (stream, end) = {
            let (s, f) = &self.unordered[&t];
            (*s, f.end)
        };
        let next_present = self
            .unordered
            .get(&(t + 1))
            .is_some_and(|(s, f)| *s == stream && !f.begin);
        if !end && !next_present {
            return;
        }
        // Walk back to the B fragment (bounded: a run longer than a message may be is refused).
        let cap = self.max_fragments() as u64;
        let mut first = t;
        loop {
            if t - first > cap {
                return;
            }
            let (_, f) = &self.unordered[&first];
            if f.begin {
                break;
            }
            match self.unordered.get(&(first - 1)) {
                Some((s, f)) if *s == stream && !f.end => first -= 1,
                _ => return,
            }
        }
        // Walk forward to the E fragment.
        let mut last = t;
        loop {
            if last - first > cap {
                return;
            }
            let (_, f) = &self.unordered[&last];
            if f.end {
                break;
            }
            match self.unordered.get(&(last + 1)) {
                Some((s, f)) if *s == stream && !f.begin => last += 1,
                _ => return,
            }
        }
        let mut p = Partial::default();
        for k in first..=last {
            let (_, f) = self
                .unordered
                .remove(&k)
                .expect("invariant: walked present");
            // A run has one B (first) and one E (last), in order: all of it is appended.
            let r = FragRef {
                begin: f.begin,
                end: f.end,
                ppid: f.ppid,
                payload: &f.data,
            };
            let _ = p.insert(k, r, f.data.len(), || f.data.clone());
            self.fragments -= 1;
        }
        if p.bytes > self.limits.max_message_bytes {
            self.buffered -= p.bytes;
            self.oversize_dropped += 1;
            return;
        }
        self.finish(p, stream, true);
    }

    fn skip_ordered_through(&mut self, stream: u16, mid: u32) {
        let bits16 = !self.i_data;
        let s = self.streams.entry(stream).or_default();
        if seq_le(s.next_ordered, mid, bits16) {
            s.next_ordered = mid;
            self.advance_ordered(stream);
        }
        // Drop what is now behind.
        let next = self.streams[&stream].next_ordered;
        let stale: Vec<_> = self
            .partials
            .range((stream, false, 0)..=(stream, false, u32::MAX))
            .filter(|(k, _)| !seq_le(next, k.2, bits16))
            .map(|(k, _)| *k)
            .collect();
        for k in stale {
            self.drop_partial(k);
        }
        self.deliver_ordered(stream);
    }

    /// RFC 3758 §3.6 / RFC 8260 §2.3: the peer abandoned everything through `new_cum`. Returns
    /// false when the new point is more than the TSN window away from ours: ignored whole (the
    /// caller counts it).
    pub(super) fn on_forward_tsn(
        &mut self,
        new_cum: u32,
        skipped: impl Iterator<Item = Skipped>,
    ) -> bool {
        let n = unwrap_tsn(self.cum, new_cum);
        // More than the TSN window away, behind (a stray) or ahead (no sender could have sent
        // that much): nothing in it applies.
        if n.abs_diff(self.cum) > 0xFFFF {
            return false;
        }
        // The stream skips apply even when the TSNs already arrived: the sender may have
        // abandoned a message whose sent fragments all got here but whose rest was never sent.
        if n > self.cum {
            self.advance_cum_to(n);
        }
        for s in skipped {
            if s.unordered {
                if self.i_data {
                    self.drop_partial((s.stream, true, s.mid));
                }
            } else {
                self.skip_ordered_through(s.stream, s.mid);
            }
        }
        true
    }

    fn advance_cum_to(&mut self, n: u64) {
        self.cum = n;
        self.ranges.retain(|r| r.1 > n);
        if let Some(r) = self.ranges.first_mut()
            && r.0 <= n + 1
        {
            self.cum = r.1;
            self.ranges.remove(0);
        }
        // Unordered DATA fragments at or below the new point can never complete.
        let keep = self.unordered.split_off(&(n + 1));
        for (_, (_, f)) in std::mem::replace(&mut self.unordered, keep) {
            self.buffered -= f.data.len();
            self.fragments -= 1;
        }
    }

    /// RFC 6525 §5.2.2: the peer reset these outgoing streams of its own (our incoming ones);
    /// sequence numbers start again at 0 and partial messages are discarded. `None`: all.
    pub(super) fn reset_streams(&mut self, streams: Option<&[u16]>) {
        let all: Vec<u16>;
        let list = match streams {
            Some(l) => l,
            None => {
                all = self.streams.keys().copied().collect();
                &all
            }
        };
        for &s in list {
            self.streams.insert(s, InStream::default());
            let stale: Vec<_> = self
                .partials
                .range((s, false, 0)..=(s, true, u32::MAX))
                .map(|(k, _)| *k)
                .collect();
            for k in stale {
                self.drop_partial(k);
            }
        }
    }

    /// Whether the cumulative point has reached `tsn` (RFC 6525 §5.2.2 deferred reset).
    pub(super) fn has_received_through(&self, tsn: u32) -> bool {
        unwrap_tsn(self.cum, tsn) <= self.cum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sctp::chunk::flags;

    /// A chunk lent from a packet of a typical size.
    const LENT: Owner<'static> = Owner {
        bytes: None,
        packet: 1200,
    };

    fn limits() -> RecvLimits {
        RecvLimits {
            window_bytes: 1 << 20,
            max_ranges: 128,
            max_message_bytes: 256 * 1024,
        }
    }

    fn idata(tsn: u32, mid: u32, fsn: u32, fl: u8, payload: &[u8]) -> Data<'_> {
        Data {
            flags: fl,
            tsn,
            stream: 1,
            ssn: 0,
            mid,
            ppid: if fl & flags::BEGIN != 0 { 53 } else { 0 },
            fsn: if fl & flags::BEGIN != 0 { 0 } else { fsn },
            payload,
        }
    }

    /// A message in 1-byte fragments sent in reverse order: bounded work (each insert O(log n)),
    /// refused once it has more fragments than any sender cuts, everything it held released,
    /// and the stream not stuck.
    #[test]
    fn tiny_reverse_fragments_are_bounded() {
        let mut r = Receiver::new(1000, true, limits());
        let n = 5000u32;
        // TSNs in order (so the cumulative point advances), FSNs in reverse.
        for k in 0..n {
            let fsn = n - 1 - k;
            let fl = if fsn == n - 1 {
                flags::END
            } else if fsn == 0 {
                flags::BEGIN
            } else {
                0
            };
            let _ = r.on_data(&idata(1000 + k, 0, fsn, fl, &[7]), true, LENT);
        }
        assert_eq!(r.malformed_dropped, 1);
        assert!(r.held_bytes() < 64 * 1024, "{}", r.held_bytes());
        // The next message on the stream is delivered.
        let _ = r.on_data(
            &idata(1000 + n, 1, 0, flags::BEGIN | flags::END, b"next"),
            true,
            LENT,
        );
        let m = r
            .poll_message()
            .expect("stream moved past the refused message");
        assert_eq!(&m.data[..], b"next");
    }

    /// Two different first fragments for one message: refused and counted, nothing surfaces.
    #[test]
    fn conflicting_first_fragments_drop_the_message() {
        let mut r = Receiver::new(1, false, limits());
        let data = |tsn: u32, fl: u8, p: &'static [u8]| Data {
            flags: fl,
            tsn,
            stream: 0,
            ssn: 0,
            mid: 0,
            ppid: 53,
            fsn: 0,
            payload: p,
        };
        r.on_data(&data(1, flags::BEGIN, b"aa"), true, LENT)
            .unwrap();
        r.on_data(&data(2, flags::BEGIN, b"bb"), true, LENT)
            .unwrap();
        r.on_data(&data(3, flags::END, b"cc"), true, LENT).unwrap();
        assert_eq!(r.malformed_dropped, 1);
        assert!(r.poll_message().is_none());
        assert_eq!(r.held_bytes(), 0);
    }

    /// A lent packet's length reaches reassembly: a small first fragment (the leftover room of
    /// a packet that ended the previous message) gets little room, and the first full
    /// fragment room for the whole of a large message, so growing copies only that first cut
    /// (sized from the fragment alone, the small cut would look like a full packet and get
    /// 16 times itself, copied again when the message outgrows it).
    #[test]
    fn lent_packets_size_reassembly_from_the_packet() {
        let mut r = Receiver::new(1, false, limits());
        let msg = vec![9u8; 16 * 1024];
        let mut frags = fragments(1, 0, &msg[..300], 300);
        frags[0].flags = flags::BEGIN;
        frags.extend(fragments(2, 0, &msg[300..], 1168));
        for f in &mut frags[1..] {
            f.flags &= !flags::BEGIN;
        }
        let cap = |r: &Receiver| r.partials.values().next().map(|p| p.prefix.capacity());
        r.on_data(&frags[0], true, LENT).unwrap();
        assert!(cap(&r).unwrap() <= 4 * 300, "{:?}", cap(&r));
        r.on_data(&frags[1], true, LENT).unwrap();
        let grown = cap(&r).unwrap();
        assert!(grown >= 16 * 1024, "{grown}");
        let at = r.partials.values().next().unwrap().prefix.as_ptr();
        for f in &frags[2..frags.len() - 1] {
            r.on_data(f, true, LENT).unwrap();
            assert_eq!(r.partials.values().next().unwrap().prefix.as_ptr(), at);
        }
        r.on_data(frags.last().unwrap(), true, LENT).unwrap();
        assert_eq!(r.poll_message().unwrap().data, msg);
    }

    /// Ordered DATA fragments of `msg` cut at `cut` bytes, from `tsn` on, stream 0, SSN `ssn`.
    fn fragments(tsn: u32, ssn: u16, msg: &[u8], cut: usize) -> Vec<Data<'_>> {
        let n = msg.len().div_ceil(cut);
        msg.chunks(cut)
            .enumerate()
            .map(|(i, p)| Data {
                flags: if i == 0 { flags::BEGIN } else { 0 }
                    | if i + 1 == n { flags::END } else { 0 },
                tsn: tsn + i as u32,
                stream: 0,
                ssn,
                mid: u32::from(ssn),
                ppid: 53,
                fsn: 0,
                payload: p,
            })
            .collect()
    }

    /// A message assembles in the previous one's allocation once the application has dropped
    /// that one (no fresh allocation per message), and never while the application holds it:
    /// what the application holds is never written over.
    #[test]
    fn assembly_reuses_a_dropped_message_buffer_only() {
        let mut r = Receiver::new(1, false, limits());
        let (a, b, c) = (
            vec![1u8; 16 * 1024],
            vec![2u8; 16 * 1024],
            vec![3u8; 16 * 1024],
        );
        let mut tsn = 1;
        let mut deliver = |r: &mut Receiver, ssn: u16, msg: &[u8]| {
            for d in fragments(tsn, ssn, msg, 1172) {
                r.on_data(&d, true, LENT).unwrap();
            }
            tsn += msg.len().div_ceil(1172) as u32;
            r.poll_message().expect("assembled")
        };
        let first = deliver(&mut r, 0, &a);
        let at = first.data.as_ptr();
        drop(first);
        // Were the buffer freed, an allocation of its size would likely take it back from
        // malloc: the reuse below is the receiver's, not the allocator's.
        let decoy = vec![0u8; 18 * 1024];
        let second = deliver(&mut r, 1, &b);
        assert_eq!(
            second.data.as_ptr(),
            at,
            "the dropped message's buffer is reused"
        );
        assert_eq!(&second.data[..], &b[..]);
        // Held by the application: the next message goes elsewhere, the held one is intact.
        let third = deliver(&mut r, 2, &c);
        assert_ne!(third.data.as_ptr(), at);
        assert_eq!(&second.data[..], &b[..]);
        assert_eq!(&third.data[..], &c[..]);
        drop(decoy);
    }

    /// An idle receiver lets go of the spare buffer when trimmed; not while a message is being
    /// assembled.
    #[test]
    fn spare_buffer_is_released_when_quiet() {
        let mut r = Receiver::new(1, false, limits());
        let msg = vec![9u8; 8 * 1024];
        for d in fragments(1, 0, &msg, 1172) {
            r.on_data(&d, true, LENT).unwrap();
        }
        drop(r.poll_message().expect("assembled"));
        assert!(r.spare.try_reclaim(8 * 1024), "a reusable buffer is kept");
        // A message half assembled: the spare is in use, nothing to release.
        let next = fragments(8, 1, &msg, 1172);
        r.on_data(&next[0], true, LENT).unwrap();
        r.trim();
        assert_eq!(r.partials.len(), 1);
        for d in &next[1..] {
            r.on_data(d, true, LENT).unwrap();
        }
        drop(r.poll_message().expect("assembled"));
        r.trim();
        let mut spare = std::mem::take(&mut r.spare);
        assert_eq!(spare.capacity(), 0);
        assert!(!spare.try_reclaim(1));
    }
}

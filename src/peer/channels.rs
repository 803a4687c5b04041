//! The data-channel registry: stream ids (RFC 8832 §6), DCEP open/ack, the message PPIDs
//! (RFC 8831 §8), and closing by stream reset (RFC 8831 §6.7).

use crate::channel::{ChannelId, ChannelOptions, DcepMessage, DcepOpen, ppid};
use crate::config::PeerLimits;
use crate::event::{ChannelCloseReason, ChannelMessage, ChannelState, Event};
use crate::peer::PeerDrops;
use crate::sctp::{Association, SctpMessage, SctpSendError, SendOptions};
use crate::vecmap::SortedVec;
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;

/// Misuse of the channel commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelError {
    /// No such channel (never created, or closed and forgotten).
    #[error("unknown data channel")]
    UnknownChannel,
    /// The channel is not open (still connecting, closing or closed).
    #[error("data channel not open")]
    NotOpen,
    /// The peer is closed.
    #[error("peer closed")]
    Closed,
    /// Larger than the remote's `a=max-message-size` (RFC 8841 §6.1).
    #[error("message of {len} bytes exceeds the remote's maximum of {max}")]
    TooLarge {
        /// The message length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The send buffer ([`crate::PeerLimits::max_buffered_bytes`]) is full.
    #[error("send buffer full")]
    BufferFull,
    /// Both `max_retransmits` and `max_packet_life_time` are set (W3C: TypeError).
    #[error("at most one of max_retransmits and max_packet_life_time")]
    InvalidOptions,
    /// Label or protocol longer than 65535 bytes (W3C: TypeError).
    #[error("label or protocol longer than 65535 bytes")]
    TooLong,
    /// A negotiated id that is in use, or 65535 (W3C: OperationError / TypeError).
    #[error("stream id {0} not available")]
    IdUnavailable(u16),
    /// [`crate::PeerLimits::max_channels`] channels are open.
    #[error("too many data channels")]
    TooManyChannels,
}

#[derive(Debug)]
struct Channel {
    label: String,
    options: ChannelOptions,
    stream: Option<u16>,
    state: ChannelState,
    /// Ours, not negotiated: DATA_CHANNEL_OPEN still to be sent.
    announce: bool,
    /// RFC 8832 §6: until the ACK (or any user data) arrives, messages go out ordered.
    acked: bool,
    /// We asked SCTP to reset our outgoing stream.
    local_reset: bool,
    /// Our outgoing reset completed.
    local_reset_done: bool,
    /// The peer reset its outgoing stream.
    remote_reset: bool,
    low_threshold: usize,
    /// Deprecated PPID 52 / 54 pieces waiting for their final 51 / 53.
    partial: Option<BytesMut>,
    counters: ChannelCounters,
}

/// W3C `RTCDataChannelStats` counters of one channel.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChannelCounters {
    pub(crate) messages_sent: u64,
    pub(crate) bytes_sent: u64,
    pub(crate) messages_received: u64,
    pub(crate) bytes_received: u64,
}

/// What the stats report says of one channel.
pub(crate) struct ChannelReport<'a> {
    pub(crate) id: ChannelId,
    pub(crate) label: &'a str,
    pub(crate) protocol: &'a str,
    pub(crate) stream: Option<u16>,
    pub(crate) state: ChannelState,
    pub(crate) counters: ChannelCounters,
}

/// Every channel of one peer.
#[derive(Debug)]
pub(super) struct Channels {
    limits: PeerLimits,
    next_id: u32,
    map: SortedVec<ChannelId, Channel>,
    streams: SortedVec<u16, ChannelId>,
    dtls_client: Option<bool>,
}

impl Channels {
    pub(super) fn new(limits: PeerLimits) -> Self {
        Self {
            limits,
            next_id: 0,
            map: SortedVec::default(),
            streams: SortedVec::default(),
            dtls_client: None,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    /// Drops spare capacity (see `Peer`'s idle trim).
    pub(super) fn trim(&mut self) {
        self.map.shrink_to_fit();
        self.streams.shrink_to_fit();
    }

    pub(super) fn set_dtls_client(&mut self, client: bool) {
        self.dtls_client = Some(client);
    }

    pub(super) fn by_stream(&self, stream: u16) -> Option<ChannelId> {
        self.streams.get(&stream).copied()
    }

    pub(super) fn stream_of(&self, id: ChannelId) -> Option<u16> {
        self.map.get(&id)?.stream
    }

    pub(super) fn state_of(&self, id: ChannelId) -> Option<ChannelState> {
        self.map.get(&id).map(|c| c.state)
    }

    pub(super) fn info(&self, id: ChannelId) -> Option<(&str, &ChannelOptions)> {
        self.map.get(&id).map(|c| (c.label.as_str(), &c.options))
    }

    fn new_id(&mut self) -> ChannelId {
        self.next_id += 1;
        ChannelId(self.next_id)
    }

    pub(super) fn create(
        &mut self,
        label: &str,
        options: ChannelOptions,
        sctp: Option<&mut Association>,
    ) -> Result<ChannelId, ChannelError> {
        if options.reliability().is_none() {
            return Err(ChannelError::InvalidOptions);
        }
        if label.len() > usize::from(u16::MAX) || options.protocol.len() > usize::from(u16::MAX) {
            return Err(ChannelError::TooLong);
        }
        if self.map.len() >= self.limits.max_channels {
            return Err(ChannelError::TooManyChannels);
        }
        if let Some(s) = options.negotiated
            && (s == u16::MAX || self.streams.contains_key(&s))
        {
            return Err(ChannelError::IdUnavailable(s));
        }
        let id = self.new_id();
        let negotiated = options.negotiated;
        self.map.insert(
            id,
            Channel {
                label: label.to_owned(),
                announce: negotiated.is_none(),
                acked: negotiated.is_some(),
                options,
                stream: None,
                state: ChannelState::Connecting,
                local_reset: false,
                local_reset_done: false,
                remote_reset: false,
                low_threshold: 0,
                partial: None,
                counters: ChannelCounters::default(),
            },
        );
        if let Some(s) = negotiated {
            self.bind(id, s);
        }
        if let Some(sctp) = sctp {
            self.assign_streams(sctp);
        }
        Ok(id)
    }

    fn bind(&mut self, id: ChannelId, stream: u16) {
        if let Some(c) = self.map.get_mut(&id) {
            c.stream = Some(stream);
            self.streams.insert(stream, id);
        }
    }

    /// RFC 8832 §6: the DTLS client uses even stream ids, the server odd ones; the lowest free
    /// one below the negotiated stream count.
    fn free_stream(&self, limit: u16) -> Option<u16> {
        let parity = if self.dtls_client? { 0 } else { 1 };
        (parity..limit)
            .step_by(2)
            .find(|s| !self.streams.contains_key(s))
    }

    /// Gives every channel without one a stream id (once the role is known), in creation order.
    pub(super) fn assign_streams(&mut self, sctp: &mut Association) {
        if self.dtls_client.is_none() {
            return;
        }
        let limit = if sctp.is_established() {
            sctp.stream_counts().0
        } else {
            u16::MAX
        };
        let waiting: Vec<ChannelId> = self
            .map
            .iter()
            .filter(|(_, c)| c.stream.is_none() && c.state == ChannelState::Connecting)
            .map(|(id, _)| *id)
            .collect();
        for id in waiting {
            let Some(s) = self.free_stream(limit) else {
                break;
            };
            self.bind(id, s);
        }
        for c in self.map.values() {
            if let Some(s) = c.stream {
                // RFC 8831 §6.4: the channel's priority weighs its stream in the scheduler.
                sctp.set_stream_priority(s, c.options.priority);
                if c.low_threshold > 0 {
                    sctp.set_buffered_amount_low_threshold(s, c.low_threshold);
                }
            }
        }
    }

    /// With the association established: announce our channels (DATA_CHANNEL_OPEN) and open
    /// them and the negotiated ones.
    pub(super) fn open_established(
        &mut self,
        sctp: &mut Association,
        events: &mut VecDeque<Event>,
    ) {
        self.assign_streams(sctp);
        for (id, c) in self.map.iter_mut() {
            let Some(stream) = c.stream else { continue };
            if c.state != ChannelState::Connecting {
                continue;
            }
            if c.announce {
                let open = DcepMessage::Open(DcepOpen {
                    ordered: c.options.ordered,
                    reliability: c.options.reliability().unwrap_or_default(),
                    priority: c.options.priority,
                    label: c.label.clone(),
                    protocol: c.options.protocol.clone(),
                });
                // RFC 8832 §6: DATA_CHANNEL_OPEN is sent ordered and reliably.
                if sctp
                    .send(
                        stream,
                        ppid::DCEP,
                        Bytes::from(open.to_bytes()),
                        SendOptions::default(),
                    )
                    .is_err()
                {
                    continue;
                }
                c.announce = false;
            }
            c.state = ChannelState::Open;
            events.push_back(Event::ChannelOpen(*id));
        }
    }

    pub(super) fn send(
        &mut self,
        sctp: &mut Association,
        id: ChannelId,
        data: Bytes,
        binary: bool,
    ) -> Result<(), ChannelError> {
        let c = self.map.get(&id).ok_or(ChannelError::UnknownChannel)?;
        let (ChannelState::Open, Some(stream)) = (c.state, c.stream) else {
            return Err(ChannelError::NotOpen);
        };
        // RFC 8831 §6.6: an empty message is one byte with the "empty" PPID.
        let (ppid, data) = match (data.is_empty(), binary) {
            (true, false) => (ppid::STRING_EMPTY, Bytes::from_static(&[0])),
            (true, true) => (ppid::BINARY_EMPTY, Bytes::from_static(&[0])),
            (false, false) => (ppid::STRING, data),
            (false, true) => (ppid::BINARY, data),
        };
        let (max_retransmits, lifetime) = c.options.reliability().unwrap_or_default().limits();
        let opts = SendOptions {
            // RFC 8832 §6: ordered until the DATA_CHANNEL_ACK arrives.
            unordered: !c.options.ordered && c.acked,
            max_retransmits,
            lifetime,
        };
        // W3C `bytesSent` counts the payload (an empty message is 0 bytes).
        let payload = if ppid == ppid::STRING_EMPTY || ppid == ppid::BINARY_EMPTY {
            0
        } else {
            data.len()
        };
        sctp.send(stream, ppid, data, opts).map_err(|e| match e {
            SctpSendError::TooLarge { len, max } => ChannelError::TooLarge { len, max },
            SctpSendError::BufferFull => ChannelError::BufferFull,
            _ => ChannelError::NotOpen,
        })?;
        if let Some(c) = self.map.get_mut(&id) {
            c.counters.messages_sent += 1;
            c.counters.bytes_sent += payload as u64;
        }
        Ok(())
    }

    /// Every channel, for the stats report, in creation order.
    pub(super) fn reports(&self) -> impl Iterator<Item = ChannelReport<'_>> {
        self.map.iter().map(|(id, c)| ChannelReport {
            id: *id,
            label: &c.label,
            protocol: &c.options.protocol,
            stream: c.stream,
            state: c.state,
            counters: c.counters,
        })
    }

    /// Starts closing `id`. `Ok(true)`: it closed at once (it never had a stream).
    pub(super) fn close(
        &mut self,
        id: ChannelId,
        sctp: Option<&mut Association>,
    ) -> Result<bool, ChannelError> {
        let c = self.map.get_mut(&id).ok_or(ChannelError::UnknownChannel)?;
        if matches!(c.state, ChannelState::Closing | ChannelState::Closed) {
            return Ok(false);
        }
        match (c.stream, sctp) {
            (Some(s), Some(sctp)) if c.state == ChannelState::Open => {
                // RFC 8831 §6.7: reset our outgoing stream; the peer resets its own in turn.
                c.state = ChannelState::Closing;
                c.local_reset = true;
                sctp.reset_streams(&[s]);
                Ok(false)
            }
            _ => {
                self.forget(id);
                Ok(true)
            }
        }
    }

    pub(super) fn set_low_threshold(
        &mut self,
        id: ChannelId,
        bytes: usize,
        sctp: Option<&mut Association>,
    ) -> Result<(), ChannelError> {
        let c = self.map.get_mut(&id).ok_or(ChannelError::UnknownChannel)?;
        c.low_threshold = bytes;
        if let (Some(s), Some(sctp)) = (c.stream, sctp) {
            sctp.set_buffered_amount_low_threshold(s, bytes);
        }
        Ok(())
    }

    /// The channel on stream `s`.
    fn on_stream(&mut self, s: u16) -> Option<(ChannelId, &mut Channel)> {
        let id = *self.streams.get(&s)?;
        let c = self
            .map
            .get_mut(&id)
            .expect("invariant: streams maps to channels");
        Some((id, c))
    }

    fn forget(&mut self, id: ChannelId) {
        if let Some(c) = self.map.remove(&id)
            && let Some(s) = c.stream
            && self.streams.get(&s) == Some(&id)
        {
            self.streams.remove(&s);
        }
    }

    /// Everything closes (transport gone): the ids of the channels that were not closed.
    pub(super) fn close_all(&mut self) -> Vec<ChannelId> {
        let ids = self.map.keys().copied().collect();
        self.map.clear();
        self.streams.clear();
        ids
    }

    /// The peer reset its outgoing streams (RFC 8831 §6.7): reset ours in turn.
    pub(super) fn on_incoming_reset(
        &mut self,
        sctp: &mut Association,
        streams: &[u16],
        events: &mut VecDeque<Event>,
    ) {
        for &s in streams {
            let Some((id, c)) = self.on_stream(s) else {
                continue;
            };
            c.remote_reset = true;
            c.partial = None;
            if !c.local_reset {
                c.local_reset = true;
                c.state = ChannelState::Closing;
                events.push_back(Event::ChannelClosing(id));
                sctp.reset_streams(&[s]);
            }
            self.maybe_closed(id, events);
        }
    }

    /// Our outgoing reset of these streams completed (or was refused: closed either way).
    pub(super) fn on_outgoing_reset(&mut self, streams: &[u16], events: &mut VecDeque<Event>) {
        for &s in streams {
            let Some((id, c)) = self.on_stream(s) else {
                continue;
            };
            if c.local_reset {
                c.local_reset_done = true;
            }
            self.maybe_closed(id, events);
        }
    }

    fn maybe_closed(&mut self, id: ChannelId, events: &mut VecDeque<Event>) {
        let done = self
            .map
            .get(&id)
            .is_some_and(|c| c.local_reset_done && c.remote_reset);
        if done {
            self.forget(id);
            events.push_back(Event::ChannelClosed {
                id,
                reason: ChannelCloseReason::Reset,
            });
        }
    }

    /// A message from SCTP: DCEP, or data for a channel.
    pub(super) fn on_message(
        &mut self,
        sctp: &mut Association,
        m: SctpMessage,
        events: &mut VecDeque<Event>,
        drops: &mut PeerDrops,
    ) {
        if m.ppid == ppid::DCEP {
            match DcepMessage::parse(&m.data) {
                Ok(DcepMessage::Open(open)) => self.on_open(sctp, m.stream, open, events, drops),
                Ok(DcepMessage::Ack) => {
                    if let Some(c) = self
                        .by_stream(m.stream)
                        .and_then(|id| self.map.get_mut(&id))
                    {
                        c.acked = true;
                    }
                }
                Err(_) => drops.dcep_malformed += 1,
            }
            return;
        }
        let max_message_bytes = self.limits.max_message_bytes;
        let Some((id, c)) = self.on_stream(m.stream) else {
            drops.messages_no_channel += 1;
            return;
        };
        if !matches!(c.state, ChannelState::Open | ChannelState::Closing) || c.remote_reset {
            drops.messages_no_channel += 1;
            return;
        }
        // RFC 8832 §6: user data on the stream means the OPEN was accepted.
        c.acked = true;
        let (binary, data) = match m.ppid {
            ppid::STRING | ppid::BINARY => {
                let data = match c.partial.take() {
                    Some(mut p) => {
                        if p.len() + m.data.len() > max_message_bytes {
                            drops.messages_oversize += 1;
                            return;
                        }
                        p.extend_from_slice(&m.data);
                        p.freeze()
                    }
                    None => m.data,
                };
                (m.ppid == ppid::BINARY, data)
            }
            ppid::STRING_EMPTY => (false, Bytes::new()),
            ppid::BINARY_EMPTY => (true, Bytes::new()),
            ppid::STRING_PARTIAL | ppid::BINARY_PARTIAL => {
                let p = c.partial.get_or_insert_with(BytesMut::new);
                if p.len() + m.data.len() > max_message_bytes {
                    c.partial = None;
                    drops.messages_oversize += 1;
                } else {
                    p.extend_from_slice(&m.data);
                }
                return;
            }
            _ => {
                drops.messages_unknown_ppid += 1;
                return;
            }
        };
        c.counters.messages_received += 1;
        c.counters.bytes_received += data.len() as u64;
        events.push_back(Event::ChannelMessage(ChannelMessage { id, binary, data }));
    }

    /// RFC 8832 §6: a remote DATA_CHANNEL_OPEN.
    fn on_open(
        &mut self,
        sctp: &mut Association,
        stream: u16,
        open: DcepOpen,
        events: &mut VecDeque<Event>,
        drops: &mut PeerDrops,
    ) {
        if self.streams.contains_key(&stream) {
            // In use (a negotiated channel, or a repeated OPEN): the existing channel stays.
            drops.channels_refused += 1;
            return;
        }
        // The opener is the other DTLS role, so its ids have the other parity.
        let theirs = self
            .dtls_client
            .is_none_or(|client| (stream % 2 == 1) == client);
        if !theirs || self.map.len() >= self.limits.max_channels {
            drops.channels_refused += 1;
            sctp.reset_streams(&[stream]);
            return;
        }
        let (max_retransmits, max_packet_life_time) = open.reliability.limits();
        let id = self.new_id();
        let options = ChannelOptions {
            ordered: open.ordered,
            max_retransmits,
            max_packet_life_time,
            protocol: open.protocol.clone(),
            negotiated: None,
            priority: open.priority,
        };
        if sctp
            .send(
                stream,
                ppid::DCEP,
                Bytes::from(DcepMessage::Ack.to_bytes()),
                SendOptions::default(),
            )
            .is_err()
        {
            drops.channels_refused += 1;
            return;
        }
        self.map.insert(
            id,
            Channel {
                label: open.label.clone(),
                options,
                stream: Some(stream),
                state: ChannelState::Open,
                announce: false,
                acked: true,
                local_reset: false,
                local_reset_done: false,
                remote_reset: false,
                low_threshold: 0,
                partial: None,
                counters: ChannelCounters::default(),
            },
        );
        self.streams.insert(stream, id);
        sctp.set_stream_priority(stream, open.priority);
        events.push_back(Event::DataChannel {
            id,
            label: open.label,
            protocol: open.protocol,
        });
        events.push_back(Event::ChannelOpen(id));
    }
}

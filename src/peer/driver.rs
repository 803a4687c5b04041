//! The driver (DESIGN §3): datagrams and time in, transmits, events and the next deadline
//! out. Any call order is valid; commands carry no time, so what they start is timed from
//! the next call that carries one.

use super::*;
use crate::dtls::RecordSink;
use crate::net::TransmitMeta;
use crate::sctp::Association;
use bytes::{Bytes, BytesMut};
use std::ops::Range;

/// Opened DTLS records straight into SCTP (RFC 8261 §5: one SCTP packet per record), lent
/// unless SCTP keeps slices of the packet (a whole message delivered without a copy).
struct ToSctp<'a> {
    sctp: Option<&'a mut Association>,
    now: Instant,
}

impl RecordSink for ToSctp<'_> {
    fn keeps(&mut self, record: &[u8]) -> bool {
        self.sctp
            .as_ref()
            .is_some_and(|s| s.keeps_slices_of(record))
    }

    fn record(&mut self, record: &[u8], shared: Option<(&Bytes, Range<usize>)>) {
        let Some(sctp) = self.sctp.as_deref_mut() else {
            return;
        };
        match shared {
            Some((buf, range)) => sctp.handle_packet_in(self.now, buf, range),
            None => sctp.handle_packet(self.now, record),
        }
    }
}

impl Peer {
    pub(super) fn advance(&mut self, now: Instant) {
        debug_assert!(now >= self.now, "time went backwards");
        self.now = self.now.max(now);
    }

    /// A datagram arrived on one of our local addresses.
    pub fn handle_receive(&mut self, now: Instant, d: Datagram<'_>) {
        self.advance(now);
        self.stats.datagrams_received += 1;
        self.stats.bytes_received += d.contents.len() as u64;
        if self.closed {
            self.stats.dropped.after_close += 1;
            return;
        }
        // TURN: what comes from one of our servers to its client's socket is the client's;
        // data relayed from a peer continues as if it had arrived on the relayed address.
        if let Some(i) = self
            .turn
            .iter()
            .position(|c| c.server() == d.source && c.base() == d.destination)
        {
            let r = self.turn[i].handle_receive(self.now, d);
            self.drain_turn();
            if let TurnReceive::Data {
                peer,
                relayed,
                data,
            } = r
            {
                self.route(Datagram {
                    source: peer,
                    destination: relayed,
                    protocol: d.protocol,
                    contents: &data,
                });
            }
            self.update_states();
            return;
        }
        self.route(d);
    }

    /// [`Peer::handle_receive`] with a buffer the peer may keep: a DTLS record is opened in
    /// place in it and the data channel messages it carries are handed out
    /// ([`Event::ChannelMessage`](crate::Event)) as slices of it, so the payload is never
    /// copied. Everything else (STUN, data relayed by TURN) is handled as
    /// [`Peer::handle_receive`] does, from the borrowed bytes.
    pub fn handle_receive_buf(&mut self, now: Instant, d: DatagramBuf) {
        let from_turn = self
            .turn
            .iter()
            .any(|c| c.server() == d.source && c.base() == d.destination);
        if !self.closed
            && !from_turn
            && matches!(PacketKind::of(&d.contents), Ok(PacketKind::Rtp))
            && self.known_source(d.source)
        {
            // SRTP is unprotected in place in the datagram's buffer; the payload handed out is
            // a slice of it.
            self.advance(now);
            self.stats.datagrams_received += 1;
            self.stats.bytes_received += d.contents.len() as u64;
            self.ice
                .count_data_received(d.destination, d.source, d.contents.len());
            self.receive_media(d.contents);
            self.update_states();
            return;
        }
        if self.closed || from_turn || !matches!(PacketKind::of(&d.contents), Ok(PacketKind::Dtls))
        {
            self.handle_receive(now, d.as_datagram());
            return;
        }
        self.advance(now);
        self.stats.datagrams_received += 1;
        self.stats.bytes_received += d.contents.len() as u64;
        // As in `route`: ICE sees the time (a DTLS datagram is never STUN).
        let _ = self.ice.handle_receive(self.now, d.as_datagram());
        let now = self.now;
        let (source, local, len) = (d.source, d.destination, d.contents.len());
        self.receive_dtls(source, local, len, |dtls, sink| {
            dtls.handle_receive_buf_into(now, d.contents, sink)
        });
        self.update_states();
    }

    /// A DTLS datagram from `source` to `local`, `len` bytes, handed to the transport by
    /// `deliver`, with a sink that takes the opened records straight to SCTP (RFC 8261 §5: one
    /// SCTP packet per record) once the association is started.
    pub(super) fn receive_dtls(
        &mut self,
        source: SocketAddr,
        local: SocketAddr,
        len: usize,
        deliver: impl FnOnce(&mut DtlsTransport, &mut dyn RecordSink),
    ) {
        if !self.known_source(source) {
            self.stats.dropped.dtls_unknown_source += 1;
            return;
        }
        self.ice.count_data_received(local, source, len);
        let Some(dtls) = self.dtls.as_mut() else {
            self.stats.dropped.dtls_too_early += 1;
            return;
        };
        let mut to_sctp = ToSctp {
            sctp: self.sctp.as_mut().filter(|_| self.sctp_started),
            now: self.now,
        };
        deliver(dtls, &mut to_sctp);
        self.drain_dtls();
    }

    /// ICE (STUN) or DTLS, by the first byte.
    pub(super) fn route(&mut self, d: Datagram<'_>) {
        if self.ice.handle_receive(self.now, d) {
            self.drain_ice();
            self.update_states();
            return;
        }
        // RFC 7983 §7 / RFC 9443: the first byte picks the protocol.
        match PacketKind::of(d.contents) {
            Ok(PacketKind::Dtls) => {
                let now = self.now;
                self.receive_dtls(d.source, d.destination, d.contents.len(), |dtls, sink| {
                    dtls.handle_receive_into(now, d.contents, sink)
                });
            }
            Ok(PacketKind::Rtp) if self.known_source(d.source) => {
                self.ice
                    .count_data_received(d.destination, d.source, d.contents.len());
                self.receive_media(bytes::BytesMut::from(d.contents));
            }
            _ => self.stats.dropped.unknown_protocol += 1,
        }
        self.update_states();
    }

    /// Fires due timers (ICE checks and consent, DTLS flights, SCTP retransmission, delayed
    /// SACK, heartbeats). Before [`Peer::poll_timeout`] it does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
        if self.closed {
            return;
        }
        self.ice.handle_timeout(self.now);
        self.drain_ice();
        for c in &mut self.turn {
            if !c.is_started() {
                c.start(self.now);
            }
            c.handle_timeout(self.now);
        }
        self.drain_turn();
        if let Some(dtls) = self.dtls.as_mut() {
            dtls.handle_timeout(self.now);
            self.drain_dtls();
        }
        if let Some(sctp) = self.sctp.as_mut()
            && self.sctp_started
        {
            sctp.handle_timeout(self.now);
        }
        self.media_timeout();
        self.update_states();
        self.trim_if_idle();
    }

    /// An idle peer (nothing queued or in flight) gives back the working buffers of busier
    /// times: a server holding many idle connections pays for their state, not for their
    /// buffers. Runs from `handle_timeout`, so an idle peer trims at its next timer (consent
    /// freshness fires every few seconds); cheap when there is nothing to release.
    pub(super) fn trim_if_idle(&mut self) {
        use crate::vecmap::shrink_if_empty;
        let sctp_idle = self.sctp.as_ref().is_none_or(|s| {
            let st = s.stats();
            st.flight_bytes == 0 && st.queued_bytes == 0
        });
        if !sctp_idle || !self.transmits.is_empty() || !self.events.is_empty() {
            return;
        }
        shrink_if_empty!(self.transmits, self.events);
        self.channels.trim();
        self.ice.trim();
        if let Some(d) = self.dtls.as_mut() {
            d.trim();
        }
        if let Some(s) = self.sctp.as_mut() {
            s.trim();
        }
    }

    /// The next datagram to send, at `now`.
    ///
    /// The driver contract (DESIGN §3): commands (`send_text`, `create_data_channel`,
    /// `add_local_address`, …) carry no time; what they start is timed from the next call that
    /// does. Call `poll_transmit(now)` with the current time after commands and after each
    /// `handle_*` until it returns `None`, then wait for [`Peer::poll_timeout`]. Timers for
    /// what goes out here (SCTP's T3-rtx, a DTLS flight's retransmission) start at `now`, and a
    /// message's lifetime (`max_packet_life_time`) starts no earlier than the first call with
    /// the time after its `send`: never at an older time the peer last saw.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        self.advance(now);
        let t = self.next_transmit(None)?;
        self.stats.datagrams_sent += 1;
        self.stats.bytes_sent += t.contents.len() as u64;
        Some(t)
    }

    /// [`Peer::poll_transmit`], with the datagram appended to `buf` rather than handed out in
    /// a buffer of its own (quinn-proto's shape): the same datagrams in the same order, and the
    /// two calls may be mixed. A driver that reuses one buffer (clearing it after each send)
    /// saves, per datagram of a busy data channel, the shared buffer the record is cut from and
    /// its reference counting: the DTLS record is written and sealed straight in `buf`. Other
    /// datagrams (ICE checks, handshake flights, media, anything relayed through TURN) are
    /// copied in. Returns where the `len` bytes appended go.
    #[must_use]
    pub fn poll_transmit_into(&mut self, now: Instant, buf: &mut BytesMut) -> Option<TransmitMeta> {
        self.advance(now);
        let start = buf.len();
        let t = self.next_transmit(Some(&mut *buf))?;
        if buf.len() == start {
            buf.extend_from_slice(&t.contents);
        }
        let len = buf.len() - start;
        self.stats.datagrams_sent += 1;
        self.stats.bytes_sent += len as u64;
        Some(TransmitMeta {
            source: t.source,
            destination: t.destination,
            protocol: t.protocol,
            len,
        })
    }

    /// The next datagram. With `into`, a DTLS record of the steady state is written there
    /// instead (the transmit returned then has empty contents; no real datagram is empty).
    pub(super) fn next_transmit(&mut self, mut into: Option<&mut BytesMut>) -> Option<Transmit> {
        loop {
            if let Some(t) = self.transmits.pop_front() {
                return Some(t);
            }
            if let Some(t) = self.turn.iter_mut().find_map(TurnClient::poll_transmit) {
                return Some(t);
            }
            let t = self.next_own_transmit(into.as_deref_mut())?;
            // Sent from a relayed candidate: it goes through that allocation (RFC 8656 §10-§12).
            // (Never one written into `into`: `next_own_transmit` keeps those owned.)
            match self.turn.iter_mut().find(|c| c.relayed() == Some(t.source)) {
                Some(c) => c.send_to(t.destination, &t.contents),
                None => return Some(t),
            }
        }
    }

    /// ICE's transmits, then DTLS records (with SCTP packets pulled into them); with `into`,
    /// an SCTP packet's record is sealed there (unless it goes through a TURN relay).
    pub(super) fn next_own_transmit(&mut self, into: Option<&mut BytesMut>) -> Option<Transmit> {
        if let Some(t) = self.ice.poll_transmit() {
            return Some(t);
        }
        // DTLS (and the SCTP inside it) goes out on the selected pair only; until there is one
        // its records wait.
        let (source, destination) = self.ice.selected_pair()?;
        let relayed = self.turn.iter().any(|c| c.relayed() == Some(source));
        let mut into = into.filter(|_| !relayed);
        let dtls = self.dtls.as_mut()?;
        loop {
            if let Some(contents) = dtls.poll_transmit(self.now) {
                self.ice.count_data_sent(contents.len());
                return Some(Transmit {
                    source,
                    destination,
                    protocol: Protocol::Udp,
                    contents,
                });
            }
            if let Some(contents) = self.media.out.pop_front() {
                self.ice.count_data_sent(contents.len());
                return Some(Transmit {
                    source,
                    destination,
                    protocol: Protocol::Udp,
                    contents,
                });
            }
            let sctp = self.sctp.as_mut()?;
            if !self.sctp_started || dtls.state() != DtlsState::Connected {
                return None;
            }
            // RFC 8261 §5: one SCTP packet per DTLS record, written by SCTP straight into the
            // record's buffer and sealed there.
            let max = sctp.max_packet_len();
            let now = self.now;
            let fill = |buf: &mut BytesMut| sctp.poll_transmit_append(now, buf);
            if let Some(out) = into.as_deref_mut() {
                let start = out.len();
                if !matches!(dtls.send_with_into(out, max, fill), Ok(true)) {
                    return None;
                }
                self.ice.count_data_sent(out.len() - start);
                return Some(Transmit {
                    source,
                    destination,
                    protocol: Protocol::Udp,
                    contents: Bytes::new(),
                });
            }
            if !matches!(dtls.send_with(max, fill), Ok(true)) {
                return None;
            }
        }
    }

    /// The next event. Channel messages are pulled from SCTP here, so an application that
    /// stops polling stops acknowledging data (back-pressure to the sender).
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        loop {
            if let Some(e) = self.events.pop_front() {
                match &e {
                    Event::ChannelOpen(_) => self.stats.channels_opened += 1,
                    Event::ChannelClosed { .. } => self.stats.channels_closed += 1,
                    _ => {}
                }
                return Some(e);
            }
            let sctp = self.sctp.as_mut()?;
            let e = sctp.poll_event()?;
            self.handle_sctp_event(e);
        }
    }

    /// When [`Peer::handle_timeout`] is due next (`None`: no timer).
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let dtls = self.dtls.as_ref().and_then(DtlsTransport::poll_timeout);
        let sctp = self
            .sctp
            .as_ref()
            .filter(|_| self.sctp_started)
            .and_then(Association::poll_timeout);
        let turn = self
            .turn
            .iter()
            .filter_map(|c| {
                if c.is_started() {
                    c.poll_timeout()
                } else {
                    Some(self.now)
                }
            })
            .min();
        let media = self.media_poll_timeout();
        [self.ice.poll_timeout(), dtls, sctp, turn, media]
            .into_iter()
            .flatten()
            .min()
    }
}

//! The data channel commands (W3C `RTCDataChannel` on the peer).

use super::*;

impl Peer {
    /// W3C `createDataChannel`. The first channel on a peer without a negotiated data section
    /// asks for negotiation ([`Event::NegotiationNeeded`]).
    pub fn create_data_channel(
        &mut self,
        label: &str,
        options: ChannelOptions,
    ) -> Result<ChannelId, ChannelError> {
        if self.closed {
            return Err(ChannelError::Closed);
        }
        let id = self.channels.create(label, options, self.sctp.as_mut())?;
        if !self.negotiated_data {
            self.queue_negotiation_needed();
        }
        if let Some(sctp) = self.sctp.as_mut()
            && sctp.is_established()
        {
            self.channels.open_established(sctp, &mut self.events);
        }
        Ok(id)
    }

    /// Sends a text message (PPID 51, or 56 when empty).
    pub fn send_text(&mut self, id: ChannelId, text: &str) -> Result<(), ChannelError> {
        let data = bytes::Bytes::copy_from_slice(text.as_bytes());
        self.send(id, data, false)
    }

    /// Sends a binary message (PPID 53, or 57 when empty).
    pub fn send_binary(
        &mut self,
        id: ChannelId,
        data: impl Into<bytes::Bytes>,
    ) -> Result<(), ChannelError> {
        self.send(id, data.into(), true)
    }

    pub(super) fn send(
        &mut self,
        id: ChannelId,
        data: bytes::Bytes,
        binary: bool,
    ) -> Result<(), ChannelError> {
        let sctp = self.sctp.as_mut().ok_or(ChannelError::NotOpen)?;
        self.channels.send(sctp, id, data, binary)
    }

    /// W3C `close` of one channel: queued messages are sent, then the stream is reset
    /// (RFC 8831 §6.7). [`Event::ChannelClosed`] follows on both sides.
    pub fn close_channel(&mut self, id: ChannelId) -> Result<(), ChannelError> {
        let closed_now = self.channels.close(id, self.sctp.as_mut())?;
        if closed_now {
            self.push_event(Event::ChannelClosed {
                id,
                reason: ChannelCloseReason::Reset,
            });
        }
        Ok(())
    }

    /// W3C `bufferedAmount`: bytes queued on the channel and not yet sent.
    pub fn buffered_amount(&self, id: ChannelId) -> usize {
        match (self.channels.stream_of(id), self.sctp.as_ref()) {
            (Some(s), Some(sctp)) => sctp.buffered_amount(s),
            _ => 0,
        }
    }

    /// W3C `bufferedAmountLowThreshold`.
    pub fn set_buffered_amount_low_threshold(
        &mut self,
        id: ChannelId,
        bytes: usize,
    ) -> Result<(), ChannelError> {
        self.channels
            .set_low_threshold(id, bytes, self.sctp.as_mut())
    }

    /// The channel's SCTP stream id (W3C `id`; `None` until the DTLS role is known).
    pub fn channel_stream_id(&self, id: ChannelId) -> Option<u16> {
        self.channels.stream_of(id)
    }

    /// The channel's state.
    pub fn channel_state(&self, id: ChannelId) -> Option<crate::event::ChannelState> {
        self.channels.state_of(id)
    }

    /// The channel's label, protocol and options.
    pub fn channel_info(&self, id: ChannelId) -> Option<(&str, &ChannelOptions)> {
        self.channels.info(id)
    }

    /// Fuzzing hook: queues an arbitrary SCTP message (any stream and PPID) as if a remote
    /// implementation had sent it, so fuzzers reach the DCEP and channel code through a real
    /// DTLS transport.
    #[cfg(any(test, feature = "fuzzing"))]
    #[doc(hidden)]
    pub fn fuzz_send_raw(&mut self, stream: u16, ppid: u32, payload: Vec<u8>) {
        if let Some(sctp) = self.sctp.as_mut() {
            let _ = sctp.send(
                stream,
                ppid,
                bytes::Bytes::from(payload),
                Default::default(),
            );
        }
    }
}

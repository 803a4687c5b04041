//! [`Event`]: what a [`crate::Peer`] tells the application, and the states it reports.

use crate::channel::ChannelId;
use crate::dtls::DtlsFailure;
use crate::ice::IceConnectionState;
use crate::sctp::CloseReason;
use crate::sdp::{SdpCandidate, SignalingState};
use bytes::Bytes;
use std::net::SocketAddr;

/// W3C `RTCPeerConnectionState`: the ICE and DTLS transports summed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerConnectionState {
    /// Nothing started (no ICE checks, no DTLS).
    New,
    /// ICE checking or DTLS handshaking.
    Connecting,
    /// ICE has a selected pair and DTLS is connected.
    Connected,
    /// ICE consent checks go unanswered (may recover).
    Disconnected,
    /// ICE or DTLS failed; only an ICE restart (for ICE) or a new peer helps.
    Failed,
    /// [`crate::Peer::close`] was called.
    Closed,
}

/// W3C `RTCDataChannelState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelState {
    /// Waiting for the SCTP association (and a stream id).
    Connecting,
    /// Messages can be sent.
    Open,
    /// Closing: the stream reset is under way.
    Closing,
    /// Closed; the handle is no longer usable.
    Closed,
}

/// A message received on a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelMessage {
    /// The channel.
    pub id: ChannelId,
    /// Sent as binary (PPID 53 / 57) rather than text (51 / 56).
    pub binary: bool,
    /// The payload (empty for the "empty" PPIDs). Text is passed through as received; use
    /// [`ChannelMessage::text`] to check it is UTF-8.
    pub data: Bytes,
}

impl ChannelMessage {
    /// The payload as text, when it was sent as text and is valid UTF-8.
    pub fn text(&self) -> Option<&str> {
        if self.binary {
            return None;
        }
        std::str::from_utf8(&self.data).ok()
    }
}

/// A candidate with the fields a W3C `RTCIceCandidateInit` carries besides the candidate line:
/// the media section it belongs to (by mid and by m-line index) and the ICE username fragment of
/// the generation it was gathered in (a restart starts a new one, RFC 8839 §5.4).
///
/// `candidate: None` is the end-of-candidates indication of that generation (W3C: an
/// `RTCIceCandidate` whose `candidate` is the empty string; RFC 8838 §4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceCandidateInit {
    /// The candidate (`candidate:...` without the `a=`); `None`: end-of-candidates.
    pub candidate: Option<SdpCandidate>,
    /// W3C `sdpMid`: the mid of the section (the BUNDLE tag section, which carries the one
    /// transport). `None` when unknown (a local candidate gathered before the first local
    /// description: the peer gathers as soon as it has an address).
    pub sdp_mid: Option<String>,
    /// W3C `sdpMLineIndex`: the section's index in the description. `None` when unknown.
    pub sdp_m_line_index: Option<u16>,
    /// W3C `usernameFragment`: the ICE ufrag of the candidate's generation. `None` when unknown
    /// (then a remote candidate is taken as of the current generation).
    pub username_fragment: Option<String>,
}

impl IceCandidateInit {
    /// Just a candidate line, with no section or generation (as in old signaling protocols).
    pub fn new(candidate: SdpCandidate) -> Self {
        Self {
            candidate: Some(candidate),
            sdp_mid: None,
            sdp_m_line_index: None,
            username_fragment: None,
        }
    }

    /// End-of-candidates for the generation with `username_fragment` in the section given.
    pub fn end_of_candidates(
        sdp_mid: Option<String>,
        sdp_m_line_index: Option<u16>,
        username_fragment: Option<String>,
    ) -> Self {
        Self {
            candidate: None,
            sdp_mid,
            sdp_m_line_index,
            username_fragment,
        }
    }

    /// Whether this is the end-of-candidates indication (no candidate).
    pub fn is_end_of_candidates(&self) -> bool {
        self.candidate.is_none()
    }
}

/// A STUN or TURN server failed us while gathering (W3C `RTCPeerConnectionIceErrorEvent`,
/// `icecandidateerror`). Gathering goes on with the other servers and candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IceCandidateError {
    /// W3C `address` and `port`: the local address the request went from.
    pub local: std::net::SocketAddr,
    /// W3C `url`: the server, as a `stun:` or `turn:` URI (RFC 7064, RFC 7065).
    pub url: String,
    /// W3C `errorCode`: the STUN error code (300-699), or 701 when the server did not answer.
    pub error_code: u16,
    /// W3C `errorText`: the server's reason phrase, or ours.
    pub error_text: String,
}

/// W3C `RTCIceGatheringState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IceGatheringState {
    /// No local address yet: nothing to gather from.
    New,
    /// Gathering: reflexive and relayed candidates are being asked for.
    Gathering,
    /// Every candidate of this generation has been gathered (until an ICE restart or a new
    /// local address).
    Complete,
}

impl IceGatheringState {
    /// The W3C name (`new`, `gathering`, `complete`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Gathering => "gathering",
            Self::Complete => "complete",
        }
    }
}

/// Why a channel closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelCloseReason {
    /// Closed by a stream reset (RFC 8831 §6.7), from either side.
    Reset,
    /// The SCTP association, DTLS or the peer itself closed or failed.
    TransportClosed,
    /// The remote aborted the SCTP association (RFC 9260 §9.1), with the first error cause it
    /// gave: 12, User-Initiated Abort, is what a browser's `pc.close()` sends; other stacks
    /// send none. Not a failure: what Chromium surfaces as the channel's `error` event
    /// (errorDetail "sctp-failure", `sctpCauseCode`) just before `close`.
    RemoteAbort {
        /// The ABORT's first error cause code, if it had one.
        cause: Option<u16>,
    },
    /// The remote's DATA_CHANNEL_OPEN could not be accepted (limit, malformed, stream in use).
    Refused,
}

/// Why the connection failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerFailure {
    /// Every ICE pair failed, or consent expired (RFC 7675).
    Ice,
    /// The DTLS handshake failed (including a fingerprint mismatch).
    Dtls(DtlsFailure),
    /// The SCTP association ended abnormally (abort, handshake or retransmission limit).
    Sctp(CloseReason),
}

/// W3C `RTCTrackEvent`: what `ontrack` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackEvent {
    /// The transceiver that receives.
    pub transceiver: crate::media::TransceiverId,
    /// Its mid.
    pub mid: String,
    /// Audio or video.
    pub kind: crate::media::MediaKind,
    /// The remote's stream ids (`a=msid`, RFC 8830).
    pub stream_ids: Vec<String>,
    /// The remote's track id, when it signalled one.
    pub track_id: Option<String>,
}

/// Something the application should know. New variants may be added.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A local candidate to signal to the remote (trickle ICE, W3C `icecandidate`), with the
    /// section it belongs to and our ICE username fragment, as a browser's
    /// `RTCIceCandidateInit` carries them. When gathering completes, the last one has no
    /// candidate: end-of-candidates, to be signalled as well
    /// ([`IceCandidateInit::is_end_of_candidates`]).
    LocalCandidate(IceCandidateInit),
    /// W3C `icegatheringstatechange` ([`crate::Peer::ice_gathering_state`]).
    IceGatheringStateChange(IceGatheringState),
    /// W3C `icecandidateerror`: a STUN or TURN server refused or did not answer.
    IceCandidateError(IceCandidateError),
    /// W3C `iceconnectionstatechange`.
    IceConnectionStateChange(IceConnectionState),
    /// W3C `connectionstatechange`.
    ConnectionStateChange(PeerConnectionState),
    /// W3C `signalingstatechange`.
    SignalingStateChange(SignalingState),
    /// W3C `negotiationneeded`: create and exchange an offer (first channel, ICE restart).
    NegotiationNeeded,
    /// ICE selected (or switched to) this pair.
    SelectedPair {
        /// Our address.
        local: SocketAddr,
        /// The remote's address.
        remote: SocketAddr,
    },
    /// The remote opened a channel (W3C `datachannel`); [`Event::ChannelOpen`] follows.
    DataChannel {
        /// The new channel.
        id: ChannelId,
        /// Its label.
        label: String,
        /// Its subprotocol.
        protocol: String,
    },
    /// The channel can send (W3C `open`).
    ChannelOpen(ChannelId),
    /// A message arrived (W3C `message`).
    ChannelMessage(ChannelMessage),
    /// The channel's buffered amount fell to its low threshold (W3C `bufferedamountlow`).
    BufferedAmountLow(ChannelId),
    /// The remote started closing the channel (W3C `closing`).
    ChannelClosing(ChannelId),
    /// The channel is closed (W3C `close`); its id is free again.
    ChannelClosed {
        /// The channel.
        id: ChannelId,
        /// Why.
        reason: ChannelCloseReason,
    },
    /// The SCTP transport closed (W3C `RTCSctpTransport` state `closed`): a graceful SHUTDOWN,
    /// an ABORT from the remote (its `pc.close()`), or a failure (then [`Event::Failed`]
    /// follows). Every channel has closed before it. Not reported after our own
    /// [`crate::Peer::close`], which closes everything at once.
    SctpClosed(crate::sctp::CloseReason),
    /// Why the connection failed. ICE and DTLS failures come just before the connection state
    /// becomes `Failed`; an SCTP failure closes every channel instead (the W3C connection state
    /// follows ICE and DTLS only). A remote that closes (an SCTP ABORT without a cause or with
    /// User-Initiated Abort, a SHUTDOWN, a DTLS close_notify) is not a failure: its channels
    /// close with [`ChannelCloseReason::RemoteAbort`] or `TransportClosed`.
    Failed(PeerFailure),
    /// W3C `track`: a transceiver's section now receives (an applied answer made it so).
    Track(TrackEvent),
    /// An RTP packet arrived on a transceiver.
    Rtp(crate::peer::RtpPacket),
    /// The remote asked for a keyframe on what we send (PLI or FIR; coalesced per stream).
    KeyframeRequest {
        /// The transceiver whose sender is asked.
        transceiver: crate::media::TransceiverId,
        /// The encoding (simulcast rid), if it has one.
        rid: Option<String>,
        /// PLI or FIR.
        kind: crate::peer::KeyframeRequestKind,
    },
}

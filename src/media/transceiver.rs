//! Transceivers with W3C semantics (webrtc-pc §5.4): a sender and a receiver sharing one media
//! section, identified by a [`TransceiverId`] that is stable before a mid is assigned.

use super::MediaKind;
use super::codec::{Codec, PayloadCodec};
use crate::sdp::Direction;

/// A transceiver of one peer (stable for the peer's life; never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransceiverId(pub(crate) u32);

impl TransceiverId {
    /// The number behind the handle (for logs and maps).
    pub fn index(self) -> u32 {
        self.0
    }
}

impl std::fmt::Display for TransceiverId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "transceiver-{}", self.0)
    }
}

/// A track as the stack sees it: the stack never encodes or decodes, so a track is its kind
/// and its id (W3C `MediaStreamTrack.id`, signalled in `a=msid`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrackInfo {
    /// `audio` or `video`.
    pub kind: MediaKind,
    /// The track id.
    pub id: String,
}

impl TrackInfo {
    /// A track of `kind` with `id`.
    pub fn new(kind: MediaKind, id: impl Into<String>) -> Self {
        Self {
            kind,
            id: id.into(),
        }
    }
}

/// W3C `RTCRtpEncodingParameters`: one encoding (simulcast layer) of a sender.
#[derive(Debug, Clone, PartialEq)]
pub struct SendEncoding {
    /// RFC 8851 rid (required when there is more than one encoding).
    pub rid: Option<String>,
    /// Whether it is sent.
    pub active: bool,
    /// Bits per second the encoder should not exceed (enforced by the pacer once there is one).
    pub max_bitrate: Option<u32>,
    /// Frames per second.
    pub max_framerate: Option<f64>,
    /// Downscale factor for video (≥ 1.0).
    pub scale_resolution_down_by: Option<f64>,
    /// `very-low`, `low`, `medium`, `high` (W3C `RTCPriorityType`).
    pub priority: Priority,
    /// SVC mode (`L1T3`, ... W3C webrtc-svc).
    pub scalability_mode: Option<String>,
}

impl Default for SendEncoding {
    fn default() -> Self {
        Self {
            rid: None,
            active: true,
            max_bitrate: None,
            max_framerate: None,
            scale_resolution_down_by: None,
            priority: Priority::Low,
            scalability_mode: None,
        }
    }
}

impl SendEncoding {
    /// An active encoding with `rid`.
    pub fn with_rid(rid: impl Into<String>) -> Self {
        Self {
            rid: Some(rid.into()),
            ..Self::default()
        }
    }
}

/// W3C `RTCPriorityType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Priority {
    /// `very-low`
    VeryLow,
    /// `low` (the default)
    #[default]
    Low,
    /// `medium`
    Medium,
    /// `high`
    High,
}

/// W3C `RTCRtpTransceiverInit`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TransceiverInit {
    /// The initial direction (default `sendrecv`).
    pub direction: Option<Direction>,
    /// Stream ids for `a=msid` (W3C `streams`).
    pub streams: Vec<String>,
    /// The sender's encodings; empty means one encoding without a rid.
    pub send_encodings: Vec<SendEncoding>,
    /// Simulcast to receive (not in W3C, which only sends it; what an SFU asks of a
    /// publisher when it makes the offer): the rids of the streams, in preference order,
    /// offered as `a=rid:<rid> recv` and `a=simulcast:recv` (RFC 8851, RFC 8853 §5.2). The
    /// answer may drop some; [`Transceiver::remote_rids`] says which the remote sends. Empty:
    /// one stream.
    pub receive_rids: Vec<String>,
}

/// What the application receives on a transceiver: chosen per transceiver, not per peer
/// ([`crate::Peer::set_receive_mode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ReceiveMode {
    /// Every received RTP packet as [`crate::Event::Rtp`]: header, parsed extensions and the
    /// payload without a copy (SFUs, recorders). The default.
    #[default]
    Rtp,
    /// Nothing is delivered: packets are still authenticated, counted in the statistics and
    /// reported on in RTCP (a receiver the application ignores, such as an SFU's unused
    /// simulcast layers it still wants loss figures for).
    Discard,
}

/// W3C `RTCRtpSendParameters` as `get_parameters` returns and `set_parameters` takes them.
#[derive(Debug, Clone, PartialEq)]
pub struct SendParameters {
    /// Changes with each `get_parameters`; `set_parameters` must give the last one back.
    pub transaction_id: u64,
    /// One per encoding, in order.
    pub encodings: Vec<SendEncoding>,
    /// The negotiated codecs (read-only).
    pub codecs: Vec<PayloadCodec>,
}

/// Why a transceiver command was refused (W3C exception names in the docs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// No such transceiver (or it was removed).
    #[error("unknown transceiver")]
    UnknownTransceiver,
    /// The transceiver is stopped (W3C InvalidStateError).
    #[error("transceiver stopped")]
    Stopped,
    /// The peer is closed (W3C InvalidStateError).
    #[error("peer closed")]
    Closed,
    /// The track's kind is not the transceiver's (W3C TypeError).
    #[error("track kind does not match the transceiver")]
    KindMismatch,
    /// The track is already sent by another sender (W3C InvalidAccessError).
    #[error("track already added")]
    TrackInUse,
    /// W3C InvalidModificationError: `set_parameters` changed what cannot change (the number of
    /// encodings, a rid), or a stale transaction id; `set_codec_preferences` named a codec we
    /// do not have.
    #[error("invalid modification: {0}")]
    InvalidModification(&'static str),
    /// W3C TypeError / RangeError on `send_encodings` (a rid twice, a bad rid, scale < 1, rids
    /// on some encodings only).
    #[error("invalid encodings: {0}")]
    InvalidEncodings(&'static str),
    /// Nothing can be sent yet: no negotiated sending direction, no codec, or the transport
    /// is not up (the packet was not sent).
    #[error("not ready to send: {0}")]
    NotReady(&'static str),
    /// The payload type is not one negotiated for this transceiver.
    #[error("payload type {0} not negotiated")]
    UnknownPayloadType(u8),
}

/// One outgoing RTP stream of a sender: its SSRC (and RTX SSRC), sequence and timestamp state.
#[derive(Debug, Clone)]
pub(crate) struct SendStream {
    pub(crate) ssrc: u32,
    pub(crate) rtx_ssrc: Option<u32>,
    pub(crate) rid: Option<String>,
    /// The next sequence number (RFC 3550 §5.1: random start; below 2^15 so the receiver's
    /// SRTP roll-over counter cannot be confused, as libwebrtc does).
    pub(crate) next_seq: u16,
    /// Added to the application's timestamps (RFC 3550 §5.1: random initial value).
    pub(crate) timestamp_offset: u32,
    pub(crate) stats: super::report::OutboundStream,
    /// Forwarding: what is added to the sender's sequence numbers (fixed by the first packet).
    pub(crate) forward_offset: Option<u16>,
    /// Keyframe requests and NACKs received for this stream (W3C outbound-rtp counters).
    pub(crate) pli_received: u32,
    pub(crate) fir_received: u32,
    pub(crate) nack_received: u32,
}

/// A transceiver's state (the public face is [`Transceiver`]).
#[derive(Debug, Clone)]
pub(crate) struct TransceiverState {
    pub(crate) id: TransceiverId,
    pub(crate) kind: MediaKind,
    pub(crate) direction: Direction,
    pub(crate) current_direction: Option<Direction>,
    /// Assigned by the offer that introduced it (W3C: on setLocalDescription / SRD).
    pub(crate) mid: Option<String>,
    pub(crate) stopping: bool,
    pub(crate) stopped: bool,
    pub(crate) track: Option<TrackInfo>,
    pub(crate) streams: Vec<String>,
    /// The sender's track id as signalled (kept across replace_track: no renegotiation).
    pub(crate) sender_track_id: String,
    pub(crate) encodings: Vec<SendEncoding>,
    pub(crate) send: Vec<SendStream>,
    pub(crate) codec_preferences: Vec<PayloadCodec>,
    /// Created by add_track (may be reused by a remote offer's section, W3C SRD rule).
    pub(crate) from_add_track: bool,
    /// Negotiated: codecs of the answer (what we send with; payload types valid both ways).
    pub(crate) codecs: Vec<PayloadCodec>,
    /// What we accept: the codecs of our own description (RFC 3264 §5.1: an offerer must be
    /// ready to receive every format it offered, and libwebrtc as answerer sends with the
    /// offer's preferred codec even when its answer lists another).
    pub(crate) recv_codecs: Vec<PayloadCodec>,
    /// Negotiated header extensions (ids valid both ways).
    pub(crate) extensions: crate::rtp::ExtensionMap,
    /// The remote's signalled SSRCs for this section (a=ssrc), and its rids.
    pub(crate) remote_ssrcs: Vec<u32>,
    pub(crate) remote_rids: Vec<String>,
    /// The remote's RTX pairs (primary, rtx) from its FID groups.
    pub(crate) remote_rtx: Vec<(u32, u32)>,
    /// The simulcast streams we ask to receive when we offer ([`TransceiverInit::receive_rids`]).
    pub(crate) recv_rids: Vec<String>,
    /// What received packets become.
    pub(crate) receive_mode: ReceiveMode,
    /// The remote's msid (stream ids, track id), for ontrack.
    pub(crate) remote_streams: Vec<String>,
    pub(crate) remote_track_id: Option<String>,
    /// Event::Track was fired for the current receiving state.
    pub(crate) track_fired: bool,
    pub(crate) transaction_id: u64,
    /// RTCP feedback negotiated: PLI, FIR, NACK, transport-cc.
    pub(crate) fb_pli: bool,
    pub(crate) fb_fir: bool,
    pub(crate) rtcp_rsize: bool,
}

impl TransceiverState {
    /// Whether the negotiated direction lets us send.
    pub(crate) fn can_send(&self) -> bool {
        !self.stopped
            && matches!(
                self.current_direction,
                Some(Direction::SendRecv | Direction::SendOnly)
            )
    }

    /// Whether the negotiated direction lets us receive.
    pub(crate) fn can_receive(&self) -> bool {
        !self.stopped
            && matches!(
                self.current_direction,
                Some(Direction::SendRecv | Direction::RecvOnly)
            )
    }

    /// The codec of a payload type we send with.
    pub(crate) fn codec(&self, pt: u8) -> Option<&Codec> {
        self.codecs
            .iter()
            .find(|c| c.payload_type == pt)
            .map(|c| &c.codec)
    }

    /// The codec of a payload type we receive.
    pub(crate) fn recv_codec(&self, pt: u8) -> Option<&Codec> {
        self.recv_codecs
            .iter()
            .chain(&self.codecs)
            .find(|c| c.payload_type == pt)
            .map(|c| &c.codec)
    }
}

/// A read-only view of a transceiver (W3C `RTCRtpTransceiver` attributes).
#[derive(Debug, Clone, Copy)]
pub struct Transceiver<'a> {
    pub(crate) state: &'a TransceiverState,
}

impl<'a> Transceiver<'a> {
    /// The handle.
    pub fn id(&self) -> TransceiverId {
        self.state.id
    }

    /// Audio or video.
    pub fn kind(&self) -> MediaKind {
        self.state.kind
    }

    /// W3C `mid`: null until an offer or answer with this transceiver was applied.
    pub fn mid(&self) -> Option<&'a str> {
        self.state.mid.as_deref()
    }

    /// W3C `direction` (what the application asked for).
    pub fn direction(&self) -> Direction {
        self.state.direction
    }

    /// W3C `currentDirection`: what the last answer negotiated (None before, and once stopped).
    pub fn current_direction(&self) -> Option<Direction> {
        if self.state.stopped {
            None
        } else {
            self.state.current_direction
        }
    }

    /// W3C `stopped` (stopping counts: the section is rejected at the next negotiation).
    pub fn is_stopped(&self) -> bool {
        self.state.stopped || self.state.stopping
    }

    /// The sender's track (W3C `sender.track`).
    pub fn track(&self) -> Option<&'a TrackInfo> {
        self.state.track.as_ref()
    }

    /// The negotiated codecs, payload types valid in both directions.
    pub fn codecs(&self) -> &'a [PayloadCodec] {
        &self.state.codecs
    }

    /// Our SSRC for the first encoding (once the transceiver sends), and its RTX SSRC.
    pub fn ssrc(&self) -> Option<(u32, Option<u32>)> {
        self.state.send.first().map(|s| (s.ssrc, s.rtx_ssrc))
    }

    /// What the application receives on it ([`crate::Peer::set_receive_mode`]).
    pub fn receive_mode(&self) -> ReceiveMode {
        self.state.receive_mode
    }

    /// The rids the remote sends (simulcast), in its order.
    pub fn remote_rids(&self) -> &'a [String] {
        &self.state.remote_rids
    }
}

/// W3C rid syntax (RFC 8851 §10: `rid-id = 1*(alpha-numeric / "-" / "_")`), at most 16 bytes
/// as browsers enforce (and our inline RID extension stores).
pub(crate) fn valid_rid(rid: &str) -> bool {
    !rid.is_empty()
        && rid.len() <= 16
        && rid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// W3C addTransceiver step "validate sendEncodings".
pub(crate) fn check_encodings(encodings: &[SendEncoding]) -> Result<(), MediaError> {
    if encodings.len() > 1 && encodings.iter().any(|e| e.rid.is_none()) {
        return Err(MediaError::InvalidEncodings(
            "every encoding needs a rid when there are several",
        ));
    }
    for (i, e) in encodings.iter().enumerate() {
        if let Some(r) = &e.rid {
            if !valid_rid(r) {
                return Err(MediaError::InvalidEncodings("malformed rid"));
            }
            if encodings[..i].iter().any(|o| o.rid.as_ref() == Some(r)) {
                return Err(MediaError::InvalidEncodings("rid used twice"));
            }
        }
        if e.scale_resolution_down_by
            .is_some_and(|s| s.is_nan() || s < 1.0)
        {
            return Err(MediaError::InvalidEncodings(
                "scaleResolutionDownBy below 1",
            ));
        }
        if e.max_framerate.is_some_and(|f| f.is_nan() || f < 0.0) {
            return Err(MediaError::InvalidEncodings("negative maxFramerate"));
        }
    }
    Ok(())
}

/// [`TransceiverInit::receive_rids`]: RFC 8851 §10 syntax, each once, at most
/// [`crate::sdp::media::MAX_SIMULCAST_STREAMS`].
pub(crate) fn check_receive_rids(rids: &[String]) -> Result<(), MediaError> {
    if rids.len() > crate::sdp::media::MAX_SIMULCAST_STREAMS {
        return Err(MediaError::InvalidEncodings("too many receive rids"));
    }
    for (i, r) in rids.iter().enumerate() {
        if !valid_rid(r) {
            return Err(MediaError::InvalidEncodings("malformed receive rid"));
        }
        if rids[..i].contains(r) {
            return Err(MediaError::InvalidEncodings("receive rid used twice"));
        }
    }
    Ok(())
}

/// W3C setParameters checks: same number of encodings, same rids, the last transaction.
pub(crate) fn check_parameters_change(
    old: &[SendEncoding],
    new: &[SendEncoding],
) -> Result<(), MediaError> {
    if old.len() != new.len() {
        return Err(MediaError::InvalidModification(
            "the number of encodings cannot change",
        ));
    }
    if old.iter().zip(new).any(|(a, b)| a.rid != b.rid) {
        return Err(MediaError::InvalidModification("rids cannot change"));
    }
    check_encodings(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_rules() {
        assert!(check_encodings(&[SendEncoding::default()]).is_ok());
        assert!(
            check_encodings(&[SendEncoding::with_rid("h"), SendEncoding::with_rid("l")]).is_ok()
        );
        assert_eq!(
            check_encodings(&[SendEncoding::with_rid("h"), SendEncoding::default()]),
            Err(MediaError::InvalidEncodings(
                "every encoding needs a rid when there are several"
            ))
        );
        assert!(
            check_encodings(&[SendEncoding::with_rid("h"), SendEncoding::with_rid("h")]).is_err()
        );
        assert!(check_encodings(&[SendEncoding::with_rid("a b")]).is_err());
        let small = SendEncoding {
            scale_resolution_down_by: Some(0.5),
            ..SendEncoding::default()
        };
        assert!(check_encodings(&[small]).is_err());
    }

    #[test]
    fn parameters_change_rules() {
        let old = vec![SendEncoding::with_rid("h"), SendEncoding::with_rid("l")];
        let mut new = old.clone();
        new[1].active = false;
        assert!(check_parameters_change(&old, &new).is_ok());
        new[1].rid = Some("m".into());
        assert!(matches!(
            check_parameters_change(&old, &new),
            Err(MediaError::InvalidModification(_))
        ));
        assert!(check_parameters_change(&old, &old[..1]).is_err());
    }
}

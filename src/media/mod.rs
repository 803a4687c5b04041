//! Media in the peer (RFC 8834, RFC 8843, JSEP RFC 9429): transceivers, codec negotiation,
//! the SSRC table, RTP in and out, and the RTCP a real call needs (reports, keyframe requests).
//!
//! - [`codec`]: codecs as SDP describes them and the offer/answer rules that match them
//!   (RFC 6184 §8.2.2 for H.264, VP9 and AV1 profiles, RTX `apt`).
//! - [`report`]: RFC 3550 statistics and reports: receive statistics per SSRC (loss, jitter,
//!   extended sequence numbers), sender reports, round-trip time, and the report schedule.

pub mod codec;
pub mod report;
pub mod transceiver;

pub use transceiver::{
    MediaError, Priority, ReceiveMode, SendEncoding, SendParameters, TrackInfo, Transceiver,
    TransceiverId, TransceiverInit,
};

/// The kind of a media section or track (W3C `MediaStreamTrack.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MediaKind {
    /// `audio`
    Audio,
    /// `video`
    Video,
}

impl MediaKind {
    /// The SDP media type and W3C kind: `audio` or `video`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Audio => "audio",
            Self::Video => "video",
        }
    }

    /// `audio` or `video` (an `m=` line's media type); anything else is not media.
    pub fn from_sdp(media: &str) -> Option<Self> {
        match media {
            "audio" => Some(Self::Audio),
            "video" => Some(Self::Video),
            _ => None,
        }
    }
}

impl std::fmt::Display for MediaKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

//! RTP (RFC 3550): the header as a zero-copy view and as a value, header extensions (RFC 8285)
//! and the typed extensions WebRTC negotiates.
//!
//! - [`RtpView`] / [`RtpHeader`]: the fixed header, CSRCs, extension block and padding of
//!   RFC 3550 §5.1 and §5.3.1. The view checks everything once and never allocates; the value
//!   owns its fields and writes straight into a caller's buffer.
//! - [`ExtensionBlock`] / [`Extensions`]: the one-byte (§4.2) and two-byte (§4.3) forms of
//!   RFC 8285, and `extmap-allow-mixed` (§4.1.2, §6) on the writing side.
//! - [`ExtensionMap`] / [`ExtensionKind`]: negotiated ids (RFC 8285 §5) and the URIs of the kinds
//!   this crate understands. Anything else stays raw, by id.
//! - Typed values ([`Mid`], [`Rid`], [`RepairedRid`], [`AbsSendTime`], [`TransportCc`],
//!   [`AudioLevel`], [`VideoOrientation`], [`PlayoutDelay`], [`AbsCaptureTime`],
//!   [`TransmissionOffset`]) and the AV1 dependency descriptor ([`DependencyDescriptor`],
//!   AV1 RTP specification Appendix A).
//! - Sequence numbers and timestamps: unwrapping to 64 bits ([`SeqExtender`],
//!   [`TimestampExtender`]), the RFC 3550 §A.1 source validation ([`SourceSequence`]) and media
//!   clock conversions.
//! - [`is_rtcp`] / [`is_rtp`]: RFC 5761 §4 multiplexing on top of RFC 7983's first-byte ranges.

mod dd;
mod ext;
mod ext_types;
mod header;
pub(crate) mod seq;
#[cfg(test)]
mod tests;

pub use dd::{
    DdError, DdMandatory, DdReader, DependencyDescriptor, DependencyStructure, Dti,
    FrameDependency, FrameTemplate, MAX_CHAINS, MAX_DD_LEN, MAX_DECODE_TARGETS, MAX_SPATIAL_LAYERS,
    MAX_TEMPLATES, MAX_TEMPORAL_LAYERS, RenderResolution,
};
pub use ext::{
    ExtensionBlock, ExtensionError, ExtensionForm, ExtensionIter, ExtensionKind, ExtensionMap,
    Extensions, ONE_BYTE_PROFILE, TWO_BYTE_PROFILE,
};
pub use ext_types::{
    AbsCaptureTime, AbsSendTime, AudioLevel, CameraDirection, FeedbackRequest, Mid, PlayoutDelay,
    RepairedRid, Rid, Rotation, TransmissionOffset, TransportCc, TypedExtension, VideoOrientation,
};
pub use header::{Csrcs, FIXED_HEADER_LEN, MAX_CSRCS, RTP_VERSION, RtpError, RtpHeader, RtpView};
pub use seq::{
    MAX_DROPOUT, MAX_MISORDER, MIN_SEQUENTIAL, SeqExtender, SourceSequence, TimestampExtender,
    duration_to_ticks, ticks_to_duration, timestamp_diff,
};

/// Whether a datagram in the RTP/RTCP range is RTCP.
///
/// RFC 7983 §7 puts RTP and RTCP at first bytes 128..=191 (version 2); RFC 5761 §4 tells them
/// apart by the second byte: RTCP packet types 192..=223 are, with the top bit masked as an RTP
/// marker would be, 64..=95, which RFC 5761 §4 keeps free of RTP payload types. This agrees with
/// [`crate::net::PacketKind::of`], which returns `Rtp` for both.
pub fn is_rtcp(packet: &[u8]) -> bool {
    match packet {
        [first, second, ..] => matches!(first, 128..=191) && matches!(second & 0x7F, 64..=95),
        _ => false,
    }
}

/// Whether a datagram is RTP: first byte 128..=191 (RFC 7983 §7) and not RTCP by RFC 5761 §4.
/// Only the demultiplexing bytes are looked at; [`RtpView::parse`] checks the rest.
pub fn is_rtp(packet: &[u8]) -> bool {
    match packet {
        [first, second, ..] => matches!(first, 128..=191) && !matches!(second & 0x7F, 64..=95),
        _ => false,
    }
}

//! Datagrams in and out, and the first-byte demultiplexer of RFC 7983 as updated by RFC 9443.
//!
//! WebRTC multiplexes STUN, DTLS, TURN ChannelData and SRTP/SRTCP on one 5-tuple. RFC 9443 §3
//! (updating RFC 7983 §7) assigns the first byte of the datagram:
//!
//! | first byte | protocol |
//! |---|---|
//! | 0–3 | STUN |
//! | 16–19 | ZRTP |
//! | 20–63 | DTLS |
//! | 64–79 | TURN ChannelData |
//! | 80–127 | QUIC (not spoken here) |
//! | 128–191 | RTP / RTCP |
//!
//! Anything else has no owner and is dropped (and counted by the caller).

use bytes::{Bytes, BytesMut};
use std::fmt;
use std::net::SocketAddr;

/// The transport a datagram travels on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// Plain UDP.
    Udp,
    /// TCP with RFC 4571 framing (ICE-TCP, TURN over TCP).
    Tcp,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Udp => "udp",
            Protocol::Tcp => "tcp",
        })
    }
}

/// A received datagram, borrowed from the caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram<'a> {
    /// Where it came from (the remote address as the local socket saw it).
    pub source: SocketAddr,
    /// The local address it arrived on.
    pub destination: SocketAddr,
    /// The transport.
    pub protocol: Protocol,
    /// The payload.
    pub contents: &'a [u8],
}

/// A received datagram in a buffer the receiver may keep (see `Peer::handle_receive_buf`):
/// DTLS records are opened inside it and data channel messages handed out as slices of it, so
/// the payload is never copied. A driver typically reads into one large `BytesMut` and splits
/// each datagram off it (`split_to`), as quinn does, so that the buffers come back to it once
/// the messages cut from them are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatagramBuf {
    /// Where it came from (the remote address as the local socket saw it).
    pub source: SocketAddr,
    /// The local address it arrived on.
    pub destination: SocketAddr,
    /// The transport.
    pub protocol: Protocol,
    /// The payload.
    pub contents: BytesMut,
}

impl DatagramBuf {
    /// Borrows it as a [`Datagram`].
    pub fn as_datagram(&self) -> Datagram<'_> {
        Datagram {
            source: self.source,
            destination: self.destination,
            protocol: self.protocol,
            contents: &self.contents,
        }
    }
}

/// A datagram to send, owned.
///
/// `source` names the local address to send from: ICE picks the socket, so a driver with several
/// sockets must honour it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The local address to send from.
    pub source: SocketAddr,
    /// The remote address to send to.
    pub destination: SocketAddr,
    /// The transport.
    pub protocol: Protocol,
    /// The payload.
    pub contents: Bytes,
}

/// Where a datagram [`Peer::poll_transmit_into`](crate::Peer::poll_transmit_into) appended to
/// the caller's buffer goes: a [`Transmit`] whose contents are the buffer's last `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransmitMeta {
    /// The local address to send from.
    pub source: SocketAddr,
    /// The remote address to send to.
    pub destination: SocketAddr,
    /// The transport.
    pub protocol: Protocol,
    /// Bytes appended: the datagram.
    pub len: usize,
}

impl Transmit {
    /// Borrows this transmit as the datagram the destination will receive (for tests and
    /// loopback drivers with no address translation in between).
    pub fn as_datagram(&self) -> Datagram<'_> {
        Datagram {
            source: self.source,
            destination: self.destination,
            protocol: self.protocol,
            contents: &self.contents,
        }
    }
}

/// What a datagram carries, by its first byte (RFC 9443 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PacketKind {
    /// STUN (RFC 8489), first byte 0–3.
    Stun,
    /// ZRTP (RFC 6189), first byte 16–19. Recognised so it can be counted; not spoken.
    Zrtp,
    /// DTLS record (RFC 9147), first byte 20–63.
    Dtls,
    /// TURN ChannelData (RFC 8656 §12), first byte 64–79.
    ChannelData,
    /// RTP or RTCP (RFC 5761 tells them apart by the second byte), first byte 128–191.
    Rtp,
}

/// Why a datagram has no [`PacketKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DemuxError {
    /// A zero-length datagram.
    #[error("empty datagram")]
    Empty,
    /// QUIC's range (RFC 9443 §3: 80–127); sansrtc does not speak QUIC.
    #[error("QUIC packet (first byte {0}) not supported")]
    Quic(u8),
    /// A first byte no protocol owns (4–15, 192–255).
    #[error("no protocol owns first byte {0}")]
    Unassigned(u8),
}

impl PacketKind {
    /// Classifies a datagram by its first byte (RFC 7983 §7, RFC 9443 §3).
    #[inline]
    pub fn of(contents: &[u8]) -> Result<PacketKind, DemuxError> {
        let Some(&b) = contents.first() else {
            return Err(DemuxError::Empty);
        };
        match b {
            0..=3 => Ok(PacketKind::Stun),
            16..=19 => Ok(PacketKind::Zrtp),
            20..=63 => Ok(PacketKind::Dtls),
            64..=79 => Ok(PacketKind::ChannelData),
            80..=127 => Err(DemuxError::Quic(b)),
            128..=191 => Ok(PacketKind::Rtp),
            4..=15 | 192..=255 => Err(DemuxError::Unassigned(b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(b: u8) -> Result<PacketKind, DemuxError> {
        PacketKind::of(&[b, 0, 0, 0])
    }

    #[test]
    fn every_range_and_boundary() {
        use PacketKind::*;
        assert_eq!(PacketKind::of(&[]), Err(DemuxError::Empty));
        // STUN 0..=3
        assert_eq!(kind(0), Ok(Stun));
        assert_eq!(kind(3), Ok(Stun));
        assert_eq!(kind(4), Err(DemuxError::Unassigned(4)));
        assert_eq!(kind(15), Err(DemuxError::Unassigned(15)));
        // ZRTP 16..=19
        assert_eq!(kind(16), Ok(Zrtp));
        assert_eq!(kind(19), Ok(Zrtp));
        // DTLS 20..=63
        assert_eq!(kind(20), Ok(Dtls));
        assert_eq!(kind(63), Ok(Dtls));
        // TURN channel 64..=79
        assert_eq!(kind(64), Ok(ChannelData));
        assert_eq!(kind(79), Ok(ChannelData));
        // QUIC 80..=127 (RFC 9443)
        assert_eq!(kind(80), Err(DemuxError::Quic(80)));
        assert_eq!(kind(127), Err(DemuxError::Quic(127)));
        // RTP/RTCP 128..=191
        assert_eq!(kind(128), Ok(Rtp));
        assert_eq!(kind(191), Ok(Rtp));
        assert_eq!(kind(192), Err(DemuxError::Unassigned(192)));
        assert_eq!(kind(255), Err(DemuxError::Unassigned(255)));
    }

    #[test]
    fn every_byte_is_classified_consistently() {
        let owned = (0u8..=255).filter(|b| kind(*b).is_ok()).count();
        // 4 STUN + 4 ZRTP + 44 DTLS + 16 TURN + 64 RTP.
        assert_eq!(owned, 4 + 4 + 44 + 16 + 64);
    }

    #[test]
    fn transmit_as_datagram() {
        let t = Transmit {
            source: "1.2.3.4:5".parse().unwrap(),
            destination: "5.6.7.8:9".parse().unwrap(),
            protocol: Protocol::Udp,
            contents: Bytes::from_static(b"\x00\x01"),
        };
        let d = t.as_datagram();
        assert_eq!(d.contents, b"\x00\x01");
        assert_eq!(d.source, t.source);
        assert_eq!(Protocol::Tcp.to_string(), "tcp");
    }
}

//! # sansrtc
//!
//! A WebRTC stack as a pure sans-IO state machine, and `sim`, the deterministic network
//! simulator it is proven in.
//!
//! ## The driver contract
//!
//! Every component of this crate has the same shape: input goes in through `handle_*` methods
//! that take the current time as an argument, output comes out of `poll_*` methods:
//!
//! ```text
//! handle_receive(now, datagram)         a datagram arrived
//! handle_timeout(now)                   the deadline from poll_timeout has passed
//! poll_transmit(now) -> Option<Transmit>  what to send, now
//! poll_timeout()     -> Option<Instant>
//! poll_event()       -> Option<Event>
//! ```
//!
//! Commands (`send_text`, `create_data_channel`, `add_local_address`, …) take no time. What a
//! command starts is timed from the next call that carries one: a driver calls
//! `poll_transmit(now)` with the current time after its commands, as after every `handle_*`,
//! until it returns `None`, then waits for `poll_timeout` or a datagram. So a timer (SCTP's
//! retransmission timer, a DTLS flight's, a STUN transaction's) never starts from a time older
//! than the moment the packet it guards could leave, and a message's lifetime
//! (`max_packet_life_time`) starts at the time given right after its `send`: however long the
//! peer sat idle before the command. Any call order is valid.
//!
//! The crate never reads a clock, never draws ambient randomness, never spawns a thread and
//! never touches a socket. Time enters only as `now: Instant`; randomness only from a seeded
//! [`rng::RngRoot`], split into one stream per layer. The same seed and the same inputs give the
//! same bytes out, every time: that is what makes [`sim`] replays and fuzzing useful.
//!
//! ## A run loop over a real socket
//!
//! One `UdpSocket`, blocking with a read timeout (a mio or tokio driver has the same three
//! steps: send what `poll_transmit` gives, handle what `poll_event` gives, wait for a datagram
//! or `poll_timeout`). Datagrams are read into one `BytesMut` and handed over by value, so the
//! peer opens them in place and messages arrive as slices of them:
//!
//! ```no_run
//! use bytes::BytesMut;
//! use sansrtc::sdp::SdpType;
//! use sansrtc::{DatagramBuf, Event, Peer, PeerConfig, Protocol};
//! use std::io::ErrorKind;
//! use std::net::{SocketAddr, UdpSocket};
//! use std::time::{Duration, Instant};
//!
//! /// Answers `offer` (SDP text from your signaling) on one socket bound to `bind`, an address
//! /// the remote can reach (it becomes our host candidate), and echoes every message.
//! fn serve(bind: SocketAddr, offer: &str, send_answer: impl FnOnce(String)) -> std::io::Result<()> {
//!     let socket = UdpSocket::bind(bind)?;
//!     let local = socket.local_addr()?;
//!     let mut peer = Peer::new(PeerConfig::new(), Instant::now()); // seeded from the OS
//!     peer.add_local_address(local);
//!     peer.set_remote_sdp(SdpType::Offer, offer).expect("a valid offer");
//!     let answer = peer.create_answer().expect("an answer");
//!     peer.set_local_description(answer.clone()).expect("our own answer");
//!     send_answer(answer.sdp.to_string());
//!
//!     let mut rx = BytesMut::with_capacity(64 * 1024); // datagrams are split off this
//!     loop {
//!         // Everything the peer wants sent, from the socket ICE chose (`t.source`: here our one).
//!         while let Some(t) = peer.poll_transmit(Instant::now()) {
//!             socket.send_to(&t.contents, t.destination)?;
//!         }
//!         // Everything it has to say.
//!         while let Some(e) = peer.poll_event() {
//!             match e {
//!                 Event::ChannelMessage(m) => {
//!                     let _ = peer.send_binary(m.id, m.data); // echo, no copy
//!                 }
//!                 Event::Failed(reason) => return Err(std::io::Error::other(format!("{reason:?}"))),
//!                 _ => {}
//!             }
//!         }
//!         // Sleep until a datagram arrives or the next deadline passes.
//!         let now = Instant::now();
//!         let wait = peer
//!             .poll_timeout()
//!             .map_or(Duration::from_millis(100), |t| t.saturating_duration_since(now));
//!         socket.set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
//!         rx.reserve(2048);
//!         rx.resize(2048, 0);
//!         match socket.recv_from(&mut rx) {
//!             Ok((n, source)) => {
//!                 let contents = rx.split_to(n);
//!                 rx.clear();
//!                 let d = DatagramBuf { source, destination: local, protocol: Protocol::Udp, contents };
//!                 peer.handle_receive_buf(Instant::now(), d);
//!             }
//!             Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => rx.clear(),
//!             Err(e) => return Err(e),
//!         }
//!         peer.handle_timeout(Instant::now());
//!     }
//! }
//! ```
//!
//! ## What is here so far
//!
//! - [`Peer`]: the RTCPeerConnection: JSEP offer/answer, ICE, DTLS, SCTP and data channels in one
//!   sans-IO type ([`PeerConfig`] in, [`Event`]s out). Start here; the README has a complete run
//!   loop.
//! - [`channel`]: DCEP (RFC 8832), channel options and the message PPIDs (RFC 8831).
//! - [`turn`]: the TURN client the `Peer` uses for relayed candidates, a sans-IO TURN server
//!   (RFC 8656), ChannelData and time-limited REST credentials.
//! - [`net`]: datagrams in and out, and the RFC 7983 / RFC 9443 first-byte demultiplexer.
//! - [`stun`]: the STUN codec (RFC 8489) and a Binding server.
//! - [`ice`]: the ICE agent (RFC 8445, trickle, consent freshness, ICE-lite).
//! - [`sdp`]: the SDP codec (RFC 8866) and JSEP offer/answer states (RFC 9429).
//! - [`dtls`]: our DTLS 1.2 over the selected path, certificates and fingerprint checks.
//! - [`sctp`]: the SCTP association for data channels (RFC 9260 over DTLS, RFC 8261), with
//!   partial reliability, stream reset, I-DATA and zero checksum.
//! - [`sim`]: hosts, links, NATs (RFC 4787), virtual time, a hashable trace.
//! - [`rng`]: the seeded randomness every layer draws from.
//! - [`stats`]: the W3C webrtc-stats report.
//!
//! ## Errors and panics
//!
//! Malformed or unauthenticated input is dropped and counted, never an `Err` and never a panic.
//! Caller mistakes are `Err`s from the command. A panic means a broken internal invariant: a bug,
//! and every `expect` in the crate names the invariant it relies on.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

pub mod channel;
pub mod config;
pub mod dtls;
pub mod event;
pub mod ice;
pub mod media;
pub mod net;
pub mod peer;
pub mod rng;
pub mod rtcp;
pub mod rtp;
pub mod sctp;
pub mod sdp;
pub mod sim;
pub mod srtp;
pub mod stats;
pub mod stun;
pub(crate) mod time;
pub mod turn;

#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;

#[cfg(feature = "serde")]
mod serde_impl;
#[cfg(test)]
mod test_util;
mod vecmap;

pub use channel::{ChannelId, ChannelOptions};
pub use config::{IceTransportPolicy, PeerConfig, PeerLimits, PeerSeed};
pub use event::{
    ChannelCloseReason, ChannelMessage, ChannelState, Event, IceCandidateError, IceCandidateInit,
    IceGatheringState, PeerConnectionState, PeerFailure,
};
pub use net::{Datagram, DatagramBuf, PacketKind, Protocol, Transmit, TransmitMeta};
pub use peer::{
    CandidateError, ChannelError, KeyframeRequestKind, MediaDrops, Peer, PeerDrops, PeerStats,
    RtpOut, RtpPacket,
};

/// The README's code blocks, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

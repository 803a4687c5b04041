//! [`PeerConfig`]: everything a [`crate::Peer`] is built from.

use crate::dtls::{Certificate, DtlsConfig, DtlsContext};
use crate::ice::IceConfig;
use crate::sctp::SctpConfig;
use crate::sdp::Setup;
use crate::turn::TurnConfig;
use std::net::SocketAddr;
use std::sync::Arc;

/// Limits that bound what a remote peer (or a careless application) can make a [`crate::Peer`]
/// hold. Past a limit the input is dropped and counted in [`crate::PeerStats`]; the connection
/// stays up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerLimits {
    /// Most data channels open at once, local and remote together (default 1024). A remote
    /// DATA_CHANNEL_OPEN past it is refused by resetting its stream.
    pub max_channels: usize,
    /// Largest message we receive, advertised as `a=max-message-size` (RFC 8841 §6; default
    /// 256 KiB). Larger messages are discarded by SCTP and counted.
    pub max_message_bytes: usize,
    /// Bytes queued for sending across all channels (W3C `bufferedAmount` summed; default
    /// 16 MiB). `send` past it fails with [`crate::ChannelError::BufferFull`].
    pub max_buffered_bytes: usize,
    /// Connection and channel-state events kept for an application that does not poll (default
    /// 4096). Messages are not counted here: they wait inside SCTP, which stops acknowledging
    /// new data when its receive window is full.
    pub max_queued_events: usize,
}

impl Default for PeerLimits {
    fn default() -> Self {
        Self {
            max_channels: 1024,
            max_message_bytes: 256 * 1024,
            max_buffered_bytes: 16 << 20,
            max_queued_events: 4096,
        }
    }
}

/// W3C `RTCIceTransportPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IceTransportPolicy {
    /// Every candidate type.
    #[default]
    All,
    /// Only relayed (TURN) candidates are signalled and used: the remote never learns our
    /// addresses.
    Relay,
}

/// Where a peer's randomness comes from ([`PeerConfig::seed`], [`PeerConfig::seed_bytes`]).
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerSeed {
    /// 64 bits, for reproducible runs only (see [`PeerConfig::seed`]).
    Reproducible(u64),
    /// 256 bits of secret key material, used as the root of every stream.
    Secret([u8; 32]),
}

impl std::fmt::Debug for PeerSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Reproducible(s) => f.debug_tuple("Reproducible").field(s).finish(),
            // Never the key material.
            Self::Secret(_) => f.write_str("Secret(..)"),
        }
    }
}

/// How a [`crate::Peer`] is set up. `PeerConfig::default()` is a full ICE agent without STUN
/// servers, seeded from the operating system; [`PeerConfig::seed`] makes it reproducible.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PeerConfig {
    /// Seed of every random draw (ICE credentials, transaction ids, DTLS randoms and keys, the
    /// certificate, SCTP tags): the same seed and inputs give the same bytes. `None` (the
    /// default, for real calls) draws 256 bits once from the operating system in
    /// [`crate::Peer::new`].
    pub seed: Option<PeerSeed>,
    /// STUN servers for server-reflexive candidates (addresses: a sans-IO peer resolves no
    /// names).
    pub stun_servers: Vec<SocketAddr>,
    /// TURN servers (RFC 8656): each gives a relayed candidate per local address of its family.
    pub turn_servers: Vec<TurnConfig>,
    /// W3C `iceTransportPolicy`.
    pub ice_transport_policy: IceTransportPolicy,
    /// Our DTLS certificate; generated from the seed when `None` (one P-256 key per peer).
    pub certificate: Option<Certificate>,
    /// Be an ICE-lite agent (RFC 8445 §2.5): host candidates only, always controlled.
    pub ice_lite: bool,
    /// `a=setup` when answering (`Active`, the DTLS client, by default as browsers do).
    pub answer_setup: Option<Setup>,
    /// ICE timings and limits (the role and lite flag are set by the peer).
    pub ice: IceConfig,
    /// DTLS options.
    pub dtls: DtlsConfig,
    /// A DTLS context shared by many peers (today only the configuration: building one costs
    /// nothing, there is no provider self-test to amortise). Built from `dtls` when `None`.
    pub dtls_context: Option<Arc<DtlsContext>>,
    /// SCTP settings (ports and message sizes are filled in from the descriptions and
    /// [`PeerLimits`]).
    pub sctp: SctpConfig,
    /// Limits against bad input.
    pub limits: PeerLimits,
}

impl PeerConfig {
    /// The default configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// Seeds all randomness from 64 bits, so that runs replay byte for byte: **for reproducible
    /// runs only** (simulation, tests, fuzzing, bug reports). 64 bits can be searched, and every
    /// secret of the peer (its DTLS private key and ECDHE shares, its ICE password, its SCTP
    /// cookie secret) follows from them: a real call leaves the seed unset (256 bits from the
    /// operating system) or uses [`PeerConfig::seed_bytes`].
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(PeerSeed::Reproducible(seed));
        self
    }

    /// Seeds all randomness from 256 bits of secret key material (from a key store, or a
    /// generator of your own): as strong as the operating system's seeding, and reproducible by
    /// whoever holds the bytes.
    pub fn seed_bytes(mut self, seed: [u8; 32]) -> Self {
        self.seed = Some(PeerSeed::Secret(seed));
        self
    }

    /// Adds a STUN server.
    pub fn stun_server(mut self, server: SocketAddr) -> Self {
        self.stun_servers.push(server);
        self
    }

    /// Adds a TURN server.
    pub fn turn_server(mut self, server: TurnConfig) -> Self {
        self.turn_servers.push(server);
        self
    }

    /// Sets the ICE transport policy (`Relay`: TURN only).
    pub fn ice_transport_policy(mut self, policy: IceTransportPolicy) -> Self {
        self.ice_transport_policy = policy;
        self
    }

    /// Uses this certificate instead of generating one.
    pub fn certificate(mut self, certificate: Certificate) -> Self {
        self.certificate = Some(certificate);
        self
    }

    /// Makes the peer an ICE-lite agent.
    pub fn ice_lite(mut self, lite: bool) -> Self {
        self.ice_lite = lite;
        self
    }

    /// Shares a DTLS context between peers.
    pub fn dtls_context(mut self, context: Arc<DtlsContext>) -> Self {
        self.dtls_context = Some(context);
        self
    }

    /// Replaces the limits.
    pub fn limits(mut self, limits: PeerLimits) -> Self {
        self.limits = limits;
        self
    }
}

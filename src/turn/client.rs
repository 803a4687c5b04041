//! The TURN client (RFC 8656 §7–§12): one allocation on one server from one local socket.
//!
//! Allocate with long-term credentials (RFC 8489 §9.2: the 401 brings REALM and NONCE, and from
//! an RFC 8489 server PASSWORD-ALGORITHMS, in which case the key is SHA-256 and requests carry
//! MESSAGE-INTEGRITY-SHA256; otherwise MD5 and MESSAGE-INTEGRITY), 438 retried with the new
//! nonce; Refresh before the lifetime ends; a permission per peer IP (CreatePermission, refreshed
//! every 4 minutes, §9), a channel per peer (ChannelBind, refreshed every 9 minutes, §12) and
//! ChannelData once bound, Send indications before; Data indications and ChannelData in;
//! deallocation (Refresh with LIFETIME 0) on close.

use crate::net::{Datagram, Protocol, Transmit};
use crate::rng::Rng;
use crate::stun::{
    AttributeType, Class, LongTermKey, MessageView, Method, PasswordAlgorithm,
    PasswordAlgorithmKind, StunAttribute, StunMessage, TransactionId, is_stun,
    transaction::{Retransmit, RetransmitAction, RetransmitConfig},
};
use crate::turn::{CHANNEL_NUMBERS, ChannelData};
use bytes::Bytes;
use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// RFC 8656 §9: permissions last 300 s; refreshed a minute early.
const PERMISSION_REFRESH: Duration = Duration::from_secs(240);
/// RFC 8656 §12: channel bindings last 600 s; refreshed a minute early.
const CHANNEL_REFRESH: Duration = Duration::from_secs(540);
/// Datagrams held per peer while its permission is being installed.
const MAX_HELD_PER_PEER: usize = 16;
/// Most peers (permissions) one allocation keeps.
const MAX_PEERS: usize = 256;
/// Stale-nonce (438) retries per request before giving up on it.
const MAX_STALE_RETRIES: u8 = 3;

/// One TURN server and the credentials to use on it.
#[derive(Clone, PartialEq, Eq)]
pub struct TurnConfig {
    /// The server's address (UDP).
    pub server: SocketAddr,
    /// Long-term username (or a REST `expiry:user` name).
    pub username: String,
    /// Its password.
    pub password: String,
    /// Lifetime asked for (the server may shorten it; RFC 8656 §7.2: 600 s default).
    pub lifetime: Duration,
    /// Retransmission of requests.
    pub retransmit: RetransmitConfig,
}

impl std::fmt::Debug for TurnConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnConfig")
            .field("server", &self.server)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl TurnConfig {
    /// A server with long-term credentials and the default lifetime and retransmissions.
    pub fn new(
        server: SocketAddr,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            server,
            username: username.into(),
            password: password.into(),
            lifetime: Duration::from_secs(600),
            retransmit: RetransmitConfig {
                max_transmissions: 5,
                ..RetransmitConfig::default()
            },
        }
    }
}

/// Why an allocation failed or ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TurnError {
    /// No answer from the server.
    #[error("TURN server did not answer")]
    Timeout,
    /// 401 with our credentials, or no usable realm/nonce.
    #[error("TURN credentials refused (401)")]
    Unauthorized,
    /// 441 Wrong Credentials.
    #[error("TURN wrong credentials (441)")]
    WrongCredentials,
    /// 442 Unsupported Transport Protocol.
    #[error("TURN server does not relay UDP (442)")]
    UnsupportedTransport,
    /// 437 Allocation Mismatch.
    #[error("TURN allocation mismatch (437)")]
    AllocationMismatch,
    /// 486 Allocation Quota Reached.
    #[error("TURN allocation quota reached (486)")]
    QuotaReached,
    /// 508 Insufficient Capacity.
    #[error("TURN server out of capacity (508)")]
    InsufficientCapacity,
    /// Another error response.
    #[error("TURN error {0}")]
    Other(u16),
    /// The credentials are not usable (SASLprep refused the password, or the username is
    /// longer than STUN allows).
    #[error("TURN password rejected by SASLprep")]
    BadPassword,
}

impl TurnError {
    /// The STUN error code W3C's `icecandidateerror` reports for it: the server's (401, 437,
    /// 441, 442, 486, 508, ...), 701 when the server did not answer (W3C's value for a server no
    /// host candidate can reach), 401 for a password SASLprep refuses.
    pub fn code(&self) -> u16 {
        match self {
            TurnError::Timeout => 701,
            TurnError::Unauthorized | TurnError::BadPassword => 401,
            TurnError::WrongCredentials => 441,
            TurnError::UnsupportedTransport => 442,
            TurnError::AllocationMismatch => 437,
            TurnError::QuotaReached => 486,
            TurnError::InsufficientCapacity => 508,
            TurnError::Other(code) => *code,
        }
    }
}

/// What the client reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TurnEvent {
    /// The allocation exists: a relayed candidate (RFC 8445 §5.1.1.2).
    Allocated {
        /// The relayed transport address.
        relayed: SocketAddr,
        /// Our server-reflexive address as the server saw it (the candidate's related address).
        mapped: SocketAddr,
    },
    /// The allocation failed or was lost; no relayed traffic any more.
    Failed(TurnError),
}

/// What [`TurnClient::handle_receive`] made of a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnReceive {
    /// Not from our server to our socket: the caller routes it elsewhere.
    NotMine,
    /// A TURN control message or a drop (counted).
    Consumed,
    /// Data a peer sent to our relayed address.
    Data {
        /// The peer.
        peer: SocketAddr,
        /// The relayed address it was sent to.
        relayed: SocketAddr,
        /// The payload.
        data: Bytes,
    },
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TurnClientStats {
    /// Requests sent (first transmissions).
    pub requests: u64,
    /// Retransmissions.
    pub retransmissions: u64,
    /// Send indications sent.
    pub send_indications: u64,
    /// ChannelData messages sent.
    pub channel_data_sent: u64,
    /// Data indications and ChannelData received.
    pub data_received: u64,
    /// Malformed or unauthenticated messages, or data on unknown channels.
    pub dropped: u64,
    /// Outgoing datagrams dropped (no allocation, too many held, too many peers).
    pub dropped_outgoing: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TxKind {
    Allocate,
    Refresh { lifetime: u32 },
    Permission { ip: IpAddr },
    ChannelBind { channel: u16, peer: SocketAddr },
}

#[derive(Debug)]
struct Tx {
    kind: TxKind,
    retransmit: Retransmit,
    bytes: Bytes,
    stale_retries: u8,
    /// Sent before we had credentials (the first Allocate).
    authenticated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Allocating,
    Allocated,
    Failed,
    Closed,
}

#[derive(Debug, Default)]
struct Permission {
    installed_until: Option<Instant>,
    pending: bool,
    refresh_at: Option<Instant>,
    /// Datagrams waiting for the permission: (peer, data).
    held: VecDeque<(SocketAddr, Bytes)>,
}

#[derive(Debug, Clone, Copy)]
struct Channel {
    number: u16,
    bound: bool,
    pending: bool,
    refresh_at: Option<Instant>,
}

/// One allocation on one TURN server, from one local socket.
#[derive(Debug)]
pub struct TurnClient {
    config: TurnConfig,
    base: SocketAddr,
    rng: Rng,
    now: Instant,
    state: State,
    realm: Option<String>,
    nonce: Option<String>,
    key: Option<LongTermKey>,
    /// The PASSWORD-ALGORITHMS the server offered (echoed back, RFC 8489 §9.2.4), if any.
    algorithms: Option<Vec<PasswordAlgorithm>>,
    relayed: Option<SocketAddr>,
    mapped: Option<SocketAddr>,
    refresh_at: Option<Instant>,
    transactions: BTreeMap<TransactionId, Tx>,
    permissions: BTreeMap<IpAddr, Permission>,
    channels: BTreeMap<SocketAddr, Channel>,
    by_channel: BTreeMap<u16, SocketAddr>,
    next_channel: u16,
    transmits: VecDeque<Transmit>,
    events: VecDeque<TurnEvent>,
    stats: TurnClientStats,
}

impl TurnClient {
    /// A client for `config.server` from the local socket `base`; [`TurnClient::start`] sends
    /// the Allocate.
    pub fn new(config: TurnConfig, base: SocketAddr, rng: Rng, now: Instant) -> Self {
        Self {
            config,
            base,
            rng,
            now,
            state: State::Idle,
            realm: None,
            nonce: None,
            key: None,
            algorithms: None,
            relayed: None,
            mapped: None,
            refresh_at: None,
            transactions: BTreeMap::new(),
            permissions: BTreeMap::new(),
            channels: BTreeMap::new(),
            by_channel: BTreeMap::new(),
            next_channel: *CHANNEL_NUMBERS.start(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: TurnClientStats::default(),
        }
    }

    /// The server.
    pub fn server(&self) -> SocketAddr {
        self.config.server
    }

    /// The local socket the allocation is made from.
    pub fn base(&self) -> SocketAddr {
        self.base
    }

    /// The relayed address, once allocated.
    pub fn relayed(&self) -> Option<SocketAddr> {
        self.relayed.filter(|_| self.state == State::Allocated)
    }

    /// Whether the Allocate is still in progress (for end-of-candidates).
    pub fn is_allocating(&self) -> bool {
        matches!(self.state, State::Idle | State::Allocating)
    }

    /// Counters.
    pub fn stats(&self) -> TurnClientStats {
        self.stats
    }

    /// Whether a channel is bound to `peer` (ChannelData in use).
    pub fn has_channel(&self, peer: SocketAddr) -> bool {
        self.channels.get(&peer).is_some_and(|c| c.bound)
    }

    /// Whether [`TurnClient::start`] was called.
    pub fn is_started(&self) -> bool {
        self.state != State::Idle
    }

    /// Sends the first Allocate (RFC 8656 §7.1).
    pub fn start(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.state != State::Idle {
            return;
        }
        self.state = State::Allocating;
        self.request(TxKind::Allocate, 0);
    }

    /// Deallocates (RFC 8656 §7: Refresh with LIFETIME 0) and stops.
    pub fn close(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.state == State::Allocated {
            // Fire and forget: no retransmission after close.
            self.request(TxKind::Refresh { lifetime: 0 }, 0);
        }
        self.transactions.clear();
        self.state = State::Closed;
        self.refresh_at = None;
        self.permissions.clear();
        self.channels.clear();
        self.by_channel.clear();
    }

    fn fail(&mut self, e: TurnError) {
        if matches!(self.state, State::Failed | State::Closed) {
            return;
        }
        self.state = State::Failed;
        self.transactions.clear();
        self.refresh_at = None;
        self.permissions.clear();
        self.channels.clear();
        self.by_channel.clear();
        self.events.push_back(TurnEvent::Failed(e));
    }

    // ----- requests -----

    fn request(&mut self, kind: TxKind, stale_retries: u8) {
        let tid = TransactionId::random(&mut self.rng);
        let method = match kind {
            TxKind::Allocate => Method::ALLOCATE,
            TxKind::Refresh { .. } => Method::REFRESH,
            TxKind::Permission { .. } => Method::CREATE_PERMISSION,
            TxKind::ChannelBind { .. } => Method::CHANNEL_BIND,
        };
        let mut m = StunMessage::new(Class::Request, method, tid);
        match kind {
            TxKind::Allocate => {
                // RFC 8656 §7.1: UDP (17) in the protocol byte.
                m.attributes.push(StunAttribute::RequestedTransport(17));
                m.attributes.push(StunAttribute::Lifetime(
                    self.config.lifetime.as_secs().min(u64::from(u32::MAX)) as u32,
                ));
            }
            TxKind::Refresh { lifetime } => m.attributes.push(StunAttribute::Lifetime(lifetime)),
            TxKind::Permission { ip } => m
                .attributes
                .push(StunAttribute::XorPeerAddress(SocketAddr::new(ip, 0))),
            TxKind::ChannelBind { channel, peer } => {
                m.attributes.push(StunAttribute::ChannelNumber(channel));
                m.attributes.push(StunAttribute::XorPeerAddress(peer));
            }
        }
        let authenticated = self.key.is_some();
        let bytes = self.finish(m);
        self.stats.requests += 1;
        self.transactions.insert(
            tid,
            Tx {
                kind,
                retransmit: Retransmit::new(self.now, self.config.retransmit),
                bytes: bytes.clone(),
                stale_retries,
                authenticated,
            },
        );
        self.push(bytes);
    }

    /// Adds the long-term credential attributes and integrity (RFC 8489 §9.2.4), once known.
    fn finish(&self, mut m: StunMessage) -> Bytes {
        let Some(key) = &self.key else {
            return Bytes::from(m.to_bytes().expect("invariant: TURN requests carry bounded attributes (username <= 512 bytes, realm and nonce <= 763)"));
        };
        m.attributes
            .push(StunAttribute::Username(self.config.username.clone()));
        m.attributes
            .push(StunAttribute::Realm(self.realm.clone().unwrap_or_default()));
        m.attributes
            .push(StunAttribute::Nonce(self.nonce.clone().unwrap_or_default()));
        match &self.algorithms {
            Some(offered) => {
                m.attributes
                    .push(StunAttribute::PasswordAlgorithms(offered.clone()));
                m.attributes
                    .push(StunAttribute::PasswordAlgorithm(PasswordAlgorithm {
                        algorithm: self.algorithm().number(),
                        parameters: Vec::new(),
                    }));
                m.attributes
                    .push(StunAttribute::MessageIntegritySha256(vec![0; 32]));
            }
            None => m.attributes.push(StunAttribute::MessageIntegrity([0; 20])),
        }
        Bytes::from(m.to_bytes_with_key(key.as_bytes()).expect("invariant: TURN requests carry bounded attributes (username <= 512 bytes, realm and nonce <= 763)"))
    }

    /// SHA-256 when the server offered it (RFC 8489 §9.2.4), else MD5.
    fn algorithm(&self) -> PasswordAlgorithmKind {
        match &self.algorithms {
            Some(a)
                if a.iter()
                    .any(|p| p.algorithm == PasswordAlgorithmKind::Sha256.number()) =>
            {
                PasswordAlgorithmKind::Sha256
            }
            _ => PasswordAlgorithmKind::Md5,
        }
    }

    fn push(&mut self, contents: Bytes) {
        self.transmits.push_back(Transmit {
            source: self.base,
            destination: self.config.server,
            protocol: Protocol::Udp,
            contents,
        });
    }

    // ----- data -----

    /// Sends `data` to `peer` through the relay: ChannelData once a channel is bound, a Send
    /// indication before (RFC 8656 §10–§12). The first datagram to a peer IP installs a
    /// permission (held until it is confirmed, at most 16) and binds a channel.
    pub fn send_to(&mut self, peer: SocketAddr, data: &[u8]) {
        if self.state != State::Allocated {
            self.stats.dropped_outgoing += 1;
            return;
        }
        if let Some(c) = self.channels.get(&peer)
            && c.bound
        {
            let mut out = Vec::with_capacity(4 + data.len());
            ChannelData {
                channel: c.number,
                data,
            }
            .encode(false, &mut out);
            self.stats.channel_data_sent += 1;
            self.push(Bytes::from(out));
            return;
        }
        let ip = peer.ip();
        if !self.permissions.contains_key(&ip) && self.permissions.len() >= MAX_PEERS {
            self.stats.dropped_outgoing += 1;
            return;
        }
        let perm = self.permissions.entry(ip).or_default();
        let installed = perm.installed_until.is_some();
        if !installed {
            if perm.held.len() < MAX_HELD_PER_PEER {
                perm.held.push_back((peer, Bytes::copy_from_slice(data)));
            } else {
                self.stats.dropped_outgoing += 1;
            }
            if !perm.pending {
                perm.pending = true;
                self.request(TxKind::Permission { ip }, 0);
            }
        } else {
            self.send_indication(peer, data);
        }
        self.ensure_channel(peer);
    }

    fn send_indication(&mut self, peer: SocketAddr, data: &[u8]) {
        let tid = TransactionId::random(&mut self.rng);
        let mut m = StunMessage::new(Class::Indication, Method::SEND, tid);
        m.attributes.push(StunAttribute::XorPeerAddress(peer));
        m.attributes
            .push(StunAttribute::Data(Bytes::copy_from_slice(data)));
        // A datagram too large for a STUN length field cannot be relayed this way.
        let Ok(b) = m.to_bytes() else {
            self.stats.dropped_outgoing += 1;
            return;
        };
        self.stats.send_indications += 1;
        self.push(Bytes::from(b));
    }

    fn ensure_channel(&mut self, peer: SocketAddr) {
        if self.channels.contains_key(&peer) {
            return;
        }
        // Channel numbers are never reused within the allocation (4096 of them).
        if !CHANNEL_NUMBERS.contains(&self.next_channel) {
            return;
        }
        let number = self.next_channel;
        self.next_channel += 1;
        self.channels.insert(
            peer,
            Channel {
                number,
                bound: false,
                pending: true,
                refresh_at: None,
            },
        );
        self.by_channel.insert(number, peer);
        self.request(
            TxKind::ChannelBind {
                channel: number,
                peer,
            },
            0,
        );
    }

    // ----- input -----

    /// A datagram arrived on our socket. Only what comes from our server is ours.
    pub fn handle_receive(&mut self, now: Instant, d: Datagram<'_>) -> TurnReceive {
        self.now = self.now.max(now);
        if d.source != self.config.server || d.destination != self.base {
            return TurnReceive::NotMine;
        }
        if matches!(self.state, State::Closed | State::Failed) {
            self.stats.dropped += 1;
            return TurnReceive::Consumed;
        }
        if !is_stun(d.contents) {
            // RFC 8656 §12.6: ChannelData from the server.
            let Ok(cd) = ChannelData::parse(d.contents) else {
                self.stats.dropped += 1;
                return TurnReceive::Consumed;
            };
            let (Some(&peer), Some(relayed)) = (self.by_channel.get(&cd.channel), self.relayed)
            else {
                self.stats.dropped += 1;
                return TurnReceive::Consumed;
            };
            self.stats.data_received += 1;
            return TurnReceive::Data {
                peer,
                relayed,
                data: Bytes::copy_from_slice(cd.data),
            };
        }
        let Ok(view) = MessageView::parse(d.contents) else {
            self.stats.dropped += 1;
            return TurnReceive::Consumed;
        };
        match view.class() {
            Class::Indication if view.method() == Method::DATA => {
                // RFC 8656 §11.6: XOR-PEER-ADDRESS and DATA; unauthenticated by design.
                let peer = match view.decode(AttributeType::XOR_PEER_ADDRESS) {
                    Some(Ok(StunAttribute::XorPeerAddress(p))) => p,
                    _ => {
                        self.stats.dropped += 1;
                        return TurnReceive::Consumed;
                    }
                };
                let data = match view.decode(AttributeType::DATA) {
                    Some(Ok(StunAttribute::Data(b))) => b,
                    _ => {
                        self.stats.dropped += 1;
                        return TurnReceive::Consumed;
                    }
                };
                // Only from peers we gave a permission: the server enforces it, we check too.
                let (true, Some(relayed)) =
                    (self.permissions.contains_key(&peer.ip()), self.relayed)
                else {
                    self.stats.dropped += 1;
                    return TurnReceive::Consumed;
                };
                self.stats.data_received += 1;
                TurnReceive::Data {
                    peer,
                    relayed,
                    data,
                }
            }
            Class::SuccessResponse | Class::ErrorResponse => {
                self.on_response(&view);
                TurnReceive::Consumed
            }
            _ => {
                self.stats.dropped += 1;
                TurnReceive::Consumed
            }
        }
    }

    fn on_response(&mut self, view: &MessageView<'_>) {
        let tid = view.transaction_id();
        let Some(tx) = self.transactions.get(&tid) else {
            self.stats.dropped += 1;
            return;
        };
        // Responses to authenticated requests must carry valid integrity (RFC 8489 §9.2.5),
        // except the 401 and 438 that tell us the credentials or the nonce no longer hold
        // (the server cannot protect those with a key it does not accept).
        let challenge = view.class() == Class::ErrorResponse
            && matches!(
                view.decode(AttributeType::ERROR_CODE),
                Some(Ok(StunAttribute::ErrorCode {
                    code: 401 | 438,
                    ..
                }))
            );
        if tx.authenticated && !challenge {
            let key = self
                .key
                .as_ref()
                .expect("invariant: authenticated implies a key");
            if view.verify_integrity(key.as_bytes()).is_err() {
                self.stats.dropped += 1;
                return;
            }
        }
        let tx = self.transactions.remove(&tid).expect("present");
        if view.class() == Class::ErrorResponse {
            let code = match view.decode(AttributeType::ERROR_CODE) {
                Some(Ok(StunAttribute::ErrorCode { code, .. })) => code,
                _ => 0,
            };
            self.on_error(view, tx, code);
            return;
        }
        match tx.kind {
            TxKind::Allocate => {
                let relayed = match view.decode(AttributeType::XOR_RELAYED_ADDRESS) {
                    Some(Ok(StunAttribute::XorRelayedAddress(a))) => a,
                    _ => return self.fail(TurnError::Other(0)),
                };
                let mapped = match view.decode(AttributeType::XOR_MAPPED_ADDRESS) {
                    Some(Ok(StunAttribute::XorMappedAddress(a))) => a,
                    _ => self.base,
                };
                let lifetime = lifetime_of(view).unwrap_or(600);
                self.relayed = Some(relayed);
                self.mapped = Some(mapped);
                self.state = State::Allocated;
                self.schedule_refresh(lifetime);
                self.events
                    .push_back(TurnEvent::Allocated { relayed, mapped });
            }
            TxKind::Refresh { lifetime: 0 } => {}
            TxKind::Refresh { .. } => {
                let lifetime = lifetime_of(view).unwrap_or(600);
                self.schedule_refresh(lifetime);
            }
            TxKind::Permission { ip } => {
                let now = self.now;
                let Some(p) = self.permissions.get_mut(&ip) else {
                    return;
                };
                p.pending = false;
                p.installed_until = Some(now + Duration::from_secs(300));
                p.refresh_at = Some(now + PERMISSION_REFRESH);
                let held: Vec<_> = p.held.drain(..).collect();
                for (peer, data) in held {
                    if self.has_channel(peer) {
                        self.send_to(peer, &data);
                    } else {
                        self.send_indication(peer, &data);
                    }
                }
            }
            TxKind::ChannelBind { peer, .. } => {
                let now = self.now;
                if let Some(c) = self.channels.get_mut(&peer) {
                    c.bound = true;
                    c.pending = false;
                    c.refresh_at = Some(now + CHANNEL_REFRESH);
                }
                // RFC 8656 §12.2: a binding installs the permission too.
                let p = self.permissions.entry(peer.ip()).or_default();
                if p.installed_until.is_none() {
                    p.installed_until = Some(now + Duration::from_secs(300));
                    p.refresh_at = Some(now + PERMISSION_REFRESH);
                }
            }
        }
    }

    fn on_error(&mut self, view: &MessageView<'_>, tx: Tx, code: u16) {
        match code {
            // RFC 8489 §9.2.5: the challenge; and 438: a stale nonce, retry with the new one.
            401 | 438 => {
                let realm = match view.decode(AttributeType::REALM) {
                    Some(Ok(StunAttribute::Realm(r))) => Some(r),
                    _ => None,
                };
                let nonce = match view.decode(AttributeType::NONCE) {
                    Some(Ok(StunAttribute::Nonce(n))) => Some(n),
                    _ => None,
                };
                // A 401 to an authenticated request with a nonce we have not seen means the
                // server forgot us (restarted, rotated its secret): one more try with it.
                let fresh_nonce = nonce.is_some() && nonce != self.nonce;
                let retry = (code == 401 && !tx.authenticated)
                    || (code == 401 && fresh_nonce && tx.stale_retries < 1)
                    || (code == 438 && tx.stale_retries < MAX_STALE_RETRIES);
                let (Some(nonce), true) = (nonce, retry) else {
                    return self.request_failed(tx.kind, TurnError::Unauthorized);
                };
                if let Some(r) = realm {
                    self.realm = Some(r);
                }
                self.nonce = Some(nonce);
                if code == 401 {
                    self.algorithms = match view.decode(AttributeType::PASSWORD_ALGORITHMS) {
                        Some(Ok(StunAttribute::PasswordAlgorithms(a))) => Some(a),
                        _ => None,
                    };
                }
                if self.realm.is_none() {
                    return self.request_failed(tx.kind, TurnError::Unauthorized);
                }
                if self.config.username.len() > crate::stun::MAX_USERNAME_BYTES {
                    // RFC 8489 §14.3: USERNAME is at most 513 bytes; ours is refused here.
                    return self.fail(TurnError::BadPassword);
                }
                match LongTermKey::new(
                    self.algorithm(),
                    &self.config.username,
                    self.realm.as_deref().unwrap_or_default(),
                    &self.config.password,
                ) {
                    Ok(k) => self.key = Some(k),
                    Err(_) => return self.fail(TurnError::BadPassword),
                }
                self.request(tx.kind, tx.stale_retries + u8::from(tx.authenticated));
            }
            _ => {
                let e = match code {
                    437 => TurnError::AllocationMismatch,
                    441 => TurnError::WrongCredentials,
                    442 => TurnError::UnsupportedTransport,
                    486 => TurnError::QuotaReached,
                    508 => TurnError::InsufficientCapacity,
                    c => TurnError::Other(c),
                };
                self.request_failed(tx.kind, e);
            }
        }
    }

    /// A request failed for good: the allocation for Allocate / Refresh, the permission or the
    /// channel otherwise (the peer falls back to Send indications or is unreachable).
    fn request_failed(&mut self, kind: TxKind, e: TurnError) {
        match kind {
            TxKind::Allocate | TxKind::Refresh { .. } => self.fail(e),
            TxKind::Permission { ip } => {
                if let Some(p) = self.permissions.get_mut(&ip) {
                    p.pending = false;
                    self.stats.dropped_outgoing += p.held.len() as u64;
                    p.held.clear();
                    if p.installed_until.is_none() {
                        self.permissions.remove(&ip);
                    }
                }
            }
            TxKind::ChannelBind { peer, .. } => {
                if let Some(c) = self.channels.get_mut(&peer) {
                    c.pending = false;
                }
            }
        }
    }

    fn schedule_refresh(&mut self, lifetime: u32) {
        // Refresh a minute before the end, or at half of a short lifetime.
        let l = Duration::from_secs(u64::from(lifetime.max(1)));
        let early = l.saturating_sub(Duration::from_secs(60)).max(l / 2);
        self.refresh_at = Some(self.now + early);
    }

    // ----- driver -----

    /// Retransmits, refreshes the allocation, permissions and channels.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        let now = self.now;
        if matches!(self.state, State::Closed | State::Failed) {
            return;
        }
        let due: Vec<TransactionId> = self
            .transactions
            .iter()
            .filter(|(_, t)| t.retransmit.deadline() <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            let Some(tx) = self.transactions.get_mut(&id) else {
                continue;
            };
            match tx.retransmit.on_timeout(now) {
                RetransmitAction::Wait => {}
                RetransmitAction::Retransmit => {
                    self.stats.retransmissions += 1;
                    let b = tx.bytes.clone();
                    self.push(b);
                }
                RetransmitAction::GiveUp => {
                    let tx = self.transactions.remove(&id).expect("present");
                    self.request_failed(tx.kind, TurnError::Timeout);
                    if matches!(self.state, State::Failed | State::Closed) {
                        return;
                    }
                }
            }
        }
        if self.state != State::Allocated {
            return;
        }
        if self.refresh_at.is_some_and(|t| t <= now) {
            self.refresh_at = None;
            let lifetime = self.config.lifetime.as_secs().min(u64::from(u32::MAX)) as u32;
            self.request(TxKind::Refresh { lifetime }, 0);
        }
        let perms: Vec<IpAddr> = self
            .permissions
            .iter()
            .filter(|(_, p)| !p.pending && p.refresh_at.is_some_and(|t| t <= now))
            .map(|(ip, _)| *ip)
            .collect();
        for ip in perms {
            if let Some(p) = self.permissions.get_mut(&ip) {
                p.pending = true;
                p.refresh_at = None;
            }
            self.request(TxKind::Permission { ip }, 0);
        }
        let chans: Vec<(SocketAddr, u16)> = self
            .channels
            .iter()
            .filter(|(_, c)| !c.pending && c.refresh_at.is_some_and(|t| t <= now))
            .map(|(p, c)| (*p, c.number))
            .collect();
        for (peer, channel) in chans {
            if let Some(c) = self.channels.get_mut(&peer) {
                c.pending = true;
                c.refresh_at = None;
            }
            self.request(TxKind::ChannelBind { channel, peer }, 0);
        }
    }

    /// The next datagram to send (to the server, from our socket).
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<TurnEvent> {
        self.events.pop_front()
    }

    /// When [`TurnClient::handle_timeout`] is due next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if matches!(self.state, State::Closed | State::Failed) {
            return None;
        }
        let tx = self.transactions.values().map(|t| t.retransmit.deadline());
        let perms = self
            .permissions
            .values()
            .filter(|p| !p.pending)
            .filter_map(|p| p.refresh_at);
        let chans = self
            .channels
            .values()
            .filter(|c| !c.pending)
            .filter_map(|c| c.refresh_at);
        tx.chain(perms).chain(chans).chain(self.refresh_at).min()
    }
}

fn lifetime_of(view: &MessageView<'_>) -> Option<u32> {
    match view.decode(AttributeType::LIFETIME) {
        Some(Ok(StunAttribute::Lifetime(l))) => Some(l),
        _ => None,
    }
}

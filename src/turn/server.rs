//! A sans-IO TURN server (RFC 8656) for UDP relays: allocations, permissions, channels,
//! lifetimes, rotating nonces, quotas, long-term and REST-style (time-limited HMAC) credentials.
//!
//! It runs as a [`crate::sim::Node`] and on real sockets alike: datagrams to the listening port
//! are client traffic; datagrams to any other port of the server's addresses are peer traffic
//! for the allocation relaying on that port.
//!
//! Nonces are stateless (RFC 8489 §9.2 with the "obMatJos2" cookie and the password-algorithms
//! feature bit): a MAC over the client address and an expiry, so rotating them costs nothing and
//! a restart invalidates none that a client could not simply refresh with a 438.

use crate::net::{Datagram, Protocol, Transmit};
use crate::rng::Rng;
use crate::stun::{
    AttributeType, Class, LongTermKey, MessageView, Method, PasswordAlgorithm,
    PasswordAlgorithmKind, StunAttribute, StunMessage, TransactionId, is_stun,
};
use crate::turn::{CHANNEL_NUMBERS, ChannelData, RestCredentials, rest_password};
use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// How clients prove who they are.
#[derive(Clone, PartialEq, Eq)]
pub enum TurnCredentials {
    /// Fixed usernames and passwords.
    Static(BTreeMap<String, String>),
    /// The TURN REST convention: `expiry:user` names, passwords base64(HMAC-SHA1(secret,
    /// name)), refused after the expiry.
    Rest {
        /// The secret shared with the application server that hands out credentials.
        secret: Vec<u8>,
    },
}

impl std::fmt::Debug for TurnCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Static(m) => write!(f, "Static({} users)", m.len()),
            Self::Rest { .. } => f.write_str("Rest"),
        }
    }
}

/// Server settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnServerConfig {
    /// The port clients talk to (3478).
    pub port: u16,
    /// REALM.
    pub realm: String,
    /// Who may allocate.
    pub credentials: TurnCredentials,
    /// The Unix time (seconds) at the `now` given to [`TurnServer::new`]: REST expiries are
    /// wall-clock times and a sans-IO server reads no clock.
    pub unix_time_at_start: u64,
    /// Relayed ports are taken from this range.
    pub relay_ports: std::ops::RangeInclusive<u16>,
    /// Lifetime when the client asks for none (RFC 8656 §7.2: 600 s).
    pub default_lifetime: Duration,
    /// The longest lifetime granted (3600 s).
    pub max_lifetime: Duration,
    /// Permissions last this long (RFC 8656 §9: 300 s).
    pub permission_lifetime: Duration,
    /// Channel bindings last this long (RFC 8656 §12: 600 s).
    pub channel_lifetime: Duration,
    /// A nonce is good for this long; then the client gets a 438 and a fresh one.
    pub nonce_lifetime: Duration,
    /// Most allocations in all.
    pub max_allocations: usize,
    /// Most allocations per username.
    pub max_allocations_per_user: usize,
    /// Most permissions and channels per allocation.
    pub max_peers_per_allocation: usize,
    /// Offer SHA-256 keys and MESSAGE-INTEGRITY-SHA256 (RFC 8489 §9.2.1 PASSWORD-ALGORITHMS).
    pub password_algorithms: bool,
}

impl TurnServerConfig {
    /// A server on port 3478 in `realm` with these credentials and the RFC defaults.
    pub fn new(
        realm: impl Into<String>,
        credentials: TurnCredentials,
        unix_time_at_start: u64,
    ) -> Self {
        Self {
            port: 3478,
            realm: realm.into(),
            credentials,
            unix_time_at_start,
            relay_ports: 49152..=65535,
            default_lifetime: Duration::from_secs(600),
            max_lifetime: Duration::from_secs(3600),
            permission_lifetime: Duration::from_secs(300),
            channel_lifetime: Duration::from_secs(600),
            nonce_lifetime: Duration::from_secs(600),
            max_allocations: 10_000,
            max_allocations_per_user: 64,
            max_peers_per_allocation: 256,
            password_algorithms: true,
        }
    }
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TurnServerStats {
    /// Allocations made.
    pub allocations: u64,
    /// Allocations ended (refresh to 0 or expiry).
    pub allocations_ended: u64,
    /// Allocations that expired.
    pub allocations_expired: u64,
    /// 401 challenges and refusals.
    pub unauthorized: u64,
    /// 438 Stale Nonce answers.
    pub stale_nonces: u64,
    /// Other error responses.
    pub errors: u64,
    /// Datagrams relayed client → peer.
    pub relayed_out: u64,
    /// Datagrams relayed peer → client.
    pub relayed_in: u64,
    /// Peer datagrams dropped for want of a permission.
    pub dropped_no_permission: u64,
    /// Malformed input, or data for no allocation.
    pub dropped_malformed: u64,
    /// Responses not queued because nobody polled (bounded queue).
    pub dropped_queue_full: u64,
    /// Unauthenticated error responses (other than the 401/438 challenge) not sent because they
    /// would have been larger than the request.
    pub dropped_amplification: u64,
    /// Peer datagrams too large to relay in a Data indication (over STUN's 16-bit length).
    pub dropped_oversize: u64,
}

/// How long a repeated Allocate counts as a retransmission (a client's transaction timeout,
/// RFC 8489 §6.2.1, rounded up).
const RETRANSMISSION_WINDOW: Duration = Duration::from_secs(40);

/// Most transmits queued for `poll_transmit`.
const MAX_QUEUED: usize = 4096;
/// RFC 8489 §9.2: the nonce cookie announcing the security features, followed by the feature
/// bits (base64 of 24 bits: only "password algorithms" set).
const NONCE_COOKIE: &str = "obMatJos2";
const FEATURES_PASSWORD_ALGORITHMS: &str = "AAAB";

#[derive(Debug)]
struct Allocation {
    username: String,
    key: LongTermKey,
    /// The client used MESSAGE-INTEGRITY-SHA256 (mirror it in responses).
    sha256: bool,
    relayed: SocketAddr,
    expires: Instant,
    permissions: BTreeMap<IpAddr, Instant>,
    channels: BTreeMap<u16, (SocketAddr, Instant)>,
    peer_channels: BTreeMap<SocketAddr, u16>,
    /// The last successful Allocate (a retransmission gets the same answer, §7.2).
    allocate_tid: TransactionId,
    allocate_response: Bytes,
    allocated_at: Instant,
}

/// Client address and server address of an allocation (the 5-tuple, UDP implied).
type FiveTuple = (SocketAddr, SocketAddr);

/// A TURN server.
#[derive(Debug)]
pub struct TurnServer {
    config: TurnServerConfig,
    start: Instant,
    now: Instant,
    nonce_secret: [u8; 32],
    allocations: BTreeMap<FiveTuple, Allocation>,
    by_relayed: BTreeMap<SocketAddr, FiveTuple>,
    next_port: u16,
    queue: VecDeque<Transmit>,
    stats: TurnServerStats,
}

struct Authed {
    username: String,
    key: LongTermKey,
    sha256: bool,
}

impl TurnServer {
    /// A server; the nonce secret comes from `rng` (the server's sub-stream).
    pub fn new(config: TurnServerConfig, mut rng: Rng, now: Instant) -> Self {
        let next_port = *config.relay_ports.start();
        Self {
            nonce_secret: rng.bytes::<32>(),
            config,
            start: now,
            now,
            allocations: BTreeMap::new(),
            by_relayed: BTreeMap::new(),
            next_port,
            queue: VecDeque::new(),
            stats: TurnServerStats::default(),
        }
    }

    /// Counters.
    pub fn stats(&self) -> TurnServerStats {
        self.stats
    }

    /// Live allocations.
    pub fn allocation_count(&self) -> usize {
        self.allocations.len()
    }

    fn unix_now(&self) -> u64 {
        self.config.unix_time_at_start + (self.now - self.start).as_secs()
    }

    fn push(&mut self, t: Transmit) {
        if self.queue.len() >= MAX_QUEUED {
            self.stats.dropped_queue_full += 1;
            return;
        }
        self.queue.push_back(t);
    }

    // ----- nonces -----

    fn nonce_for(&self, client: SocketAddr) -> String {
        let expiry = (self.now - self.start + self.config.nonce_lifetime).as_secs();
        let mac = self.nonce_mac(client, expiry);
        let features = if self.config.password_algorithms {
            format!("{NONCE_COOKIE}{FEATURES_PASSWORD_ALGORITHMS}")
        } else {
            String::new()
        };
        format!("{features}{expiry:x}-{}", hex(&mac[..8]))
    }

    fn nonce_mac(&self, client: SocketAddr, expiry: u64) -> [u8; 32] {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.nonce_secret)
            .expect("invariant: HMAC takes keys of any length");
        mac.update(client.to_string().as_bytes());
        mac.update(&expiry.to_be_bytes());
        mac.finalize().into_bytes().into()
    }

    /// `None`: not ours (forged); `Some(false)`: ours but expired; `Some(true)`: good.
    fn check_nonce(&self, client: SocketAddr, nonce: &str) -> Option<bool> {
        let rest = nonce
            .strip_prefix(&format!("{NONCE_COOKIE}{FEATURES_PASSWORD_ALGORITHMS}"))
            .unwrap_or(nonce);
        let (expiry, mac) = rest.split_once('-')?;
        let expiry = u64::from_str_radix(expiry, 16).ok()?;
        if hex(&self.nonce_mac(client, expiry)[..8]) != mac {
            return None;
        }
        Some((self.now - self.start).as_secs() < expiry)
    }

    // ----- responses -----

    fn respond(
        &mut self,
        d: &Datagram<'_>,
        view: &MessageView<'_>,
        class: Class,
        attributes: Vec<StunAttribute>,
        key: Option<(&LongTermKey, bool)>,
    ) -> Bytes {
        let mut m = StunMessage::new(class, view.method(), view.transaction_id());
        m.attributes = attributes;
        let bytes = match key {
            Some((k, sha256)) => {
                if sha256 {
                    m.attributes
                        .push(StunAttribute::MessageIntegritySha256(vec![0; 32]));
                } else {
                    m.attributes.push(StunAttribute::MessageIntegrity([0; 20]));
                }
                Bytes::from(
                    m.to_bytes_with_key(k.as_bytes())
                        .expect("invariant: TURN responses carry bounded attributes"),
                )
            }
            None => Bytes::from(
                m.to_bytes()
                    .expect("invariant: TURN responses carry bounded attributes"),
            ),
        };
        self.push(Transmit {
            source: d.destination,
            destination: d.source,
            protocol: Protocol::Udp,
            contents: bytes.clone(),
        });
        bytes
    }

    fn error(
        &mut self,
        d: &Datagram<'_>,
        view: &MessageView<'_>,
        code: u16,
        reason: &str,
        key: Option<(&LongTermKey, bool)>,
    ) {
        let challenge = matches!(code, 401 | 438);
        // No amplification toward an unauthenticated source beyond the protocol's own: the
        // 401/438 challenge must carry REALM and NONCE (RFC 8656 §7.2, a fixed ~108 bytes);
        // any other error larger than the request it answers is not sent (counted).
        if key.is_none() && !challenge && 20 + 8 + reason.len().div_ceil(4) * 4 > d.contents.len() {
            self.stats.dropped_amplification += 1;
            return;
        }
        match code {
            401 => self.stats.unauthorized += 1,
            438 => self.stats.stale_nonces += 1,
            _ => self.stats.errors += 1,
        }
        let mut attrs = vec![StunAttribute::ErrorCode {
            code,
            reason: reason.into(),
        }];
        if challenge {
            attrs.push(StunAttribute::Realm(self.config.realm.clone()));
            attrs.push(StunAttribute::Nonce(self.nonce_for(d.source)));
            if self.config.password_algorithms {
                attrs.push(StunAttribute::PasswordAlgorithms(vec![
                    PasswordAlgorithm {
                        algorithm: PasswordAlgorithmKind::Sha256.number(),
                        parameters: Vec::new(),
                    },
                    PasswordAlgorithm {
                        algorithm: PasswordAlgorithmKind::Md5.number(),
                        parameters: Vec::new(),
                    },
                ]));
            }
        }
        self.respond(d, view, Class::ErrorResponse, attrs, key);
    }

    /// RFC 8489 §9.2.4 on the server side. `Err(())` when an error response went out.
    fn authenticate(&mut self, d: &Datagram<'_>, view: &MessageView<'_>) -> Result<Authed, ()> {
        let text = |t| match view.decode(t) {
            Some(Ok(
                StunAttribute::Username(s) | StunAttribute::Realm(s) | StunAttribute::Nonce(s),
            )) => Some(s),
            _ => None,
        };
        let has_integrity = view.get(AttributeType::MESSAGE_INTEGRITY).is_some()
            || view.get(AttributeType::MESSAGE_INTEGRITY_SHA256).is_some();
        let (Some(username), Some(realm), Some(nonce), true) = (
            text(AttributeType::USERNAME),
            text(AttributeType::REALM),
            text(AttributeType::NONCE),
            has_integrity,
        ) else {
            // §9.2.4: no credentials yet: the challenge.
            self.error(d, view, 401, "Unauthorized", None);
            return Err(());
        };
        match self.check_nonce(d.source, &nonce) {
            Some(true) => {}
            Some(false) => {
                self.error(d, view, 438, "Stale Nonce", None);
                return Err(());
            }
            None => {
                self.error(d, view, 401, "Unauthorized", None);
                return Err(());
            }
        }
        if realm != self.config.realm {
            self.error(d, view, 401, "Unauthorized", None);
            return Err(());
        }
        let password = match &self.config.credentials {
            TurnCredentials::Static(users) => users.get(&username).cloned(),
            TurnCredentials::Rest { secret } => {
                // Refused after its expiry, whatever the MAC says.
                RestCredentials::expiry_of(&username)
                    .filter(|&e| e >= self.unix_now())
                    .map(|_| rest_password(secret, &username))
            }
        };
        let Some(password) = password else {
            self.error(d, view, 401, "Unauthorized", None);
            return Err(());
        };
        let sha256 = view.get(AttributeType::MESSAGE_INTEGRITY_SHA256).is_some();
        let algorithm = match view.decode(AttributeType::PASSWORD_ALGORITHM) {
            Some(Ok(StunAttribute::PasswordAlgorithm(p)))
                if p.algorithm == PasswordAlgorithmKind::Sha256.number() =>
            {
                PasswordAlgorithmKind::Sha256
            }
            _ => PasswordAlgorithmKind::Md5,
        };
        let Ok(key) = LongTermKey::new(algorithm, &username, &realm, &password) else {
            self.error(d, view, 401, "Unauthorized", None);
            return Err(());
        };
        if view.verify_integrity(key.as_bytes()).is_err() {
            self.error(d, view, 401, "Unauthorized", None);
            return Err(());
        }
        Ok(Authed {
            username,
            key,
            sha256,
        })
    }

    // ----- input -----

    /// A datagram arrived at one of the server's addresses.
    pub fn handle_receive(&mut self, now: Instant, d: Datagram<'_>) {
        self.now = self.now.max(now);
        self.expire();
        if d.destination.port() != self.config.port {
            return self.peer_datagram(d);
        }
        if !is_stun(d.contents) {
            return self.channel_data(d);
        }
        let Ok(view) = MessageView::parse(d.contents) else {
            self.stats.dropped_malformed += 1;
            return;
        };
        match (view.class(), view.method()) {
            (Class::Request, Method::ALLOCATE) => self.allocate(&d, &view),
            (Class::Request, Method::REFRESH) => self.refresh(&d, &view),
            (Class::Request, Method::CREATE_PERMISSION) => self.create_permission(&d, &view),
            (Class::Request, Method::CHANNEL_BIND) => self.channel_bind(&d, &view),
            (Class::Request, Method::BINDING) => {
                let a = vec![StunAttribute::XorMappedAddress(d.source)];
                self.respond(&d, &view, Class::SuccessResponse, a, None);
            }
            (Class::Request, _) => self.error(&d, &view, 400, "Bad Request", None),
            (Class::Indication, Method::SEND) => self.send_indication(&d, &view),
            _ => self.stats.dropped_malformed += 1,
        }
    }

    fn allocate(&mut self, d: &Datagram<'_>, view: &MessageView<'_>) {
        let tuple = (d.source, d.destination);
        // §7.2: a retransmitted Allocate that succeeded gets the same response.
        // Only within a client's transaction lifetime (RFC 8489 §6.2.1: Ti = 39.5 s): later, the
        // same request can only be a replay, and goes through authentication (a stale nonce).
        if let Some(a) = self.allocations.get(&tuple)
            && a.allocate_tid == view.transaction_id()
            && self.now.saturating_duration_since(a.allocated_at) < RETRANSMISSION_WINDOW
        {
            let contents = a.allocate_response.clone();
            self.push(Transmit {
                source: d.destination,
                destination: d.source,
                protocol: Protocol::Udp,
                contents,
            });
            return;
        }
        let Ok(auth) = self.authenticate(d, view) else {
            return;
        };
        let k = Some((&auth.key, auth.sha256));
        if self.allocations.contains_key(&tuple) {
            return self.error(d, view, 437, "Allocation Mismatch", k);
        }
        match view.decode(AttributeType::REQUESTED_TRANSPORT) {
            Some(Ok(StunAttribute::RequestedTransport(17))) => {}
            Some(Ok(StunAttribute::RequestedTransport(_))) => {
                return self.error(d, view, 442, "Unsupported Transport Protocol", k);
            }
            _ => return self.error(d, view, 400, "Bad Request", k),
        }
        let per_user = self
            .allocations
            .values()
            .filter(|a| a.username == auth.username)
            .count();
        if self.allocations.len() >= self.config.max_allocations
            || per_user >= self.config.max_allocations_per_user
        {
            return self.error(d, view, 486, "Allocation Quota Reached", k);
        }
        let Some(relayed) = self.free_port(d.destination.ip()) else {
            return self.error(d, view, 508, "Insufficient Capacity", k);
        };
        let lifetime = self.granted_lifetime(view);
        let attrs = vec![
            StunAttribute::XorRelayedAddress(relayed),
            StunAttribute::Lifetime(lifetime.as_secs() as u32),
            StunAttribute::XorMappedAddress(d.source),
        ];
        let response = self.respond(d, view, Class::SuccessResponse, attrs, k);
        self.stats.allocations += 1;
        self.by_relayed.insert(relayed, tuple);
        self.allocations.insert(
            tuple,
            Allocation {
                username: auth.username,
                key: auth.key,
                sha256: auth.sha256,
                relayed,
                expires: self.now + lifetime,
                permissions: BTreeMap::new(),
                channels: BTreeMap::new(),
                peer_channels: BTreeMap::new(),
                allocate_tid: view.transaction_id(),
                allocate_response: response,
                allocated_at: self.now,
            },
        );
    }

    fn granted_lifetime(&self, view: &MessageView<'_>) -> Duration {
        match view.decode(AttributeType::LIFETIME) {
            Some(Ok(StunAttribute::Lifetime(s))) => {
                Duration::from_secs(u64::from(s)).min(self.config.max_lifetime)
            }
            _ => self.config.default_lifetime,
        }
    }

    fn free_port(&mut self, ip: IpAddr) -> Option<SocketAddr> {
        let range = self.config.relay_ports.clone();
        let span = usize::from(range.end() - range.start()) + 1;
        for _ in 0..span {
            let port = self.next_port;
            self.next_port = if port >= *range.end() {
                *range.start()
            } else {
                port + 1
            };
            let a = SocketAddr::new(ip, port);
            if port != self.config.port && !self.by_relayed.contains_key(&a) {
                return Some(a);
            }
        }
        None
    }

    /// Authenticates a request on an existing allocation; the error went out otherwise.
    fn existing(&mut self, d: &Datagram<'_>, view: &MessageView<'_>) -> Option<FiveTuple> {
        let auth = self.authenticate(d, view).ok()?;
        let tuple = (d.source, d.destination);
        match self.allocations.get(&tuple) {
            None => {
                self.error(
                    d,
                    view,
                    437,
                    "Allocation Mismatch",
                    Some((&auth.key, auth.sha256)),
                );
                None
            }
            // §5: requests on an allocation must come from the user who made it.
            Some(a) if a.username != auth.username => {
                self.error(
                    d,
                    view,
                    441,
                    "Wrong Credentials",
                    Some((&auth.key, auth.sha256)),
                );
                None
            }
            Some(_) => Some(tuple),
        }
    }

    fn key_of(&self, tuple: &FiveTuple) -> (LongTermKey, bool) {
        let a = &self.allocations[tuple];
        (a.key.clone(), a.sha256)
    }

    fn refresh(&mut self, d: &Datagram<'_>, view: &MessageView<'_>) {
        let Some(tuple) = self.existing(d, view) else {
            return;
        };
        let (key, sha) = self.key_of(&tuple);
        let lifetime = self.granted_lifetime(view);
        if lifetime.is_zero() {
            self.remove(&tuple);
            self.stats.allocations_ended += 1;
        } else if let Some(a) = self.allocations.get_mut(&tuple) {
            a.expires = self.now + lifetime;
        }
        let attrs = vec![StunAttribute::Lifetime(lifetime.as_secs() as u32)];
        self.respond(d, view, Class::SuccessResponse, attrs, Some((&key, sha)));
    }

    fn create_permission(&mut self, d: &Datagram<'_>, view: &MessageView<'_>) {
        let Some(tuple) = self.existing(d, view) else {
            return;
        };
        let (key, sha) = self.key_of(&tuple);
        let peers: Vec<IpAddr> = view
            .attributes()
            .flatten()
            .filter(|a| a.typ == AttributeType::XOR_PEER_ADDRESS)
            .filter_map(
                |a| match StunAttribute::decode(a.typ, a.value, &view.transaction_id()) {
                    Ok(StunAttribute::XorPeerAddress(p)) => Some(p.ip()),
                    _ => None,
                },
            )
            .collect();
        if peers.is_empty() {
            return self.error(d, view, 400, "Bad Request", Some((&key, sha)));
        }
        let (max, until) = (
            self.config.max_peers_per_allocation,
            self.now + self.config.permission_lifetime,
        );
        let a = self.allocations.get_mut(&tuple).expect("checked");
        for ip in &peers {
            if !a.permissions.contains_key(ip) && a.permissions.len() >= max {
                return self.error(d, view, 508, "Insufficient Capacity", Some((&key, sha)));
            }
        }
        for ip in peers {
            a.permissions.insert(ip, until);
        }
        self.respond(
            d,
            view,
            Class::SuccessResponse,
            Vec::new(),
            Some((&key, sha)),
        );
    }

    fn channel_bind(&mut self, d: &Datagram<'_>, view: &MessageView<'_>) {
        let Some(tuple) = self.existing(d, view) else {
            return;
        };
        let (key, sha) = self.key_of(&tuple);
        let k = Some((&key, sha));
        let channel = match view.decode(AttributeType::CHANNEL_NUMBER) {
            Some(Ok(StunAttribute::ChannelNumber(c))) if CHANNEL_NUMBERS.contains(&c) => c,
            _ => return self.error(d, view, 400, "Bad Request", k),
        };
        let peer = match view.decode(AttributeType::XOR_PEER_ADDRESS) {
            Some(Ok(StunAttribute::XorPeerAddress(p))) => p,
            _ => return self.error(d, view, 400, "Bad Request", k),
        };
        let (max, now) = (self.config.max_peers_per_allocation, self.now);
        let (chan_until, perm_until) = (
            now + self.config.channel_lifetime,
            now + self.config.permission_lifetime,
        );
        let a = self.allocations.get_mut(&tuple).expect("checked");
        // §12.2: a channel is bound to one peer and a peer to one channel.
        let clash = a.channels.get(&channel).is_some_and(|(p, _)| *p != peer)
            || a.peer_channels.get(&peer).is_some_and(|c| *c != channel);
        let full = !a.channels.contains_key(&channel) && a.channels.len() >= max;
        if clash || full {
            return self.error(d, view, 400, "Bad Request", k);
        }
        a.channels.insert(channel, (peer, chan_until));
        a.peer_channels.insert(peer, channel);
        // ... and installs or refreshes the permission for the peer's address.
        a.permissions.insert(peer.ip(), perm_until);
        self.respond(d, view, Class::SuccessResponse, Vec::new(), k);
    }

    fn send_indication(&mut self, d: &Datagram<'_>, view: &MessageView<'_>) {
        let tuple = (d.source, d.destination);
        let (peer, data) = match (
            view.decode(AttributeType::XOR_PEER_ADDRESS),
            view.decode(AttributeType::DATA),
        ) {
            (Some(Ok(StunAttribute::XorPeerAddress(p))), Some(Ok(StunAttribute::Data(b)))) => {
                (p, b)
            }
            _ => {
                self.stats.dropped_malformed += 1;
                return;
            }
        };
        self.relay_out(tuple, peer, data);
    }

    fn channel_data(&mut self, d: Datagram<'_>) {
        let tuple = (d.source, d.destination);
        let Ok(cd) = ChannelData::parse(d.contents) else {
            self.stats.dropped_malformed += 1;
            return;
        };
        let Some(peer) = self
            .allocations
            .get(&tuple)
            .and_then(|a| a.channels.get(&cd.channel))
            .map(|(p, _)| *p)
        else {
            self.stats.dropped_malformed += 1;
            return;
        };
        self.relay_out(tuple, peer, Bytes::copy_from_slice(cd.data));
    }

    /// Client → peer (§10.2 / §12.6): only to peers with a permission.
    fn relay_out(&mut self, tuple: FiveTuple, peer: SocketAddr, data: Bytes) {
        let Some(a) = self.allocations.get(&tuple) else {
            self.stats.dropped_malformed += 1;
            return;
        };
        if !a.permissions.contains_key(&peer.ip()) {
            self.stats.dropped_no_permission += 1;
            return;
        }
        let source = a.relayed;
        self.stats.relayed_out += 1;
        self.push(Transmit {
            source,
            destination: peer,
            protocol: Protocol::Udp,
            contents: data,
        });
    }

    /// Peer → client (§11.3): ChannelData when bound, else a Data indication; only from peers
    /// with a permission.
    fn peer_datagram(&mut self, d: Datagram<'_>) {
        let Some(tuple) = self.by_relayed.get(&d.destination).copied() else {
            self.stats.dropped_malformed += 1;
            return;
        };
        let a = &self.allocations[&tuple];
        if !a.permissions.contains_key(&d.source.ip()) {
            self.stats.dropped_no_permission += 1;
            return;
        }
        let contents = match a.peer_channels.get(&d.source) {
            Some(&channel) => {
                let mut out = Vec::with_capacity(4 + d.contents.len());
                ChannelData {
                    channel,
                    data: d.contents,
                }
                .encode(false, &mut out);
                Bytes::from(out)
            }
            None => {
                let tid = TransactionId(self.indication_id());
                let mut m = StunMessage::new(Class::Indication, Method::DATA, tid);
                m.attributes.push(StunAttribute::XorPeerAddress(d.source));
                m.attributes
                    .push(StunAttribute::Data(Bytes::copy_from_slice(d.contents)));
                // A peer datagram too large for a Data indication's length field is dropped.
                let Ok(b) = m.to_bytes() else {
                    self.stats.dropped_oversize += 1;
                    return;
                };
                Bytes::from(b)
            }
        };
        self.stats.relayed_in += 1;
        self.push(Transmit {
            source: tuple.1,
            destination: tuple.0,
            protocol: Protocol::Udp,
            contents,
        });
    }

    /// Transaction ids of Data indications: a counter MACed with the secret (indications are
    /// never matched, they only have to look random).
    fn indication_id(&mut self) -> [u8; 12] {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.nonce_secret)
            .expect("invariant: HMAC takes keys of any length");
        mac.update(b"indication");
        mac.update(&self.stats.relayed_in.to_be_bytes());
        let b: [u8; 32] = mac.finalize().into_bytes().into();
        let mut id = [0u8; 12];
        id.copy_from_slice(&b[..12]);
        id
    }

    fn remove(&mut self, tuple: &FiveTuple) {
        if let Some(a) = self.allocations.remove(tuple) {
            self.by_relayed.remove(&a.relayed);
        }
    }

    /// Drops what has expired: allocations (§7), permissions (§9), channels (§12).
    fn expire(&mut self) {
        let now = self.now;
        let dead: Vec<FiveTuple> = self
            .allocations
            .iter()
            .filter(|(_, a)| a.expires <= now)
            .map(|(t, _)| *t)
            .collect();
        for t in dead {
            self.remove(&t);
            self.stats.allocations_expired += 1;
            self.stats.allocations_ended += 1;
        }
        for a in self.allocations.values_mut() {
            a.permissions.retain(|_, &mut until| until > now);
            a.channels.retain(|_, (_, until)| *until > now);
            let live: Vec<(SocketAddr, u16)> =
                a.channels.iter().map(|(c, (p, _))| (*p, *c)).collect();
            a.peer_channels = live.into_iter().collect();
        }
    }

    /// Expires what is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        self.expire();
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.queue.pop_front()
    }

    /// The next expiry.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.allocations
            .values()
            .flat_map(|a| {
                std::iter::once(a.expires)
                    .chain(a.permissions.values().copied())
                    .chain(a.channels.values().map(|(_, t)| *t))
            })
            .min()
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl crate::sim::Node for TurnServer {
    fn handle_receive(&mut self, now: Instant, datagram: Datagram<'_>) {
        TurnServer::handle_receive(self, now, datagram)
    }
    fn handle_timeout(&mut self, now: Instant) {
        TurnServer::handle_timeout(self, now)
    }
    fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit> {
        TurnServer::poll_transmit(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        TurnServer::poll_timeout(self)
    }
}

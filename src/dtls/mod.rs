//! DTLS over the selected ICE path (RFC 8842 roles, RFC 8122 fingerprints, RFC 5764 keying),
//! through the sans-IO `dimpl` engine.
//!
//! [`DtlsTransport`] owns one `dimpl::Dtls`, feeds it whole datagrams and time, and turns its
//! borrowed outputs into owned transmits and [`DtlsEvent`]s. It adds what WebRTC needs around
//! the handshake:
//! - the peer certificate is checked against the remote description's `a=fingerprint` lines
//!   ([`verify_fingerprint`], RFC 8122 §5) before anything is reported as connected; on a
//!   mismatch the transport fails and never delivers or sends application data;
//! - the certificate can arrive before the fingerprints (the answer is still in flight): then
//!   the handshake's events wait until [`DtlsTransport::set_remote_fingerprints`];
//! - every random draw (hello randoms, ECDHE shares, the certificate) comes from the peer's DTLS
//!   sub-stream, so a seed replays the records byte for byte (the `provider` module);
//! - time only enters through `handle_receive`/`handle_timeout`, and dimpl's retransmission
//!   deadline is surfaced by `poll_timeout`.

mod cert;
mod provider;
#[cfg(test)]
mod tests;

pub use cert::{
    Certificate, CertificateError, FingerprintHash, FingerprintMismatch, verify_fingerprint,
};
pub use dimpl::{KeyingMaterial, SrtpProfile};

use crate::rng::Rng;
use crate::sdp::Fingerprint;
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which side of the handshake we are (RFC 8842 §5: `a=setup:active` is the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtlsRole {
    /// Sends the ClientHello.
    Client,
    /// Answers it.
    Server,
}

/// DTLS options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DtlsConfig {
    /// Largest datagram the handshake flights may use (default 1200: fits any path WebRTC uses).
    pub mtu: usize,
    /// First retransmission timeout of a flight (RFC 6347 §4.2.4.1; default 1 s, doubling).
    pub flight_start_rto: Duration,
    /// Retransmissions of a flight before giving up.
    pub flight_retries: usize,
    /// The whole handshake must finish within this.
    pub handshake_timeout: Duration,
    /// Offer / accept DTLS 1.3 as well as 1.2 (a client sends a hello both versions accept; a
    /// server follows the client). Off by default: browsers negotiate DTLS 1.2 today.
    pub dtls13: bool,
    /// Most bytes of application data held while the certificate waits for fingerprints.
    pub max_pending_bytes: usize,
}

impl Default for DtlsConfig {
    fn default() -> Self {
        Self {
            mtu: 1200,
            flight_start_rto: Duration::from_secs(1),
            flight_retries: 6,
            handshake_timeout: Duration::from_secs(40),
            dtls13: false,
            max_pending_bytes: 256 * 1024,
        }
    }
}

/// Connection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtlsState {
    /// Handshaking.
    Connecting,
    /// Handshake done and the peer certificate verified.
    Connected,
    /// Closed by either side.
    Closed,
    /// Failed; see the [`DtlsEvent::Failed`] reason.
    Failed,
}

/// Why the transport failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DtlsFailure {
    /// The peer certificate does not match the remote description.
    #[error(transparent)]
    Fingerprint(#[from] FingerprintMismatch),
    /// The handshake completed without a peer certificate.
    #[error("peer presented no certificate")]
    NoPeerCertificate,
    /// dimpl reported a fatal error (the message names it).
    #[error("DTLS: {0}")]
    Protocol(String),
}

/// What the transport reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DtlsEvent {
    /// The handshake completed and the peer certificate matched.
    Connected {
        /// The hash function whose fingerprint matched.
        verified_with: FingerprintHash,
    },
    /// DTLS-SRTP keying material (RFC 5764 §4.2), for media.
    KeyingMaterial {
        /// The exported keys.
        material: Vec<u8>,
        /// The negotiated protection profile.
        profile: SrtpProfile,
    },
    /// Application data (for us: SCTP packets).
    Data(Bytes),
    /// The peer sent close_notify.
    Closed,
    /// The transport failed and is unusable.
    Failed(DtlsFailure),
}

/// Misuse of [`DtlsTransport::send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// Not connected (yet, or any more).
    #[error("DTLS transport not connected")]
    NotConnected,
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DtlsStats {
    /// Datagrams handed to dimpl.
    pub datagrams_in: u64,
    /// Datagrams produced.
    pub datagrams_out: u64,
    /// Datagrams dropped because the transport had failed or closed.
    pub dropped_after_close: u64,
    /// Application data dropped while waiting for fingerprints (over `max_pending_bytes`).
    pub dropped_pending: u64,
    /// Datagrams whose records cannot be framed (RFC 6347 §4.1, RFC 9147 §4), or carrying a
    /// plaintext handshake message numbered past any handshake: not handed to DTLS at all.
    pub dropped_malformed: u64,
    /// Datagrams after the handshake from which DTLS took nothing: records failing
    /// authentication, replays, stale epochs, renegotiation attempts.
    pub dropped_discarded: u64,
    /// Datagrams refused because DTLS's receive queue was full (handshake fragments waiting for
    /// their turn: a burst of forged ones fills it).
    pub dropped_queue_full: u64,
}

/// One DTLS association.
pub struct DtlsTransport {
    dtls: dimpl::Dtls,
    rng: Option<Box<Rng>>,
    config: DtlsConfig,
    state: DtlsState,
    remote_fingerprints: Option<Vec<Fingerprint>>,
    peer_cert: Option<Vec<u8>>,
    handshake_done: bool,
    /// Events held back until the peer certificate is verified.
    held: VecDeque<DtlsEvent>,
    held_bytes: usize,
    events: VecDeque<DtlsEvent>,
    transmits: VecDeque<Bytes>,
    timeout: Option<Instant>,
    out_buf: Vec<u8>,
    /// Owned copies of datagrams and application records are cut from this (a fresh chunk every
    /// `ARENA_CHUNK` bytes) instead of one allocation each.
    arena: BytesMut,
    stats: DtlsStats,
}

/// Bytes per arena chunk: a handful of records. Small, because a record kept alive (a message
/// sliced out of it) keeps its whole chunk alive.
const ARENA_CHUNK: usize = 8 * 1024;

/// An owned copy of `data`, cut from `arena`.
fn own(arena: &mut BytesMut, data: &[u8]) -> Bytes {
    if arena.capacity() - arena.len() < data.len() {
        *arena = BytesMut::with_capacity(ARENA_CHUNK.max(data.len()));
    }
    arena.extend_from_slice(data);
    arena.split().freeze()
}

impl std::fmt::Debug for DtlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DtlsTransport")
            .field("state", &self.state)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// What every transport of one configuration shares: the validated dimpl configuration.
///
/// Build it once (for example per `PeerConfig`) and share it: validating a crypto provider runs a
/// self-test of every algorithm (2.4 ms with the pure-Rust backend), which a per-peer
/// construction must not pay.
pub struct DtlsContext {
    config: DtlsConfig,
    dimpl: dimpl::Config,
}

impl std::fmt::Debug for DtlsContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DtlsContext")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl DtlsContext {
    /// Validates the configuration and our crypto provider once.
    pub fn new(config: DtlsConfig) -> Self {
        // The self-test draws key shares; its randomness never reaches a connection, so a fixed
        // stream keeps construction itself deterministic.
        let mut slot = Some(Box::new(
            crate::rng::RngRoot::from_seed(0).stream(crate::rng::Stream::Dtls),
        ));
        let dimpl = provider::with_rng(&mut slot, || {
            dimpl::Config::builder()
                .mtu(config.mtu)
                .flight_start_rto(config.flight_start_rto)
                .flight_retries(config.flight_retries)
                .handshake_timeout(config.handshake_timeout)
                .require_client_certificate(true)
                .dangerously_set_rng_seed(0)
                .with_crypto_provider(provider::provider())
                .build()
                .expect("invariant: the DTLS configuration is valid")
        });
        Self { config, dimpl }
    }

    /// The configuration.
    pub fn config(&self) -> &DtlsConfig {
        &self.config
    }
}

impl DtlsTransport {
    /// A transport in `role` with our `certificate`, drawing randomness from `rng` (the peer's
    /// DTLS sub-stream). `remote_fingerprints` may be given later.
    pub fn new(
        context: &DtlsContext,
        certificate: &Certificate,
        role: DtlsRole,
        remote_fingerprints: Option<Vec<Fingerprint>>,
        mut rng: Rng,
        now: Instant,
    ) -> Self {
        let config = context.config.clone();
        // dimpl draws hello randoms, explicit nonces and timer jitter from the configuration's
        // seed: one per transport, from our stream (they must differ between peers).
        let dimpl_config = context.dimpl.with_rng_seed(rng.next_u64());
        let mut slot = Some(Box::new(rng));
        let dimpl_config = Arc::new(dimpl_config);
        let dtls = provider::with_rng(&mut slot, || {
            let mut d = if config.dtls13 {
                dimpl::Dtls::new_auto(dimpl_config, certificate.to_dimpl(), now)
            } else {
                dimpl::Dtls::new_12(dimpl_config, certificate.to_dimpl(), now)
            };
            if role == DtlsRole::Client {
                d.set_active(true);
            }
            d
        });
        let mut t = Self {
            dtls,
            rng: slot,
            out_buf: Vec::new(),
            arena: BytesMut::new(),
            config,
            state: DtlsState::Connecting,
            remote_fingerprints,
            peer_cert: None,
            handshake_done: false,
            held: VecDeque::new(),
            held_bytes: 0,
            events: VecDeque::new(),
            transmits: VecDeque::new(),
            timeout: None,
            stats: DtlsStats::default(),
        };
        t.drain();
        t
    }

    /// The state.
    pub fn state(&self) -> DtlsState {
        self.state
    }

    /// Counters.
    pub fn stats(&self) -> DtlsStats {
        self.stats
    }

    /// The negotiated DTLS version, once known.
    pub fn is_dtls13(&self) -> Option<bool> {
        self.dtls
            .protocol_version()
            .map(|v| v == dimpl::ProtocolVersion::DTLS1_3)
    }

    /// The remote description's fingerprints arrived (or changed): verify a certificate that
    /// is already here.
    pub fn set_remote_fingerprints(&mut self, fingerprints: Vec<Fingerprint>) {
        self.remote_fingerprints = Some(fingerprints);
        self.verify();
    }

    fn alive(&self) -> bool {
        matches!(self.state, DtlsState::Connecting | DtlsState::Connected)
    }

    /// Releases what an idle transport keeps from busier times: the record arena's current
    /// chunk, the output buffer (both come back on the next record) and empty queues.
    /// Only once connected: during the handshake dimpl writes a whole certificate into the
    /// output buffer and requires the room to be there.
    pub fn trim(&mut self) {
        use crate::vecmap::shrink_if_empty;
        if self.state != DtlsState::Connected {
            return;
        }
        if self.transmits.is_empty() && self.events.is_empty() && self.held.is_empty() {
            self.arena = BytesMut::new();
            self.out_buf = Vec::new();
        }
        shrink_if_empty!(self.transmits, self.events, self.held);
    }

    /// A DTLS datagram (first byte 20..=63, RFC 7983) from the selected pair.
    pub fn handle_receive(&mut self, now: Instant, datagram: &[u8]) {
        if !self.alive() {
            self.stats.dropped_after_close += 1;
            return;
        }
        if !well_framed(datagram) {
            self.stats.dropped_malformed += 1;
            return;
        }
        self.stats.datagrams_in += 1;
        let connected = self.state == DtlsState::Connected;
        let before = (self.events.len(), self.transmits.len());
        let Self { dtls, rng, .. } = self;
        let r = provider::with_rng(rng, || {
            dtls.handle_timeout(now)?;
            dtls.handle_packet(datagram)
        });
        // A datagram dimpl had no room for, or one more ClientHello fragment than it keeps, is
        // that datagram's problem, not the connection's: anyone who can spoof the peer's address
        // could otherwise end a handshake with a burst of forged fragments. Dropped, counted.
        let r = match r {
            Err(dimpl::Error::ReceiveQueueFull | dimpl::Error::TooManyClientHelloFragments) => {
                self.stats.dropped_queue_full += 1;
                Ok(())
            }
            r => r,
        };
        self.after(r);
        // RFC 6347 §4.1.2.7: records that fail authentication (and replays, stale epochs,
        // renegotiation attempts) are discarded silently; dimpl does, and we count them: once
        // connected, every legitimate datagram yields data, an answer or a state change.
        if connected
            && self.state == DtlsState::Connected
            && before == (self.events.len(), self.transmits.len())
        {
            self.stats.dropped_discarded += 1;
        }
    }

    /// Time passed: retransmit flights, expire the handshake.
    pub fn handle_timeout(&mut self, now: Instant) {
        if !self.alive() || self.timeout.is_none_or(|t| now < t) {
            return;
        }
        let Self { dtls, rng, .. } = self;
        let r = provider::with_rng(rng, || dtls.handle_timeout(now));
        self.after(r);
    }

    /// Encrypts and queues application data.
    pub fn send(&mut self, data: &[u8]) -> Result<(), SendError> {
        if self.state != DtlsState::Connected {
            return Err(SendError::NotConnected);
        }
        let Self { dtls, rng, .. } = self;
        let r = provider::with_rng(rng, || dtls.send_application_data(data).map(|_| ()));
        self.after(r);
        Ok(())
    }

    /// Sends close_notify and closes.
    pub fn close(&mut self) {
        if !self.alive() {
            return;
        }
        let Self { dtls, rng, .. } = self;
        let _ = provider::with_rng(rng, || dtls.close());
        self.drain();
        self.state = DtlsState::Closed;
        self.timeout = None;
    }

    /// The next datagram to send on the selected pair.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<DtlsEvent> {
        self.events.pop_front()
    }

    /// When `handle_timeout` is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.alive() { self.timeout } else { None }
    }

    fn after(&mut self, r: Result<(), dimpl::Error>) {
        self.drain();
        if let Err(e) = r {
            self.fail(DtlsFailure::Protocol(e.to_string()));
        }
    }

    fn fail(&mut self, reason: DtlsFailure) {
        if !self.alive() {
            return;
        }
        self.state = DtlsState::Failed;
        self.held.clear();
        self.held_bytes = 0;
        self.timeout = None;
        // Nothing the handshake produced after the failure goes out or up.
        self.transmits.clear();
        self.events.push_back(DtlsEvent::Failed(reason));
    }

    /// Drains dimpl's outputs into owned transmits and events.
    fn drain(&mut self) {
        self.timeout = None;
        if self.out_buf.is_empty() {
            // Given back by `trim` while idle.
            self.out_buf.resize(self.config.mtu.max(1500) + 64, 0);
        }
        loop {
            if !self.alive() {
                return;
            }
            let out = {
                let Self {
                    dtls,
                    rng,
                    out_buf,
                    arena,
                    ..
                } = self;
                provider::with_rng(rng, || match dtls.poll_output(out_buf) {
                    dimpl::Output::Packet(p) => Out::Packet(own(arena, p)),
                    dimpl::Output::BufferTooSmall { needed } => Out::Grow(needed),
                    dimpl::Output::Timeout(t) => Out::Timeout(t),
                    dimpl::Output::Connected => Out::Connected,
                    dimpl::Output::PeerCert(c) => Out::PeerCert(c.to_vec()),
                    dimpl::Output::KeyingMaterial(k, p) => Out::Keying(k.to_vec(), p),
                    dimpl::Output::ApplicationData(d) => Out::Data(own(arena, d)),
                    dimpl::Output::CloseNotify => Out::CloseNotify,
                    _ => Out::Other,
                })
            };
            match out {
                Out::Packet(p) => {
                    self.stats.datagrams_out += 1;
                    self.transmits.push_back(p);
                }
                Out::Grow(n) => self.out_buf.resize(n, 0),
                Out::Timeout(t) => {
                    self.timeout = Some(t);
                    return;
                }
                Out::PeerCert(c) => {
                    self.peer_cert = Some(c);
                    self.verify();
                }
                Out::Connected => {
                    self.handshake_done = true;
                    self.verify();
                }
                Out::Keying(material, profile) => {
                    self.report(DtlsEvent::KeyingMaterial { material, profile })
                }
                Out::Data(d) => self.report(DtlsEvent::Data(d)),
                Out::CloseNotify => {
                    self.report(DtlsEvent::Closed);
                    if self.state == DtlsState::Connected {
                        self.state = DtlsState::Closed;
                    }
                }
                Out::Other => {}
            }
        }
    }

    /// Events pass once the certificate is verified; before that they wait (bounded).
    fn report(&mut self, e: DtlsEvent) {
        if self.state == DtlsState::Connected {
            self.events.push_back(e);
            return;
        }
        let size = match &e {
            DtlsEvent::Data(d) => d.len(),
            _ => 0,
        };
        if self.held_bytes + size > self.config.max_pending_bytes {
            self.stats.dropped_pending += 1;
            return;
        }
        self.held_bytes += size;
        self.held.push_back(e);
    }

    /// RFC 8122 §5 / RFC 8827 §6.5: the peer's certificate must match the remote description
    /// before the connection counts as up.
    fn verify(&mut self) {
        if self.state != DtlsState::Connecting {
            return;
        }
        let Some(fingerprints) = &self.remote_fingerprints else {
            return; // wait for the remote description
        };
        // RFC 8842 §5 / RFC 5763 §6.7.1: a certificate that matches no fingerprint ends the
        // handshake as soon as it is seen, before our last flight leaves (`fail` drops what is
        // queued): the other side never completes its handshake either.
        if let Some(cert) = &self.peer_cert
            && let Err(e) = verify_fingerprint(cert, fingerprints)
        {
            self.fail(e.into());
            return;
        }
        if !self.handshake_done {
            return;
        }
        let Some(cert) = &self.peer_cert else {
            self.fail(DtlsFailure::NoPeerCertificate);
            return;
        };
        match verify_fingerprint(cert, fingerprints) {
            Ok(hash) => {
                self.state = DtlsState::Connected;
                self.events.push_back(DtlsEvent::Connected {
                    verified_with: hash,
                });
                self.events.extend(self.held.drain(..));
                self.held_bytes = 0;
                // Verified: the certificate has done its job (nothing asks for it later).
                self.peer_cert = None;
            }
            Err(e) => self.fail(e.into()),
        }
    }
}

/// Highest `message_seq` a DTLS 1.2 or 1.3 handshake without renegotiation reaches, with room
/// (a side sends at most seven messages, a HelloVerifyRequest retry adding one).
const MAX_HANDSHAKE_SEQ: u16 = 16;

/// Largest record body: TLSCiphertext's limit (RFC 5246 §6.2.3, which RFC 6347 §4.1 keeps).
const MAX_RECORD_BODY: usize = (1 << 14) + 2048;

/// Whether a datagram is a sequence of whole DTLS records: each a DTLSPlaintext/DTLSCiphertext
/// header (RFC 6347 §4.1; content types 20–25) or a DTLS 1.3 unified header (RFC 9147 §4;
/// first bits 001, without a connection id: we never negotiate one), with a length that fits,
/// and no plaintext handshake message numbered past `MAX_HANDSHAKE_SEQ`.
fn well_framed(mut d: &[u8]) -> bool {
    if d.is_empty() {
        return false;
    }
    while !d.is_empty() {
        let first = d[0];
        let (header, len) = match first {
            20..=25 => {
                if d.len() < 13 {
                    return false;
                }
                (13, usize::from(u16::from_be_bytes([d[11], d[12]])))
            }
            0x20..=0x3F => {
                // 001CSLEE: C = connection id, S = 16-bit sequence number, L = length present.
                if first & 0x10 != 0 {
                    return false;
                }
                let seq = if first & 0x08 != 0 { 2 } else { 1 };
                if first & 0x04 == 0 {
                    // No length: the record runs to the end of the datagram.
                    return d.len() > 1 + seq && d.len() - 1 - seq <= MAX_RECORD_BODY;
                }
                let h = 1 + seq + 2;
                if d.len() < h {
                    return false;
                }
                (h, usize::from(u16::from_be_bytes([d[h - 2], d[h - 1]])))
            }
            _ => return false,
        };
        if len > MAX_RECORD_BODY || d.len() - header < len {
            return false;
        }
        // A plaintext handshake message numbered beyond any handshake we run (RFC 6347 §4.2.2:
        // message_seq counts from 0 per side; no renegotiation): forged.
        if first == 22
            && d[3..5] == [0, 0]
            && len >= 12
            && u16::from_be_bytes([d[header + 4], d[header + 5]]) > MAX_HANDSHAKE_SEQ
        {
            return false;
        }
        d = &d[header + len..];
    }
    true
}

enum Out {
    Packet(Bytes),
    Grow(usize),
    Timeout(Instant),
    Connected,
    PeerCert(Vec<u8>),
    Keying(Vec<u8>, SrtpProfile),
    Data(Bytes),
    CloseNotify,
    Other,
}

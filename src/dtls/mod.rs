//! Our DTLS 1.2 (RFC 6347) for WebRTC over the selected ICE path: RFC 8842 roles, RFC 8122
//! fingerprints, RFC 5764 keying.
//!
//! Why our own: no sans-IO DTLS could be seeded (dimpl 0.9 and rtc-dtls 0.21 put the wall clock
//! into the hello random), a vendored and patched copy could not be used by anyone depending on
//! this crate, and records could not be sealed and opened in place. The profile WebRTC needs is
//! small (RFC 8827 §6.5): ECDHE (X25519, P-256; P-384 accepted), AEAD suites, mutual
//! certificates, extended master secret, use_srtp.
//!
//! Layers: [`record`](self) framing, protection in place and the replay window; handshake
//! message codecs; flights (retransmission, fragmentation, reassembly); the connection (client
//! and server state machines, key schedule, exporter); the crypto provider seam (RustCrypto by
//! default, aws-lc with the `aws-lc-rs` feature, identical bytes).
//!
//! [`DtlsTransport`] adds what WebRTC needs around the handshake:
//! - the peer certificate is checked against the remote description's `a=fingerprint` lines
//!   ([`verify_fingerprint`], RFC 8122 §5) before anything is reported as connected; on a
//!   mismatch the transport fails and never delivers or sends application data;
//! - the certificate can arrive before the fingerprints (the answer is still in flight): then
//!   the handshake's events wait until [`DtlsTransport::set_remote_fingerprints`];
//! - every random draw (hello randoms, ECDHE shares, the cookie secret, the certificate) comes
//!   from the peer's DTLS sub-stream and signatures are RFC 6979, so a seed replays the records
//!   byte for byte;
//! - time only enters through `handle_receive`/`handle_timeout`/`poll_transmit(now)` (a
//!   flight's retransmission timer starts when its first datagram is taken), and the
//!   retransmission deadline is surfaced by `poll_timeout`.
//!
//! Used alone (DTLS for something other than the `Peer`): one [`DtlsContext`] per process, a
//! [`DtlsTransport`] per connection with our [`Certificate`] and the remote's fingerprints;
//! application data with `send` / `send_with`, keying material for SRTP in
//! [`DtlsEvent::KeyingMaterial`].

mod cert;
mod conn;
pub(crate) use conn::RecordSink;
pub(crate) mod crypto;
mod flight;
pub(crate) mod message;
pub(crate) mod record;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_hostile;

pub use cert::{
    Certificate, CertificateError, FingerprintHash, FingerprintMismatch, verify_fingerprint,
};

use crate::rng::Rng;
use crate::sdp::Fingerprint;
use bytes::{Bytes, BytesMut};
use conn::{Conn, ConnEvent, ConnFailure};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// DTLS-SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SrtpProfile {
    /// SRTP_AEAD_AES_256_GCM (0x0008).
    AeadAes256Gcm,
    /// SRTP_AEAD_AES_128_GCM (0x0007).
    AeadAes128Gcm,
    /// SRTP_AES128_CM_HMAC_SHA1_80 (0x0001).
    Aes128CmSha1_80,
    /// SRTP_AES128_CM_HMAC_SHA1_32 (0x0002).
    Aes128CmSha1_32,
}

impl SrtpProfile {
    /// Our preference (a server picks the first the client offers): libwebrtc's order, AEAD
    /// first.
    pub const PREFERENCE: [SrtpProfile; 4] = [
        Self::AeadAes256Gcm,
        Self::AeadAes128Gcm,
        Self::Aes128CmSha1_80,
        Self::Aes128CmSha1_32,
    ];

    /// The IANA name (RFC 5764 §4.1.2, RFC 7714 §14.2; W3C `RTCTransportStats.srtpCipher`).
    pub fn name(self) -> &'static str {
        match self {
            Self::AeadAes256Gcm => "AEAD_AES_256_GCM",
            Self::AeadAes128Gcm => "AEAD_AES_128_GCM",
            Self::Aes128CmSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Self::Aes128CmSha1_32 => "AES_CM_128_HMAC_SHA1_32",
        }
    }

    /// The use_srtp code point.
    pub fn code(self) -> u16 {
        match self {
            Self::AeadAes256Gcm => 0x0008,
            Self::AeadAes128Gcm => 0x0007,
            Self::Aes128CmSha1_80 => 0x0001,
            Self::Aes128CmSha1_32 => 0x0002,
        }
    }

    /// The profile with code point `code`, if we support it.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::PREFERENCE.into_iter().find(|p| p.code() == code)
    }

    /// Master key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Self::AeadAes256Gcm => 32,
            _ => 16,
        }
    }

    /// Master salt length in bytes (RFC 3711 §8.2: 14 for AES-CM; RFC 7714 §12: 12 for GCM).
    pub fn salt_len(self) -> usize {
        match self {
            Self::AeadAes256Gcm | Self::AeadAes128Gcm => 12,
            _ => 14,
        }
    }
}

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
    /// First retransmission timeout of a flight (RFC 6347 §4.2.4.1). Default 500 ms: the
    /// handshake starts right after ICE has proven the path, whose round trip is far below the
    /// RFC's generic 1 s; Chrome starts lower still (50 ms, scaled by ICE's RTT).
    pub flight_start_rto: Duration,
    /// Cap of the doubling backoff. Default 4 s: RFC 6347 §4.2.4.1 allows up to 60 s, but a
    /// WebRTC handshake that has not finished in `handshake_timeout` is abandoned anyway, and a
    /// short cap keeps retrying through a burst of loss instead of sleeping through the path's
    /// recovery.
    pub flight_max_rto: Duration,
    /// Retransmissions of a flight before giving up.
    pub flight_retries: usize,
    /// The whole handshake must finish within this.
    pub handshake_timeout: Duration,
    /// Most bytes of application data held while the certificate waits for fingerprints.
    pub max_pending_bytes: usize,
}

impl Default for DtlsConfig {
    fn default() -> Self {
        Self {
            mtu: 1200,
            flight_start_rto: Duration::from_millis(500),
            flight_max_rto: Duration::from_secs(4),
            flight_retries: 12,
            handshake_timeout: Duration::from_secs(40),
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
    /// We refused the peer's handshake or records and sent it a fatal alert.
    #[error("DTLS: refused the peer ({reason}; alert {alert})")]
    Refused {
        /// The alert description sent (RFC 5246 §7.2).
        alert: u8,
        /// What was wrong.
        reason: &'static str,
    },
    /// The peer sent a fatal alert.
    #[error("DTLS: the peer sent fatal alert {0}")]
    PeerAlert(u8),
    /// The handshake did not finish in time (flights unanswered).
    #[error("DTLS: handshake timed out")]
    Timeout,
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
pub enum DtlsSendError {
    /// Not connected (yet, or any more).
    #[error("DTLS transport not connected")]
    NotConnected,
    /// More than one record's plaintext (RFC 5246 §6.2.1).
    #[error("{len} bytes do not fit one record (at most {max})")]
    TooLarge {
        /// What was given.
        len: usize,
        /// The most one record carries.
        max: usize,
    },
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DtlsStats {
    /// Datagrams received.
    pub datagrams_in: u64,
    /// Datagrams produced.
    pub datagrams_out: u64,
    /// Datagrams dropped because the transport had failed or closed.
    pub dropped_after_close: u64,
    /// Application data dropped while waiting for fingerprints (over `max_pending_bytes`).
    pub dropped_pending: u64,
    /// Records that cannot be framed (RFC 6347 §4.1), handshake messages that cannot be parsed,
    /// malformed ChangeCipherSpec or alerts.
    pub dropped_malformed: u64,
    /// Records failing authentication (RFC 6347 §4.1.2.7: discarded silently).
    pub dropped_auth: u64,
    /// Records already received (RFC 6347 §4.1.2.6 replay window).
    pub dropped_replay: u64,
    /// Records of an epoch or content type not valid at that point (plaintext alerts or
    /// application data once protected, records of an epoch without keys).
    pub dropped_unexpected: u64,
    /// Handshake fragments not buffered: too far ahead of the handshake, over the reassembly
    /// memory bound, or inconsistent with earlier fragments of their message.
    pub dropped_fragments: u64,
    /// Handshake messages after the handshake (a ClientHello or HelloRequest: RFC 5746
    /// renegotiation, which we refuse).
    pub renegotiation_refused: u64,
    /// ClientHellos refused before the cookie exchange (not DTLS 1.2), answered statelessly.
    pub hellos_refused: u64,
    /// HelloVerifyRequests sent (RFC 6347 §4.2.1, stateless).
    pub hello_verify_requests: u64,
    /// Flights sent again (timer or the peer's retransmission).
    pub flights_retransmitted: u64,
}

/// What every transport of one configuration shares.
#[derive(Debug)]
pub struct DtlsContext {
    config: DtlsConfig,
}

impl DtlsContext {
    /// A context for `config`.
    pub fn new(config: DtlsConfig) -> Self {
        Self { config }
    }

    /// The configuration.
    pub fn config(&self) -> &DtlsConfig {
        &self.config
    }
}

/// One DTLS association.
pub struct DtlsTransport {
    conn: Conn,
    /// `DtlsConfig::max_pending_bytes` (the rest of the configuration lives in `conn`).
    max_pending_bytes: usize,
    state: DtlsState,
    remote_fingerprints: Option<Vec<Fingerprint>>,
    peer_cert: Option<Vec<u8>>,
    /// The negotiated cipher suite's code point.
    cipher_suite: Option<u16>,
    /// The negotiated DTLS-SRTP protection profile.
    srtp_profile: Option<SrtpProfile>,
    handshake_done: bool,
    /// Events held back until the peer certificate is verified.
    held: VecDeque<DtlsEvent>,
    held_bytes: usize,
    events: VecDeque<DtlsEvent>,
    stats: DtlsStats,
}

impl std::fmt::Debug for DtlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DtlsTransport")
            .field("state", &self.state)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
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
        rng: Rng,
    ) -> Self {
        let config = context.config.clone();
        let key = certificate.signing_key();
        let max_pending_bytes = config.max_pending_bytes;
        let conn = Conn::new(role, config, certificate.der().to_vec(), key, rng);
        let mut t = Self {
            conn,
            max_pending_bytes,
            state: DtlsState::Connecting,
            remote_fingerprints,
            peer_cert: None,
            cipher_suite: None,
            srtp_profile: None,
            handshake_done: false,
            held: VecDeque::new(),
            held_bytes: 0,
            events: VecDeque::new(),
            stats: DtlsStats::default(),
        };
        t.drain();
        t
    }

    /// The remote's certificate (DER) once verified against the remote description's
    /// fingerprints (W3C `RTCDtlsTransport.getRemoteCertificates()`); `None` before.
    pub fn remote_certificate(&self) -> Option<&[u8]> {
        self.peer_cert
            .as_deref()
            .filter(|_| self.state == DtlsState::Connected)
    }

    /// The negotiated cipher suite's IANA name (W3C `RTCTransportStats.dtlsCipher`), once the
    /// handshake completed.
    pub fn cipher_suite(&self) -> Option<&'static str> {
        Some(match self.cipher_suite? {
            0xC02B => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            0xC02C => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            0xCCA9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            0xC02F => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            0xC030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            0xCCA8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            _ => return None,
        })
    }

    /// The negotiated DTLS-SRTP protection profile (RFC 5764 §4.1.2), once the handshake
    /// completed with one.
    pub fn srtp_profile(&self) -> Option<SrtpProfile> {
        self.srtp_profile
    }

    /// Our DTLS role.
    pub fn role(&self) -> DtlsRole {
        self.conn.role()
    }

    /// The state.
    pub fn state(&self) -> DtlsState {
        self.state
    }

    /// Counters.
    pub fn stats(&self) -> DtlsStats {
        let c = self.conn.counters();
        DtlsStats {
            dropped_malformed: self.stats.dropped_malformed + c.malformed,
            dropped_auth: c.auth_failed,
            dropped_replay: c.replayed,
            dropped_unexpected: c.unexpected,
            dropped_fragments: c.fragments_dropped,
            renegotiation_refused: c.renegotiation_refused,
            hellos_refused: c.hello_refused,
            hello_verify_requests: c.hello_verify_sent,
            flights_retransmitted: c.flights_retransmitted,
            ..self.stats
        }
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

    /// Releases what an idle transport keeps from busier times (record buffers, empty queues).
    pub fn trim(&mut self) {
        use crate::vecmap::shrink_if_empty;
        if self.state != DtlsState::Connected {
            return;
        }
        self.conn.trim();
        shrink_if_empty!(self.events, self.held);
    }

    /// A DTLS datagram (first byte 20..=63, RFC 7983) from the selected pair.
    pub fn handle_receive(&mut self, now: Instant, datagram: &[u8]) {
        self.receive_with(None, |conn, sink| conn.handle_receive(now, datagram, sink));
    }

    /// Like [`DtlsTransport::handle_receive`], with the application records of an established
    /// connection handed to `sink` at once (each as a range of the datagram's buffer) rather
    /// than queued as [`DtlsEvent::Data`]: the peer's path to SCTP, with no event per record.
    /// Before the connection is verified, records are queued as events as usual.
    pub(crate) fn handle_receive_into(
        &mut self,
        now: Instant,
        datagram: &[u8],
        sink: &mut dyn conn::RecordSink,
    ) {
        self.receive_with(Some(sink), |conn, sink| {
            conn.handle_receive(now, datagram, sink)
        });
    }

    /// [`DtlsTransport::handle_receive_buf`] with a sink, as [`DtlsTransport::handle_receive_into`].
    pub(crate) fn handle_receive_buf_into(
        &mut self,
        now: Instant,
        datagram: BytesMut,
        sink: &mut dyn conn::RecordSink,
    ) {
        self.receive_with(Some(sink), |conn, sink| {
            conn.handle_receive_buf(now, datagram, sink)
        });
    }

    /// Like [`DtlsTransport::handle_receive`], with a datagram buffer the transport may keep:
    /// application records are opened inside it and their plaintext handed on as slices of it
    /// ([`DtlsEvent::Data`]), so nothing is copied.
    pub fn handle_receive_buf(&mut self, now: Instant, datagram: BytesMut) {
        self.receive_with(None, |conn, sink| {
            conn.handle_receive_buf(now, datagram, sink)
        });
    }

    /// One datagram, handed to the connection by `receive`, unless the transport has ended.
    /// Application records go to `sink` only while the connection is up and verified (else
    /// they wait as events, like every record before the fingerprint check).
    fn receive_with<'s>(
        &mut self,
        sink: conn::Sink<'s>,
        receive: impl FnOnce(&mut Conn, conn::Sink<'s>),
    ) {
        if !self.alive() {
            self.stats.dropped_after_close += 1;
            return;
        }
        self.stats.datagrams_in += 1;
        let sink = sink.filter(|_| self.state == DtlsState::Connected);
        receive(&mut self.conn, sink);
        self.drain();
    }

    /// Time passed: retransmit flights, expire the handshake.
    pub fn handle_timeout(&mut self, now: Instant) {
        if !self.alive() || self.conn.poll_timeout().is_none_or(|t| now < t) {
            return;
        }
        self.conn.handle_timeout(now);
        self.drain();
    }

    /// Encrypts and queues application data.
    pub fn send(&mut self, data: &[u8]) -> Result<(), DtlsSendError> {
        if data.len() > record::MAX_PLAINTEXT {
            return Err(DtlsSendError::TooLarge {
                len: data.len(),
                max: record::MAX_PLAINTEXT,
            });
        }
        if self.state != DtlsState::Connected || !self.conn.send(data) {
            return Err(DtlsSendError::NotConnected);
        }
        Ok(())
    }

    /// Seals one application data record whose plaintext `fill` appends straight to the
    /// outgoing record buffer (after the record header and nonce already in it, with room for
    /// `max_len` bytes): it is sealed where it was written, with no copy. This is how the `Peer`
    /// sends SCTP packets (RFC 8261 §5: one per record). `fill` returns false when it has
    /// nothing to send, leaving the buffer as it was (then no record is made and `Ok(false)`
    /// comes back). More than 2^14 bytes (RFC 5246 §6.2.1) written is
    /// [`DtlsSendError::TooLarge`] and nothing is sent.
    pub fn send_with(
        &mut self,
        max_len: usize,
        fill: impl FnOnce(&mut BytesMut) -> bool,
    ) -> Result<bool, DtlsSendError> {
        self.send_record_with(fill, |conn, fill| conn.send_with(max_len, fill))
    }

    /// [`DtlsTransport::send_with`], the record appended to `out` (the caller's datagram buffer)
    /// instead of queued for [`DtlsTransport::poll_transmit`]: for a caller that has polled
    /// the queue empty (datagrams keep their order). Counted as a datagram out.
    pub(crate) fn send_with_into(
        &mut self,
        out: &mut BytesMut,
        max_len: usize,
        fill: impl FnOnce(&mut BytesMut) -> bool,
    ) -> Result<bool, DtlsSendError> {
        let sent =
            self.send_record_with(fill, |conn, fill| conn.send_with_into(out, max_len, fill));
        if let Ok(true) = sent {
            self.stats.datagrams_out += 1;
        }
        sent
    }

    /// The state check and result of both `send_with`s: `send` seals with `fill`'s plaintext.
    fn send_record_with(
        &mut self,
        fill: impl FnOnce(&mut BytesMut) -> bool,
        send: impl FnOnce(&mut Conn, &mut dyn FnMut(&mut BytesMut) -> bool) -> bool,
    ) -> Result<bool, DtlsSendError> {
        if self.state != DtlsState::Connected || !self.conn.is_connected() {
            return Err(DtlsSendError::NotConnected);
        }
        let mut written = 0;
        let mut filled = false;
        let mut fill = Some(fill);
        let sent = send(&mut self.conn, &mut |buf: &mut BytesMut| {
            let before = buf.len();
            filled = fill.take().is_some_and(|f| f(buf));
            written = buf.len() - before;
            filled
        });
        match (sent, filled) {
            (true, _) => Ok(true),
            (false, true) if written > record::MAX_PLAINTEXT => Err(DtlsSendError::TooLarge {
                len: written,
                max: record::MAX_PLAINTEXT,
            }),
            _ => Ok(false),
        }
    }

    /// Sends close_notify and closes.
    pub fn close(&mut self) {
        if !self.alive() {
            return;
        }
        self.conn.close();
        self.drain();
        self.state = DtlsState::Closed;
    }

    /// The next datagram to send on the selected pair, taken at `now`: a handshake flight's
    /// retransmission timer starts when its first datagram is taken, and the handshake's
    /// deadline at the first call (DESIGN §3: nothing is timed from before the caller could
    /// send it).
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Bytes> {
        let t = self.conn.poll_transmit(now)?;
        self.stats.datagrams_out += 1;
        Some(t)
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<DtlsEvent> {
        self.events.pop_front()
    }

    /// When `handle_timeout` is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.alive() {
            self.conn.poll_timeout()
        } else {
            None
        }
    }

    fn fail(&mut self, reason: DtlsFailure) {
        if !self.alive() {
            return;
        }
        // A failure decided here (the certificate) ends the connection too: its queued flight
        // never leaves, bad_certificate does (a no-op when the connection failed first).
        self.conn
            .fail(conn::alert::BAD_CERTIFICATE, "certificate refused");
        while self.conn.poll_event().is_some() {}
        self.state = DtlsState::Failed;
        self.held.clear();
        self.held_bytes = 0;
        self.events.push_back(DtlsEvent::Failed(reason));
    }

    /// Moves the connection's events out, checking the certificate as soon as it shows.
    fn drain(&mut self) {
        while let Some(e) = self.conn.poll_event() {
            if !self.alive() {
                continue;
            }
            match e {
                ConnEvent::PeerCertificate(c) => {
                    self.peer_cert = Some(c);
                    self.verify();
                }
                ConnEvent::Connected { srtp, suite } => {
                    self.handshake_done = true;
                    self.cipher_suite = Some(suite);
                    self.srtp_profile = srtp.as_ref().map(|(p, _)| *p);
                    if let Some((profile, material)) = srtp {
                        self.report(DtlsEvent::KeyingMaterial { material, profile });
                    }
                    self.verify();
                }
                ConnEvent::Data(d) => self.report(DtlsEvent::Data(d)),
                ConnEvent::CloseNotify => {
                    self.report(DtlsEvent::Closed);
                    if self.state == DtlsState::Connected {
                        self.state = DtlsState::Closed;
                    }
                }
                ConnEvent::Failed(f) => self.fail(match f {
                    ConnFailure::Refused { alert, reason } => {
                        DtlsFailure::Refused { alert, reason }
                    }
                    ConnFailure::PeerAlert(a) => DtlsFailure::PeerAlert(a),
                    ConnFailure::Timeout => DtlsFailure::Timeout,
                }),
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
        if self.held_bytes + size > self.max_pending_bytes {
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
        // handshake as soon as it is seen, before our next flight leaves: bad_certificate goes
        // out instead and the other side fails too.
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
                // Kept (W3C `getRemoteCertificates`), at its size; the fingerprints have done
                // their job (nothing verifies again once connected).
                if let Some(c) = self.peer_cert.as_mut() {
                    c.shrink_to_fit();
                }
                self.remote_fingerprints = None;
            }
            Err(e) => self.fail(e.into()),
        }
    }
}

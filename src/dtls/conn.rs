//! One DTLS 1.2 connection (RFC 6347 over RFC 5246): the client and server handshakes for
//! WebRTC, the key schedule (RFC 5246 §6.3, §8.1 with RFC 7627's extended master secret), the
//! DTLS-SRTP exporter (RFC 5705, RFC 5764 §4.2) and record processing.
//!
//! The profile (RFC 8827 §6.5, RFC 8842): ECDHE only (X25519, P-256 offered, P-384 accepted),
//! AEAD suites only, mutual certificate authentication (self-signed; the fingerprint check is the
//! caller's, as soon as [`ConnEvent::PeerCertificate`] comes out), extended master secret
//! required, no renegotiation, no session resumption, use_srtp.

use super::crypto::{
    self, AeadAlg, Group, HashAlg, KeyKind, KeyShare, PeerKey, SigningKey, scheme,
};
use super::flight::{FlightMsg, Inserted, Reassembler, whole_message};
use super::message::{
    self, CertificateMsg, CertificateRequest, CertificateVerify, ClientHello, ClientKeyExchange,
    DTLS1_0, DTLS1_2, Extensions, Finished, HandshakeHeader, HelloVerifyRequest, ServerHello,
    ServerKeyExchange, UseSrtp, msg_type,
};
use super::record::{self, HEADER_LEN, RecordCipher, RecordHeader, ReplayWindow, content};
use super::{DtlsConfig, DtlsRole, SrtpProfile};
use crate::rng::Rng;
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// A cipher suite we implement (RFC 5289, RFC 7905).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Suite {
    /// Code point.
    pub(crate) id: u16,
    aead: AeadAlg,
    hash: HashAlg,
    /// ECDHE_RSA (the server authenticates with an RSA key) rather than ECDHE_ECDSA.
    rsa: bool,
}

/// Our preference order: AES-128-GCM first (hardware AES everywhere WebRTC runs, the cheapest
/// record protection), then AES-256-GCM, then ChaCha20-Poly1305; ECDSA before RSA.
pub(crate) const SUITES: [Suite; 6] = [
    Suite {
        id: 0xC02B,
        aead: AeadAlg::Aes128Gcm,
        hash: HashAlg::Sha256,
        rsa: false,
    },
    Suite {
        id: 0xC02C,
        aead: AeadAlg::Aes256Gcm,
        hash: HashAlg::Sha384,
        rsa: false,
    },
    Suite {
        id: 0xCCA9,
        aead: AeadAlg::ChaCha20Poly1305,
        hash: HashAlg::Sha256,
        rsa: false,
    },
    Suite {
        id: 0xC02F,
        aead: AeadAlg::Aes128Gcm,
        hash: HashAlg::Sha256,
        rsa: true,
    },
    Suite {
        id: 0xC030,
        aead: AeadAlg::Aes256Gcm,
        hash: HashAlg::Sha384,
        rsa: true,
    },
    Suite {
        id: 0xCCA8,
        aead: AeadAlg::ChaCha20Poly1305,
        hash: HashAlg::Sha256,
        rsa: true,
    },
];

fn suite(id: u16) -> Option<Suite> {
    SUITES.iter().copied().find(|s| s.id == id)
}

/// Highest message_seq a ClientHello is answered at.
const MAX_HELLO_SEQ: u16 = 16;

/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3).
const RENEGOTIATION_SCSV: u16 = 0x00FF;

/// Groups a client offers, preferred first (what browsers prefer, then what every DTLS 1.2
/// stack has).
const OFFERED_GROUPS: [Group; 2] = [Group::X25519, Group::Secp256r1];

/// Groups a server accepts, preferred first.
const ACCEPTED_GROUPS: [Group; 3] = [Group::X25519, Group::Secp256r1, Group::Secp384r1];

/// Alert descriptions (RFC 5246 §7.2).
pub(crate) mod alert {
    /// close_notify
    pub(crate) const CLOSE_NOTIFY: u8 = 0;
    /// unexpected_message
    pub(crate) const UNEXPECTED_MESSAGE: u8 = 10;
    /// handshake_failure
    pub(crate) const HANDSHAKE_FAILURE: u8 = 40;
    /// bad_certificate
    pub(crate) const BAD_CERTIFICATE: u8 = 42;
    /// unsupported_certificate
    pub(crate) const UNSUPPORTED_CERTIFICATE: u8 = 43;
    /// illegal_parameter
    pub(crate) const ILLEGAL_PARAMETER: u8 = 47;
    /// decode_error
    pub(crate) const DECODE_ERROR: u8 = 50;
    /// decrypt_error
    pub(crate) const DECRYPT_ERROR: u8 = 51;
    /// protocol_version
    pub(crate) const PROTOCOL_VERSION: u8 = 70;
    /// no_renegotiation
    pub(crate) const NO_RENEGOTIATION: u8 = 100;
}

/// Why the connection ended, as the engine sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnFailure {
    /// We refused the peer: the alert we sent and what was wrong.
    Refused {
        /// Alert description sent.
        alert: u8,
        /// What was wrong.
        reason: &'static str,
    },
    /// The peer sent a fatal alert.
    PeerAlert(u8),
    /// The handshake did not finish in time.
    Timeout,
}

/// What the engine reports.
#[derive(Debug)]
pub(crate) enum ConnEvent {
    /// The peer's leaf certificate, as soon as it arrives (check it before anything else).
    PeerCertificate(Vec<u8>),
    /// The handshake completed.
    Connected {
        /// The SRTP profile, if use_srtp was negotiated.
        srtp: Option<(SrtpProfile, Vec<u8>)>,
        /// The cipher suite's code point.
        suite: u16,
    },
    /// Application data.
    Data(Bytes),
    /// The peer sent close_notify.
    CloseNotify,
    /// The connection failed.
    Failed(ConnFailure),
}

/// Counters the engine keeps (folded into `DtlsStats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ConnCounters {
    pub(crate) malformed: u64,
    pub(crate) auth_failed: u64,
    pub(crate) replayed: u64,
    pub(crate) unexpected: u64,
    pub(crate) renegotiation_refused: u64,
    pub(crate) fragments_dropped: u64,
    pub(crate) hello_verify_sent: u64,
    pub(crate) hello_refused: u64,
    pub(crate) flights_retransmitted: u64,
}

/// Where the handshake is: the next message each side expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    // Client.
    ServerHello,
    ServerCertificate,
    ServerKeyExchange,
    CertificateRequestOrDone,
    ServerHelloDone,
    ServerFinished,
    // Server.
    ClientHello,
    ClientCertificate,
    ClientKeyExchange,
    CertificateVerify,
    ClientFinished,
    // Both.
    Done,
}

/// Handshake state, dropped once the handshake is over (post-handshake memory: only the record
/// layer stays).
struct Handshake {
    step: Step,
    transcript: Vec<u8>,
    client_random: [u8; 32],
    server_random: [u8; 32],
    suite: Option<Suite>,
    srtp: Option<SrtpProfile>,
    share: Option<KeyShare>,
    /// The peer's ECDHE public key (server: from ClientKeyExchange; client: from SKE).
    peer_key: Option<PeerKey>,
    /// Client: the server asked for our certificate, with these schemes.
    cert_request: Option<Vec<u16>>,
    master: Option<[u8; 48]>,
    reassembler: Reassembler,
    next_send_seq: u16,
    flight: Vec<FlightMsg>,
    flight_timer: Option<Instant>,
    /// The current flight's timer starts when its first datagram is taken (`poll_transmit`),
    /// at that call's time: a flight made by a command (the client's first, created when the
    /// description is applied) or waiting for a path never retransmits before it was sent.
    arm_on_send: bool,
    rto: Duration,
    retries: usize,
    /// The handshake gives up at this time: `handshake_timeout` after the first call that
    /// carried the time with a path to send on (`poll_transmit`) or a datagram.
    deadline: Option<Instant>,
    /// Client: the cookie to echo.
    cookie: Vec<u8>,
    /// Client: the ClientHello's body minus the cookie, to resend with one.
    hello: Option<ClientHello>,
    /// Client: the premaster secret and our public share, between ServerKeyExchange and the
    /// ClientKeyExchange that carries the share.
    premaster: Option<(Vec<u8>, Vec<u8>)>,
}

/// Our side's secrets and randomness for the handshake.
struct Identity {
    rng: Rng,
    cert_der: Vec<u8>,
    key: SigningKey,
    cookie_secret: [u8; 32],
}

/// The identity, during the handshake.
macro_rules! id {
    ($s:expr) => {
        $s.id
            .as_mut()
            .expect("invariant: the identity lives as long as the handshake")
    };
}

/// One DTLS connection.
pub(crate) struct Conn {
    role: DtlsRole,
    config: DtlsConfig,
    /// What only the handshake needs (our randomness, certificate, key, cookie secret): dropped
    /// with it, so an established connection keeps only its record layer.
    id: Option<Box<Identity>>,
    hs: Option<Box<Handshake>>,
    /// Server: our last flight kept after the handshake, until the client shows it has it.
    final_flight: Option<Vec<FlightMsg>>,
    read: Option<RecordCipher>,
    write: Option<RecordCipher>,
    /// Epoch-1 keys, derived before the peer's ChangeCipherSpec arrives.
    write_epoch: u16,
    /// Our ChangeCipherSpec has left (been polled): the peer may read epoch 1 from us. Until
    /// then a fatal alert goes out in plaintext, or the peer could not read it.
    announced: bool,
    /// Datagrams polled so far, and the number of the first one carrying our ChangeCipherSpec.
    popped: u64,
    ccs_datagram: Option<u64>,
    write_seq: [u64; 2],
    window: ReplayWindow,
    connected: bool,
    ended: bool,
    transmits: VecDeque<Bytes>,
    events: VecDeque<ConnEvent>,
    /// Outgoing records are written into this and cut from it.
    tx: BytesMut,
    /// Borrowed datagrams are copied into this, opened in place and handed on as slices.
    rx: BytesMut,
    /// Scratch list of the opened application data's ranges in a datagram.
    plain: Vec<(usize, usize)>,
    /// Where a borrowed datagram's application records are opened when they go to a sink:
    /// decrypted straight out of the caller's datagram (no copy first), lent from here.
    scratch: Vec<u8>,
    counters: ConnCounters,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("role", &self.role)
            .field("connected", &self.connected)
            .finish_non_exhaustive()
    }
}

/// Where opened application records go instead of the event queue, when the connection's user
/// handles them at once.
pub(crate) trait RecordSink {
    /// Whether the user keeps slices of `record` (plaintext): then the datagram's buffer is
    /// shared with it; otherwise records are lent and the buffer space is reused at once (no
    /// reference counting, and the next datagram lands in memory still in cache).
    fn keeps(&mut self, record: &[u8]) -> bool;
    /// One record: lent (`shared` is `None`), or also as a range of the shared buffer.
    fn record(&mut self, record: &[u8], shared: Option<(&Bytes, std::ops::Range<usize>)>);
}

/// A [`RecordSink`], when the connection's user takes records at once.
pub(crate) type Sink<'s> = Option<&'s mut dyn RecordSink>;

/// Bytes per arena chunk: a few records. A record kept alive (a message sliced out of it)
/// keeps its chunk alive, so it stays small.
const ARENA_CHUNK: usize = 16 * 1024;

enum Flow {
    Continue,
    Stop,
}

type HsResult = Result<(), (u8, &'static str)>;

impl Conn {
    /// A connection; a client sends its ClientHello right away.
    pub(crate) fn new(
        role: DtlsRole,
        config: DtlsConfig,
        cert_der: Vec<u8>,
        key: SigningKey,
        mut rng: Rng,
    ) -> Self {
        let cookie_secret = rng.bytes::<32>();
        let step = match role {
            DtlsRole::Client => Step::ServerHello,
            DtlsRole::Server => Step::ClientHello,
        };
        let hs = Handshake {
            step,
            transcript: Vec::new(),
            client_random: [0; 32],
            server_random: [0; 32],
            suite: None,
            srtp: None,
            share: None,
            peer_key: None,
            cert_request: None,
            master: None,
            reassembler: Reassembler::default(),
            next_send_seq: 0,
            flight: Vec::new(),
            flight_timer: None,
            arm_on_send: false,
            rto: config.flight_start_rto,
            retries: 0,
            deadline: None,
            cookie: Vec::new(),
            hello: None,
            premaster: None,
        };
        let mut c = Self {
            role,
            config,
            id: Some(Box::new(Identity {
                rng,
                cert_der,
                key,
                cookie_secret,
            })),
            hs: Some(Box::new(hs)),
            final_flight: None,
            read: None,
            write: None,
            write_epoch: 0,
            announced: false,
            popped: 0,
            ccs_datagram: None,
            write_seq: [0; 2],
            window: ReplayWindow::default(),
            connected: false,
            ended: false,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            tx: BytesMut::new(),
            rx: BytesMut::new(),
            plain: Vec::new(),
            scratch: Vec::new(),
            counters: ConnCounters::default(),
        };
        if role == DtlsRole::Client {
            c.client_hello();
        }
        c
    }

    /// Bytes of handshake state held (transcript and buffered fragments): what a flood of
    /// hellos must not grow.
    #[cfg(test)]
    pub(crate) fn held_bytes(&self) -> usize {
        self.hs
            .as_ref()
            .map_or(0, |h| h.transcript.len() + h.reassembler.buffered())
    }

    /// Capacity of the receive arena (tests: whether a datagram was copied into it).
    #[cfg(test)]
    pub(crate) fn rx_arena_capacity(&self) -> usize {
        self.rx.capacity()
    }

    pub(crate) fn counters(&self) -> ConnCounters {
        self.counters
    }

    pub(crate) fn role(&self) -> DtlsRole {
        self.role
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.connected && !self.ended
    }

    /// Starts the handshake's deadline at the first call that carries the time (see `deadline`).
    fn start_deadline(&mut self, now: Instant) {
        if let Some(hs) = self.hs.as_mut()
            && hs.deadline.is_none()
        {
            hs.deadline = Some(now + self.config.handshake_timeout);
        }
    }

    /// The next datagram, taken at `now` (the current flight's timer starts with its first).
    pub(crate) fn poll_transmit(&mut self, now: Instant) -> Option<Bytes> {
        self.start_deadline(now);
        let d = self.transmits.pop_front()?;
        if let Some(hs) = self.hs.as_mut()
            && std::mem::take(&mut hs.arm_on_send)
        {
            hs.flight_timer = Some(now + hs.rto);
        }
        if self.ccs_datagram == Some(self.popped) {
            self.announced = true;
        }
        self.popped += 1;
        Some(d)
    }

    pub(crate) fn poll_event(&mut self) -> Option<ConnEvent> {
        self.events.pop_front()
    }

    /// Releases buffers an idle connection does not need.
    pub(crate) fn trim(&mut self) {
        if self.transmits.is_empty() {
            self.tx = BytesMut::new();
            self.rx = BytesMut::new();
            self.plain = Vec::new();
            self.scratch = Vec::new();
            self.transmits = VecDeque::new();
        }
        if self.events.is_empty() {
            self.events = VecDeque::new();
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        if self.ended {
            return None;
        }
        let hs = self.hs.as_ref()?;
        if hs.step == Step::Done {
            return None;
        }
        [hs.flight_timer, hs.deadline].into_iter().flatten().min()
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if self.ended {
            return;
        }
        let Some(hs) = self.hs.as_mut() else { return };
        if hs.step == Step::Done {
            return;
        }
        if hs.deadline.is_some_and(|d| now >= d) {
            self.end(ConnFailure::Timeout);
            return;
        }
        if hs.flight_timer.is_some_and(|t| now >= t) {
            if hs.retries >= self.config.flight_retries {
                self.end(ConnFailure::Timeout);
                return;
            }
            hs.retries += 1;
            // RFC 6347 §4.2.4.1: double the timer on each retransmission (capped: see
            // `DtlsConfig::flight_max_rto`).
            hs.rto = (hs.rto * 2).min(self.config.flight_max_rto);
            hs.flight_timer = None;
            hs.arm_on_send = true;
            self.counters.flights_retransmitted += 1;
            self.send_flight();
        }
    }

    /// Sends a fatal alert and stops (our decision).
    pub(crate) fn fail(&mut self, alert: u8, reason: &'static str) {
        if self.ended {
            return;
        }
        self.end(ConnFailure::Refused { alert, reason });
        // RFC 5246 §7.2.2: the fatal alert is the last thing sent.
        self.send_alert(2, alert);
    }

    /// Stops for good: nothing queued before the failure goes out.
    fn end(&mut self, f: ConnFailure) {
        if self.ended {
            return;
        }
        self.ended = true;
        self.transmits.clear();
        self.hs = None;
        self.id = None;
        self.final_flight = None;
        self.events.push_back(ConnEvent::Failed(f));
    }

    /// close_notify (RFC 5246 §7.2.1), then nothing more.
    pub(crate) fn close(&mut self) {
        if self.ended {
            return;
        }
        self.send_alert(1, alert::CLOSE_NOTIFY);
        self.ended = true;
        self.hs = None;
        self.final_flight = None;
    }

    /// Seals `data` as one application_data record.
    pub(crate) fn send(&mut self, data: &[u8]) -> bool {
        // RFC 5246 §6.2.1: a record's plaintext is at most 2^14 bytes (a peer answers more with
        // record_overflow).
        if data.len() > record::MAX_PLAINTEXT {
            return false;
        }
        self.send_with(data.len(), |buf| {
            buf.extend_from_slice(data);
            true
        })
    }

    // ---------------------------------------------------------------------------------------
    // Records out.

    fn take_seq(&mut self, epoch: u16) -> u64 {
        let s = &mut self.write_seq[usize::from(epoch.min(1))];
        let v = *s;
        *s = (*s + 1).min(record::MAX_SEQ);
        v
    }

    /// Writes one record in the current write epoch; `fill` appends the plaintext.
    fn send_record(&mut self, content_type: u8, fill: impl FnOnce(&mut BytesMut)) {
        let epoch = self.write_epoch;
        let mut buf = self.take_tx(1500);
        self.append_record(&mut buf, epoch, content_type, fill);
        self.push_tx(buf);
    }

    /// Seals one application_data record whose plaintext `fill` appends straight to the
    /// record's buffer (after the header and explicit nonce, with at least `max_len` bytes of
    /// room): the plaintext is sealed where it was written, with no copy. `fill` returns false
    /// when it has nothing (and must then leave the buffer as it was): no record, no sequence
    /// number used. False when not connected, or when `fill` wrote more than a record holds
    /// (dropped).
    pub(crate) fn send_with(
        &mut self,
        max_len: usize,
        fill: impl FnOnce(&mut BytesMut) -> bool,
    ) -> bool {
        let Some(room) = self.record_room(max_len) else {
            return false;
        };
        let mut buf = self.take_tx(room);
        let sent = self.seal_into(&mut buf, fill);
        if sent {
            self.push_tx(buf);
        } else {
            self.tx = buf;
        }
        sent
    }

    /// [`Conn::send_with`], the record appended to the caller's `out` (the datagram the caller
    /// sends) instead of queued: counted as a datagram taken, as [`Conn::poll_transmit`] counts
    /// it. Only when nothing is queued (the caller polls the queue first), so that datagrams
    /// keep their order.
    pub(crate) fn send_with_into(
        &mut self,
        out: &mut BytesMut,
        max_len: usize,
        fill: impl FnOnce(&mut BytesMut) -> bool,
    ) -> bool {
        debug_assert!(self.transmits.is_empty(), "queued datagrams go first");
        let Some(room) = self.record_room(max_len) else {
            return false;
        };
        out.reserve(room);
        let sent = self.seal_into(out, fill);
        if sent {
            self.popped += 1;
        }
        sent
    }

    /// Room for an application data record of up to `max_len` plaintext bytes; `None` when no
    /// application data may be sent.
    fn record_room(&self, max_len: usize) -> Option<usize> {
        if !self.is_connected() {
            return None;
        }
        let cipher = self.write.as_ref()?;
        Some(HEADER_LEN + cipher.overhead() + max_len)
    }

    /// Appends one sealed application data record to `buf` (checked by `record_room`: connected,
    /// with a write cipher), its plaintext written by `fill`; on false `buf` is as it was.
    fn seal_into(&mut self, buf: &mut BytesMut, fill: impl FnOnce(&mut BytesMut) -> bool) -> bool {
        let Some(cipher) = self.write.as_ref() else {
            return false;
        };
        let prefix = HEADER_LEN + cipher.prefix_len();
        let start = buf.len();
        buf.resize(start + prefix, 0);
        let wrote = fill(buf);
        let len = buf.len() - start - prefix;
        if !wrote || len > record::MAX_PLAINTEXT {
            buf.truncate(start);
            return false;
        }
        let epoch = self.write_epoch;
        let header = RecordHeader {
            content_type: content::APPLICATION_DATA,
            version: DTLS1_2,
            epoch,
            seq: self.take_seq(epoch),
            length: 0,
        };
        buf.resize(buf.len() + AeadAlg::TAG_LEN, 0);
        self.write
            .as_ref()
            .expect("invariant: checked above")
            .seal(header, &mut buf[start..]);
        true
    }

    /// The outgoing arena, with room for `size` more bytes (empty: everything written before
    /// was cut off).
    fn take_tx(&mut self, size: usize) -> BytesMut {
        if self.tx.capacity() - self.tx.len() < size && !self.tx.try_reclaim(size) {
            self.tx = BytesMut::with_capacity(ARENA_CHUNK.max(size));
        }
        std::mem::take(&mut self.tx)
    }

    /// Cuts what was written into `buf` off as one datagram and keeps the rest as the arena.
    fn push_tx(&mut self, mut buf: BytesMut) {
        if !buf.is_empty() {
            self.transmits.push_back(buf.split().freeze());
        }
        self.tx = buf;
    }

    /// Appends a record to `buf`: header, (explicit nonce), plaintext from `fill`, (tag).
    fn append_record(
        &mut self,
        buf: &mut BytesMut,
        epoch: u16,
        content_type: u8,
        fill: impl FnOnce(&mut BytesMut),
    ) {
        let seq = self.take_seq(epoch);
        let start = buf.len();
        let cipher = if epoch > 0 { self.write.as_ref() } else { None };
        let prefix = cipher.map_or(0, RecordCipher::prefix_len);
        buf.resize(start + HEADER_LEN + prefix, 0);
        fill(buf);
        // RFC 6347 §4.1: the ClientHello of a client that does not know the version yet goes
        // in a DTLS 1.0 record, as OpenSSL and BoringSSL do (any DTLS server accepts it).
        let version = if self.role == DtlsRole::Client
            && epoch == 0
            && self
                .hs
                .as_ref()
                .is_some_and(|h| h.step == Step::ServerHello)
        {
            DTLS1_0
        } else {
            DTLS1_2
        };
        let mut header = RecordHeader {
            content_type,
            version,
            epoch,
            seq,
            length: 0,
        };
        match cipher {
            Some(c) => {
                buf.resize(buf.len() + AeadAlg::TAG_LEN, 0);
                c.seal(header, &mut buf[start..]);
            }
            None => {
                header.length = u16::try_from(buf.len() - start - HEADER_LEN)
                    .expect("invariant: records are cut below MAX_BODY");
                header.write(&mut buf[start..start + HEADER_LEN]);
            }
        }
        debug_assert!(buf.len() - start <= HEADER_LEN + record::MAX_BODY);
    }

    fn send_alert(&mut self, level: u8, description: u8) {
        // RFC 5246 §7.2: alerts go in the current state, which for the peer is the last epoch
        // our ChangeCipherSpec announced (a flight dropped unsent announced nothing).
        let saved = self.write_epoch;
        if !self.announced {
            self.write_epoch = 0;
        }
        self.send_record(content::ALERT, |b| {
            b.extend_from_slice(&[level, description])
        });
        self.write_epoch = saved;
    }

    /// Cuts the current flight (or the kept final flight) into records and datagrams.
    fn send_flight(&mut self) {
        let msgs = match (&self.hs, &self.final_flight) {
            (Some(hs), _) if !hs.flight.is_empty() => hs.flight.clone(),
            (_, Some(f)) => f.clone(),
            _ => return,
        };
        let mtu = self.config.mtu.clamp(256, 16 * 1024);
        let mut dgram = self.take_tx(2 * mtu);
        for m in &msgs {
            match m {
                FlightMsg::ChangeCipherSpec => {
                    if dgram.len() + HEADER_LEN + 1 > mtu {
                        self.transmits.push_back(dgram.split().freeze());
                    }
                    self.append_record(&mut dgram, 0, content::CHANGE_CIPHER_SPEC, |b| {
                        b.extend_from_slice(&[1])
                    });
                    if self.ccs_datagram.is_none() {
                        // The datagram being built is the next to be queued.
                        self.ccs_datagram = Some(self.popped + self.transmits.len() as u64);
                    }
                }
                FlightMsg::Handshake { epoch, bytes } => {
                    let epoch = *epoch;
                    let overhead = HEADER_LEN
                        + HandshakeHeader::LEN
                        + if epoch > 0 {
                            self.write.as_ref().map_or(0, RecordCipher::overhead)
                        } else {
                            0
                        };
                    let header = HandshakeHeader::parse(bytes)
                        .map(|(h, _, _)| h)
                        .expect("invariant: flights hold whole messages we wrote");
                    let body = &bytes[HandshakeHeader::LEN..];
                    let mut offset = 0usize;
                    loop {
                        let room = mtu.saturating_sub(dgram.len() + overhead);
                        let left = body.len() - offset;
                        // Start a new datagram rather than send a sliver (or nothing).
                        if room < left.clamp(1, 64) && !dgram.is_empty() {
                            self.transmits.push_back(dgram.split().freeze());
                            continue;
                        }
                        let take = left.min(room.max(1));
                        let frag = HandshakeHeader {
                            fragment_offset: u32::try_from(offset).expect("bounded"),
                            fragment_length: u32::try_from(take).expect("bounded"),
                            ..header
                        };
                        let chunk = &body[offset..offset + take];
                        self.append_record(&mut dgram, epoch, content::HANDSHAKE, |b| {
                            let mut h = Vec::with_capacity(HandshakeHeader::LEN);
                            frag.encode(&mut h);
                            b.extend_from_slice(&h);
                            b.extend_from_slice(chunk);
                        });
                        offset += take;
                        if offset >= body.len() {
                            break;
                        }
                    }
                }
            }
        }
        self.push_tx(dgram);
    }

    /// Starts a new flight: `msgs` replace the previous one, go out now, and the timer starts
    /// (unless this is the server's final flight, which only answers retransmissions).
    fn start_flight(&mut self, msgs: Vec<FlightMsg>, timer: bool) {
        let hs = self
            .hs
            .as_mut()
            .expect("invariant: flights belong to a handshake");
        hs.flight = msgs;
        hs.rto = self.config.flight_start_rto;
        hs.retries = 0;
        // The timer starts when the flight is taken to be sent (`poll_transmit`).
        hs.flight_timer = None;
        hs.arm_on_send = timer;
        self.send_flight();
    }

    /// Adds a handshake message to the transcript and returns it whole, numbered.
    fn message(&mut self, msg_type: u8, body: &[u8], transcript: bool) -> Vec<u8> {
        let hs = self
            .hs
            .as_mut()
            .expect("invariant: messages belong to a handshake");
        let bytes = whole_message(msg_type, hs.next_send_seq, body);
        hs.next_send_seq += 1;
        if transcript {
            hs.transcript.extend_from_slice(&bytes);
        }
        bytes
    }

    /// A flight message: `encode` writes the body; numbered and added to the transcript.
    fn flight_msg(
        &mut self,
        epoch: u16,
        msg_type: u8,
        encode: impl FnOnce(&mut Vec<u8>),
    ) -> FlightMsg {
        let mut body = Vec::with_capacity(256);
        encode(&mut body);
        FlightMsg::Handshake {
            epoch,
            bytes: self.message(msg_type, &body, true),
        }
    }

    /// Our Certificate message (RFC 5246 §7.4.2, §7.4.6: one self-signed certificate).
    fn our_certificate(&mut self) -> FlightMsg {
        let chain = vec![id!(self).cert_der.clone()];
        self.flight_msg(0, msg_type::CERTIFICATE, |b| {
            CertificateMsg { chain }.encode(b)
        })
    }

    /// RFC 7627 §5.2/§5.3 (the extended master secret, required both ways here) and RFC 5746
    /// §3.4/§3.6 (renegotiation_info empty on an initial handshake), for either hello.
    fn secure_hello(ext: &Extensions, without_ems: &'static str) -> HsResult {
        if !ext.extended_master_secret {
            return Err((alert::HANDSHAKE_FAILURE, without_ems));
        }
        if ext
            .renegotiation_info
            .as_ref()
            .is_some_and(|r| !r.is_empty())
        {
            return Err((alert::HANDSHAKE_FAILURE, "non-empty renegotiation_info"));
        }
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Records in.

    /// One datagram from the peer, borrowed: copied into our receive arena, then handled as
    /// [`Conn::handle_receive_buf`] does; or, when it holds only application data for a sink
    /// (the steady state), opened straight out of `datagram`.
    pub(crate) fn handle_receive(&mut self, now: Instant, datagram: &[u8], sink: Sink<'_>) {
        if self.ended {
            return;
        }
        let sink = match sink {
            Some(sink) if self.connected && Self::only_application_data(datagram) => {
                self.receive_application_data(now, datagram, sink);
                return;
            }
            sink => sink,
        };
        self.copy_to_arena(datagram.len());
        let mut buf = std::mem::take(&mut self.rx);
        buf.extend_from_slice(datagram);
        // The arena's spare room comes back for the next datagram.
        self.rx = self.receive(now, buf, sink);
    }

    /// Makes room for `len` bytes in the receive arena: its own spare room, the chunk taken
    /// back once everything cut from it has been dropped, or a new chunk.
    fn copy_to_arena(&mut self, len: usize) {
        if self.rx.capacity() - self.rx.len() < len && !self.rx.try_reclaim(len) {
            self.rx = BytesMut::with_capacity(ARENA_CHUNK.max(len));
        }
    }

    /// Whether every record of `datagram` is a well-formed epoch-1 application data record:
    /// the steady state of a connection, which [`Conn::receive_application_data`] opens
    /// without copying the datagram first. Anything else (a handshake record, an alert, a
    /// malformed header) takes the general path, which counts and answers it.
    fn only_application_data(datagram: &[u8]) -> bool {
        let mut pos = 0;
        while pos < datagram.len() {
            match RecordHeader::parse(&datagram[pos..]) {
                Some(h)
                    if h.epoch == 1
                        && h.content_type == content::APPLICATION_DATA
                        && (h.version == DTLS1_2 || h.version == DTLS1_0) =>
                {
                    pos += HEADER_LEN + usize::from(h.length);
                }
                _ => return false,
            }
        }
        pos > 0
    }

    /// The steady state's receive path, for a datagram [`Conn::only_application_data`]
    /// accepted while connected, with a sink: each record is decrypted out of the borrowed
    /// datagram into `scratch` (the copy into the arena the general path starts with is
    /// folded into the decryption), then lent to the sink; only when the sink keeps slices of
    /// a record are the plaintexts copied into the arena and shared. The same checks as the
    /// general path (RFC 6347 §4.1.2.6 replay window before decryption, marked only after
    /// authentication; §4.1.2.7 invalid records discarded and counted).
    fn receive_application_data(
        &mut self,
        now: Instant,
        datagram: &[u8],
        sink: &mut dyn RecordSink,
    ) {
        self.start_deadline(now);
        let Some(read) = self.read.as_ref() else {
            self.counters.unexpected += 1;
            return;
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        if scratch.len() < datagram.len() {
            scratch.resize(datagram.len(), 0);
        }
        let mut plain = std::mem::take(&mut self.plain);
        let (mut pos, mut end) = (0, 0);
        while let Some(h) = datagram.get(pos..).and_then(RecordHeader::parse) {
            let body = &datagram[pos + HEADER_LEN..pos + HEADER_LEN + usize::from(h.length)];
            pos += HEADER_LEN + body.len();
            if !self.window.is_fresh(h.seq) {
                self.counters.replayed += 1;
                continue;
            }
            let Ok(len) = read.open_to(&h, body, &mut scratch[end..]) else {
                self.counters.auth_failed += 1;
                continue;
            };
            self.window.mark(h.seq);
            plain.push((end, end + len));
            end += len;
        }
        if !plain.is_empty() {
            // The client has our final flight.
            self.final_flight = None;
            if plain.iter().any(|&(a, b)| sink.keeps(&scratch[a..b])) {
                self.copy_to_arena(end);
                self.rx.extend_from_slice(&scratch[..end]);
                let shared = self.rx.split().freeze();
                for &(a, b) in &plain {
                    sink.record(&shared[a..b], Some((&shared, a..b)));
                }
            } else {
                for &(a, b) in &plain {
                    sink.record(&scratch[a..b], None);
                }
            }
        }
        plain.clear();
        self.plain = plain;
        self.scratch = scratch;
    }

    /// One datagram from the peer, in a buffer we may keep: application data is opened in
    /// place in it and handed on as slices of it, with no copy.
    pub(crate) fn handle_receive_buf(&mut self, now: Instant, datagram: BytesMut, sink: Sink<'_>) {
        if self.ended {
            return;
        }
        drop(self.receive(now, datagram, sink));
    }

    /// Handles the records of `buf`; returns what is left of it (its spare room) once the
    /// opened application data has been cut off and handed on.
    #[must_use]
    fn receive(&mut self, now: Instant, mut buf: BytesMut, mut sink: Sink<'_>) -> BytesMut {
        self.start_deadline(now);
        // Where the opened application data lies in `buf` (a reused list: no allocation).
        let mut plain = std::mem::take(&mut self.plain);
        let mut old_seen = false;
        let mut pos = 0;
        while pos < buf.len() {
            let Some(h) = RecordHeader::parse(&buf[pos..]) else {
                self.counters.malformed += 1;
                break;
            };
            let body_start = pos + HEADER_LEN;
            let body_end = body_start + usize::from(h.length);
            pos = body_end;
            if h.version != DTLS1_2 && h.version != DTLS1_0 {
                self.counters.malformed += 1;
                continue;
            }
            match h.epoch {
                0 => {
                    let body = buf[body_start..body_end].to_vec();
                    let flow = self.plaintext_record(now, &h, &body, &mut old_seen);
                    // Messages are acted on record by record: the keys a later record of this
                    // datagram needs (the Finished after a ClientKeyExchange) come from them.
                    self.process_messages();
                    if matches!(flow, Flow::Stop) || self.ended {
                        return self.deliver(buf, plain, &mut sink);
                    }
                }
                1 => {
                    let Some(read) = self.read.as_ref() else {
                        self.counters.unexpected += 1;
                        continue;
                    };
                    if !self.window.is_fresh(h.seq) {
                        self.counters.replayed += 1;
                        continue;
                    }
                    let Ok(range) = read.open(&h, &mut buf[body_start..body_end]) else {
                        // RFC 6347 §4.1.2.7: invalid records are discarded silently.
                        self.counters.auth_failed += 1;
                        continue;
                    };
                    self.window.mark(h.seq);
                    let (a, b) = (body_start + range.start, body_start + range.end);
                    match h.content_type {
                        content::APPLICATION_DATA => {
                            if self.connected {
                                plain.push((a, b));
                                // The client has our final flight.
                                self.final_flight = None;
                            } else {
                                self.counters.unexpected += 1;
                            }
                        }
                        content::HANDSHAKE => {
                            let body = buf[a..b].to_vec();
                            self.handshake_record(now, 1, &body, &mut old_seen);
                            self.process_messages();
                            if self.ended {
                                return self.deliver(buf, plain, &mut sink);
                            }
                        }
                        content::ALERT => {
                            let body = buf[a..b].to_vec();
                            if let Flow::Stop = self.alert(&body) {
                                // Data before the alert in this datagram still counts.
                                return self.deliver(buf, plain, &mut sink);
                            }
                        }
                        _ => self.counters.unexpected += 1,
                    }
                }
                _ => self.counters.unexpected += 1,
            }
        }
        let rest = self.deliver(buf, plain, &mut sink);
        if self.ended {
            return rest;
        }
        self.process_messages();
        // RFC 6347 §4.2.4: a retransmitted flight from the peer means ours was lost.
        if old_seen && !self.ended {
            let waiting = self.hs.as_ref().is_some_and(|h| !h.flight.is_empty());
            if waiting || self.final_flight.is_some() {
                self.counters.flights_retransmitted += 1;
                self.send_flight();
            }
        }
        rest
    }

    /// Hands the opened application data on as slices of the received buffer (to `sink` when
    /// given, else as events); returns the buffer's spare room.
    #[must_use]
    fn deliver(
        &mut self,
        mut buf: BytesMut,
        mut plain: Vec<(usize, usize)>,
        sink: &mut Sink<'_>,
    ) -> BytesMut {
        if plain.is_empty() {
            buf.clear();
        } else if let Some(sink) = sink {
            if plain.iter().any(|&(a, b)| sink.keeps(&buf[a..b])) {
                // Each record as a range of the datagram, which is shared once, however many
                // records it holds.
                let taken = buf.split().freeze();
                for &(a, b) in &plain {
                    sink.record(&taken[a..b], Some((&taken, a..b)));
                }
            } else {
                for &(a, b) in &plain {
                    sink.record(&buf[a..b], None);
                }
                buf.clear();
            }
        } else {
            let mut taken = buf.split();
            if let [(a, b)] = plain[..] {
                // One record (the steady state): the plaintext cut out of the buffer itself,
                // without the reference counting of a slice.
                taken.truncate(b);
                bytes::Buf::advance(&mut taken, a);
                self.events.push_back(ConnEvent::Data(taken.freeze()));
            } else {
                let frozen = taken.freeze();
                for &(a, b) in &plain {
                    self.events.push_back(ConnEvent::Data(frozen.slice(a..b)));
                }
            }
        }
        plain.clear();
        self.plain = plain;
        buf
    }

    fn plaintext_record(
        &mut self,
        now: Instant,
        h: &RecordHeader,
        body: &[u8],
        old_seen: &mut bool,
    ) -> Flow {
        match h.content_type {
            content::HANDSHAKE => {
                if self.hs.as_ref().is_none_or(|hs| hs.step == Step::Done) {
                    // After the handshake: a new ClientHello (renegotiation or a restart) or a
                    // retransmission of the client's flight while we keep our final one.
                    if self.final_flight.is_some() {
                        *old_seen = true;
                    } else {
                        self.counters.renegotiation_refused += 1;
                    }
                    return Flow::Continue;
                }
                // A server waiting for a ClientHello answers it statelessly (cookie).
                if self.role == DtlsRole::Server
                    && self
                        .hs
                        .as_ref()
                        .is_some_and(|hs| hs.step == Step::ClientHello)
                {
                    return self.server_hello_records(h, body);
                }
                self.handshake_record(now, 0, body, old_seen)
            }
            content::CHANGE_CIPHER_SPEC => {
                // The epoch switch itself is implied by the keys (records of epoch 1 open only
                // with them); a malformed one, or one after the handshake, is counted.
                if body != [1] {
                    self.counters.malformed += 1;
                } else if self.connected {
                    self.counters.unexpected += 1;
                }
                Flow::Continue
            }
            // Plaintext alerts count during the handshake (the peer may fail before it has sent
            // its ChangeCipherSpec, or before it has our keys); once connected they are
            // forgeries.
            content::ALERT if !self.connected => self.alert(body),
            _ => {
                self.counters.unexpected += 1;
                Flow::Continue
            }
        }
    }

    fn alert(&mut self, body: &[u8]) -> Flow {
        let [level, description] = body else {
            self.counters.malformed += 1;
            return Flow::Continue;
        };
        if *description == alert::CLOSE_NOTIFY {
            // RFC 5246 §7.2.1: answer close_notify with ours and stop.
            self.events.push_back(ConnEvent::CloseNotify);
            if !self.ended {
                self.send_alert(1, alert::CLOSE_NOTIFY);
            }
            self.ended = true;
            self.hs = None;
            return Flow::Stop;
        }
        if *level == 2 {
            self.end(ConnFailure::PeerAlert(*description));
            return Flow::Stop;
        }
        // Warnings (no_renegotiation, user_canceled): nothing to do.
        Flow::Continue
    }

    fn handshake_record(
        &mut self,
        _now: Instant,
        epoch: u16,
        mut body: &[u8],
        old_seen: &mut bool,
    ) -> Flow {
        let Some(hs) = self.hs.as_mut().filter(|h| h.step != Step::Done) else {
            if self.final_flight.is_some() {
                *old_seen = true;
            } else {
                // RFC 5746 / the profile: no renegotiation. A ClientHello or
                // HelloRequest after the handshake is refused with a warning and counted.
                self.counters.renegotiation_refused += 1;
                self.send_alert(1, alert::NO_RENEGOTIATION);
            }
            return Flow::Continue;
        };
        while !body.is_empty() {
            let Ok((h, frag, rest)) = HandshakeHeader::parse(body) else {
                self.counters.malformed += 1;
                break;
            };
            body = rest;
            // RFC 5246 §7.4.1.1: a HelloRequest while negotiating is ignored (and it never
            // takes part in the transcript).
            if h.msg_type == msg_type::HELLO_REQUEST {
                self.counters.unexpected += 1;
                continue;
            }
            // Only Finished travels in epoch 1 during the handshake.
            if epoch == 1 && h.msg_type != msg_type::FINISHED {
                self.counters.unexpected += 1;
                continue;
            }
            match hs.reassembler.insert(&h, frag) {
                Inserted::Stored => {}
                Inserted::Old => *old_seen = true,
                Inserted::Dropped => self.counters.fragments_dropped += 1,
            }
        }
        Flow::Continue
    }

    /// Delivers complete messages in order to the state machine.
    fn process_messages(&mut self) {
        loop {
            let Some(hs) = self.hs.as_mut() else { return };
            if hs.step == Step::Done {
                return;
            }
            let Some((seq, ty, body)) = hs.reassembler.pop() else {
                return;
            };
            let r = self.on_message(seq, ty, &body);
            if let Err((alert, reason)) = r {
                self.fail(alert, reason);
                return;
            }
            if self.ended {
                return;
            }
        }
    }

    fn on_message(&mut self, seq: u16, ty: u8, body: &[u8]) -> HsResult {
        let step = self.hs.as_ref().map(|h| h.step).expect("checked by caller");
        let whole = whole_message(ty, seq, body);
        match (step, ty) {
            (Step::ServerHello, msg_type::HELLO_VERIFY_REQUEST) => {
                let hvr = HelloVerifyRequest::parse(body)
                    .map_err(|_| (alert::DECODE_ERROR, "malformed HelloVerifyRequest"))?;
                self.on_hello_verify(hvr);
                Ok(())
            }
            (Step::ServerHello, msg_type::SERVER_HELLO) => {
                self.add_transcript(&whole);
                let sh = ServerHello::parse(body)
                    .map_err(|_| (alert::DECODE_ERROR, "malformed ServerHello"))?;
                self.on_server_hello(sh)
            }
            (Step::ServerCertificate, msg_type::CERTIFICATE)
            | (Step::ClientCertificate, msg_type::CERTIFICATE) => {
                self.add_transcript(&whole);
                let c = CertificateMsg::parse(body)
                    .map_err(|_| (alert::DECODE_ERROR, "malformed Certificate"))?;
                self.on_certificate(c)
            }
            (Step::ServerKeyExchange, msg_type::SERVER_KEY_EXCHANGE) => {
                self.add_transcript(&whole);
                let ske = ServerKeyExchange::parse(body)
                    .map_err(|_| (alert::DECODE_ERROR, "malformed ServerKeyExchange"))?;
                self.on_server_key_exchange(ske)
            }
            (Step::CertificateRequestOrDone, msg_type::CERTIFICATE_REQUEST) => {
                self.add_transcript(&whole);
                let cr = CertificateRequest::parse(body)
                    .map_err(|_| (alert::DECODE_ERROR, "malformed CertificateRequest"))?;
                let hs = self.hs_mut();
                hs.cert_request = Some(cr.signature_algorithms);
                hs.step = Step::ServerHelloDone;
                Ok(())
            }
            (
                Step::CertificateRequestOrDone | Step::ServerHelloDone,
                msg_type::SERVER_HELLO_DONE,
            ) => {
                self.add_transcript(&whole);
                message::parse_empty(body)
                    .map_err(|_| (alert::DECODE_ERROR, "malformed ServerHelloDone"))?;
                self.client_flight5()
            }
            (Step::ServerFinished, msg_type::FINISHED) => {
                let f = Finished::parse(body)
                    .map_err(|_| (alert::DECODE_ERROR, "malformed Finished"))?;
                self.check_finished(b"server finished", &f)?;
                self.complete();
                Ok(())
            }
            (Step::ClientKeyExchange, msg_type::CLIENT_KEY_EXCHANGE) => {
                self.add_transcript(&whole);
                let cke = ClientKeyExchange::parse(body)
                    .map_err(|_| (alert::DECODE_ERROR, "malformed ClientKeyExchange"))?;
                self.on_client_key_exchange(cke)
            }
            (Step::CertificateVerify, msg_type::CERTIFICATE_VERIFY) => {
                let cv = CertificateVerify::parse(body)
                    .map_err(|_| (alert::DECODE_ERROR, "malformed CertificateVerify"))?;
                self.on_certificate_verify(&cv)?;
                self.add_transcript(&whole);
                Ok(())
            }
            (Step::ClientFinished, msg_type::FINISHED) => {
                let f = Finished::parse(body)
                    .map_err(|_| (alert::DECODE_ERROR, "malformed Finished"))?;
                self.check_finished(b"client finished", &f)?;
                self.add_transcript(&whole);
                self.server_flight6();
                Ok(())
            }
            (Step::ClientHello, msg_type::CLIENT_HELLO) => {
                // A fragmented ClientHello (reassembled): the same as a whole one.
                self.on_client_hello(seq, body, 0)
            }
            _ => Err((alert::UNEXPECTED_MESSAGE, "unexpected handshake message")),
        }
    }

    fn hs_mut(&mut self) -> &mut Handshake {
        self.hs
            .as_mut()
            .expect("invariant: called during the handshake")
    }

    fn add_transcript(&mut self, whole: &[u8]) {
        self.hs_mut().transcript.extend_from_slice(whole);
    }

    // ---------------------------------------------------------------------------------------
    // Client.

    fn our_extensions(&self) -> Extensions {
        Extensions {
            supported_groups: Some(OFFERED_GROUPS.iter().map(|g| g.code()).collect()),
            ec_point_formats: Some(vec![0]),
            signature_algorithms: Some(scheme::VERIFY.to_vec()),
            use_srtp: Some(UseSrtp {
                profiles: SrtpProfile::PREFERENCE.iter().map(|p| p.code()).collect(),
                mki: Vec::new(),
            }),
            extended_master_secret: true,
            renegotiation_info: Some(Vec::new()),
            unknown: Vec::new(),
        }
    }

    fn client_hello(&mut self) {
        let random = id!(self).rng.bytes::<32>();
        let hello = ClientHello {
            version: DTLS1_2,
            random,
            session_id: Vec::new(),
            cookie: Vec::new(),
            cipher_suites: SUITES.iter().map(|s| s.id).collect(),
            compression_methods: vec![0],
            extensions: self.our_extensions(),
        };
        let mut body = Vec::with_capacity(256);
        hello.encode(&mut body);
        let hs = self.hs_mut();
        hs.client_random = random;
        hs.hello = Some(hello);
        let whole = self.message(msg_type::CLIENT_HELLO, &body, true);
        self.start_flight(
            vec![FlightMsg::Handshake {
                epoch: 0,
                bytes: whole,
            }],
            true,
        );
    }

    fn on_hello_verify(&mut self, hvr: HelloVerifyRequest) {
        let hs = self.hs_mut();
        if !hs.cookie.is_empty() || hvr.cookie.is_empty() {
            // RFC 6347 §4.2.1: one round; a second HelloVerifyRequest is ignored.
            return;
        }
        // RFC 6347 §4.2.6: the first ClientHello and the HelloVerifyRequest are not part of the
        // transcript.
        hs.transcript.clear();
        hs.cookie = hvr.cookie.clone();
        let mut hello = hs.hello.take().expect("invariant: the client sent a hello");
        hello.cookie = hvr.cookie;
        let mut body = Vec::with_capacity(256);
        hello.encode(&mut body);
        hs.hello = Some(hello);
        let whole = self.message(msg_type::CLIENT_HELLO, &body, true);
        self.start_flight(
            vec![FlightMsg::Handshake {
                epoch: 0,
                bytes: whole,
            }],
            true,
        );
    }

    fn on_server_hello(&mut self, sh: ServerHello) -> HsResult {
        if sh.version != DTLS1_2 {
            return Err((
                alert::PROTOCOL_VERSION,
                "server chose a version other than DTLS 1.2",
            ));
        }
        let offered = self.hs.as_ref().and_then(|h| h.hello.as_ref());
        let Some(suite) = suite(sh.cipher_suite)
            .filter(|s| offered.is_some_and(|o| o.cipher_suites.contains(&s.id)))
        else {
            return Err((
                alert::ILLEGAL_PARAMETER,
                "server chose a suite we did not offer",
            ));
        };
        if sh.compression_method != 0 {
            return Err((alert::ILLEGAL_PARAMETER, "server chose compression"));
        }
        Self::secure_hello(&sh.extensions, "server without extended master secret")?;
        let srtp = match &sh.extensions.use_srtp {
            None => None,
            Some(u) => {
                // RFC 5764 §4.1.1: exactly one profile we offered, and no MKI we did not send.
                let [code] = u.profiles[..] else {
                    return Err((alert::ILLEGAL_PARAMETER, "use_srtp must name one profile"));
                };
                if !u.mki.is_empty() {
                    return Err((alert::ILLEGAL_PARAMETER, "use_srtp MKI we did not offer"));
                }
                Some(SrtpProfile::from_code(code).ok_or((
                    alert::ILLEGAL_PARAMETER,
                    "use_srtp profile we did not offer",
                ))?)
            }
        };
        let hs = self.hs_mut();
        hs.server_random = sh.random;
        hs.suite = Some(suite);
        hs.srtp = srtp;
        hs.step = Step::ServerCertificate;
        // The hello is no longer needed.
        hs.hello = None;
        Ok(())
    }

    fn on_certificate(&mut self, c: CertificateMsg) -> HsResult {
        let Some(leaf) = c.chain.into_iter().next() else {
            // RFC 8827 §6.5: WebRTC requires certificates both ways.
            return Err((alert::HANDSHAKE_FAILURE, "peer sent no certificate"));
        };
        let key = PeerKey::from_certificate(&leaf).map_err(|e| match e {
            crypto::CryptoError::UnsupportedKey => (
                alert::UNSUPPORTED_CERTIFICATE,
                "unsupported certificate key",
            ),
            _ => (alert::BAD_CERTIFICATE, "unparsable certificate"),
        })?;
        let server = self.role == DtlsRole::Client;
        let hs = self.hs_mut();
        if server {
            let suite = hs.suite.expect("invariant: ServerHello came first");
            // RFC 5246 §7.4.2: the server's key must suit the negotiated suite.
            if suite.rsa != (key.kind() == KeyKind::Rsa) {
                return Err((
                    alert::UNSUPPORTED_CERTIFICATE,
                    "certificate key does not fit the suite",
                ));
            }
            hs.step = Step::ServerKeyExchange;
        } else {
            hs.step = Step::ClientKeyExchange;
        }
        hs.peer_key = Some(key);
        self.events.push_back(ConnEvent::PeerCertificate(leaf));
        Ok(())
    }

    fn on_server_key_exchange(&mut self, ske: ServerKeyExchange) -> HsResult {
        let hs = self.hs.as_mut().expect("in handshake");
        let group = Group::from_code(ske.group)
            .filter(|g| OFFERED_GROUPS.contains(g))
            .ok_or((
                alert::ILLEGAL_PARAMETER,
                "server chose a group we did not offer",
            ))?;
        let key = hs
            .peer_key
            .as_ref()
            .expect("invariant: Certificate came first");
        if !scheme::VERIFY.contains(&ske.scheme) || !key.supports(ske.scheme) {
            return Err((
                alert::ILLEGAL_PARAMETER,
                "signature scheme we did not offer",
            ));
        }
        // RFC 8422 §5.4: signed over client_random + server_random + ServerECDHParams.
        let mut signed = Vec::with_capacity(64 + 4 + ske.public.len());
        signed.extend_from_slice(&hs.client_random);
        signed.extend_from_slice(&hs.server_random);
        ske.encode_params(&mut signed);
        key.verify(ske.scheme, &signed, &ske.signature)
            .map_err(|_| (alert::DECRYPT_ERROR, "bad ServerKeyExchange signature"))?;
        // Our share, then the premaster secret.
        let rng = &mut id!(self).rng;
        let share = KeyShare::generate(group, &mut |b: &mut [u8]| rng.fill_bytes(b));
        let public = share.public().to_vec();
        let premaster = share
            .agree(&ske.public)
            .map_err(|_| (alert::ILLEGAL_PARAMETER, "invalid ECDHE public key"))?;
        let hs = self.hs_mut();
        hs.step = Step::CertificateRequestOrDone;
        // Kept until the ClientKeyExchange is in the transcript (the session hash covers it).
        hs.premaster = Some((premaster, public));
        Ok(())
    }

    fn client_flight5(&mut self) -> HsResult {
        let (premaster, public) = self.hs_mut().premaster.take().ok_or((
            alert::UNEXPECTED_MESSAGE,
            "ServerHelloDone before the key exchange",
        ))?;
        let mut flight = Vec::with_capacity(5);
        let cert_request = self.hs_mut().cert_request.take();
        if cert_request.is_some() {
            flight.push(self.our_certificate());
        }
        flight.push(self.flight_msg(0, msg_type::CLIENT_KEY_EXCHANGE, |b| {
            ClientKeyExchange { public }.encode(b)
        }));
        // RFC 7627 §4: the session hash covers the messages up to ClientKeyExchange.
        self.derive_keys(&premaster);
        if let Some(schemes) = cert_request {
            let scheme = id!(self)
                .key
                .schemes()
                .iter()
                .copied()
                .find(|s| schemes.contains(s))
                .ok_or((alert::HANDSHAKE_FAILURE, "no signature scheme in common"))?;
            // RFC 5246 §7.4.8: signed over every handshake message so far.
            let hs = self.hs.as_ref().expect("in handshake");
            let signature = id!(self)
                .key
                .sign(scheme, &hs.transcript)
                .map_err(|_| (alert::HANDSHAKE_FAILURE, "signing failed"))?;
            flight.push(self.flight_msg(0, msg_type::CERTIFICATE_VERIFY, |b| {
                CertificateVerify { scheme, signature }.encode(b)
            }));
        }
        flight.push(FlightMsg::ChangeCipherSpec);
        let verify_data = self.finished_data(b"client finished");
        flight.push(self.flight_msg(1, msg_type::FINISHED, |b| {
            Finished { verify_data }.encode(b)
        }));
        self.hs_mut().step = Step::ServerFinished;
        self.write_epoch = 1;
        self.start_flight(flight, true);
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Server.

    /// A plaintext handshake record while waiting for a ClientHello: answered without keeping
    /// state until the ClientHello carries our cookie (RFC 6347 §4.2.1).
    fn server_hello_records(&mut self, rec: &RecordHeader, mut body: &[u8]) -> Flow {
        while !body.is_empty() {
            let Ok((h, frag, rest)) = HandshakeHeader::parse(body) else {
                self.counters.malformed += 1;
                return Flow::Continue;
            };
            body = rest;
            if h.msg_type != msg_type::CLIENT_HELLO {
                self.counters.unexpected += 1;
                continue;
            }
            if h.fragment_offset == 0 && h.fragment_length == h.length {
                if let Err((alert, reason)) = self.on_client_hello(h.message_seq, frag, rec.seq) {
                    self.fail(alert, reason);
                    return Flow::Stop;
                }
                if self
                    .hs
                    .as_ref()
                    .is_none_or(|hs| hs.step != Step::ClientHello)
                {
                    return Flow::Continue;
                }
            } else {
                // A fragmented ClientHello goes through reassembly at its own message_seq.
                let hs = self.hs_mut();
                if h.message_seq != hs.reassembler.next_seq() {
                    hs.reassembler.set_next(h.message_seq);
                }
                if hs.reassembler.insert(&h, frag) == Inserted::Dropped {
                    self.counters.fragments_dropped += 1;
                }
            }
        }
        Flow::Continue
    }

    /// A fatal alert in a plaintext record, keeping no state (a refused ClientHello).
    fn stateless_alert(&mut self, description: u8, record_seq: u64) {
        let mut buf = self.take_tx(HEADER_LEN + 2);
        let start = buf.len();
        buf.resize(start + HEADER_LEN, 0);
        buf.extend_from_slice(&[2, description]);
        RecordHeader {
            content_type: content::ALERT,
            version: DTLS1_0,
            epoch: 0,
            seq: record_seq,
            length: 2,
        }
        .write(&mut buf[start..start + HEADER_LEN]);
        self.push_tx(buf);
    }

    fn cookie_for(&self, hello: &ClientHello) -> [u8; 20] {
        use hmac::{KeyInit, Mac};
        let secret = &self
            .id
            .as_ref()
            .expect("invariant: a server waiting for hellos has its identity")
            .cookie_secret;
        let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret)
            .expect("invariant: HMAC takes any key length");
        mac.update(&hello.random);
        mac.update(&hello.session_id);
        for s in &hello.cipher_suites {
            mac.update(&s.to_be_bytes());
        }
        let tag = mac.finalize().into_bytes();
        let mut c = [0u8; 20];
        c.copy_from_slice(&tag[..20]);
        c
    }

    fn on_client_hello(&mut self, seq: u16, body: &[u8], record_seq: u64) -> HsResult {
        // Before the cookie round trip nothing a ClientHello says can end the connection:
        // anyone able to forge the peer's address can send one. Failures are answered (an alert,
        // as stateless as the HelloVerifyRequest) and counted; after it they are fatal.
        let Ok(ch) = ClientHello::parse(body) else {
            self.counters.malformed += 1;
            return Ok(());
        };
        // RFC 6347 §4.2.2: message_seq counts from 0 per handshake; a ClientHello is the first
        // or (after a HelloVerifyRequest) second message, a few more with retransmitted cookies
        // at most. Anything higher is not a hello of ours to answer.
        if seq > MAX_HELLO_SEQ {
            self.counters.malformed += 1;
            return Ok(());
        }
        let cookie = self.cookie_for(&ch);
        let cookie_ok = crypto::ct_eq(&ch.cookie, &cookie);
        // DTLS versions count down: 0xFEFD (1.2) is above 0xFEFF (1.0); below 0xFE00 is TLS.
        if ch.version > DTLS1_2 || ch.version < 0xFE00 {
            if cookie_ok {
                return Err((alert::PROTOCOL_VERSION, "client offers no DTLS 1.2"));
            }
            self.counters.hello_refused += 1;
            self.stateless_alert(alert::PROTOCOL_VERSION, record_seq);
            return Ok(());
        }
        if !cookie_ok {
            // Stateless: the HelloVerifyRequest mirrors the ClientHello's message_seq and record
            // sequence number (RFC 6347 §4.2.1, §4.2.2) and nothing is kept.
            let mut hvr = Vec::with_capacity(24);
            HelloVerifyRequest {
                version: DTLS1_0,
                cookie: cookie.to_vec(),
            }
            .encode(&mut hvr);
            let whole = whole_message(msg_type::HELLO_VERIFY_REQUEST, seq, &hvr);
            let mut buf = self.take_tx(whole.len() + HEADER_LEN);
            let start = buf.len();
            buf.resize(start + HEADER_LEN, 0);
            buf.extend_from_slice(&whole);
            RecordHeader {
                content_type: content::HANDSHAKE,
                version: DTLS1_0,
                epoch: 0,
                seq: record_seq,
                length: u16::try_from(whole.len()).expect("small"),
            }
            .write(&mut buf[start..start + HEADER_LEN]);
            self.push_tx(buf);
            self.counters.hello_verify_sent += 1;
            return Ok(());
        }
        Self::secure_hello(&ch.extensions, "client without extended master secret")?;
        if !ch.compression_methods.contains(&0) {
            return Err((alert::ILLEGAL_PARAMETER, "no null compression"));
        }
        let secure_renegotiation = ch.extensions.renegotiation_info.is_some()
            || ch.cipher_suites.contains(&RENEGOTIATION_SCSV);
        // Our certificate is ECDSA: ECDHE_ECDSA suites only, in our order.
        let our_kind = id!(self).key.kind();
        let suite = SUITES
            .iter()
            .copied()
            .filter(|s| s.rsa == (our_kind == KeyKind::Rsa))
            .find(|s| ch.cipher_suites.contains(&s.id))
            .ok_or((alert::HANDSHAKE_FAILURE, "no cipher suite in common"))?;
        // RFC 8422 §4: without supported_groups, any group; we take X25519 then.
        let group = match &ch.extensions.supported_groups {
            None => Group::X25519,
            Some(g) => ACCEPTED_GROUPS
                .iter()
                .copied()
                .find(|a| g.contains(&a.code()))
                .ok_or((alert::HANDSHAKE_FAILURE, "no ECDHE group in common"))?,
        };
        // RFC 5246 §7.4.1.4.1: without signature_algorithms, SHA-1 would be implied; we sign
        // only with SHA-2, so such a client cannot be served.
        let client_schemes = ch
            .extensions
            .signature_algorithms
            .clone()
            .unwrap_or_default();
        let sign_scheme = id!(self)
            .key
            .schemes()
            .iter()
            .copied()
            .find(|s| client_schemes.contains(s))
            .ok_or((alert::HANDSHAKE_FAILURE, "no signature scheme in common"))?;
        let srtp = ch.extensions.use_srtp.as_ref().and_then(|u| {
            SrtpProfile::PREFERENCE
                .iter()
                .copied()
                .find(|p| u.profiles.contains(&p.code()))
        });
        // Accepted: from here on the handshake is stateful.
        let server_random = id!(self).rng.bytes::<32>();
        let hs = self.hs_mut();
        hs.reassembler.set_next(seq + 1);
        hs.next_send_seq = seq;
        hs.client_random = ch.random;
        hs.server_random = server_random;
        hs.suite = Some(suite);
        hs.srtp = srtp;
        hs.transcript.clear();
        hs.transcript
            .extend_from_slice(&whole_message(msg_type::CLIENT_HELLO, seq, body));
        // The server's epoch-0 record numbers continue above the ClientHello's (the
        // HelloVerifyRequest used that number).
        self.write_seq[0] = self.write_seq[0].max(record_seq + 1);

        let mut flight = Vec::with_capacity(5);
        let sh = ServerHello {
            version: DTLS1_2,
            random: server_random,
            session_id: Vec::new(),
            cipher_suite: suite.id,
            compression_method: 0,
            extensions: Extensions {
                renegotiation_info: secure_renegotiation.then(Vec::new),
                extended_master_secret: true,
                ec_point_formats: ch.extensions.ec_point_formats.as_ref().map(|_| vec![0]),
                use_srtp: srtp.map(|p| UseSrtp {
                    profiles: vec![p.code()],
                    mki: Vec::new(),
                }),
                ..Extensions::default()
            },
        };
        flight.push(self.flight_msg(0, msg_type::SERVER_HELLO, |b| sh.encode(b)));
        flight.push(self.our_certificate());
        let rng = &mut id!(self).rng;
        let share = KeyShare::generate(group, &mut |b: &mut [u8]| rng.fill_bytes(b));
        let mut ske = ServerKeyExchange {
            group: group.code(),
            public: share.public().to_vec(),
            scheme: sign_scheme,
            signature: Vec::new(),
        };
        let mut signed = Vec::with_capacity(64 + 4 + ske.public.len());
        signed.extend_from_slice(&ch.random);
        signed.extend_from_slice(&server_random);
        ske.encode_params(&mut signed);
        ske.signature = id!(self)
            .key
            .sign(sign_scheme, &signed)
            .map_err(|_| (alert::HANDSHAKE_FAILURE, "signing failed"))?;
        flight.push(self.flight_msg(0, msg_type::SERVER_KEY_EXCHANGE, |b| ske.encode(b)));
        // RFC 8827 §6.5: WebRTC authenticates both ends; ask for the client's certificate.
        flight.push(self.flight_msg(0, msg_type::CERTIFICATE_REQUEST, |b| {
            CertificateRequest {
                certificate_types: vec![64, 1], // ecdsa_sign, rsa_sign
                signature_algorithms: scheme::VERIFY.to_vec(),
                authorities: Vec::new(),
            }
            .encode(b)
        }));
        flight.push(self.flight_msg(0, msg_type::SERVER_HELLO_DONE, |_| {}));
        let hs = self.hs_mut();
        hs.share = Some(share);
        hs.step = Step::ClientCertificate;
        self.start_flight(flight, true);
        Ok(())
    }

    fn on_client_key_exchange(&mut self, cke: ClientKeyExchange) -> HsResult {
        let hs = self.hs_mut();
        let share = hs
            .share
            .take()
            .expect("invariant: the server's flight made a share");
        let premaster = share
            .agree(&cke.public)
            .map_err(|_| (alert::ILLEGAL_PARAMETER, "invalid ECDHE public key"))?;
        hs.step = Step::CertificateVerify;
        // RFC 7627 §4: the session hash covers everything up to and including this message.
        self.derive_keys(&premaster);
        Ok(())
    }

    fn on_certificate_verify(&mut self, cv: &CertificateVerify) -> HsResult {
        let hs = self.hs.as_ref().expect("in handshake");
        let key = hs
            .peer_key
            .as_ref()
            .expect("invariant: Certificate came first");
        if !scheme::VERIFY.contains(&cv.scheme) || !key.supports(cv.scheme) {
            return Err((
                alert::ILLEGAL_PARAMETER,
                "signature scheme we did not offer",
            ));
        }
        key.verify(cv.scheme, &hs.transcript, &cv.signature)
            .map_err(|_| (alert::DECRYPT_ERROR, "bad CertificateVerify signature"))?;
        self.hs_mut().step = Step::ClientFinished;
        Ok(())
    }

    fn server_flight6(&mut self) {
        let verify_data = self.finished_data(b"server finished");
        let mut body = Vec::with_capacity(12);
        Finished { verify_data }.encode(&mut body);
        let finished = self.message(msg_type::FINISHED, &body, false);
        self.write_epoch = 1;
        let flight = vec![
            FlightMsg::ChangeCipherSpec,
            FlightMsg::Handshake {
                epoch: 1,
                bytes: finished,
            },
        ];
        // RFC 6347 §4.2.4: the server's last flight has no timer; it is resent when the
        // client's flight arrives again.
        self.start_flight(flight.clone(), false);
        self.final_flight = Some(flight);
        self.complete();
    }

    // ---------------------------------------------------------------------------------------
    // Keys.

    /// RFC 7627 §4 master secret, then the key block (RFC 5246 §6.3): both directions' epoch-1
    /// ciphers.
    fn derive_keys(&mut self, premaster: &[u8]) {
        let hs = self.hs.as_mut().expect("in handshake");
        let suite = hs.suite.expect("invariant: negotiated before keys");
        let master = extended_master_secret(suite.hash, premaster, &hs.transcript);
        let key_len = suite.aead.key_len();
        let iv_len = match suite.aead {
            AeadAlg::ChaCha20Poly1305 => 12,
            _ => 4,
        };
        let mut block = [0u8; 2 * (32 + 12)];
        let block = &mut block[..2 * (key_len + iv_len)];
        crypto::prf(
            suite.hash,
            &master,
            b"key expansion",
            &[&hs.server_random, &hs.client_random],
            block,
        );
        let (ck, rest) = block.split_at(key_len);
        let (sk, rest) = rest.split_at(key_len);
        let (civ, siv) = rest.split_at(iv_len);
        let client = RecordCipher::new(suite.aead, ck, civ);
        let server = RecordCipher::new(suite.aead, sk, siv);
        let (write, read) = match self.role {
            DtlsRole::Client => (client, server),
            DtlsRole::Server => (server, client),
        };
        self.write = Some(write);
        self.read = Some(read);
        hs.master = Some(master);
    }

    /// RFC 5246 §7.4.9: PRF(master_secret, label, Hash(handshake_messages))[0..12].
    fn finished_data(&self, label: &[u8]) -> [u8; 12] {
        let hs = self.hs.as_ref().expect("in handshake");
        let suite = hs.suite.expect("negotiated");
        let master = hs.master.expect("derived");
        let h = crypto::hash(suite.hash, &[&hs.transcript]);
        let mut out = [0u8; 12];
        crypto::prf(suite.hash, &master, label, &[h.as_ref()], &mut out);
        out
    }

    fn check_finished(&mut self, label: &[u8], f: &Finished) -> HsResult {
        if self.hs.as_ref().is_none_or(|h| h.master.is_none()) {
            return Err((
                alert::UNEXPECTED_MESSAGE,
                "Finished before the key exchange",
            ));
        }
        let expected = self.finished_data(label);
        if !crypto::ct_eq(&expected, &f.verify_data) {
            return Err((alert::DECRYPT_ERROR, "Finished does not verify"));
        }
        Ok(())
    }

    /// The handshake is over: export the SRTP keys, drop the handshake state.
    fn complete(&mut self) {
        let hs = self.hs.as_mut().expect("in handshake");
        hs.step = Step::Done;
        let srtp = hs.srtp.map(|p| {
            let master = hs.master.expect("derived");
            let suite = hs.suite.expect("negotiated");
            let len = 2 * (p.key_len() + p.salt_len());
            let material = srtp_keying_material(
                suite.hash,
                &master,
                &hs.client_random,
                &hs.server_random,
                len,
            );
            (p, material)
        });
        let suite = hs.suite.expect("negotiated").id;
        self.connected = true;
        // Post-handshake memory: only the record layer stays (and a server's final flight).
        self.hs = None;
        self.id = None;
        self.events.push_back(ConnEvent::Connected { srtp, suite });
    }
}

/// RFC 7627 §4: the extended master secret, PRF(pre_master_secret, "extended master secret",
/// session_hash)[0..47], where the session hash is the suite's hash of the handshake messages
/// up to and including the ClientKeyExchange (`transcript`).
fn extended_master_secret(hash: HashAlg, premaster: &[u8], transcript: &[u8]) -> [u8; 48] {
    let session_hash = crypto::hash(hash, &[transcript]);
    let mut master = [0u8; 48];
    crypto::prf(
        hash,
        premaster,
        b"extended master secret",
        &[session_hash.as_ref()],
        &mut master,
    );
    master
}

/// RFC 5764 §4.2 with the RFC 5705 §4 exporter (no context): PRF(master_secret,
/// "EXTRACTOR-dtls_srtp", client_random + server_random), `len` bytes (2 × (key + salt)).
fn srtp_keying_material(
    hash: HashAlg,
    master: &[u8; 48],
    client_random: &[u8],
    server_random: &[u8],
    len: usize,
) -> Vec<u8> {
    let mut material = vec![0u8; len];
    crypto::prf(
        hash,
        master,
        b"EXTRACTOR-dtls_srtp",
        &[client_random, server_random],
        &mut material,
    );
    material
}

#[cfg(test)]
mod key_schedule_tests {
    use super::*;

    use crate::test_util::unhex;

    /// Inputs shared by the vectors below: premaster 01..30, a fixed transcript, client random
    /// 40..5f, server random 80..9f.
    fn inputs() -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) {
        let premaster: Vec<u8> = (1..=48).collect();
        let transcript = b"transcript of a DTLS 1.2 handshake, abridged".repeat(3);
        let client_random: Vec<u8> = (0x40..0x60).collect();
        let server_random: Vec<u8> = (0x80..0xa0).collect();
        (premaster, transcript, client_random, server_random)
    }

    /// Known answers computed by an implementation nobody here wrote, OpenSSL 3.0's TLS1-PRF
    /// KDF (`openssl kdf -keylen 48 -kdfopt digest:SHA256 -kdfopt hexsecret:<premaster>
    /// -kdfopt hexseed:<"extended master secret" || SHA-256(transcript)> TLS1-PRF`, and the same
    /// with SHA-384), then the RFC 5705 exporter for DTLS-SRTP (`-kdfopt hexsecret:<master>
    /// -kdfopt hexseed:<"EXTRACTOR-dtls_srtp" || client_random || server_random>`, 60 bytes for
    /// AES_CM_128_HMAC_SHA1_80, 88 for AEAD_AES_256_GCM).
    #[test]
    fn extended_master_secret_and_srtp_exporter_known_answers() {
        let (premaster, transcript, cr, sr) = inputs();
        let ms256 = extended_master_secret(HashAlg::Sha256, &premaster, &transcript);
        assert_eq!(
            ms256[..],
            unhex(
                "9388736BE4B1EB2C6F0C8DDF9524149A857427CCC21A06B932A6ACF16E9B78AD
                 484AA0763389FAFD6B367E83EAA5E215"
            )[..]
        );
        let ms384 = extended_master_secret(HashAlg::Sha384, &premaster, &transcript);
        assert_eq!(
            ms384[..],
            unhex(
                "F28063E1A169DD10894747BE98D44B27F02C645F436882A667D60FCD8B6198E6
                 59AB210D4095288FBC8E39FC265DAA79"
            )[..]
        );
        assert_eq!(
            srtp_keying_material(HashAlg::Sha256, &ms256, &cr, &sr, 60),
            unhex(
                "F201D9C37466F1FAC584ABF49FE5D93901557BCC8E26AD905CE574F11FA28444
                 AB641587092016ABF051ECF8827BFDE23908EEF45E43FB3B49A17778"
            )
        );
        assert_eq!(
            srtp_keying_material(HashAlg::Sha384, &ms384, &cr, &sr, 88),
            unhex(
                "1C7A4AC8B62A351D29B2329E59CBF89FAB54172520CB7F8F7D87198555057D84
                 11A0A9AA129BF01B6F88DB2C1C068858247C10172ED77F87DDEA137B75AB16DE
                 BE75E20DC9FA074A74EA0C51B7B0D618D04EECEA68E427E4"
            )
        );
        // The key block (RFC 5246 §6.3: server_random first), AES-128-GCM: 2 × (16 + 4).
        let mut block = [0u8; 40];
        crypto::prf(
            HashAlg::Sha256,
            &ms256,
            b"key expansion",
            &[&sr, &cr],
            &mut block,
        );
        assert_eq!(
            block[..],
            unhex(
                "7A336E31BEE0FF85FD3888CB5733782583A35F9600642219DC0FCA54C436B03F
                 4F08F1EB73FE27F4"
            )[..]
        );
    }

    /// The session hash is of the transcript (a changed byte changes the master secret), and
    /// the client random comes first in the exporter's seed (RFC 5705 §4).
    #[test]
    fn master_secret_binds_the_transcript_and_exporter_orders_randoms() {
        let (premaster, mut transcript, cr, sr) = inputs();
        let ms = extended_master_secret(HashAlg::Sha256, &premaster, &transcript);
        transcript[7] ^= 1;
        assert_ne!(
            ms,
            extended_master_secret(HashAlg::Sha256, &premaster, &transcript)
        );
        assert_ne!(
            srtp_keying_material(HashAlg::Sha256, &ms, &cr, &sr, 60),
            srtp_keying_material(HashAlg::Sha256, &ms, &sr, &cr, 60)
        );
    }
}

//! The ICE agent.

use super::candidate::{
    Candidate, CandidateKind, candidate_priority, foundation, local_preference, pair_priority,
};
use crate::net::{Datagram, Protocol, Transmit};
use crate::rng::{Rng, RngRoot, Stream};
use crate::stun::transaction::{Retransmit, RetransmitAction, RetransmitConfig};
use crate::stun::{
    AttributeType, Class, MessageView, Method, StunAttribute, StunMessage, TransactionId, is_stun,
};
use bytes::Bytes;
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

mod receive;

/// Configuration of an [`IceAgent`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceConfig {
    /// Start as the controlling agent (the offerer, RFC 8445 §6.1.1).
    pub controlling: bool,
    /// Be an ICE-lite agent: host candidates only, no checks, always controlled (§2.5).
    pub lite: bool,
    /// STUN servers to gather server-reflexive candidates from.
    pub stun_servers: Vec<SocketAddr>,
    /// Ta: pacing of ordinary and triggered checks (§14.2: 50 ms default).
    pub ta: Duration,
    /// Most candidate pairs kept (§6.1.2.5: 100 default); lowest priorities are dropped.
    pub max_pairs: usize,
    /// Most remote candidates kept (signalled and peer-reflexive).
    pub max_remote_candidates: usize,
    /// Retransmission of connectivity checks. The initial RTO used is the larger of `rto` and
    /// `Ta × (Waiting + In-Progress pairs)` (RFC 8445 §14.3).
    pub check_retransmit: RetransmitConfig,
    /// Retransmission of Binding requests to STUN servers.
    pub gather_retransmit: RetransmitConfig,
    /// Controlling: how long to wait after the first valid pair for a better one before
    /// nominating (0: nominate the first valid pair once nothing better is pending).
    pub nomination_delay: Duration,
    /// RFC 7675 §5.1: mean consent check interval, randomized to 0.8–1.2× (4–6 s).
    pub consent_interval: Duration,
    /// An unanswered consent check this old makes the state Disconnected.
    pub disconnected_timeout: Duration,
    /// RFC 7675 §5.1: consent expires this long after the last response (30 s).
    pub consent_timeout: Duration,
    /// With every pair failed but no end-of-candidates from the remote, fail after this long
    /// since checking started.
    pub failed_timeout: Duration,
    /// W3C `iceTransportPolicy: "relay"`: only relayed candidates are signalled and paired;
    /// host addresses serve as the bases of TURN allocations only, and no server-reflexive
    /// candidates are gathered.
    pub relay_only: bool,
}

impl Default for IceConfig {
    fn default() -> Self {
        Self {
            controlling: false,
            lite: false,
            stun_servers: Vec::new(),
            ta: Duration::from_millis(50),
            max_pairs: 100,
            max_remote_candidates: 200,
            check_retransmit: RetransmitConfig::default(),
            gather_retransmit: RetransmitConfig {
                max_transmissions: 4,
                ..RetransmitConfig::default()
            },
            nomination_delay: Duration::from_millis(200),
            consent_interval: Duration::from_secs(5),
            disconnected_timeout: Duration::from_secs(5),
            consent_timeout: Duration::from_secs(30),
            failed_timeout: Duration::from_secs(30),
            relay_only: false,
        }
    }
}

/// A username fragment and password (RFC 8445 §5.3).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// ice-ufrag.
    pub ufrag: String,
    /// ice-pwd.
    pub pwd: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("ufrag", &self.ufrag)
            .finish_non_exhaustive()
    }
}

const ICE_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

impl Credentials {
    /// Random credentials: 8 ice-chars of ufrag (48 bits, §5.3 asks ≥ 24) and 24 of password
    /// (144 bits, §5.3 asks ≥ 128).
    pub fn random(rng: &mut Rng) -> Self {
        let mut word = |n: usize| -> String {
            (0..n)
                .map(|_| ICE_CHARS[rng.below(ICE_CHARS.len() as u64) as usize] as char)
                .collect()
        };
        Self {
            ufrag: word(8),
            pwd: word(24),
        }
    }
}

/// ICE connection state (W3C RTCIceConnectionState semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IceConnectionState {
    /// Waiting for remote candidates.
    New,
    /// Checking pairs; nothing selected yet.
    Checking,
    /// A pair is selected; checks may still be running.
    Connected,
    /// A pair is selected, checking is over and the remote signalled end-of-candidates.
    Completed,
    /// Consent checks on the selected pair go unanswered.
    Disconnected,
    /// Every pair failed, or consent expired. Only a restart leaves it.
    Failed,
    /// Closed by the application.
    Closed,
}

/// What the agent tells the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IceEvent {
    /// A local candidate to signal to the remote (trickle).
    LocalCandidate(Candidate),
    /// Every local candidate has been gathered.
    GatheringComplete,
    /// The connection state changed.
    StateChange(IceConnectionState),
    /// Data goes over this pair now.
    SelectedPair {
        /// Local address to send from.
        local: SocketAddr,
        /// Remote address to send to.
        remote: SocketAddr,
    },
    /// A role conflict switched our role (RFC 8445 §7.3.1.1 / §7.2.5.1).
    RoleChange {
        /// Whether we are now controlling.
        controlling: bool,
    },
    /// A STUN server gave no reflexive address for `local` (W3C `icecandidateerror`): an error
    /// response (its code and reason), or no answer at all (code 701, W3C's value for a server
    /// no host candidate can reach, and an empty reason).
    GatherFailed {
        /// The local address the request went from.
        local: SocketAddr,
        /// The STUN server.
        server: SocketAddr,
        /// The STUN error code, or 701.
        code: u16,
        /// The server's reason phrase.
        reason: String,
    },
}

/// The state of a candidate pair (RFC 8445 §6.1.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PairState {
    /// Not checked until its foundation is unfrozen.
    Frozen,
    /// Ready to check.
    Waiting,
    /// A check is outstanding.
    InProgress,
    /// A check succeeded.
    Succeeded,
    /// Checks failed.
    Failed,
}

impl PairState {
    /// The W3C `RTCStatsIceCandidatePairState` name.
    pub fn as_str(self) -> &'static str {
        match self {
            PairState::Frozen => "frozen",
            PairState::Waiting => "waiting",
            PairState::InProgress => "in-progress",
            PairState::Succeeded => "succeeded",
            PairState::Failed => "failed",
        }
    }
}

/// A read-only view of a pair, for tests and stats.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PairView {
    /// Local address (the base).
    pub local: SocketAddr,
    /// Remote address.
    pub remote: SocketAddr,
    /// Pair priority.
    pub priority: u64,
    /// State.
    pub state: PairState,
    /// Whether it is nominated.
    pub nominated: bool,
    /// The local candidate.
    pub local_candidate: Candidate,
    /// The remote candidate.
    pub remote_candidate: Candidate,
    /// Whether data goes over it now.
    pub selected: bool,
    /// Its counters (W3C `RTCIceCandidatePairStats`).
    pub stats: PairStats,
}

/// Counters of one candidate pair, with W3C `RTCIceCandidatePairStats`' meanings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PairStats {
    /// Connectivity checks sent (first transmissions, not retransmissions).
    pub requests_sent: u64,
    /// Authenticated connectivity checks received on it.
    pub requests_received: u64,
    /// Success responses sent to them.
    pub responses_sent: u64,
    /// Success responses received to our checks and consent requests.
    pub responses_received: u64,
    /// Consent freshness requests sent (RFC 7675).
    pub consent_requests_sent: u64,
    /// The last STUN round trip measured on it (a request answered without a retransmission,
    /// Karn's rule).
    pub current_round_trip_time: Option<Duration>,
    /// The sum of every round trip measured (`total / responses measured` is the mean).
    pub total_round_trip_time: Duration,
    /// Round trips measured.
    pub round_trip_time_measurements: u64,
    /// Data datagrams sent on it (not counting ICE's own STUN).
    pub packets_sent: u64,
    /// Their bytes.
    pub bytes_sent: u64,
    /// Data datagrams received on it.
    pub packets_received: u64,
    /// Their bytes.
    pub bytes_received: u64,
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IceStats {
    /// Connectivity checks sent (first transmissions).
    pub checks_sent: u64,
    /// Retransmissions of checks and gathering requests.
    pub retransmissions: u64,
    /// Authenticated Binding requests received.
    pub requests_received: u64,
    /// Responses matched to our transactions.
    pub responses_received: u64,
    /// Error responses sent (400, 401, 487).
    pub error_responses_sent: u64,
    /// Error responses not sent to an unauthenticated source because they would have been
    /// larger than its request (no amplification).
    pub error_responses_suppressed: u64,
    /// STUN that failed to parse.
    pub dropped_malformed: u64,
    /// Requests with a wrong or missing USERNAME / MESSAGE-INTEGRITY, and responses whose
    /// integrity did not verify.
    pub dropped_unauthenticated: u64,
    /// Responses to no transaction of ours.
    pub dropped_unknown_transaction: u64,
    /// Indications, other methods, and requests we cannot use.
    pub dropped_other: u64,
    /// Remote candidates refused by the limit.
    pub dropped_candidates: u64,
}

#[derive(Debug, Clone)]
struct Local {
    cand: Candidate,
    /// Host (and later relayed) candidates are paired; reflexive ones are only signalled.
    pairable: bool,
}

#[derive(Debug, Clone)]
struct Pair {
    local: usize,
    remote: usize,
    priority: u64,
    state: PairState,
    foundation: (String, String),
    /// Priority of the valid pair this pair's success produced (§7.2.5.3.2).
    valid_priority: Option<u64>,
    nominated: bool,
    /// Controlled: USE-CANDIDATE arrived before our own check on the pair succeeded (§7.3.1.5).
    nominate_on_success: bool,
    stats: PairCounters,
}

/// [`PairStats`] as a pair keeps them: check counters in 32 bits (one check per Ta or per
/// consent interval would take years to wrap) and round trips in microseconds, so that a peer
/// with a few pairs pays little for them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct PairCounters {
    packets_sent: u64,
    bytes_sent: u64,
    packets_received: u64,
    bytes_received: u64,
    total_rtt_us: u64,
    requests_sent: u32,
    requests_received: u32,
    responses_sent: u32,
    responses_received: u32,
    consent_requests_sent: u32,
    rtt_measurements: u32,
    /// The last round trip in microseconds plus one (0: none yet).
    current_rtt_us: u32,
}

impl PairCounters {
    fn view(&self) -> PairStats {
        PairStats {
            requests_sent: self.requests_sent.into(),
            requests_received: self.requests_received.into(),
            responses_sent: self.responses_sent.into(),
            responses_received: self.responses_received.into(),
            consent_requests_sent: self.consent_requests_sent.into(),
            current_round_trip_time: self
                .current_rtt_us
                .checked_sub(1)
                .map(|us| Duration::from_micros(us.into())),
            total_round_trip_time: Duration::from_micros(self.total_rtt_us),
            round_trip_time_measurements: self.rtt_measurements.into(),
            packets_sent: self.packets_sent,
            bytes_sent: self.bytes_sent,
            packets_received: self.packets_received,
            bytes_received: self.bytes_received,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TxKind {
    Check { pair: usize, use_candidate: bool },
    Consent,
    Gather { base: usize, server: SocketAddr },
}

#[derive(Debug, Clone)]
struct Tx {
    kind: TxKind,
    retransmit: Retransmit,
    source: SocketAddr,
    destination: SocketAddr,
    bytes: Bytes,
    /// The PRIORITY a check carried (the peer-reflexive priority for our candidate).
    priority: u32,
    generation: u32,
    /// RFC 8445 §7.3.1.4: a cancelled check is not retransmitted and its timeout does not fail
    /// the pair, but a response to it still counts.
    cancelled: bool,
    /// When it was first sent (for the round trip of an answer to the first transmission).
    sent_at: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Selected {
    local: SocketAddr,
    remote: SocketAddr,
    pair: Option<usize>,
    priority: u64,
}

/// Cap on queued outbound datagrams and events: a driver that never polls cannot make the agent
/// grow without bound (further transmits are dropped; the protocol retransmits).
const MAX_QUEUE: usize = 4096;

/// An ICE agent. See the [module docs](super).
#[derive(Debug)]
pub struct IceAgent {
    config: IceConfig,
    controlling: bool,
    tie_breaker: u64,
    rng: Rng,
    stun_rng: Rng,
    local_credentials: Credentials,
    previous_local_credentials: Option<Credentials>,
    remote_credentials: Option<Credentials>,
    remote_lite: bool,
    locals: Vec<Local>,
    remotes: Vec<Candidate>,
    pairs: Vec<Pair>,
    triggered: VecDeque<usize>,
    transactions: BTreeMap<TransactionId, Tx>,
    generation: u32,
    next_check: Option<Instant>,
    /// Server-reflexive requests asked for by a command, sent at the next `handle_timeout`.
    gathers_due: Vec<(usize, SocketAddr)>,
    gathering: bool,
    gathering_announced: bool,
    remote_end_of_candidates: bool,
    checking_since: Option<Instant>,
    first_valid_at: Option<Instant>,
    nominating: bool,
    selected: Option<Selected>,
    consent_last_ok: Option<Instant>,
    consent_pending_since: Option<Instant>,
    next_consent: Option<Instant>,
    failed: bool,
    closed: bool,
    state: IceConnectionState,
    transmits: VecDeque<Transmit>,
    events: VecDeque<IceEvent>,
    stats: IceStats,
    now: Instant,
}

impl IceAgent {
    /// A new agent. Randomness comes from the `Ice` and `Stun` sub-streams of `rng`.
    pub fn new(config: IceConfig, rng: &RngRoot, now: Instant) -> Self {
        let mut ice_rng = rng.stream(Stream::Ice);
        let local_credentials = Credentials::random(&mut ice_rng);
        let tie_breaker = ice_rng.next_u64();
        // RFC 8445 §6.1.1: a lite agent is always controlled.
        let controlling = config.controlling && !config.lite;
        Self {
            controlling,
            tie_breaker,
            rng: ice_rng,
            stun_rng: rng.stream(Stream::Stun),
            local_credentials,
            previous_local_credentials: None,
            remote_credentials: None,
            remote_lite: false,
            locals: Vec::new(),
            remotes: Vec::new(),
            pairs: Vec::new(),
            triggered: VecDeque::new(),
            transactions: BTreeMap::new(),
            generation: 0,
            next_check: None,
            gathers_due: Vec::new(),
            gathering: false,
            gathering_announced: false,
            remote_end_of_candidates: false,
            checking_since: None,
            first_valid_at: None,
            nominating: false,
            selected: None,
            consent_last_ok: None,
            consent_pending_since: None,
            next_consent: None,
            failed: false,
            closed: false,
            state: IceConnectionState::New,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: IceStats::default(),
            now,
            config,
        }
    }

    // ----- queries -----

    /// Our ufrag and pwd, for the local description.
    pub fn local_credentials(&self) -> &Credentials {
        &self.local_credentials
    }

    /// Whether we are the controlling agent.
    pub fn is_controlling(&self) -> bool {
        self.controlling
    }

    /// Whether we are an ICE-lite agent.
    pub fn is_lite(&self) -> bool {
        self.config.lite
    }

    /// The current state.
    pub fn state(&self) -> IceConnectionState {
        self.state
    }

    /// The selected pair `(local, remote)`, while data may flow on it. `None` once consent is
    /// lost: the application must stop sending.
    pub fn selected_pair(&self) -> Option<(SocketAddr, SocketAddr)> {
        if self.failed || self.closed {
            return None;
        }
        self.selected.map(|s| (s.local, s.remote))
    }

    /// Every local candidate gathered so far.
    pub fn local_candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.locals
            .iter()
            .map(|l| &l.cand)
            .filter(|c| !self.config.relay_only || c.kind == CandidateKind::Relayed)
    }

    /// Every remote candidate known (signalled and peer-reflexive).
    pub fn remote_candidates(&self) -> &[Candidate] {
        &self.remotes
    }

    /// The checklist, for inspection.
    pub fn pairs(&self) -> Vec<PairView> {
        let selected = self.selected.and_then(|s| s.pair);
        self.pairs
            .iter()
            .enumerate()
            .map(|(i, p)| PairView {
                local: self.locals[p.local].cand.base,
                remote: self.remotes[p.remote].address,
                priority: p.priority,
                state: p.state,
                nominated: p.nominated,
                local_candidate: self.locals[p.local].cand.clone(),
                remote_candidate: self.remotes[p.remote].clone(),
                selected: selected == Some(i),
                stats: p.stats.view(),
            })
            .collect()
    }

    /// Counts a data datagram sent on the selected pair (the `Peer` sends data nowhere else).
    pub fn count_data_sent(&mut self, bytes: usize) {
        if let Some(p) = self
            .selected
            .and_then(|s| s.pair)
            .and_then(|i| self.pairs.get_mut(i))
        {
            p.stats.packets_sent += 1;
            p.stats.bytes_sent += bytes as u64;
        }
    }

    /// Counts a data datagram received from `remote` on `local`.
    pub fn count_data_received(&mut self, local: SocketAddr, remote: SocketAddr, bytes: usize) {
        let i = match self.selected {
            Some(s) if s.local == local && s.remote == remote => s.pair,
            _ => self.find_pair(local, remote),
        };
        if let Some(p) = i.and_then(|i| self.pairs.get_mut(i)) {
            p.stats.packets_received += 1;
            p.stats.bytes_received += bytes as u64;
        }
    }

    /// A STUN round trip measured on pair `i` (an answer to a first transmission).
    fn sample_rtt(&mut self, i: usize, tx: &Tx) {
        let rtt = self.now.saturating_duration_since(tx.sent_at);
        if let Some(p) = self.pairs.get_mut(i) {
            p.stats.responses_received = p.stats.responses_received.saturating_add(1);
            if tx.retransmit.transmissions() == 1 {
                let us = u32::try_from(rtt.as_micros()).unwrap_or(u32::MAX - 1);
                p.stats.current_rtt_us = us.saturating_add(1);
                p.stats.total_rtt_us = p.stats.total_rtt_us.saturating_add(us.into());
                p.stats.rtt_measurements = p.stats.rtt_measurements.saturating_add(1);
            }
        }
    }

    /// Releases idle capacity: emptied transaction map, empty queues, and the spare room in the
    /// candidate and pair lists (they grow by doubling; an idle agent's lists are done growing
    /// until the next trickled candidate or restart).
    pub fn trim(&mut self) {
        use crate::vecmap::{reset_if_empty, shrink_if_empty};
        reset_if_empty!(self.transactions);
        shrink_if_empty!(self.triggered, self.transmits, self.events);
        self.locals.shrink_to_fit();
        self.remotes.shrink_to_fit();
        self.pairs.shrink_to_fit();
    }

    /// Counters.
    pub fn stats(&self) -> IceStats {
        self.stats
    }

    /// Whether `d` is STUN addressed to this agent (for demultiplexing several agents on one
    /// socket): a request whose USERNAME starts with our ufrag, or a response to one of our
    /// transactions.
    pub fn accepts(&self, d: &Datagram<'_>) -> bool {
        let Ok(view) = MessageView::parse(d.contents) else {
            return false;
        };
        match view.class() {
            Class::Request => username_of(&view).is_some_and(|(l, _)| {
                l == self.local_credentials.ufrag
                    || self
                        .previous_local_credentials
                        .as_ref()
                        .is_some_and(|p| p.ufrag == l)
            }),
            _ => self.transactions.contains_key(&view.transaction_id()),
        }
    }

    // ----- commands -----

    /// Declares a local socket address the application can send and receive on; it becomes a
    /// host candidate, and server-reflexive gathering starts from it. Returns the candidate.
    pub fn add_local_address(&mut self, address: SocketAddr) -> Option<Candidate> {
        if self
            .locals
            .iter()
            .any(|l| l.cand.kind == CandidateKind::Host && l.cand.address == address)
        {
            return None;
        }
        let family_index = self
            .locals
            .iter()
            .filter(|l| {
                l.cand.kind == CandidateKind::Host && l.cand.address.is_ipv4() == address.is_ipv4()
            })
            .count();
        let cand = Candidate::host(address, local_preference(address.ip(), family_index));
        let index = self.locals.len();
        let relay_only = self.config.relay_only;
        self.locals.push(Local {
            cand: cand.clone(),
            pairable: !relay_only,
        });
        if !relay_only {
            self.push_event(IceEvent::LocalCandidate(cand.clone()));
        }
        for r in 0..self.remotes.len() {
            self.add_pair(index, r);
        }
        if !self.config.lite && !relay_only {
            let servers: Vec<SocketAddr> = self
                .config
                .stun_servers
                .iter()
                .copied()
                .filter(|s| s.is_ipv4() == address.is_ipv4())
                .collect();
            for server in servers {
                self.start_gather(index, server);
            }
        }
        self.gathering = true;
        self.gathering_announced = false;
        // Without servers to ask, gathering from this address is complete at once.
        self.check_gathering_done();
        self.schedule_checks();
        self.update_state();
        Some(cand)
    }

    /// A relayed candidate from a TURN allocation (RFC 8445 §5.1.1.2): `relayed` is its address
    /// and base (§5.1.1.1: a relayed candidate is its own base; what is sent from it the caller
    /// wraps for the TURN server), `mapped` its related address, `host` the local socket the
    /// allocation was made from and `server` the TURN server (both for the foundation,
    /// §5.1.1.3). Returns the candidate, `None` for a duplicate.
    pub fn add_relayed_candidate(
        &mut self,
        relayed: SocketAddr,
        mapped: SocketAddr,
        host: SocketAddr,
        server: SocketAddr,
    ) -> Option<Candidate> {
        if self.config.lite || self.locals.iter().any(|l| l.cand.address == relayed) {
            return None;
        }
        let family_index = self
            .locals
            .iter()
            .filter(|l| {
                l.cand.kind == CandidateKind::Relayed
                    && l.cand.address.is_ipv4() == relayed.is_ipv4()
            })
            .count();
        let cand = Candidate {
            kind: CandidateKind::Relayed,
            address: relayed,
            base: relayed,
            related: Some(mapped),
            // §5.1.2.1: type preference 0 for relayed candidates.
            priority: candidate_priority(
                CandidateKind::Relayed,
                local_preference(relayed.ip(), family_index),
                1,
            ),
            foundation: foundation(
                CandidateKind::Relayed,
                host.ip(),
                Protocol::Udp,
                Some(server.ip()),
            ),
            component: 1,
            protocol: Protocol::Udp,
        };
        let index = self.locals.len();
        self.locals.push(Local {
            cand: cand.clone(),
            pairable: true,
        });
        self.push_event(IceEvent::LocalCandidate(cand.clone()));
        for r in 0..self.remotes.len() {
            self.add_pair(index, r);
        }
        self.schedule_checks();
        self.update_state();
        Some(cand)
    }

    /// Sets the remote ufrag and pwd (from the remote description).
    pub fn set_remote_credentials(&mut self, credentials: Credentials) {
        self.remote_credentials = Some(credentials);
        self.schedule_checks();
        self.update_state();
    }

    /// Sets the role before checks run (RFC 8445 §6.1.1: the agent that generated the offer is
    /// controlling; a `Peer` learns which one it is from the first description applied). Emits
    /// [`IceEvent::RoleChange`] only when the role changes.
    pub fn set_controlling(&mut self, controlling: bool) {
        if self.config.lite || self.controlling == controlling {
            return;
        }
        self.set_role(controlling);
    }

    /// Whether remote credentials are set (they are cleared by a restart until the new remote
    /// description arrives).
    pub fn has_remote_credentials(&self) -> bool {
        self.remote_credentials.is_some()
    }

    /// Whether the remote is an ICE-lite agent: then we are controlling (RFC 8445 §6.1.1).
    pub fn set_remote_lite(&mut self, lite: bool) {
        self.remote_lite = lite;
        if lite && !self.config.lite && !self.controlling {
            self.set_role(true);
        }
    }

    /// Adds a remote candidate (from SDP or trickled, at any time, even before the remote
    /// credentials). Returns `false` when it is refused (limit, duplicate, or unusable).
    pub fn add_remote_candidate(&mut self, candidate: Candidate) -> bool {
        if candidate.component != 1 || candidate.protocol != Protocol::Udp {
            return false;
        }
        if let Some(i) = self
            .remotes
            .iter()
            .position(|r| r.address == candidate.address)
        {
            // A signalled candidate replaces a peer-reflexive one learned earlier (RFC 8445
            // §7.3.1.3): same address, its signalled priority and foundation.
            if self.remotes[i].kind == CandidateKind::PeerReflexive
                && candidate.kind != CandidateKind::PeerReflexive
            {
                self.remotes[i] = candidate;
                self.recompute_priorities();
                return true;
            }
            return false;
        }
        if self.remotes.len() >= self.config.max_remote_candidates {
            self.stats.dropped_candidates += 1;
            return false;
        }
        self.remotes.push(candidate);
        let r = self.remotes.len() - 1;
        for l in 0..self.locals.len() {
            self.add_pair(l, r);
        }
        self.schedule_checks();
        self.update_state();
        true
    }

    /// Whether the remote signalled end-of-candidates for the current generation.
    pub fn remote_end_of_candidates(&self) -> bool {
        self.remote_end_of_candidates
    }

    /// The remote signalled end-of-candidates (RFC 8838 §4.4).
    pub fn end_of_remote_candidates(&mut self) {
        self.remote_end_of_candidates = true;
        self.update_state();
    }

    /// ICE restart (RFC 8445 §9): new local credentials, a fresh checklist. The selected pair
    /// keeps carrying data until a new one is selected.
    pub fn restart(&mut self, now: Instant) {
        self.now = self.now.max(now);
        self.previous_local_credentials = Some(std::mem::replace(
            &mut self.local_credentials,
            Credentials::random(&mut self.rng),
        ));
        self.generation += 1;
        self.remote_credentials = None;
        self.remote_end_of_candidates = false;
        self.remotes.clear();
        self.pairs.clear();
        self.triggered.clear();
        self.transactions
            .retain(|_, t| matches!(t.kind, TxKind::Consent));
        self.gathers_due.clear();
        if let Some(s) = &mut self.selected {
            s.pair = None;
        }
        self.failed = false;
        self.nominating = false;
        self.first_valid_at = None;
        self.checking_since = None;
        // Re-announce host and relayed candidates (TURN allocations outlive a restart) and
        // gather again under the new credentials.
        self.locals
            .retain(|l| matches!(l.cand.kind, CandidateKind::Host | CandidateKind::Relayed));
        let kept: Vec<(usize, Candidate)> = self
            .locals
            .iter()
            .cloned()
            .map(|l| l.cand)
            .enumerate()
            .collect();
        for (i, c) in kept {
            let relayed = c.kind == CandidateKind::Relayed;
            if self.config.relay_only && !relayed {
                continue;
            }
            self.push_event(IceEvent::LocalCandidate(c.clone()));
            if !self.config.lite && !relayed {
                let servers: Vec<SocketAddr> = self
                    .config
                    .stun_servers
                    .iter()
                    .copied()
                    .filter(|s| s.is_ipv4() == c.address.is_ipv4())
                    .collect();
                for server in servers {
                    self.start_gather(i, server);
                }
            }
        }
        self.gathering = true;
        self.gathering_announced = false;
        // Without servers to ask, gathering is complete at once (as for a new address).
        self.check_gathering_done();
        self.update_state();
    }

    /// Stops everything: no more transmits, state Closed.
    pub fn close(&mut self) {
        self.closed = true;
        self.transactions.clear();
        self.gathers_due.clear();
        self.triggered.clear();
        self.next_check = None;
        self.next_consent = None;
        self.transmits.clear();
        self.update_state();
    }

    // ----- driver -----

    /// Handles a received datagram. Returns `false` when it is not STUN (the caller routes it
    /// elsewhere); malformed or unauthenticated STUN is consumed, dropped and counted.
    pub fn handle_receive(&mut self, now: Instant, d: Datagram<'_>) -> bool {
        self.now = self.now.max(now);
        if !is_stun(d.contents) {
            return false;
        }
        if self.closed {
            self.stats.dropped_other += 1;
            return true;
        }
        let Ok(view) = MessageView::parse(d.contents) else {
            self.stats.dropped_malformed += 1;
            return true;
        };
        match view.class() {
            Class::Request if view.method() == Method::BINDING => self.handle_request(&view, &d),
            Class::SuccessResponse | Class::ErrorResponse => self.handle_response(&view, &d),
            _ => self.stats.dropped_other += 1,
        }
        // The last gathering answer completes gathering now, not at the next timer.
        self.check_gathering_done();
        self.update_state();
        true
    }

    /// Fires due timers. Before the deadline from `poll_timeout` it does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        let now = self.now;
        if self.closed {
            return;
        }
        for (base, server) in std::mem::take(&mut self.gathers_due) {
            self.send_gather(base, server);
        }
        // Transactions: retransmit or give up.
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
                RetransmitAction::Retransmit if tx.cancelled => {}
                RetransmitAction::Retransmit => {
                    self.stats.retransmissions += 1;
                    let t = Transmit {
                        source: tx.source,
                        destination: tx.destination,
                        protocol: Protocol::Udp,
                        contents: tx.bytes.clone(),
                    };
                    self.push_transmit(t);
                }
                RetransmitAction::GiveUp => {
                    let tx = self.transactions.remove(&id).expect("present");
                    if let TxKind::Gather { base, server } = tx.kind
                        && let Some(l) = self.locals.get(base)
                    {
                        let local = l.cand.base;
                        self.push_event(IceEvent::GatherFailed {
                            local,
                            server,
                            code: 701,
                            reason: String::new(),
                        });
                    }
                    if let TxKind::Check { pair, .. } = tx.kind
                        && !tx.cancelled
                        && tx.generation == self.generation
                        && let Some(p) = self.pairs.get_mut(pair)
                        && p.state == PairState::InProgress
                    {
                        // RFC 8445 §7.2.5.2: a check that times out fails its pair.
                        p.state = PairState::Failed;
                    }
                }
            }
        }
        // Ordinary and triggered checks, one per Ta (§6.1.4.2).
        if self.next_check.is_some_and(|t| t <= now) {
            self.next_check = None;
            if self.send_next_check(now) {
                self.next_check = Some(now + self.config.ta);
            }
        }
        // Controlling: nominate when the delay after the first valid pair has passed.
        if self.controlling && !self.nominating && self.nomination_due(now) {
            self.nominate(now);
        }
        // RFC 7675: consent checks on the selected pair.
        if !self.config.lite
            && self.selected.is_some()
            && self.next_consent.is_some_and(|t| t <= now)
        {
            self.send_consent(now);
        }
        self.check_gathering_done();
        self.update_state();
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<IceEvent> {
        self.events.pop_front()
    }

    /// When `handle_timeout` is due next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let mut t = self
            .transactions
            .values()
            .map(|t| t.retransmit.deadline())
            .min();
        let mut consider = |d: Option<Instant>| {
            if let Some(d) = d {
                t = Some(t.map_or(d, |t| t.min(d)));
            }
        };
        consider(self.next_check);
        if !self.gathers_due.is_empty() {
            consider(Some(self.now));
        }
        // Deadlines that only re-evaluate the state are reported while still ahead: once passed,
        // every later input re-evaluates them anyway, and a past deadline would ask to be fired
        // forever.
        let ahead = |d: Option<Instant>| d.filter(|d| *d > self.now);
        if self.controlling && !self.nominating {
            consider(ahead(self.nomination_deadline()));
        }
        if self.selected.is_some() && !self.failed && !self.config.lite {
            consider(self.next_consent);
            consider(ahead(
                self.consent_pending_since
                    .map(|p| p + self.config.disconnected_timeout),
            ));
            consider(
                self.consent_last_ok
                    .map(|l| l + self.config.consent_timeout),
            );
        }
        if self.selected.is_none() && !self.failed {
            consider(ahead(
                self.checking_since.map(|c| c + self.config.failed_timeout),
            ));
        }
        t
    }

    // ----- internals: candidates and pairs -----

    fn push_event(&mut self, e: IceEvent) {
        if self.events.len() < MAX_QUEUE {
            self.events.push_back(e);
        }
    }

    fn push_transmit(&mut self, t: Transmit) {
        if self.transmits.len() < MAX_QUEUE {
            self.transmits.push_back(t);
        }
    }

    fn set_role(&mut self, controlling: bool) {
        self.controlling = controlling;
        self.recompute_priorities();
        self.push_event(IceEvent::RoleChange { controlling });
    }

    fn compute_pair_priority(&self, local: u32, remote: u32) -> u64 {
        if self.controlling {
            pair_priority(local, remote)
        } else {
            pair_priority(remote, local)
        }
    }

    fn recompute_priorities(&mut self) {
        for i in 0..self.pairs.len() {
            let p = &self.pairs[i];
            let prio = self.compute_pair_priority(
                self.locals[p.local].cand.priority,
                self.remotes[p.remote].priority,
            );
            self.pairs[i].priority = prio;
        }
    }

    /// RFC 8445 §6.1.2.2-5: pair a local base with a remote candidate of the same family,
    /// prune the redundant one, keep at most `max_pairs`.
    fn add_pair(&mut self, local: usize, remote: usize) {
        let (l, r) = (&self.locals[local], &self.remotes[remote]);
        if !l.pairable || l.cand.address.is_ipv4() != r.address.is_ipv4() {
            return;
        }
        // RFC 8445 §6.1.2.4: pairs with the same local base and remote address are redundant.
        let base = l.cand.base;
        if self.pairs.iter().any(|p| {
            self.locals[p.local].cand.base == base && self.remotes[p.remote].address == r.address
        }) {
            return;
        }
        let priority = self.compute_pair_priority(l.cand.priority, r.priority);
        let fnd = (l.cand.foundation.clone(), r.foundation.clone());
        let state = self.initial_state(&fnd, priority);
        if self.pairs.len() >= self.config.max_pairs {
            // §6.1.2.5: drop the lowest-priority pair that is not in use, if the new one beats it.
            let Some((worst, worst_prio)) = self
                .pairs
                .iter()
                .enumerate()
                .filter(|(i, p)| {
                    matches!(
                        p.state,
                        PairState::Frozen | PairState::Waiting | PairState::Failed
                    ) && self.selected.and_then(|s| s.pair) != Some(*i)
                })
                .map(|(i, p)| (i, p.priority))
                .min_by_key(|(_, p)| *p)
            else {
                return;
            };
            if worst_prio >= priority {
                return;
            }
            // Reuse the slot so pair indices held by transactions stay meaningful.
            self.triggered.retain(|t| *t != worst);
            self.pairs[worst] = Pair {
                local,
                remote,
                priority,
                state,
                foundation: fnd,
                valid_priority: None,
                nominated: false,
                nominate_on_success: false,
                stats: PairCounters::default(),
            };
            return;
        }
        self.pairs.push(Pair {
            local,
            remote,
            priority,
            state,
            foundation: fnd,
            valid_priority: None,
            nominated: false,
            nominate_on_success: false,
            stats: PairCounters::default(),
        });
    }

    /// RFC 8445 §6.1.2.6: of the pairs of one foundation, exactly one starts Waiting — the one
    /// with the highest priority — and the rest Frozen. Pairs arrive one at a time (trickle), so
    /// a newcomer that outranks its foundation's Waiting pair, before any check of that
    /// foundation has been sent, takes its place and the old one goes back to Frozen.
    fn initial_state(&mut self, fnd: &(String, String), priority: u64) -> PairState {
        let (mut waiting, mut n_waiting) = (0, 0);
        for (i, p) in self.pairs.iter().enumerate() {
            if p.foundation != *fnd {
                continue;
            }
            match p.state {
                // The foundation's checks have begun: the newcomer waits its turn (§7.2.5.3.3
                // unfreezes it when one of them succeeds).
                PairState::InProgress | PairState::Succeeded => return PairState::Frozen,
                PairState::Waiting => {
                    waiting = i;
                    n_waiting += 1;
                }
                PairState::Frozen | PairState::Failed => {}
            }
        }
        let frozen_exists = self
            .pairs
            .iter()
            .any(|p| p.foundation == *fnd && p.state == PairState::Frozen);
        match n_waiting {
            1 if self.pairs[waiting].priority < priority => {
                self.pairs[waiting].state = PairState::Frozen;
                PairState::Waiting
            }
            // Frozen pairs with nothing Waiting: `send_next_check` unfreezes the best of them.
            0 if !frozen_exists => PairState::Waiting,
            _ => PairState::Frozen,
        }
    }

    fn find_pair(&self, local_addr: SocketAddr, remote_addr: SocketAddr) -> Option<usize> {
        self.pairs.iter().position(|p| {
            self.locals[p.local].cand.base == local_addr
                && self.remotes[p.remote].address == remote_addr
        })
    }

    fn schedule_checks(&mut self) {
        if self.config.lite || self.closed || self.remote_credentials.is_none() {
            return;
        }
        let work = !self.triggered.is_empty()
            || self
                .pairs
                .iter()
                .any(|p| matches!(p.state, PairState::Waiting | PairState::Frozen));
        if work && self.next_check.is_none() {
            self.next_check = Some(self.now);
        }
        if !self.pairs.is_empty() && self.checking_since.is_none() {
            self.checking_since = Some(self.now);
        }
    }

    /// §6.1.4.2: the triggered queue first, then the highest-priority Waiting pair, then unfreeze
    /// a Frozen pair whose foundation has nothing Waiting or In-Progress. Returns whether a check
    /// was sent (so the next one is paced).
    fn send_next_check(&mut self, now: Instant) -> bool {
        if self.remote_credentials.is_none() || self.config.lite {
            return false;
        }
        while let Some(i) = self.triggered.pop_front() {
            let Some(p) = self.pairs.get(i) else { continue };
            // A succeeded pair is only re-checked to nominate it (§8.1.1).
            let nominate = self.nominating && self.controlling && p.nominated;
            if p.state != PairState::Succeeded || nominate {
                let use_candidate = nominate;
                self.send_check(now, i, use_candidate);
                return true;
            }
        }
        let waiting = self
            .pairs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.state == PairState::Waiting)
            .max_by_key(|(_, p)| p.priority)
            .map(|(i, _)| i);
        if let Some(i) = waiting {
            self.send_check(now, i, false);
            return true;
        }
        let unfreeze = self
            .pairs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.state == PairState::Frozen)
            .filter(|(_, p)| {
                !self.pairs.iter().any(|q| {
                    q.foundation == p.foundation
                        && matches!(q.state, PairState::Waiting | PairState::InProgress)
                })
            })
            .max_by_key(|(_, p)| p.priority)
            .map(|(i, _)| i);
        if let Some(i) = unfreeze {
            self.send_check(now, i, false);
            return true;
        }
        false
    }

    fn check_message(&mut self, local_pref: u16, use_candidate: bool) -> (StunMessage, u32) {
        let remote = self
            .remote_credentials
            .as_ref()
            .expect("invariant: checks are only sent with remote credentials");
        let tid = TransactionId::random(&mut self.stun_rng);
        let mut m = StunMessage::new(Class::Request, Method::BINDING, tid);
        // RFC 8445 §7.2.2: USERNAME is "remote-ufrag:local-ufrag".
        m.attributes.push(StunAttribute::Username(format!(
            "{}:{}",
            remote.ufrag, self.local_credentials.ufrag
        )));
        // §7.1.1: PRIORITY is what a peer-reflexive candidate from this base would get.
        let priority = candidate_priority(CandidateKind::PeerReflexive, local_pref, 1);
        m.attributes.push(StunAttribute::Priority(priority));
        // §7.1.3: the role and our tie-breaker.
        m.attributes.push(if self.controlling {
            StunAttribute::IceControlling(self.tie_breaker)
        } else {
            StunAttribute::IceControlled(self.tie_breaker)
        });
        if use_candidate {
            m.attributes.push(StunAttribute::UseCandidate);
        }
        m.attributes.push(StunAttribute::MessageIntegrity([0; 20]));
        m.attributes.push(StunAttribute::Fingerprint);
        (m, priority)
    }

    fn send_check(&mut self, now: Instant, pair: usize, use_candidate: bool) {
        let p = &self.pairs[pair];
        let local = self.locals[p.local].cand.clone();
        let remote = self.remotes[p.remote].address;
        let (msg, priority) = self.check_message(local.local_preference(), use_candidate);
        let key = self
            .remote_credentials
            .as_ref()
            .expect("checked")
            .pwd
            .clone();
        let bytes = Bytes::from(msg.to_bytes_with_key(key.as_bytes()).expect(
            "invariant: ICE messages are a few hundred bytes (ufrags and attributes are bounded)",
        ));
        self.pairs[pair].state = PairState::InProgress;
        let c = &mut self.pairs[pair].stats;
        c.requests_sent = c.requests_sent.saturating_add(1);
        self.stats.checks_sent += 1;
        // RFC 8445 §14.3: RTO = MAX(500 ms, Ta·(Num-Waiting + Num-In-Progress)), so that with a
        // long checklist the retransmissions do not crowd out first checks of other pairs.
        let busy = self
            .pairs
            .iter()
            .filter(|p| matches!(p.state, PairState::Waiting | PairState::InProgress))
            .count();
        let mut retransmit = self.config.check_retransmit;
        retransmit.rto = retransmit.rto.max(
            self.config
                .ta
                .saturating_mul(u32::try_from(busy).unwrap_or(u32::MAX)),
        );
        self.transactions.insert(
            msg.transaction_id,
            Tx {
                kind: TxKind::Check {
                    pair,
                    use_candidate,
                },
                retransmit: Retransmit::new(now, retransmit),
                source: local.base,
                destination: remote,
                bytes: bytes.clone(),
                priority,
                generation: self.generation,
                cancelled: false,
                sent_at: now,
            },
        );
        self.push_transmit(Transmit {
            source: local.base,
            destination: remote,
            protocol: Protocol::Udp,
            contents: bytes,
        });
    }

    fn send_consent(&mut self, now: Instant) {
        let Some(sel) = self.selected else { return };
        if self.remote_credentials.is_none() {
            // During a restart, before the new remote credentials: try again shortly.
            self.next_consent = Some(now + self.config.ta);
            return;
        }
        let local_pref = self
            .locals
            .iter()
            .find(|l| l.cand.base == sel.local)
            .map_or(65535, |l| l.cand.local_preference());
        let (msg, priority) = self.check_message(local_pref, false);
        let key = self
            .remote_credentials
            .as_ref()
            .expect("checked")
            .pwd
            .clone();
        let bytes = Bytes::from(msg.to_bytes_with_key(key.as_bytes()).expect(
            "invariant: ICE messages are a few hundred bytes (ufrags and attributes are bounded)",
        ));
        self.transactions.insert(
            msg.transaction_id,
            Tx {
                kind: TxKind::Consent,
                retransmit: Retransmit::new(now, self.config.check_retransmit),
                source: sel.local,
                destination: sel.remote,
                bytes: bytes.clone(),
                priority,
                generation: self.generation,
                cancelled: false,
                sent_at: now,
            },
        );
        if let Some(p) = sel.pair.and_then(|i| self.pairs.get_mut(i)) {
            p.stats.consent_requests_sent = p.stats.consent_requests_sent.saturating_add(1);
        }
        self.push_transmit(Transmit {
            source: sel.local,
            destination: sel.remote,
            protocol: Protocol::Udp,
            contents: bytes,
        });
        if self.consent_pending_since.is_none() {
            self.consent_pending_since = Some(now);
        }
        // RFC 7675 §5.1: the interval is randomized to 0.8–1.2 of the mean.
        let mean = self.config.consent_interval;
        let jittered = self.rng.duration_between(mean * 4 / 5, mean * 6 / 5);
        self.next_consent = Some(now + jittered);
    }

    /// Asks `server` for the reflexive address of local `base` at the next `handle_timeout`
    /// (due at once): commands carry no time, so the request's retransmission schedule starts
    /// from the time the driver gives next, never from an older one (DESIGN §3).
    fn start_gather(&mut self, base: usize, server: SocketAddr) {
        self.gathers_due.push((base, server));
    }

    fn send_gather(&mut self, base: usize, server: SocketAddr) {
        let tid = TransactionId::random(&mut self.stun_rng);
        let mut m = StunMessage::new(Class::Request, Method::BINDING, tid);
        m.attributes.push(StunAttribute::Fingerprint);
        let bytes = Bytes::from(m.to_bytes().expect(
            "invariant: ICE messages are a few hundred bytes (ufrags and attributes are bounded)",
        ));
        let source = self.locals[base].cand.base;
        self.transactions.insert(
            tid,
            Tx {
                kind: TxKind::Gather { base, server },
                retransmit: Retransmit::new(self.now, self.config.gather_retransmit),
                sent_at: self.now,
                source,
                destination: server,
                bytes: bytes.clone(),
                priority: 0,
                generation: self.generation,
                cancelled: false,
            },
        );
        self.push_transmit(Transmit {
            source,
            destination: server,
            protocol: Protocol::Udp,
            contents: bytes,
        });
    }

    fn check_gathering_done(&mut self) {
        if self.gathering
            && !self.gathering_announced
            && !self
                .transactions
                .values()
                .any(|t| matches!(t.kind, TxKind::Gather { .. }))
            && self.gathers_due.is_empty()
        {
            self.gathering = false;
            self.gathering_announced = true;
            self.push_event(IceEvent::GatheringComplete);
        }
    }

    fn nomination_deadline(&self) -> Option<Instant> {
        if self.selected.is_some_and(|s| s.pair.is_some()) || self.config.lite {
            return None;
        }
        self.first_valid_at
            .map(|t| t + self.config.nomination_delay)
    }

    /// §8.1.1: nominate when the delay passed, or earlier when no pair that could beat the best
    /// valid one is still pending.
    fn nomination_due(&self, now: Instant) -> bool {
        let Some(best) = self.best_valid() else {
            return false;
        };
        if self.nomination_deadline().is_some_and(|d| now >= d) {
            return true;
        }
        let best_prio = self.pairs[best].valid_priority.unwrap_or(0);
        !self.pairs.iter().any(|p| {
            matches!(
                p.state,
                PairState::Frozen | PairState::Waiting | PairState::InProgress
            ) && p.priority > best_prio
        })
    }

    fn best_valid(&self) -> Option<usize> {
        self.pairs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.state == PairState::Succeeded)
            .max_by_key(|(_, p)| p.valid_priority.unwrap_or(p.priority))
            .map(|(i, _)| i)
    }

    /// Controlling: re-check the best valid pair with USE-CANDIDATE (regular nomination).
    fn nominate(&mut self, now: Instant) {
        let Some(best) = self.best_valid() else {
            return;
        };
        self.nominating = true;
        self.pairs[best].nominated = true;
        self.triggered.push_front(best);
        self.next_check = Some(self.next_check.map_or(now, |t| t.min(now)));
    }

    fn nominate_pair(&mut self, pair: usize) {
        let p = &mut self.pairs[pair];
        p.nominated = true;
        p.nominate_on_success = false;
        let priority = p.valid_priority.unwrap_or(p.priority);
        let local = self.locals[p.local].cand.base;
        let remote = self.remotes[p.remote].address;
        // §8.1.1: with several nominated pairs the highest priority one carries the data.
        let switch = match self.selected {
            None => true,
            Some(s) if s.pair.is_none() => true, // restart: a new pair replaces the old one
            Some(s) => priority > s.priority && (s.local, s.remote) != (local, remote),
        };
        if switch {
            self.selected = Some(Selected {
                local,
                remote,
                pair: Some(pair),
                priority,
            });
            self.consent_last_ok = Some(self.now);
            self.consent_pending_since = None;
            let interval = self.config.consent_interval;
            self.next_consent = Some(
                self.now
                    + self
                        .rng
                        .duration_between(interval * 4 / 5, interval * 6 / 5),
            );
            self.previous_local_credentials = None;
            self.push_event(IceEvent::SelectedPair { local, remote });
        }
    }

    fn checklist_done(&self) -> bool {
        !self.pairs.iter().any(|p| {
            matches!(
                p.state,
                PairState::Frozen | PairState::Waiting | PairState::InProgress
            )
        }) && self.triggered.is_empty()
    }

    fn update_state(&mut self) {
        let now = self.now;
        let state = if self.closed {
            IceConnectionState::Closed
        } else if self.failed {
            IceConnectionState::Failed
        } else if self.selected.is_some() {
            let consent_expired = !self.config.lite
                && self
                    .consent_last_ok
                    .is_some_and(|t| now >= t + self.config.consent_timeout);
            if consent_expired {
                // RFC 7675 §5.1: consent lost; sending stops (selected_pair returns None).
                self.failed = true;
                self.transactions.clear();
                self.triggered.clear();
                self.next_check = None;
                self.next_consent = None;
                IceConnectionState::Failed
            } else if !self.config.lite
                && self
                    .consent_pending_since
                    .is_some_and(|p| now >= p + self.config.disconnected_timeout)
            {
                IceConnectionState::Disconnected
            } else if self.checklist_done() && self.remote_end_of_candidates {
                IceConnectionState::Completed
            } else {
                IceConnectionState::Connected
            }
        } else if self.pairs.is_empty() && self.remote_credentials.is_none() {
            IceConnectionState::New
        } else {
            let all_failed = self.pairs.iter().all(|p| p.state == PairState::Failed);
            let gave_up = self.remote_end_of_candidates
                || self
                    .checking_since
                    .is_some_and(|c| now >= c + self.config.failed_timeout);
            if all_failed && gave_up && !self.config.lite && !self.gathering_pending() {
                self.failed = true;
                IceConnectionState::Failed
            } else {
                IceConnectionState::Checking
            }
        };
        if state != self.state {
            // W3C RTCIceConnectionState: "completed" follows "connected"; never skip it.
            if state == IceConnectionState::Completed
                && matches!(
                    self.state,
                    IceConnectionState::New | IceConnectionState::Checking
                )
            {
                self.push_event(IceEvent::StateChange(IceConnectionState::Connected));
            }
            self.state = state;
            self.push_event(IceEvent::StateChange(state));
        }
    }

    fn gathering_pending(&self) -> bool {
        self.transactions
            .values()
            .any(|t| matches!(t.kind, TxKind::Gather { .. }))
    }
}

fn username_of<'a>(view: &MessageView<'a>) -> Option<(&'a str, &'a str)> {
    let raw = view.get(AttributeType::USERNAME)?;
    let s = std::str::from_utf8(raw.value).ok()?;
    s.split_once(':')
}

fn attr_u64(view: &MessageView<'_>, typ: AttributeType) -> Option<u64> {
    let raw = view.get(typ)?;
    Some(u64::from_be_bytes(raw.value.try_into().ok()?))
}

/// Whether a check was sent as the controlling agent (read back from its bytes).
fn tx_controlling(tx: &Tx) -> bool {
    MessageView::parse(&tx.bytes)
        .ok()
        .is_some_and(|v| v.get(AttributeType::ICE_CONTROLLING).is_some())
}

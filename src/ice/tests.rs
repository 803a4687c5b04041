use super::*;
use crate::net::{Datagram, Protocol, Transmit};
use crate::rng::RngRoot;
use crate::stun::{
    AttributeType, Class, MessageView, Method, StunAttribute, StunMessage, TransactionId,
};
use crate::test_util::base;
use proptest::prelude::*;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const LOCAL: &str = "10.0.0.1:5000";
const REMOTE: &str = "10.0.0.2:6000";

fn a(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn agent(controlling: bool, now: Instant) -> IceAgent {
    let mut ag = IceAgent::new(
        IceConfig {
            controlling,
            ..IceConfig::default()
        },
        &RngRoot::from_seed(1),
        now,
    );
    ag.add_local_address(a(LOCAL));
    ag.set_remote_credentials(Credentials {
        ufrag: "rfrag".into(),
        pwd: "remote-password-0123456789".into(),
    });
    while ag.poll_event().is_some() {}
    ag
}

/// A Binding request from the remote, as the remote would build it.
fn request(ag: &IceAgent, pwd: &str, extra: Vec<StunAttribute>) -> Vec<u8> {
    let mut m = StunMessage::new(Class::Request, Method::BINDING, TransactionId([9; 12]));
    m.attributes.push(StunAttribute::Username(format!(
        "{}:rfrag",
        ag.local_credentials().ufrag
    )));
    m.attributes.push(StunAttribute::Priority(1_862_270_975));
    m.attributes.extend(extra);
    m.attributes.push(StunAttribute::MessageIntegrity([0; 20]));
    m.attributes.push(StunAttribute::Fingerprint);
    m.to_bytes_with_key(pwd.as_bytes()).unwrap()
}

fn deliver(ag: &mut IceAgent, now: Instant, from: &str, bytes: &[u8]) -> Vec<Transmit> {
    assert!(ag.handle_receive(
        now,
        Datagram {
            source: a(from),
            destination: a(LOCAL),
            protocol: Protocol::Udp,
            contents: bytes
        }
    ));
    std::iter::from_fn(|| ag.poll_transmit()).collect()
}

fn error_code(t: &Transmit) -> Option<u16> {
    match StunMessage::parse(&t.contents)
        .ok()?
        .get(AttributeType::ERROR_CODE)
    {
        Some(StunAttribute::ErrorCode { code, .. }) => Some(*code),
        _ => None,
    }
}

#[test]
fn wrong_credentials_are_rejected_and_change_nothing() {
    let now = base();
    let mut ag = agent(false, now);
    let before = (ag.remote_candidates().len(), ag.pairs(), ag.state());
    let bad = request(
        &ag,
        "not-the-password",
        vec![
            StunAttribute::IceControlling(1),
            StunAttribute::UseCandidate,
        ],
    );
    let out = deliver(&mut ag, now, "10.9.9.9:1", &bad);
    assert_eq!(out.iter().map(error_code).collect::<Vec<_>>(), [Some(401)]);
    assert_eq!(
        (ag.remote_candidates().len(), ag.pairs(), ag.state()),
        before
    );
    assert_eq!(ag.stats().dropped_unauthenticated, 1);

    // No MESSAGE-INTEGRITY at all: 400.
    let mut m = StunMessage::new(Class::Request, Method::BINDING, TransactionId([1; 12]));
    m.attributes.push(StunAttribute::Username(format!(
        "{}:rfrag",
        ag.local_credentials().ufrag
    )));
    // It is smaller than the 400 would be: no answer (no amplification), counted.
    let out = deliver(&mut ag, now, "10.9.9.9:1", &m.to_bytes().unwrap());
    assert!(out.is_empty());
    assert_eq!(ag.stats().error_responses_suppressed, 1);
    // The same, padded past the answer's size: 400.
    m.attributes.push(StunAttribute::Software("x".repeat(40)));
    let out = deliver(&mut ag, now, "10.9.9.9:1", &m.to_bytes().unwrap());
    assert_eq!(out.iter().map(error_code).collect::<Vec<_>>(), [Some(400)]);
    // Another agent's ufrag: 401, and `accepts` says it is not ours.
    let mut m = StunMessage::new(Class::Request, Method::BINDING, TransactionId([1; 12]));
    m.attributes
        .push(StunAttribute::Username("someone:else".into()));
    m.attributes.push(StunAttribute::MessageIntegrity([0; 20]));
    let bytes = m.to_bytes_with_key(b"x").unwrap();
    assert!(!ag.accepts(&Datagram {
        source: a(REMOTE),
        destination: a(LOCAL),
        protocol: Protocol::Udp,
        contents: &bytes
    }));
    assert_eq!(
        deliver(&mut ag, now, REMOTE, &bytes)
            .iter()
            .map(error_code)
            .collect::<Vec<_>>(),
        [Some(401)]
    );
    assert_eq!(before.0, ag.remote_candidates().len());
}

#[test]
fn valid_request_learns_peer_reflexive_and_answers() {
    let now = base();
    let mut ag = agent(false, now);
    let pwd = ag.local_credentials().pwd.clone();
    let good = request(&ag, &pwd, vec![StunAttribute::IceControlling(5)]);
    let out = deliver(&mut ag, now, REMOTE, &good);
    let resp = StunMessage::parse(&out[0].contents).unwrap();
    assert_eq!(resp.class, Class::SuccessResponse);
    assert_eq!(
        resp.get(AttributeType::XOR_MAPPED_ADDRESS),
        Some(&StunAttribute::XorMappedAddress(a(REMOTE)))
    );
    // The response is protected with our password.
    assert!(
        MessageView::parse(&out[0].contents)
            .unwrap()
            .verify_integrity(pwd.as_bytes())
            .is_ok()
    );
    assert_eq!(ag.remote_candidates()[0].kind, CandidateKind::PeerReflexive);
    assert_eq!(ag.remote_candidates()[0].priority, 1_862_270_975);
    // A triggered check follows at once.
    ag.handle_timeout(now);
    let check = ag.poll_transmit().expect("triggered check");
    assert_eq!(check.destination, a(REMOTE));
}

#[test]
fn role_conflicts_follow_the_tie_breaker() {
    let now = base();
    // We are controlling; they claim controlling with the largest tie-breaker: we yield
    // (RFC 8445 §7.3.1.1), answering with success.
    let mut ag = agent(true, now);
    let pwd = ag.local_credentials().pwd.clone();
    let req = request(&ag, &pwd, vec![StunAttribute::IceControlling(u64::MAX)]);
    let out = deliver(&mut ag, now, REMOTE, &req);
    assert_eq!(error_code(&out[0]), None);
    assert!(!ag.is_controlling());
    // They claim controlling with tie-breaker 0 while we are controlling: 487.
    let mut ag = agent(true, now);
    let req = request(&ag, &pwd_of(&ag), vec![StunAttribute::IceControlling(0)]);
    let out = deliver(&mut ag, now, REMOTE, &req);
    assert_eq!(error_code(&out[0]), Some(487));
    assert!(ag.is_controlling());
    // Controlled vs controlled: the larger tie-breaker becomes controlling.
    let mut ag = agent(false, now);
    let req = request(&ag, &pwd_of(&ag), vec![StunAttribute::IceControlled(0)]);
    let out = deliver(&mut ag, now, REMOTE, &req);
    assert_eq!(error_code(&out[0]), None);
    assert!(ag.is_controlling());
    let mut ag = agent(false, now);
    let req = request(
        &ag,
        &pwd_of(&ag),
        vec![StunAttribute::IceControlled(u64::MAX)],
    );
    let out = deliver(&mut ag, now, REMOTE, &req);
    assert_eq!(error_code(&out[0]), Some(487));
    assert!(!ag.is_controlling());
}

fn pwd_of(ag: &IceAgent) -> String {
    ag.local_credentials().pwd.clone()
}

#[test]
fn a_response_from_elsewhere_fails_the_pair() {
    let now = base();
    let mut ag = agent(true, now);
    ag.add_remote_candidate(Candidate::remote(
        CandidateKind::Host,
        a(REMOTE),
        2_130_706_431,
        "1",
    ));
    ag.handle_timeout(now);
    let check = ag.poll_transmit().expect("check");
    let req = MessageView::parse(&check.contents).unwrap();
    let mut resp = StunMessage::new(
        Class::SuccessResponse,
        Method::BINDING,
        req.transaction_id(),
    );
    resp.attributes
        .push(StunAttribute::XorMappedAddress(a(LOCAL)));
    resp.attributes
        .push(StunAttribute::MessageIntegrity([0; 20]));
    let bytes = resp
        .to_bytes_with_key(b"remote-password-0123456789")
        .unwrap();
    // RFC 8445 §7.2.5.2.1: not from the address the request went to.
    deliver(&mut ag, now, "10.0.0.99:6000", &bytes);
    assert_eq!(ag.pairs()[0].state, PairState::Failed);
}

#[test]
fn unauthenticated_responses_do_not_complete_checks() {
    let now = base();
    let mut ag = agent(true, now);
    ag.add_remote_candidate(Candidate::remote(
        CandidateKind::Host,
        a(REMOTE),
        2_130_706_431,
        "1",
    ));
    ag.handle_timeout(now);
    let check = ag.poll_transmit().expect("check");
    let tid = MessageView::parse(&check.contents)
        .unwrap()
        .transaction_id();
    let mut resp = StunMessage::new(Class::SuccessResponse, Method::BINDING, tid);
    resp.attributes
        .push(StunAttribute::XorMappedAddress(a(LOCAL)));
    resp.attributes
        .push(StunAttribute::MessageIntegrity([0; 20]));
    deliver(
        &mut ag,
        now,
        REMOTE,
        &resp.to_bytes_with_key(b"guess").unwrap(),
    );
    assert_eq!(ag.pairs()[0].state, PairState::InProgress);
    assert_eq!(ag.stats().dropped_unauthenticated, 1);
    // The genuine response still completes it.
    deliver(
        &mut ag,
        now,
        REMOTE,
        &resp
            .to_bytes_with_key(b"remote-password-0123456789")
            .unwrap(),
    );
    assert_eq!(ag.pairs()[0].state, PairState::Succeeded);
}

#[test]
fn timeout_before_deadline_is_a_no_op_and_deadlines_advance() {
    let now = base();
    let mut ag = agent(true, now);
    ag.add_remote_candidate(Candidate::remote(
        CandidateKind::Host,
        a(REMOTE),
        2_130_706_431,
        "1",
    ));
    let mut t = now;
    let mut fired = 0;
    // Without responses: the check retransmits and finally fails; the agent must reach Failed
    // (end-of-candidates given) with strictly advancing deadlines, never spinning.
    ag.end_of_remote_candidates();
    while let Some(d) = ag.poll_timeout() {
        assert!(d >= t, "deadline went backwards");
        ag.handle_timeout(d - Duration::from_nanos(1).min(d - t));
        t = d;
        ag.handle_timeout(t);
        while ag.poll_transmit().is_some() {}
        fired += 1;
        assert!(fired < 1000, "spinning");
    }
    assert_eq!(ag.state(), IceConnectionState::Failed);
    assert!(
        t - now >= Duration::from_millis(39_500),
        "failed only after the RFC 8489 timeout: {:?}",
        t - now
    );
}

#[derive(Debug, Clone)]
enum Op {
    AddLocal(u8),
    AddRemote(u8, u32),
    Credentials,
    EndOfCandidates,
    Restart,
    Close,
    Garbage(Vec<u8>),
    ValidRequest(u8, bool, bool),
    Advance(u16),
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..4).prop_map(Op::AddLocal),
        (0u8..8, any::<u32>()).prop_map(|(i, p)| Op::AddRemote(i, p)),
        Just(Op::Credentials),
        Just(Op::EndOfCandidates),
        Just(Op::Restart),
        Just(Op::Close),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Op::Garbage),
        (0u8..8, any::<bool>(), any::<bool>()).prop_map(|(i, c, u)| Op::ValidRequest(i, c, u)),
        (0u16..5000).prop_map(Op::Advance),
    ]
}

fn allowed(from: IceConnectionState, to: IceConnectionState, restarted: bool) -> bool {
    use IceConnectionState::*;
    match (from, to) {
        (Closed, _) => false,
        (_, Closed) => true,
        (Failed, _) => restarted,
        (_, New) => restarted,
        _ => true,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Arbitrary interleavings of commands and inputs never panic; states move only as the RFC
    /// allows (nothing leaves Closed; Failed is left only by a restart); the selected pair is
    /// only reported while neither failed nor closed.
    #[test]
    fn arbitrary_interleavings(controlling in any::<bool>(), lite in any::<bool>(), ops in proptest::collection::vec(arb_op(), 0..60)) {
        let b = base();
        let mut now = b;
        let mut ag = IceAgent::new(IceConfig { controlling, lite, stun_servers: vec![a("192.0.2.1:3478")], ..IceConfig::default() }, &RngRoot::from_seed(7), now);
        let mut state = ag.state();
        let mut restarted = false;
        for op in ops {
            match op {
                Op::AddLocal(i) => { ag.add_local_address(a(&format!("10.0.0.{}:5000", i + 1))); }
                Op::AddRemote(i, p) => { ag.add_remote_candidate(Candidate::remote(CandidateKind::Host, a(&format!("10.1.0.{}:6000", i + 1)), p, format!("{i}"))); }
                Op::Credentials => ag.set_remote_credentials(Credentials { ufrag: "r".into(), pwd: "rp".into() }),
                Op::EndOfCandidates => ag.end_of_remote_candidates(),
                Op::Restart => { ag.restart(now); restarted = true; }
                Op::Close => ag.close(),
                Op::Garbage(bytes) => { ag.handle_receive(now, Datagram { source: a(REMOTE), destination: a(LOCAL), protocol: Protocol::Udp, contents: &bytes }); }
                Op::ValidRequest(i, controlling_attr, use_candidate) => {
                    let mut extra = vec![if controlling_attr { StunAttribute::IceControlling(3) } else { StunAttribute::IceControlled(3) }];
                    if use_candidate { extra.push(StunAttribute::UseCandidate); }
                    let bytes = request(&ag, &pwd_of(&ag), extra);
                    ag.handle_receive(now, Datagram { source: a(&format!("10.1.0.{}:6000", i + 1)), destination: a(LOCAL), protocol: Protocol::Udp, contents: &bytes });
                }
                Op::Advance(ms) => {
                    now += Duration::from_millis(u64::from(ms));
                    ag.handle_timeout(now);
                }
            }
            if let Some(d) = ag.poll_timeout() {
                prop_assert!(d + Duration::from_secs(3600) > now);
            }
            while ag.poll_transmit().is_some() {}
            while let Some(e) = ag.poll_event() {
                if let IceEvent::StateChange(s) = e {
                    prop_assert!(allowed(state, s, restarted), "{:?} -> {:?}", state, s);
                    if s != IceConnectionState::Failed { restarted = false; }
                    state = s;
                }
            }
            if matches!(ag.state(), IceConnectionState::Failed | IceConnectionState::Closed) {
                prop_assert!(ag.selected_pair().is_none());
            }
        }
    }
}

#[test]
fn unknown_comprehension_required_attribute_gets_420() {
    let now = base();
    let mut ag = agent(false, now);
    let req = request(
        &ag,
        &pwd_of(&ag),
        vec![StunAttribute::Other {
            typ: AttributeType(0x7ABC),
            value: vec![1, 2, 3, 4],
        }],
    );
    let out = deliver(&mut ag, now, REMOTE, &req);
    assert_eq!(error_code(&out[0]), Some(420));
    let m = StunMessage::parse(&out[0].contents).unwrap();
    assert_eq!(
        m.get(AttributeType::UNKNOWN_ATTRIBUTES),
        Some(&StunAttribute::UnknownAttributes(vec![AttributeType(
            0x7ABC
        )]))
    );
    assert!(
        ag.remote_candidates().is_empty(),
        "a rejected request builds nothing"
    );
}

#[test]
fn aggressive_nomination_from_an_older_peer_is_accepted() {
    // The peer sends USE-CANDIDATE on its very first check (RFC 5245 aggressive nomination);
    // we are controlled: the pair is selected once our own triggered check on it succeeds.
    let now = base();
    let mut ag = agent(false, now);
    let req = request(
        &ag,
        &pwd_of(&ag),
        vec![
            StunAttribute::IceControlling(1),
            StunAttribute::UseCandidate,
        ],
    );
    deliver(&mut ag, now, REMOTE, &req);
    assert_eq!(ag.selected_pair(), None, "not before our check succeeds");
    ag.handle_timeout(now);
    let check = ag.poll_transmit().expect("triggered check");
    let tid = MessageView::parse(&check.contents)
        .unwrap()
        .transaction_id();
    let mut resp = StunMessage::new(Class::SuccessResponse, Method::BINDING, tid);
    resp.attributes
        .push(StunAttribute::XorMappedAddress(a(LOCAL)));
    resp.attributes
        .push(StunAttribute::MessageIntegrity([0; 20]));
    deliver(
        &mut ag,
        now,
        REMOTE,
        &resp
            .to_bytes_with_key(b"remote-password-0123456789")
            .unwrap(),
    );
    assert_eq!(ag.selected_pair(), Some((a(LOCAL), a(REMOTE))));
}

/// RFC 8445 §6.1.2.6: the pair of a foundation unfrozen first is its highest-priority one, even
/// when a lower-priority pair of the same foundation was formed first.
#[test]
fn initial_unfreezing_picks_the_highest_priority_pair_of_a_foundation() {
    let now = base();
    let mut ag = agent(true, now);
    // Two remote candidates of one foundation: the low-priority one arrives first.
    let low = Candidate::remote(CandidateKind::Host, a("10.0.0.7:7000"), 1000, "same");
    let high = Candidate::remote(CandidateKind::Host, a("10.0.0.8:8000"), 2000, "same");
    // A third foundation whose pair ranks between them.
    let mid = Candidate::remote(CandidateKind::Host, a("10.0.0.9:9000"), 1500, "other");
    for c in [low, mid, high] {
        assert!(ag.add_remote_candidate(c));
    }
    let states: Vec<_> = ag.pairs().iter().map(|p| (p.remote, p.state)).collect();
    assert_eq!(
        states,
        [
            (a("10.0.0.7:7000"), PairState::Frozen),
            (a("10.0.0.9:9000"), PairState::Waiting),
            (a("10.0.0.8:8000"), PairState::Waiting),
        ]
    );
    // Checks go out by priority: `high` first, then `mid`; `low` stays Frozen while its
    // foundation has a check in progress (§6.1.4.2).
    let mut order = Vec::new();
    let mut t = now;
    for _ in 0..4 {
        ag.handle_timeout(t);
        order.extend(std::iter::from_fn(|| ag.poll_transmit()).map(|t| t.destination));
        t += Duration::from_millis(50);
    }
    assert_eq!(order, [a("10.0.0.8:8000"), a("10.0.0.9:9000")]);
    assert_eq!(ag.pairs()[0].state, PairState::Frozen);
}

/// RFC 8445 §14.3: a check's RTO grows with the number of Waiting and In-Progress pairs, so a
/// long checklist does not retransmit before it has sent its first checks.
#[test]
fn check_rto_follows_the_checklist_length() {
    let now = base();
    let mut ag = agent(true, now);
    // 30 pairs of distinct foundations, all Waiting: RTO = max(500 ms, 50 ms × 30) = 1.5 s.
    for i in 0..30u16 {
        let c = Candidate::remote(
            CandidateKind::Host,
            SocketAddr::new([10, 0, 1, 1].into(), 7000 + i),
            1000 + u32::from(i),
            format!("f{i}"),
        );
        assert!(ag.add_remote_candidate(c));
    }
    let mut sent: Vec<(Instant, Vec<u8>)> = Vec::new();
    let mut t = now;
    while t < now + Duration::from_secs(3) {
        ag.handle_timeout(t);
        sent.extend(std::iter::from_fn(|| ag.poll_transmit()).map(|x| (t, x.contents.to_vec())));
        t += Duration::from_millis(10);
    }
    let (first_at, first) = sent[0].clone();
    let again: Vec<Instant> = sent[1..]
        .iter()
        .filter(|(_, b)| *b == first)
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(first_at, now);
    assert_eq!(again.first(), Some(&(now + Duration::from_millis(1500))));
    // The short checklist of `agent` keeps the 500 ms floor.
    let mut small = agent(true, now);
    small.add_remote_candidate(Candidate::remote(CandidateKind::Host, a(REMOTE), 1, "x"));
    small.handle_timeout(now);
    let first = small.poll_transmit().unwrap().contents;
    small.handle_timeout(now + Duration::from_millis(500));
    assert_eq!(small.poll_transmit().map(|t| t.contents), Some(first));
}

/// W3C `icecandidateerror` from a STUN server: an error response is reported with its code and
/// reason; a server that never answers is reported as 701 once the transaction gives up. The
/// requests of `add_local_address` go out at the next `handle_timeout` (a command carries no
/// time to start their schedule from).
#[test]
fn gather_failures_are_reported() {
    let now = base();
    let refusing = a("192.0.2.1:3478");
    let silent = a("192.0.2.2:3478");
    let mut ag = IceAgent::new(
        IceConfig {
            stun_servers: vec![refusing, silent],
            ..IceConfig::default()
        },
        &RngRoot::from_seed(3),
        now,
    );
    ag.add_local_address(a(LOCAL));
    assert!(ag.poll_transmit().is_none(), "nothing sent by the command");
    assert_eq!(ag.poll_timeout(), Some(now), "due at once");
    ag.handle_timeout(now);
    let mut requests = Vec::new();
    while let Some(t) = ag.poll_transmit() {
        requests.push(t);
    }
    assert_eq!(requests.len(), 2);
    let to_refusing = requests.iter().find(|t| t.destination == refusing).unwrap();
    let tid = MessageView::parse(&to_refusing.contents)
        .unwrap()
        .transaction_id();
    let mut m = StunMessage::new(Class::ErrorResponse, Method::BINDING, tid);
    m.attributes.push(StunAttribute::ErrorCode {
        code: 420,
        reason: "Unknown Attribute".into(),
    });
    ag.handle_receive(
        now,
        Datagram {
            source: refusing,
            destination: a(LOCAL),
            protocol: Protocol::Udp,
            contents: &m.to_bytes().unwrap(),
        },
    );
    let failures = |ag: &mut IceAgent| -> Vec<(SocketAddr, u16, String)> {
        std::iter::from_fn(|| ag.poll_event())
            .filter_map(|e| match e {
                IceEvent::GatherFailed {
                    local,
                    server,
                    code,
                    reason,
                } => {
                    assert_eq!(local, a(LOCAL));
                    Some((server, code, reason))
                }
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        failures(&mut ag),
        [(refusing, 420, "Unknown Attribute".to_owned())]
    );
    // The silent one: retransmitted, then given up.
    let mut reported = Vec::new();
    let mut gathering_done = false;
    while let Some(t) = ag.poll_timeout() {
        if t > now + Duration::from_secs(120) {
            break;
        }
        ag.handle_timeout(t);
        while ag.poll_transmit().is_some() {}
        for e in std::iter::from_fn(|| ag.poll_event()) {
            match e {
                IceEvent::GatherFailed { server, code, .. } => reported.push((server, code)),
                IceEvent::GatheringComplete => gathering_done = true,
                _ => {}
            }
        }
        if gathering_done {
            break;
        }
    }
    assert_eq!(reported, [(silent, 701)]);
    assert!(gathering_done);
}

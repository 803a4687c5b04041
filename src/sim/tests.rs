use super::*;
use crate::test_util::base;

fn a(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A node that always wants a timeout now: a livelock.
struct Spinner;
impl Node for Spinner {
    fn handle_receive(&mut self, _: Instant, _: Datagram<'_>) {}
    fn handle_timeout(&mut self, _: Instant) {}
    fn poll_transmit(&mut self, _: Instant) -> Option<Transmit> {
        None
    }
    fn poll_timeout(&self) -> Option<Instant> {
        // Far in the past: the network clamps to now, never moves time backwards.
        None.or(Some(SPIN_AT.with(|s| s.get().expect("set"))))
    }
}

thread_local! {
    static SPIN_AT: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

/// A node with a deadline every 10 ms that counts its timeouts.
#[derive(Default)]
struct Ticker {
    next: Option<Instant>,
    fired: Vec<Instant>,
}
impl Node for Ticker {
    fn handle_receive(&mut self, _: Instant, _: Datagram<'_>) {}
    fn handle_timeout(&mut self, now: Instant) {
        assert!(
            self.next.is_some_and(|n| now >= n),
            "fired before its deadline"
        );
        self.fired.push(now);
        self.next = Some(now + Duration::from_millis(10));
    }
    fn poll_transmit(&mut self, _: Instant) -> Option<Transmit> {
        None
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.next
    }
}

#[test]
fn livelock_fails_with_step_limit_and_seed() {
    let b = base();
    SPIN_AT.with(|s| s.set(Some(b)));
    let mut net = Network::new(b, 77);
    net.add_host(
        "spin",
        [Interface::new("192.0.2.1".parse().unwrap(), net.internet())],
        Spinner,
    )
    .unwrap();
    let err = net
        .run_until(
            |_| false,
            Limits {
                max_steps: 100,
                max_time: Duration::from_secs(1),
            },
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            SimError::StepLimit {
                steps: 100,
                seed: 77,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("SIM_SEED=77"));
    assert_eq!(net.now(), b, "time never moved");
}

#[test]
fn time_limit_and_idle() {
    let b = base();
    let mut net = Network::new(b, 1);
    let t = net
        .add_host(
            "t",
            [Interface::new("192.0.2.1".parse().unwrap(), net.internet())],
            Ticker {
                next: Some(b),
                fired: vec![],
            },
        )
        .unwrap();
    let err = net
        .run_until(|_| false, Limits::time(Duration::from_millis(35)))
        .unwrap_err();
    assert!(matches!(err, SimError::TimeLimit { .. }));
    assert_eq!(net.elapsed(), Duration::from_millis(35));
    let fired = &net.node::<Ticker>(t).unwrap().fired;
    assert_eq!(
        fired.iter().map(|f| *f - b).collect::<Vec<_>>(),
        [0, 10, 20, 30].map(Duration::from_millis)
    );

    let mut idle = Network::new(b, 1);
    idle.add_host(
        "e",
        [Interface::new(
            "192.0.2.1".parse().unwrap(),
            idle.internet(),
        )],
        Echo::new(),
    )
    .unwrap();
    assert!(matches!(
        idle.run_until(|_| false, Limits::default()),
        Err(SimError::Idle { .. })
    ));
    assert_eq!(idle.step(), None);
    idle.run_until_idle(Limits::default()).unwrap();
}

#[test]
fn run_for_lands_exactly_and_fires_due_timers() {
    let b = base();
    let mut net = Network::new(b, 1);
    let t = net
        .add_host(
            "t",
            [Interface::new("192.0.2.1".parse().unwrap(), net.internet())],
            Ticker {
                next: Some(b + Duration::from_millis(5)),
                fired: vec![],
            },
        )
        .unwrap();
    net.run_for(Duration::from_millis(25)).unwrap();
    assert_eq!(net.now(), b + Duration::from_millis(25));
    assert_eq!(net.node::<Ticker>(t).unwrap().fired.len(), 3); // 5, 15, 25
}

#[test]
fn commands_through_node_mut_are_picked_up() {
    let b = base();
    let mut net = Network::new(b, 1);
    let inet = net.internet();
    let p = net
        .add_host(
            "p",
            [Interface::new("192.0.2.1".parse().unwrap(), inet)],
            Probe::sink(a("192.0.2.1:1")),
        )
        .unwrap();
    net.add_host(
        "e",
        [Interface::new("192.0.2.2".parse().unwrap(), inet)],
        Echo::new(),
    )
    .unwrap();
    // Unspecified source: the host's first interface of the destination's family.
    net.node_mut::<Probe>(p).unwrap().send_now(
        a("0.0.0.0:9"),
        a("192.0.2.2:7"),
        Bytes::from_static(b"hi"),
    );
    net.run_until(
        |n| !n.node::<Probe>(p).unwrap().received.is_empty(),
        Limits::default(),
    )
    .unwrap();
    let r = &net.node::<Probe>(p).unwrap().received[0];
    assert_eq!(
        (r.source, r.destination),
        (a("192.0.2.2:7"), a("192.0.2.1:9"))
    );
    assert!(
        net.node::<Echo>(p).is_none(),
        "wrong type downcasts to None"
    );
    assert_eq!(net.host_name(p), "p");
    assert_eq!(net.hosts().count(), 2);
}

#[test]
fn construction_errors() {
    let mut net = Network::new(base(), 1);
    let inet = net.internet();
    let ip: IpAddr = "192.0.2.1".parse().unwrap();
    net.add_host("x", [Interface::new(ip, inet)], Echo::new())
        .unwrap();
    assert_eq!(
        net.add_host("y", [Interface::new(ip, inet)], Echo::new()),
        Err(SimError::AddressInUse(ip))
    );
    assert_eq!(
        net.add_nat(NatConfig::full_cone(), inet, ip, LinkConfig::ideal()),
        Err(SimError::AddressInUse(ip))
    );
    assert_eq!(
        net.add_host("z", [], Echo::new()),
        Err(SimError::NoInterface)
    );
    let unspecified: IpAddr = "0.0.0.0".parse().unwrap();
    assert_eq!(
        net.add_host("z", [Interface::new(unspecified, inet)], Echo::new()),
        Err(SimError::UnspecifiedAddress)
    );
    assert_eq!(
        net.add_host("z", [Interface::new(ip, SegmentId(99))], Echo::new()),
        Err(SimError::UnknownSegment(SegmentId(99)))
    );
    // The same private address behind two different NATs is fine.
    let n1 = net
        .add_nat(
            NatConfig::full_cone(),
            inet,
            "203.0.113.1".parse().unwrap(),
            LinkConfig::ideal(),
        )
        .unwrap();
    let n2 = net
        .add_nat(
            NatConfig::full_cone(),
            inet,
            "203.0.113.2".parse().unwrap(),
            LinkConfig::ideal(),
        )
        .unwrap();
    let private: IpAddr = "10.0.0.2".parse().unwrap();
    net.add_host("p1", [Interface::new(private, net.inside(n1))], Echo::new())
        .unwrap();
    net.add_host("p2", [Interface::new(private, net.inside(n2))], Echo::new())
        .unwrap();
    // A host inside may not take its NAT's external address.
    let ext = net.nat_address(n1);
    assert_eq!(
        net.add_host("bad", [Interface::new(ext, net.inside(n1))], Echo::new()),
        Err(SimError::AddressInUse(ext))
    );
}

#[test]
fn derived_seeds_are_stable_and_distinct() {
    let n = Network::new(base(), 5);
    assert_eq!(
        n.derive_seed("alice"),
        Network::new(base(), 5).derive_seed("alice")
    );
    assert_ne!(n.derive_seed("alice"), n.derive_seed("bob"));
    assert_ne!(
        n.derive_seed("alice"),
        Network::new(base(), 6).derive_seed("alice")
    );
}

#[test]
fn trace_records_can_be_turned_off_hash_kept() {
    let b = base();
    let build = |keep: bool| {
        let mut net = Network::new(b, 9);
        net.keep_trace_records(keep);
        let inet = net.internet();
        net.add_host(
            "e",
            [Interface::new("192.0.2.2".parse().unwrap(), inet)],
            Echo::new(),
        )
        .unwrap();
        net.add_host(
            "p",
            [Interface::new("192.0.2.1".parse().unwrap(), inet)
                .link(LinkConfig::ideal().loss(0.3))],
            Probe::sender(
                a("192.0.2.1:1"),
                a("192.0.2.2:2"),
                50,
                20,
                Duration::from_millis(1),
                b,
            ),
        )
        .unwrap();
        net.run_until_idle(Limits::default()).unwrap();
        net
    };
    let (on, off) = (build(true), build(false));
    assert!(off.trace().is_empty());
    assert_eq!(
        on.trace().len() as u64,
        on.counts().delivered + on.counts().lost
    );
    assert_eq!(on.trace_hash(), off.trace_hash());
    assert_eq!(on.counts(), off.counts());
}

#[test]
fn a_panicking_test_names_the_seed() {
    // The drop hook runs during unwinding; this checks it does not itself panic or abort.
    let r = std::panic::catch_unwind(|| {
        let _net = Network::new(base(), 4242);
        panic!("boom");
    });
    assert!(r.is_err());
}

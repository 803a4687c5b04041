//! Consent freshness (RFC 7675), ICE restart (RFC 8445 §9) and ICE-lite (§2.5) in the simulator.

mod common;

use common::ice::{IceNode, Signaling, connected, selected, state};
use common::{addr, base};
use sansrtc::ice::{IceConfig, IceConnectionState, IceEvent};
use sansrtc::sim::{HostId, Interface, Limits, LinkChange, LinkConfig, Network};
use std::time::Duration;

fn lan_pair(
    seed: u64,
    a_ips: &[&str],
    a_cfg: IceConfig,
    b_cfg: IceConfig,
) -> (Network, HostId, HostId) {
    let mut net = Network::new(base(), seed);
    let lan = net.add_segment();
    let link = LinkConfig::ideal().latency(Duration::from_millis(10));
    let a_ifaces: Vec<Interface> = a_ips
        .iter()
        .map(|ip| Interface::new(ip.parse().unwrap(), lan).link(link.clone()))
        .collect();
    let a_addrs: Vec<_> = a_ips.iter().map(|ip| addr(&format!("{ip}:5000"))).collect();
    let a = net
        .add_host("a", a_ifaces, IceNode::new(a_cfg, 1, net.now(), &a_addrs))
        .unwrap();
    let b = net
        .add_host(
            "b",
            [Interface::new("10.0.0.2".parse().unwrap(), lan).link(link)],
            IceNode::new(b_cfg, 2, net.now(), &[addr("10.0.0.2:6000")]),
        )
        .unwrap();
    (net, a, b)
}

fn controlling() -> IceConfig {
    IceConfig {
        controlling: true,
        ..IceConfig::default()
    }
}

#[test]
fn consent_checks_every_four_to_six_seconds() {
    let (mut net, a, b) = lan_pair(
        common::seed(1),
        &["10.0.0.1"],
        controlling(),
        IceConfig::default(),
    );
    let mut sig = Signaling::connect(&mut net, a, b, Duration::from_secs(5));
    let start = net.elapsed();
    sig.run_for(&mut net, Duration::from_secs(60)).unwrap();
    // A's requests to B after connecting are consent checks (96+ bytes; responses are 64).
    let sends: Vec<Duration> = net
        .trace()
        .iter()
        .filter(|r| r.from == a && r.sent > start + Duration::from_millis(500) && r.size_bytes > 64)
        .map(|r| r.sent)
        .collect();
    assert!(
        (10..=15).contains(&sends.len()),
        "{} consent checks in 60 s",
        sends.len()
    );
    for w in sends.windows(2) {
        let gap = w[1] - w[0];
        // RFC 7675 §5.1: randomized 4–6 s (so no path idles the 15 s keepalive limit either).
        assert!(
            gap >= Duration::from_secs(4) && gap <= Duration::from_secs(6),
            "gap {gap:?}"
        );
    }
    assert_eq!(state(&net, a), IceConnectionState::Completed);
}

#[test]
fn consent_loss_after_a_cut() {
    let (mut net, a, b) = lan_pair(
        common::seed(2),
        &["10.0.0.1"],
        controlling(),
        IceConfig::default(),
    );
    let mut sig = Signaling::connect(&mut net, a, b, Duration::from_secs(5));
    sig.run_for(&mut net, Duration::from_secs(10)).unwrap();
    let link = net.host_link(a, "10.0.0.1".parse().unwrap()).unwrap();
    let cut_at = net.now();
    net.schedule(cut_at, link, LinkChange::Cut);

    sig.run_until(
        &mut net,
        |n| state(n, a) == IceConnectionState::Disconnected,
        Limits::time(Duration::from_secs(20)),
    )
    .unwrap();
    let disconnected_after = net.now() - cut_at;
    // The next consent check goes out within 6 s of the last; 5 s unanswered makes it Disconnected.
    assert!(
        disconnected_after > Duration::from_secs(5)
            && disconnected_after <= Duration::from_secs(11),
        "{disconnected_after:?}"
    );
    assert!(
        selected(&net, a).is_some(),
        "Disconnected still has a pair to try"
    );

    sig.run_until(
        &mut net,
        |n| state(n, a) == IceConnectionState::Failed,
        Limits::time(Duration::from_secs(40)),
    )
    .unwrap();
    let failed_after = net.now() - cut_at;
    // Consent expires 30 s after the last response (which came at most ~6 s before the cut).
    assert!(
        failed_after > Duration::from_secs(23) && failed_after <= Duration::from_secs(31),
        "{failed_after:?}"
    );
    assert_eq!(
        selected(&net, a),
        None,
        "sending stops when consent is lost"
    );
    // Nothing more is sent by A after consent is lost.
    let failed_at = net.elapsed();
    sig.run_for(&mut net, Duration::from_secs(30)).unwrap();
    assert!(
        net.trace()
            .iter()
            .filter(|r| r.from == a)
            .all(|r| r.sent <= failed_at)
    );
    let states: Vec<_> = net
        .node::<IceNode>(a)
        .unwrap()
        .states
        .iter()
        .map(|(_, s)| *s)
        .collect();
    assert_eq!(
        states[states.len() - 2..],
        [IceConnectionState::Disconnected, IceConnectionState::Failed]
    );
}

#[test]
fn disconnected_recovers_when_responses_return() {
    let (mut net, a, b) = lan_pair(
        common::seed(3),
        &["10.0.0.1"],
        controlling(),
        IceConfig::default(),
    );
    let mut sig = Signaling::new(&mut net, a, b);
    sig.run_until(
        &mut net,
        |n| connected(n, a),
        Limits::time(Duration::from_secs(5)),
    )
    .unwrap();
    let link = net.host_link(a, "10.0.0.1".parse().unwrap()).unwrap();
    let t = net.now();
    net.schedule(t, link, LinkChange::Cut);
    sig.run_until(
        &mut net,
        |n| state(n, a) == IceConnectionState::Disconnected,
        Limits::time(Duration::from_secs(20)),
    )
    .unwrap();
    let t = net.now();
    net.schedule(t, link, LinkChange::Restore);
    sig.run_until(
        &mut net,
        |n| connected(n, a),
        Limits::time(Duration::from_secs(20)),
    )
    .unwrap();
}

#[test]
fn restart_after_the_selected_path_is_cut() {
    // A has two interfaces; the selected one is cut; a restart finds the other.
    let (mut net, a, b) = lan_pair(
        common::seed(4),
        &["10.0.0.1", "10.0.0.3"],
        controlling(),
        IceConfig::default(),
    );
    let mut sig = Signaling::connect(&mut net, a, b, Duration::from_secs(5));
    let (old_local, _) = selected(&net, a).unwrap();
    let link = net.host_link(a, old_local.ip()).unwrap();
    let t = net.now();
    net.schedule(t, link, LinkChange::Cut);
    sig.run_until(
        &mut net,
        |n| state(n, a) == IceConnectionState::Disconnected,
        Limits::time(Duration::from_secs(20)),
    )
    .unwrap();

    let now = net.now();
    net.node_mut::<IceNode>(a).unwrap().agent.restart(now);
    net.node_mut::<IceNode>(b).unwrap().agent.restart(now);
    sig.exchange_credentials(&mut net);
    sig.run_until(
        &mut net,
        |n| {
            selected(n, a).is_some_and(|(l, _)| l != old_local)
                && connected(n, a)
                && connected(n, b)
        },
        Limits::time(Duration::from_secs(10)),
    )
    .unwrap();
    let (new_local, new_remote) = selected(&net, a).unwrap();
    assert_eq!(new_local, addr("10.0.0.3:5000"));
    assert_eq!(selected(&net, b), Some((new_remote, new_local)));
    // Data flows on the new path.
    net.node_mut::<IceNode>(a)
        .unwrap()
        .send_data(b"after restart");
    net.run_for(Duration::from_millis(50)).unwrap();
    assert!(
        net.node::<IceNode>(b)
            .unwrap()
            .data_received
            .iter()
            .any(|(_, _, d)| d == b"after restart")
    );
}

#[test]
fn restart_keeps_the_old_pair_until_a_new_one_is_selected() {
    let (mut net, a, b) = lan_pair(
        common::seed(5),
        &["10.0.0.1"],
        controlling(),
        IceConfig::default(),
    );
    let mut sig = Signaling::connect(&mut net, a, b, Duration::from_secs(5));
    let before = selected(&net, a);
    let old_ufrag = net
        .node::<IceNode>(a)
        .unwrap()
        .agent
        .local_credentials()
        .ufrag
        .clone();
    let now = net.now();
    net.node_mut::<IceNode>(a).unwrap().agent.restart(now);
    assert_ne!(
        net.node::<IceNode>(a)
            .unwrap()
            .agent
            .local_credentials()
            .ufrag,
        old_ufrag,
        "new credentials"
    );
    // Before the remote has the new credentials, data still flows on the old pair.
    assert_eq!(selected(&net, a), before);
    net.node_mut::<IceNode>(a)
        .unwrap()
        .send_data(b"during restart");
    net.run_for(Duration::from_millis(50)).unwrap();
    assert!(
        net.node::<IceNode>(b)
            .unwrap()
            .data_received
            .iter()
            .any(|(_, _, d)| d == b"during restart")
    );
    let now = net.now();
    net.node_mut::<IceNode>(b).unwrap().agent.restart(now);
    let selected_events = |n: &Network| {
        n.node::<IceNode>(a)
            .unwrap()
            .events
            .iter()
            .filter(|(_, e)| matches!(e, IceEvent::SelectedPair { .. }))
            .count()
    };
    let before_count = selected_events(&net);
    sig.exchange_credentials(&mut net);
    sig.run_until(
        &mut net,
        |n| selected_events(n) > before_count,
        Limits::time(Duration::from_secs(5)),
    )
    .unwrap();
    assert!(connected(&net, a));
}

#[test]
fn lite_agent_answers_and_is_selected() {
    let lite = IceConfig {
        lite: true,
        controlling: true,
        ..IceConfig::default()
    };
    // Configured controlling, but a lite agent is always controlled (RFC 8445 §6.1.1); the full
    // peer is told the remote is lite and takes control.
    let (mut net, a, b) = lan_pair(common::seed(6), &["10.0.0.1"], IceConfig::default(), lite);
    assert!(!net.node::<IceNode>(b).unwrap().agent.is_controlling());
    net.node_mut::<IceNode>(a)
        .unwrap()
        .agent
        .set_remote_lite(true);
    assert!(net.node::<IceNode>(a).unwrap().agent.is_controlling());
    Signaling::connect(&mut net, a, b, Duration::from_secs(5));
    assert_eq!(
        net.node::<IceNode>(b).unwrap().agent.stats().checks_sent,
        0,
        "lite agents never check"
    );
    assert_eq!(
        selected(&net, b),
        Some((addr("10.0.0.2:6000"), addr("10.0.0.1:5000")))
    );
}

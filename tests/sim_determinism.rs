//! The simulator's promises: the same seed and nodes replay the same trace, byte for byte;
//! another seed gives another trace; every datagram is delivered or has a recorded reason; no
//! link setting or traffic pattern makes it panic.

mod common;

use common::{addr, base};
use proptest::prelude::*;
use sansrtc::sim::{
    Echo, Fate, Interface, Limits, LinkConfig, Loss, NatConfig, Network, Probe, TraceCounts,
};
use sansrtc::stun::server::StunServer;
use std::time::{Duration, Instant};

/// Two clients behind different NATs talking to an echo server and a STUN server over lossy,
/// jittery, duplicating, reordering links.
fn scenario(seed: u64, b: Instant) -> Network {
    let mut net = Network::new(b, seed);
    let internet = net.internet();
    let lossy = LinkConfig::ideal()
        .latency(Duration::from_millis(15))
        .jitter(Duration::from_millis(5))
        .loss(0.1)
        .duplication(0.05)
        .reorder(0.05, Duration::from_millis(7));
    let nat_a = net
        .add_nat(
            NatConfig::symmetric(),
            internet,
            "203.0.113.1".parse().unwrap(),
            lossy.clone(),
        )
        .unwrap();
    let nat_b = net
        .add_nat(
            NatConfig::full_cone(),
            internet,
            "203.0.113.2".parse().unwrap(),
            LinkConfig::ideal(),
        )
        .unwrap();
    net.add_host(
        "echo",
        [Interface::new("198.51.100.1".parse().unwrap(), internet)],
        Echo::new(),
    )
    .unwrap();
    net.add_host(
        "stun",
        [Interface::new("198.51.100.2".parse().unwrap(), internet)],
        StunServer::new(),
    )
    .unwrap();
    let (lan_a, lan_b) = (net.inside(nat_a), net.inside(nat_b));
    let ms = Duration::from_millis(3);
    net.add_host(
        "a",
        [Interface::new("10.0.0.2".parse().unwrap(), lan_a).link(lossy)],
        Probe::sender(
            addr("10.0.0.2:4000"),
            addr("198.51.100.1:7"),
            500,
            200,
            ms,
            b,
        ),
    )
    .unwrap();
    net.add_host(
        "b",
        [Interface::new("10.1.0.2".parse().unwrap(), lan_b)],
        Probe::sender(
            addr("10.1.0.2:4000"),
            addr("198.51.100.1:7"),
            500,
            300,
            ms,
            b,
        ),
    )
    .unwrap();
    net.run_until_idle(Limits::default()).unwrap();
    net
}

#[test]
fn same_seed_same_trace_other_seed_other_trace() {
    let seed = common::seed(1234);
    let b = base();
    let one = scenario(seed, b);
    let two = scenario(seed, b);
    assert_eq!(one.trace(), two.trace(), "SIM_SEED={seed}");
    assert_eq!(one.trace_hash(), two.trace_hash(), "SIM_SEED={seed}");
    assert!(one.counts().lost > 0 && one.counts().delivered > 0);

    // A different base instant changes nothing either: only durations since the base matter.
    let later = scenario(seed, b + Duration::from_secs(1000));
    assert_eq!(one.trace_hash(), later.trace_hash(), "SIM_SEED={seed}");

    let other = scenario(seed ^ 1, b);
    assert_ne!(one.trace_hash(), other.trace_hash());
    assert_eq!(one.trace_hash_hex().len(), 64);
}

fn arb_link() -> impl Strategy<Value = LinkConfig> {
    let prob = prop_oneof![
        Just(0.0),
        0.0..1.0,
        Just(1.0),
        Just(f64::NAN),
        Just(-1.0),
        Just(2.0)
    ];
    let loss = prop_oneof![
        Just(Loss::None),
        prob.clone().prop_map(Loss::Independent),
        (prob.clone(), prob.clone(), prob.clone(), prob.clone()).prop_map(
            |(p, r, loss_good, loss_bad)| {
                Loss::GilbertElliott {
                    p,
                    r,
                    loss_good,
                    loss_bad,
                }
            }
        ),
    ];
    let ms = |max: u64| (0..max).prop_map(Duration::from_millis);
    (
        ms(200),
        ms(50),
        loss,
        prop_oneof![Just(0.0), 0.0..0.5, Just(1.0)],
        proptest::option::of((0.0..1.0f64, ms(100))),
        proptest::option::of(0usize..2000),
        proptest::option::of((1u64..100_000_000, 0usize..200_000)),
    )
        .prop_map(|(latency, jitter, loss, dup, reorder, mtu, bw)| {
            let mut l = LinkConfig::ideal()
                .latency(latency)
                .jitter(jitter)
                .loss_model(loss)
                .duplication(dup);
            if let Some((p, d)) = reorder {
                l = l.reorder(p, d);
            }
            if let Some(m) = mtu {
                l = l.mtu(m);
            }
            if let Some((bps, q)) = bw {
                l = l.bandwidth(bps, q);
            }
            l
        })
}

fn arb_nat() -> impl Strategy<Value = NatConfig> {
    prop_oneof![
        Just(NatConfig::full_cone()),
        Just(NatConfig::restricted_cone()),
        Just(NatConfig::port_restricted_cone()),
        Just(NatConfig::symmetric()),
        Just(
            NatConfig::symmetric()
                .hairpinning(false)
                .mapping_timeout(Duration::from_millis(50))
        ),
    ]
}

#[derive(Debug, Clone)]
struct Flow {
    from_a: bool,
    to: u8,
    count: u64,
    size: usize,
    interval_ms: u64,
}

fn arb_flow() -> impl Strategy<Value = Flow> {
    (any::<bool>(), 0u8..4, 0u64..60, 0usize..1600, 0u64..20).prop_map(
        |(from_a, to, count, size, interval_ms)| Flow {
            from_a,
            to,
            count,
            size,
            interval_ms,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Conservation: every datagram a node sent ends in the trace with a fate (delivered, maybe
    /// more than once when duplication is on, or dropped with a reason), none twice unless a link
    /// duplicated it; the counters add up; nothing panics.
    #[test]
    fn every_datagram_has_a_fate(
        seed in any::<u64>(),
        links in proptest::collection::vec(arb_link(), 4),
        nats in proptest::collection::vec(arb_nat(), 2),
        flows in proptest::collection::vec(arb_flow(), 1..4),
    ) {
        let b = base();
        let mut net = Network::new(b, seed);
        let internet = net.internet();
        let nat_a = net.add_nat(nats[0].clone(), internet, "203.0.113.1".parse().unwrap(), links[0].clone()).unwrap();
        let nat_b = net.add_nat(nats[1].clone(), internet, "203.0.113.2".parse().unwrap(), links[1].clone()).unwrap();
        net.add_host("echo", [Interface::new("198.51.100.1".parse().unwrap(), internet).link(links[2].clone())], Echo::new()).unwrap();
        let (lan_a, lan_b) = (net.inside(nat_a), net.inside(nat_b));
        // Destinations: the echo, the other NAT's port-preserved mapping, an unrouted address, and
        // the own NAT (hairpin).
        let targets = ["198.51.100.1:7", "203.0.113.2:4000", "192.0.2.99:1", "203.0.113.1:4001"];
        for (i, f) in flows.iter().enumerate() {
            let (lan, ip) = if f.from_a { (lan_a, "10.0.0.2") } else { (lan_b, "10.1.0.2") };
            let host_ip = format!("10.9.{i}.2");
            let ip = if i == 0 { ip.to_string() } else { host_ip };
            let src = addr(&format!("{ip}:{}", 4000 + i));
            let probe = Probe::sender(src, addr(targets[f.to as usize]), f.count, f.size, Duration::from_millis(f.interval_ms), b);
            net.add_host(format!("h{i}"), [Interface::new(ip.parse().unwrap(), lan).link(links[3].clone())], probe).unwrap();
        }
        net.run_until_idle(Limits { max_steps: 1_000_000, max_time: Duration::from_secs(10 * 86_400) })
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(net.in_flight(), 0);

        let c: TraceCounts = net.counts();
        let trace = net.trace();
        let mut seen = vec![0u32; c.sent as usize];
        for r in trace {
            prop_assert!(r.id < c.sent);
            seen[r.id as usize] += 1;
            if r.copy == 0 {
                prop_assert!(r.at >= r.sent);
            }
        }
        prop_assert!(seen.iter().all(|n| *n >= 1), "a datagram vanished without a fate");
        let duplicated: u64 = net.hosts().flat_map(|h| net.host_addresses(h).into_iter().map(move |ip| (h, ip)))
            .filter_map(|(h, ip)| net.host_link(h, ip))
            .chain([net.nat_link(nat_a), net.nat_link(nat_b)])
            .map(|l| { let (u, d) = net.link_stats(l); u.duplicated + d.duplicated })
            .sum();
        let extra: u64 = seen.iter().map(|n| u64::from(*n - 1)).sum();
        prop_assert!(extra <= duplicated, "{extra} extra fates but only {duplicated} duplications");
        let total = c.delivered + c.lost + c.link_down + c.over_mtu + c.queue_full + c.nat_refused + c.no_route;
        prop_assert_eq!(total, trace.len() as u64);
        prop_assert_eq!(trace.iter().filter(|r| matches!(r.fate, Fate::Delivered { .. })).count() as u64, c.delivered);
    }
}

//! Link behaviour in the simulator: measured statistics over 100k datagrams against the
//! configured loss, duplication and latency; bandwidth and queueing; MTU; cut and restore.

mod common;

use common::{addr, base};
use sansrtc::sim::{Fate, HostId, Interface, LinkChange, LinkConfig, LinkId, Loss, Network, Probe};
use std::time::{Duration, Instant};

/// A sender A (192.0.2.1) and a sink B (192.0.2.2) on the internet; A's access link has the
/// behaviour under test, B's is ideal.
fn pair(
    link: LinkConfig,
    count: u64,
    size: usize,
    interval: Duration,
) -> (Network, HostId, HostId, LinkId) {
    let b0 = base();
    let mut net = Network::new(b0, common::seed(5));
    net.keep_trace_records(false);
    let internet = net.internet();
    let a = net
        .add_host(
            "a",
            [Interface::new("192.0.2.1".parse().unwrap(), internet).link(link)],
            Probe::sender(
                addr("192.0.2.1:1"),
                addr("192.0.2.2:2"),
                count,
                size,
                interval,
                b0,
            ),
        )
        .unwrap();
    let b = net
        .add_host(
            "b",
            [Interface::new("192.0.2.2".parse().unwrap(), internet)],
            Probe::sink(addr("192.0.2.2:2")),
        )
        .unwrap();
    let l = net.host_link(a, "192.0.2.1".parse().unwrap()).unwrap();
    (net, a, b, l)
}

struct Measured {
    sent: usize,
    unique: usize,
    copies: usize,
    latencies: Vec<Duration>,
    inversions: usize,
}

fn measure(net: &Network, a: HostId, b: HostId) -> Measured {
    let sent = &net.node::<Probe>(a).unwrap().sent;
    let rx = &net.node::<Probe>(b).unwrap().received;
    let mut seen = vec![false; sent.len()];
    let mut latencies = Vec::new();
    let mut inversions = 0;
    let mut max_seq = None;
    for r in rx {
        let s = r.seq as usize;
        if !seen[s] {
            seen[s] = true;
            latencies.push(r.at - sent[s]);
        }
        if max_seq.is_some_and(|m| r.seq < m) {
            inversions += 1;
        }
        max_seq = max_seq.max(Some(r.seq));
    }
    Measured {
        sent: sent.len(),
        unique: seen.iter().filter(|s| **s).count(),
        copies: rx.len(),
        latencies,
        inversions,
    }
}

fn mean(d: &[Duration]) -> f64 {
    d.iter().map(Duration::as_secs_f64).sum::<f64>() / d.len() as f64
}

const N: u64 = 100_000;

#[test]
fn loss_duplication_latency_statistics() {
    let link = LinkConfig::ideal()
        .latency(Duration::from_millis(20))
        .jitter(Duration::from_millis(10))
        .loss(0.05)
        .duplication(0.02);
    // Sent further apart than the jitter, so FIFO ordering never holds a datagram back and the
    // latency distribution is the configured one.
    let (mut net, a, b, l) = pair(link, N, 100, Duration::from_millis(11));
    net.run_until_idle(Default::default()).unwrap();
    let m = measure(&net, a, b);
    let seed = net.seed();
    assert_eq!(m.sent as u64, N);
    let loss = 1.0 - m.unique as f64 / N as f64;
    // Binomial standard deviation at p = 0.05, n = 1e5 is 0.0007: allow ~5 sigma.
    assert!(
        (loss - 0.05).abs() < 0.0035,
        "loss {loss} (SIM_SEED={seed})"
    );
    let dup = (m.copies - m.unique) as f64 / m.unique as f64;
    assert!(
        (dup - 0.02).abs() < 0.0025,
        "duplication {dup} (SIM_SEED={seed})"
    );
    // Uniform jitter: mean latency + jitter / 2, bounded by latency..=latency + jitter, median
    // near the middle.
    let mean_ms = mean(&m.latencies) * 1e3;
    assert!(
        (mean_ms - 25.0).abs() < 0.1,
        "mean latency {mean_ms} ms (SIM_SEED={seed})"
    );
    assert!(
        m.latencies
            .iter()
            .all(|l| *l >= Duration::from_millis(20) && *l <= Duration::from_millis(30))
    );
    let below_mid = m
        .latencies
        .iter()
        .filter(|l| **l < Duration::from_millis(25))
        .count() as f64;
    assert!(
        (below_mid / m.latencies.len() as f64 - 0.5).abs() < 0.01,
        "median (SIM_SEED={seed})"
    );
    // The link's own counters agree with the trace.
    let (up, _) = net.link_stats(l);
    assert_eq!(up.offered, N);
    assert_eq!(up.lost, net.counts().lost);
    assert_eq!(up.duplicated as usize, m.copies - m.unique);
}

#[test]
fn jitter_without_reordering_stays_fifo() {
    // Datagrams 1 ms apart with 10 ms of jitter: without `reorder`, none overtakes another.
    let link = LinkConfig::ideal()
        .latency(Duration::from_millis(20))
        .jitter(Duration::from_millis(10));
    let (mut net, a, b, _) = pair(link, 20_000, 50, Duration::from_millis(1));
    net.run_until_idle(Default::default()).unwrap();
    let m = measure(&net, a, b);
    assert_eq!(m.unique, 20_000);
    assert_eq!(m.inversions, 0, "FIFO (SIM_SEED={})", net.seed());
    assert!(
        m.latencies
            .iter()
            .all(|l| *l >= Duration::from_millis(20) && *l <= Duration::from_millis(30))
    );
}

#[test]
fn gilbert_elliott_bursts() {
    // Good → bad with p = 1%, bad → good with r = 25%; everything lost in the bad state.
    let ge = Loss::GilbertElliott {
        p: 0.01,
        r: 0.25,
        loss_good: 0.0,
        loss_bad: 1.0,
    };
    let (mut net, a, b, _) = pair(
        LinkConfig::ideal().loss_model(ge),
        N,
        50,
        Duration::from_millis(1),
    );
    net.run_until_idle(Default::default()).unwrap();
    let seed = net.seed();
    let rx = &net.node::<Probe>(b).unwrap().received;
    let mut got = vec![false; N as usize];
    rx.iter().for_each(|r| got[r.seq as usize] = true);
    let lost = got.iter().filter(|g| !**g).count() as f64;
    let expected = ge.mean();
    assert!((expected - 0.01 / 0.26).abs() < 1e-12);
    assert!(
        (lost / N as f64 - expected).abs() < 0.006,
        "loss {} (SIM_SEED={seed})",
        lost / N as f64
    );
    // Bursts: the mean run of consecutive losses is 1 / r = 4, where independent loss at the same
    // rate would give about 1.04.
    let mut runs = Vec::new();
    let mut run = 0;
    for g in &got {
        if !*g {
            run += 1;
        } else if run > 0 {
            runs.push(run);
            run = 0;
        }
    }
    let mean_run = runs.iter().sum::<usize>() as f64 / runs.len() as f64;
    assert!(
        (mean_run - 4.0).abs() < 0.3,
        "mean burst {mean_run} (SIM_SEED={seed})"
    );
    let _ = a;
}

#[test]
fn reordering_only_when_asked() {
    let link = LinkConfig::ideal()
        .latency(Duration::from_millis(10))
        .reorder(0.1, Duration::from_millis(5));
    let (mut net, a, b, _) = pair(link, 20_000, 50, Duration::from_millis(1));
    net.run_until_idle(Default::default()).unwrap();
    let m = measure(&net, a, b);
    let seed = net.seed();
    assert_eq!(m.unique, 20_000);
    // Each held-back datagram is overtaken by the ~5 sent after it within 5 ms; it lands once,
    // behind them.
    let share = m.inversions as f64 / 20_000.0;
    assert!(
        (share - 0.1).abs() < 0.015,
        "reordered share {share} (SIM_SEED={seed})"
    );
}

#[test]
fn bandwidth_serialises_and_queue_tail_drops() {
    // 1 Mbit/s behind a 10,000-byte queue; 50 datagrams of 1000 bytes (1028 IP bytes) at once.
    let link = LinkConfig::ideal().bandwidth(1_000_000, 10_000);
    let (mut net, a, b, l) = pair(link, 50, 1000, Duration::ZERO);
    let start = net.now();
    net.run_until_idle(Default::default()).unwrap();
    let rx = &net.node::<Probe>(b).unwrap().received;
    // 9 × 1028 = 9252 bytes fit; the 10th would make 10,280.
    assert_eq!(rx.len(), 9);
    assert_eq!(net.counts().queue_full, 41);
    assert_eq!(net.link_stats(l).0.dropped_queue_full, 41);
    // Each takes 1028 × 8 / 1e6 s = 8.224 ms to serialise.
    for (i, r) in rx.iter().enumerate() {
        assert_eq!(r.at - start, Duration::from_micros(8224) * (i as u32 + 1));
    }
    let _ = a;
}

#[test]
fn bandwidth_limits_sustained_throughput() {
    // Offer 2 Mbit/s for 10 s into a 1 Mbit/s link: about 1 Mbit/s comes out, the rest is dropped.
    let link = LinkConfig::ideal().bandwidth(1_000_000, 20_000);
    let (mut net, _, b, _) = pair(link, 2_500, 972, Duration::from_millis(4));
    net.run_until_idle(Default::default()).unwrap();
    let rx = &net.node::<Probe>(b).unwrap().received;
    let first = rx.first().unwrap().at;
    let last = rx.last().unwrap().at;
    let bits = (rx.len() - 1) as f64 * 1000.0 * 8.0;
    let rate = bits / (last - first).as_secs_f64();
    assert!((rate - 1e6).abs() < 1e4, "rate {rate}");
    assert!(net.counts().queue_full > 1000);
}

#[test]
fn mtu_counts_ip_headers() {
    let b0 = base();
    let mut net = Network::new(b0, 1);
    let internet = net.internet();
    let link = LinkConfig::ideal().mtu(576);
    let a = net
        .add_host(
            "a",
            [
                Interface::new("192.0.2.1".parse().unwrap(), internet).link(link.clone()),
                Interface::new("2001:db8::1".parse().unwrap(), internet).link(link),
            ],
            Probe::sink(addr("192.0.2.1:1")),
        )
        .unwrap();
    let b = net
        .add_host(
            "b",
            [
                Interface::new("192.0.2.2".parse().unwrap(), internet),
                Interface::new("2001:db8::2".parse().unwrap(), internet),
            ],
            Probe::sink(addr("192.0.2.2:2")),
        )
        .unwrap();
    let send = |net: &mut Network, from: &str, to: &str, len: usize| {
        net.node_mut::<Probe>(a)
            .unwrap()
            .send_now(addr(from), addr(to), vec![0; len].into());
        net.run_for(Duration::from_millis(1)).unwrap();
        net.trace().last().unwrap().fate
    };
    // IPv4: 20 + 8 bytes of headers.
    assert!(send(&mut net, "192.0.2.1:1", "192.0.2.2:2", 548).is_delivered());
    assert!(matches!(
        send(&mut net, "192.0.2.1:1", "192.0.2.2:2", 549),
        Fate::OverMtu(_)
    ));
    // IPv6: 40 + 8.
    assert!(send(&mut net, "[2001:db8::1]:1", "[2001:db8::2]:2", 528).is_delivered());
    assert!(matches!(
        send(&mut net, "[2001:db8::1]:1", "[2001:db8::2]:2", 529),
        Fate::OverMtu(_)
    ));
    assert_eq!(net.node::<Probe>(b).unwrap().received.len(), 2);
}

#[test]
fn cut_and_restore_at_virtual_times() {
    let link = LinkConfig::ideal().latency(Duration::from_millis(5));
    let (mut net, a, b, l) = pair(link, 300, 50, Duration::from_millis(10));
    let b0: Instant = net.base();
    net.schedule(b0 + Duration::from_secs(1), l, LinkChange::Cut);
    net.schedule(b0 + Duration::from_secs(2), l, LinkChange::Restore);
    net.run_until_idle(Default::default()).unwrap();
    let sent = &net.node::<Probe>(a).unwrap().sent;
    let rx = &net.node::<Probe>(b).unwrap().received;
    // Datagrams sent at 1.00 s … 1.99 s (100 of them) meet the cut link.
    assert_eq!(net.counts().link_down, 100);
    assert_eq!(rx.len(), 200);
    assert!(rx.iter().all(|r| {
        let t = sent[r.seq as usize] - b0;
        t < Duration::from_secs(1) || t >= Duration::from_secs(2)
    }));
    assert!(net.is_link_up(l));
    // Reconfiguring at a time works the same way.
    net.schedule(
        net.now(),
        l,
        LinkChange::Configure(LinkConfig::ideal().loss(1.0)),
    );
    assert_eq!(net.link_config(l).loss, Loss::Independent(1.0));
}

//! Datagrams simulated per second: two hosts behind NATs exchanging traffic, so scenario tests
//! stay fast as the crate grows. `cargo bench --bench sim`.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sansrtc::sim::{Interface, Limits, LinkConfig, NatConfig, Network, Probe};
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const DATAGRAMS: u64 = 10_000;

#[allow(
    clippy::disallowed_methods,
    reason = "benchmarks take one base instant"
)]
fn base() -> Instant {
    Instant::now()
}

fn a(s: &str) -> SocketAddr {
    s.parse().expect("address")
}

/// Host A behind a port-restricted cone NAT streams to host B behind a full cone NAT, whose
/// mapping B opened first.
fn network(link: LinkConfig) -> Network {
    let b0 = base();
    let mut net = Network::new(b0, 1);
    net.keep_trace_records(false);
    let inet = net.internet();
    let nat_a = net
        .add_nat(
            NatConfig::port_restricted_cone(),
            inet,
            "203.0.113.1".parse().expect("ip"),
            link.clone(),
        )
        .expect("nat");
    let nat_b = net
        .add_nat(
            NatConfig::full_cone(),
            inet,
            "203.0.113.2".parse().expect("ip"),
            link.clone(),
        )
        .expect("nat");
    let b = net
        .add_host(
            "b",
            [Interface::new(
                "10.1.0.2".parse().expect("ip"),
                net.inside(nat_b),
            )],
            Probe::sink(a("10.1.0.2:2000")),
        )
        .expect("host");
    net.node_mut::<Probe>(b).expect("probe").send_now(
        a("10.1.0.2:2000"),
        a("203.0.113.1:1000"),
        vec![0; 8].into(),
    );
    net.add_host(
        "a",
        [Interface::new("10.0.0.2".parse().expect("ip"), net.inside(nat_a)).link(link)],
        Probe::sender(
            a("10.0.0.2:1000"),
            a("203.0.113.2:2000"),
            DATAGRAMS,
            1_000,
            Duration::from_micros(100),
            b0 + Duration::from_millis(1),
        ),
    )
    .expect("host");
    net
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sim");
    g.throughput(Throughput::Elements(DATAGRAMS));
    g.sample_size(20);
    let cases = [
        ("two_nats_ideal_links", LinkConfig::ideal()),
        (
            "two_nats_lossy_jittery_links",
            LinkConfig::ideal()
                .latency(Duration::from_millis(20))
                .jitter(Duration::from_millis(5))
                .loss(0.02)
                .duplication(0.01)
                .bandwidth(100_000_000, 1 << 20),
        ),
    ];
    for (name, link) in cases {
        g.bench_function(name, |bench| {
            bench.iter_batched(
                || network(link.clone()),
                |mut net| {
                    net.run_until_idle(Limits::default()).expect("runs");
                    black_box(net.trace_hash())
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

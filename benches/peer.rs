//! The `Peer` end to end, beside str0m 0.25 (aws-lc-rs) doing the same work in the same run:
//!
//! - `peer_setup`: CPU for both peers from construction to an open data channel with one
//!   message across: SDP offer/answer as text, ICE, DTLS, SCTP, DCEP. sansrtc twice: with a
//!   shared `DtlsContext` (what a server with many peers does) and with one per peer (what str0m
//!   does: its provider self-test runs per peer).
//! - `peer_throughput`: reliable ordered 1 KiB and 16 KiB messages through two `Peer`s (ICE
//!   routing, DTLS, SCTP, channels), beside two str0m peers on a negotiated channel.
//!
//! - `poll_timeout`: the deadline query with 1, 64 and 1,024 open channels (it must not depend
//!   on their number).
//!
//! `cargo bench --bench peer`. The summary table of these and every other headline figure is
//! `cargo bench --bench headline`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sansrtc::ChannelOptions;
use sansrtc::dtls::{DtlsConfig, DtlsContext};

use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "shared/str0m_pair.rs"]
mod str0m_side;

#[path = "shared/sansrtc_pair.rs"]
mod sansrtc_side;
use sansrtc_side::Pair;

const TOTAL: usize = 8 << 20;

fn bench(c: &mut Criterion) {
    #[allow(clippy::disallowed_methods, reason = "benchmark base instant")]
    let now = Instant::now();
    let ctx = Arc::new(DtlsContext::new(DtlsConfig::default()));
    let mut seed = 0;

    let mut g = c.benchmark_group("peer_setup");
    g.sample_size(20);
    g.bench_function("sansrtc_shared_context", |b| {
        b.iter(|| {
            seed += 1;
            Pair::new(Some(&ctx), seed, now).first_message()
        })
    });
    g.bench_function("sansrtc_context_per_peer", |b| {
        b.iter(|| {
            seed += 1;
            Pair::new(None, seed, now).first_message()
        })
    });
    g.bench_function("str0m", |b| b.iter(|| str0m_side::setup_via_sdp(now)));
    g.finish();

    let mut g = c.benchmark_group("peer_throughput");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Bytes(TOTAL as u64));
    for msg in [1024usize, 16 * 1024] {
        g.bench_with_input(BenchmarkId::new("sansrtc", msg), &msg, |b, &msg| {
            b.iter_batched_ref(
                || {
                    seed += 1;
                    Pair::new(Some(&ctx), seed, now)
                },
                |p| p.transfer(TOTAL, msg, 1 << 20),
                criterion::BatchSize::LargeInput,
            )
        });
        g.bench_with_input(BenchmarkId::new("str0m", msg), &msg, |b, &msg| {
            b.iter_batched_ref(
                || str0m_side::Pair::new(now),
                |p| p.transfer(TOTAL, msg, 1 << 20),
                criterion::BatchSize::LargeInput,
            )
        });
    }
    g.finish();

    // The deadline query does not walk the channels.
    let mut g = c.benchmark_group("poll_timeout");
    for channels in [1usize, 64, 1024] {
        seed += 1;
        let mut p = Pair::new(Some(&ctx), seed, now);
        for i in 1..channels {
            p.a.create_data_channel(&format!("c{i}"), ChannelOptions::default())
                .unwrap();
        }
        for _ in 0..200 {
            p.step();
        }
        g.bench_with_input(BenchmarkId::new("channels", channels), &p, |b, p| {
            b.iter(|| std::hint::black_box(&p.a).poll_timeout())
        });
    }
    g.finish();
}

criterion_group!(group, bench);
criterion_main!(group);

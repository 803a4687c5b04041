//! The `Peer` end to end, beside str0m 0.25 (aws-lc-rs) doing the same work in the same run:
//!
//! - `peer_setup`: CPU for both peers from construction to an open data channel with one
//!   message across: SDP offer/answer as text, ICE, DTLS, SCTP, DCEP. sansrtc twice: with a
//!   shared `DtlsContext` (what a server with many peers does) and with one per peer (what str0m
//!   does: its provider self-test runs per peer).
//! - `peer_throughput`: reliable ordered 1 KiB and 16 KiB messages through two `Peer`s (ICE
//!   routing, DTLS, SCTP, channels), beside two str0m peers on a negotiated channel.
//!
//! `cargo bench --bench peer`; `-- table-only` prints just the summary table.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
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

    if std::env::var_os("PEER_BENCH_NO_TABLE").is_some() {
        return; // profiling one benchmark with --profile-time
    }
    table(&ctx, now);
}

#[allow(clippy::disallowed_methods, reason = "benchmark timing")]
fn clock() -> Instant {
    Instant::now()
}

/// The summary table: median of several runs of each, printed after criterion's output.
fn table(ctx: &Arc<DtlsContext>, now: Instant) {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let time = |f: &mut dyn FnMut()| {
        let t = clock();
        f();
        (clock() - t).as_secs_f64()
    };
    let mut seed = 1_000_000;
    println!("\nconnection setup, both peers, to one message across (median of 15)");
    let shared = median(
        (0..15)
            .map(|_| {
                seed += 1;
                time(&mut || Pair::new(Some(ctx), seed, now).first_message())
            })
            .collect(),
    );
    let own = median(
        (0..15)
            .map(|_| {
                seed += 1;
                time(&mut || Pair::new(None, seed, now).first_message())
            })
            .collect(),
    );
    let str0m = median(
        (0..15)
            .map(|_| {
                time(&mut || {
                    str0m_side::setup_via_sdp(now);
                })
            })
            .collect(),
    );
    println!("stack                          ms   × str0m");
    for (name, t) in [
        ("sansrtc (shared DtlsContext)", shared),
        ("sansrtc (context per peer)", own),
        ("str0m", str0m),
    ] {
        println!("{name:<28} {:>6.2}   {:>5.2}", t * 1e3, t / str0m);
    }

    println!("\nthroughput through the whole peer, reliable ordered, 1 MiB buffered (median of 3)");
    println!("stack       msg      MB/s  µs/datagram");
    for msg in [1024usize, 16 * 1024] {
        let mut runs = Vec::new();
        let mut per = Vec::new();
        for _ in 0..3 {
            seed += 1;
            let mut p = Pair::new(Some(ctx), seed, now);
            let d0 = p.datagrams;
            let t = time(&mut || p.transfer(TOTAL, msg, 1 << 20));
            runs.push(TOTAL as f64 / t / 1e6);
            per.push(t * 1e6 / (p.datagrams - d0) as f64);
        }
        let (mbs, us) = (median(runs), median(per));
        println!("{:<10} {msg:>5} {mbs:>9.0} {us:>12.2}", "sansrtc");
        let mut runs = Vec::new();
        let mut per = Vec::new();
        for _ in 0..3 {
            let mut p = str0m_side::Pair::new(now);
            let d0 = p.datagrams();
            let t = time(&mut || p.transfer(TOTAL, msg, 1 << 20));
            runs.push(TOTAL as f64 / t / 1e6);
            per.push(t * 1e6 / (p.datagrams() - d0) as f64);
        }
        let (mbs2, us2) = (median(runs), median(per));
        println!(
            "{:<10} {msg:>5} {mbs2:>9.0} {us2:>12.2}   (sansrtc {:.1}×)",
            "str0m",
            mbs / mbs2
        );
    }
}

fn benches(c: &mut Criterion) {
    if std::env::args().any(|a| a == "table-only") {
        #[allow(clippy::disallowed_methods, reason = "benchmark base instant")]
        let now = Instant::now();
        table(&Arc::new(DtlsContext::new(DtlsConfig::default())), now);
        return;
    }
    bench(c);
}

criterion_group!(group, benches);
criterion_main!(group);

//! Data-channel throughput: two SCTP associations in one process, each inside a DTLS transport
//! (the full per-datagram path: SCTP, AES-GCM seal, AES-GCM open, SCTP), reliable ordered
//! messages of 1 KiB and 16 KiB, beside two str0m 0.25 peers (aws-lc-rs) doing the same transfer
//! in the same run. `cargo bench --bench sctp`.
//!
//! Also the send-buffer sweep (32 KiB to 4 MiB of queued data) for both, and a printed table of
//! MB/s and CPU µs per datagram. Delivery is instant and lossless: this measures CPU, not
//! congestion control. Virtual time only advances when nothing is in flight between the peers.

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sansrtc::dtls::{
    Certificate, DtlsConfig, DtlsContext, DtlsEvent, DtlsRole, DtlsState, DtlsTransport,
    FingerprintHash,
};
use sansrtc::rng::{RngRoot, Stream};
use sansrtc::sctp::{Association, SctpConfig, SctpEvent, SendOptions};
use std::time::{Duration, Instant};

const TOTAL: usize = 8 << 20;

// ---------------------------------------------------------------------------------------------
// sansrtc
// ---------------------------------------------------------------------------------------------

struct Side {
    dtls: DtlsTransport,
    sctp: Association,
}

struct SansPair {
    a: Side,
    b: Side,
    now: Instant,
    buf: bytes::BytesMut,
    datagrams: u64,
    /// Skip DTLS: SCTP packets go straight across (to see SCTP's own share of the cost).
    plain: bool,
}

impl SansPair {
    fn new(ctx: &DtlsContext, certs: &(Certificate, Certificate), seed: u64, now: Instant) -> Self {
        let root = RngRoot::from_seed(seed);
        let (ca, cb) = certs;
        let cfg = SctpConfig {
            max_send_buffer_bytes: 64 << 20,
            ..SctpConfig::default()
        };
        let side = |label: &str, cert: &Certificate, other: &Certificate, role| Side {
            dtls: DtlsTransport::new(
                ctx,
                cert,
                role,
                Some(vec![other.fingerprint(FingerprintHash::Sha256)]),
                root.child(label, 0).stream(Stream::Dtls),
            ),
            sctp: Association::new(cfg.clone(), root.child(label, 0).stream(Stream::Sctp), now),
        };
        let mut p = SansPair {
            a: side("a", ca, cb, DtlsRole::Client),
            b: side("b", cb, ca, DtlsRole::Server),
            now,
            buf: bytes::BytesMut::with_capacity(1500),
            datagrams: 0,
            plain: false,
        };
        p.a.dtls.handle_timeout(now);
        p.a.sctp.connect(now);
        p.b.sctp.connect(now);
        for _ in 0..100 {
            p.step();
            if p.a.sctp.is_established() && p.b.sctp.is_established() {
                break;
            }
        }
        assert_eq!(p.a.dtls.state(), DtlsState::Connected);
        assert!(p.a.sctp.is_established() && p.b.sctp.is_established());
        p
    }

    /// Moves everything that can move; returns (moved, bytes received by b).
    fn step(&mut self) -> (bool, usize) {
        let now = self.now;
        let mut moved = false;
        let mut received = 0;
        for dir in 0..2 {
            let (from, to) = if dir == 0 {
                (&mut self.a, &mut self.b)
            } else {
                (&mut self.b, &mut self.a)
            };
            if self.plain {
                while from.sctp.poll_transmit_into(now, &mut self.buf) {
                    self.datagrams += 1;
                    let pkt = Bytes::copy_from_slice(&self.buf);
                    to.sctp.handle_packet_bytes(now, &pkt);
                    moved = true;
                }
            } else if from.dtls.state() == DtlsState::Connected {
                while from.sctp.poll_transmit_into(now, &mut self.buf) {
                    from.dtls.send(&self.buf).expect("connected");
                }
            }
            while let Some(d) = from.dtls.poll_transmit(now) {
                self.datagrams += 1;
                to.dtls.handle_receive(now, &d);
                moved = true;
            }
            while let Some(e) = to.dtls.poll_event() {
                if let DtlsEvent::Data(d) = e {
                    to.sctp.handle_packet_bytes(now, &d);
                }
            }
            while let Some(e) = to.sctp.poll_event() {
                if let SctpEvent::Message(m) = e {
                    received += m.data.len();
                }
            }
        }
        (moved, received)
    }

    fn advance(&mut self) {
        let next = [
            self.a.dtls.poll_timeout(),
            self.b.dtls.poll_timeout(),
            self.a.sctp.poll_timeout(),
            self.b.sctp.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        self.now = next.map_or(self.now, |t| t.max(self.now)) + Duration::from_micros(1);
        let now = self.now;
        for s in [&mut self.a, &mut self.b] {
            s.dtls.handle_timeout(now);
            s.sctp.handle_timeout(now);
        }
    }

    /// Sends `total` bytes as `msg`-byte messages keeping at most `buffer` bytes queued.
    fn transfer(&mut self, total: usize, msg: usize, buffer: usize) {
        let payload = vec![0xA5u8; msg];
        let (mut sent, mut received) = (0, 0);
        while received < total {
            while sent < total && self.a.sctp.buffered_amount(1) < buffer {
                let data = Bytes::copy_from_slice(&payload);
                self.a
                    .sctp
                    .send(1, 53, data, SendOptions::default())
                    .expect("queued");
                sent += msg;
            }
            let (moved, r) = self.step();
            received += r;
            if !moved {
                self.advance();
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// str0m
// ---------------------------------------------------------------------------------------------

#[path = "shared/str0m_pair.rs"]
mod str0m_side;

#[path = "shared/ceilings.rs"]
mod ceilings;

fn bench(c: &mut Criterion) {
    #[allow(clippy::disallowed_methods, reason = "benchmark base instant")]
    let now = Instant::now();
    let ctx = DtlsContext::new(DtlsConfig::default());
    let root = RngRoot::from_seed(1);
    let certs = (
        Certificate::generate(&mut root.child("a", 0).stream(Stream::Certificate)),
        Certificate::generate(&mut root.child("b", 0).stream(Stream::Certificate)),
    );
    let mut seed = 0;

    let mut g = c.benchmark_group("sctp_throughput");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Bytes(TOTAL as u64));
    for msg in [1024usize, 16 * 1024] {
        g.bench_with_input(BenchmarkId::new("sansrtc", msg), &msg, |b, &msg| {
            b.iter_batched_ref(
                || {
                    seed += 1;
                    SansPair::new(&ctx, &certs, seed, now)
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

    let mut g = c.benchmark_group("sctp_send_buffer");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Bytes(TOTAL as u64));
    for buffer in [32 << 10, 256 << 10, 1 << 20, 4 << 20] {
        g.bench_with_input(BenchmarkId::new("sansrtc", buffer), &buffer, |b, &buf| {
            b.iter_batched_ref(
                || {
                    seed += 1;
                    SansPair::new(&ctx, &certs, seed, now)
                },
                |p| p.transfer(TOTAL, 16 * 1024, buf),
                criterion::BatchSize::LargeInput,
            )
        });
        g.bench_with_input(BenchmarkId::new("str0m", buffer), &buffer, |b, &buf| {
            b.iter_batched_ref(
                || str0m_side::Pair::new(now),
                |p| p.transfer(TOTAL, 16 * 1024, buf),
                criterion::BatchSize::LargeInput,
            )
        });
    }
    g.finish();

    if std::env::var_os("SCTP_BENCH_NO_TABLE").is_some() {
        return; // profiling one benchmark with --profile-time
    }
    // Machine ceilings for the same per-packet work (benches/shared/ceilings.rs).
    let aes = ceilings::aes_gcm_seal_open_mbs();
    println!(
        "\nceiling: AES-128-GCM seal+open of 1200 B: {aes:.0} MB/s ({:.2} µs per packet)",
        1200.0 / aes
    );
    println!(
        "ceiling: memcpy of 1200 B: {:.0} ns",
        1200.0 / ceilings::memcpy_gbs()
    );

    // The table: MB/s and CPU µs per datagram (both directions counted), one timed run each.
    println!(
        "\n{:<10} {:>8} {:>10} {:>10} {:>12}",
        "stack", "msg", "buffer", "MB/s", "µs/datagram"
    );
    let row = |stack: &str, msg: usize, buffer: usize, bytes: usize, e: Duration, n: u64| {
        println!(
            "{:<10} {:>8} {:>10} {:>10.0} {:>12.2}",
            stack,
            msg,
            buffer,
            bytes as f64 / e.as_secs_f64() / 1e6,
            e.as_secs_f64() * 1e6 / n as f64
        );
    };
    for (msg, buffer) in [(1024, 1 << 20), (16 << 10, 1 << 20)] {
        seed += 1;
        let mut p = SansPair::new(&ctx, &certs, seed, now);
        p.plain = true;
        let d0 = p.datagrams;
        #[allow(clippy::disallowed_methods, reason = "benchmark timing")]
        let t = Instant::now();
        p.transfer(TOTAL * 4, msg, buffer);
        row(
            "sctp-only",
            msg,
            buffer,
            TOTAL * 4,
            t.elapsed(),
            p.datagrams - d0,
        );
    }
    for (msg, buffer) in [
        (1024, 1 << 20),
        (16 << 10, 1 << 20),
        (16 << 10, 32 << 10),
        (16 << 10, 4 << 20),
    ] {
        seed += 1;
        let mut p = SansPair::new(&ctx, &certs, seed, now);
        let d0 = p.datagrams;
        #[allow(clippy::disallowed_methods, reason = "benchmark timing")]
        let t = Instant::now();
        p.transfer(TOTAL, msg, buffer);
        row("sansrtc", msg, buffer, TOTAL, t.elapsed(), p.datagrams - d0);
        let mut s = str0m_side::Pair::new(now);
        let d0 = s.datagrams();
        #[allow(clippy::disallowed_methods, reason = "benchmark timing")]
        let t = Instant::now();
        s.transfer(TOTAL, msg, buffer);
        row("str0m", msg, buffer, TOTAL, t.elapsed(), s.datagrams() - d0);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

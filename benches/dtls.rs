//! DTLS CPU, both sides in memory, beside dimpl 0.9 (the engine str0m 0.25 runs, unmodified from
//! the registry) in the same run. `cargo bench --bench dtls` (our RustCrypto backend) and
//! `cargo bench --bench dtls --features aws-lc-rs` (our aws-lc backend); the row names say which
//! backend ran.
//!
//! - `dtls`: a whole handshake (HelloVerifyRequest, mutual ECDSA P-256 certificates, ECDHE,
//!   Finished both ways), certificates made beforehand, one transport per side per handshake.
//!   Ours beside dimpl with its `rust-crypto` provider (the same RustCrypto primitives as our
//!   default backend) and with `aws_lc_rs::default_provider()` (what str0m runs, and the
//!   counterpart of our `aws-lc-rs` feature). Building a dimpl `Config` runs its provider
//!   self-test, measured separately because str0m pays it per peer (one `Config` per `Rtc`).
//!   What each pair negotiated is printed before the rows, and the goal's ratio: ours over dimpl
//!   with the same backend, from handshakes alternating one by one (a shared machine's load
//!   then falls on both alike).
//! - `dtls_record`: one application-data record of 1200 B and of 16 KiB: `send` on one side,
//!   the datagram into the other and its `Data` event out; beside the AEAD ceiling, AES-128-GCM
//!   seal + open of the same bytes in place (the `aes-gcm` crate, and aws-lc's with the
//!   feature), and beside dimpl's send → packet → `ApplicationData`.
//!
//! Times are this thread's CPU time ([`ThreadCpuTime`]), not wall time: CPU is the figure wanted,
//! and on a shared machine other processes' time would otherwise land in whichever row was
//! running. On an idle machine the two agree.

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sansrtc::dtls::{
    Certificate, DtlsConfig, DtlsContext, DtlsEvent, DtlsRole, DtlsState, DtlsTransport,
    FingerprintHash,
};
use sansrtc::rng::{RngRoot, Stream};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "shared/ceilings.rs"]
mod ceilings;

/// Criterion timing this thread's CPU time (64-bit Linux; elsewhere wall time), in nanoseconds.
struct ThreadCpuTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = f64;
    type Value = f64;

    fn start(&self) -> f64 {
        ceilings::Clock::ThreadCpu.now()
    }
    fn end(&self, start: f64) -> f64 {
        (ceilings::Clock::ThreadCpu.now() - start) * 1e9
    }
    fn add(&self, a: &f64, b: &f64) -> f64 {
        a + b
    }
    fn zero(&self) -> f64 {
        0.0
    }
    fn to_f64(&self, ns: &f64) -> f64 {
        *ns
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &NanosFormatter
    }
}

/// Criterion's time and bytes-per-second units for nanosecond values.
struct NanosFormatter;

impl ValueFormatter for NanosFormatter {
    fn scale_values(&self, ns: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = match ns {
            ns if ns < 1e3 => (1.0, "ns"),
            ns if ns < 1e6 => (1e-3, "µs"),
            ns if ns < 1e9 => (1e-6, "ms"),
            _ => (1e-9, "s"),
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(
        &self,
        ns: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let (per, unit) = match *throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => (n as f64, "B/s"),
            Throughput::Bits(n) => (n as f64, "b/s"),
            Throughput::Elements(n) | Throughput::ElementsAndBytes { elements: n, .. } => {
                (n as f64, "elem/s")
            }
        };
        let (div, unit) = match per * 1e9 / ns {
            r if r < 1e3 => (1.0, unit),
            r if r < 1e6 => (1e3, if unit == "B/s" { "KB/s" } else { "K/s" }),
            r if r < 1e9 => (1e6, if unit == "B/s" { "MB/s" } else { "M/s" }),
            _ => (1e9, if unit == "B/s" { "GB/s" } else { "G/s" }),
        };
        values.iter_mut().for_each(|v| *v = per * 1e9 / *v / div);
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

type Crit = Criterion<ThreadCpuTime>;

/// Our backend, as the row names carry it.
#[cfg(not(feature = "aws-lc-rs"))]
const OURS: &str = "sansrtc_rustcrypto";
#[cfg(feature = "aws-lc-rs")]
const OURS: &str = "sansrtc_aws_lc";

/// Handshakes of each engine in the alternating comparison.
const PAIRED: u64 = 301;

/// The median of `v`.
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Record sizes of the record-layer group: an SCTP SACK (40 bytes: what a receiver sends for
/// every second data packet, RFC 9260 §6.2), a full data-channel datagram and a maximal record.
const RECORD_SIZES: [usize; 3] = [40, 1200, 16 << 10];

// ------------------------------------------------------------------------------------------
// What was negotiated: the server's ServerHello (suite) and ServerKeyExchange (group).

/// The cipher suite and ECDHE group in the server's plaintext flight, as far as seen.
#[derive(Debug, Default, Clone, Copy)]
struct Choice {
    suite: Option<u16>,
    group: Option<u16>,
}

impl Choice {
    /// Reads the epoch-0 handshake records of one server datagram (unfragmented messages).
    fn scan(&mut self, mut d: &[u8]) {
        while d.len() >= 13 {
            let (content, epoch) = (d[0], u16::from_be_bytes([d[3], d[4]]));
            let len = usize::from(u16::from_be_bytes([d[11], d[12]]));
            let Some(body) = d.get(13..13 + len) else {
                return;
            };
            if content == 22 && epoch == 0 && body.len() >= 12 {
                let m = &body[12..];
                match body[0] {
                    // ServerHello: version, random, session id, cipher suite.
                    2 if m.len() > 35 => {
                        let at = 35 + usize::from(m[34]);
                        if let Some(s) = m.get(at..at + 2) {
                            self.suite = Some(u16::from_be_bytes([s[0], s[1]]));
                        }
                    }
                    // ServerKeyExchange: curve type 3 (named curve), then the group.
                    12 if m.len() >= 3 && m[0] == 3 => {
                        self.group = Some(u16::from_be_bytes([m[1], m[2]]));
                    }
                    _ => {}
                }
            }
            d = &d[13 + len..];
        }
    }

    fn describe(&self) -> String {
        let suite = match self.suite {
            Some(0xC02B) => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (0xC02B)".to_string(),
            Some(0xC02C) => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 (0xC02C)".to_string(),
            Some(0xCCA9) => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 (0xCCA9)".to_string(),
            Some(s) => format!("suite {s:#06X}"),
            None => "suite not seen".to_string(),
        };
        let group = match self.group {
            Some(29) => "X25519".to_string(),
            Some(23) => "P-256".to_string(),
            Some(24) => "P-384".to_string(),
            Some(g) => format!("group {g}"),
            None => "group not seen".to_string(),
        };
        format!("{suite}, ECDHE {group}")
    }
}

// ------------------------------------------------------------------------------------------
// Ours.

/// A client and a server of ours, not yet connected.
fn sansrtc_pair(
    ctx: &DtlsContext,
    cc: &Certificate,
    sc: &Certificate,
    seed: u64,
) -> (DtlsTransport, DtlsTransport) {
    let root = RngRoot::from_seed(seed);
    let c = DtlsTransport::new(
        ctx,
        cc,
        DtlsRole::Client,
        Some(vec![sc.fingerprint(FingerprintHash::Sha256)]),
        root.child("c", 0).stream(Stream::Dtls),
    );
    let s = DtlsTransport::new(
        ctx,
        sc,
        DtlsRole::Server,
        Some(vec![cc.fingerprint(FingerprintHash::Sha256)]),
        root.child("s", 0).stream(Stream::Dtls),
    );
    (c, s)
}

/// Runs the handshake of `c` and `s` to the end, showing every server datagram to `seen`.
fn sansrtc_connect(
    c: &mut DtlsTransport,
    s: &mut DtlsTransport,
    now: Instant,
    seen: &mut dyn FnMut(&[u8]),
) {
    c.handle_timeout(now);
    for _ in 0..20 {
        let mut moved = false;
        while let Some(d) = c.poll_transmit(now) {
            s.handle_receive(now, &d);
            moved = true;
        }
        while let Some(d) = s.poll_transmit(now) {
            seen(&d);
            c.handle_receive(now, &d);
            moved = true;
        }
        if !moved {
            break;
        }
    }
    assert_eq!(c.state(), DtlsState::Connected);
    assert_eq!(s.state(), DtlsState::Connected);
}

fn sansrtc_handshake(
    ctx: &DtlsContext,
    cc: &Certificate,
    sc: &Certificate,
    now: Instant,
    seed: u64,
) {
    let (mut c, mut s) = sansrtc_pair(ctx, cc, sc, seed);
    sansrtc_connect(&mut c, &mut s, now, &mut |_| {});
    black_box((c, s));
}

// ------------------------------------------------------------------------------------------
// dimpl.

/// Moves `d`'s output on: packets into `out`; true when it reported `Connected`.
fn drain(d: &mut dimpl::Dtls, buf: &mut Vec<u8>, out: &mut Vec<Vec<u8>>) -> bool {
    let mut connected = false;
    loop {
        match d.poll_output(buf) {
            dimpl::Output::Packet(p) => out.push(p.to_vec()),
            dimpl::Output::BufferTooSmall { needed } => buf.resize(needed, 0),
            dimpl::Output::Timeout(_) => return connected,
            dimpl::Output::Connected => connected = true,
            _ => {}
        }
    }
}

/// A whole dimpl handshake; returns both sides connected, showing every server packet to
/// `seen`.
fn dimpl_handshake(
    config: &Arc<dimpl::Config>,
    cc: &dimpl::DtlsCertificate,
    sc: &dimpl::DtlsCertificate,
    now: Instant,
    seen: &mut dyn FnMut(&[u8]),
) -> (dimpl::Dtls, dimpl::Dtls) {
    let mut c = dimpl::Dtls::new_12(config.clone(), cc.clone(), now);
    c.set_active(true);
    let mut s = dimpl::Dtls::new_12(config.clone(), sc.clone(), now);
    let mut buf = vec![0u8; 2048];
    let (mut to_s, mut to_c) = (Vec::new(), Vec::new());
    c.handle_timeout(now).unwrap();
    let (mut cc_done, mut sc_done) = (drain(&mut c, &mut buf, &mut to_s), false);
    for _ in 0..20 {
        // dimpl wants its clock refreshed before input (the server's random is set there).
        s.handle_timeout(now).unwrap();
        for p in std::mem::take(&mut to_s) {
            s.handle_packet(&p).unwrap();
        }
        sc_done |= drain(&mut s, &mut buf, &mut to_c);
        c.handle_timeout(now).unwrap();
        for p in std::mem::take(&mut to_c) {
            seen(&p);
            c.handle_packet(&p).unwrap();
        }
        cc_done |= drain(&mut c, &mut buf, &mut to_s);
        if cc_done && sc_done && to_s.is_empty() {
            break;
        }
    }
    assert!(cc_done && sc_done);
    (c, s)
}

/// A dimpl configuration as str0m builds one per `Rtc` (mutual certificates, MTU 1200), with
/// `provider`; building it runs the provider's self-test.
fn dimpl_config(provider: dimpl::crypto::CryptoProvider) -> dimpl::Config {
    dimpl::Config::builder()
        .mtu(1200)
        .require_client_certificate(true)
        .with_crypto_provider(provider)
        .build()
        .unwrap()
}

/// A dimpl provider's constructor.
type Provider = fn() -> dimpl::crypto::CryptoProvider;

/// dimpl's providers, each with the row name it goes under.
fn dimpl_providers() -> [(&'static str, Provider); 2] {
    [
        (
            "dimpl_rustcrypto",
            dimpl::crypto::rust_crypto::default_provider,
        ),
        // str0m 0.25's engine as str0m runs it.
        ("dimpl_aws_lc", dimpl::crypto::aws_lc_rs::default_provider),
    ]
}

/// One application-data record of `data` from `c` to `s` through dimpl, all its packets
/// delivered; returns the plaintext bytes `s` reported.
fn dimpl_record(
    c: &mut dimpl::Dtls,
    s: &mut dimpl::Dtls,
    data: &[u8],
    out: &mut [u8],
    inp: &mut [u8],
) -> usize {
    c.send_application_data(data).unwrap();
    let mut got = 0;
    loop {
        match c.poll_output(out) {
            dimpl::Output::Packet(p) => {
                s.handle_packet(p).unwrap();
                loop {
                    match s.poll_output(inp) {
                        dimpl::Output::ApplicationData(d) => got += black_box(d).len(),
                        dimpl::Output::Timeout(_) => break,
                        dimpl::Output::BufferTooSmall { needed } => {
                            panic!("receive buffer below {needed}")
                        }
                        _ => {}
                    }
                }
            }
            dimpl::Output::Timeout(_) => return got,
            dimpl::Output::BufferTooSmall { needed } => panic!("send buffer below {needed}"),
            _ => {}
        }
    }
}

// ------------------------------------------------------------------------------------------
// Ceilings.

/// AES-128-GCM seal and open of `buf` in place (RustCrypto's `aes-gcm`, our default backend's
/// AEAD), with a record's 13-byte additional data.
fn aes_gcm_seal_open(key: &aes_gcm::Aes128Gcm, buf: &mut [u8]) {
    ceilings::aes_gcm_seal_open(key, buf);
}

/// The same with aws-lc's AES-128-GCM (our `aws-lc-rs` backend's AEAD); `buf` ends with 16
/// bytes of room for the tag.
#[cfg(feature = "aws-lc-rs")]
fn aws_lc_gcm_seal_open(key: &aws_lc_rs::aead::LessSafeKey, buf: &mut [u8]) {
    use aws_lc_rs::aead::{Aad, Nonce};
    let n = buf.len() - 16;
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key([1u8; 12]),
            Aad::from(b"aad-13-bytes!"),
            &mut buf[..n],
        )
        .unwrap();
    buf[n..].copy_from_slice(tag.as_ref());
    key.open_in_place(
        Nonce::assume_unique_for_key([1u8; 12]),
        Aad::from(b"aad-13-bytes!"),
        buf,
    )
    .unwrap();
}

// ------------------------------------------------------------------------------------------

fn handshake(c: &mut Crit, now: Instant) {
    let root = RngRoot::from_seed(1);
    let cc = Certificate::generate(&mut root.child("c", 0).stream(Stream::Certificate));
    let sc = Certificate::generate(&mut root.child("s", 0).stream(Stream::Certificate));
    let ctx = DtlsContext::new(DtlsConfig::default());
    let acc = dimpl::certificate::generate_self_signed_certificate().unwrap();
    let asc = dimpl::certificate::generate_self_signed_certificate().unwrap();

    // What each pair negotiates.
    let mut choice = Choice::default();
    let (mut a, mut b) = sansrtc_pair(&ctx, &cc, &sc, 0);
    sansrtc_connect(&mut a, &mut b, now, &mut |d| choice.scan(d));
    println!("{OURS} negotiates {}", choice.describe());
    for (name, provider) in dimpl_providers() {
        let mut choice = Choice::default();
        let config = Arc::new(dimpl_config(provider()));
        dimpl_handshake(&config, &acc, &asc, now, &mut |d| choice.scan(d));
        println!("{name} negotiates {}", choice.describe());
    }

    // Ours beside dimpl with the same backend, alternating handshake by handshake so that both
    // see the same moments of a shared machine: the goal's ratio.
    #[cfg(not(feature = "aws-lc-rs"))]
    let (same, provider): (&str, Provider) = (
        "dimpl_rustcrypto",
        dimpl::crypto::rust_crypto::default_provider,
    );
    #[cfg(feature = "aws-lc-rs")]
    let (same, provider): (&str, Provider) =
        ("dimpl_aws_lc", dimpl::crypto::aws_lc_rs::default_provider);
    let config = Arc::new(dimpl_config(provider()));
    let cpu = ceilings::Clock::ThreadCpu;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for seed in 0..PAIRED {
        ours.push(cpu.time(&mut || sansrtc_handshake(&ctx, &cc, &sc, now, 1 << 40 | seed)));
        theirs.push(cpu.time(&mut || {
            black_box(dimpl_handshake(&config, &acc, &asc, now, &mut |_| {}));
        }));
    }
    let (ours, theirs) = (median(&mut ours), median(&mut theirs));
    println!(
        "handshake both sides, alternating, median of {PAIRED} each (CPU time): {OURS} {:.1} µs, \
         {same} {:.1} µs, {OURS} / {same} = {:.2}",
        ours * 1e6,
        theirs * 1e6,
        ours / theirs
    );

    let mut g = c.benchmark_group("dtls");
    g.measurement_time(Duration::from_secs(5));
    let mut seed = 0u64;
    g.bench_function(format!("{OURS}_handshake_both_sides"), |b| {
        b.iter(|| {
            seed += 1;
            sansrtc_handshake(&ctx, black_box(&cc), &sc, now, seed)
        })
    });
    for (name, provider) in dimpl_providers() {
        let config = Arc::new(dimpl_config(provider()));
        g.bench_function(format!("{name}_handshake_both_sides"), |b| {
            b.iter(|| {
                black_box(dimpl_handshake(
                    black_box(&config),
                    &acc,
                    &asc,
                    now,
                    &mut |_| {},
                ))
            })
        });
    }
    g.bench_function(format!("{OURS}_transport_new"), |b| {
        b.iter(|| {
            seed += 1;
            DtlsTransport::new(
                &ctx,
                &cc,
                DtlsRole::Client,
                None,
                RngRoot::from_seed(seed).stream(Stream::Dtls),
            )
        })
    });
    g.bench_function(format!("{OURS}_context_new"), |b| {
        b.iter(|| DtlsContext::new(DtlsConfig::default()))
    });
    g.bench_function(format!("{OURS}_certificate_generate"), |b| {
        let mut rng = root.stream(Stream::Certificate);
        b.iter(|| Certificate::generate(&mut rng))
    });
    for (name, provider) in dimpl_providers() {
        g.bench_function(format!("{name}_config_build"), |b| {
            b.iter(|| dimpl_config(provider()))
        });
    }
    g.finish();
}

fn record(c: &mut Crit, now: Instant) {
    let root = RngRoot::from_seed(2);
    let cc = Certificate::generate(&mut root.child("c", 0).stream(Stream::Certificate));
    let sc = Certificate::generate(&mut root.child("s", 0).stream(Stream::Certificate));
    let ctx = DtlsContext::new(DtlsConfig::default());
    let (mut client, mut server) = sansrtc_pair(&ctx, &cc, &sc, 7);
    sansrtc_connect(&mut client, &mut server, now, &mut |_| {});
    while server.poll_event().is_some() {}
    while client.poll_event().is_some() {}

    let acc = dimpl::certificate::generate_self_signed_certificate().unwrap();
    let asc = dimpl::certificate::generate_self_signed_certificate().unwrap();
    let mut dimpls: Vec<_> = dimpl_providers()
        .into_iter()
        .map(|(name, provider)| {
            let config = Arc::new(dimpl_config(provider()));
            let (c, s) = dimpl_handshake(&config, &acc, &asc, now, &mut |_| {});
            (name, c, s)
        })
        .collect();

    let mut g = c.benchmark_group("dtls_record");
    g.measurement_time(Duration::from_secs(4));
    for size in RECORD_SIZES {
        let data = vec![0x5Au8; size];
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function(
            BenchmarkId::new(format!("{OURS}_send_receive"), size),
            |b| {
                b.iter(|| {
                    client.send(black_box(&data)).unwrap();
                    let record = client.poll_transmit(now).expect("a record");
                    server.handle_receive(now, &record);
                    match server.poll_event() {
                        Some(DtlsEvent::Data(d)) => {
                            assert_eq!(d.len(), size);
                            black_box(d);
                        }
                        other => panic!("expected data, got {other:?}"),
                    }
                })
            },
        );
        let key = {
            use aes_gcm::aead::KeyInit;
            aes_gcm::Aes128Gcm::new_from_slice(&[7u8; 16]).unwrap()
        };
        let mut buf = data.clone();
        g.bench_function(
            BenchmarkId::new("ceiling_aes128gcm_rustcrypto_seal_open", size),
            |b| b.iter(|| aes_gcm_seal_open(&key, black_box(&mut buf))),
        );
        #[cfg(feature = "aws-lc-rs")]
        {
            use aws_lc_rs::aead::{AES_128_GCM, LessSafeKey, UnboundKey};
            let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &[7u8; 16]).unwrap());
            let mut buf = vec![0x5Au8; size + 16];
            g.bench_function(
                BenchmarkId::new("ceiling_aes128gcm_aws_lc_seal_open", size),
                |b| b.iter(|| aws_lc_gcm_seal_open(&key, black_box(&mut buf))),
            );
        }
        let (mut out, mut inp) = (vec![0u8; 20_000], vec![0u8; 20_000]);
        for (name, dc, ds) in &mut dimpls {
            g.bench_function(
                BenchmarkId::new(format!("{name}_send_receive"), size),
                |b| {
                    b.iter(|| {
                        let got = dimpl_record(dc, ds, black_box(&data), &mut out, &mut inp);
                        assert_eq!(got, size);
                    })
                },
            );
        }
    }
    g.finish();
}

fn bench(c: &mut Crit) {
    #[allow(clippy::disallowed_methods, reason = "benchmark base instant")]
    let now = Instant::now();
    handshake(c, now);
    record(c, now);
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = bench
}
criterion_main!(benches);

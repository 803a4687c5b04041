//! DTLS handshake CPU, both sides in memory, beside the engine str0m 0.25 runs (dimpl with the
//! aws-lc-rs provider) in the same run. `cargo bench --bench dtls`.
//!
//! sansrtc: dimpl's rust-crypto provider with our seeded randomness and key shares, one dimpl
//! configuration per transport (its seed must differ per peer), certificates made beforehand.
//! str0m's engine: `dimpl::Config` with `aws_lc_rs::default_provider()`; building that config
//! runs the provider self-test, measured separately because str0m pays it per peer.

use criterion::{Criterion, criterion_group, criterion_main};
use sansrtc::dtls::{
    Certificate, DtlsConfig, DtlsContext, DtlsRole, DtlsState, DtlsTransport, FingerprintHash,
};
use sansrtc::rng::{RngRoot, Stream};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn sansrtc_handshake(
    ctx: &DtlsContext,
    cc: &Certificate,
    sc: &Certificate,
    now: Instant,
    seed: u64,
) {
    let root = RngRoot::from_seed(seed);
    let mut c = DtlsTransport::new(
        ctx,
        cc,
        DtlsRole::Client,
        Some(vec![sc.fingerprint(FingerprintHash::Sha256)]),
        root.child("c", 0).stream(Stream::Dtls),
        now,
    );
    let mut s = DtlsTransport::new(
        ctx,
        sc,
        DtlsRole::Server,
        Some(vec![cc.fingerprint(FingerprintHash::Sha256)]),
        root.child("s", 0).stream(Stream::Dtls),
        now,
    );
    c.handle_timeout(now);
    for _ in 0..20 {
        let mut moved = false;
        while let Some(d) = c.poll_transmit() {
            s.handle_receive(now, &d);
            moved = true;
        }
        while let Some(d) = s.poll_transmit() {
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

fn dimpl_aws_handshake(
    config: &Arc<dimpl::Config>,
    cc: &dimpl::DtlsCertificate,
    sc: &dimpl::DtlsCertificate,
    now: Instant,
) {
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
            c.handle_packet(&p).unwrap();
        }
        cc_done |= drain(&mut c, &mut buf, &mut to_s);
        if cc_done && sc_done && to_s.is_empty() {
            break;
        }
    }
    assert!(cc_done && sc_done);
}

fn aws_config() -> dimpl::Config {
    dimpl::Config::builder()
        .mtu(1200)
        .require_client_certificate(true)
        .with_crypto_provider(dimpl::crypto::aws_lc_rs::default_provider())
        .build()
        .unwrap()
}

fn bench(c: &mut Criterion) {
    #[allow(clippy::disallowed_methods, reason = "benchmark base instant")]
    let now = Instant::now();
    let mut g = c.benchmark_group("dtls");
    g.measurement_time(Duration::from_secs(5));

    let root = RngRoot::from_seed(1);
    let cc = Certificate::generate(&mut root.child("c", 0).stream(Stream::Certificate));
    let sc = Certificate::generate(&mut root.child("s", 0).stream(Stream::Certificate));
    let ctx = DtlsContext::new(DtlsConfig::default());
    let mut seed = 0u64;
    g.bench_function("sansrtc_handshake_both_sides", |b| {
        b.iter(|| {
            seed += 1;
            sansrtc_handshake(&ctx, black_box(&cc), &sc, now, seed)
        })
    });
    g.bench_function("sansrtc_transport_new", |b| {
        b.iter(|| {
            seed += 1;
            DtlsTransport::new(
                &ctx,
                &cc,
                DtlsRole::Client,
                None,
                RngRoot::from_seed(seed).stream(Stream::Dtls),
                now,
            )
        })
    });
    g.bench_function("sansrtc_context_new", |b| {
        b.iter(|| DtlsContext::new(DtlsConfig::default()))
    });
    g.bench_function("sansrtc_certificate_generate", |b| {
        let mut rng = root.stream(Stream::Certificate);
        b.iter(|| Certificate::generate(&mut rng))
    });

    let config = Arc::new(aws_config());
    let acc = dimpl::certificate::generate_self_signed_certificate().unwrap();
    let asc = dimpl::certificate::generate_self_signed_certificate().unwrap();
    g.bench_function("str0m_engine_dimpl_aws_lc_handshake_both_sides", |b| {
        b.iter(|| dimpl_aws_handshake(black_box(&config), &acc, &asc, now))
    });
    g.bench_function("str0m_engine_dimpl_aws_lc_config_build", |b| {
        b.iter(aws_config)
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

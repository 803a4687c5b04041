//! Every headline figure in one table, sansrtc beside str0m 0.25 (aws-lc-rs) doing the same
//! work in the same run, with the machine's ceilings for the per-packet work: what README
//! publishes. `cargo bench --bench headline` (it also runs as part of a plain `cargo bench`).
//!
//! - SDP parse: the Chromium data-channel offer.
//! - STUN check: parse + MESSAGE-INTEGRITY of one connectivity check (both with the same
//!   HMAC-SHA1 implementation, so the figure is the STUN handling around it).
//! - Setup: both peers from construction to one message across (SDP text, ICE, DTLS, SCTP, DCEP),
//!   two ways: each peer building its own configuration (a fresh `DtlsContext` per peer, as every
//!   str0m `Rtc` builds its own dimpl configuration and runs its provider self-test), and with
//!   one `DtlsContext` shared by all peers (str0m cannot share: the same str0m figure). The three
//!   alternate setup by setup, timed in this thread's CPU time (setup never waits, so on an idle
//!   machine that is its wall time; on a shared one, other processes' time stays out).
//! - Throughput through two whole peers, reliable ordered, by message size and by send buffer;
//!   for 1 KiB and 16 KiB messages also as a share of the AES-128-GCM seal+open ceiling (the
//!   pure-Rust `aes-gcm`, our default backend's AEAD; with the `aws-lc-rs` feature aws-lc's
//!   too), measured right before each run: the share is the median of the runs' shares, and
//!   also each stack's best run against the best ceiling (a neighbour on a shared machine only
//!   slows runs down: the best estimates the undisturbed figure). Shares are of thread CPU time
//!   (ours and the ceiling's alike), which other processes on a shared machine do not inflate;
//!   the MB/s rows are wall time.
//! - Scale: `HEADLINE_PEERS` (default 10,000) established peers in one process, in pairs, each
//!   stack in a child process of its own: memory per idle peer, as the Rust heap (a counting
//!   global allocator) and as malloc's bytes in use (glibc `mallinfo2`, which also sees the C
//!   heap of str0m's aws-lc: the fair figure), and CPU per peer per idle second (consent
//!   freshness, heartbeats) over 30 virtual seconds.
//! - `poll_timeout` with 1 and 1,024 open channels (sansrtc only: str0m has no such call).
//! - Ceilings: AES-128-GCM seal+open (RustCrypto; with the feature also aws-lc), CRC32c, memcpy
//!   of a 1200-byte packet.
//!
//! Which DTLS backend ran is in the table's title: RustCrypto by default, aws-lc with
//! `--features aws-lc-rs`. str0m always runs aws-lc.
//!
//! The counting allocator adds one relaxed atomic add per allocation to both stacks alike.

use hmac::{Hmac, KeyInit, Mac};
use sansrtc::dtls::{DtlsConfig, DtlsContext};
use sansrtc::sdp::SessionDescription;
use sansrtc::stun::MessageView;
use sansrtc::{ChannelOptions, Peer};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "../tests/common/alloc.rs"]
mod alloc;
#[path = "shared/ceilings.rs"]
mod ceilings;
#[path = "shared/sansrtc_pair.rs"]
mod sansrtc_side;
#[path = "shared/str0m_pair.rs"]
mod str0m_side;
#[path = "shared/stun_check.rs"]
mod stun_check;

use ceilings::{Clock, median_seconds};

const CHROMIUM_OFFER: &str = include_str!("../tests/fixtures/sdp/chromium-data-offer.sdp");
/// Bytes per throughput run (long enough that one preemption on a shared machine is noise).
const TOTAL: usize = 32 << 20;

/// Setups of each kind, alternating.
const SETUPS: usize = 31;

/// Our DTLS backend in this build.
#[cfg(not(feature = "aws-lc-rs"))]
const BACKEND: &str = "RustCrypto";
#[cfg(feature = "aws-lc-rs")]
const BACKEND: &str = "aws-lc";

#[allow(
    clippy::disallowed_methods,
    reason = "benchmark base instant and timing"
)]
fn clock() -> Instant {
    Instant::now()
}

struct Table {
    rows: Vec<(String, String, String, String)>,
}

impl Table {
    /// A row with both stacks; the ratio is always sansrtc's figure over str0m's (below 1 is
    /// better for times and memory, above 1 for throughput).
    fn both(&mut self, figure: &str, unit: &str, ours: f64, theirs: f64, digits: usize) {
        let figure = if unit.is_empty() {
            figure.to_string()
        } else {
            format!("{figure} ({unit})")
        };
        self.rows.push((
            figure.clone(),
            format!("{ours:.digits$}"),
            format!("{theirs:.digits$}"),
            format!("{:.2}×", ours / theirs),
        ));
        println!("{figure}: sansrtc {ours:.digits$}, str0m {theirs:.digits$}");
    }
    fn ours(&mut self, figure: &str, unit: &str, ours: f64, digits: usize) {
        self.rows.push((
            format!("{figure} ({unit})"),
            format!("{ours:.digits$}"),
            "—".into(),
            "".into(),
        ));
        println!("{figure} ({unit}): {ours:.digits$}");
    }
    fn print(&self) {
        println!("\nsansrtc DTLS backend: {BACKEND}; str0m 0.25: aws-lc");
        println!("\n| figure | sansrtc | str0m | sansrtc / str0m |");
        println!("|---|---:|---:|---:|");
        for (a, b, c, d) in &self.rows {
            println!("| {a} | {b} | {c} | {d} |");
        }
    }
}

fn hmac_sha1(key: &[u8], parts: &[&[u8]]) -> [u8; 20] {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).expect("any key");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// Nanoseconds per call of `f`, median of 7 runs of `n` calls.
fn ns_per(n: usize, f: &mut dyn FnMut()) -> f64 {
    median_seconds(7, &mut || {
        for _ in 0..n {
            f();
        }
    }) * 1e9
        / n as f64
}

/// The median of `v`.
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The 5 runs of one throughput configuration, (sansrtc, str0m) each: MB/s (wall time), and MB/s
/// in thread CPU time as a share of the AEAD ceilings measured (in CPU time) right before the run.
#[derive(Default)]
struct Rates {
    mbs: Vec<(f64, f64)>,
    aes_share: Vec<(f64, f64)>,
    /// Each run's CPU-time MB/s (ours, theirs) and the RustCrypto ceiling measured before it.
    cpu: Vec<(f64, f64)>,
    aes: Vec<f64>,
    #[cfg(feature = "aws-lc-rs")]
    aws_lc_share: Vec<(f64, f64)>,
}

impl Rates {
    /// Each stack's median.
    fn median(runs: &[(f64, f64)]) -> (f64, f64) {
        let mut ours: Vec<f64> = runs.iter().map(|r| r.0).collect();
        let mut theirs: Vec<f64> = runs.iter().map(|r| r.1).collect();
        (median(&mut ours), median(&mut theirs))
    }
}

/// What one scale run measured.
struct Scale {
    peers: usize,
    /// Live heap (Rust allocator) of the established, idle peers.
    heap: f64,
    /// Bytes in use in malloc (`mallinfo2`), which also sees what C code (aws-lc) allocates.
    rss: f64,
    setup: f64,
    idle_cpu: f64,
    idle_secs: f64,
    datagrams: f64,
}

/// Bytes in use in the C heap (glibc's `mallinfo2`: everything Rust's System allocator and C
/// code such as aws-lc allocate, with malloc's own per-chunk overhead). Elsewhere, the resident
/// set from /proc (which also counts freed memory malloc keeps).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn c_heap_bytes() -> f64 {
    #[repr(C)]
    struct MallInfo2 {
        arena: usize,
        ordblks: usize,
        smblks: usize,
        hblks: usize,
        hblkhd: usize,
        usmblks: usize,
        fsmblks: usize,
        uordblks: usize,
        fordblks: usize,
        keepcost: usize,
    }
    unsafe extern "C" {
        fn mallinfo2() -> MallInfo2;
    }
    // SAFETY: glibc's mallinfo2 takes nothing and returns a plain struct by value.
    let m = unsafe { mallinfo2() };
    (m.uordblks + m.hblkhd) as f64
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn c_heap_bytes() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |pages| pages * 4096.0)
}

/// Runs the scale measurement of `stack` in a child process (this binary again).
fn scale_child(stack: &str, peers: usize) -> Scale {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env("HEADLINE_SCALE_CHILD", stack)
        .env("HEADLINE_PEERS", peers.to_string())
        .output()
        .expect("the scale child runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("scale "))
        .expect("a scale line");
    let v: Vec<f64> = line
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    Scale {
        peers: v[0] as usize,
        heap: v[1],
        rss: v[2],
        setup: v[3],
        idle_cpu: v[4],
        idle_secs: v[5],
        datagrams: v[6],
    }
}

/// What the scale run needs of a connected pair, whichever stack.
trait IdlePair {
    fn now(&self) -> Instant;
    fn datagrams(&self) -> u64;
    fn idle_until(&mut self, until: Instant);
    fn connected(&self) -> bool;
}

impl IdlePair for sansrtc_side::Pair {
    fn now(&self) -> Instant {
        self.now
    }
    fn datagrams(&self) -> u64 {
        self.datagrams
    }
    fn idle_until(&mut self, until: Instant) {
        sansrtc_side::Pair::idle_until(self, until);
    }
    fn connected(&self) -> bool {
        self.a.connection_state() == sansrtc::PeerConnectionState::Connected
            && self.b.connection_state() == sansrtc::PeerConnectionState::Connected
    }
}

impl IdlePair for str0m_side::SdpPair {
    fn now(&self) -> Instant {
        self.now
    }
    fn datagrams(&self) -> u64 {
        self.datagrams
    }
    fn idle_until(&mut self, until: Instant) {
        str0m_side::SdpPair::idle_until(self, until);
    }
    fn connected(&self) -> bool {
        self.l.is_alive() && self.r.is_alive()
    }
}

/// Sets up `pairs` pairs with `connect`, idles them 30 virtual seconds, and prints the `scale`
/// line the parent reads. The pairs are leaked: the process ends here.
fn scale<P: IdlePair>(pairs: usize, mut connect: impl FnMut(usize) -> P) {
    let idle = Duration::from_secs(30);
    let (heap0, malloc0) = (alloc::global_live(), c_heap_bytes());
    let t0 = clock();
    let mut v: Vec<P> = (0..pairs).map(&mut connect).collect();
    let setup = clock() - t0;
    let d0: u64 = v.iter().map(P::datagrams).sum();
    let end = v.iter().map(P::now).max().unwrap() + idle;
    let t1 = clock();
    for p in &mut v {
        p.idle_until(end);
    }
    let cpu = clock() - t1;
    let datagrams = v.iter().map(P::datagrams).sum::<u64>() - d0;
    assert!(v.iter().all(P::connected));
    let (heap, malloc) = (alloc::global_live() - heap0, c_heap_bytes() - malloc0);
    std::mem::forget(v);
    println!(
        "scale {} {heap} {malloc} {} {} {} {datagrams}",
        2 * pairs,
        setup.as_secs_f64(),
        cpu.as_secs_f64(),
        idle.as_secs_f64(),
    );
}

/// The child: `peers` established peers of `stack`, in pairs.
fn scale_run(stack: &str, peers: usize) {
    let now = clock();
    let ctx = Arc::new(DtlsContext::new(DtlsConfig::default()));
    if stack == "sansrtc" {
        scale(peers / 2, |i| {
            sansrtc_side::Pair::new(Some(&ctx), 5_000_000 + i as u64, now)
        });
    } else {
        scale(peers / 2, |_| str0m_side::SdpPair::connect(now));
    }
}

fn main() {
    if let Ok(stack) = std::env::var("HEADLINE_SCALE_CHILD") {
        let peers = std::env::var("HEADLINE_PEERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000);
        scale_run(&stack, peers);
        return;
    }
    // `cargo bench` passes `--bench`; a filter that does not name us skips the table.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if !args.is_empty() && !args.iter().any(|a| "headline".contains(a.as_str())) {
        return;
    }
    let now = clock();
    let ctx = Arc::new(DtlsContext::new(DtlsConfig::default()));
    let mut t = Table { rows: Vec::new() };

    // SDP parse.
    assert!(str0m::change::SdpOffer::from_sdp_string(CHROMIUM_OFFER).is_ok());
    let ours = ns_per(20_000, &mut || {
        black_box(SessionDescription::parse(black_box(CHROMIUM_OFFER)).unwrap());
    });
    let theirs = ns_per(20_000, &mut || {
        black_box(str0m::change::SdpOffer::from_sdp_string(black_box(CHROMIUM_OFFER)).unwrap());
    });
    t.both(
        "SDP parse, Chromium data offer",
        "µs",
        ours / 1e3,
        theirs / 1e3,
        2,
    );

    // STUN check.
    let pwd = b"the-local-ice-password-0123";
    let bytes = stun_check::check_bytes("local", pwd);
    let ours = ns_per(500_000, &mut || {
        let v = MessageView::parse(black_box(&bytes)).expect("valid");
        v.verify_integrity(pwd).expect("authentic");
        black_box(v.transaction_id());
    });
    let theirs = ns_per(500_000, &mut || {
        let m = str0m::ice::StunMessage::parse(black_box(&bytes)).expect("valid");
        assert!(m.verify(pwd, hmac_sha1));
        black_box(m.trans_id());
    });
    t.both("STUN check: parse + integrity", "ns", ours, theirs, 0);

    // Setup: each peer with a configuration of its own (like-for-like with str0m, whose every
    // `Rtc` builds its own dimpl configuration), and with one context shared by all peers. The
    // three alternate setup by setup, in this thread's CPU time, so that a shared machine's load
    // falls on all alike; str0m cannot share, so both rows carry its one figure.
    let mut seed = 1_000_000u64;
    let cpu = Clock::ThreadCpu;
    let (mut own, mut shared, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..SETUPS {
        seed += 1;
        own.push(cpu.time(&mut || sansrtc_side::Pair::new(None, seed, now).first_message()));
        seed += 1;
        shared
            .push(cpu.time(&mut || sansrtc_side::Pair::new(Some(&ctx), seed, now).first_message()));
        theirs.push(cpu.time(&mut || {
            str0m_side::setup_via_sdp(now);
        }));
    }
    let theirs = median(&mut theirs) * 1e3;
    t.both(
        "setup, both peers, to one message across, each peer its own DtlsContext",
        "ms",
        median(&mut own) * 1e3,
        theirs,
        2,
    );
    t.both(
        "setup, both peers, to one message across, one shared DtlsContext (str0m: per Rtc, cannot share)",
        "ms",
        median(&mut shared) * 1e3,
        theirs,
        2,
    );

    // Throughput, read against the AEAD ceiling: the machine may be shared, so each run's
    // ceiling is measured right before it, both in this thread's CPU time (which other
    // processes do not inflate), and the share is the median of the runs' shares.
    let mut aes_ceilings = Vec::new();
    #[cfg(feature = "aws-lc-rs")]
    let mut aws_lc_ceilings = Vec::new();
    // Throughput.
    let mut throughput = |msg: usize, buffer: usize| {
        let mut r = Rates::default();
        // MB/s of one transfer: wall time, thread CPU time.
        let rate = |transfer: &mut dyn FnMut()| {
            let (wall, cpu) = (Clock::Wall.now(), Clock::ThreadCpu.now());
            transfer();
            let mbs = |s: f64| TOTAL as f64 / s / 1e6;
            (
                mbs(Clock::Wall.now() - wall),
                mbs(Clock::ThreadCpu.now() - cpu),
            )
        };
        for _ in 0..5 {
            let aes = ceilings::aes_gcm_seal_open_mbs_on(Clock::ThreadCpu);
            aes_ceilings.push(aes);
            #[cfg(feature = "aws-lc-rs")]
            let aws_lc = ceilings::aws_lc_aes_gcm_seal_open_mbs_on(Clock::ThreadCpu);
            #[cfg(feature = "aws-lc-rs")]
            aws_lc_ceilings.push(aws_lc);
            seed += 1;
            let mut p = sansrtc_side::Pair::new(Some(&ctx), seed, now);
            let (ours, ours_cpu) = rate(&mut || p.transfer(TOTAL, msg, buffer));
            let mut q = str0m_side::Pair::new(now);
            let (theirs, theirs_cpu) = rate(&mut || q.transfer(TOTAL, msg, buffer));
            r.mbs.push((ours, theirs));
            r.aes_share.push((ours_cpu / aes, theirs_cpu / aes));
            r.cpu.push((ours_cpu, theirs_cpu));
            r.aes.push(aes);
            #[cfg(feature = "aws-lc-rs")]
            r.aws_lc_share
                .push((ours_cpu / aws_lc, theirs_cpu / aws_lc));
        }
        r
    };
    for msg in [1024usize, 16 << 10] {
        let r = throughput(msg, 1 << 20);
        let what = format!("throughput, {} KiB messages, 1 MiB buffered", msg >> 10);
        let (o, s) = Rates::median(&r.mbs);
        t.both(&what, "MB/s", o, s, 0);
        let (o, s) = Rates::median(&r.aes_share);
        t.both(
            &format!("{what}, share of the RustCrypto AES-128-GCM seal+open ceiling, CPU time"),
            "%",
            100.0 * o,
            100.0 * s,
            1,
        );
        // The same from each stack's least disturbed run and the least disturbed ceiling: a
        // neighbour on a shared machine only ever slows a run down, so the best of the runs
        // estimates the undisturbed figure (both figures are printed; the median is above).
        let best = r.aes.iter().copied().fold(0.0, f64::max);
        let (o, s) = r
            .cpu
            .iter()
            .fold((0.0f64, 0.0f64), |(o, s), &(a, b)| (o.max(a), s.max(b)));
        t.both(
            &format!("{what}, best run against the best RustCrypto ceiling, CPU time"),
            "%",
            100.0 * o / best,
            100.0 * s / best,
            1,
        );
        #[cfg(feature = "aws-lc-rs")]
        {
            let (o, s) = Rates::median(&r.aws_lc_share);
            t.both(
                &format!("{what}, share of the aws-lc AES-128-GCM seal+open ceiling, CPU time"),
                "%",
                100.0 * o,
                100.0 * s,
                1,
            );
        }
    }
    for buffer in [64usize << 10, 256 << 10, 4 << 20] {
        let (o, s) = Rates::median(&throughput(16 << 10, buffer).mbs);
        t.both(
            &format!("throughput, 16 KiB messages, {} KiB buffered", buffer >> 10),
            "MB/s",
            o,
            s,
            0,
        );
    }

    // poll_timeout against the number of channels.
    for channels in [1usize, 1024] {
        seed += 1;
        let mut p = sansrtc_side::Pair::new(Some(&ctx), seed, now);
        for i in 1..channels {
            p.a.create_data_channel(&format!("c{i}"), ChannelOptions::default())
                .unwrap();
        }
        for _ in 0..200 {
            p.step();
        }
        let peer: &Peer = &p.a;
        let ns = ns_per(1_000_000, &mut || {
            black_box(black_box(peer).poll_timeout());
        });
        let what = if channels == 1 { "channel" } else { "channels" };
        t.ours(&format!("poll_timeout with {channels} {what}"), "ns", ns, 1);
    }

    // Scale: each stack in a child process of its own, so that one's freed memory does not
    // lower the other's resident figure.
    let peers: usize = std::env::var("HEADLINE_PEERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let ours = scale_child("sansrtc", peers);
    let theirs = scale_child("str0m", peers);
    let n = ours.peers as f64;
    t.both(
        &format!("heap per idle established peer, {} peers", ours.peers),
        "KiB",
        ours.heap / n / 1024.0,
        theirs.heap / n / 1024.0,
        1,
    );
    t.both(
        &format!(
            "malloc in use per idle established peer, {} peers",
            ours.peers
        ),
        "KiB",
        ours.rss / n / 1024.0,
        theirs.rss / n / 1024.0,
        1,
    );
    let per_idle = |s: &Scale| s.idle_cpu * 1e6 / s.peers as f64 / s.idle_secs;
    t.both(
        "CPU per idle peer per second",
        "µs",
        per_idle(&ours),
        per_idle(&theirs),
        2,
    );
    let dgrams = |s: &Scale| s.datagrams / s.peers as f64 / s.idle_secs;
    t.both(
        "datagrams per idle peer per second",
        "",
        dgrams(&ours),
        dgrams(&theirs),
        2,
    );
    t.both(
        &format!("setting up {} peers, one thread", ours.peers),
        "s",
        ours.setup,
        theirs.setup,
        1,
    );

    // Ceilings.
    t.ours(
        "ceiling: AES-128-GCM seal+open, 1200 B (RustCrypto aes-gcm), CPU time, median of the runs",
        "MB/s",
        median(&mut aes_ceilings),
        0,
    );
    #[cfg(feature = "aws-lc-rs")]
    t.ours(
        "ceiling: AES-128-GCM seal+open, 1200 B (aws-lc), CPU time, median of the runs",
        "MB/s",
        median(&mut aws_lc_ceilings),
        0,
    );
    t.ours("ceiling: CRC32c, 1200 B", "GB/s", ceilings::crc32c_gbs(), 1);
    t.ours("ceiling: memcpy, 1200 B", "GB/s", ceilings::memcpy_gbs(), 1);
    t.print();
}

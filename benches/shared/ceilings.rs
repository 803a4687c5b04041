//! Machine ceilings: what the hardware does for the per-packet work every stack must do, to read
//! the stacks' figures against. Each returns a median of several timed runs, in wall time; the
//! AEAD ceilings also in this thread's CPU time ([`Clock::ThreadCpu`]), which other processes on
//! a shared machine do not inflate, to read a stack's CPU time against.

#![allow(dead_code)]

use std::hint::black_box;
use std::time::Instant;

/// Bytes per packet the ceilings are measured on (a full data-channel datagram).
pub const PACKET: usize = 1200;

#[allow(clippy::disallowed_methods, reason = "benchmark timing")]
fn seconds(f: &mut dyn FnMut()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

/// Median of `runs` timings of `f`.
pub fn median_seconds(runs: usize, f: &mut dyn FnMut()) -> f64 {
    median_seconds_on(Clock::Wall, runs, f)
}

/// What a timing counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Elapsed time.
    Wall,
    /// CPU time of the calling thread (64-bit Linux: `CLOCK_THREAD_CPUTIME_ID`; elsewhere wall
    /// time):
    /// time other processes hold the CPU is not counted.
    ThreadCpu,
}

impl Clock {
    /// Seconds on this clock since an arbitrary origin.
    pub fn now(self) -> f64 {
        match self {
            Self::Wall => wall_now(),
            Self::ThreadCpu => thread_cpu_now(),
        }
    }

    /// Seconds `f` takes on this clock.
    pub fn time(self, f: &mut dyn FnMut()) -> f64 {
        if self == Self::Wall {
            return seconds(f);
        }
        let t = self.now();
        f();
        self.now() - t
    }
}

#[allow(clippy::disallowed_methods, reason = "benchmark timing")]
fn wall_now() -> f64 {
    static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_secs_f64()
}

#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn thread_cpu_now() -> f64 {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec (two 64-bit fields on 64-bit Linux) through a
    // valid pointer.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn thread_cpu_now() -> f64 {
    wall_now()
}

/// Median of `runs` timings of `f` on `clock`.
pub fn median_seconds_on(clock: Clock, runs: usize, f: &mut dyn FnMut()) -> f64 {
    let mut v: Vec<f64> = (0..runs).map(|_| clock.time(f)).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// AES-128-GCM seal + open of one packet in place (RustCrypto's `aes-gcm`: the AEAD of our default
/// DTLS backend and of dimpl's rust-crypto provider), MB/s of packets through both.
pub fn aes_gcm_seal_open_mbs() -> f64 {
    aes_gcm_seal_open_mbs_on(Clock::Wall)
}

/// [`aes_gcm_seal_open_mbs`] timed on `clock`.
pub fn aes_gcm_seal_open_mbs_on(clock: Clock) -> f64 {
    use aes_gcm::aead::KeyInit;
    let key = aes_gcm::Aes128Gcm::new_from_slice(&[7u8; 16]).unwrap();
    let mut buf = vec![0x5Au8; PACKET];
    let n = 50_000;
    let s = median_seconds_on(clock, 5, &mut || {
        for _ in 0..n {
            aes_gcm_seal_open(&key, &mut buf);
        }
    });
    (n * PACKET) as f64 / s / 1e6
}

/// AES-128-GCM seal then open of `buf` in place with a record's 13 bytes of additional data, seal
/// and open functions of their own as in a record layer.
pub fn aes_gcm_seal_open(key: &aes_gcm::Aes128Gcm, buf: &mut [u8]) {
    let nonce = [1u8; 12];
    let tag = aes_gcm_seal(key, &nonce, b"aad-13-bytes!", black_box(buf));
    aes_gcm_open(key, &nonce, b"aad-13-bytes!", buf, &tag);
}

#[inline(never)]
fn aes_gcm_seal(
    key: &aes_gcm::Aes128Gcm,
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
) -> [u8; 16] {
    use aes_gcm::aead::AeadInOut;
    key.encrypt_inout_detached(&(*nonce).into(), aad, buf.into())
        .unwrap()
        .into()
}

#[inline(never)]
fn aes_gcm_open(
    key: &aes_gcm::Aes128Gcm,
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8; 16],
) {
    use aes_gcm::aead::AeadInOut;
    key.decrypt_inout_detached(&(*nonce).into(), aad, buf.into(), &(*tag).into())
        .unwrap();
}

/// The same with aws-lc's AES-128-GCM (the `aws-lc-rs` backend's AEAD), MB/s, timed on `clock`.
#[cfg(feature = "aws-lc-rs")]
pub fn aws_lc_aes_gcm_seal_open_mbs_on(clock: Clock) -> f64 {
    use aws_lc_rs::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &[7u8; 16]).unwrap());
    let nonce = || Nonce::assume_unique_for_key([1u8; 12]);
    // The packet, then room for the tag.
    let mut buf = vec![0x5Au8; PACKET + 16];
    let n = 50_000;
    let s = median_seconds_on(clock, 5, &mut || {
        for _ in 0..n {
            let tag = key
                .seal_in_place_separate_tag(
                    nonce(),
                    Aad::from(b"aad-13-bytes!"),
                    &mut buf[..PACKET],
                )
                .unwrap();
            buf[PACKET..].copy_from_slice(tag.as_ref());
            key.open_in_place(nonce(), Aad::from(b"aad-13-bytes!"), &mut buf)
                .unwrap();
        }
    });
    (n * PACKET) as f64 / s / 1e6
}

/// CRC32c (SCTP's checksum, the crate's hardware path) over one packet, GB/s.
pub fn crc32c_gbs() -> f64 {
    let buf = vec![0x5Au8; PACKET];
    let n = 500_000;
    let s = median_seconds(5, &mut || {
        for _ in 0..n {
            black_box(crc32c::crc32c(black_box(&buf)));
        }
    });
    (n * PACKET) as f64 / s / 1e9
}

/// memcpy of one packet, GB/s.
pub fn memcpy_gbs() -> f64 {
    let src = vec![1u8; PACKET];
    let mut dst = vec![0u8; PACKET];
    let n = 2_000_000;
    let s = median_seconds(5, &mut || {
        for _ in 0..n {
            dst.copy_from_slice(black_box(&src));
            black_box(&mut dst);
        }
    });
    (n * PACKET) as f64 / s / 1e9
}

#![no_main]
// The one clock read of a fuzz run: the target's protocol time starts here.
libfuzzer_sys::fuzz_target!(|data: &[u8]| sansrtc::fuzzing::two_peers(data, std::time::Instant::now()));

#![no_main]
// The one clock read of a fuzz run: the target's protocol time starts here.
libfuzzer_sys::fuzz_target!(|data: &[u8]| sansrtc::fuzzing::ice_agent(data, std::time::Instant::now()));

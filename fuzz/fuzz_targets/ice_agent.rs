#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sansrtc::fuzzing::ice_agent(data));

#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sansrtc::fuzzing::srtp_unprotect(data));

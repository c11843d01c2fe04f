//! CPU feature dispatch: the one place where quanta uses `unsafe`.
//!
//! The build targets baseline x86-64 (SSE2), so that one binary runs everywhere. A few hot
//! kernels (the block DCTs and the motion search's SATD) are
//! written as plain Rust over fixed-size rows, which the compiler vectorizes; run through
//! [`with_avx2`], the same source is compiled a second time for AVX2 (twice the vector
//! width) and that copy is used when the CPU has it. Only AVX2 is enabled, not FMA, so
//! floating-point results are bit for bit those of the baseline copy: a stream does not
//! depend on the machine that encoded it. Tests compare each dispatched kernel with its
//! body called directly (the baseline build).

/// True when the running CPU supports AVX2 (detected once, then cached by the standard
/// library).
#[inline]
pub fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Runs `kernel`, compiled for AVX2 when the CPU has it, otherwise as built. `kernel` and
/// everything it calls must be `#[inline(always)]` for the AVX2 copy to reach them.
#[inline(always)]
pub fn with_avx2<R>(kernel: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: `run_avx2` only needs the AVX2 instructions, which the CPU was just
        // found to support.
        #[allow(unsafe_code)]
        return unsafe { run_avx2(kernel) };
    }
    kernel()
}

/// `kernel` compiled with AVX2 enabled.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn run_avx2<R>(kernel: impl FnOnce() -> R) -> R {
    kernel()
}

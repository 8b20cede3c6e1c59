// OpenBLAS's own cblas.h (found through pkg-config's include path) is the only one that declares
// openblas_set_num_threads; the generic Debian cblas.h does not.
#include <cblas.h>

// A DYNAMIC_ARCH build of OpenBLAS (Debian's, for one) picks its CPU kernel when it loads; these two
// run that choice again, reading OPENBLAS_CORETYPE afresh. Weak, so that a build without DYNAMIC_ARCH,
// which lacks them, still links (and its kernel is left alone).
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

/// Whether this OpenBLAS can choose its kernel again (a DYNAMIC_ARCH build).
static inline int sac_openblas_can_choose_kernel(void) {
    return gotoblas_dynamic_init != 0 && gotoblas_dynamic_quit != 0;
}

/// Runs OpenBLAS's kernel choice again. Only safe before any product has started on any thread.
static inline void sac_openblas_choose_kernel_again(void) {
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/// The widest vector instructions this x86 CPU has and the OS has enabled, in OpenBLAS's kernel
/// families: 4 AVX-512 with BF16 (Cooperlake), 3 AVX-512 F/CD/DQ/BW/VL (SkylakeX), 2 AVX2 with FMA
/// (Haswell), 1 AVX (Sandy Bridge), 0 none of these, -1 not x86. Tests the CPUID bits and, through
/// XGETBV, that the OS saves the vector registers, as OpenBLAS's own support_avx512() does.
static inline int sac_cpu_vector_level(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const int avx = (ecx >> 28) & 1, fma = (ecx >> 12) & 1, osxsave = (ecx >> 27) & 1;
    if (!avx || !osxsave) return 0;
    unsigned int xcr0, xcr0_high;
    __asm__ volatile("xgetbv" : "=a"(xcr0), "=d"(xcr0_high) : "c"(0));
    if ((xcr0 & 0x6) != 0x6) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 1;
    const int avx2 = (ebx >> 5) & 1;
    const unsigned int avx512 = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);
    if ((ebx & avx512) == avx512 && (xcr0 & 0xe6) == 0xe6) {
        unsigned int eax1 = 0, ebx1, ecx1, edx1;
        const int bf16 = __get_cpuid_count(7, 1, &eax1, &ebx1, &ecx1, &edx1) && ((eax1 >> 5) & 1);
        return bf16 ? 4 : 3;
    }
    return avx2 && fma ? 2 : 1;
#else
    return -1;
#endif
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One build of libxxhash's XXH3, from its header, for one instruction set:
 * meson compiles this file once per variant with XXH_VECTOR (and the
 * compiler flags it needs) set, and names the function XXH3_VARIANT.
 * XXH_INLINE_ALL keeps every xxhash symbol of this copy static, apart from
 * the library the rest of kjump links. checksum.c picks among the variants
 * at run time; they all compute the same XXH3. */
#define XXH_INLINE_ALL
#include <xxhash.h>
#include <stddef.h>
#include <stdint.h>
#ifdef __AVX__
#include <immintrin.h>
#endif

uint64_t XXH3_VARIANT(const void *p, size_t n, uint64_t seed);

uint64_t XXH3_VARIANT(const void *p, size_t n, uint64_t seed) {
        uint64_t h = XXH3_64bits_withSeed(p, n, seed);
#ifdef __AVX__
        /* GCC 12 leaves the upper halves of the ymm registers dirty after
         * xxhash's AVX2 loop: SSE code run after it (the library's XXH3,
         * LZ4) would pay for that. Measured here: the library's XXH3 at 4.8
         * GB/s right after it, 21 GB/s otherwise. */
        _mm256_zeroupper();
#endif
        return h;
}

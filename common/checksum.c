/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* XXH3, from the fastest build at hand.
 *
 * libxxhash is built for the distribution's baseline: SSE2 on amd64. On a
 * CPU with AVX2, XXH3 runs about three times faster built for it (57 GB/s
 * against 20 here). Under an emulator that translates vector instructions
 * one by one (QEMU's TCG) the order turns over: the portable scalar build
 * runs at 2 GB/s, SSE2 at 0.5. So, like the kernel's RAID6 and XOR code,
 * kjump times the builds it has on this CPU once, on a small buffer, and
 * keeps the fastest. They are all the same function of their input (a
 * build that disagrees with the library on the test inputs is never
 * picked), so the choice changes the speed, never an image. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "checksum.h"
#include "macro.h"

static uint64_t xxh3_library(const void *p, size_t n, uint64_t seed) {
        return XXH3_64bits_withSeed(p, n, seed);
}

uint64_t kjump_xxh3_scalar(const void *p, size_t n, uint64_t seed);
#if KJUMP_XXH3_AVX2
uint64_t kjump_xxh3_avx2(const void *p, size_t n, uint64_t seed);

static bool cpu_has_avx2(void) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2");
}
#endif

const ChecksumVariant checksum_variants[] = {
        { "library", xxh3_library, NULL },
        { "scalar", kjump_xxh3_scalar, NULL },
#if KJUMP_XXH3_AVX2
        { "avx2", kjump_xxh3_avx2, cpu_has_avx2 },
#endif
};
const size_t n_checksum_variants = ELEMENTSOF(checksum_variants);

enum {
        PROBE_BYTES = 64 * 1024,
        PROBE_ROUNDS = 5,
};

static const ChecksumVariant *chosen = &checksum_variants[0];
static uint64_t probe_nsec[ELEMENTSOF(checksum_variants)];   /* 0: not timed */
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

static uint64_t elapsed_nsec(const struct timespec *a, const struct timespec *b) {
        return (uint64_t) (b->tv_sec - a->tv_sec) * 1000000000u + (uint64_t) b->tv_nsec - (uint64_t) a->tv_nsec;
}

static bool agrees(const ChecksumVariant *v, const uint8_t *buf) {
        /* Every path of XXH3: the short ones, the mid-size one, the
         * stripes and a partial block. */
        static const size_t lengths[] = { 0, 1, 3, 4, 8, 9, 16, 17, 128, 129, 240, 241, 1024, 1025, 4096, 65536 };

        for (size_t i = 0; i < ELEMENTSOF(lengths); i++)
                for (uint64_t seed = 0; seed < 2; seed++)
                        if (v->fn(buf + i, lengths[i], seed << 40) != XXH3_64bits_withSeed(buf + i, lengths[i], seed << 40))
                                return false;
        return true;
}

static void choose(void) {
        uint64_t best[ELEMENTSOF(checksum_variants)];
        bool ok[ELEMENTSOF(checksum_variants)];
        uint8_t *buf = malloc(PROBE_BYTES + 64);
        uint64_t x = 0x9e3779b97f4a7c15u;
        volatile uint64_t sink = 0;

        if (!buf)
                return;   /* the library's build */
        for (size_t i = 0; i < PROBE_BYTES + 64; i += 8) {
                /* splitmix64: input that looks like data, not zeros */
                uint64_t z = (x += 0x9e3779b97f4a7c15u);
                z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
                z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
                z ^= z >> 31;
                memcpy(buf + i, &z, 8);
        }
        for (size_t v = 0; v < n_checksum_variants; v++) {
                ok[v] = (!checksum_variants[v].usable || checksum_variants[v].usable()) &&
                        agrees(&checksum_variants[v], buf);
                best[v] = UINT64_MAX;
        }
        /* Rounds in turn, the best of each: a preemption spoils one
         * round of one build, not the choice. */
        for (unsigned round = 0; round < PROBE_ROUNDS; round++)
                for (size_t v = 0; v < n_checksum_variants; v++) {
                        struct timespec a, b;

                        if (!ok[v])
                                continue;
                        clock_gettime(CLOCK_MONOTONIC, &a);
                        sink ^= checksum_variants[v].fn(buf, PROBE_BYTES, round);
                        clock_gettime(CLOCK_MONOTONIC, &b);
                        best[v] = MIN(best[v], elapsed_nsec(&a, &b));
                }
        free(buf);
        for (size_t v = 0; v < n_checksum_variants; v++)
                probe_nsec[v] = ok[v] ? MAX(best[v], (uint64_t) 1) : 0;
        for (size_t v = 1; v < n_checksum_variants; v++)
                if (ok[v] && best[v] < best[chosen - checksum_variants])
                        chosen = &checksum_variants[v];
}

const ChecksumVariant *checksum_variant(void) {
        pthread_once(&chosen_once, choose);
        return chosen;
}

uint64_t checksum_variant_probe_mbps(size_t i) {
        if (i >= n_checksum_variants || probe_nsec[i] == 0)
                return 0;
        return (uint64_t) PROBE_BYTES * 1000u / probe_nsec[i];
}

uint64_t image_checksum(const void *p, size_t n, uint64_t seed) {
        return checksum_variant()->fn(p, n, seed);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdint.h>
#include <xxhash.h>

#include "checksum.h"
#include "macro.h"
#include "tests.h"

static uint8_t *random_bytes(size_t n) {
        uint8_t *b = malloc(n);
        uint64_t x = 42;

        ASSERT(b);
        for (size_t i = 0; i < n; i++) {
                x = x * 6364136223846793005u + 1442695040888963407u;
                b[i] = (uint8_t) (x >> 56);
        }
        return b;
}

static bool variant_usable(const ChecksumVariant *v) {
        return !v->usable || v->usable();
}

/* Every build this CPU runs is XXH3, byte for byte the library's, at every
 * length up to past the long-input threshold, at every alignment, with
 * seeds of all sizes, and over a whole chunk. */
TEST(variants_are_xxh3) {
        static const uint64_t seeds[] = { 0, 1, 0x100000, (uint64_t) 1 << 63 };
        const size_t big = 4 << 20;
        _cleanup_free_ uint8_t *b = random_bytes(big + 8);
        unsigned tested = 0;

        /* The reference itself: XXH3-64 of nothing, seed 0. */
        ASSERT(XXH3_64bits_withSeed("", 0, 0) == 0x2D06800538D394C2u);
        for (size_t v = 0; v < n_checksum_variants; v++) {
                const ChecksumVariant *cv = &checksum_variants[v];

                if (!variant_usable(cv)) {
                        fprintf(stderr, "checksum variant %s: not on this CPU\n", cv->name);
                        continue;
                }
                for (size_t s = 0; s < ELEMENTSOF(seeds); s++) {
                        for (size_t n = 0; n <= 2100; n++)
                                ASSERT(cv->fn(b + n % 8, n, seeds[s]) ==
                                       XXH3_64bits_withSeed(b + n % 8, n, seeds[s]));
                        ASSERT(cv->fn(b, big, seeds[s]) == XXH3_64bits_withSeed(b, big, seeds[s]));
                        ASSERT(cv->fn(b + 3, big - 5, seeds[s]) == XXH3_64bits_withSeed(b + 3, big - 5, seeds[s]));
                }
                tested++;
        }
        /* The library's build and the scalar one run everywhere. */
        ASSERT(tested >= 2);
}

TEST(chosen) {
        _cleanup_free_ uint8_t *b = random_bytes(1 << 20);
        const ChecksumVariant *c = checksum_variant();

        ASSERT(c >= checksum_variants && c < checksum_variants + n_checksum_variants);
        ASSERT(variant_usable(c));
        ASSERT(checksum_variant() == c);   /* chosen once */
        ASSERT(image_checksum(b, 1 << 20, 7) == XXH3_64bits_withSeed(b, 1 << 20, 7));
        /* It was timed, and none ran faster. */
        size_t ci = (size_t) (c - checksum_variants);
        ASSERT(checksum_variant_probe_mbps(ci) > 0);
        for (size_t v = 0; v < n_checksum_variants; v++) {
                fprintf(stderr, "XXH3 %s build: %" PRIu64 " MB/s\n", checksum_variants[v].name,
                        checksum_variant_probe_mbps(v));
                ASSERT(checksum_variant_probe_mbps(v) <= checksum_variant_probe_mbps(ci));
                ASSERT((checksum_variant_probe_mbps(v) > 0) == variant_usable(&checksum_variants[v]));
        }
        ASSERT(checksum_variant_probe_mbps(n_checksum_variants) == 0);
        fprintf(stderr, "image_checksum uses the %s build of XXH3\n", c->name);
}

int main(void) {
        test_variants_are_xxh3();
        test_chosen();
        return 0;
}

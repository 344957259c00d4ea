/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The image's checksum: XXH3-64 (libxxhash) with a seed. The first call
 * picks the fastest of the builds of XXH3 this CPU can run (checksum.c);
 * every build computes the same value. */
uint64_t image_checksum(const void *p, size_t n, uint64_t seed);

typedef uint64_t (*ChecksumFunction)(const void *p, size_t n, uint64_t seed);

typedef struct ChecksumVariant {
        const char *name;
        ChecksumFunction fn;
        bool (*usable)(void);   /* NULL: on every CPU */
} ChecksumVariant;

/* The builds of XXH3 kjump carries, for the tests. */
extern const ChecksumVariant checksum_variants[];
extern const size_t n_checksum_variants;

/* The build image_checksum() uses (picking it when none was yet). */
const ChecksumVariant *checksum_variant(void);

/* How fast checksum_variants[I] ran when the builds were timed, in MB/s
 * (0: not usable here, or not timed yet). */
uint64_t checksum_variant_probe_mbps(size_t i);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* An image target's logical space mapped onto a block device: for a file
 * target, the file's extents (from FIEMAP); for a partition, one extent.
 * All values are bytes, multiples of 4096. */
typedef struct Extent {
        uint64_t logical;
        uint64_t physical;
        uint64_t length;
} Extent;

typedef struct TargetMap {
        Extent *extents;
        size_t n;
        uint64_t size; /* the logical space: [0, size) */
} TargetMap;

void target_map_done(TargetMap *m);
int target_map_add(TargetMap *m, uint64_t logical, uint64_t physical, uint64_t length);

/* Checks that the extents are aligned, in order, cover [0, size) without
 * holes, and do not overlap on the device. */
int target_map_check(const TargetMap *m, const char **ret_error);

/* Maps LOGICAL to the device: the physical offset and the bytes that
 * follow contiguously. */
int target_map_lookup(const TargetMap *m, uint64_t logical, uint64_t *ret_physical, uint64_t *ret_length);

/* Reads or writes N bytes at LOGICAL through the map (NULL: identity).
 * With an O_DIRECT fd, BUF, N and LOGICAL must be 4096-aligned. */
int target_pread(int fd, const TargetMap *m, void *buf, size_t n, uint64_t logical);
int target_pwrite(int fd, const TargetMap *m, const void *buf, size_t n, uint64_t logical);

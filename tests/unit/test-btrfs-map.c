/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* btrfs_map_chunks() on chunk trees as BTRFS_IOC_TREE_SEARCH gives them:
 * a file's logical extents carried to the device through 'single' data
 * chunks (split where a chunk ends), every other profile refused. The
 * real chunk tree is read in the btrfs-hibernate scenario. */
#include <errno.h>
#include <linux/btrfs_tree.h>
#include <stdio.h>
#include <string.h>

#include "btrfs-map.h"
#include "macro.h"
#include "tests.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

/* A 12 MiB file in two extents: the second crosses from one data chunk
 * into the next. */
static void file_map(TargetMap *m) {
        *m = (TargetMap) { .size = 12 * MIB };
        ASSERT_OK(target_map_add(m, 0, 1 * GIB + 100 * MIB, 4 * MIB));
        ASSERT_OK(target_map_add(m, 4 * MIB, 2 * GIB - 2 * MIB, 8 * MIB));
}

TEST(single) {
        const BtrfsChunk chunks[] = {
                { .logical = 22020096, .length = 8 * MIB, .type = BTRFS_BLOCK_GROUP_SYSTEM, .num_stripes = 1,
                  .devid = 1, .physical = 20 * MIB },
                { .logical = 1 * GIB, .length = 1 * GIB, .type = BTRFS_BLOCK_GROUP_DATA, .num_stripes = 1,
                  .devid = 1, .physical = 300 * MIB },
                { .logical = 2 * GIB, .length = 1 * GIB, .type = BTRFS_BLOCK_GROUP_DATA, .num_stripes = 1,
                  .devid = 1, .physical = 5 * GIB },
        };
        _cleanup_(target_map_done) TargetMap m = {}, out = {};
        _cleanup_free_ char *why = NULL;
        uint64_t phys, len;

        file_map(&m);
        ASSERT_OK(btrfs_map_chunks(chunks, ELEMENTSOF(chunks), 1, &m, &out, &why));
        ASSERT(out.size == 12 * MIB);
        ASSERT_OK(target_map_lookup(&out, 0, &phys, &len));
        ASSERT(phys == 400 * MIB && len == 4 * MIB);
        ASSERT_OK(target_map_lookup(&out, 4 * MIB, &phys, &len));
        ASSERT(phys == 300 * MIB + 1 * GIB - 2 * MIB && len == 2 * MIB); /* the end of the first chunk */
        ASSERT_OK(target_map_lookup(&out, 6 * MIB, &phys, &len));
        ASSERT(phys == 5 * GIB && len == 6 * MIB);
}

static void refused(const BtrfsChunk *chunks, size_t n, uint64_t devid, const char *expect) {
        _cleanup_(target_map_done) TargetMap m = {}, out = {};
        _cleanup_free_ char *why = NULL;

        file_map(&m);
        ASSERT_ERR(btrfs_map_chunks(chunks, n, devid, &m, &out, &why), EOPNOTSUPP);
        if (!strstr(why, expect)) {
                fprintf(stderr, "'%s' does not say '%s'\n", why, expect);
                abort();
        }
}

TEST(refusals) {
        const BtrfsChunk dup[] = {
                { 1 * GIB, 1 * GIB, BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_DUP, 2, 1, 300 * MIB },
                { 2 * GIB, 1 * GIB, BTRFS_BLOCK_GROUP_DATA, 1, 1, 5 * GIB },
        };
        const BtrfsChunk raid1[] = {
                { 1 * GIB, 1 * GIB, BTRFS_BLOCK_GROUP_DATA, 1, 1, 300 * MIB },
                { 2 * GIB, 1 * GIB, BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_RAID1, 2, 1, 5 * GIB },
        };
        const BtrfsChunk metadata[] = {
                { 1 * GIB, 2 * GIB, BTRFS_BLOCK_GROUP_METADATA, 1, 1, 300 * MIB },
        };
        const BtrfsChunk hole[] = {
                { 1 * GIB, 1 * GIB, BTRFS_BLOCK_GROUP_DATA, 1, 1, 300 * MIB },
        };
        const BtrfsChunk other_device[] = {
                { 1 * GIB, 2 * GIB, BTRFS_BLOCK_GROUP_DATA, 1, 2, 300 * MIB },
        };
        const BtrfsChunk odd[] = {
                { 1 * GIB, 2 * GIB, BTRFS_BLOCK_GROUP_DATA, 1, 1, 300 * MIB + 512 },
        };

        refused(dup, ELEMENTSOF(dup), 1, "its btrfs data profile is DUP");
        refused(raid1, ELEMENTSOF(raid1), 1, "its btrfs data profile is RAID1");
        refused(metadata, ELEMENTSOF(metadata), 1, "not a data chunk");
        refused(hole, ELEMENTSOF(hole), 1, "no btrfs chunk holds its logical address");
        refused(other_device, ELEMENTSOF(other_device), 1, "lies on btrfs device 2");
        refused(odd, ELEMENTSOF(odd), 1, "not aligned to 4096 bytes");
}

int main(void) {
        test_single();
        test_refusals();
        return 0;
}

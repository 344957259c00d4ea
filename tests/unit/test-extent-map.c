/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Extent maps: the pure checks, and I/O through a split map. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "extent-map.h"
#include "fileio.h"
#include "macro.h"
#include "tests.h"

#define MIB (1u << 20)

TEST(map_check) {
        static const struct {
                Extent e[3];
                size_t n;
                uint64_t size;
                const char *error; /* NULL: valid */
        } cases[] = {
                { { { 0, 8192, 4096 }, { 4096, 0, 4096 } }, 2, 8192, NULL },
                { { { 0, 0, 4096 }, { 8192, 8192, 4096 } }, 2, 12288, "extents leave a hole or overlap" },
                { { { 0, 0, 8192 }, { 4096, 16384, 4096 } }, 2, 12288, "extents leave a hole or overlap" },
                { { { 0, 0, 8192 }, { 8192, 4096, 4096 } }, 2, 12288, "extents overlap on the device" },
                { { { 0, 100, 4096 } }, 1, 4096, "extent not aligned to 4096" },
                { { { 0, 0, 4096 } }, 1, 8192, "extents do not cover the whole target" },
                { {}, 0, 4096, "no extents" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                TargetMap m = { .extents = (Extent *) cases[i].e, .n = cases[i].n, .size = cases[i].size };
                const char *error = NULL;
                int r = target_map_check(&m, &error);

                if (!cases[i].error)
                        ASSERT_OK(r);
                else {
                        ASSERT_ERR(r, EINVAL);
                        ASSERT_STREQ(error, cases[i].error);
                }
        }
}

TEST(split_io) {
        _cleanup_(target_map_done) TargetMap m = {};
        char path[] = "/tmp/test-target-XXXXXX";
        uint8_t buf[3 * 4096], back[3 * 4096], raw[4096];
        uint64_t phys, len;
        int fd = mkstemp(path);

        ASSERT(fd >= 0);
        ASSERT(ftruncate(fd, 64 * 4096) == 0);
        /* Logical [0, 8K) at 40K, [8K, 16K) at 4K. */
        m.size = 16384;
        ASSERT_OK(target_map_add(&m, 0, 40960, 8192));
        ASSERT_OK(target_map_add(&m, 8192, 4096, 8192));
        ASSERT_OK(target_map_lookup(&m, 9000, &phys, &len));
        ASSERT(phys == 4096 + 808 && len == 8192 - 808);
        ASSERT_ERR(target_map_lookup(&m, 16384, &phys, &len), ERANGE);

        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (uint8_t) (i * 7);
        ASSERT_OK(target_pwrite(fd, &m, buf, sizeof(buf), 4096)); /* crosses the split */
        ASSERT_OK(target_pread(fd, &m, back, sizeof(back), 4096));
        ASSERT(memcmp(buf, back, sizeof(buf)) == 0);
        /* The second page of the write landed at logical 8K = physical 4K. */
        ASSERT_OK(pread_full(fd, raw, 4096, 4096));
        ASSERT(memcmp(raw, buf + 4096, 4096) == 0);
        ASSERT_ERR(target_pwrite(fd, &m, buf, sizeof(buf), 12288), ENOSPC);
        close(fd);
        unlink(path);
}

int main(void) {
        test_map_check();
        test_split_io();
        return 0;
}

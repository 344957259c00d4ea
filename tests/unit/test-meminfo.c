/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "macro.h"
#include "meminfo.h"
#include "tests.h"

TEST(parse) {
        MemInfo m;

        ASSERT_OK(meminfo_parse("MemTotal:        1006476 kB\nMemFree:          620000 kB\n"
                                "MemAvailable:     700000 kB\nBuffers:            1000 kB\n"
                                "Cached:            90000 kB\nSwapCached:            0 kB\n"
                                "Dirty:              8192 kB\nHugePages_Total:       0\n", &m));
        ASSERT(m.total == 1006476ull * 1024 && m.free == 620000ull * 1024 && m.available == 700000ull * 1024);
        ASSERT(m.cached == 90000ull * 1024 && m.dirty == 8192ull * 1024);
        ASSERT(meminfo_in_use(&m) == (1006476ull - 620000) * 1024);

        /* "SwapCached:" is not "Cached:", nor is a key inside a line. */
        ASSERT_OK(meminfo_parse("MemTotal: 100 kB\nSwapCached: 5 kB\n", &m));
        ASSERT(m.cached == 0);

        ASSERT_ERR(meminfo_parse("MemFree: 10 kB\n", &m), EBADMSG);
        ASSERT_ERR(meminfo_parse("MemTotal: lots kB\n", &m), EBADMSG);
        ASSERT_ERR(meminfo_parse("MemTotal: 10 MB\n", &m), EBADMSG);
        ASSERT_ERR(meminfo_parse("MemTotal: 99999999999999999 kB\n", &m), ERANGE);
        ASSERT_ERR(meminfo_parse("", &m), EBADMSG);

        /* Free beyond total (a racy read) never wraps. */
        ASSERT_OK(meminfo_parse("MemTotal: 10 kB\nMemFree: 20 kB\n", &m));
        ASSERT(meminfo_in_use(&m) == 0);
}

int main(void) {
        test_parse();
        return 0;
}

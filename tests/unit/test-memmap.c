/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "memmap.h"
#include "tests.h"

/* The map QEMU's SeaBIOS gives a 1 GiB pc guest. */
static void fake_1g(MemMap *m) {
        ASSERT_OK(memmap_add(m, 0x100000, 0x3ffe0000, "System RAM"));
        ASSERT_OK(memmap_add(m, 0x0, 0x9fc00, "System RAM"));
        ASSERT_OK(memmap_add(m, 0x9fc00, 0xa0000, "Reserved"));
        ASSERT_OK(memmap_add(m, 0xf0000, 0x100000, "Reserved"));
        ASSERT_OK(memmap_add(m, 0x3ffe0000, 0x40000000, "Reserved"));
        ASSERT_OK(memmap_add(m, 0xfffc0000, 0x100000000, "Reserved"));
}

TEST(sorted_and_totals) {
        _cleanup_(memmap_done) MemMap m = {};

        fake_1g(&m);
        ASSERT(m.n == 6);
        for (size_t i = 1; i < m.n; i++)
                ASSERT(m.entries[i - 1].range.start < m.entries[i].range.start);
        ASSERT(memmap_ram_bytes(&m) == 0x9fc00 + 0x3ffe0000 - 0x100000);
        ASSERT_ERR(memmap_add(&m, 5, 5, "System RAM"), EINVAL);
}

TEST(outside_window) {
        _cleanup_(memmap_done) MemMap m = {};
        _cleanup_free_ MemRange *r = NULL;
        size_t n;

        fake_1g(&m);
        /* A 64 MiB window at 0 swallows low memory entirely. */
        ASSERT_OK(memmap_ram_outside(&m, &(MemRange) { 0, 64u << 20 }, &r, &n));
        ASSERT(n == 1);
        ASSERT(r[0].start == 64u << 20 && r[0].end == 0x3ffe0000);
        free(TAKE_PTR(r));

        /* A window in the middle splits a range; low memory's partial page
         * (0x9fc00) is rounded inward. */
        ASSERT_OK(memmap_ram_outside(&m, &(MemRange) { 0x1000000, 0x2000000 }, &r, &n));
        ASSERT(n == 3);
        ASSERT(r[0].start == 0 && r[0].end == 0x9f000);
        ASSERT(r[1].start == 0x100000 && r[1].end == 0x1000000);
        ASSERT(r[2].start == 0x2000000 && r[2].end == 0x3ffe0000);
        ASSERT(ranges_bytes(r, n) == 0x9f000 + 0xf00000 + 0x3dfe0000);
}

TEST(equal) {
        _cleanup_(memmap_done) MemMap a = {}, b = {};

        fake_1g(&a);
        fake_1g(&b);
        ASSERT(memmap_equal(&a, &b));
        b.entries[1].range.end -= 4096;
        ASSERT(!memmap_equal(&a, &b));
}

static void write_entry(const char *dir, int i, const char *start, const char *end, const char *type) {
        char p[512];
        FILE *f;

        snprintf(p, sizeof(p), "%s/%d", dir, i);
        ASSERT(mkdir(p, 0755) == 0);
        const char *names[] = { "start", "end", "type" }, *values[] = { start, end, type };
        for (int k = 0; k < 3; k++) {
                snprintf(p, sizeof(p), "%s/%d/%s", dir, i, names[k]);
                f = fopen(p, "we");
                ASSERT(f);
                fprintf(f, "%s\n", values[k]);
                fclose(f);
        }
}

TEST(read_sysfs) {
        char dir[] = "/tmp/test-memmap-XXXXXX";
        _cleanup_(memmap_done) MemMap m = {};
        char cmd[600];

        ASSERT(mkdtemp(dir));
        write_entry(dir, 0, "0x0", "0x9fbff", "System RAM");
        write_entry(dir, 1, "0x100000", "0x3ffdffff", "System RAM");
        write_entry(dir, 2, "0xfffc0000", "0xffffffff", "Reserved");
        ASSERT_OK(memmap_read_sysfs(dir, &m));
        ASSERT(m.n == 3);
        ASSERT(m.entries[1].range.start == 0x100000 && m.entries[1].range.end == 0x3ffe0000);
        ASSERT(m.entries[2].type == MEM_RESERVED);
        memmap_done(&m);

        write_entry(dir, 3, "0x40000000", "zzz", "System RAM");
        ASSERT_ERR(memmap_read_sysfs(dir, &m), EINVAL);

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        ASSERT(system(cmd) == 0);
}

TEST(park_cmdline) {
        _cleanup_(memmap_done) MemMap m = {}, empty = {};
        _cleanup_free_ char *c = NULL;

        fake_1g(&m);
        /* The window's RAM as RAM (page 0 and the partial page at 0x9fc00
         * left out), A's RAM above it as ACPI data: the field notes' 1 GiB
         * guest, 982912K#65536K. */
        ASSERT_OK(memmap_park_cmdline(&m, &(MemRange) { 0, 64u << 20 }, &c));
        ASSERT_STREQ(c, "memmap=exactmap memmap=632K@4K memmap=64512K@1024K memmap=982912K#65536K");
        free(TAKE_PTR(c));
        /* A window in the middle: A's RAM on both sides is ACPI data. */
        ASSERT_OK(memmap_park_cmdline(&m, &(MemRange) { 0x1000000, 0x2000000 }, &c));
        ASSERT_STREQ(c, "memmap=exactmap memmap=16384K@16384K memmap=636K#0K memmap=15360K#1024K "
                        "memmap=1015680K#32768K");
        free(TAKE_PTR(c));
        /* No RAM in the window. */
        ASSERT_ERR(memmap_park_cmdline(&m, &(MemRange) { 0xfffc0000, 0x100000000 }, &c), EINVAL);
        ASSERT_ERR(memmap_park_cmdline(&empty, &(MemRange) { 0, 64u << 20 }, &c), EINVAL);
}

int main(void) {
        test_park_cmdline();
        test_sorted_and_totals();
        test_outside_window();
        test_equal();
        test_read_sysfs();
        return 0;
}

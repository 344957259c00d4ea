/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cpio.h"
#include "kexec.h"
#include "macro.h"
#include "tests.h"

/* Walks a newc archive the way the kernel does and checks its entries. */
static size_t walk(const uint8_t *p, size_t size, const char *names[], size_t max) {
        size_t off = 0, n = 0;

        for (;;) {
                unsigned v[13];
                char hdr[111];

                ASSERT(off + 110 <= size);
                ASSERT(off % 4 == 0);
                memcpy(hdr, p + off, 110);
                hdr[110] = 0;
                ASSERT(memcmp(hdr, "070701", 6) == 0);
                for (int i = 0; i < 13; i++) {
                        char f[9] = {};
                        memcpy(f, hdr + 6 + 8 * i, 8);
                        v[i] = strtoul(f, NULL, 16);
                }
                const char *name = (const char *) p + off + 110;
                ASSERT(name[v[11] - 1] == 0);
                off = ALIGN_TO(off + 110 + v[11], (size_t) 4);
                off = ALIGN_TO(off + v[6], (size_t) 4);
                if (strcmp(name, "TRAILER!!!") == 0)
                        break;
                ASSERT(n < max);
                names[n++] = name;
        }
        ASSERT(off == size);
        return n;
}

TEST(archive) {
        _cleanup_(cpio_done) Cpio c = {};
        const char *names[8];

        ASSERT_OK(cpio_add_dir(&c, "/dev", 0755));
        ASSERT_OK(cpio_add_char_device(&c, "/dev/console", 0600, 5, 1));
        ASSERT_OK(cpio_add_file(&c, "/init", 0755, "abc", 3));
        ASSERT_OK(cpio_finish(&c));
        ASSERT(walk(c.data, c.size, names, ELEMENTSOF(names)) == 3);
        ASSERT_STREQ(names[0], "dev");
        ASSERT_STREQ(names[1], "dev/console");
        ASSERT_STREQ(names[2], "init");
}

TEST(params_archive) {
        _cleanup_(helper_params_done) HelperParams p = { .mode = HELPER_MODE_ROUNDTRIP,
                                                         .window = { 0, 64u << 20 } };
        _cleanup_free_ void *a = NULL;
        const char *names[8];
        size_t size;

        ASSERT_OK(memmap_add(&p.firmware, 0, 0x40000000, "System RAM"));
        ASSERT_OK(helper_params_archive(&p, &a, &size));
        ASSERT(walk(a, size, names, ELEMENTSOF(names)) == 2);
        ASSERT_STREQ(names[1], "kjump/params");
}

TEST(helper_cmdline) {
        _cleanup_free_ char *s = NULL, *t = NULL;

        ASSERT_OK(helper_cmdline(" root=/dev/vda console=tty0 quiet console=ttyS0,115200 xconsole=bad "
                                 "loglevel=4 quietly", NULL, &s));
        ASSERT_STREQ(s, "nokaslr panic=10 console=tty0 quiet console=ttyS0,115200 loglevel=4");
        ASSERT_OK(helper_cmdline("", "loglevel=7", &t));
        ASSERT_STREQ(t, "nokaslr panic=10 loglevel=7");
}

int main(void) {
        test_archive();
        test_params_archive();
        test_helper_cmdline();
        return 0;
}

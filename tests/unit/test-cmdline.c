/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cmdline.h"
#include "fileio.h"
#include "macro.h"
#include "tests.h"

TEST(get_value) {
        static const struct {
                const char *cmdline, *key, *value; /* value NULL: not found */
        } cases[] = {
                { "console=ttyS0 kexec_jump_back_entry=0x100000f2", "kexec_jump_back_entry", "0x100000f2" },
                { "a=1 a=2", "a", "2" },                    /* last one wins */
                { "ab=1", "a", NULL },                      /* prefix is not a match */
                { "xa=1", "a", NULL },
                { "kjump.noresume quiet", "kjump.noresume", "" },
                { "root=/dev/vda  rw\n", "rw", "" },
                { "x=\"a b\" y=2", "x", "a b" },            /* quotes honoured */
                { "x=\"a b\" y=2", "y", "2" },
                { "", "a", NULL },
                { "a=", "a", "" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *v = NULL;
                int r = cmdline_get_value(cases[i].cmdline, cases[i].key, &v);
                ASSERT_OK(r);
                if (!cases[i].value)
                        ASSERT(r == 0 && !v);
                else {
                        ASSERT(r == 1);
                        ASSERT_STREQ(v, cases[i].value);
                }
        }
        ASSERT(cmdline_has_key("quiet kjump.noresume", "kjump.noresume"));
        ASSERT(!cmdline_has_key("quiet kjump.noresume=", "kjump"));
}

TEST(remove_keys) {
        static const char *const keys[] = { "kexec_jump_back_entry", "elfcorehdr", NULL };
        _cleanup_free_ char *s = NULL;

        ASSERT_OK(cmdline_remove_keys("console=ttyS0 elfcorehdr=0x1000  nokaslr kexec_jump_back_entry=0x1 x",
                                      keys, &s));
        ASSERT_STREQ(s, "console=ttyS0 nokaslr x");
}

TEST(remove_memmap_data) {
        _cleanup_free_ char *s = NULL;

        /* A parked helper's line, as its restore records it. */
        ASSERT_OK(cmdline_remove_memmap_data("nokaslr memmap=exactmap memmap=632K@4K memmap=64512K@1024K "
                                             "memmap=982912K#65536K quiet memmap=4K#0x100000000", &s));
        ASSERT_STREQ(s, "nokaslr memmap=exactmap memmap=632K@4K memmap=64512K@1024K quiet");
        free(TAKE_PTR(s));
        ASSERT_OK(cmdline_remove_memmap_data("", &s));
        ASSERT_STREQ(s, "");
        free(TAKE_PTR(s));
        ASSERT_OK(cmdline_remove_memmap_data("console=ttyS0,115200#x memmap=1M$2M", &s));
        ASSERT_STREQ(s, "console=ttyS0,115200#x memmap=1M$2M");
}

int main(void) {
        test_remove_memmap_data();
        test_get_value();
        test_remove_keys();
        return 0;
}

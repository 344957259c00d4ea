/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the loader builds for the helper: its command line and the
 * parameter archive appended to its initrd. */
#include <stdio.h>
#include <string.h>

#include "cpio-walk.h"
#include "kexec-load.h"
#include "macro.h"
#include "tests.h"

TEST(params_archive) {
        _cleanup_(helper_params_done) HelperParams p = { .mode = HELPER_MODE_ROUNDTRIP,
                                                         .window = { 0, 64u << 20 } };
        _cleanup_free_ void *a = NULL;
        const char *names[8];
        size_t size;

        ASSERT_OK(memmap_add(&p.firmware, 0, 0x40000000, "System RAM"));
        ASSERT_OK(helper_params_archive(&p, &a, &size));
        ASSERT(cpio_walk(a, size, names, ELEMENTSOF(names)) == 2);
        ASSERT_STREQ(names[1], "kjump/params");

        /* The helper gets its parameters sealed, and they unseal. */
        const char *start = memmem(a, size, "kjump-params ", 13), *seal;
        ASSERT(start);
        seal = memmem(start, size - (size_t) (start - (const char *) a), "\nchecksum xxh3-128 ", 19);
        ASSERT(seal);
        _cleanup_free_ char *text = strndup(start, (size_t) (seal - start) + 19 + 32 + 1);
        const char *why = NULL;
        ASSERT(text);
        ASSERT_OK(helper_params_unseal(text, &why));
        ASSERT(strstr(text, "mode roundtrip\n"));
}

TEST(helper_cmdline) {
        _cleanup_free_ char *s = NULL, *t = NULL;

        ASSERT_OK(helper_cmdline(" root=/dev/vda console=tty0 quiet console=ttyS0,115200 xconsole=bad "
                                 "loglevel=4 quietly", NULL, &s));
        ASSERT_STREQ(s, "nokaslr panic=10 clearcpuid=monitor quiet console=tty0 console=ttyS0,115200 loglevel=4");
        ASSERT_OK(helper_cmdline("", "loglevel=7", &t));
        ASSERT_STREQ(t, "nokaslr panic=10 clearcpuid=monitor quiet loglevel=7");
}

int main(void) {
        test_params_archive();
        test_helper_cmdline();
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cpio.h"
#include "macro.h"
#include "cpio-walk.h"
#include "tests.h"

TEST(archive) {
        _cleanup_(cpio_done) Cpio c = {};
        const char *names[8];

        ASSERT_OK(cpio_add_dir(&c, "/dev", 0755));
        ASSERT_OK(cpio_add_char_device(&c, "/dev/console", 0600, 5, 1));
        ASSERT_OK(cpio_add_file(&c, "/init", 0755, "abc", 3));
        ASSERT_OK(cpio_finish(&c));
        ASSERT(cpio_walk(c.data, c.size, names, ELEMENTSOF(names)) == 3);
        ASSERT_STREQ(names[0], "dev");
        ASSERT_STREQ(names[1], "dev/console");
        ASSERT_STREQ(names[2], "init");
}

int main(void) {
        test_archive();
        return 0;
}

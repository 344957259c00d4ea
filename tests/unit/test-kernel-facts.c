/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>

#include "kernel-facts.h"
#include "macro.h"
#include "tests.h"

TEST(versions) {
        unsigned a, b, c;

        ASSERT_OK(kernel_version_parse("6.12.117+deb13-amd64", &a, &b, &c));
        ASSERT(a == 6 && b == 12 && c == 117);
        ASSERT_OK(kernel_version_parse("6.13-rc1", &a, &b, &c));
        ASSERT(a == 6 && b == 13 && c == 0);
        ASSERT_ERR(kernel_version_parse("linux", &a, &b, &c), EINVAL);
}

TEST(gdt_fix) {
        static const struct {
                const char *release;
                bool fixed;
        } table[] = {
                { "6.13.0", true }, { "6.14.2-arch1-1", true }, { "7.0.0", true },
                { "6.12.5", true }, { "6.12.117", true }, { "6.12.4", false }, { "6.12.0-rc7", false },
                { "6.6.66", true }, { "6.6.65-1-lts", false }, { "6.8.0-48-generic", false },
                { "6.1.0-28-amd64", false }, { "5.15.0-125-generic", false }, { "5.14.0-503.el9.x86_64", false },
        };
        const char *backports = "# comment\n\n5.15.0-9*-generic   # seen in a changelog\n";

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (kernel_has_gdt_fix(table[i].release, NULL) != table[i].fixed) {
                        fprintf(stderr, "%s: expected %s\n", table[i].release, table[i].fixed ? "fixed" : "not fixed");
                        abort();
                }
        ASSERT(kernel_has_gdt_fix("5.15.0-91-generic", backports));
        ASSERT(!kernel_has_gdt_fix("5.15.0-125-generic", backports));
}

TEST(config) {
        const char *text = "# comment\nCONFIG_KEXEC=y\n# CONFIG_KEXEC_JUMP is not set\nCONFIG_HZ=250\nCONFIG_KEXEC_FILE=y\n";

        ASSERT_STREQ(kernel_config_get(text, "CONFIG_KEXEC"), "y");
        ASSERT(kernel_config_get(text, "CONFIG_KEXEC_JUMP") == NULL);
        ASSERT_STREQ(kernel_config_get(text, "CONFIG_HZ"), "250");
        ASSERT(kernel_config_get(text, "CONFIG_HIBERNATION") == NULL);
}

int main(void) {
        test_versions();
        test_gdt_fix();
        test_config();
        return 0;
}

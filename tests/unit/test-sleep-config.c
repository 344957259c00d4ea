/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "sleep-config.h"
#include "tests.h"

static char root[] = "/tmp/test-sleep-config-XXXXXX";

static void put(const char *rel, const char *text) {
        char cmd[512];
        FILE *f;

        snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname %s%s)\"", root, rel);
        ASSERT(system(cmd) == 0);
        snprintf(cmd, sizeof(cmd), "%s%s", root, rel);
        f = fopen(cmd, "we");
        ASSERT(f && fputs(text, f) >= 0 && fclose(f) == 0);
}

static HibernateAfter after(bool *platform) {
        HibernateAfter a;

        ASSERT_OK(sleep_config_hibernate_after(root, &a, platform));
        return a;
}

TEST(modes) {
        bool platform;

        /* Nothing configured: systemd's default "platform shutdown". */
        ASSERT(after(&platform) == HIBERNATE_AFTER_POWEROFF && platform);

        put("/etc/systemd/sleep.conf", "[Sleep]\n#HibernateMode=reboot\nHibernateMode=shutdown\n");
        ASSERT(after(&platform) == HIBERNATE_AFTER_POWEROFF && !platform);

        /* A drop-in overrides; one in /etc hides the same name in /usr/lib. */
        put("/usr/lib/systemd/sleep.conf.d/50-x.conf", "[Sleep]\nHibernateMode=reboot\n");
        ASSERT(after(&platform) == HIBERNATE_AFTER_REBOOT);
        put("/etc/systemd/sleep.conf.d/50-x.conf", "[Sleep]\nHibernateMode=shutdown reboot\n");
        ASSERT(after(&platform) == HIBERNATE_AFTER_POWEROFF && !platform);

        /* Lexical order across directories: 60 after 50. */
        put("/run/systemd/sleep.conf.d/60-y.conf", "[Other]\nHibernateMode=shutdown\n[Sleep]\nHibernateMode=reboot platform\n");
        ASSERT(after(&platform) == HIBERNATE_AFTER_REBOOT);
        put("/run/systemd/sleep.conf.d/60-y.conf", "[Sleep]\nHibernateMode=platform\n");
        ASSERT(after(&platform) == HIBERNATE_AFTER_POWEROFF && platform);
}

int main(void) {
        char cmd[128];

        ASSERT(mkdtemp(root));
        test_modes();
        snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
        ASSERT(system(cmd) == 0);
        return 0;
}

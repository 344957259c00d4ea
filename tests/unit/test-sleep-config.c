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

static HelperAfter after(bool *platform) {
        SleepConfig c;

        ASSERT_OK(sleep_config_load(root, &c));
        *platform = c.platform_requested;
        return c.hibernate_after;
}

TEST(modes) {
        bool platform;

        /* Nothing configured: systemd's default "platform shutdown". */
        ASSERT(after(&platform) == HELPER_AFTER_POWEROFF && platform);

        put("/etc/systemd/sleep.conf", "[Sleep]\n#HibernateMode=reboot\nHibernateMode=shutdown\n");
        ASSERT(after(&platform) == HELPER_AFTER_POWEROFF && !platform);

        /* A drop-in overrides; one in /etc hides the same name in /usr/lib. */
        put("/usr/lib/systemd/sleep.conf.d/50-x.conf", "[Sleep]\nHibernateMode=reboot\n");
        ASSERT(after(&platform) == HELPER_AFTER_REBOOT);
        put("/etc/systemd/sleep.conf.d/50-x.conf", "[Sleep]\nHibernateMode=shutdown reboot\n");
        ASSERT(after(&platform) == HELPER_AFTER_POWEROFF && !platform);

        /* Lexical order across directories: 60 after 50. */
        put("/run/systemd/sleep.conf.d/60-y.conf", "[Other]\nHibernateMode=shutdown\n[Sleep]\nHibernateMode=reboot platform\n");
        ASSERT(after(&platform) == HELPER_AFTER_REBOOT);
        put("/run/systemd/sleep.conf.d/60-y.conf", "[Sleep]\nHibernateMode=platform\n");
        ASSERT(after(&platform) == HELPER_AFTER_POWEROFF && platform);
}

TEST(suspend_then_hibernate) {
        SleepConfig c;

        /* Defaults: 2 h, estimation every hour, hibernate on AC too. */
        ASSERT_OK(sleep_config_load(root, &c));
        ASSERT(c.hibernate_delay_usec == SLEEP_HIBERNATE_DELAY_DEFAULT_USEC);
        ASSERT(c.suspend_estimation_usec == SLEEP_SUSPEND_ESTIMATION_DEFAULT_USEC);
        ASSERT(c.hibernate_on_ac_power);

        put("/etc/systemd/sleep.conf.d/70-sth.conf",
            "[Sleep]\nHibernateDelaySec=1h 30min\nSuspendEstimationSec=20m\nHibernateOnACPower=no\n");
        ASSERT_OK(sleep_config_load(root, &c));
        ASSERT(c.hibernate_delay_usec == UINT64_C(5400) * 1000000);
        ASSERT(c.suspend_estimation_usec == UINT64_C(1200) * 1000000);
        ASSERT(!c.hibernate_on_ac_power);

        /* A bare number is seconds; an assignment that does not parse is
         * ignored, the one before it stays, as in systemd. */
        put("/etc/systemd/sleep.conf.d/80-sth.conf",
            "[Sleep]\nHibernateDelaySec=45\nSuspendEstimationSec=soon\nHibernateOnACPower=maybe\n");
        ASSERT_OK(sleep_config_load(root, &c));
        ASSERT(c.hibernate_delay_usec == UINT64_C(45) * 1000000);
        ASSERT(c.suspend_estimation_usec == UINT64_C(1200) * 1000000);
        ASSERT(!c.hibernate_on_ac_power);
}

int main(void) {
        char cmd[128];

        ASSERT(mkdtemp(root));
        test_suspend_then_hibernate();
        test_modes();
        snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
        ASSERT(system(cmd) == 0);
        return 0;
}

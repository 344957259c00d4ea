/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* power_supplies_read() on fake /sys/class/power_supply trees. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "power-supply.h"
#include "tests.h"

static char root[] = "/tmp/test-power-supply-XXXXXX";

static void put(const char *supply, const char *attr, const char *value) {
        char path[512], cmd[600];
        FILE *f;

        snprintf(path, sizeof(path), "%s/sys/class/power_supply/%s", root, supply);
        snprintf(cmd, sizeof(cmd), "mkdir -p %s", path);
        ASSERT(system(cmd) == 0);
        snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", attr);
        f = fopen(path, "we");
        ASSERT(f && fprintf(f, "%s\n", value) > 0 && fclose(f) == 0);
}

TEST(supplies) {
        PowerSupplies ps;

        /* A desktop or a VM: no supplies at all is AC power. */
        ASSERT_OK(power_supplies_read(root, &ps));
        ASSERT(!ps.has_battery && ps.on_ac && ps.capacity == -1);

        /* A laptop on battery, with a wireless mouse's battery that does
         * not count. */
        put("AC", "type", "Mains");
        put("AC", "online", "0");
        put("BAT0", "type", "Battery");
        put("BAT0", "present", "1");
        put("BAT0", "capacity", "42");
        put("hidpp_battery_0", "type", "Battery");
        put("hidpp_battery_0", "scope", "Device");
        put("hidpp_battery_0", "capacity", "3");
        ASSERT_OK(power_supplies_read(root, &ps));
        ASSERT(ps.has_battery && !ps.on_ac && ps.capacity == 42);

        /* Two batteries: the lower one; plugged in. */
        put("BAT1", "type", "Battery");
        put("BAT1", "capacity", "4");
        put("AC", "online", "1");
        ASSERT_OK(power_supplies_read(root, &ps));
        ASSERT(ps.has_battery && ps.on_ac && ps.capacity == 4);

        /* An empty bay is no battery. */
        put("BAT1", "present", "0");
        ASSERT_OK(power_supplies_read(root, &ps));
        ASSERT(ps.capacity == 42);
}

int main(void) {
        char cmd[128];

        ASSERT(mkdtemp(root));
        test_supplies();
        snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
        ASSERT(system(cmd) == 0);
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "macro.h"
#include "power-supply.h"

static bool attr_is(const char *base, const char *supply, const char *name, const char *value) {
        _cleanup_free_ char *v = NULL;

        return read_one_line_at(base, supply, name, &v) >= 0 && strcmp(v, value) == 0;
}

int power_supplies_read(const char *root, PowerSupplies *ret) {
        _cleanup_free_ char *base = NULL;
        bool ac_online = false;
        DIR *d;
        struct dirent *de;

        *ret = (PowerSupplies) { .capacity = -1 };
        if (asprintf(&base, "%s/sys/class/power_supply", streq_ptr(root, "/") ? "" : root) < 0)
                return -ENOMEM;
        d = opendir(base);
        if (!d) {
                ret->on_ac = true;
                return errno == ENOENT ? 0 : negative_errno();
        }
        while ((de = readdir(d))) {
                _cleanup_free_ char *capacity = NULL;
                const char *n = de->d_name;
                uint64_t c;

                if (n[0] == '.')
                        continue;
                if (attr_is(base, n, "type", "Mains") || attr_is(base, n, "type", "USB")) {
                        if (attr_is(base, n, "online", "1"))
                                ac_online = true;
                        continue;
                }
                if (!attr_is(base, n, "type", "Battery") || attr_is(base, n, "scope", "Device") ||
                    attr_is(base, n, "present", "0"))
                        continue;
                ret->has_battery = true;
                if (read_one_line_at(base, n, "capacity", &capacity) >= 0 && parse_u64(capacity, &c) >= 0 &&
                    c <= 100 && (ret->capacity < 0 || (int) c < ret->capacity))
                        ret->capacity = (int) c;
        }
        closedir(d);
        ret->on_ac = ac_online || !ret->has_battery;
        return 0;
}

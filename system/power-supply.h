/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* The machine's power supplies, from ROOT/sys/class/power_supply ("/" for
 * this system), as suspend-then-hibernate needs them. */
typedef struct PowerSupplies {
        bool has_battery;   /* a system battery is present (not a mouse's: scope=Device) */
        int capacity;       /* the lowest battery's charge in percent, -1 when unknown */
        bool on_ac;         /* an AC (Mains, USB) supply is online, or there is no battery */
} PowerSupplies;

int power_supplies_read(const char *root, PowerSupplies *ret);

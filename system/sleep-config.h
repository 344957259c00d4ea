/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "helper-params.h"

/* What systemd's sleep.conf (and its drop-ins) asks of a hibernation,
 * read the way systemd-sleep reads it: /etc/systemd/sleep.conf, then
 * sleep.conf.d/[wildcard].conf from /etc, /run and /usr/lib (a file in an
 * earlier directory hides one of the same name in a later one), in
 * lexical order, the last assignment winning. A value that does not parse
 * is ignored with the default kept, as systemd does. */
typedef struct SleepConfig {
        /* HibernateMode= is a list tried in order; kjump takes the first
         * mode it can do: "reboot" and "shutdown" as such; "platform"
         * (ACPI S4, entered by the firmware) the helper cannot enter, so it
         * powers off instead and platform_requested says so, for the
         * caller to log. The default ("platform shutdown") powers off. */
        HelperAfter hibernate_after;
        bool platform_requested;
        /* suspend-then-hibernate: how long to stay suspended before
         * hibernating (HibernateDelaySec=, default 2 h), how often to wake
         * and look at the battery meanwhile when there is one
         * (SuspendEstimationSec=, default 1 h), and whether to hibernate
         * on AC power at all (HibernateOnACPower=, default yes). */
        uint64_t hibernate_delay_usec;
        uint64_t suspend_estimation_usec;
        bool hibernate_on_ac_power;
} SleepConfig;

#define SLEEP_HIBERNATE_DELAY_DEFAULT_USEC (UINT64_C(2) * 3600 * 1000000)
#define SLEEP_SUSPEND_ESTIMATION_DEFAULT_USEC (UINT64_C(3600) * 1000000)

/* ROOT: "/" or a test tree. */
int sleep_config_load(const char *root, SleepConfig *ret);

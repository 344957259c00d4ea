/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* What systemd's sleep.conf (and its drop-ins) asks of a hibernation,
 * read the way systemd-sleep reads it: /etc/systemd/sleep.conf, then
 * sleep.conf.d/[wildcard].conf from /etc, /run and /usr/lib (a file in an
 * earlier directory hides one of the same name in a later one), in
 * lexical order, the last assignment winning. ROOT: "/" or a test tree. */
typedef enum HibernateAfter {
        HIBERNATE_AFTER_POWEROFF,  /* HibernateMode=shutdown, and platform (see below) */
        HIBERNATE_AFTER_REBOOT,    /* HibernateMode=reboot */
} HibernateAfter;

/* HibernateMode= is a list tried in order; kjump takes the first mode it
 * can do: "reboot" and "shutdown" as such; "platform" (ACPI S4, entered by
 * the firmware) the helper cannot enter, so it powers off instead and
 * *ret_platform says so, for the caller to log. The default ("platform
 * shutdown") powers off. */
int sleep_config_hibernate_after(const char *root, HibernateAfter *ret, bool *ret_platform);

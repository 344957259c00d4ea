/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Finds KEY=value in a kernel command line and returns a copy of the
 * value (the last occurrence wins, as in the kernel). Quotes are honoured.
 * Returns 1 if found, 0 if not, -errno on failure. A bare "KEY" yields
 * an empty value. */
int cmdline_get_value(const char *cmdline, const char *key, char **ret);

/* True when KEY appears alone or as KEY=... on the command line. */
bool cmdline_has_key(const char *cmdline, const char *key);

/* Returns a copy of CMDLINE with every word whose key is one of KEYS
 * (NULL-terminated) removed. */
int cmdline_remove_keys(const char *cmdline, const char *const *keys, char **ret);

/* Returns a copy of CMDLINE without its memmap=SIZE#START words (ranges
 * given as ACPI data: a parked helper's view of A's RAM). */
int cmdline_remove_memmap_data(const char *cmdline, char **ret);

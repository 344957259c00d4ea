/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "conf.h"

/* Everything that stands between this system and a hibernation, each as a
 * sentence. Returns the number of problems (0: hibernation is possible),
 * and the sentences in *ret (NULL-terminated, free with strv_free). */
int kjump_check(const KjumpConfig *c, char ***ret);

/* The same, reading /proc and /sys below ROOT ("/" for this system). Below
 * another root (a test's fake tree) nothing is probed through a syscall,
 * and the target is not opened. */
int kjump_check_at(const char *root, const KjumpConfig *c, char ***ret);

void strv_free(char **l);

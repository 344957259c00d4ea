/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* Runs ARGV[0] (a path) with ARGV and waits for it, at most TIMEOUT_USEC:
 * then it is killed (SIGKILL) and -ETIMEDOUT returned. The child starts
 * with an empty signal mask and default dispositions, whatever the caller
 * blocked (kjumpd blocks SIGTERM for sd-event). Returns the exit status
 * (>= 0), -EPROTO when it died of a signal, or -errno. */
int spawn_wait(char *const argv[], uint64_t timeout_usec);

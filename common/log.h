/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <syslog.h>

#include "macro.h"

/* Log lines go to stderr: the tools' terminal or journal, and the console
 * for the helper's /init (messages written to /dev/kmsg from user space did
 * not reach the serial console of the helper kernel under test). */
void log_set_max_level(int level);
int log_get_max_level(void);
void log_set_prefix(const char *prefix);

/* Logs at LEVEL and returns -abs(error), so that callers can write
 * "return log_error_errno(r, "...: %m");". %m expands to strerror(error). */
int log_internal(int level, int error, const char *file, int line, const char *format, ...)
        _printf_(5, 6);

#define log_full_errno(level, error, ...) \
        log_internal((level), (error), __FILE__, __LINE__, __VA_ARGS__)
#define log_debug(...) (void) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) (void) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) (void) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) (void) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) (void) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, (e), __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, (e), __VA_ARGS__)

/* A machine-readable line for the test rig and for scripts, next to the
 * human one: "KJUMP-MARK NAME key=value ..." on stderr, always. Names and
 * keys are a stable interface (HACKING.md lists them). */
void log_mark(const char *name, const char *format, ...) _printf_(2, 3);

#define log_oom() log_error_errno(ENOMEM, "Out of memory.")

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int max_level = LOG_INFO;
static const char *prefix;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_set_prefix(const char *p) {
        prefix = p;
}

void log_mark(const char *name, const char *format, ...) {
        char buf[512] = "";
        va_list ap;

        if (format) {
                va_start(ap, format);
                vsnprintf(buf, sizeof(buf), format, ap);
                va_end(ap);
        }
        fprintf(stderr, "KJUMP-MARK %s%s%s\n", name, buf[0] ? " " : "", buf);
}

int log_internal(int level, int error, const char *file _unused_, int line _unused_,
                 const char *format, ...) {
        int saved = errno;
        int e = error < 0 ? -error : error;

        if (level <= max_level) {
                char buf[2048];
                va_list ap;

                errno = e;
                va_start(ap, format);
                vsnprintf(buf, sizeof(buf), format, ap);
                va_end(ap);

                fprintf(stderr, "%s%s%s\n", prefix ?: "", prefix ? ": " : "", buf);
        }

        errno = saved;
        return -e;
}

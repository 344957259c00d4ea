/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "reason.h"

int reason_set(char **ret_reason, int error, const char *format, ...) {
        int e = error < 0 ? -error : error;

        if (ret_reason) {
                char *s = NULL;
                va_list ap;

                errno = e;
                va_start(ap, format);
                if (vasprintf(&s, format, ap) < 0)
                        s = NULL;
                va_end(ap);
                free(*ret_reason);
                *ret_reason = s;
        }
        return -e;
}

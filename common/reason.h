/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* The one convention for a failure's sentence: library code returns a
 * negative errno and, when RET_REASON is not NULL, a sentence the caller
 * owns and frees (*ret_reason is freed first if set). "%m" is ERROR's
 * text. Returns -abs(ERROR), for "return reason_set(ret_reason, r, ...)". */
int reason_set(char **ret_reason, int error, const char *format, ...) _printf_(3, 4);

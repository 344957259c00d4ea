/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Writes 2*n lowercase hex digits and a NUL into OUT. */
void hex_encode(const uint8_t *p, size_t n, char *out);
/* Decodes exactly 2*n hex digits; anything else is -EINVAL. */
int hex_decode(const char *s, uint8_t *out, size_t n);

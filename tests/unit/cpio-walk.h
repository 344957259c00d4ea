/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "tests.h"

/* Walks a newc archive the way the kernel does and checks its entries. */
static inline size_t cpio_walk(const uint8_t *p, size_t size, const char *names[], size_t max) {
        size_t off = 0, n = 0;

        for (;;) {
                unsigned v[13];
                char hdr[111];

                ASSERT(off + 110 <= size);
                ASSERT(off % 4 == 0);
                memcpy(hdr, p + off, 110);
                hdr[110] = 0;
                ASSERT(memcmp(hdr, "070701", 6) == 0);
                for (int i = 0; i < 13; i++) {
                        char f[9] = {};
                        memcpy(f, hdr + 6 + 8 * i, 8);
                        v[i] = strtoul(f, NULL, 16);
                }
                const char *name = (const char *) p + off + 110;
                ASSERT(name[v[11] - 1] == 0);
                off = ALIGN_TO(off + 110 + v[11], (size_t) 4);
                off = ALIGN_TO(off + v[6], (size_t) 4);
                if (strcmp(name, "TRAILER!!!") == 0)
                        break;
                ASSERT(n < max);
                names[n++] = name;
        }
        ASSERT(off == size);
        return n;
}

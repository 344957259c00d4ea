/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "macro.h"
#include "meminfo.h"

int meminfo_parse(const char *text, MemInfo *ret) {
        static const struct {
                const char *key;
                size_t offset;
        } keys[] = {
                { "MemTotal:", offsetof(MemInfo, total) },
                { "MemFree:", offsetof(MemInfo, free) },
                { "MemAvailable:", offsetof(MemInfo, available) },
                { "Cached:", offsetof(MemInfo, cached) },
                { "Dirty:", offsetof(MemInfo, dirty) },
        };
        MemInfo m = {};
        bool total = false;

        for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        size_t l = strlen(keys[i].key);
                        uint64_t v;
                        char unit[4] = "";

                        if (strncmp(line, keys[i].key, l) != 0)
                                continue;
                        if (sscanf(line + l, " %" SCNu64 " %3s", &v, unit) < 1 || (unit[0] && strcmp(unit, "kB") != 0))
                                return -EBADMSG;
                        if (v > UINT64_MAX / 1024)
                                return -ERANGE;
                        *(uint64_t *) ((uint8_t *) &m + keys[i].offset) = v * 1024;
                        total = total || i == 0;
                }
        if (!total)
                return -EBADMSG;
        *ret = m;
        return 0;
}

int meminfo_read(const char *path, MemInfo *ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_full_file(path, 1 << 20, &text, NULL);
        if (r < 0)
                return r;
        return meminfo_parse(text, ret);
}

uint64_t meminfo_in_use(const MemInfo *m) {
        return m->total - MIN(m->free, m->total);
}

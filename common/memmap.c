/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "macro.h"
#include "memmap.h"

#define PAGE_SIZE_4K UINT64_C(4096)

void memmap_done(MemMap *m) {
        free(m->entries);
        m->entries = NULL;
        m->n = 0;
}

int memmap_add(MemMap *m, uint64_t start, uint64_t end, const char *type_name) {
        MemEntry *e;
        size_t i;

        if (end <= start)
                return -EINVAL;

        e = realloc(m->entries, (m->n + 1) * sizeof(MemEntry));
        if (!e)
                return -ENOMEM;
        m->entries = e;

        for (i = m->n; i > 0 && m->entries[i - 1].range.start > start; i--)
                m->entries[i] = m->entries[i - 1];

        m->entries[i] = (MemEntry) {
                .range = { start, end },
                .type = strcmp(type_name, "System RAM") == 0 ? MEM_RAM : MEM_RESERVED,
        };
        snprintf(m->entries[i].type_name, sizeof(m->entries[i].type_name), "%s", type_name);
        m->n++;
        return 0;
}

int memmap_read_sysfs(const char *dir, MemMap *ret) {
        _cleanup_(memmap_done) MemMap m = {};
        DIR *d;
        struct dirent *de;
        int r = 0;

        d = opendir(dir);
        if (!d)
                return negative_errno();

        while ((de = readdir(d))) {
                _cleanup_free_ char *start = NULL, *end = NULL, *type = NULL;
                uint64_t s, e;

                if (de->d_name[0] == '.')
                        continue;

                r = read_one_line_at(dir, de->d_name, "start", &start);
                if (r >= 0)
                        r = read_one_line_at(dir, de->d_name, "end", &end);
                if (r >= 0)
                        r = read_one_line_at(dir, de->d_name, "type", &type);
                if (r < 0)
                        break;

                r = parse_u64(start, &s);
                if (r >= 0)
                        r = parse_u64(end, &e);
                if (r >= 0 && e == UINT64_MAX)
                        r = -ERANGE;
                if (r >= 0)
                        r = memmap_add(&m, s, e + 1, type);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;
        if (m.n == 0)
                return -ENODATA;

        *ret = m;
        m = (MemMap) {};
        return 0;
}

static int push_range(MemRange **a, size_t *n, uint64_t start, uint64_t end) {
        MemRange *t;

        start = ALIGN_TO(start, PAGE_SIZE_4K);
        end &= ~(PAGE_SIZE_4K - 1);
        if (end <= start)
                return 0;

        /* Merge with the previous range when they touch. */
        if (*n > 0 && (*a)[*n - 1].end == start) {
                (*a)[*n - 1].end = end;
                return 0;
        }

        t = realloc(*a, (*n + 1) * sizeof(MemRange));
        if (!t)
                return -ENOMEM;
        *a = t;
        (*a)[(*n)++] = (MemRange) { start, end };
        return 0;
}

int memmap_ram_outside(const MemMap *m, const MemRange *window, MemRange **ret, size_t *ret_n) {
        _cleanup_free_ MemRange *a = NULL;
        size_t n = 0;
        int r;

        for (size_t i = 0; i < m->n; i++) {
                const MemRange *e = &m->entries[i].range;

                if (m->entries[i].type != MEM_RAM)
                        continue;

                /* The part below the window, then the part above it. */
                if (e->start < window->start) {
                        r = push_range(&a, &n, e->start, MIN(e->end, window->start));
                        if (r < 0)
                                return r;
                }
                if (e->end > window->end) {
                        r = push_range(&a, &n, MAX(e->start, window->end), e->end);
                        if (r < 0)
                                return r;
                }
        }

        *ret = TAKE_PTR(a);
        *ret_n = n;
        return 0;
}

uint64_t memmap_ram_bytes(const MemMap *m) {
        uint64_t t = 0;

        for (size_t i = 0; i < m->n; i++)
                if (m->entries[i].type == MEM_RAM)
                        t += m->entries[i].range.end - m->entries[i].range.start;
        return t;
}

bool memmap_equal(const MemMap *a, const MemMap *b) {
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (a->entries[i].range.start != b->entries[i].range.start ||
                    a->entries[i].range.end != b->entries[i].range.end ||
                    a->entries[i].type != b->entries[i].type)
                        return false;
        return true;
}

uint64_t ranges_bytes(const MemRange *r, size_t n) {
        uint64_t t = 0;

        for (size_t i = 0; i < n; i++)
                t += r[i].end - r[i].start;
        return t;
}

int memmap_park_cmdline(const MemMap *m, const MemRange *window, char **ret) {
        _cleanup_free_ MemRange *inside = NULL, *outside = NULL;
        size_t n_inside = 0, n_outside = 0, size = 0;
        _cleanup_free_ char *buf = NULL;
        FILE *f;
        int r;

        for (size_t i = 0; i < m->n; i++) {
                const MemRange *e = &m->entries[i].range;

                /* Page 0 stays out, as kexec-tools leaves it out. */
                if (m->entries[i].type != MEM_RAM || e->end <= window->start || e->start >= window->end)
                        continue;
                r = push_range(&inside, &n_inside, MAX(MAX(e->start, window->start), PAGE_SIZE_4K),
                               MIN(e->end, window->end));
                if (r < 0)
                        return r;
        }
        if (n_inside == 0)
                return -EINVAL;
        r = memmap_ram_outside(m, window, &outside, &n_outside);
        if (r < 0)
                return r;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("memmap=exactmap", f);
        for (size_t i = 0; i < n_inside; i++)
                fprintf(f, " memmap=%" PRIu64 "K@%" PRIu64 "K", (inside[i].end - inside[i].start) >> 10,
                        inside[i].start >> 10);
        for (size_t i = 0; i < n_outside; i++)
                fprintf(f, " memmap=%" PRIu64 "K#%" PRIu64 "K", (outside[i].end - outside[i].start) >> 10,
                        outside[i].start >> 10);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

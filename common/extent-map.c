/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macro.h"
#include "extent-map.h"

#define ALIGNMENT UINT64_C(4096)

void target_map_done(TargetMap *m) {
        free(m->extents);
        *m = (TargetMap) {};
}

int target_map_add(TargetMap *m, uint64_t logical, uint64_t physical, uint64_t length) {
        Extent *e;

        /* Merge with the previous extent when both sides continue it. */
        if (m->n > 0) {
                Extent *last = &m->extents[m->n - 1];
                if (last->logical + last->length == logical && last->physical + last->length == physical) {
                        last->length += length;
                        return 0;
                }
        }
        e = realloc(m->extents, (m->n + 1) * sizeof(Extent));
        if (!e)
                return -ENOMEM;
        m->extents = e;
        m->extents[m->n++] = (Extent) { logical, physical, length };
        return 0;
}

static int cmp_physical(const void *a, const void *b) {
        const Extent *x = *(const Extent *const *) a, *y = *(const Extent *const *) b;
        return x->physical < y->physical ? -1 : x->physical > y->physical;
}

int target_map_check(const TargetMap *m, const char **ret_error) {
        _cleanup_free_ const Extent **byphys = NULL;
        uint64_t next = 0;

#define REFUSE(msg) ({ if (ret_error) *ret_error = (msg); return -EINVAL; })
        if (m->n == 0 || m->size == 0)
                REFUSE("no extents");
        if (m->size % ALIGNMENT)
                REFUSE("size not a multiple of 4096");
        for (size_t i = 0; i < m->n; i++) {
                const Extent *e = &m->extents[i];
                if (e->logical % ALIGNMENT || e->physical % ALIGNMENT || e->length % ALIGNMENT || e->length == 0)
                        REFUSE("extent not aligned to 4096");
                if (e->logical != next)
                        REFUSE("extents leave a hole or overlap");
                if (e->physical + e->length < e->physical)
                        REFUSE("extent wraps around");
                next += e->length;
        }
        if (next != m->size)
                REFUSE("extents do not cover the whole target");

        byphys = malloc(m->n * sizeof(Extent *));
        if (!byphys)
                return -ENOMEM;
        for (size_t i = 0; i < m->n; i++)
                byphys[i] = &m->extents[i];
        qsort(byphys, m->n, sizeof(Extent *), cmp_physical);
        for (size_t i = 1; i < m->n; i++)
                if (byphys[i - 1]->physical + byphys[i - 1]->length > byphys[i]->physical)
                        REFUSE("extents overlap on the device");
#undef REFUSE
        return 0;
}

int target_map_lookup(const TargetMap *m, uint64_t logical, uint64_t *ret_physical, uint64_t *ret_length) {
        size_t lo = 0, hi = m->n;

        /* Binary search for the extent that holds LOGICAL. */
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const Extent *e = &m->extents[mid];

                if (logical < e->logical)
                        hi = mid;
                else if (logical >= e->logical + e->length)
                        lo = mid + 1;
                else {
                        *ret_physical = e->physical + (logical - e->logical);
                        *ret_length = e->length - (logical - e->logical);
                        return 0;
                }
        }
        return -ERANGE;
}

static int target_io(int fd, const TargetMap *m, void *buf, size_t n, uint64_t logical, bool write) {
        uint8_t *p = buf;

        while (n > 0) {
                uint64_t physical = logical, avail = n;
                size_t k;
                int r;

                if (m) {
                        if (logical + n > m->size)
                                return -ENOSPC;
                        r = target_map_lookup(m, logical, &physical, &avail);
                        if (r < 0)
                                return r;
                }
                k = MIN((uint64_t) n, avail);
                r = write ? pwrite_full(fd, p, k, (off_t) physical) : pread_full(fd, p, k, (off_t) physical);
                if (r < 0)
                        return r;
                p += k;
                n -= k;
                logical += k;
        }
        return 0;
}

int target_pread(int fd, const TargetMap *m, void *buf, size_t n, uint64_t logical) {
        return target_io(fd, m, buf, n, logical, false);
}

int target_pwrite(int fd, const TargetMap *m, const void *buf, size_t n, uint64_t logical) {
        return target_io(fd, m, (void *) buf, n, logical, true);
}

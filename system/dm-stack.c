/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device-mapper tables through the kernel's own interface (the ioctls on
 * /dev/mapper/control, linux/dm-ioctl.h): one call, no library, the live
 * table as the kernel maps it right now. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/dm-ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dm-stack.h"
#include "macro.h"
#include "reason.h"

void dm_table_done(DmTable *t) {
        for (size_t i = 0; i < t->n; i++)
                free(t->targets[i].params);
        free(t->targets);
        t->targets = NULL;
        t->n = 0;
}

bool dm_is_dm(dev_t dev) {
        char p[64];

        snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/dm", major(dev), minor(dev));
        return access(p, F_OK) == 0;
}

int dm_table_read(dev_t dev, DmTable *ret) {
        _cleanup_close_ int fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
        DmTable t = {};
        size_t size = 16384;

        if (fd < 0)
                return -errno;
        for (;;) {
                _cleanup_free_ struct dm_ioctl *io = calloc(1, size);
                const char *p, *end;

                if (!io)
                        return -ENOMEM;
                io->version[0] = DM_VERSION_MAJOR;
                io->version[1] = 0;
                io->version[2] = 0;
                io->data_size = (uint32_t) size;
                io->data_start = sizeof(struct dm_ioctl);
                io->dev = makedev(major(dev), minor(dev)); /* the kernel's huge_encode_dev() of it */
                io->flags = DM_STATUS_TABLE_FLAG;
                if (ioctl(fd, DM_TABLE_STATUS, io) < 0)
                        return -errno;
                if (io->flags & DM_BUFFER_FULL_FLAG) {
                        size *= 4;
                        if (size > (16u << 20))
                                return -E2BIG;
                        continue;
                }
                snprintf(t.name, sizeof(t.name), "%s", io->name);
                t.targets = calloc(MAX(io->target_count, 1u), sizeof(DmTarget));
                if (!t.targets)
                        return -ENOMEM;
                p = (const char *) io + io->data_start;
                end = (const char *) io + MIN((size_t) io->data_size, size);
                for (uint32_t i = 0; i < io->target_count; i++) {
                        const struct dm_target_spec *spec = (const struct dm_target_spec *) p;
                        const char *params = p + sizeof(*spec);

                        if (p + sizeof(*spec) > end || memchr(params, 0, (size_t) (end - params)) == NULL) {
                                dm_table_done(&t);
                                return -EBADMSG;
                        }
                        t.targets[i].start = spec->sector_start;
                        t.targets[i].length = spec->length;
                        snprintf(t.targets[i].type, sizeof(t.targets[i].type), "%.*s",
                                 (int) sizeof(spec->target_type), spec->target_type);
                        t.targets[i].params = strdup(params);
                        t.n = i + 1;
                        if (!t.targets[i].params) {
                                dm_table_done(&t);
                                return -ENOMEM;
                        }
                        if (spec->next == 0)
                                break;
                        /* With DM_TABLE_STATUS, 'next' counts from the start of the data. */
                        p = (const char *) io + io->data_start + spec->next;
                }
                *ret = t;
                return 0;
        }
}

/* Why a target type cannot carry an image, in a sentence. */
static const char *refusal(const char *type) {
        static const struct {
                const char *type, *why;
        } known[] = {
                { "snapshot-origin", "the origin of an LVM snapshot: writing beneath it would corrupt the snapshot" },
                { "snapshot", "an LVM snapshot, whose blocks live in its copy-on-write store" },
                { "thin", "an LVM thin volume, whose blocks the pool may move" },
                { "thin-pool", "an LVM thin pool" },
                { "striped", "a striped logical volume (its blocks alternate between devices)" },
                { "raid", "a RAID logical volume" },
                { "mirror", "a mirrored logical volume" },
                { "integrity", "dm-integrity, which keeps checksums beside every block" },
                { "cache", "an LVM cache volume" },
                { "writecache", "an LVM write cache" },
                { "vdo", "a VDO volume (deduplicated and compressed)" },
        };

        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (strcmp(type, known[i].type) == 0)
                        return known[i].why;
        return NULL;
}

/* The device and the sector offset a 'linear' or 'crypt' target maps to:
 * "MAJ:MIN OFFSET" for linear, "CIPHER KEY IV_OFFSET MAJ:MIN OFFSET
 * [OPTIONS]" for crypt (the key is never kept nor shown). */
static int target_below(const DmTarget *tg, unsigned *ret_major, unsigned *ret_minor, unsigned long long *ret_offset) {
        char tail;

        if (strcmp(tg->type, "linear") == 0)
                return sscanf(tg->params, "%u:%u %llu%c", ret_major, ret_minor, ret_offset, &tail) == 3 ? 0 : -EINVAL;
        if (strcmp(tg->type, "crypt") == 0) {
                const char *p = tg->params;

                /* Skip the cipher and the key without copying them. */
                for (int field = 0; field < 2; field++) {
                        p = strchr(p, ' ');
                        if (!p)
                                return -EINVAL;
                        p++;
                }
                return sscanf(p, "%*u %u:%u %llu", ret_major, ret_minor, ret_offset) == 3 ? 0 : -EINVAL;
        }
        return -EOPNOTSUPP;
}

int dm_map_through(const DmTable *t, const TargetMap *map, dev_t *ret_dev, TargetMap *ret, bool *ret_crypt,
                   char **ret_error) {
        _cleanup_(target_map_done) TargetMap out = { .size = map->size };
        dev_t below = 0;
        bool have_below = false, crypt = false, linear = false;

        for (size_t e = 0; e < map->n; e++) {
                uint64_t pos = map->extents[e].physical, end = pos + map->extents[e].length;
                uint64_t logical = map->extents[e].logical;

                while (pos < end) {
                        const DmTarget *tg = NULL;
                        unsigned ma, mi;
                        unsigned long long offset;
                        uint64_t seg_start, seg_end, n, phys;
                        dev_t d;
                        int r;

                        for (size_t i = 0; i < t->n; i++)
                                if (pos >= t->targets[i].start * 512 &&
                                    pos < (t->targets[i].start + t->targets[i].length) * 512) {
                                        tg = &t->targets[i];
                                        break;
                                }
                        if (!tg)
                                return reason_set(ret_error, EOPNOTSUPP, "%s maps no device at byte %" PRIu64,
                                                  t->name, pos);
                        r = target_below(tg, &ma, &mi, &offset);
                        if (r == -EOPNOTSUPP) {
                                const char *why = refusal(tg->type);
                                if (why)
                                        return reason_set(ret_error, EOPNOTSUPP, "it is on %s (%s)", why, t->name);
                                return reason_set(ret_error, EOPNOTSUPP, "it is on a device-mapper '%s' target (%s), "
                                                  "which kjump cannot write through: only plain (linear) LVM "
                                                  "volumes and dm-crypt (LUKS)", tg->type, t->name);
                        }
                        if (r < 0)
                                return reason_set(ret_error, EOPNOTSUPP, "%s has a %s target kjump cannot read",
                                                  t->name, tg->type);
                        if (strcmp(tg->type, "crypt") == 0)
                                crypt = true;
                        else
                                linear = true;
                        if (crypt && linear)
                                return reason_set(ret_error, EOPNOTSUPP, "%s mixes dm-crypt and linear targets in one "
                                                  "table", t->name);
                        d = makedev(ma, mi);
                        if (have_below && d != below)
                                return reason_set(ret_error, EOPNOTSUPP, "%s spans several devices (%u:%u and "
                                                  "%u:%u): the image must lie on one", t->name, major(below),
                                                  minor(below), ma, mi);
                        below = d;
                        have_below = true;
                        seg_start = tg->start * 512;
                        seg_end = (tg->start + tg->length) * 512;
                        n = MIN(end, seg_end) - pos;
                        phys = (uint64_t) offset * 512 + (pos - seg_start);
                        if (phys % 4096 || n % 4096)
                                return reason_set(ret_error, EOPNOTSUPP, "%s maps the image to offsets not aligned to "
                                                  "4096 bytes", t->name);
                        r = target_map_add(&out, logical, phys, n);
                        if (r < 0)
                                return r;
                        logical += n;
                        pos += n;
                }
        }
        if (!have_below)
                return reason_set(ret_error, EOPNOTSUPP, "%s: the image has no extents", t->name);
        *ret_dev = below;
        *ret = out;
        out = (TargetMap) {};
        if (ret_crypt)
                *ret_crypt = crypt;
        return 0;
}

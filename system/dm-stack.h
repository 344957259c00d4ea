/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "extent-map.h"

/* Device-mapper below an image file: the helper writes raw to the device
 * at the bottom of the stack, so the file's extent map is carried down
 * through each table. Only 'linear' targets (plain LVM logical volumes)
 * and 'crypt' (dm-crypt: LUKS1, LUKS2, plain; the image is then encrypted
 * by kjump itself, and what it writes beneath the volume is ciphertext)
 * carry it; everything else is refused with its reason. */

typedef struct DmTarget {
        uint64_t start;    /* sectors on the dm device */
        uint64_t length;   /* sectors */
        char type[16];     /* "linear", "crypt", "snapshot-origin", ... */
        char *params;      /* the table line's parameters */
} DmTarget;

typedef struct DmTable {
        char name[128];    /* the dm device's name (vg-lv) */
        DmTarget *targets;
        size_t n;
} DmTable;

void dm_table_done(DmTable *t);

/* Is DEV a device-mapper device? (/sys/dev/block/MAJ:MIN/dm exists) */
bool dm_is_dm(dev_t dev);

/* Reads DEV's live table (DM_TABLE_STATUS on /dev/mapper/control). */
int dm_table_read(dev_t dev, DmTable *ret);

/* Carries MAP (offsets on the dm device whose table is T) down to the one
 * device below it: every byte must lie in a 'linear' target, or every byte
 * in a 'crypt' target, all of them on the same device, at 4096-aligned
 * offsets. *ret_crypt: the table is dm-crypt. On refusal -EOPNOTSUPP and
 * a sentence in *ret_error (caller frees). */
int dm_map_through(const DmTable *t, const TargetMap *map, dev_t *ret_dev, TargetMap *ret, bool *ret_crypt,
                   char **ret_error);

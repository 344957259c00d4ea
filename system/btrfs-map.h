/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "extent-map.h"

/* btrfs below an image file. FIEMAP on btrfs gives addresses in btrfs's
 * own logical space; its chunk tree says where each chunk of that space
 * lies on which device (as systemd's btrfs_get_file_physical_offset()
 * does for swap files). Only what keeps a file's blocks where the map says
 * is accepted: one device, data chunks in the 'single' profile (one
 * stripe, no copy), and a file that is NOCOW (chattr +C: written in place,
 * never compressed) and shares no extent (no reflink, no snapshot). */

typedef struct BtrfsChunk {
        uint64_t logical;   /* start in btrfs's logical space */
        uint64_t length;
        uint64_t type;      /* BTRFS_BLOCK_GROUP_* */
        uint16_t num_stripes;
        uint64_t devid;     /* of the first stripe */
        uint64_t physical;  /* the first stripe's offset on its device */
} BtrfsChunk;

/* Carries MAP (btrfs logical addresses) through CHUNKS to device
 * offsets on DEVID. On refusal -EOPNOTSUPP and a sentence in *ret_error
 * (caller frees). */
int btrfs_map_chunks(const BtrfsChunk *chunks, size_t n_chunks, uint64_t devid, const TargetMap *map,
                     TargetMap *ret, char **ret_error);

/* Is the file FD fit to carry an image (NOCOW, not compressed)? On
 * refusal -EOPNOTSUPP and why. */
int btrfs_check_file(int fd, const char *path, char **ret_error);

/* Makes the empty file FD NOCOW (before it has data: btrfs ignores the
 * flag on a file with data). */
int btrfs_make_nocow(int fd);

/* For the file FD on btrfs: the one block device below (*ret_dev) and MAP
 * (from FIEMAP) carried to offsets on it, reading the chunk tree now
 * (BTRFS_IOC_TREE_SEARCH, root only). */
int btrfs_map_file(int fd, const TargetMap *map, dev_t *ret_dev, TargetMap *ret, char **ret_error);

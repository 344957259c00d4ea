/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "btrfs-map.h"
#include "macro.h"
#include "reason.h"

static const char *profile_name(uint64_t type) {
        if (type & BTRFS_BLOCK_GROUP_DUP)
                return "DUP";
        if (type & BTRFS_BLOCK_GROUP_RAID0)
                return "RAID0";
        if (type & BTRFS_BLOCK_GROUP_RAID1)
                return "RAID1";
        if (type & BTRFS_BLOCK_GROUP_RAID10)
                return "RAID10";
        if (type & BTRFS_BLOCK_GROUP_RAID5)
                return "RAID5";
        if (type & BTRFS_BLOCK_GROUP_RAID6)
                return "RAID6";
        if (type & BTRFS_BLOCK_GROUP_RAID1C3)
                return "RAID1C3";
        if (type & BTRFS_BLOCK_GROUP_RAID1C4)
                return "RAID1C4";
        return "single";
}

int btrfs_map_chunks(const BtrfsChunk *chunks, size_t n_chunks, uint64_t devid, const TargetMap *map,
                     TargetMap *ret, char **ret_error) {
        _cleanup_(target_map_done) TargetMap out = { .size = map->size };
        int r;

        for (size_t e = 0; e < map->n; e++) {
                uint64_t pos = map->extents[e].physical, end = pos + map->extents[e].length;
                uint64_t logical = map->extents[e].logical;

                while (pos < end) {
                        const BtrfsChunk *c = NULL;
                        uint64_t n;

                        for (size_t i = 0; i < n_chunks; i++)
                                if (pos >= chunks[i].logical && pos - chunks[i].logical < chunks[i].length) {
                                        c = &chunks[i];
                                        break;
                                }
                        if (!c)
                                return reason_set(ret_error, EOPNOTSUPP, "no btrfs chunk holds its logical address "
                                                  "%" PRIu64, pos);
                        if (!(c->type & BTRFS_BLOCK_GROUP_DATA))
                                return reason_set(ret_error, EOPNOTSUPP, "its data lies in a btrfs chunk that is not "
                                                  "a data chunk");
                        if ((c->type & BTRFS_BLOCK_GROUP_PROFILE_MASK) != 0 || c->num_stripes != 1)
                                return reason_set(ret_error, EOPNOTSUPP, "its btrfs data profile is %s: only 'single' "
                                                  "keeps one copy of each block in one place (btrfs balance "
                                                  "-dconvert=single)", profile_name(c->type));
                        if (c->devid != devid)
                                return reason_set(ret_error, EOPNOTSUPP, "its data lies on btrfs device %" PRIu64
                                                  ", not the file system's one device", c->devid);
                        n = MIN(end, c->logical + c->length) - pos;
                        if ((c->physical + (pos - c->logical)) % 4096 || n % 4096)
                                return reason_set(ret_error, EOPNOTSUPP, "btrfs maps it to offsets not aligned to "
                                                  "4096 bytes");
                        r = target_map_add(&out, logical, c->physical + (pos - c->logical), n);
                        if (r < 0)
                                return r;
                        logical += n;
                        pos += n;
                }
        }
        *ret = out;
        out = (TargetMap) {};
        return 0;
}

int btrfs_check_file(int fd, const char *path, char **ret_error) {
        int flags = 0;

        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
                return reason_set(ret_error, errno, "cannot read the flags of %s: %s", path, strerror(errno));
        if (flags & FS_COMPR_FL)
                return reason_set(ret_error, EOPNOTSUPP, "%s is compressed by btrfs: its blocks are not its "
                                  "data (re-create it with 'kjumpctl setup-target', which makes it NOCOW)", path);
        if (!(flags & FS_NOCOW_FL))
                return reason_set(ret_error, EOPNOTSUPP, "%s on btrfs is copy-on-write: every write would move its "
                                  "blocks (re-create it with 'kjumpctl setup-target', which makes it NOCOW, "
                                  "chattr +C, before it has data)", path);
        return 0;
}

int btrfs_make_nocow(int fd) {
        int flags = 0;

        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
                return -errno;
        flags |= FS_NOCOW_FL;
        flags &= ~FS_COMPR_FL;
        if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
                return -errno;
        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
                return -errno;
        return flags & FS_NOCOW_FL ? 0 : -EOPNOTSUPP;
}

/* Every chunk item of the chunk tree. */
static int read_chunks(int fd, BtrfsChunk **ret, size_t *ret_n) {
        struct btrfs_ioctl_search_args args = {
                .key = {
                        .tree_id = BTRFS_CHUNK_TREE_OBJECTID,
                        .min_objectid = BTRFS_FIRST_CHUNK_TREE_OBJECTID,
                        .max_objectid = BTRFS_FIRST_CHUNK_TREE_OBJECTID,
                        .min_type = BTRFS_CHUNK_ITEM_KEY,
                        .max_type = BTRFS_CHUNK_ITEM_KEY,
                        .max_offset = UINT64_MAX,
                        .max_transid = UINT64_MAX,
                },
        };
        _cleanup_free_ BtrfsChunk *chunks = NULL;
        size_t n = 0;

        for (;;) {
                size_t off = 0;
                uint64_t last = 0;

                args.key.nr_items = 4096;
                if (ioctl(fd, BTRFS_IOC_TREE_SEARCH, &args) < 0)
                        return -errno;
                if (args.key.nr_items == 0)
                        break;
                for (uint32_t i = 0; i < args.key.nr_items; i++) {
                        struct btrfs_ioctl_search_header sh;
                        struct btrfs_chunk c;
                        BtrfsChunk *more;

                        if (off + sizeof(sh) > sizeof(args.buf))
                                return -EBADMSG;
                        memcpy(&sh, args.buf + off, sizeof(sh));
                        off += sizeof(sh);
                        if (off + sh.len > sizeof(args.buf))
                                return -EBADMSG;
                        last = sh.offset;
                        if (sh.type == BTRFS_CHUNK_ITEM_KEY && sh.objectid == BTRFS_FIRST_CHUNK_TREE_OBJECTID) {
                                if (sh.len < sizeof(c))
                                        return -EBADMSG;
                                memcpy(&c, args.buf + off, sizeof(c));
                                more = reallocarray(chunks, n + 1, sizeof(*chunks));
                                if (!more)
                                        return -ENOMEM;
                                chunks = more;
                                chunks[n++] = (BtrfsChunk) {
                                        .logical = sh.offset,
                                        .length = le64toh(c.length),
                                        .type = le64toh(c.type),
                                        .num_stripes = le16toh(c.num_stripes),
                                        .devid = le64toh(c.stripe.devid),
                                        .physical = le64toh(c.stripe.offset),
                                };
                        }
                        off += sh.len;
                }
                if (last == UINT64_MAX)
                        break;
                args.key.min_offset = last + 1;
        }
        *ret = TAKE_PTR(chunks);
        *ret_n = n;
        return 0;
}

int btrfs_map_file(int fd, const TargetMap *map, dev_t *ret_dev, TargetMap *ret, char **ret_error) {
        struct btrfs_ioctl_fs_info_args fs = {};
        _cleanup_free_ struct btrfs_ioctl_dev_info_args *dev = calloc(1, sizeof(*dev));
        _cleanup_free_ BtrfsChunk *chunks = NULL;
        size_t n_chunks = 0;
        struct stat st;
        int r;

        if (!dev)
                return -ENOMEM;
        if (ioctl(fd, BTRFS_IOC_FS_INFO, &fs) < 0)
                return reason_set(ret_error, errno, "cannot read the btrfs file system's devices: %s", strerror(errno));
        if (fs.num_devices != 1)
                return reason_set(ret_error, EOPNOTSUPP, "its btrfs file system spans %" PRIu64 " devices: the image "
                                  "must lie on one", (uint64_t) fs.num_devices);
        /* The one device: its id is 1 unless it was replaced. */
        for (uint64_t id = 1; id <= fs.max_id; id++) {
                memset(dev, 0, sizeof(*dev));
                dev->devid = id;
                if (ioctl(fd, BTRFS_IOC_DEV_INFO, dev) == 0)
                        break;
                if (errno != ENODEV)
                        return reason_set(ret_error, errno, "cannot read the btrfs device: %s", strerror(errno));
                dev->devid = 0;
        }
        if (dev->devid == 0 || !dev->path[0])
                return reason_set(ret_error, ENODEV, "btrfs names no device below it");
        if (stat((const char *) dev->path, &st) < 0 || !S_ISBLK(st.st_mode))
                return reason_set(ret_error, ENODEV, "its btrfs device %s is not a block device here",
                                  (const char *) dev->path);
        r = read_chunks(fd, &chunks, &n_chunks);
        if (r < 0)
                return reason_set(ret_error, r, "cannot read the btrfs chunk tree: %s", strerror(-r));
        r = btrfs_map_chunks(chunks, n_chunks, dev->devid, map, ret, ret_error);
        if (r < 0)
                return r;
        *ret_dev = st.st_rdev;
        return 0;
}

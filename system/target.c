/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <blkid.h>
#include <dirent.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "btrfs-map.h"
#include "dm-stack.h"
#include "fileio.h"
#include "hexdecoct.h"
#include "file-extents.h"
#include "image-reader.h"
#include "image-state.h"
#include "log.h"
#include "macro.h"
#include "reason.h"
#include "memmap.h"
#include "target.h"
#include "time-util.h"
#include "tpm2-key.h"

void target_done(Target *t) {
        free(t->spec);
        free(t->file);
        free(t->layout);
        free(t->device);
        safe_close(t->fd);
        safe_close(t->excl_fd);
        target_map_done(&t->map);
        target_map_done(&t->crypt_map);
        free(t->crypt_name);
        *t = (Target) TARGET_NULL;
}

/* Refuses a block device the helper cannot drive raw: anything stacked on
 * other devices (device-mapper, md, or any device with slaves/), a loop
 * or nbd device, or a partition of one. SYS is /sys/dev/block/MAJ:MIN. */
static int refuse_stacked(const char *sys, char **ret_error) {
        _cleanup_free_ char *real = NULL, *disk = NULL;
        static const struct {
                const char *sub, *why;
        } stacks[] = {
                { "dm", "device-mapper (LVM, LUKS)" },
                { "md", "software RAID (md)" },
                { "loop", "a loop device" },
        };

        real = realpath(sys, NULL);
        if (!real)
                return -errno;
        /* A partition's parent directory is its whole disk: check both. */
        for (int level = 0; level < 2; level++) {
                const char *dir = level == 0 ? real : disk;
                const char *name;
                _cleanup_free_ char *p = NULL;
                DIR *d;

                if (!dir)
                        break;
                name = strrchr(dir, '/');
                name = name ? name + 1 : dir;
                for (size_t i = 0; i < ELEMENTSOF(stacks); i++) {
                        free(p);
                        if (asprintf(&p, "%s/%s", dir, stacks[i].sub) < 0)
                                return -ENOMEM;
                        if (access(p, F_OK) == 0)
                                return reason_set(ret_error, EOPNOTSUPP, "it is on %s, which the helper kernel cannot "
                                              "reach: use a plain partition", stacks[i].why);
                }
                if (strncmp(name, "nbd", 3) == 0 || strncmp(name, "zram", 4) == 0 || strncmp(name, "ram", 3) == 0)
                        return reason_set(ret_error, EOPNOTSUPP, "it is on %s, which the helper kernel cannot reach: "
                                      "use a plain partition", name);
                free(p);
                if (asprintf(&p, "%s/slaves", dir) < 0)
                        return -ENOMEM;
                d = opendir(p);
                if (d) {
                        struct dirent *de;
                        bool stacked = false;

                        while ((de = readdir(d)))
                                if (de->d_name[0] != '.')
                                        stacked = true;
                        closedir(d);
                        if (stacked)
                                return reason_set(ret_error, EOPNOTSUPP, "%s is stacked on other block devices, which "
                                              "the helper kernel cannot reach: use a plain partition", name);
                }
                if (level == 0) {
                        free(p);
                        if (asprintf(&p, "%s/partition", dir) < 0)
                                return -ENOMEM;
                        if (access(p, F_OK) < 0)
                                break; /* a whole disk */
                        disk = strdup(dir);
                        if (!disk)
                                return -ENOMEM;
                        *strrchr(disk, '/') = 0;
                }
        }
        return 0;
}

/* The dm-crypt volume in a stack, if any. */
typedef struct CryptLayer {
        dev_t dev;         /* 0: none */
        char name[128];
        TargetMap map;     /* the image's logical space on it */
} CryptLayer;

static void crypt_layer_done(CryptLayer *c) {
        target_map_done(&c->map);
        *c = (CryptLayer) {};
}

/* Carries MAP (offsets on DEV, the file system's device) down through
 * device-mapper to the device the helper writes raw (*ret_dev), re-reading
 * every table now. *ret_layout: what lies between, "kjvg-root (linear) on
 * " and so on ("" when DEV is that device). *ret_crypt: the one dm-crypt
 * volume on the way (a second one is refused). */
static int map_through_stack(dev_t dev, TargetMap *map, dev_t *ret_dev, char **ret_layout, CryptLayer *ret_crypt,
                             char **ret_error) {
        _cleanup_free_ char *layout = strdup("");
        _cleanup_(crypt_layer_done) CryptLayer crypt = {};
        int r;

        if (!layout)
                return -ENOMEM;
        for (unsigned depth = 0; dm_is_dm(dev); depth++) {
                _cleanup_(dm_table_done) DmTable table = {};
                _cleanup_(target_map_done) TargetMap below = {};
                bool is_crypt = false;
                char *more;
                dev_t next;

                if (depth >= 8)
                        return reason_set(ret_error, ELOOP, "device-mapper is stacked too deep below it");
                r = dm_table_read(dev, &table);
                if (r < 0)
                        return reason_set(ret_error, r, "cannot read the device-mapper table of %u:%u: %m",
                                          major(dev), minor(dev));
                r = dm_map_through(&table, map, &next, &below, &is_crypt, ret_error);
                if (r < 0)
                        return r;
                if (is_crypt) {
                        if (crypt.dev != 0)
                                return reason_set(ret_error, EOPNOTSUPP, "it is on dm-crypt on dm-crypt (%s on %s): "
                                                  "kjump keeps its key in one volume", crypt.name, table.name);
                        crypt.dev = dev;
                        snprintf(crypt.name, sizeof(crypt.name), "%s", table.name);
                        crypt.map = *map;
                } else
                        target_map_done(map);
                *map = below;
                below = (TargetMap) {};
                if (is_crypt) {
                        _cleanup_free_ char *sys = NULL, *uuid = NULL;
                        const char *kind = "";

                        /* cryptsetup names the format in the dm UUID. */
                        if (asprintf(&sys, "/sys/dev/block/%u:%u/dm", major(dev), minor(dev)) >= 0 &&
                            read_one_line_at(sys, ".", "uuid", &uuid) >= 0)
                                kind = startswith(uuid, "CRYPT-LUKS2-") ? " (LUKS2)"
                                     : startswith(uuid, "CRYPT-LUKS1-") ? " (LUKS1)"
                                     : startswith(uuid, "CRYPT-PLAIN-") ? " (plain)" : "";
                        r = asprintf(&more, "%sdm-crypt %s%s on ", layout, table.name, kind);
                } else
                        r = asprintf(&more, "%sLVM/device-mapper %s (linear) on ", layout, table.name);
                if (r < 0)
                        return -ENOMEM;
                free(layout);
                layout = more;
                dev = next;
        }
        *ret_dev = dev;
        if (ret_layout)
                *ret_layout = TAKE_PTR(layout);
        if (ret_crypt) {
                *ret_crypt = crypt;
                crypt = (CryptLayer) {};
        }
        return 0;
}

/* Would every byte of DEV's device-mapper stack carry an image? The map
 * of the whole device goes down through every table. */
static int check_whole_stack(dev_t dev, char **ret_error) {
        _cleanup_(target_map_done) TargetMap whole = {};
        _cleanup_free_ char *size = NULL, *sys = NULL;
        uint64_t sectors;
        dev_t below;
        int r;

        if (asprintf(&sys, "/sys/dev/block/%u:%u", major(dev), minor(dev)) < 0)
                return -ENOMEM;
        r = read_one_line_at(sys, ".", "size", &size);
        if (r < 0 || parse_u64(size, &sectors) < 0 || sectors * 512 < 4096)
                return reason_set(ret_error, EIO, "cannot read the size of block device %u:%u", major(dev), minor(dev));
        whole.size = (sectors * 512) & ~UINT64_C(4095);
        r = target_map_add(&whole, 0, 0, whole.size);
        if (r < 0)
                return r;
        return map_through_stack(dev, &whole, &below, NULL, NULL, ret_error);
}

/* The block device behind DEV, refusing stacks the helper cannot drive. */
static int device_of(dev_t dev, char **ret_path, uint64_t *ret_size, char **ret_error) {
        _cleanup_free_ char *sys = NULL, *p = NULL, *uevent = NULL, *size = NULL;
        unsigned ma = major(dev), mi = minor(dev);
        uint64_t sectors;
        char *name;
        int r;

        if (asprintf(&sys, "/sys/dev/block/%u:%u", ma, mi) < 0)
                return -ENOMEM;
        if (access(sys, F_OK) < 0)
                return reason_set(ret_error, ENODEV, "the file system is not on a block device (device %u:%u)", ma, mi);
        r = refuse_stacked(sys, ret_error);
        if (r < 0)
                return r;
        r = read_one_line_at(sys, ".", "size", &size);
        if (r < 0 || parse_u64(size, &sectors) < 0)
                return reason_set(ret_error, EIO, "cannot read the size of block device %u:%u", ma, mi);
        if (asprintf(&p, "%s/uevent", sys) < 0)
                return -ENOMEM;
        r = read_full_file(p, 1 << 16, &uevent, NULL);
        if (r < 0)
                return reason_set(ret_error, -r, "cannot read %s", p);
        name = strstr(uevent, "DEVNAME=");
        if (!name)
                return reason_set(ret_error, ENODEV, "block device %u:%u has no name", ma, mi);
        name += 8;
        name[strcspn(name, "\n")] = 0;
        if (asprintf(ret_path, "/dev/%s", name) < 0)
                return -ENOMEM;
        *ret_size = sectors * 512;
        return 0;
}

/* The file systems whose extent maps the helper may write through: FIEMAP
 * gives their physical blocks on the one device below them (ext4, xfs),
 * or btrfs's logical addresses, which its chunk tree maps to the device. */
static int refuse_file_system(int fd, const char *path, const char **ret_name, char **ret_error) {
        struct statfs sfs;

        if (fstatfs(fd, &sfs) < 0)
                return reason_set(ret_error, errno, "cannot statfs %s: %s", path, strerror(errno));
        switch ((unsigned long) sfs.f_type) {
        case EXT4_SUPER_MAGIC:
                if (ret_name)
                        *ret_name = "ext4";
                return 0;
        case XFS_SUPER_MAGIC:
                if (ret_name)
                        *ret_name = "xfs";
                return 0;
        case BTRFS_SUPER_MAGIC:
                /* FIEMAP gives btrfs's logical addresses: btrfs-map.c
                 * carries them through the chunk tree. */
                if (ret_name)
                        *ret_name = "btrfs";
                return 0;
        default:
                return reason_set(ret_error, EOPNOTSUPP, "%s is on a file system (type 0x%lx) kjump does not write "
                              "through: put the image on ext4, xfs or btrfs, or on a partition", path,
                              (unsigned long) sfs.f_type);
        }
}

/* Carries MAP (FIEMAP's offsets of the file FD, st_dev ST_DEV, on FS_NAME)
 * to offsets on the block device the file system lies on (*ret_dev): the
 * same for ext4 and xfs, through the chunk tree for btrfs, whose file must
 * be NOCOW. */
static int map_to_fs_device(int fd, const char *path, const char *fs_name, dev_t st_dev, TargetMap *map,
                            dev_t *ret_dev, char **ret_error) {
        _cleanup_(target_map_done) TargetMap mapped = {};
        int r;

        if (!streq_ptr(fs_name, "btrfs")) {
                *ret_dev = st_dev;
                return 0;
        }
        r = btrfs_check_file(fd, path, ret_error);
        if (r < 0)
                return r;
        r = btrfs_map_file(fd, map, ret_dev, &mapped, ret_error);
        if (r < 0)
                return r;
        target_map_done(map);
        *map = mapped;
        mapped = (TargetMap) {};
        return 0;
}

int target_resolve(const char *spec, char **ret) {
        char *path = blkid_evaluate_spec(spec, NULL);

        if (!path)
                return -ENOENT;
        *ret = path;
        return 0;
}

int target_open(const char *spec, Target *ret, char **ret_error) {
        _cleanup_(target_done) Target t = TARGET_NULL;
        _cleanup_close_ int ffd = -EBADF;
        _cleanup_free_ char *path = NULL;
        struct stat st;
        int r;

        t.spec = strdup(spec);
        if (!t.spec)
                return -ENOMEM;
        if (target_resolve(spec, &path) < 0)
                return reason_set(ret_error, ENOENT, "%s does not resolve to a device or file", spec);
        if (stat(path, &st) < 0)
                return reason_set(ret_error, errno, "%s: %s", path, strerror(errno));

        if (S_ISREG(st.st_mode)) {
                const char *why = NULL;

                t.is_file = true;
                t.file = TAKE_PTR(path);
                ffd = open(t.file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                if (ffd < 0)
                        return reason_set(ret_error, errno, "cannot open %s: %s", t.file, strerror(errno));
                r = refuse_file_system(ffd, t.file, &t.fs_name, ret_error);
                if (r >= 0 && streq_ptr(t.fs_name, "btrfs"))
                        r = btrfs_check_file(ffd, t.file, ret_error); /* before FIEMAP: the clearer reason */
                if (r < 0)
                        return r;
                if (st.st_uid != 0 || (st.st_mode & 077))
                        return reason_set(ret_error, EPERM, "%s must be owned by root and not accessible to others "
                                      "(run 'kjumpctl setup-target')", t.file);
                r = target_map_file(ffd, &t.map, &why);
                if (r < 0)
                        return reason_set(ret_error, -r, "cannot use %s: %s", t.file, why ?: strerror(-r));
                _cleanup_(crypt_layer_done) CryptLayer crypt = {};
                dev_t fs_dev;

                r = map_to_fs_device(ffd, t.file, t.fs_name, st.st_dev, &t.map, &fs_dev, ret_error);
                if (r >= 0)
                        r = map_through_stack(fs_dev, &t.map, &t.device_rdev, &t.layout, &crypt, ret_error);
                if (r >= 0 && crypt.dev != 0) {
                        t.crypt_rdev = crypt.dev;
                        t.crypt_map = crypt.map;
                        crypt.map = (TargetMap) {};
                        t.crypt_name = strdup(crypt.name);
                        if (!t.crypt_name)
                                return -ENOMEM;
                }
                if (r < 0) {
                        char *e = NULL;

                        if (ret_error && *ret_error && asprintf(&e, "%s: %s", t.file, *ret_error) >= 0) {
                                free(*ret_error);
                                *ret_error = e;
                        }
                        return r;
                }
                r = device_of(t.device_rdev, &t.device, &t.device_size, ret_error);
                if (r < 0)
                        return r;
                t.file_dev = st.st_dev;
                t.file_ino = st.st_ino;
        } else if (S_ISBLK(st.st_mode)) {
                t.device = TAKE_PTR(path);
                /* A partition is only safe when nothing uses it. */
                ffd = open(t.device, O_RDONLY | O_CLOEXEC | O_EXCL);
                if (ffd < 0)
                        return reason_set(ret_error, errno, "cannot use %s: %s", t.device,
                                      errno == EBUSY ? "it is in use (mounted, swap, or held)" : strerror(errno));
                {
                        _cleanup_free_ char *sys = NULL;

                        if (asprintf(&sys, "/sys/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev)) < 0)
                                return -ENOMEM;
                        r = refuse_stacked(sys, ret_error);
                        if (r < 0)
                                return r;
                }
                if (ioctl(ffd, BLKGETSIZE64, &t.device_size) < 0)
                        return reason_set(ret_error, errno, "cannot size %s: %s", t.device, strerror(errno));
                t.device_rdev = st.st_rdev;
                t.map.size = t.device_size & ~UINT64_C(4095);
                r = target_map_add(&t.map, 0, 0, t.map.size);
                if (r < 0)
                        return r;
                /* Only a partition that kjumpctl setup-target prepared: a
                 * missing header means someone else's data may be there. */
                {
                        _cleanup_free_ void *buf = aligned_alloc_direct(KJUMP_IMAGE_HEADER_SIZE);

                        if (!buf)
                                return -ENOMEM;
                        if (pread_full(ffd, buf, KJUMP_IMAGE_HEADER_SIZE, 0) < 0)
                                return reason_set(ret_error, EIO, "cannot read %s", t.device);
                        if (memcmp(buf, KJUMP_IMAGE_MAGIC, 8) != 0)
                                return reason_set(ret_error, ENOTBLK, "%s has no kjump header: it may hold someone's "
                                              "data (prepare it with 'kjumpctl setup-target %s')", t.device, spec);
                }
        } else
                return reason_set(ret_error, EINVAL, "%s is neither a regular file nor a block device", path);

        t.fd = open(t.device, O_RDWR | O_DIRECT | O_CLOEXEC);
        if (t.fd < 0)
                return reason_set(ret_error, errno, "cannot open %s: %s", t.device, strerror(errno));

        *ret = t;
        t = (Target) TARGET_NULL;
        return 0;
}

int target_setup_partition(const char *spec, bool force, char **ret_error) {
        _cleanup_free_ char *path = NULL, *found = NULL;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_(target_map_done) TargetMap map = {};
        struct kjump_image_header h;
        blkid_probe pr = NULL;
        uint64_t size;
        int r;

        if (target_resolve(spec, &path) < 0)
                return reason_set(ret_error, ENOENT, "%s does not resolve to a device", spec);
        fd = open(path, O_RDWR | O_CLOEXEC | O_EXCL);
        if (fd < 0)
                return reason_set(ret_error, errno, "cannot use %s: %s", path,
                              errno == EBUSY ? "it is in use (mounted, swap, or held)" : strerror(errno));
        {
                _cleanup_free_ char *sys = NULL;
                struct stat st;

                if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode))
                        return reason_set(ret_error, ENOTBLK, "%s is not a block device", path);
                if (asprintf(&sys, "/sys/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev)) < 0)
                        return -ENOMEM;
                r = refuse_stacked(sys, ret_error);
                if (r < 0)
                        return r;
        }
        if (ioctl(fd, BLKGETSIZE64, &size) < 0)
                return reason_set(ret_error, errno, "cannot size %s: %s", path, strerror(errno));
        if (size < (UINT64_C(64) << 20))
                return reason_set(ret_error, ENOSPC, "%s is too small for an image", path);

        /* Whatever libblkid recognizes (file systems, swap, RAID or LUKS
         * members, partition tables) is someone's data. */
        pr = blkid_new_probe();
        if (!pr || blkid_probe_set_device(pr, fd, 0, 0) < 0) {
                if (pr)
                        blkid_free_probe(pr);
                return reason_set(ret_error, ENOMEM, "cannot probe %s", path);
        }
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL | BLKID_SUBLKS_MAGIC);
        blkid_probe_enable_partitions(pr, 1);
        blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
        while (blkid_do_probe(pr) == 0) {
                const char *type = NULL, *label = NULL;

                if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) < 0 &&
                    blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL) < 0)
                        type = "unknown";
                (void) blkid_probe_lookup_value(pr, "LABEL", &label, NULL);
                if (!force) {
                        r = asprintf(&found, "%s%s%s%s", type, label ? " (label \"" : "", label ?: "",
                                     label ? "\")" : "");
                        break;
                }
                /* --force: wipe it, as wipefs does, so that nothing can
                 * find it (and mount it) again. */
                if (blkid_do_wipe(pr, 0) < 0) {
                        blkid_free_probe(pr);
                        return reason_set(ret_error, EIO, "cannot wipe the %s signature on %s", type, path);
                }
        }
        blkid_free_probe(pr);
        if (found)
                return reason_set(ret_error, EEXIST, "%s holds %s: refusing to overwrite it (--force wipes it)", path,
                              found);

        /* An empty kjump header marks the partition as kjump's: only such a
         * partition is accepted as a target. */
        map.size = size & ~UINT64_C(4095);
        r = target_map_add(&map, 0, 0, map.size);
        if (r < 0)
                return r;
        image_header_init_invalid(&h, map.size, KJUMP_REASON_NONE, "prepared by kjumpctl setup-target");
        h.state = KJUMP_STATE_EMPTY;
        safe_close(fd);
        fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC | O_EXCL);
        if (fd < 0)
                return reason_set(ret_error, errno, "cannot open %s: %s", path, strerror(errno));
        r = image_commit_header(fd, &map, &h);
        if (r < 0)
                return reason_set(ret_error, -r, "cannot write the kjump header to %s: %s", path, strerror(-r));
        return 0;
}

int target_size_for_ram(uint64_t *ret) {
        _cleanup_(memmap_done) MemMap m = {};
        uint64_t ram, chunks;
        int r;

        r = memmap_read_sysfs("/sys/firmware/memmap", &m);
        if (r < 0)
                return r;
        ram = memmap_ram_bytes(&m);
        chunks = DIV_ROUND_UP(ram, (uint64_t) KJUMP_CHUNK_PAGES * KJUMP_PAGE_SIZE) + m.n;
        *ret = ALIGN_TO(KJUMP_IMAGE_HEADER_SIZE + ram + chunks * sizeof(struct kjump_chunk) + (1u << 20),
                        (uint64_t) 1 << 20);
        return 0;
}

uint64_t target_image_need(const HelperParams *params, uint64_t free_bytes) {
        _cleanup_free_ MemRange *ram = NULL;
        uint64_t outside, chunks = 0, free_outside = 0, used, window = params->window.end - params->window.start;
        size_t n = 0;

        if (memmap_ram_outside(&params->firmware, &params->window, &ram, &n) < 0)
                return UINT64_MAX;
        outside = ranges_bytes(ram, n);
        for (size_t i = 0; i < n; i++)
                chunks += DIV_ROUND_UP(ram[i].end - ram[i].start, (uint64_t) KJUMP_CHUNK_PAGES * KJUMP_PAGE_SIZE);
        /* The free pages inside the window do not shrink the image. */
        if (params->skip_free_pages && free_bytes > window)
                free_outside = MIN(free_bytes - window, outside);
        used = outside - free_outside;
        return KJUMP_IMAGE_HEADER_SIZE + ALIGN_TO(params->target.n * sizeof(struct kjump_extent), (uint64_t) 4096) +
               ALIGN_TO(chunks * sizeof(struct kjump_chunk), (uint64_t) 4096) + used +
               (params->leave_free_pages ? ALIGN_TO(outside / KJUMP_PAGE_SIZE / 8, (uint64_t) 4096) + 4096 : 0) +
               (UINT64_C(16) << 20) + outside / 100;
}

int target_size_parse(const char *s, uint64_t ram, uint64_t full, uint64_t *ret) {
        uint64_t v;
        size_t n;

        if (!s || !*s || strcmp(s, "ram") == 0) {
                *ret = full;
                return 0;
        }
        n = strlen(s);
        if (s[n - 1] == '%') {
                char digits[8];

                if (n - 1 == 0 || n - 1 >= sizeof(digits))
                        return -EINVAL;
                memcpy(digits, s, n - 1);
                digits[n - 1] = 0;
                if (parse_u64(digits, &v) < 0 || v == 0 || v > 100)
                        return -EINVAL;
                *ret = MIN(ALIGN_TO(ram / 100 * v, (uint64_t) 1 << 20), full);
                return 0;
        }
        if (parse_size(s, &v) < 0 || v < (UINT64_C(16) << 20))
                return -EINVAL;
        *ret = ALIGN_TO(v, (uint64_t) 1 << 20);
        return 0;
}

static int set_immutable(int fd, bool on) {
        int flags;

        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
                return negative_errno();
        flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
        if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
                return negative_errno();
        return 0;
}

/* Creates the directories above PATH that are missing. */
static int mkdir_parents(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; (s = strchr(s, '/')); s++) {
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return negative_errno();
                *s = '/';
        }
        return 0;
}

/* Is the file at FD a kjump target: regular, root's, with a kjump header
 * (of any state) at its start? */
static bool is_kjump_file(int fd) {
        struct kjump_image_header h;
        struct stat st;

        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0)
                return false;
        if (pread_full(fd, &h, sizeof(h), 0) < 0)
                return false;
        return memcmp(h.magic, KJUMP_IMAGE_MAGIC, sizeof(h.magic)) == 0;
}

int target_setup_file(const char *path, uint64_t size, bool force, char **ret_error) {
        const char *fs_name = NULL;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ uint8_t *zero = NULL;
        _cleanup_(target_map_done) TargetMap map = {};
        const size_t block = 4u << 20;
        const char *why = NULL;
        struct stat st;
        int r;

        if (size == 0 || size % 4096)
                return reason_set(ret_error, EINVAL, "size %" PRIu64 " is not a positive multiple of 4096", size);

        /* An existing target is replaced: lift its immutable flag first. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 && errno == ELOOP)
                return reason_set(ret_error, EEXIST, "%s is a symbolic link: refusing to follow it", path);
        if (fd >= 0) {
                if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                        return reason_set(ret_error, EEXIST, "%s exists and is not a regular file", path);
                /* Someone's file is never replaced by accident. A fresh
                 * target is all zeros until its first jump. */
                if (!force && st.st_size > 0 && !is_kjump_file(fd)) {
                        _cleanup_free_ uint8_t *head = malloc(4096);
                        ssize_t n = head ? pread(fd, head, 4096, 0) : -1;
                        bool blank = n > 0;

                        for (ssize_t i = 0; blank && i < n; i++)
                                blank = head[i] == 0;
                        if (!blank || st.st_uid != 0)
                                return reason_set(ret_error, EEXIST, "%s exists and is not a kjump target: refusing to "
                                              "replace it (--force replaces it)", path);
                }
                (void) set_immutable(fd, false);
                fd = safe_close(fd);
                if (unlink(path) < 0)
                        return reason_set(ret_error, errno, "cannot replace %s: %s", path, strerror(errno));
        }

        r = mkdir_parents(path, 0700);
        if (r < 0)
                return reason_set(ret_error, -r, "cannot create the directory of %s: %s", path, strerror(-r));
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return reason_set(ret_error, errno, "cannot create %s: %s", path, strerror(errno));
        if (fchown(fd, 0, 0) < 0 || fchmod(fd, 0600) < 0)
                return reason_set(ret_error, errno, "cannot protect %s: %s", path, strerror(errno));
        /* Refused before a single block is written: a file system or a
         * device-mapper stack the helper cannot write through (filling the
         * file would already write through a snapshot origin). */
        r = refuse_file_system(fd, path, &fs_name, ret_error);
        if (r >= 0 && fstat(fd, &st) < 0)
                r = reason_set(ret_error, errno, "cannot stat %s: %s", path, strerror(errno));
        if (r >= 0 && streq_ptr(fs_name, "btrfs")) {
                /* NOCOW before it has data: written in place, never
                 * compressed. The device is btrfs's, not st_dev. */
                _cleanup_(target_map_done) TargetMap none = {};
                dev_t fs_dev;

                r = btrfs_make_nocow(fd);
                if (r < 0)
                        r = reason_set(ret_error, r, "cannot make %s NOCOW (chattr +C) on btrfs: %s", path,
                                       strerror(-r));
                else
                        r = btrfs_map_file(fd, &none, &fs_dev, &map, ret_error);
                if (r >= 0 && dm_is_dm(fs_dev))
                        r = check_whole_stack(fs_dev, ret_error);
                target_map_done(&map);
        } else if (r >= 0 && dm_is_dm(st.st_dev))
                r = check_whole_stack(st.st_dev, ret_error);
        if (r < 0) {
                (void) unlink(path);
                return r;
        }
        /* Allocate in one go for few extents, then write every block:
         * fallocate alone leaves unwritten extents, which the file system
         * would zero over the helper's data on next access. */
        if (fallocate(fd, 0, 0, (off_t) size) < 0 && errno != EOPNOTSUPP)
                return reason_set(ret_error, errno, "cannot allocate %" PRIu64 " bytes for %s: %s", size, path,
                              strerror(errno));
        /* O_DIRECT where the file system has it: a gigabyte of zeros in the
         * page cache would crowd out the memory the helper's load needs. */
        {
                int dfd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC | O_NOFOLLOW);
                if (dfd >= 0) {
                        safe_close(fd);
                        fd = dfd;
                }
        }
        zero = aligned_alloc_direct(block);
        if (!zero)
                return -ENOMEM;
        memset(zero, 0, block);
        for (uint64_t off = 0; off < size; off += block) {
                r = pwrite_full(fd, zero, (size_t) MIN((uint64_t) block, size - off), (off_t) off);
                if (r < 0)
                        return reason_set(ret_error, -r, "cannot write %s: %s", path, strerror(-r));
        }
        if (fsync(fd) < 0)
                return reason_set(ret_error, errno, "cannot sync %s: %s", path, strerror(errno));
        (void) posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        r = target_map_file(fd, &map, &why);
        if (r < 0)
                return reason_set(ret_error, -r, "%s cannot be used after all: %s", path, why ?: strerror(-r));
        if (map.extents[0].length < KJUMP_IMAGE_HEADER_SIZE + ALIGN_TO(map.n * sizeof(struct kjump_extent), (size_t) 4096))
                return reason_set(ret_error, EXDEV, "%s is too fragmented: its first extent cannot hold the header and "
                              "the map of %zu extents", path, map.n);
        r = set_immutable(fd, true);
        if (r < 0)
                log_warning_errno(r, "Cannot make %s immutable (the file system does not support it?): %m", path);
        log_info("Prepared %s: %" PRIu64 " MiB in %zu extents.", path, size >> 20, map.n);
        return 0;
}

static const char *const encryption_table[_ENCRYPTION_MAX] = {
        [ENCRYPTION_AUTO] = "auto",
        [ENCRYPTION_LUKS] = "luks",
        [ENCRYPTION_NONE] = "none",
        [ENCRYPTION_TPM2] = "tpm2",
};

int encryption_from_string(const char *s) {
        return string_table_lookup(encryption_table, ELEMENTSOF(encryption_table), s);
}

const char *encryption_to_string(int e) {
        return e >= 0 && e < _ENCRYPTION_MAX ? encryption_table[e] : NULL;
}

bool dm_crypt_active(void) {
        DIR *d = opendir("/sys/block");
        struct dirent *de;
        bool found = false;

        if (!d)
                return false;
        while (!found && (de = readdir(d))) {
                _cleanup_free_ char *uuid = NULL;

                if (strncmp(de->d_name, "dm-", 3) != 0)
                        continue;
                found = read_one_line_at("/sys/block", de->d_name, "dm/uuid", &uuid) >= 0 &&
                        strncmp(uuid, "CRYPT-", 6) == 0;
        }
        closedir(d);
        return found;
}

int target_choose_protection(Target *t, int e, char **ret_error) {
        switch (e) {
        case ENCRYPTION_AUTO:
        case ENCRYPTION_LUKS:
                if (t->crypt_rdev != 0) {
                        t->protection = KJUMP_PROTECT_LUKS;
                        return 0;
                }
                if (e == ENCRYPTION_LUKS)
                        return reason_set(ret_error, EOPNOTSUPP, "Encryption=luks, but the target does not lie in "
                                          "a dm-crypt volume: put the image file on an encrypted file system");
                if (dm_crypt_active())
                        return reason_set(ret_error, EOPNOTSUPP, "the target lies outside encryption while dm-crypt "
                                          "volumes are active: the image would hold their keys and all of RAM in "
                                          "plaintext. Put the image file on an encrypted file system (kjumpctl "
                                          "setup-target PATH), keep its key in the TPM (Encryption=tpm2 in "
                                          "kjump.conf), or set Encryption=none to accept that");
                t->protection = KJUMP_PROTECT_NONE;
                return 0;
        case ENCRYPTION_NONE:
                if (t->crypt_rdev != 0)
                        return reason_set(ret_error, EOPNOTSUPP, "Encryption=none, but the target lies in the dm-crypt "
                                          "volume %s: kjump would write all of RAM in plaintext beneath it. Remove "
                                          "Encryption=none", t->crypt_name);
                t->protection = KJUMP_PROTECT_NONE;
                return 0;
        case ENCRYPTION_TPM2:
                if (access("/dev/tpmrm0", F_OK) < 0)
                        return reason_set(ret_error, ENODEV, "Encryption=tpm2, but this machine has no TPM 2.0 "
                                          "(/dev/tpmrm0): enable it in the firmware, or choose another Encryption=");
                t->protection = KJUMP_PROTECT_TPM2;
                return 0;
        default:
                return -EINVAL;
        }
}

/* The key block's place: the target's last page, past anything the helper
 * writes, and its offset on the dm-crypt volume. */
static int key_block_location(const Target *t, uint64_t *ret_logical, uint64_t *ret_device) {
        uint64_t logical = t->map.size - KJUMP_PAGE_SIZE, physical, length;
        int r;

        r = target_map_lookup(&t->crypt_map, logical, &physical, &length);
        if (r < 0)
                return r;
        if (length < KJUMP_PAGE_SIZE)
                return -EBADMSG;
        *ret_logical = logical;
        *ret_device = physical;
        return 0;
}

/* Opens the dm-crypt volume DEV (O_DIRECT), checking it is that device. */
static int open_crypt(dev_t dev, int flags) {
        _cleanup_free_ char *path = NULL, *uevent = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        char *name;

        /* Its node in devtmpfs, which exists before udev made any link
         * (kjump-clear runs early; the initrd may have no /dev/block). */
        if (asprintf(&path, "/sys/dev/block/%u:%u/uevent", major(dev), minor(dev)) < 0)
                return -ENOMEM;
        if (read_full_file(path, 1 << 16, &uevent, NULL) < 0 || !(name = strstr(uevent, "DEVNAME=")))
                return -ENODEV;
        name += 8;
        name[strcspn(name, "\n")] = 0;
        free(path);
        if (asprintf(&path, "/dev/%s", name) < 0)
                return -ENOMEM;
        fd = open(path, flags | O_DIRECT | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != dev)
                return -ESTALE;
        return TAKE_FD(fd);
}

int key_block_write(dev_t crypt, uint64_t offset, const struct kjump_key_block *block) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ void *buf = aligned_alloc_direct(KJUMP_PAGE_SIZE);
        int r;

        if (!buf)
                return -ENOMEM;
        fd = open_crypt(crypt, O_RDWR);
        if (fd < 0)
                return fd;
        memcpy(buf, block, KJUMP_PAGE_SIZE);
        r = pwrite_full(fd, buf, KJUMP_PAGE_SIZE, (off_t) offset);
        explicit_bzero(buf, KJUMP_PAGE_SIZE);
        if (r < 0)
                return r;
        if (fdatasync(fd) < 0)
                return -errno;
        return 0;
}

int key_block_read(dev_t crypt, uint64_t offset, const uint8_t image_id[16], ImageKey *ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ void *buf = aligned_alloc_direct(KJUMP_PAGE_SIZE);
        int r;

        if (!buf)
                return -ENOMEM;
        fd = open_crypt(crypt, O_RDONLY);
        if (fd < 0)
                return fd;
        r = pread_full(fd, buf, KJUMP_PAGE_SIZE, (off_t) offset);
        if (r >= 0)
                r = image_key_block_parse(buf, image_id, ret);
        explicit_bzero(buf, KJUMP_PAGE_SIZE);
        return r;
}

int key_block_destroy(dev_t crypt, uint64_t offset) {
        static const struct kjump_key_block zero;

        return key_block_write(crypt, offset, &zero);
}

int crypt_volume_over(dev_t below, dev_t *ret) {
        DIR *d = opendir("/sys/block");
        struct dirent *de;
        int r = -ENODEV;

        if (!d)
                return -errno;
        while (r == -ENODEV && (de = readdir(d))) {
                _cleanup_free_ char *uuid = NULL, *slaves = NULL, *dev = NULL;
                unsigned ma, mi;
                DIR *sd;
                struct dirent *se;
                int n = 0;
                bool match = false;

                if (strncmp(de->d_name, "dm-", 3) != 0)
                        continue;
                if (read_one_line_at("/sys/block", de->d_name, "dm/uuid", &uuid) < 0 || strncmp(uuid, "CRYPT-", 6) != 0)
                        continue;
                if (asprintf(&slaves, "/sys/block/%s/slaves", de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                sd = opendir(slaves);
                if (!sd)
                        continue;
                while ((se = readdir(sd))) {
                        _cleanup_free_ char *sdev = NULL;

                        if (se->d_name[0] == '.')
                                continue;
                        n++;
                        if (read_one_line_at(slaves, se->d_name, "dev", &sdev) >= 0 &&
                            sscanf(sdev, "%u:%u", &ma, &mi) == 2 && makedev(ma, mi) == below)
                                match = true;
                }
                closedir(sd);
                if (n != 1 || !match)
                        continue;
                if (read_one_line_at("/sys/block", de->d_name, "dev", &dev) >= 0 && sscanf(dev, "%u:%u", &ma, &mi) == 2) {
                        *ret = makedev(ma, mi);
                        r = 0;
                }
        }
        closedir(d);
        return r;
}

int target_destroy_key(Target *t, uint32_t protection) {
        uint64_t logical, device;
        int r;

        if (t->protection == KJUMP_PROTECT_TPM2 || protection == KJUMP_PROTECT_TPM2) {
                r = tpm2_device_key_destroy();
                if (r < 0)
                        return r;
        }
        /* The last page of a target in a dm-crypt volume is the key
         * block's, whatever protection the last image had. */
        if (t->crypt_rdev == 0)
                return 0;
        r = key_block_location(t, &logical, &device);
        if (r < 0)
                return r;
        return key_block_destroy(t->crypt_rdev, device);
}

int target_invalidate(Target *t, uint32_t reason, const char *message, int *ret_key_error) {
        struct kjump_image_header h = {};
        int r;

        /* Which key to destroy after: the image's own protection says. */
        if (target_read_header(t, &h, NULL) < 0)
                h.protection = KJUMP_PROTECT_NONE;
        r = image_invalidate(t->fd, &t->map, reason, message);
        *ret_key_error = r < 0 ? 0 : target_destroy_key(t, h.protection);
        return r;
}

int target_plan_image(Target *t, HelperParams *params) {
        int r;

        if (getrandom(params->image_id, sizeof(params->image_id), 0) != sizeof(params->image_id))
                return negative_errno();
        image_key_done(&params->key);
        if (t->protection != KJUMP_PROTECT_NONE) {
                r = image_key_generate(&params->key);
                if (r < 0)
                        return r;
        }
        params->target_device_size = t->device_size;
        target_map_done(&params->target);
        for (size_t i = 0; i < t->map.n; i++) {
                r = target_map_add(&params->target, t->map.extents[i].logical, t->map.extents[i].physical,
                                   t->map.extents[i].length);
                if (r < 0)
                        return r;
        }
        params->target.size = t->map.size;
        return 0;
}

int target_begin_image(Target *t, const HelperParams *params) {
        struct kjump_image_header h = {
                .version = KJUMP_IMAGE_VERSION,
                .header_size = KJUMP_IMAGE_HEADER_SIZE,
                .state = KJUMP_STATE_WRITING,
                .compression = params->compression,
                .created_usec = now_usec(CLOCK_REALTIME),
                .window_start = params->window.start,
                .window_end = params->window.end,
                .target_size = t->map.size,
        };
        _cleanup_free_ char *boot_id = NULL;
        struct kjump_image_header old;
        struct utsname u;
        int r;

        memcpy(h.magic, KJUMP_IMAGE_MAGIC, sizeof(h.magic));
        memcpy(h.image_id, params->image_id, sizeof(h.image_id));
        if (read_one_line("/proc/sys/kernel/random/boot_id", &boot_id) >= 0) {
                /* 8-4-4-4-12 hex digits: drop the dashes. */
                char hex[33];
                size_t k = 0;
                for (const char *c = boot_id; *c && k < 32; c++)
                        if (*c != '-')
                                hex[k++] = *c;
                hex[k] = 0;
                (void) hex_decode(hex, h.boot_id, sizeof(h.boot_id));
        }
        if (uname(&u) >= 0)
                snprintf(h.kernel_release, sizeof(h.kernel_release), "%s", u.release);
        r = image_header_set_memmap(&h, &params->firmware);
        if (r < 0)
                return r;
        h.protection = t->protection;
        if (t->protection == KJUMP_PROTECT_TPM2)
                h.key_nv_index = KJUMP_TPM2_NV_INDEX;
        if (t->protection == KJUMP_PROTECT_LUKS) {
                uint64_t logical, device;

                r = key_block_location(t, &logical, &device);
                if (r < 0)
                        return r;
                h.key_offset = logical;
                h.key_device_offset = device;
        }

        /* What is there now may be replaced only if it can never be
         * restored (image-state.h): a valid image on a running system is
         * invalidated at boot, so finding one here means something went
         * wrong, and it is not ours to overwrite silently. */
        r = target_read_header(t, &old, NULL);
        if (r >= 0 && image_state_next(old.state, IMAGE_EVENT_BEGIN, &(uint32_t) {0}) < 0)
                return -EBUSY;
        if (t->protection == KJUMP_PROTECT_LUKS) {
                struct kjump_key_block block;

                if (!params->key.set)
                        return -ENOKEY;
                image_key_block_make(&params->key, params->image_id, &block);
                r = key_block_write(t->crypt_rdev, h.key_device_offset, &block);
                explicit_bzero(&block, sizeof(block));
                if (r < 0)
                        return r;
        }
        if (t->protection == KJUMP_PROTECT_TPM2) {
                if (!params->key.set)
                        return -ENOKEY;
                r = tpm2_device_key_store(&params->key, params->image_id);
                if (r < 0)
                        return r;
        }
        return image_commit_header(t->fd, &t->map, &h);
}

int target_read_header(Target *t, struct kjump_image_header *ret, const char **ret_error) {
        /* Drop whatever A cached of these blocks before the helper wrote. */
        (void) posix_fadvise(t->fd, 0, 0, POSIX_FADV_DONTNEED);
        return image_read_header(t->fd, &t->map, ret, ret_error);
}

static bool maps_equal(const TargetMap *a, const TargetMap *b) {
        if (a->size != b->size || a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (a->extents[i].logical != b->extents[i].logical ||
                    a->extents[i].physical != b->extents[i].physical || a->extents[i].length != b->extents[i].length)
                        return false;
        return true;
}

int target_recheck(Target *t, const HelperParams *params, char **ret_reason) {
        _cleanup_(target_map_done) TargetMap now = {};
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        if (t->is_file) {
                const char *why = NULL;
                int flags = 0;

                fd = open(t->file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
                if (fd < 0)
                        return reason_set(ret_reason, ESTALE, "%s cannot be opened any more: %s", t->file, strerror(errno));
                if (fstat(fd, &st) < 0)
                        return reason_set(ret_reason, errno, "cannot stat %s: %s", t->file, strerror(errno));
                if (!S_ISREG(st.st_mode) || st.st_dev != t->file_dev || st.st_ino != t->file_ino)
                        return reason_set(ret_reason, ESTALE, "%s was replaced since the helper was loaded", t->file);
                if (st.st_uid != 0 || (st.st_mode & 077))
                        return reason_set(ret_reason, EPERM, "%s is no longer owned by root with mode 0600", t->file);
                if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 || !(flags & FS_IMMUTABLE_FL))
                        return reason_set(ret_reason, ESTALE, "%s is not immutable any more: its blocks may have moved",
                                      t->file);
                r = target_map_file(fd, &now, &why);
                if (r < 0)
                        return reason_set(ret_reason, ESTALE, "%s cannot be mapped any more: %s", t->file,
                                      why ?: strerror(-r));
                /* The whole stack again: a logical volume may have moved. */
                {
                        _cleanup_(crypt_layer_done) CryptLayer crypt = {};
                        _cleanup_free_ char *e = NULL;
                        dev_t below, fs_dev;

                        r = map_to_fs_device(fd, t->file, t->fs_name, st.st_dev, &now, &fs_dev, &e);
                        if (r >= 0)
                                r = map_through_stack(fs_dev, &now, &below, NULL, &crypt, &e);
                        if (r < 0)
                                return reason_set(ret_reason, ESTALE, "%s cannot be mapped any more: %s", t->file,
                                                  e ?: strerror(-r));
                        if (below != t->device_rdev)
                                return reason_set(ret_reason, ESTALE, "%s now lies on another device", t->file);
                        /* The key block goes through the same volume, to the same blocks. */
                        if (crypt.dev != t->crypt_rdev || (crypt.dev != 0 && !maps_equal(&crypt.map, &t->crypt_map)))
                                return reason_set(ret_reason, ESTALE, "the dm-crypt volume below %s changed", t->file);
                }
        } else {
                _cleanup_free_ char *path = NULL;
                uint64_t size;

                if (target_resolve(t->spec, &path) < 0)
                        return reason_set(ret_reason, ESTALE, "%s does not resolve any more", t->spec);
                /* Held from now until after the return: nothing may mount
                 * or claim the partition while the helper writes it. */
                fd = open(path, O_RDONLY | O_CLOEXEC | O_EXCL);
                if (fd < 0)
                        return reason_set(ret_reason, errno == EBUSY ? EBUSY : ESTALE, "cannot hold %s: %s", path,
                                      errno == EBUSY ? "it is in use (mounted, swap, or held)" : strerror(errno));
                if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != t->device_rdev)
                        return reason_set(ret_reason, ESTALE, "%s is now another device", t->spec);
                if (ioctl(fd, BLKGETSIZE64, &size) < 0 || size != t->device_size)
                        return reason_set(ret_reason, ESTALE, "%s changed size", t->spec);
                now.size = size & ~UINT64_C(4095);
                r = target_map_add(&now, 0, 0, now.size);
                if (r < 0)
                        return r;
        }

        if (!maps_equal(&now, &params->target) || !maps_equal(&now, &t->map))
                return reason_set(ret_reason, ESTALE, "the extents of %s moved since the helper was loaded",
                              t->is_file ? t->file : t->spec);
        if (params->target_device_size != t->device_size)
                return reason_set(ret_reason, ESTALE, "the device of %s changed size", t->spec);
        if (!t->is_file) {
                safe_close(t->excl_fd);
                t->excl_fd = TAKE_FD(fd);
        }
        return 0;
}

/* The PARTUUID of a partition, from its partition table. */
static int partition_uuid(const char *device, char **ret) {
        blkid_probe pr = blkid_new_probe_from_filename(device);
        const char *v = NULL;
        int r = -ENODATA;

        if (!pr)
                return -errno ?: -ENOMEM;
        blkid_probe_enable_superblocks(pr, 0);
        blkid_probe_enable_partitions(pr, 1);
        blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
        if (blkid_do_safeprobe(pr) == 0 && blkid_probe_lookup_value(pr, "PART_ENTRY_UUID", &v, NULL) == 0 && v) {
                *ret = strdup(v);
                r = *ret ? 0 : -ENOMEM;
        }
        blkid_free_probe(pr);
        return r;
}

int target_resume_location(const Target *t, char **ret) {
        _cleanup_free_ char *uuid = NULL;
        uint64_t offset = t->map.extents[0].physical;
        int r;

        /* Names that survive device renames: the file system's UUID for a
         * file, the partition's PARTUUID for a partition. Never /dev/sdX. */
        if (t->is_file && t->file_dev == t->device_rdev) {
                uuid = blkid_get_tag_value(NULL, "UUID", t->device);
                if (!uuid)
                        return -ENODATA;
                return asprintf(ret, "UUID=%s:%" PRIu64, uuid, offset) < 0 ? -ENOMEM : 0;
        }
        /* Below device-mapper the offsets are the device's, which the
         * boot reads raw before anything is activated: its PARTUUID, or
         * for a whole disk the UUID of what it holds (an LVM physical
         * volume's). */
        if (t->is_file) {
                if (partition_uuid(t->device, &uuid) >= 0)
                        return asprintf(ret, "PARTUUID=%s:%" PRIu64, uuid, offset) < 0 ? -ENOMEM : 0;
                uuid = blkid_get_tag_value(NULL, "UUID", t->device);
                if (!uuid)
                        return -ENODATA;
                return asprintf(ret, "UUID=%s:%" PRIu64, uuid, offset) < 0 ? -ENOMEM : 0;
        }
        r = partition_uuid(t->device, &uuid);
        if (r < 0)
                return r;
        return asprintf(ret, "PARTUUID=%s:%" PRIu64, uuid, offset) < 0 ? -ENOMEM : 0;
}

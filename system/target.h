/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "image-format.h"
#include "helper-params.h"
#include "extent-map.h"

/* An image target as the running system (A) sees it. */
typedef struct Target {
        char *spec;          /* as configured: a path, UUID=, PARTUUID=, LABEL=, PARTLABEL= */
        char *file;          /* the image file, for a file target */
        char *device;        /* the block device the image's blocks are on */
        uint64_t device_size;
        bool is_file;
        dev_t file_dev;      /* for a file: st_dev and st_ino when it was mapped */
        ino_t file_ino;
        dev_t device_rdev;   /* the block device's number */
        int fd;              /* the device, O_RDWR | O_DIRECT */
        int excl_fd;         /* a partition held O_EXCL across a jump, or -EBADF */
        TargetMap map;       /* the image's logical space on the device */
        char *layout;        /* a file: the device-mapper volumes between it and device ("" if none) */
        const char *fs_name; /* a file: its file system, "ext4" or "xfs" */
        /* A file inside a dm-crypt volume (at most one in its stack): the
         * volume, and the image's logical space on it, where A writes the
         * key block (include/kjump/image.h, "Protection"). */
        dev_t crypt_rdev;    /* 0: no dm-crypt below the file */
        char *crypt_name;
        TargetMap crypt_map;
        uint32_t protection; /* enum kjump_protection: target_choose_protection() */
} Target;

#define TARGET_NULL { .fd = -EBADF, .excl_fd = -EBADF }

#define KJUMP_TARGET_DEFAULT "/var/lib/kjump/image"
/* TargetSize='s default (docs/performance.md, "How large a target"). */
#define KJUMP_TARGET_SIZE_DEFAULT "60%"

void target_done(Target *t);

/* Encryption= in kjump.conf. */
typedef enum Encryption {
        ENCRYPTION_AUTO,  /* luks when the target lies in a dm-crypt volume; none when no
                             dm-crypt volume is active; refused otherwise */
        ENCRYPTION_LUKS,  /* the key in a key block inside the volume: the target must lie in one */
        ENCRYPTION_NONE,  /* plaintext: chosen explicitly; never beneath dm-crypt */
        ENCRYPTION_TPM2,  /* the key in the TPM (tpm2-key.h): for targets outside dm-crypt */
        _ENCRYPTION_MAX,
        _ENCRYPTION_INVALID = -EINVAL,
} Encryption;

int encryption_from_string(const char *s);
const char *encryption_to_string(int e);

/* Decides how T's images are protected under Encryption=E and records it
 * in T->protection; on refusal -EOPNOTSUPP and what to do in *ret_error. */
int target_choose_protection(Target *t, int e, char **ret_error);

/* Is any dm-crypt volume active on this system? */
bool dm_crypt_active(void);

/* Resolves a path, UUID=, PARTUUID=, LABEL= or PARTLABEL= with libblkid. */
int target_resolve(const char *spec, char **ret);

/* Resolves SPEC and maps it. On refusal returns -errno with a sentence in
 * *ret_error (static or owned by the caller: free it). */
int target_open(const char *spec, Target *ret, char **ret_error);

/* Right before a jump: is the target still exactly what the loaded helper
 * will write to? Reopens the file without following links (same inode,
 * root-only, immutable, not shared) and maps it again, or re-resolves the
 * partition (same device, same size) and holds it O_EXCL until
 * target_done(); then compares with PARAMS' map. -ESTALE with the reason
 * when anything moved: the helper must be loaded again with a new map. */
int target_recheck(Target *t, const HelperParams *params, char **ret_reason);

/* Where the boot-time restore finds the image before any file system is
 * mounted: "UUID=FS-UUID:OFFSET" for a file, "PARTUUID=UUID:0" for a
 * partition (kjump.resume=). -ENODATA when the device has no such name. */
int target_resume_location(const Target *t, char **ret);

/* The size a file target needs to hold any image of this machine's RAM:
 * every page stored uncompressed, the index, and the header. */
int target_size_for_ram(uint64_t *ret);

/* The most an image can take on a target planned in PARAMS when A holds
 * FREE_BYTES free (MemFree): every page outside the window that is not
 * free, stored uncompressed, with the header, the extent map, the index
 * and a margin for what A allocates on its way into the helper. Without
 * free-page skipping (PARAMS) every page counts. */
uint64_t target_image_need(const HelperParams *params, uint64_t free_bytes);

/* TargetSize= as a number of bytes for a machine of RAM bytes: "N%" of
 * RAM or a size ("8G"); "ram" (or empty): target_size_for_ram(). */
int target_size_parse(const char *s, uint64_t ram, uint64_t full, uint64_t *ret);

/* Creates (or re-creates) a file target of SIZE bytes at PATH: allocated,
 * fully written, mapped, 0600, immutable. An existing file is replaced only
 * when it is a kjump target, or with FORCE; a symbolic link never. */
int target_setup_file(const char *path, uint64_t size, bool force, char **ret_error);

/* Prepares the partition SPEC as a target: refuses it while it is in use,
 * and while libblkid finds any signature on it (a file system, swap, a
 * RAID or LUKS member, a partition table) unless FORCE, which wipes them;
 * then writes an empty kjump header, without which target_open() refuses
 * a partition. */
int target_setup_partition(const char *spec, bool force, char **ret_error);

/* Fills in what the helper needs to know of the target: a new image id,
 * the device size and the extent map, and for a protected image a new
 * key (target_choose_protection() first). */
int target_plan_image(Target *t, HelperParams *params);

/* Writes the header A writes just before a jump: state WRITING, PARAMS'
 * image id, A's identity and memory map, the protection; for LUKS
 * protection first the key block, through the dm-crypt volume. -EBUSY
 * when the target holds an image that could still be restored (VALID,
 * WRITING, RESTORING). */
int target_begin_image(Target *t, const HelperParams *params);

/* The key of T's image is gone for good: its key block (the target's last
 * page, when it lies in a dm-crypt volume) is overwritten with zeros
 * through the volume and flushed; with TPM2 protection (T->protection,
 * or PROTECTION, the protection of the image on it) the TPM's NV index is
 * undefined. 0 when T has no key anywhere. */
int target_destroy_key(Target *t, uint32_t protection);

/* Marks the image on T invalid (image_invalidate(): 1 when it wrote, 0
 * when there was nothing to invalidate) and destroys its key
 * (target_destroy_key(), with the protection its header names): an
 * invalid image must never be made restorable again by setting its
 * state back, which is not under the MAC. *RET_KEY_ERROR: the key's
 * destruction, 0 or -errno. */
int target_invalidate(Target *t, uint32_t reason, const char *message, int *ret_key_error);

/* The key block on the dm-crypt volume CRYPT at byte OFFSET: written (and
 * flushed), read and parsed for IMAGE_ID (-ENOKEY: not its key block),
 * or overwritten with zeros. */
int key_block_write(dev_t crypt, uint64_t offset, const struct kjump_key_block *block);
int key_block_read(dev_t crypt, uint64_t offset, const uint8_t image_id[16], ImageKey *ret);
int key_block_destroy(dev_t crypt, uint64_t offset);

/* The dm-crypt volume opened on the block device BELOW (its one slave):
 * -ENODEV when none is (not unlocked). */
int crypt_volume_over(dev_t below, dev_t *ret);

/* Reads the header on the target (O_DIRECT: A's page cache is stale after
 * the helper wrote). */
int target_read_header(Target *t, struct kjump_image_header *ret, const char **ret_error);

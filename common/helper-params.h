/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "memmap.h"
#include "extent-map.h"
#include "image-crypto.h"

/* What the loader tells the helper. It travels as the text file
 * KJUMP_PARAMS_PATH inside a small cpio archive appended to the helper's
 * initrd at load time (docs/design.md, "Parameters for the helper"). */
#define KJUMP_PARAMS_PATH "/kjump/params"
#define KJUMP_PARAMS_VERSION 1

/* The helper's window of A's RAM, [0, size): its whole memory. 64 MiB
 * holds the helper kernel, its initrd and the writer's buffers (field
 * notes 6c: 32 MiB is too small for the kernel above 16 MiB). The one
 * default: kjump.conf's WindowSize= overrides it. */
#define KJUMP_WINDOW_SIZE_DEFAULT (UINT64_C(64) << 20)
/* And its floor. Below 64 MiB the helper is unproven: Debian's kexec-tools
 * cannot place it in 32 MiB ("locate_hole failed"), and no image was ever
 * written from a smaller window. A larger one is fine (the index of a
 * machine with much RAM may need it: kjumpctl check says so). */
#define KJUMP_WINDOW_SIZE_MIN KJUMP_WINDOW_SIZE_DEFAULT

typedef enum HelperMode {
        HELPER_MODE_ROUNDTRIP,    /* jump straight back: proves the jump works */
        HELPER_MODE_TEST,         /* write, verify, jump back */
        HELPER_MODE_TEST_RESTORE, /* write, scribble over A, restore, jump back */
        HELPER_MODE_HIBERNATE,    /* write, power off */
        HELPER_MODE_RESTORE,      /* read an image back into RAM, jump into A */
        _HELPER_MODE_MAX,
        _HELPER_MODE_INVALID = -EINVAL,
} HelperMode;

const char *helper_mode_to_string(HelperMode m);

/* What the helper does once a hibernation image is committed. */
typedef enum HelperAfter {
        HELPER_AFTER_POWEROFF,  /* HibernateMode=shutdown (and platform, which it cannot enter) */
        HELPER_AFTER_REBOOT,    /* HibernateMode=reboot: the next boot restores */
        HELPER_AFTER_SUSPEND,   /* hybrid sleep: suspend to RAM; woken, discard the image and jump
                                   back; after a power loss the next boot restores */
        _HELPER_AFTER_MAX,
        _HELPER_AFTER_INVALID = -EINVAL,
} HelperAfter;

const char *helper_after_to_string(HelperAfter a);
HelperAfter helper_after_from_string(const char *s);
HelperMode helper_mode_from_string(const char *s);

typedef struct HelperParams {
        HelperMode mode;
        MemRange window;     /* the helper's own RAM, part of A's RAM */
        MemMap firmware;     /* A's firmware memory map */

        /* For every mode but roundtrip: where the image goes. The helper
         * finds the block device by reading the header the loader wrote
         * at logical offset 0, which carries image_id, on every block
         * device of target_device_size bytes. */
        uint8_t image_id[16];
        uint64_t target_device_size;
        TargetMap target;
        uint32_t compression;    /* enum kjump_compression */
        int compression_level;   /* 0: the codec's default */
        bool adaptive_compression; /* store chunks as is while compressing does not pay */
        HelperAfter after;       /* hibernate: what the helper does once the image is committed */

        /* Free pages: A's /sys/kernel/vmcoreinfo (0: none), which lets
         * the helper find them, and whether they may be left out of the
         * image (false when A poisons its free pages, or when asked). */
        uint64_t vmcoreinfo_phys;
        uint64_t vmcoreinfo_size;
        bool skip_free_pages;
        /* With skip_free_pages: the image records them apart from zero
         * pages, and a restore leaves them alone (false when A needs its
         * free pages zero, init_on_free). */
        bool leave_free_pages;

        /* A protected image's key (include/kjump/image.h, "Protection"):
         * made by A for this image alone, or read from the key block at
         * boot. It lives only in RAM: in the helper's window and in the
         * program that made or read it, which wipes it when done. */
        ImageKey key;

        /* The parked helper (docs/design.md): the physical address of
         * the mailbox page in A (0: not parked) and this load's nonce.
         * A parked helper jumps back to A at once after its boot and
         * takes each jump's mode, image id and key from the mailbox. */
        uint64_t mailbox_phys;
        uint8_t park_nonce[16];
} HelperParams;

static inline bool helper_mode_needs_target(HelperMode m) {
        return m != HELPER_MODE_ROUNDTRIP;
}

void helper_params_done(HelperParams *p);

/* Is CMDLINE, read from an image, a command line kjump could have made for
 * a helper confined to the window [WINDOW_START, WINDOW_END)? Every word
 * must be one kjump or kexec-tools puts there (nokaslr, panic=, console=,
 * loglevel=, quiet, acpi_rsdp=, kjump.*), memmap=exactmap must be there,
 * with nokaslr, and every memmap= range must lie inside the window. On
 * refusal -EBADMSG and the reason (static). */
int helper_cmdline_check(const char *cmdline, uint64_t window_start, uint64_t window_end, const char **ret_reason);

/* Text form: one "key value..." per line, "#" comments. */
/* The parameters are the helper's only word on where it may write (the
 * target's extents), and they may lie in A's memory for days between the
 * load and the jump. kexec-tools' purgatory would check them with the rest
 * of the loaded image, but its check also hashes the window's worth of
 * backup segments at every jump (docs/design.md, "The jump"), so kjump
 * loads with --no-checks and the parameters carry their own checksum:
 * seal() appends "checksum xxh3-128 HEX" over all the text before it;
 * unseal() checks it and cuts it off, or refuses the text. parse()
 * refuses a text that still carries the seal's line, so that a reader
 * which skipped unseal() takes nothing. */
int helper_params_seal(const char *text, char **ret);
int helper_params_unseal(char *text, const char **ret_reason);

int helper_params_format(const HelperParams *p, char **ret);
int helper_params_parse(const char *text, HelperParams *ret, char **ret_error);

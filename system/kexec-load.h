/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "memmap.h"
#include "helper-params.h"

typedef struct HelperLoad {
        const char *kexec_binary;  /* kexec-tools' kexec; NULL: search the usual places */
        const char *kernel;        /* helper bzImage */
        const char *initrd;        /* helper initrd (cpio, maybe compressed) */
        const char *extra_cmdline; /* appended to the helper's command line, may be NULL */
        const HelperParams *params;
        /* For a restore: a plain load (the loading kernel is not coming
         * back), with this command line verbatim: the one the helper had
         * when it wrote the image, so it is confined the same way. */
        const char *restore_cmdline;
} HelperLoad;

/* Builds the helper's command line from the running kernel's: its console=
 * settings are kept so the helper talks where A talks. */
int helper_cmdline(const char *running_cmdline, const char *extra, char **ret);

/* Builds the parameter archive: a cpio with KJUMP_PARAMS_PATH. */
int helper_params_archive(const HelperParams *p, void **ret, size_t *ret_size);

/* Loads the helper confined to params->window through kexec-tools: with
 * preserve-context, or plain for a restore. On failure, the reason. */
int kexec_load_helper(const HelperLoad *l, char **ret_reason);

/* The kernel has one kexec slot; every kjump program takes this lock
 * (flock on /run/kjump/kexec.lock) before it loads, probes or unloads, and
 * holds it for as long as its image is loaded. Returns the lock's fd, or
 * -EBUSY when another program holds it. */
#define KJUMP_KEXEC_LOCK "/run/kjump/kexec.lock"
int kexec_slot_lock(void);

/* Unloads whatever kexec image is loaded. */
int kexec_unload(void);

/* True when a kexec image is loaded (/sys/kernel/kexec_loaded). */
int kexec_is_loaded(void);

/* Syncs and jumps into the loaded image; returns 0 when the jump came
 * back, -errno when the kernel refused it. */
int kexec_jump(void);

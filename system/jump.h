/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "image-format.h"
#include "helper-params.h"
#include "park.h"
#include "target.h"

/* Where the helper kernel and its initrd are installed, and how large a
 * window of A's RAM it boots in. */
typedef struct JumpConfig {
        const char *helper_kernel;
        const char *helper_initrd;
        const char *kexec_binary;      /* NULL: search */
        const char *extra_cmdline;     /* appended to the helper's command line */
        uint64_t window_size;
        const char *target;            /* image target spec (modes that write) */
        uint32_t compression;
        int compression_level;
        bool adaptive_compression;     /* AdaptiveCompression= */
        bool hybrid;                   /* hibernate: suspend to RAM once the image is committed */
        bool save_free_pages;          /* SaveFreePages= */
        int encryption;                /* Encryption= (enum Encryption) */
        bool park;                     /* ParkHelper=: boot the helper at the load and park it */
} JumpConfig;

/* Fills P with what the helper needs for MODE on this machine. */
int jump_prepare_params(const JumpConfig *c, HelperMode mode, HelperParams *p, char **ret_reason);

/* Timings of one jump, CLOCK_MONOTONIC-independent: wall clock in
 * microseconds since the epoch, so a reader can tell time spent off. */
typedef struct JumpResult {
        uint64_t load_usec;    /* time to load the helper */
        uint64_t jump_usec;    /* when the jump started (realtime) */
        uint64_t return_usec;  /* when A ran again (realtime) */
        bool have_header;      /* header holds what the target says after the return */
        struct kjump_image_header header;
        bool resumed;          /* A came back from a restore of this image */
        bool woken;            /* hybrid sleep: woken from RAM, the image discarded */
        bool cancelled;        /* the user pressed Esc while the image was written */
        int settle_error;      /* the image's state after the return could not be written
                                  (tried twice): -errno, or 0 */
} JumpResult;

/* A loaded helper, ready to jump. */
typedef struct JumpSession {
        HelperMode mode;
        HelperParams params;
        Target target;        /* open when the mode writes an image */
        int lock_fd;          /* the kexec slot (kexec_slot_lock()), held while loaded */
        bool loaded;
        uint64_t load_usec;
        bool platform_requested; /* HibernateMode= asked for ACPI S4, done as a power-off */
        /* A parked helper (ParkHelper=yes): booted at the load, waiting
         * in A's loaded image for the next jump, which it takes from the
         * mailbox. */
        ParkMailbox mailbox;
        bool parked;
        uint64_t park_seq;        /* the last jump the helper took */
        uint64_t park_usec;       /* the park jump: the helper's boot, there and back */
        char *config_key;         /* jump_config_key() of the configuration it was loaded with */
} JumpSession;

#define JUMP_SESSION_NULL { .mode = _HELPER_MODE_INVALID, .target = TARGET_NULL, .lock_fd = -EBADF, \
                            .mailbox = PARK_MAILBOX_NULL }

/* What the helper is to do once a hibernation image is committed: suspend
 * for hybrid sleep, else what sleep.conf's HibernateMode= says (reboot, or
 * power off; *ret_platform (may be NULL) set when it asked for ACPI S4,
 * which the helper cannot enter). */
HelperAfter jump_hibernate_after(const JumpConfig *c, bool *ret_platform);

/* A text that differs when two configurations would load the helper
 * differently (NULL: out of memory). */
char *jump_config_key(const JumpConfig *c);

/* A park jump that never came back (the helper's kernel panicked and
 * the machine restarted) must not be tried again at every start of
 * kjumpd: that would be a reboot loop. Right before a park jump this file
 * records which helper is being parked (park_helper_key()); a successful
 * park removes it, and so does a jump the kernel refused (nothing was
 * tried). While it names the helper of now, kjumpd does not park. */
#define KJUMP_PARK_MARKER "/var/lib/kjump/park-attempt"
/* The helper's kernel and initrd as files: path, size, modification time. */
char *park_helper_key(const JumpConfig *c);
/* 0: a park of KEY may be tried, and MARKER now says it is being tried
 * (written and synced); -EALREADY: MARKER says the last park of KEY never
 * came back; other -errno: MARKER cannot be written. */
int park_attempt_begin(const char *marker, const char *key);
void park_attempt_end(const char *marker);

/* Unloads the helper if it is loaded and frees the session. */
void jump_session_done(JumpSession *s);

/* While a helper kjump loaded may be in the kernel's kexec slot, this
 * file says so: written before the load, removed once it is unloaded. A
 * kjumpd killed outright (SIGKILL, its watchdog) leaves it behind with the
 * helper still loaded, pinning its window and, parked, waiting for a
 * mailbox page that is no longer kjumpd's. */
#define KJUMP_LOADED_MARKER "/run/kjump/helper-loaded"
/* Unloads a helper that a kjump program that is gone left loaded: 1 when
 * one was unloaded, 0 when none was left, -EBUSY when a kjump program
 * still holds the kexec slot, other -errno on failure. */
int jump_release_stale(void);

/* Opens the target and loads the helper for MODE. The helper stays loaded
 * (pinning the window of RAM) until jump_run() or jump_session_done(). On
 * failure, the reason. */
int jump_load(const JumpConfig *c, HelperMode mode, JumpSession *ret, char **ret_reason);

/* Re-checks the target against the loaded helper's map (target_recheck()),
 * writes the image's first header, syncs, jumps, and after the return
 * unloads the stale helper and settles the image's state. A failure is
 * -errno with a sentence in *ret_reason (may be NULL):
 * -ESTALE when the target moved (load again and retry), -EBUSY when it
 * holds an image that could still be restored. */
int jump_run(JumpSession *s, JumpResult *ret, char **ret_reason);

/* After the return: reads what the target says now and settles the
 * image's state: one this system restored from becomes consumed, one the
 * helper never completed or one A runs on after becomes invalid, anything
 * not of this jump that could look restorable too. A failure to write the
 * state (tried twice) is ret->settle_error. */
void jump_settle(Target *t, const HelperParams *params, JumpResult *ret);

/* Loads the helper for MODE, syncs, jumps, and unloads the stale image
 * after the return. Afterwards, an image that could look restorable is
 * marked invalid (A ran on), and one that was just restored is marked
 * consumed. */
int jump_direct(const JumpConfig *c, HelperMode mode, JumpResult *ret, char **ret_reason);

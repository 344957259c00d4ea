/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image-reader.h"
#include "image-state.h"
#include "fileio.h"
#include "jump.h"
#include "kernel-facts.h"
#include "kexec-load.h"
#include "log.h"
#include "macro.h"
#include "meminfo.h"
#include "reason.h"
#include "sleep-config.h"
#include "memmap.h"
#include "target.h"
#include "time-util.h"

int jump_prepare_params(const JumpConfig *c, HelperMode mode, HelperParams *p, char **ret_reason) {
        _cleanup_(memmap_done) MemMap m = {};
        uint64_t in_window = 0;
        int r;

        r = memmap_read_sysfs("/sys/firmware/memmap", &m);
        if (r < 0)
                return reason_set(ret_reason, r, "cannot read the firmware memory map from /sys/firmware/memmap: %m");

        /* The window starts at 0 so that low memory, where A keeps its
         * real-mode trampoline, is swapped out and back with the rest. */
        p->window = (MemRange) { 0, c->window_size };
        for (size_t i = 0; i < m.n; i++)
                if (m.entries[i].type == MEM_RAM)
                        in_window += MIN(m.entries[i].range.end, p->window.end) -
                                     MIN(m.entries[i].range.start, p->window.end);
        if (in_window < c->window_size / 2)
                return reason_set(ret_reason, ERANGE, "only %" PRIu64 " KiB of the %" PRIu64 " KiB window below 0x%" PRIx64
                                       " is RAM: too little for the helper kernel.",
                                       in_window >> 10, c->window_size >> 10, p->window.end);

        p->mode = mode;
        p->firmware = m;
        m = (MemMap) {};

        /* Free pages: where A's VMCOREINFO is, and whether they may be
         * left out (not when A poisons them: it checks the poison when it
         * hands them out again). */
        r = kernel_vmcoreinfo_read("/sys/kernel/vmcoreinfo", &p->vmcoreinfo_phys, &p->vmcoreinfo_size);
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Cannot read /sys/kernel/vmcoreinfo: %m");
        const char *why;
        FreePagesUse use = free_pages_use(c->save_free_pages, p->vmcoreinfo_phys != 0, &why);

        /* Said when it is not what the configuration asked for. */
        if (use == FREE_PAGES_SAVE && !c->save_free_pages)
                log_info("The image will hold free pages too: %s.", why);
        p->skip_free_pages = use != FREE_PAGES_SAVE;
        /* They are left alone at a restore, unless A relies on them
         * holding zeros (or nothing tells whether it does). */
        p->leave_free_pages = use == FREE_PAGES_SKIP_LEAVE;
        return 0;
}

/* Invalidates the image on T, once more after a failure; -errno when both
 * failed. */
static int invalidate_twice(Target *t, uint32_t reason, const char *message) {
        int r = 0;

        for (int attempt = 0; attempt < 2; attempt++) {
                r = image_invalidate(t->fd, &t->map, reason, message);
                if (r >= 0)
                        return 0;
                log_warning_errno(r, "Failed to invalidate the image on %s: %m", t->device);
        }
        return r;
}

void jump_settle(Target *t, const HelperParams *params, JumpResult *ret) {
        const char *why = NULL;
        int r;

        r = target_read_header(t, &ret->header, &why);
        if (r < 0) {
                log_error_errno(r, "Cannot read the image header on %s after the return: %s", t->device,
                                why ?: "I/O error");
                ret->settle_error = invalidate_twice(t, KJUMP_REASON_CORRUPT, "unreadable after the return");
                return;
        }
        ret->have_header = true;
        if (memcmp(ret->header.image_id, params->image_id, sizeof(params->image_id)) != 0) {
                /* Not the image we began: nothing of ours may look valid. */
                if (ret->header.state == KJUMP_STATE_VALID || ret->header.state == KJUMP_STATE_WRITING)
                        ret->settle_error = invalidate_twice(t, KJUMP_REASON_ERROR, "a foreign image after the return");
                return;
        }

        switch (ret->header.state) {
        case KJUMP_STATE_INVALID:
                /* Hybrid sleep, woken from RAM: the helper discarded the
                 * image before it came back. */
                ret->woken = ret->header.reason == KJUMP_REASON_WOKEN;
                ret->cancelled = ret->header.reason == KJUMP_REASON_CANCELLED;
                break;
        case KJUMP_STATE_RESTORING:
                /* We are back from a cold boot and a restore of this very
                 * image: it must never be restored again. */
                ret->resumed = true;
                for (int attempt = 0; attempt < 2; attempt++) {
                        r = image_state_commit(t->fd, &t->map, &ret->header, IMAGE_EVENT_RESUMED, 0, NULL);
                        if (r >= 0)
                                break;
                        log_error_errno(r, "Failed to mark the restored image consumed: %m");
                }
                if (r < 0)
                        ret->settle_error = invalidate_twice(t, KJUMP_REASON_INVALIDATED, "restored");
                break;
        case KJUMP_STATE_WRITING:
                /* The helper never committed anything: it could not find or
                 * write the target, and said why on the console. */
                ret->settle_error = invalidate_twice(t, KJUMP_REASON_ERROR,
                                                     "the helper did not complete the image (see its console output)");
                (void) target_read_header(t, &ret->header, NULL);
                break;
        case KJUMP_STATE_VALID:
                /* A runs on: its disks move away from the image. */
                ret->settle_error = invalidate_twice(t, KJUMP_REASON_INVALIDATED,
                                                     "the original kernel ran on after the image was written");
                (void) target_read_header(t, &ret->header, NULL);
                break;
        default:
                break;
        }
}

HelperAfter jump_hibernate_after(const JumpConfig *c, bool *ret_platform) {
        SleepConfig sc;

        if (ret_platform)
                *ret_platform = false;
        if (c->hybrid)
                return HELPER_AFTER_SUSPEND;
        if (sleep_config_load("/", &sc) < 0)
                return HELPER_AFTER_POWEROFF;
        if (ret_platform)
                *ret_platform = sc.platform_requested;
        return sc.hibernate_after;
}

char *jump_config_key(const JumpConfig *c) {
        char *k;

        if (asprintf(&k, "%s\n%s\n%s\n%s\n%" PRIu64 "\n%s\n%" PRIu32 " %d %d %d %d %d %d", strempty(c->helper_kernel),
                     strempty(c->helper_initrd), strempty(c->kexec_binary), strempty(c->extra_cmdline),
                     c->window_size, strempty(c->target), c->compression, c->compression_level, c->adaptive_compression, c->hybrid,
                     c->save_free_pages, c->encryption, c->park) < 0)
                return NULL;
        return k;
}

/* Unloads what kjump loaded; the marker goes once nothing is left. */
static int unload_helper(void) {
        int r = kexec_unload();

        if (r >= 0 && unlink(KJUMP_LOADED_MARKER) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Cannot remove %s: %m", KJUMP_LOADED_MARKER);
        return r;
}

int jump_release_stale(void) {
        _cleanup_close_ int lock = kexec_slot_lock();
        int loaded, r;

        if (lock < 0)
                return lock;
        if (access(KJUMP_LOADED_MARKER, F_OK) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        loaded = kexec_is_loaded();
        if (loaded < 0)
                return loaded;
        if (loaded) {
                r = unload_helper();
                return r < 0 ? r : 1;
        }
        if (unlink(KJUMP_LOADED_MARKER) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}

void jump_session_done(JumpSession *s) {
        if (s->loaded) {
                int r = unload_helper();
                if (r < 0)
                        log_warning_errno(r, "Failed to unload the helper kernel: %m");
        }
        park_mailbox_close(&s->mailbox);
        free(s->config_key);
        helper_params_done(&s->params);
        target_done(&s->target);
        safe_close(s->lock_fd);
        *s = (JumpSession) JUMP_SESSION_NULL;
}

static int load_helper(const JumpConfig *c, JumpSession *s, char **ret_reason) {
        _cleanup_free_ char *pid = NULL;
        int r;

        /* Before the load: a kjumpd killed during it leaves the marker. */
        if (asprintf(&pid, "%d\n", (int) getpid()) < 0)
                return -ENOMEM;
        r = write_file_atomic(KJUMP_LOADED_MARKER, KJUMP_LOADED_MARKER ".tmp", pid);
        if (r < 0)
                return reason_set(ret_reason, r, "cannot write %s: %m", KJUMP_LOADED_MARKER);
        r = kexec_load_helper(&(HelperLoad) {
                .kexec_binary = c->kexec_binary,
                .kernel = c->helper_kernel,
                .initrd = c->helper_initrd,
                .extra_cmdline = c->extra_cmdline,
                .params = &s->params,
        }, ret_reason);
        if (r < 0) {
                if (kexec_is_loaded() == 0)
                        (void) unlink(KJUMP_LOADED_MARKER);
                return r;
        }
        s->loaded = true;
        return 0;
}

char *park_helper_key(const JumpConfig *c) {
        struct stat k = {}, i = {};
        char *key;

        (void) stat(strempty(c->helper_kernel), &k);
        (void) stat(strempty(c->helper_initrd), &i);
        if (asprintf(&key, "%s %lld %lld.%09ld\n%s %lld %lld.%09ld\n", strempty(c->helper_kernel),
                     (long long) k.st_size, (long long) k.st_mtim.tv_sec, k.st_mtim.tv_nsec,
                     strempty(c->helper_initrd), (long long) i.st_size, (long long) i.st_mtim.tv_sec,
                     i.st_mtim.tv_nsec) < 0)
                return NULL;
        return key;
}

int park_attempt_begin(const char *marker, const char *key) {
        _cleanup_free_ char *old = NULL, *tmp = NULL, *dir = NULL;
        char *slash;

        if (read_full_file(marker, 1 << 16, &old, NULL) >= 0 && streq_ptr(old, key))
                return -EALREADY;
        if (asprintf(&tmp, "%s.tmp", marker) < 0 || !(dir = strdup(marker)))
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = 0;
                (void) mkdir_p(dir, 0755);
        }
        return write_file_atomic(marker, tmp, key); /* the jump syncs */
}

void park_attempt_end(const char *marker) {
        if (unlink(marker) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Cannot remove %s: %m", marker);
}

/* The park jump: the helper boots, finds the mailbox this load's, and
 * jumps straight back, parked in A's loaded image. A is stopped meanwhile,
 * as for a hibernation; nothing is written anywhere. */
static int park(const JumpConfig *c, JumpSession *s, char **ret_reason) {
        struct kjump_park_mailbox *mb = s->mailbox.page;
        _cleanup_free_ char *key = park_helper_key(c);
        uint64_t t0;
        int r;

        if (!key)
                return -ENOMEM;
        r = park_attempt_begin(KJUMP_PARK_MARKER, key);
        if (r == -EALREADY)
                return reason_set(ret_reason, r, "the last park of this helper failed or never came back (the "
                                  "machine restarted during its boot: see that boot's log); parking stays off "
                                  "until the helper is updated or %s is removed", KJUMP_PARK_MARKER);
        if (r < 0)
                return reason_set(ret_reason, r, "cannot write %s: %m", KJUMP_PARK_MARKER);

        *mb = (struct kjump_park_mailbox) { .seq = 0, .mode = s->mode, .after = s->params.after };
        memcpy(mb->nonce, s->params.park_nonce, sizeof(mb->nonce));
        park_mailbox_seal(mb);
        log_info("Booting the helper kernel to park it (mailbox at 0x%" PRIx64 ").", s->mailbox.phys);
        log_mark("park-jump", "mailbox=0x%" PRIx64, s->mailbox.phys);
        /* CLOCK_BOOTTIME: the monotonic clock stops while A is away. */
        t0 = now_usec(CLOCK_BOOTTIME);
        r = kexec_jump();
        if (r < 0) {
                /* Nothing was tried (a task that would not freeze, say):
                 * the next load may try again. */
                park_attempt_end(KJUMP_PARK_MARKER);
                return reason_set(ret_reason, r, "the kernel refused the park jump: %m");
        }
        s->park_usec = now_usec(CLOCK_BOOTTIME) - t0;
        /* A helper that came back without parking keeps the marker: it
         * is not parked again (and A not stopped again for it) at every
         * load, until it is updated. */
        if (mb->status != KJUMP_PARK_STATUS_PARKED || mb->status_seq != 0)
                return reason_set(ret_reason, EPROTO, "the helper came back without parking (status %u: %.*s); "
                                  "it is not parked again until it is updated or %s is removed", mb->status,
                                  (int) sizeof(mb->message), mb->message, KJUMP_PARK_MARKER);
        park_attempt_end(KJUMP_PARK_MARKER);
        s->parked = true;
        s->park_seq = 0;
        log_info("The helper kernel is parked: booted and back in %.2f s.", s->park_usec / 1e6);
        log_mark("parked", "seconds=%.2f", s->park_usec / 1e6);
        return 0;
}

int jump_load(const JumpConfig *c, HelperMode mode, JumpSession *ret, char **ret_reason) {
        _cleanup_(jump_session_done) JumpSession s = JUMP_SESSION_NULL;
        uint64_t t0;
        int r;

        s.mode = mode;
        s.lock_fd = kexec_slot_lock();
        if (s.lock_fd == -EBUSY)
                return reason_set(ret_reason, EBUSY, "another kjump program holds the kernel's kexec slot (kjumpd, "
                                  "with its preloaded helper?): hibernate through it ('kjumpctl suspend'), or stop "
                                  "kjumpd first");
        if (s.lock_fd < 0)
                return reason_set(ret_reason, s.lock_fd, "cannot lock %s: %m", KJUMP_KEXEC_LOCK);
        r = jump_prepare_params(c, mode, &s.params, ret_reason);
        if (r < 0)
                return r;

        if (helper_mode_needs_target(mode)) {
                _cleanup_free_ char *why = NULL;

                r = target_open(c->target ?: KJUMP_TARGET_DEFAULT, &s.target, &why);
                if (r < 0)
                        return reason_set(ret_reason, r, "the image target %s cannot be used: %s",
                                          c->target ?: KJUMP_TARGET_DEFAULT, why ?: "unknown error");
                r = target_choose_protection(&s.target, c->encryption, &why);
                if (r < 0)
                        return reason_set(ret_reason, r, "the image target %s cannot be used: %s",
                                          c->target ?: KJUMP_TARGET_DEFAULT, why ?: "unknown error");
                s.params.compression = c->compression;
                s.params.compression_level = c->compression_level;
                s.params.adaptive_compression = c->adaptive_compression;
                if (mode == HELPER_MODE_HIBERNATE)
                        s.params.after = jump_hibernate_after(c, &s.platform_requested);
                r = target_plan_image(&s.target, &s.params);
                if (r < 0)
                        return reason_set(ret_reason, r, "cannot plan the image on %s: %m", s.target.device);
        }

        if (c->park && helper_mode_needs_target(mode)) {
                r = park_mailbox_open(&s.mailbox, &s.params.window);
                if (r >= 0 && getrandom(s.params.park_nonce, sizeof(s.params.park_nonce), 0) !=
                                      (ssize_t) sizeof(s.params.park_nonce))
                        r = negative_errno();
                if (r < 0) {
                        log_warning_errno(r, "Cannot set up the parked helper's mailbox (%m); the helper boots at "
                                          "each jump instead.");
                        park_mailbox_close(&s.mailbox);
                } else
                        s.params.mailbox_phys = s.mailbox.phys;
        }

        t0 = now_usec(CLOCK_MONOTONIC);
        r = load_helper(c, &s, ret_reason);
        if (r < 0)
                return r;
        s.load_usec = now_usec(CLOCK_MONOTONIC) - t0;
        s.config_key = jump_config_key(c);

        if (s.params.mailbox_phys != 0) {
                _cleanup_free_ char *why = NULL;

                r = park(c, &s, &why);
                if (r < 0) {
                        log_warning("The helper could not be parked (%s); it boots at each jump instead.",
                                    why ?: strerror(-r));
                        (void) unload_helper();
                        s.loaded = false;
                        park_mailbox_close(&s.mailbox);
                        s.params.mailbox_phys = 0;
                        r = load_helper(c, &s, ret_reason);
                        if (r < 0)
                                return r;
                }
        }

        *ret = s;
        s = (JumpSession) JUMP_SESSION_NULL;
        return 0;
}

/* A target smaller than RAM: right before the jump, the image must fit
 * even if every page in use is incompressible. If it might not, the
 * clean page cache goes first (after a sync, all of it is clean); the
 * hibernation is refused only when that is not enough. */
static int ensure_fit(JumpSession *s, char **ret_reason) {
        uint64_t need, have = s->target.map.size, before;
        MemInfo mi;
        int r;

        if (target_image_need(&s->params, 0) <= have)
                return 0; /* fits even with every page saved */
        if (!s->params.skip_free_pages)
                return reason_set(ret_reason, ENOSPC, "the target holds %" PRIu64 " MiB, less than RAM, and the "
                                  "image must hold every page (the kernel's free pages cannot be left out: %s)",
                                  have >> 20, s->params.vmcoreinfo_phys ? "page poisoning or SaveFreePages=yes"
                                                                        : "no /sys/kernel/vmcoreinfo");
        r = meminfo_read("/proc/meminfo", &mi);
        if (r < 0)
                return reason_set(ret_reason, r, "cannot read /proc/meminfo to see whether the image fits: %m");
        need = target_image_need(&s->params, mi.free);
        if (need <= have)
                return 0;
        before = mi.free;
        log_info("The image might not fit: up to %" PRIu64 " MiB, the target holds %" PRIu64 " MiB; dropping the "
                 "page cache (%" PRIu64 " MiB).", need >> 20, have >> 20, mi.cached >> 20);
        sync();
        r = write_string_file("/proc/sys/vm/drop_caches", "1");
        if (r < 0)
                return reason_set(ret_reason, r, "the image might not fit (up to %" PRIu64 " MiB in a %" PRIu64
                                  " MiB target) and the page cache cannot be dropped: %m", need >> 20, have >> 20);
        r = meminfo_read("/proc/meminfo", &mi);
        if (r < 0)
                return reason_set(ret_reason, r, "cannot read /proc/meminfo to see whether the image fits: %m");
        need = target_image_need(&s->params, mi.free);
        log_info("Dropped the page cache: %" PRIu64 " MiB freed; the image takes up to %" PRIu64 " MiB of the "
                 "target's %" PRIu64 " MiB.", (mi.free > before ? mi.free - before : 0) >> 20, need >> 20, have >> 20);
        log_mark("dropped-caches", "freed_mib=%" PRIu64 " need_mib=%" PRIu64 " target_mib=%" PRIu64,
                 (mi.free > before ? mi.free - before : 0) >> 20, need >> 20, have >> 20);
        if (need > have)
                return reason_set(ret_reason, ENOSPC, "the image might not fit in the target: up to %" PRIu64
                                  " MiB of RAM in use even without the page cache, the target holds %" PRIu64
                                  " MiB; close programs, or make the target larger "
                                  "('kjumpctl setup-target --force --size SIZE')", need >> 20, have >> 20);
        return 0;
}

static void destroy_key(JumpSession *s) {
        int r = target_destroy_key(&s->target, KJUMP_PROTECT_NONE);

        if (r < 0)
                log_warning_errno(r, "Failed to destroy the image's key on %s: %m (the image is invalid; its key "
                                  "goes with the next hibernation)", s->target.crypt_name ?: s->target.device);
        else if (s->target.crypt_rdev != 0 || s->target.protection == KJUMP_PROTECT_TPM2)
                log_mark("key-destroyed", NULL);
        image_key_done(&s->params.key);
}

/* Fills the mailbox for the next jump into the parked helper. */
static void park_request(JumpSession *s) {
        struct kjump_park_mailbox *mb = s->mailbox.page;

        *mb = (struct kjump_park_mailbox) {
                .seq = s->park_seq + 1,
                .mode = s->mode,
                .after = s->params.after,
                .key_set = s->params.key.set,
        };
        memcpy(mb->nonce, s->params.park_nonce, sizeof(mb->nonce));
        memcpy(mb->image_id, s->params.image_id, sizeof(mb->image_id));
        if (s->params.key.set)
                memcpy(mb->key, s->params.key.master, sizeof(mb->key));
        park_mailbox_seal(mb);
}

/* After a jump into the parked helper: did it take this jump and park
 * again? Anything else (a restore of an image, which brings back A's
 * memory of before the jump; a refusal) and it is not to be used again. */
static bool park_returned(JumpSession *s) {
        struct kjump_park_mailbox *mb = s->mailbox.page;
        uint64_t seq = s->park_seq + 1;
        bool ok;

        if (!s->parked)
                return false;
        explicit_bzero(mb->key, sizeof(mb->key)); /* the helper wiped it too */
        ok = mb->status == KJUMP_PARK_STATUS_PARKED && mb->status_seq == seq;
        if (!ok)
                log_info("The parked helper is not parked any more (status %u for jump %" PRIu64 ", expected %"
                         PRIu64 "%s%.*s): it will be booted again.", mb->status, mb->status_seq, seq,
                         mb->message[0] ? ": " : "", (int) sizeof(mb->message), mb->message);
        else
                s->park_seq = seq;
        return ok;
}

int jump_run(JumpSession *s, JumpResult *ret, char **ret_reason) {
        int r;

        if (!s->loaded)
                return -ESTALE;
        ret->load_usec = s->load_usec;

        if (s->target.fd >= 0) {
                /* The map in the loaded helper may be days old: it must
                 * still be the target's, block for block, right now. */
                r = target_recheck(&s->target, &s->params, ret_reason);
                if (r < 0)
                        return r;
                r = ensure_fit(s, ret_reason);
                if (r < 0)
                        return r;
                /* A parked helper writes image after image: each gets
                 * its own id and key, handed over in the mailbox. */
                if (s->parked) {
                        r = target_plan_image(&s->target, &s->params);
                        if (r < 0)
                                return reason_set(ret_reason, r, "cannot plan the image on %s: %m",
                                                  s->target.device);
                }
                r = target_begin_image(&s->target, &s->params);
                if (r < 0 && r != -EBUSY)
                        destroy_key(s); /* it may have reached its block before the header failed */
                if (r == -EBUSY)
                        return reason_set(ret_reason, r, "the target holds an image that could still be restored; "
                                          "it was not invalidated at boot (run 'kjumpctl invalidate')");
                if (r < 0)
                        return reason_set(ret_reason, r, "cannot write the image header to %s: %m", s->target.device);
        }

        if (s->platform_requested)
                log_info("HibernateMode=platform: the helper cannot enter ACPI S4 (the firmware's own "
                         "hibernation); it powers the machine off instead.");
        log_info("Jumping into the helper kernel (mode %s%s).", helper_mode_to_string(s->mode),
                 s->mode != HELPER_MODE_HIBERNATE           ? ""
                 : s->params.after == HELPER_AFTER_REBOOT  ? ", then reboot"
                 : s->params.after == HELPER_AFTER_SUSPEND ? ", then suspend to RAM (hybrid sleep)"
                                                           : "");
        if (s->parked)
                park_request(s);
        log_mark("jump", "mode=%s parked=%s", helper_mode_to_string(s->mode), yes_no(s->parked));
        ret->jump_usec = now_usec(CLOCK_REALTIME);
        r = kexec_jump();
        ret->return_usec = now_usec(CLOCK_REALTIME);

        /* Unless the helper parked again after this very jump, the loaded
         * image is stale now: its source pages hold other data (the
         * helper of a restore, say). It must never be jumped into again. */
        if (r < 0 || !park_returned(s)) {
                s->loaded = false;
                s->parked = false;
                park_mailbox_close(&s->mailbox);
                int k = unload_helper();
                if (k < 0)
                        log_warning_errno(k, "Failed to unload the stale helper image: %m");
        }

        if (r < 0) {
                (void) reason_set(ret_reason, r, "the kernel refused the jump: %m");
                if (s->target.fd >= 0) {
                        ret->settle_error = invalidate_twice(&s->target, KJUMP_REASON_ERROR, "the jump was refused");
                        destroy_key(s);
                }
                return r;
        }
        if (s->target.fd >= 0) {
                jump_settle(&s->target, &s->params, ret);
                /* A runs again: whatever the image's state, it is never to
                 * be restored, and its key goes now. */
                destroy_key(s);
        }
        return 0;
}

int jump_direct(const JumpConfig *c, HelperMode mode, JumpResult *ret, char **ret_reason) {
        _cleanup_(jump_session_done) JumpSession s = JUMP_SESSION_NULL;
        int r;

        r = jump_load(c, mode, &s, ret_reason);
        if (r < 0)
                return r;
        return jump_run(&s, ret, ret_reason);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "check.h"
#include "image-state.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "spawn-util.h"
#include "target.h"

static const char *const manager_state_table[_MANAGER_STATE_MAX] = {
        [MANAGER_IDLE] = "idle",
        [MANAGER_HIBERNATING] = "hibernating",
        [MANAGER_TESTING] = "testing",
};

const char *manager_state_to_string(ManagerState s) {
        return (unsigned) s < _MANAGER_STATE_MAX ? manager_state_table[s] : NULL;
}

int manager_new(Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        m = calloc(1, sizeof(Manager));
        if (!m)
                return -ENOMEM;
        m->state = MANAGER_IDLE;
        m->session = (JumpSession) JUMP_SESSION_NULL;
        kjump_config_defaults(&m->config);
        m->config_dir = strdup(KJUMP_CONF_DIR);
        m->sleep_hook_dir = strdup("/usr/lib/systemd/system-sleep");
        if (!m->config_dir || !m->sleep_hook_dir)
                return -ENOMEM;
        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        jump_session_done(&m->session);
        manager_polkit_queries_free(m);
        sd_event_source_unref(m->jump_source);
        sd_bus_message_unref(m->pending);
        free(m->pending_message);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        kjump_config_done(&m->config);
        free(m->config_dir);
        free(m->sleep_hook_dir);
        free(m->unavailable);
        free(m->last_result);
        free(m->stale_image);
        free(m);
        return NULL;
}

static JumpConfig jump_config(const Manager *m) {
        return (JumpConfig) {
                .helper_kernel = m->config.helper_kernel,
                .helper_initrd = m->config.helper_initrd,
                .window_size = m->config.window_size,
                .target = m->config.target,
                .compression = m->config.compression,
                .compression_level = m->config.compression_level,
        };
}

static void set_unavailable(Manager *m, char *reason) {
        free(m->unavailable);
        m->unavailable = reason;
}

static void load_config(Manager *m) {
        _cleanup_free_ char *error = NULL;
        KjumpConfig c = {};
        int r;

        kjump_config_defaults(&c);
        r = kjump_config_load(&c, m->config_dir, &error);
        if (r < 0) {
                log_error("Invalid configuration, keeping the previous one: %s", error ?: strerror(-r));
                kjump_config_done(&c);
                return;
        }
        kjump_config_done(&m->config);
        m->config = c;
}

/* Marks the image on the target invalid (reason, MESSAGE), once more after
 * a failure. When both fail an image that could be restored over a system
 * that moved on stays on the disk: hibernation is then refused until the
 * user fixes it, with the reason. */
static void invalidate_target(Manager *m, const char *message) {
        _cleanup_(target_done) Target t = TARGET_NULL;
        _cleanup_free_ char *why = NULL;
        const char *spec = m->config.target ?: KJUMP_TARGET_DEFAULT;
        int r;

        r = target_open(spec, &t, &why);
        if (r == -ENOENT)
                return;
        if (r < 0) {
                log_debug("Image target %s: %s; nothing to invalidate.", spec, why ?: strerror(-r));
                return;
        }
        for (int attempt = 0; attempt < 2; attempt++) {
                r = image_invalidate(t.fd, &t.map, KJUMP_REASON_INVALIDATED, message);
                if (r >= 0)
                        break;
        }
        if (r < 0) {
                log_error_errno(r, "Cannot invalidate the image on %s: %m", spec);
                free(m->stale_image);
                if (asprintf(&m->stale_image, "The image on %s could not be invalidated (%s): fix the target "
                             "and run 'kjumpctl invalidate'.", spec, strerror(-r)) < 0)
                        m->stale_image = NULL;
        } else if (r > 0)
                log_notice("The image on %s is invalid now: %s.", spec, message);
}

/* Loads the helper for a hibernation, once more after a failure (the
 * kernel needs free pages outside the window). A failure does not make
 * hibernation unavailable: the jump loads it then. */
static void preload(Manager *m) {
        _cleanup_free_ char *reason = NULL;
        JumpConfig jc = jump_config(m);
        int r = -EIO;

        for (int attempt = 0; attempt < 2 && r < 0; attempt++)
                r = jump_load(&jc, HELPER_MODE_HIBERNATE, &m->session, &reason);
        if (r < 0)
                log_warning_errno(r, "The helper kernel could not be preloaded (%s); it will be loaded at "
                                  "hibernation time.", reason ?: strerror(-r));
        else
                log_info("Helper kernel loaded in %.2f s; %llu MiB of RAM reserved for it.",
                         m->session.load_usec / 1e6, (unsigned long long) (m->config.window_size >> 20));
}

void manager_refresh(Manager *m) {
        _cleanup_strv_free_ char **reasons = NULL;
        int n;

        load_config(m);
        jump_session_done(&m->session);
        if (m->dry_run) {
                set_unavailable(m, getenv("KJUMPD_DRY_RUN_UNAVAILABLE") ? strdup(getenv("KJUMPD_DRY_RUN_UNAVAILABLE"))
                                                                       : NULL);
                manager_properties_changed(m);
                return;
        }

        n = kjump_check(&m->config, &reasons);
        if (n > 0) {
                /* The first reason is the one to fix first; kjumpctl check
                 * lists them all. */
                log_warning("Hibernation is not available: %s", reasons[0]);
                set_unavailable(m, strdup(reasons[0]));
                manager_properties_changed(m);
                return;
        }
        if (m->stale_image) {
                set_unavailable(m, strdup(m->stale_image));
                manager_properties_changed(m);
                return;
        }
        set_unavailable(m, NULL);

        if (m->config.preload)
                preload(m);
        manager_properties_changed(m);
}

int manager_startup(Manager *m) {
        /* kjumpd starts in a boot that did not restore an image (a restored
         * system carries on in the kjumpd that jumped): whatever is on the
         * target must never be restored now. kjump-clear.service did this
         * already unless it did not run. */
        if (!m->dry_run) {
                load_config(m);
                invalidate_target(m, "booted without restoring");
        }
        manager_refresh(m);
        return 0;
}

void manager_forget_stale_image(Manager *m) {
        m->stale_image = mfree(m->stale_image);
}

#define SLEEP_HOOK_TIMEOUT_USEC (90ULL * 1000000)

/* The watchdog must not fire while a hibernation legitimately takes long
 * (hooks, sync, loading, writing: the event loop waits for them). Before
 * a jump it is pinged and widened to an hour; after it, back to what the
 * unit says. */
void manager_watchdog_ping(Manager *m) {
        (void) sd_notify(false, "WATCHDOG=1");
}

static void watchdog_widen(Manager *m, bool wide) {
        uint64_t usec = 0;

        if (sd_watchdog_enabled(false, &usec) <= 0)
                return;
        if (wide)
                (void) sd_notify(false, "WATCHDOG=1\nWATCHDOG_USEC=3600000000");
        else
                (void) sd_notifyf(false, "WATCHDOG=1\nWATCHDOG_USEC=%llu", (unsigned long long) usec);
}

/* Runs every executable in the system-sleep directory with ARG1 ARG2, as
 * systemd-sleep would (we replace it for hibernation). */
static void run_sleep_hooks(Manager *m, const char *when) {
        struct dirent **list;
        int n;

        n = scandir(m->sleep_hook_dir, &list, NULL, alphasort);
        if (n < 0)
                return;
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                char *argv[] = { NULL, (char *) when, (char *) "hibernate", NULL };
                struct stat st;
                int r;

                if (list[i]->d_name[0] != '.' && asprintf(&path, "%s/%s", m->sleep_hook_dir, list[i]->d_name) >= 0 &&
                    stat(path, &st) >= 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0) {
                        argv[0] = path;
                        setenv("SYSTEMD_SLEEP_ACTION", "hibernate", 1);
                        /* As systemd-sleep: a hook that hangs is killed
                         * after 90 s, and the hibernation goes on. */
                        r = spawn_wait(argv, SLEEP_HOOK_TIMEOUT_USEC);
                        if (r != 0)
                                log_warning("Sleep hook %s %s hibernate failed: %s.", path, when,
                                            r == -ETIMEDOUT ? "killed after 90 s" : r > 0 ? "non-zero exit" : strerror(-r));
                        manager_watchdog_ping(m);
                }
                free(list[i]);
        }
        free(list);
}

/* The dry-run backend: no kexec. If KJUMPD_DRY_RUN_GATE names a file, the
 * "jump" lasts until it exists (bounded), so tests can act while a jump is
 * in progress; KJUMPD_DRY_RUN_FAIL makes it fail with that message. */
static int dry_run_jump(HelperMode mode, JumpResult *res, char **ret_message) {
        const char *gate = getenv("KJUMPD_DRY_RUN_GATE"), *fail = getenv("KJUMPD_DRY_RUN_FAIL");
        struct timespec ts;

        if (gate)
                for (int i = 0; i < 600 && access(gate, F_OK) < 0; i++)
                        nanosleep(&(struct timespec) { 0, 100 * 1000 * 1000 }, NULL);
        clock_gettime(CLOCK_REALTIME, &ts);
        res->return_usec = (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
        if (fail) {
                *ret_message = strdup(fail);
                return -EIO;
        }
        *ret_message = strdup(mode == HELPER_MODE_HIBERNATE ? "Resumed from hibernation (dry run)."
                                                             : "Test passed (dry run).");
        res->resumed = mode == HELPER_MODE_HIBERNATE;
        return 0;
}

static int real_jump(Manager *m, HelperMode mode, JumpResult *res, char **ret_message) {
        const struct kjump_image_header *h = &res->header;
        _cleanup_free_ char *reason = NULL;
        int r;

        if (!m->session.loaded || m->session.mode != mode) {
                JumpConfig jc = jump_config(m);

                jump_session_done(&m->session);
                r = jump_load(&jc, mode, &m->session, &reason);
                if (r < 0)
                        return asprintf(ret_message, "The helper kernel could not be loaded: %s.",
                                        reason ?: strerror(-r)) < 0 ? -ENOMEM : r;
        }
        r = jump_run(&m->session, res, &reason);
        if (r == -ESTALE) {
                /* The target moved since the preload (re-created, moved,
                 * deduplicated): load the helper again with the map of
                 * now, which jump_run() checks once more. */
                JumpConfig jc = jump_config(m);

                log_notice("The image target changed since the helper was loaded (%s); loading it again.",
                           reason ?: "moved");
                reason = mfree(reason);
                jump_session_done(&m->session);
                r = jump_load(&jc, mode, &m->session, &reason);
                if (r < 0)
                        return asprintf(ret_message, "The image target changed and the helper could not be "
                                        "loaded again: %s.", reason ?: strerror(-r)) < 0 ? -ENOMEM : r;
                /* Where it is now must be where the next boot looks, or
                 * the image would be written and never found. */
                if (mode == HELPER_MODE_HIBERNATE) {
                        _cleanup_free_ char *location = NULL, *arg = NULL;

                        if (target_resume_location(&m->session.target, &location) >= 0 &&
                            asprintf(&arg, "kjump.resume=%s", location) >= 0 &&
                            check_boot_finds("/", arg, &reason) < 0) {
                                jump_session_done(&m->session);
                                return asprintf(ret_message, "Refused: the image target moved and %s.", reason) < 0
                                               ? -ENOMEM : -ESTALE;
                        }
                }
                r = jump_run(&m->session, res, &reason);
        }
        jump_session_done(&m->session);
        if (res->settle_error < 0) {
                free(m->stale_image);
                if (asprintf(&m->stale_image, "After the return the image could not be marked %s (%s): fix the "
                             "target and run 'kjumpctl invalidate'.", res->resumed ? "consumed" : "invalid",
                             strerror(-res->settle_error)) < 0)
                        m->stale_image = NULL;
        }
        if (r < 0) {
                return asprintf(ret_message, "Refused: %s.", reason ?: strerror(-r)) < 0 ? -ENOMEM : r;
        }

        switch (mode) {
        case HELPER_MODE_HIBERNATE:
                if (res->resumed) {
                        r = asprintf(ret_message, "Resumed from hibernation after %.1f s.",
                                     (res->return_usec - res->jump_usec) / 1e6);
                        return r < 0 ? -ENOMEM : 0;
                }
                break;
        case HELPER_MODE_TEST:
        case HELPER_MODE_TEST_RESTORE:
                if (res->have_header && h->state == KJUMP_STATE_INVALID && h->reason == KJUMP_REASON_TEST) {
                        r = asprintf(ret_message, "Test passed: %.0f MiB of RAM saved in %.2f s.",
                                     h->ram_bytes / 1048576.0, h->write_usec / 1e6);
                        return r < 0 ? -ENOMEM : 0;
                }
                break;
        default:
                break;
        }
        r = asprintf(ret_message, "Failed, the system kept running: %s",
                     res->have_header && h->message[0] ? h->message : "the helper wrote no image.");
        return r < 0 ? -ENOMEM : -EIO;
}

int manager_jump(Manager *m, HelperMode mode, char **ret_message) {
        JumpResult res = {};
        struct timespec ts;
        int r;

        clock_gettime(CLOCK_REALTIME, &ts);
        res.jump_usec = (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;

        watchdog_widen(m, true);
        if (mode == HELPER_MODE_HIBERNATE) {
                (void) manager_emit_prepare(m, true);
                run_sleep_hooks(m, "pre");
        }
        /* Everything said so far must leave before the world stops. */
        (void) sd_bus_flush(m->bus);

        r = m->dry_run ? dry_run_jump(mode, &res, ret_message) : real_jump(m, mode, &res, ret_message);

        if (mode == HELPER_MODE_HIBERNATE) {
                run_sleep_hooks(m, "post");
                (void) manager_emit_prepare(m, false);
        }
        watchdog_widen(m, false);
        m->last_jump_usec = res.jump_usec;
        m->last_return_usec = res.return_usec;
        free(m->last_result);
        m->last_result = strdup(*ret_message ?: (r < 0 ? "failed" : "done"));
        (void) manager_emit_resumed(m, r >= 0, m->last_result ?: "");
        if (r < 0)
                log_error("%s: %s", helper_mode_to_string(mode), m->last_result ?: "failed");
        else
                log_info("%s: %s", helper_mode_to_string(mode), m->last_result ?: "done");
        return r;
}

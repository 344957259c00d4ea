/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "check.h"
#include "fileio.h"
#include "image-state.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "power-supply.h"
#include "reason.h"
#include "sleep-config.h"
#include "time-util.h"
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

static const char *const operation_table[_OPERATION_MAX] = {
        [OPERATION_HIBERNATE] = "hibernate",
        [OPERATION_HYBRID_SLEEP] = "hybrid-sleep",
        [OPERATION_SUSPEND_THEN_HIBERNATE] = "suspend-then-hibernate",
        [OPERATION_TEST] = "test",
        [OPERATION_TEST_RESTORE] = "test-restore",
};

const char *operation_to_string(Operation o) {
        return (unsigned) o < _OPERATION_MAX ? operation_table[o] : NULL;
}

static HelperMode operation_helper_mode(Operation o) {
        return o == OPERATION_TEST ? HELPER_MODE_TEST
             : o == OPERATION_TEST_RESTORE ? HELPER_MODE_TEST_RESTORE
                                            : HELPER_MODE_HIBERNATE;
}

const char *manager_unavailable(const Manager *m, Operation op) {
        if (m->unavailable)
                return m->unavailable;
        if (op == OPERATION_HYBRID_SLEEP)
                return m->no_hybrid;
        if (op == OPERATION_SUSPEND_THEN_HIBERNATE)
                return m->no_suspend;
        return NULL;
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
        m->sleep_conf = strdup(KJUMP_RUNTIME_SLEEP_CONF);
        if (!m->config_dir || !m->sleep_hook_dir || !m->sleep_conf)
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
        if (m->sleep_conf && *m->sleep_conf)
                (void) unlink(m->sleep_conf);
        free(m->sleep_conf);
        free(m->unavailable);
        free(m->no_suspend);
        free(m->no_hybrid);
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
                .adaptive_compression = m->config.adaptive_compression,
                .save_free_pages = m->config.save_free_pages,
                .encryption = m->config.encryption,
                .park = m->config.park_helper,
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
        int r, k = 0;

        r = target_open(spec, &t, &why);
        if (r == -ENOENT)
                return;
        if (r < 0) {
                log_debug("Image target %s: %s; nothing to invalidate.", spec, why ?: strerror(-r));
                return;
        }
        for (int attempt = 0; attempt < 2; attempt++) {
                r = target_invalidate(&t, KJUMP_REASON_INVALIDATED, message, &k);
                if (r >= 0)
                        break;
        }
        /* Its key goes too (kjump-clear.service did both unless it did not
         * run, or ran before the TPM's driver was up). */
        if (r >= 0 && k < 0)
                log_warning_errno(k, "Cannot destroy the key of the image on %s: %m", spec);
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

        for (int attempt = 0; attempt < 2 && r < 0; attempt++) {
                if (attempt > 0)
                        log_notice("The helper kernel could not be loaded (%s); trying once more.",
                                   reason ?: strerror(-r));
                reason = mfree(reason);
                r = jump_load(&jc, HELPER_MODE_HIBERNATE, &m->session, &reason);
        }
        if (r < 0)
                log_warning_errno(r, "The helper kernel could not be preloaded (%s); it will be loaded at "
                                  "hibernation time.", reason ?: strerror(-r));
        else
                log_info("Helper kernel loaded in %.2f s; %llu MiB of RAM reserved for it.",
                         m->session.load_usec / 1e6, (unsigned long long) (m->config.window_size >> 20));
}

/* Tells logind what kjump can do now: a sleep.conf drop-in in /run that
 * hides kjump's static one (units/sleep-kjump.conf) while kjumpd runs.
 * logind reads sleep.conf at every CanHibernate, CanHybridSleep and
 * CanSuspendThenHibernate, so they answer "na" for what would fail, and
 * UPower's critical-battery action falls back to one that works. */
static void publish_sleep_conf(Manager *m) {
        _cleanup_free_ char *text = NULL, *tmp = NULL, *dir = NULL;
        char *slash;
        int r;

        if (!m->sleep_conf || !*m->sleep_conf)
                return;
        if (asprintf(&text,
                     "# Written by kjumpd: what kjump can do now. It hides kjump's own\n"
                     "# /usr/lib/systemd/sleep.conf.d/kjump.conf while kjumpd runs.\n"
                     "[Sleep]\nAllowHibernation=%s\nAllowHybridSleep=%s\nAllowSuspendThenHibernate=%s\n",
                     yes_no(!manager_unavailable(m, OPERATION_HIBERNATE)),
                     yes_no(!manager_unavailable(m, OPERATION_HYBRID_SLEEP)),
                     yes_no(!manager_unavailable(m, OPERATION_SUSPEND_THEN_HIBERNATE))) < 0 ||
            asprintf(&tmp, "%s.tmp", m->sleep_conf) < 0 || !(dir = strdup(m->sleep_conf)))
                return (void) log_oom();
        slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = 0;
                (void) mkdir_p(dir, 0755);
        }
        r = write_file_atomic(m->sleep_conf, tmp, text);
        if (r < 0)
                log_warning_errno(r, "Cannot write %s; logind may offer sleep operations kjump cannot do now: %m",
                                  m->sleep_conf);
}

/* What this machine can suspend to, for suspend-then-hibernate (A
 * suspends) and hybrid sleep (the helper suspends, into ACPI S3). */
static void check_suspend_abilities(Manager *m) {
        _cleanup_free_ char *no_suspend = NULL, *no_hybrid = NULL;

        if (m->dry_run) {
                const char *e = getenv("KJUMPD_DRY_RUN_NO_SUSPEND");

                no_suspend = e ? strdup(e) : NULL;
                no_hybrid = e ? strdup(e) : NULL;
        } else {
                (void) check_suspend("/", false, &no_suspend);
                (void) check_suspend("/", true, &no_hybrid);
        }
        free_and_replace(m->no_suspend, no_suspend);
        free_and_replace(m->no_hybrid, no_hybrid);
}

void manager_refresh(Manager *m) {
        _cleanup_strv_free_ char **reasons = NULL;
        int n;

        load_config(m);
        /* A parked helper stays while the configuration it was loaded
         * with is the one now: booting it again stops the machine. */
        {
                JumpConfig jc = jump_config(m);
                _cleanup_free_ char *key = jump_config_key(&jc);

                if (!m->session.loaded || !m->session.parked || !key || !streq_ptr(key, m->session.config_key))
                        jump_session_done(&m->session);
        }
        check_suspend_abilities(m);
        if (m->dry_run) {
                set_unavailable(m, getenv("KJUMPD_DRY_RUN_UNAVAILABLE") ? strdup(getenv("KJUMPD_DRY_RUN_UNAVAILABLE"))
                                                                       : NULL);
        } else if ((n = kjump_check(&m->config, &reasons)) > 0) {
                /* The first reason is the one to fix first; kjumpctl check
                 * lists them all. */
                log_warning("Hibernation is not available: %s", reasons[0]);
                set_unavailable(m, strdup(reasons[0]));
        } else if (m->stale_image)
                set_unavailable(m, strdup(m->stale_image));
        else
                set_unavailable(m, NULL);
        /* What logind offers is decided now; loading the helper can wait. */
        publish_sleep_conf(m);
        if (m->unavailable || !m->config.preload)
                jump_session_done(&m->session);
        else if (!m->dry_run && !m->session.loaded)
                preload(m);
        manager_properties_changed(m);
}

/* The initrd hooks record where each initrd looks for the image
 * (/var/lib/kjump/initrd/VERSION); whether the next boot finds it is part
 * of whether hibernation is possible. A rebuilt initrd is looked at at
 * once, so that what logind offers follows 'update-initramfs' without a
 * 'systemctl reload kjumpd'. */
static int on_initrd_record(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        Manager *m = userdata;

        if (m->state != MANAGER_IDLE)
                return 0; /* refreshed after the jump anyway */
        log_debug("%s changed: checking again.", KJUMP_INITRD_RECORDS);
        manager_refresh(m);
        return 0;
}

static void watch_initrd_records(Manager *m) {
        int r;

        r = mkdir_p(KJUMP_INITRD_RECORDS, 0755);
        if (r >= 0)
                r = sd_event_add_inotify(m->event, NULL, KJUMP_INITRD_RECORDS,
                                         IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE, on_initrd_record, m);
        if (r < 0)
                log_warning_errno(r, "Cannot watch %s (%m): after rebuilding an initrd, run 'systemctl reload kjumpd'.",
                                  KJUMP_INITRD_RECORDS);
}

int manager_startup(Manager *m) {
        /* kjumpd starts in a boot that did not restore an image (a restored
         * system carries on in the kjumpd that jumped): whatever is on the
         * target must never be restored now. kjump-clear.service did this
         * already unless it did not run. */
        if (!m->dry_run) {
                /* A kjumpd killed outright left its helper loaded, unless
                 * the unit's ExecStopPost= unloaded it already. */
                int r = jump_release_stale();
                if (r > 0)
                        log_warning("Unloaded the helper kernel that an earlier kjumpd (killed?) left loaded.");
                else if (r < 0 && r != -EBUSY) /* -EBUSY: a live kjump program's */
                        log_warning_errno(r, "Cannot unload a helper kernel an earlier kjumpd left loaded: %m");
                load_config(m);
                invalidate_target(m, "booted without restoring");
                watch_initrd_records(m);
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
static void run_sleep_hooks(Manager *m, const char *when, const char *verb) {
        struct dirent **list;
        int n;

        n = scandir(m->sleep_hook_dir, &list, NULL, alphasort);
        if (n < 0)
                return;
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                char *argv[] = { NULL, (char *) when, (char *) verb, NULL };
                struct stat st;
                int r;

                if (list[i]->d_name[0] != '.' && asprintf(&path, "%s/%s", m->sleep_hook_dir, list[i]->d_name) >= 0 &&
                    stat(path, &st) >= 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0) {
                        argv[0] = path;
                        setenv("SYSTEMD_SLEEP_ACTION", verb, 1);
                        /* As systemd-sleep: a hook that hangs is killed
                         * after 90 s, and the hibernation goes on. */
                        r = spawn_wait(argv, SLEEP_HOOK_TIMEOUT_USEC);
                        if (r != 0)
                                log_warning("Sleep hook %s %s %s failed: %s.", path, when, verb,
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
static int dry_run_jump(Operation op, JumpResult *res, char **ret_message) {
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
        *ret_message = strdup(op == OPERATION_HIBERNATE       ? "Resumed from hibernation (dry run)."
                              : op == OPERATION_HYBRID_SLEEP ? "Woken from hybrid sleep (dry run)."
                              : operation_is_sleep(op)       ? "Resumed from suspend-then-hibernate (dry run)."
                                                             : "Test passed (dry run).");
        res->resumed = operation_is_sleep(op);
        return 0;
}

static int real_jump(Manager *m, Operation op, JumpResult *res, char **ret_message) {
        const struct kjump_image_header *h = &res->header;
        HelperMode mode = operation_helper_mode(op);
        _cleanup_free_ char *reason = NULL;
        JumpConfig jc = jump_config(m);
        int r;

        jc.hybrid = op == OPERATION_HYBRID_SLEEP;
        /* The preloaded helper carries what it does after the commit
         * (HibernateMode=, hybrid sleep): load it again when that is not
         * what this request asks. */
        if (m->session.loaded && m->session.parked) {
                /* The parked helper takes the mode and what follows the
                 * commit from the mailbox, at every jump. */
                m->session.mode = mode;
                m->session.params.after = mode == HELPER_MODE_HIBERNATE
                                                  ? jump_hibernate_after(&jc, &m->session.platform_requested)
                                                  : HELPER_AFTER_POWEROFF;
        } else if (!m->session.loaded || m->session.mode != mode ||
                   (mode == HELPER_MODE_HIBERNATE && m->session.params.after != jump_hibernate_after(&jc, NULL))) {

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
        if (!m->session.loaded) /* a parked helper stays for the next jump */
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
                if (res->cancelled)
                        return asprintf(ret_message, "Cancelled by the user (Esc) while the image was written; "
                                        "the system kept running.") < 0 ? -ENOMEM : -ECANCELED;
                if (res->woken && op == OPERATION_HYBRID_SLEEP) {
                        r = asprintf(ret_message, "Woken from hybrid sleep after %.1f s; the image was discarded.",
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

/* The RTC counts whole seconds: the kernel sets its alarm from an RTC
 * reading cut down to the second, then cuts the sum down to the second
 * again (alarmtimer_suspend()), so the alarm may wake the machine up to 2 s
 * before the timer's time (seen: after 19.5 s of a 20 s delay). */
#define RTC_EARLY_USEC UINT64_C(2100000)
/* The kernel does not suspend with an alarm due in less than 2 s
 * (alarmtimer_suspend() refuses). */
#define ALARM_MIN_USEC UINT64_C(2000000)

/* Suspends to RAM with a CLOCK_BOOTTIME_ALARM timer at AFTER_USEC from
 * now. 1 when the timer woke the machine (it had expired, or was due
 * within RTC_EARLY_USEC), 0 when something else did (the user), -errno
 * when it could not suspend. */
static int suspend_with_alarm(uint64_t after_usec, char **ret_reason) {
        _cleanup_close_ int fd = -EBADF;
        struct itimerspec its = {
                .it_value.tv_sec = (time_t) (after_usec / 1000000),
                .it_value.tv_nsec = (long) (after_usec % 1000000) * 1000,
        };
        uint64_t expirations;
        int r;

        if (after_usec == 0)
                its.it_value.tv_nsec = 1;
        fd = timerfd_create(CLOCK_BOOTTIME_ALARM, TFD_NONBLOCK | TFD_CLOEXEC);
        if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) < 0)
                return reason_set(ret_reason, errno, "cannot set the wake-up alarm (CLOCK_BOOTTIME_ALARM): %m");
        log_mark("suspend", "alarm_s=%.1f", after_usec / 1e6);
        r = write_string_file("/sys/power/state", "mem");
        if (r < 0)
                return reason_set(ret_reason, r, "writing 'mem' to /sys/power/state failed: %m");
        if (read(fd, &expirations, sizeof(expirations)) == sizeof(expirations))
                return 1;
        struct itimerspec left;
        if (timerfd_gettime(fd, &left) < 0)
                return 0;
        return (uint64_t) left.it_value.tv_sec * 1000000 + (uint64_t) left.it_value.tv_nsec / 1000 <=
               RTC_EARLY_USEC;
}

/* suspend-then-hibernate, as systemd-sleep does it: suspend with an
 * alarm; hibernate once HibernateDelaySec= has passed (or the battery is
 * at 5 % or less), unless on AC power with HibernateOnACPower=no; with a
 * battery, wake every SuspendEstimationSec= meanwhile to look at it. A
 * wake by anything else ends it with nothing written: 0 and
 * *ret_hibernate = false. */
static int suspend_then_hibernate(bool *ret_hibernate, char **ret_message) {
        SleepConfig sc;
        uint64_t start = now_usec(CLOCK_BOOTTIME), deadline;
        int r;

        r = sleep_config_load("/", &sc);
        if (r < 0)
                return r;
        deadline = start + sc.hibernate_delay_usec;
        log_info("Suspending to RAM; hibernating after %.0f s unless woken before.", sc.hibernate_delay_usec / 1e6);
        for (;;) {
                uint64_t now = now_usec(CLOCK_BOOTTIME), interval = deadline > now ? deadline - now : 0;
                PowerSupplies ps;

                (void) power_supplies_read("/", &ps);
                if (ps.has_battery)
                        interval = MIN(interval, sc.suspend_estimation_usec);
                _cleanup_free_ char *why = NULL;

                r = suspend_with_alarm(interval, &why);
                if (r < 0)
                        return asprintf(ret_message, "Cannot suspend to RAM: %s.", why ?: strerror(-r)) < 0
                                       ? -ENOMEM : r;
                now = now_usec(CLOCK_BOOTTIME);
                if (r == 0) {
                        log_mark("woken", "by=user");
                        *ret_hibernate = false;
                        return asprintf(ret_message, "Woken after %.1f s of suspend, before the hibernation delay; "
                                        "nothing was written.", (now - start) / 1e6) < 0 ? -ENOMEM : 0;
                }
                (void) power_supplies_read("/", &ps);
                if (ps.has_battery && ps.capacity >= 0 && ps.capacity <= 5) {
                        log_info("The battery is at %d %%: hibernating.", ps.capacity);
                        break;
                }
                /* Less than the kernel would suspend for is left (or the
                 * RTC woke the machine a little early): the delay is over. */
                if (now + ALARM_MIN_USEC <= deadline)
                        continue;
                if (!sc.hibernate_on_ac_power && ps.on_ac) {
                        /* HibernateOnACPower=no: stay suspended while on AC. */
                        deadline = now + sc.suspend_estimation_usec;
                        continue;
                }
                log_info("Suspended for %.0f s: hibernating.", (now - start) / 1e6);
                break;
        }
        log_mark("woken", "by=alarm");
        *ret_hibernate = true;
        return 0;
}

int manager_jump(Manager *m, Operation op, char **ret_message) {
        JumpResult res = {};
        bool sleep = operation_is_sleep(op), hibernate = true;
        int r = 0;

        res.jump_usec = now_usec(CLOCK_REALTIME);
        watchdog_widen(m, true);
        if (sleep) {
                (void) manager_emit_prepare(m, true);
                run_sleep_hooks(m, "pre", operation_to_string(op));
        }
        /* Everything said so far must leave before the world stops. */
        (void) sd_bus_flush(m->bus);

        if (op == OPERATION_SUSPEND_THEN_HIBERNATE && !m->dry_run) {
                sync();
                r = suspend_then_hibernate(&hibernate, ret_message);
                res.return_usec = now_usec(CLOCK_REALTIME);
                if (hibernate && r >= 0)
                        *ret_message = mfree(*ret_message);
        }
        if (r >= 0 && hibernate)
                r = m->dry_run ? dry_run_jump(op, &res, ret_message) : real_jump(m, op, &res, ret_message);

        if (sleep) {
                run_sleep_hooks(m, "post", operation_to_string(op));
                (void) manager_emit_prepare(m, false);
        }
        watchdog_widen(m, false);
        m->last_jump_usec = res.jump_usec;
        m->last_return_usec = res.return_usec;
        free(m->last_result);
        m->last_result = strdup(*ret_message ?: (r < 0 ? "failed" : "done"));
        (void) manager_emit_resumed(m, r >= 0, m->last_result ?: "");
        if (r < 0)
                log_error("%s: %s", operation_to_string(op), m->last_result ?: "failed");
        else
                log_info("%s: %s", operation_to_string(op), m->last_result ?: "done");
        return r;
}

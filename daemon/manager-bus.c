/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image-format.h"
#include "image-state.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "meminfo.h"
#include "target.h"


/* ------------------------------------------------------------ authorization */

typedef enum Verdict {
        VERDICT_YES,
        VERDICT_CHALLENGE,
        VERDICT_NO,
} Verdict;

/* A polkit question in flight. polkit may wait for a password: the event
 * loop (and the watchdog) must not. The method call that asked is put
 * back in the bus's read queue when the answer comes, and its handler,
 * running again, finds the verdict here. */
struct PolkitQuery {
        PolkitQuery *next;
        Manager *manager;
        sd_bus_message *request;
        char *action;
        sd_bus_slot *slot;
        bool done;
        Verdict verdict;
};

static PolkitQuery *polkit_query_free(PolkitQuery *q) {
        if (!q)
                return NULL;
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->request);
        free(q->action);
        free(q);
        return NULL;
}

void manager_polkit_queries_free(Manager *mgr) {
        while (mgr->polkit_queries) {
                PolkitQuery *q = mgr->polkit_queries;
                mgr->polkit_queries = q->next;
                polkit_query_free(q);
        }
}

static void polkit_query_unlink(Manager *mgr, PolkitQuery *q) {
        for (PolkitQuery **p = &mgr->polkit_queries; *p; p = &(*p)->next)
                if (*p == q) {
                        *p = q->next;
                        return;
                }
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        int authorized = 0, challenge = 0, r;

        q->slot = sd_bus_slot_unref(q->slot);
        q->done = true;
        q->verdict = VERDICT_NO;
        if (sd_bus_message_is_method_error(reply, NULL))
                /* No polkit on this bus, or it failed: only root, which
                 * never asks. */
                log_debug("polkit did not answer: %s", sd_bus_message_get_error(reply)->message ?: "error");
        else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r < 0)
                        log_warning_errno(r, "Cannot read polkit's answer: %m");
                else
                        q->verdict = authorized ? VERDICT_YES : challenge ? VERDICT_CHALLENGE : VERDICT_NO;
        }
        /* Run the method call again: its handler finds the verdict. */
        r = sd_bus_message_rewind(q->request, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(q->manager->bus, q->request);
        if (r < 0) {
                log_error_errno(r, "Cannot resume a method call after polkit answered: %m");
                (void) sd_bus_reply_method_errorf(q->request, SD_BUS_ERROR_FAILED, "Authorization failed.");
                polkit_query_unlink(q->manager, q);
                polkit_query_free(q);
        }
        return 0;
}

/* Asks polkit (or, without it, allows root only) whether the sender of M
 * may do ACTION. Returns 1 with the verdict, or 0 when the question is on
 * its way: the handler then returns 1 and is called again with M. */
static int authorize(Manager *mgr, sd_bus_message *m, const char *action, bool interactive, Verdict *ret,
                     sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        PolkitQuery *q;
        uid_t uid;
        int r;

        for (q = mgr->polkit_queries; q; q = q->next)
                if (q->request == m && strcmp(q->action, action) == 0)
                        break;
        if (q) {
                if (!q->done)
                        return 0;
                *ret = q->verdict;
                polkit_query_unlink(mgr, q);
                polkit_query_free(q);
                return 1;
        }

        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_AUGMENT, &creds);
        if (r < 0)
                return r;
        r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return r;
        if (uid == 0) {
                *ret = VERDICT_YES;
                return 1;
        }
        if (mgr->auth == AUTH_ROOT) {
                *ret = VERDICT_NO;
                return 1;
        }

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->manager = mgr;
        q->request = sd_bus_message_ref(m);
        q->action = strdup(action);
        if (!q->action) {
                polkit_query_free(q);
                return -ENOMEM;
        }
        r = sd_bus_call_method_async(mgr->bus, &q->slot, "org.freedesktop.PolicyKit1",
                                     "/org/freedesktop/PolicyKit1/Authority", "org.freedesktop.PolicyKit1.Authority",
                                     "CheckAuthorization", on_polkit_reply, q, "(sa{sv})sa{ss}us", "system-bus-name",
                                     1, "name", "s", sd_bus_message_get_sender(m), action, 0,
                                     (uint32_t) (interactive ? 1 : 0), "");
        if (r < 0) {
                polkit_query_free(q);
                return sd_bus_error_set_errnof(error, r, "Cannot ask polkit: %m");
        }
        q->next = mgr->polkit_queries;
        mgr->polkit_queries = q;
        return 0;
}

/* 1: authorized; 0: polkit is asked (return 1 from the handler); < 0: an
 * error in ERROR (access denied among them). */
static int require(Manager *mgr, sd_bus_message *m, const char *action, bool interactive, sd_bus_error *error) {
        Verdict v;
        int r;

        r = authorize(mgr, m, action, interactive, &v, error);
        if (r <= 0)
                return r;
        if (v == VERDICT_YES)
                return 1;
        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                 v == VERDICT_CHALLENGE ? "Authentication is required to %s."
                                                        : "Not authorized to %s.",
                                 strcmp(action, KJUMP_POLKIT_HIBERNATE) == 0 ? "hibernate" : "manage kjump");
}

/* ------------------------------------------------------------ methods */

static int busy(Manager *mgr, sd_bus_error *error) {
        if (mgr->state == MANAGER_IDLE)
                return 0;
        return sd_bus_error_setf(error, KJUMP_ERROR_BUSY, "A %s is already in progress.",
                                 mgr->state == MANAGER_HIBERNATING ? "hibernation" : "test");
}

/* Third step, at idle priority: only once every call that arrived during
 * the jump was dispatched (and told "busy") is the caller answered and the
 * daemon idle again. The caller (systemd-sleep, with the user's session
 * frozen) is answered first; then what is possible now is looked at again
 * and the helper loaded for the next time, which takes a while. */
static int on_jump_done(sd_event_source *s, void *userdata) {
        Manager *mgr = userdata;
        sd_bus_message *m = TAKE_PTR(mgr->pending);
        _cleanup_free_ char *message = TAKE_PTR(mgr->pending_message);

        mgr->jump_source = sd_event_source_disable_unref(mgr->jump_source);
        mgr->state = MANAGER_IDLE;
        if (mgr->pending_result < 0)
                (void) sd_bus_reply_method_errorf(m, mgr->pending_result == -ECANCELED ? KJUMP_ERROR_CANCELLED
                                                                                        : KJUMP_ERROR_FAILED,
                                                  "%s", message ?: "The jump failed.");
        else
                (void) sd_bus_reply_method_return(m, "s", message ?: "");
        (void) sd_bus_flush(sd_bus_message_get_bus(m));
        sd_bus_message_unref(m);
        manager_refresh(mgr);
        return 0;
}

/* Second step, out of the method handler: the jump, which stops the world. */
static int on_jump(sd_event_source *s, void *userdata) {
        Manager *mgr = userdata;
        int r;

        mgr->jump_source = sd_event_source_disable_unref(mgr->jump_source);
        mgr->pending_result = manager_jump(mgr, mgr->pending_op, &mgr->pending_message);
        r = sd_event_add_defer(mgr->event, &mgr->jump_source, on_jump_done, mgr);
        if (r >= 0)
                r = sd_event_source_set_priority(mgr->jump_source, SD_EVENT_PRIORITY_IDLE);
        if (r < 0)
                return on_jump_done(NULL, mgr);
        return 0;
}

/* First step, in the method handler: the daemon is busy from here on. */
static int do_jump(Manager *mgr, sd_bus_message *m, Operation op, sd_bus_error *error) {
        int r;

        r = sd_event_add_defer(mgr->event, &mgr->jump_source, on_jump, mgr);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot schedule the jump: %m");
        mgr->pending = sd_bus_message_ref(m);
        mgr->pending_op = op;
        mgr->state = operation_is_sleep(op) ? MANAGER_HIBERNATING : MANAGER_TESTING;
        manager_properties_changed(mgr);
        log_info("%s requested by %s.", operation_to_string(op), sd_bus_message_get_sender(m) ?: "?");
        return 1; /* answered in on_jump_done() */
}

/* What every jump needs before it starts: not busy, possible, authorized. */
static int may_jump(Manager *mgr, sd_bus_message *m, Operation op, const char *action, bool interactive,
                    sd_bus_error *error) {
        int r;

        r = busy(mgr, error);
        if (r < 0)
                return r;
        /* What made it unavailable may have been fixed since (a target set
         * up, an initrd updated): look again before refusing. */
        if (manager_unavailable(mgr, op) && !mgr->dry_run)
                manager_refresh(mgr);
        if (manager_unavailable(mgr, op))
                return sd_bus_error_setf(error, KJUMP_ERROR_UNAVAILABLE, "%s is not available: %s",
                                         op == OPERATION_HYBRID_SLEEP ? "Hybrid sleep"
                                         : op == OPERATION_SUSPEND_THEN_HIBERNATE ? "Suspend-then-hibernate"
                                                                                  : "Hibernation",
                                         manager_unavailable(mgr, op));
        return require(mgr, m, action, interactive, error);
}

/* logind's own checks, for a Hibernate that does not come through logind:
 * a block inhibitor on "sleep" refuses it (root included: 'systemctl
 * hibernate -i' is the way to override, through logind), and so do other
 * users' sessions for anyone but root. Without logind on the bus there is
 * nothing to check. A call from systemd-hibernate.service comes after
 * logind decided, overrides included. */
static int check_like_logind(Manager *mgr, sd_bus_message *m, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *what, *who, *why, *mode, *unit = NULL;
        uint32_t uid, pid;
        uid_t caller;
        int r;

        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_UNIT | SD_BUS_CREDS_AUGMENT, &creds);
        if (r < 0)
                return r;
        r = sd_bus_creds_get_euid(creds, &caller);
        if (r < 0)
                return r;
        if (sd_bus_creds_get_unit(creds, &unit) >= 0 && unit &&
            (strcmp(unit, KJUMP_SYSTEMD_HIBERNATE_UNIT) == 0 || strcmp(unit, KJUMP_SYSTEMD_HYBRID_SLEEP_UNIT) == 0 ||
             strcmp(unit, KJUMP_SYSTEMD_SUSPEND_THEN_HIBERNATE_UNIT) == 0))
                return 0;

        r = sd_bus_call_method(mgr->bus, LOGIN1_BUS_NAME, LOGIN1_BUS_PATH, LOGIN1_BUS_INTERFACE, "ListInhibitors",
                               NULL, &reply, "");
        if (r < 0)
                return 0; /* no logind */
        r = sd_bus_message_enter_container(reply, 'a', "(ssssuu)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(ssssuu)", &what, &who, &why, &mode, &uid, &pid)) > 0) {
                bool sleep = false;

                for (const char *p = what; *p; p += strcspn(p, ":"), p += *p == ':')
                        if (strncmp(p, "sleep", 5) == 0 && (p[5] == ':' || p[5] == 0))
                                sleep = true;
                if (sleep && strcmp(mode, "block") == 0)
                        return sd_bus_error_setf(error, KJUMP_ERROR_INHIBITED,
                                                 "Hibernation is inhibited by %s (%s), pid %" PRIu32 "; "
                                                 "'systemctl hibernate -i' overrides it as root.", who, why, pid);
        }
        if (r < 0)
                return r;
        if (caller == 0)
                return 0;

        reply = sd_bus_message_unref(reply);
        r = sd_bus_call_method(mgr->bus, LOGIN1_BUS_NAME, LOGIN1_BUS_PATH, LOGIN1_BUS_INTERFACE, "ListSessions",
                               NULL, &reply, "");
        if (r < 0)
                return 0;
        r = sd_bus_message_enter_container(reply, 'a', "(susso)");
        if (r < 0)
                return r;
        for (;;) {
                const char *id, *user, *seat, *path;

                r = sd_bus_message_read(reply, "(susso)", &id, &uid, &user, &seat, &path);
                if (r <= 0)
                        break;
                if (uid != caller && uid != 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                                 "Other users are logged in (%s): hibernate through 'systemctl "
                                                 "hibernate', which asks for authorization.", user);
        }
        return r < 0 ? r : 0;
}

static int sleep_method(sd_bus_message *m, Manager *mgr, Operation op, sd_bus_error *error) {
        int interactive, r;

        /* read -> validate -> authorize -> act -> log -> emit -> reply */
        r = sd_bus_message_read(m, "b", &interactive);
        if (r < 0)
                return r;
        r = may_jump(mgr, m, op, KJUMP_POLKIT_HIBERNATE, interactive, error);
        if (r <= 0)
                return r < 0 ? r : 1; /* polkit is asked; we are called again */
        r = check_like_logind(mgr, m, error);
        if (r < 0)
                return r;
        return do_jump(mgr, m, op, error);
}

static int method_hibernate(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return sleep_method(m, userdata, OPERATION_HIBERNATE, error);
}

static int method_hybrid_sleep(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return sleep_method(m, userdata, OPERATION_HYBRID_SLEEP, error);
}

static int method_suspend_then_hibernate(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return sleep_method(m, userdata, OPERATION_SUSPEND_THEN_HIBERNATE, error);
}

static int method_test(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Manager *mgr = userdata;
        const char *mode_s;
        HelperMode mode;
        Operation op;
        int r;

        r = sd_bus_message_read(m, "s", &mode_s);
        if (r < 0)
                return r;
        mode = helper_mode_from_string(mode_s);
        if (mode != HELPER_MODE_TEST && mode != HELPER_MODE_TEST_RESTORE)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Unknown test mode '%s': expected 'test' or 'test-restore'.", mode_s);
        op = mode == HELPER_MODE_TEST ? OPERATION_TEST : OPERATION_TEST_RESTORE;
        r = may_jump(mgr, m, op, KJUMP_POLKIT_MANAGE, true, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        return do_jump(mgr, m, op, error);
}

static int can_method(sd_bus_message *m, Manager *mgr, Operation op, sd_bus_error *error) {
        Verdict v;
        int r;

        if (manager_unavailable(mgr, op))
                return sd_bus_reply_method_return(m, "s", "na");
        r = authorize(mgr, m, KJUMP_POLKIT_HIBERNATE, false, &v, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        return sd_bus_reply_method_return(m, "s", v == VERDICT_YES ? "yes" : v == VERDICT_CHALLENGE ? "challenge" : "no");
}

static int method_can_hibernate(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return can_method(m, userdata, OPERATION_HIBERNATE, error);
}

static int method_can_hybrid_sleep(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return can_method(m, userdata, OPERATION_HYBRID_SLEEP, error);
}

static int method_can_suspend_then_hibernate(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return can_method(m, userdata, OPERATION_SUSPEND_THEN_HIBERNATE, error);
}

/* What every management call needs: not busy, authorized. */
static int may_manage(Manager *mgr, sd_bus_message *m, sd_bus_error *error) {
        int r = busy(mgr, error);
        if (r < 0)
                return r;
        return require(mgr, m, KJUMP_POLKIT_MANAGE, true, error);
}

static int method_invalidate(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(target_done) Target t = TARGET_NULL;
        _cleanup_free_ char *why = NULL;
        Manager *mgr = userdata;
        int r;

        r = may_manage(mgr, m, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        if (!mgr->dry_run) {
                r = target_open(mgr->config.target, &t, &why);
                if (r < 0)
                        return sd_bus_error_setf(error, KJUMP_ERROR_FAILED, "Image target %s: %s", mgr->config.target,
                                                 why ?: strerror(-r));
                r = image_invalidate(t.fd, &t.map, KJUMP_REASON_INVALIDATED, "invalidated over D-Bus");
                if (r < 0)
                        return sd_bus_error_set_errnof(error, r, "Failed to invalidate the image: %m");
        }
        log_info("Image invalidated on request of %s.", sd_bus_message_get_sender(m) ?: "?");
        if (mgr->stale_image) {
                manager_forget_stale_image(mgr);
                manager_refresh(mgr);
        }
        return sd_bus_reply_method_return(m, NULL);
}

static int method_reload(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Manager *mgr = userdata;
        int r;

        r = may_manage(mgr, m, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        manager_refresh(mgr);
        return sd_bus_reply_method_return(m, NULL);
}

/* ------------------------------------------------------------ properties */

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *mgr = userdata;

        if (strcmp(property, "State") == 0)
                return sd_bus_message_append(reply, "s", manager_state_to_string(mgr->state));
        if (strcmp(property, "Target") == 0)
                return sd_bus_message_append(reply, "s", mgr->config.target);
        if (strcmp(property, "UnavailableReason") == 0)
                return sd_bus_message_append(reply, "s", mgr->unavailable ?: "");
        if (strcmp(property, "HelperLoaded") == 0)
                return sd_bus_message_append(reply, "b", mgr->session.loaded);
        if (strcmp(property, "HelperParked") == 0)
                return sd_bus_message_append(reply, "b", mgr->session.loaded && mgr->session.parked);
        if (strcmp(property, "HelperPinnedBytes") == 0)
                return sd_bus_message_append(reply, "t", mgr->session.loaded ? mgr->config.window_size : UINT64_C(0));
        if (strcmp(property, "LastResult") == 0)
                return sd_bus_message_append(reply, "s", mgr->last_result ?: "");
        if (strcmp(property, "LastJumpUSec") == 0)
                return sd_bus_message_append(reply, "t", mgr->last_jump_usec);
        if (strcmp(property, "LastReturnUSec") == 0)
                return sd_bus_message_append(reply, "t", mgr->last_return_usec);
        if (strcmp(property, "EstimatedImageSize") == 0) {
                /* Pages in use now, before compression: free pages are
                 * mostly zero only after init_on_free, so this is a floor. */
                MemInfo mi = {};

                (void) meminfo_read("/proc/meminfo", &mi);
                return sd_bus_message_append(reply, "t", meminfo_in_use(&mi));
        }
        return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "Unknown property %s.", property);
}

const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("State", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Target", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("UnavailableReason", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HelperLoaded", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HelperParked", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HelperPinnedBytes", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("EstimatedImageSize", "t", property_get, 0, 0),
        SD_BUS_PROPERTY("LastResult", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastJumpUSec", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastReturnUSec", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_NAMES("Hibernate", "b", SD_BUS_PARAM(interactive), "s", SD_BUS_PARAM(result),
                                 method_hibernate, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("CanHibernate", "", , "s", SD_BUS_PARAM(result), method_can_hibernate,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("HybridSleep", "b", SD_BUS_PARAM(interactive), "s", SD_BUS_PARAM(result),
                                 method_hybrid_sleep, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("CanHybridSleep", "", , "s", SD_BUS_PARAM(result), method_can_hybrid_sleep,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("SuspendThenHibernate", "b", SD_BUS_PARAM(interactive), "s", SD_BUS_PARAM(result),
                                 method_suspend_then_hibernate, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("CanSuspendThenHibernate", "", , "s", SD_BUS_PARAM(result),
                                 method_can_suspend_then_hibernate, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Test", "s", SD_BUS_PARAM(mode), "s", SD_BUS_PARAM(result), method_test,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Invalidate", "", "", method_invalidate, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Reload", "", "", method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("PrepareForHibernate", "b", SD_BUS_PARAM(start), 0),
        SD_BUS_SIGNAL_WITH_NAMES("Resumed", "bs", SD_BUS_PARAM(success) SD_BUS_PARAM(message), 0),
        SD_BUS_VTABLE_END,
};

int manager_emit_prepare(Manager *m, bool start) {
        return sd_bus_emit_signal(m->bus, KJUMP_BUS_PATH, KJUMP_BUS_INTERFACE, "PrepareForHibernate", "b", start);
}

int manager_emit_resumed(Manager *m, bool success, const char *message) {
        return sd_bus_emit_signal(m->bus, KJUMP_BUS_PATH, KJUMP_BUS_INTERFACE, "Resumed", "bs", success, message);
}

void manager_properties_changed(Manager *m) {
        if (!m->bus)
                return;
        (void) sd_bus_emit_properties_changed(m->bus, KJUMP_BUS_PATH, KJUMP_BUS_INTERFACE, "State", "Target",
                                              "UnavailableReason", "HelperLoaded", "HelperParked", "HelperPinnedBytes",
                                              "LastResult", "LastJumpUSec", "LastReturnUSec", NULL);
}

int manager_connect_bus(Manager *m) {
        int r;

        if (m->bus_address) {
                r = sd_bus_new(&m->bus);
                if (r >= 0)
                        r = sd_bus_set_address(m->bus, m->bus_address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(m->bus, 1);
                if (r >= 0)
                        r = sd_bus_start(m->bus);
        } else
                r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the bus: %m");

        r = sd_bus_add_object_vtable(m->bus, NULL, KJUMP_BUS_PATH, KJUMP_BUS_INTERFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the object: %m");
        r = sd_bus_request_name(m->bus, KJUMP_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to take the name %s: %m", KJUMP_BUS_NAME);
        r = sd_bus_attach_event(m->bus, m->event, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        return 0;
}

/* ------------------------------------------------------------ introspection */

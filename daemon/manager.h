/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "jump.h"
#include "bus-introspect.h"
#include "kjump-bus.h"


typedef enum AuthMode {
        AUTH_POLKIT, /* polkit decides; without polkit on the bus, only root */
        AUTH_ROOT,   /* only root */
} AuthMode;

typedef enum ManagerState {
        MANAGER_IDLE,
        MANAGER_HIBERNATING,
        MANAGER_TESTING,
        _MANAGER_STATE_MAX,
} ManagerState;

/* The State property's values. */
const char *manager_state_to_string(ManagerState s);

/* What a caller asked kjumpd for. */
typedef enum Operation {
        OPERATION_HIBERNATE,
        OPERATION_HYBRID_SLEEP,           /* the image, then suspend to RAM inside the helper */
        OPERATION_SUSPEND_THEN_HIBERNATE, /* suspend to RAM here; hibernate when the delay is over */
        OPERATION_TEST,
        OPERATION_TEST_RESTORE,
        _OPERATION_MAX,
        _OPERATION_INVALID = -EINVAL,
} Operation;

/* "hibernate", "hybrid-sleep", "suspend-then-hibernate", "test", "test-restore". */
const char *operation_to_string(Operation o);
static inline bool operation_is_sleep(Operation o) {
        return o == OPERATION_HIBERNATE || o == OPERATION_HYBRID_SLEEP || o == OPERATION_SUSPEND_THEN_HIBERNATE;
}

typedef struct PolkitQuery PolkitQuery;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        const char *bus_address;    /* NULL: the system bus */
        char *config_dir;
        KjumpConfig config;
        AuthMode auth;
        bool dry_run;               /* no kexec: the jump is simulated (tests) */
        char *sleep_hook_dir;

        ManagerState state;
        char *unavailable;          /* why hibernation is impossible, or NULL */
        char *no_suspend;           /* why this machine cannot suspend to RAM (suspend-then-hibernate), or NULL */
        char *no_hybrid;            /* why the helper cannot suspend to RAM (hybrid sleep), or NULL */
        char *sleep_conf;           /* the sleep.conf drop-in telling logind what kjump can do now, or NULL */
        char *stale_image;          /* an image could not be invalidated: why, until Invalidate() works */
        JumpSession session;        /* the preloaded helper, if any */
        char *last_result;
        uint64_t last_jump_usec, last_return_usec;

        /* The call being served: answered only after the jump, once every
         * call that arrived meanwhile was told "busy". */
        sd_bus_message *pending;
        Operation pending_op;
        int pending_result;
        char *pending_message;
        sd_event_source *jump_source;

        PolkitQuery *polkit_queries; /* questions to polkit in flight (manager-bus.c) */
} Manager;

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) {
        manager_free(*m);
}

/* Reads the configuration, checks the system, loads the helper. */
int manager_startup(Manager *m);
/* Re-checks and reloads the helper (after a return, a config change). */
void manager_refresh(Manager *m);
/* Tells systemd's watchdog that the daemon is alive (between long steps). */
void manager_watchdog_ping(Manager *m);
/* After a successful Invalidate(): hibernation may be offered again. */
void manager_forget_stale_image(Manager *m);

/* The jump itself, synchronous: hooks, PrepareForHibernate, sync, jump,
 * return. Sets *ret_message to a sentence for the caller. */
int manager_jump(Manager *m, Operation op, char **ret_message);

/* Why OP cannot be done now, or NULL when it can. */
const char *manager_unavailable(const Manager *m, Operation op);

/* manager-bus.c */
void manager_polkit_queries_free(Manager *mgr);
extern const sd_bus_vtable manager_vtable[];
int manager_connect_bus(Manager *m);
int manager_emit_prepare(Manager *m, bool start);
int manager_emit_resumed(Manager *m, bool success, const char *message);
void manager_properties_changed(Manager *m);

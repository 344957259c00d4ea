/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "jump.h"
#include "log.h"
#include "macro.h"
#include "manager.h"

static bool arg_bus_introspect;
static bool arg_dry_run;
static bool arg_release_stale;
static const char *arg_address;
static const char *arg_config_dir;
static const char *arg_sleep_hook_dir;
static const char *arg_sleep_conf;
static AuthMode arg_auth = AUTH_POLKIT;

static void help(void) {
        printf("kjumpd [OPTIONS...]\n\n"
               "The kjump daemon: hibernation without swap, on the system bus as %s.\n\n"
               "  -h --help              Show this help\n"
               "     --bus-introspect    Print the D-Bus interface and exit\n"
               "     --address=ADDRESS   Use this bus instead of the system bus (tests)\n"
               "     --dry-run           Simulate the jump: no kexec (tests)\n"
               "     --release-stale     Unload a helper that a kjumpd that is gone left loaded,\n"
               "                         and exit (the unit's ExecStopPost=)\n"
               "     --auth=polkit|root  Who may hibernate (default: polkit)\n"
               "     --config-dir=DIR    Configuration directory (default %s)\n"
               "     --sleep-hook-dir=DIR  system-sleep hooks (default /usr/lib/systemd/system-sleep)\n"
               "     --sleep-conf=PATH   The sleep.conf drop-in telling logind what kjump can do\n"
               "                         (default %s; \"\": none; none with --dry-run)\n",
               KJUMP_BUS_NAME, KJUMP_CONF_DIR, KJUMP_RUNTIME_SLEEP_CONF);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_INTROSPECT = 0x100, ARG_ADDRESS, ARG_DRY_RUN, ARG_RELEASE_STALE, ARG_AUTH, ARG_CONFIG_DIR, ARG_HOOK_DIR, ARG_SLEEP_CONF };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "bus-introspect", no_argument, NULL, ARG_INTROSPECT },
                { "address", required_argument, NULL, ARG_ADDRESS },
                { "dry-run", no_argument, NULL, ARG_DRY_RUN },
                { "release-stale", no_argument, NULL, ARG_RELEASE_STALE },
                { "auth", required_argument, NULL, ARG_AUTH },
                { "config-dir", required_argument, NULL, ARG_CONFIG_DIR },
                { "sleep-hook-dir", required_argument, NULL, ARG_HOOK_DIR },
                { "sleep-conf", required_argument, NULL, ARG_SLEEP_CONF },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_INTROSPECT:
                        arg_bus_introspect = true;
                        break;
                case ARG_ADDRESS:
                        arg_address = optarg;
                        break;
                case ARG_DRY_RUN:
                        arg_dry_run = true;
                        break;
                case ARG_RELEASE_STALE:
                        arg_release_stale = true;
                        break;
                case ARG_AUTH:
                        if (strcmp(optarg, "polkit") == 0)
                                arg_auth = AUTH_POLKIT;
                        else if (strcmp(optarg, "root") == 0)
                                arg_auth = AUTH_ROOT;
                        else
                                return log_error_errno(EINVAL, "Unknown --auth=%s: expected polkit or root.", optarg);
                        break;
                case ARG_CONFIG_DIR:
                        arg_config_dir = optarg;
                        break;
                case ARG_HOOK_DIR:
                        arg_sleep_hook_dir = optarg;
                        break;
                case ARG_SLEEP_CONF:
                        arg_sleep_conf = optarg;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc)
                return log_error_errno(EINVAL, "kjumpd takes no arguments.");
        return 1;
}

static int replace(char **field, const char *value) {
        char *s = strdup(value);
        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

static int run(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        sigset_t mask;
        int r;

        log_set_prefix(NULL);
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        if (arg_bus_introspect) {
                _cleanup_free_ char *xml = NULL;

                r = bus_introspect_vtable(KJUMP_BUS_INTERFACE, manager_vtable, &xml);
                if (r < 0)
                        return log_error_errno(r, "Failed to introspect: %m");
                fputs(xml, stdout);
                return 0;
        }

        if (arg_release_stale) {
                /* After the main process: it exited, or was killed with
                 * the helper still loaded. Never fails the unit's stop. */
                r = jump_release_stale();
                if (r > 0)
                        log_warning("Unloaded the helper kernel that a kjumpd that is gone (killed?) left loaded.");
                else if (r < 0 && r != -EBUSY)
                        log_error_errno(r, "Cannot unload the helper kernel a kjumpd that is gone left loaded: %m");
                return 0;
        }

        r = manager_new(&m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up: %m");
        m->bus_address = arg_address;
        m->dry_run = arg_dry_run;
        m->auth = arg_auth;
        if ((arg_config_dir && replace(&m->config_dir, arg_config_dir) < 0) ||
            (arg_sleep_hook_dir && replace(&m->sleep_hook_dir, arg_sleep_hook_dir) < 0) ||
            (replace(&m->sleep_conf, arg_sleep_conf ?: arg_dry_run ? "" : KJUMP_RUNTIME_SLEEP_CONF) < 0))
                return log_oom();

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_add_signal(m->event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");
        (void) sd_event_set_watchdog(m->event, true);

        r = manager_connect_bus(m);
        if (r < 0)
                return r;
        r = manager_startup(m);
        if (r < 0)
                return r;

        (void) sd_notify(false, "READY=1\nSTATUS=Ready.");
        log_info("Ready%s%s.", m->unavailable ? "; hibernation unavailable: " : "", m->unavailable ?: "");
        r = sd_event_loop(m->event);
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Unloading the helper kernel.");
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return 0;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

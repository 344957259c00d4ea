/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "macro.h"
#include "sleep-config.h"

/* The [Sleep] keys kjump reads, each holding the last value seen. */
typedef struct Values {
        char *hibernate_mode, *hibernate_delay, *suspend_estimation, *hibernate_on_ac;
} Values;

static bool valid_any(const char *s) {
        return true;
}

static bool valid_timespan(const char *s) {
        uint64_t u;
        return parse_timespan(s, &u) >= 0;
}

static bool valid_timespan_nonzero(const char *s) {
        uint64_t u;
        return parse_timespan(s, &u) >= 0 && u > 0;
}

static bool valid_boolean(const char *s) {
        return parse_boolean(s) >= 0;
}

/* As systemd: an assignment that does not parse is ignored, the one
 * before it stays. */
static void scan(const char *text, Values *v) {
        static const struct {
                const char *key;
                size_t offset;
                bool (*valid)(const char *s);
        } keys[] = {
                { "HibernateMode=", offsetof(Values, hibernate_mode), valid_any },
                { "HibernateDelaySec=", offsetof(Values, hibernate_delay), valid_timespan },
                { "SuspendEstimationSec=", offsetof(Values, suspend_estimation), valid_timespan_nonzero },
                { "HibernateOnACPower=", offsetof(Values, hibernate_on_ac), valid_boolean },
        };
        bool in_sleep = false;

        for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
                size_t l = strcspn(line, "\n");

                while (l > 0 && (line[0] == ' ' || line[0] == '\t'))
                        line++, l--;
                while (l > 0 && (line[l - 1] == ' ' || line[l - 1] == '\t' || line[l - 1] == '\r'))
                        l--;
                if (l > 0 && line[0] == '[') {
                        in_sleep = l == 7 && strncmp(line, "[Sleep]", 7) == 0;
                        continue;
                }
                if (!in_sleep)
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        size_t k = strlen(keys[i].key);
                        char **field = (char **) ((uint8_t *) v + keys[i].offset);

                        if (l >= k && strncmp(line, keys[i].key, k) == 0) {
                                char *value = strndup(line + k, l - k);

                                if (value && keys[i].valid(value))
                                        free_and_replace(*field, value);
                                free(value);
                        }
                }
        }
}

static void scan_file(const char *path, Values *v) {
        _cleanup_free_ char *text = NULL;

        if (read_full_file(path, 1 << 20, &text, NULL) >= 0)
                scan(text, v);
}

static int only_conf(const struct dirent *de) {
        size_t l = strlen(de->d_name);
        return de->d_name[0] != '.' && l > 5 && strcmp(de->d_name + l - 5, ".conf") == 0;
}

int sleep_config_load(const char *root, SleepConfig *ret) {
        static const char *const dirs[] = { "/etc/systemd/sleep.conf.d", "/run/systemd/sleep.conf.d",
                                            "/usr/lib/systemd/sleep.conf.d" };
        const char *r = streq_ptr(root, "/") ? "" : root;
        _cleanup_free_ char *main_conf = NULL;
        Values value = {};
        char **names = NULL;
        size_t n_names = 0;

        if (asprintf(&main_conf, "%s/etc/systemd/sleep.conf", r) < 0)
                return -ENOMEM;
        scan_file(main_conf, &value);

        /* Drop-ins by name, the first directory's file winning a name. */
        for (size_t d = 0; d < ELEMENTSOF(dirs); d++) {
                _cleanup_free_ char *dir = NULL;
                struct dirent **list = NULL;
                int k;

                if (asprintf(&dir, "%s%s", r, dirs[d]) < 0)
                        break;
                k = scandir(dir, &list, only_conf, alphasort);
                for (int i = 0; i < k; i++) {
                        bool seen = false;

                        for (size_t j = 0; j < n_names; j++)
                                if (strcmp(strrchr(names[j], '/') + 1, list[i]->d_name) == 0)
                                        seen = true;
                        if (!seen) {
                                char **t = realloc(names, (n_names + 1) * sizeof(char *));
                                if (t) {
                                        names = t;
                                        if (asprintf(&names[n_names], "%s/%s", dir, list[i]->d_name) >= 0)
                                                n_names++;
                                }
                        }
                        free(list[i]);
                }
                free(list);
        }
        /* In lexical order of the file names, whatever their directory. */
        for (size_t i = 0; i + 1 < n_names; i++)
                for (size_t j = i + 1; j < n_names; j++)
                        if (strcmp(strrchr(names[i], '/'), strrchr(names[j], '/')) > 0) {
                                char *t = names[i];
                                names[i] = names[j];
                                names[j] = t;
                        }
        for (size_t i = 0; i < n_names; i++) {
                scan_file(names[i], &value);
                free(names[i]);
        }
        free(names);

        *ret = (SleepConfig) {
                .hibernate_after = HELPER_AFTER_POWEROFF,
                .hibernate_delay_usec = SLEEP_HIBERNATE_DELAY_DEFAULT_USEC,
                .suspend_estimation_usec = SLEEP_SUSPEND_ESTIMATION_DEFAULT_USEC,
                .hibernate_on_ac_power = true,
        };
        for (const char *p = value.hibernate_mode ?: "platform shutdown"; *p; ) {
                size_t l;

                p += strspn(p, " \t");
                l = strcspn(p, " \t");
                if (l == 6 && strncmp(p, "reboot", 6) == 0) {
                        ret->hibernate_after = HELPER_AFTER_REBOOT;
                        break;
                }
                if (l == 8 && strncmp(p, "shutdown", 8) == 0)
                        break;
                if (l == 8 && strncmp(p, "platform", 8) == 0) {
                        ret->platform_requested = true;
                        break;
                }
                p += l;
        }
        if (value.hibernate_delay)
                (void) parse_timespan(value.hibernate_delay, &ret->hibernate_delay_usec);
        if (value.suspend_estimation)
                (void) parse_timespan(value.suspend_estimation, &ret->suspend_estimation_usec);
        if (value.hibernate_on_ac)
                ret->hibernate_on_ac_power = parse_boolean(value.hibernate_on_ac);
        free(value.hibernate_mode);
        free(value.hibernate_delay);
        free(value.suspend_estimation);
        free(value.hibernate_on_ac);
        return 0;
}

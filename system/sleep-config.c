/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "macro.h"
#include "sleep-config.h"

/* The value of HibernateMode= in TEXT's [Sleep] section, the last one. */
static void scan(const char *text, char **value) {
        bool in_sleep = false;

        for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
                size_t l = strcspn(line, "\n");

                while (l > 0 && (line[0] == ' ' || line[0] == '\t'))
                        line++, l--;
                if (l > 0 && line[0] == '[') {
                        in_sleep = l >= 7 && strncmp(line, "[Sleep]", 7) == 0;
                        continue;
                }
                if (in_sleep && l > 14 && strncmp(line, "HibernateMode=", 14) == 0) {
                        free(*value);
                        *value = strndup(line + 14, l - 14);
                }
        }
}

static void scan_file(const char *path, char **value) {
        _cleanup_free_ char *text = NULL;

        if (read_full_file(path, 1 << 20, &text, NULL) >= 0)
                scan(text, value);
}

static int only_conf(const struct dirent *de) {
        size_t l = strlen(de->d_name);
        return de->d_name[0] != '.' && l > 5 && strcmp(de->d_name + l - 5, ".conf") == 0;
}

int sleep_config_hibernate_after(const char *root, HibernateAfter *ret, bool *ret_platform) {
        static const char *const dirs[] = { "/etc/systemd/sleep.conf.d", "/run/systemd/sleep.conf.d",
                                            "/usr/lib/systemd/sleep.conf.d" };
        const char *r = streq_ptr(root, "/") ? "" : root;
        _cleanup_free_ char *value = NULL, *main_conf = NULL;
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

        *ret = HIBERNATE_AFTER_POWEROFF;
        *ret_platform = false;
        for (const char *p = value ?: "platform shutdown"; *p; ) {
                size_t l;

                p += strspn(p, " \t");
                l = strcspn(p, " \t");
                if (l == 6 && strncmp(p, "reboot", 6) == 0) {
                        *ret = HIBERNATE_AFTER_REBOOT;
                        return 0;
                }
                if (l == 8 && strncmp(p, "shutdown", 8) == 0)
                        return 0;
                if (l == 8 && strncmp(p, "platform", 8) == 0) {
                        *ret_platform = true;
                        return 0;
                }
                p += l;
        }
        return 0;
}

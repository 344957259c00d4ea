/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fileio.h"
#include "image-format.h"
#include "jump.h"
#include "macro.h"
#include "target.h"

static int set_string(char **field, const char *value) {
        char *s = strdup(value);

        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

void kjump_config_defaults(KjumpConfig *c) {
        kjump_config_done(c);
        *c = (KjumpConfig) {
                .window_size = KJUMP_WINDOW_SIZE_DEFAULT,
                .compression = KJUMP_COMPRESS_LZ4,
                .preload = true,
        };
        (void) set_string(&c->target, KJUMP_TARGET_DEFAULT);
        (void) set_string(&c->helper_kernel, KJUMP_HELPER_DIR "/helper.bzImage");
        (void) set_string(&c->helper_initrd, KJUMP_HELPER_DIR "/helper.cpio");
}

void kjump_config_done(KjumpConfig *c) {
        free(c->target);
        free(c->helper_kernel);
        free(c->helper_initrd);
        *c = (KjumpConfig) {};
}

static int parse_bool(const char *v, bool *ret) {
        static const char *const yes[] = { "1", "yes", "true", "on" }, *const no[] = { "0", "no", "false", "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcmp(v, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcmp(v, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

static char *strip(char *s) {
        char *e;

        s += strspn(s, " \t");
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                *--e = 0;
        return s;
}

static int fail(char **ret_error, const char *file, unsigned line, const char *what, const char *value) {
        if (ret_error && asprintf(ret_error, "%s:%u: %s%s%s%s", file, line, what, value ? " '" : "",
                                  value ?: "", value ? "'" : "") < 0)
                *ret_error = NULL;
        return -EINVAL;
}

int kjump_config_parse(KjumpConfig *c, const char *file, const char *text, char **ret_error) {
        _cleanup_free_ char *copy = strdup(text);
        char *line, *next;
        unsigned n = 0;
        bool in_section = false;

        if (!copy)
                return -ENOMEM;

        for (line = copy; line; line = next) {
                char *key, *value, *eq;
                uint64_t u;
                int r;

                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                n++;
                line = strip(line);
                if (line[0] == 0 || line[0] == '#' || line[0] == ';')
                        continue;
                if (line[0] == '[') {
                        in_section = strcmp(line, "[Hibernate]") == 0;
                        if (!in_section)
                                return fail(ret_error, file, n, "unknown section", line);
                        continue;
                }
                if (!in_section)
                        return fail(ret_error, file, n, "setting outside of the [Hibernate] section", NULL);
                eq = strchr(line, '=');
                if (!eq)
                        return fail(ret_error, file, n, "expected KEY=VALUE, got", line);
                *eq = 0;
                key = strip(line);
                value = strip(eq + 1);

                if (strcmp(key, "Target") == 0) {
                        if (!*value)
                                return fail(ret_error, file, n, "Target= needs a path or UUID=, PARTUUID=, LABEL=", NULL);
                        r = set_string(&c->target, value);
                } else if (strcmp(key, "HelperKernel") == 0 || strcmp(key, "HelperInitrd") == 0) {
                        if (value[0] != '/')
                                return fail(ret_error, file, n, "expected an absolute path, got", value);
                        r = set_string(key[6] == 'K' ? &c->helper_kernel : &c->helper_initrd, value);
                } else if (strcmp(key, "WindowSize") == 0) {
                        if (parse_size(value, &u) < 0 || u < (UINT64_C(32) << 20) || u % 4096)
                                return fail(ret_error, file, n, "WindowSize= must be at least 32M and page aligned, got",
                                            value);
                        c->window_size = u;
                        r = 0;
                } else if (strcmp(key, "Compression") == 0) {
                        int k = image_compression_from_string(value);
                        if (k < 0)
                                return fail(ret_error, file, n, "Compression= must be lz4, zstd or stored, got", value);
                        c->compression = k;
                        r = 0;
                } else if (strcmp(key, "CompressionLevel") == 0) {
                        if (parse_u64(value, &u) < 0 || u > 22)
                                return fail(ret_error, file, n, "CompressionLevel= must be 0..22, got", value);
                        c->compression_level = (int) u;
                        r = 0;
                } else if (strcmp(key, "Preload") == 0) {
                        if (parse_bool(value, &c->preload) < 0)
                                return fail(ret_error, file, n, "Preload= must be yes or no, got", value);
                        r = 0;
                } else
                        return fail(ret_error, file, n, "unknown setting", key);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_file(KjumpConfig *c, const char *path, char **ret_error) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_full_file(path, 1 << 20, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                if (ret_error && asprintf(ret_error, "%s: %s", path, strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }
        return kjump_config_parse(c, path, text, ret_error);
}

static int only_conf(const struct dirent *de) {
        size_t l = strlen(de->d_name);
        return de->d_name[0] != '.' && l > 5 && strcmp(de->d_name + l - 5, ".conf") == 0;
}

int kjump_config_load(KjumpConfig *c, const char *dir, char **ret_error) {
        _cleanup_free_ char *main_path = NULL, *dropins = NULL;
        struct dirent **list = NULL;
        int n, r;

        if (asprintf(&main_path, "%s/kjump.conf", dir) < 0 || asprintf(&dropins, "%s/kjump.conf.d", dir) < 0)
                return -ENOMEM;
        r = load_file(c, main_path, ret_error);
        if (r < 0)
                return r;
        n = scandir(dropins, &list, only_conf, alphasort);
        if (n < 0)
                return errno == ENOENT ? 0 : negative_errno();
        r = 0;
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *p = NULL;
                if (r >= 0) {
                        if (asprintf(&p, "%s/%s", dropins, list[i]->d_name) < 0)
                                r = -ENOMEM;
                        else
                                r = load_file(c, p, ret_error);
                }
                free(list[i]);
        }
        free(list);
        return r;
}

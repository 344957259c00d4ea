/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fileio.h"
#include "image-format.h"
#include "jump.h"
#include "target.h"
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

/* ------------------------------------------------------------ the keys */

/* Each parser stores VALUE at FIELD, or returns -EINVAL with the sentence
 * of its key's table entry. */
typedef int (*ConfigParser)(const char *value, void *field);

static int parse_target(const char *value, void *field) {
        return *value ? set_string(field, value) : -EINVAL;
}

static int parse_target_size(const char *value, void *field) {
        uint64_t dummy;

        if (target_size_parse(value, UINT64_C(1) << 30, UINT64_MAX, &dummy) < 0)
                return -EINVAL;
        return set_string(field, value);
}

static int parse_absolute_path(const char *value, void *field) {
        return value[0] == '/' ? set_string(field, value) : -EINVAL;
}

static int parse_window(const char *value, void *field) {
        uint64_t u;

        if (parse_size(value, &u) < 0 || u < KJUMP_WINDOW_SIZE_MIN || u % 4096)
                return -EINVAL;
        *(uint64_t *) field = u;
        return 0;
}

static int parse_compression(const char *value, void *field) {
        int k = image_compression_from_string(value);

        if (k < 0)
                return -EINVAL;
        *(uint32_t *) field = (uint32_t) k;
        return 0;
}

static int parse_level(const char *value, void *field) {
        uint64_t u;

        if (parse_u64(value, &u) < 0 || u > 22)
                return -EINVAL;
        *(int *) field = (int) u;
        return 0;
}

static int parse_bool(const char *value, void *field) {
        int b = parse_boolean(value);

        if (b < 0)
                return b;
        *(bool *) field = b;
        return 0;
}

static int parse_encryption(const char *value, void *field) {
        int e = encryption_from_string(value);

        if (e < 0)
                return e;
        *(int *) field = e;
        return 0;
}

/* Every key of [Hibernate], with its default (kjump.conf(5) documents the
 * same table), like systemd-oomd's ConfigTableItem. */
static const struct ConfigKey {
        const char *key;
        ConfigParser parse;
        size_t offset;
        const char *default_value;
        const char *expected; /* the error's sentence */
} config_keys[] = {
        { "Target", parse_target, offsetof(KjumpConfig, target), KJUMP_TARGET_DEFAULT,
          "Target= needs a path or UUID=, PARTUUID=, LABEL=" },
        { "TargetSize", parse_target_size, offsetof(KjumpConfig, target_size), KJUMP_TARGET_SIZE_DEFAULT,
          "TargetSize= must be N% of RAM (1..100), a size of at least 16M, or ram, got" },
        { "HelperKernel", parse_absolute_path, offsetof(KjumpConfig, helper_kernel), KJUMP_HELPER_DIR "/helper.bzImage",
          "expected an absolute path, got" },
        { "HelperInitrd", parse_absolute_path, offsetof(KjumpConfig, helper_initrd), KJUMP_HELPER_DIR "/helper.cpio",
          "expected an absolute path, got" },
        { "WindowSize", parse_window, offsetof(KjumpConfig, window_size), "64M",
          "WindowSize= must be at least 64M and page aligned, got" },
        { "Compression", parse_compression, offsetof(KjumpConfig, compression), "lz4",
          "Compression= must be lz4, zstd or stored, got" },
        { "CompressionLevel", parse_level, offsetof(KjumpConfig, compression_level), "0",
          "CompressionLevel= must be 0..22, got" },
        { "AdaptiveCompression", parse_bool, offsetof(KjumpConfig, adaptive_compression), "yes",
          "AdaptiveCompression= must be yes or no, got" },
        { "Preload", parse_bool, offsetof(KjumpConfig, preload), "yes", "Preload= must be yes or no, got" },
        { "ParkHelper", parse_bool, offsetof(KjumpConfig, park_helper), "no", "ParkHelper= must be yes or no, got" },
        { "SaveFreePages", parse_bool, offsetof(KjumpConfig, save_free_pages), "no",
          "SaveFreePages= must be yes or no, got" },
        { "Encryption", parse_encryption, offsetof(KjumpConfig, encryption), "auto",
          "Encryption= must be auto, luks, tpm2 or none, got" },
};

_Static_assert(KJUMP_WINDOW_SIZE_DEFAULT == UINT64_C(64) << 20, "WindowSize's default in config_keys");

void kjump_config_defaults(KjumpConfig *c) {
        kjump_config_done(c);
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                /* The defaults are valid by construction (test-conf). */
                (void) config_keys[i].parse(config_keys[i].default_value, (uint8_t *) c + config_keys[i].offset);
}

void kjump_config_done(KjumpConfig *c) {
        free(c->target);
        free(c->target_size);
        free(c->helper_kernel);
        free(c->helper_initrd);
        *c = (KjumpConfig) {};
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
                const struct ConfigKey *k = NULL;
                char *key, *value, *eq;
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

                for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                        if (strcmp(config_keys[i].key, key) == 0)
                                k = &config_keys[i];
                if (!k)
                        return fail(ret_error, file, n, "unknown setting", key);
                r = k->parse(value, (uint8_t *) c + k->offset);
                if (r == -EINVAL)
                        return fail(ret_error, file, n, k->expected, *value ? value : NULL);
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

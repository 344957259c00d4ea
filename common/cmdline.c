/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "macro.h"

/* Splits off the next word of P (honouring double quotes), returns its
 * start and length, and advances *P. */
static const char *next_word(const char **p, size_t *ret_len) {
        const char *s = *p, *start;
        bool quoted = false;

        while (*s == ' ' || *s == '\t' || *s == '\n')
                s++;
        if (!*s)
                return NULL;
        start = s;
        for (; *s; s++) {
                if (*s == '"')
                        quoted = !quoted;
                else if (!quoted && (*s == ' ' || *s == '\t' || *s == '\n'))
                        break;
        }
        *ret_len = s - start;
        *p = s;
        return start;
}

static bool word_has_key(const char *w, size_t l, const char *key, const char **ret_value) {
        size_t kl = strlen(key);

        if (l < kl || strncmp(w, key, kl) != 0)
                return false;
        if (l == kl) {
                *ret_value = w + l;
                return true;
        }
        if (w[kl] != '=')
                return false;
        *ret_value = w + kl + 1;
        return true;
}

int cmdline_get_value(const char *cmdline, const char *key, char **ret) {
        const char *p = cmdline, *w, *found = NULL;
        size_t l, found_len = 0;

        while ((w = next_word(&p, &l))) {
                const char *v;

                if (word_has_key(w, l, key, &v)) {
                        found = v;
                        found_len = l - (v - w);
                }
        }
        if (!found)
                return 0;

        if (ret) {
                char *s = malloc(found_len + 1), *o = s;
                if (!s)
                        return -ENOMEM;
                for (size_t i = 0; i < found_len; i++)
                        if (found[i] != '"')
                                *o++ = found[i];
                *o = 0;
                *ret = s;
        }
        return 1;
}

bool cmdline_has_key(const char *cmdline, const char *key) {
        return cmdline_get_value(cmdline, key, NULL) > 0;
}

/* A copy of CMDLINE without the words DROP says so of. */
static int filter_words(const char *cmdline, bool (*drop)(const char *w, size_t l, const void *data),
                        const void *data, char **ret) {
        const char *p = cmdline, *w;
        char *out, *o;
        size_t l;

        out = malloc(strlen(cmdline) + 1);
        if (!out)
                return -ENOMEM;
        o = out;

        while ((w = next_word(&p, &l))) {
                if (drop(w, l, data))
                        continue;
                if (o != out)
                        *o++ = ' ';
                memcpy(o, w, l);
                o += l;
        }
        *o = 0;
        *ret = out;
        return 0;
}

static bool has_one_of_keys(const char *w, size_t l, const void *data) {
        const char *v;

        for (const char *const *k = data; *k; k++)
                if (word_has_key(w, l, *k, &v))
                        return true;
        return false;
}

int cmdline_remove_keys(const char *cmdline, const char *const *keys, char **ret) {
        return filter_words(cmdline, has_one_of_keys, keys, ret);
}

static bool is_memmap_data(const char *w, size_t l, const void *data) {
        const char *v;

        return word_has_key(w, l, "memmap", &v) && memchr(v, '#', l - (size_t) (v - w));
}

int cmdline_remove_memmap_data(const char *cmdline, char **ret) {
        return filter_words(cmdline, is_memmap_data, NULL, ret);
}

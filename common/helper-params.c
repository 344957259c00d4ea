/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "fileio.h"
#include "hexdecoct.h"
#include "image-format.h"
#include "macro.h"
#include "helper-params.h"

static const char *const mode_table[_HELPER_MODE_MAX] = {
        [HELPER_MODE_ROUNDTRIP] = "roundtrip",
        [HELPER_MODE_TEST] = "test",
        [HELPER_MODE_TEST_RESTORE] = "test-restore",
        [HELPER_MODE_HIBERNATE] = "hibernate",
        [HELPER_MODE_RESTORE] = "restore",
};

const char *helper_mode_to_string(HelperMode m) {
        if (m < 0 || m >= _HELPER_MODE_MAX)
                return NULL;
        return mode_table[m];
}

HelperMode helper_mode_from_string(const char *s) {
        return string_table_lookup(mode_table, ELEMENTSOF(mode_table), s);
}

static const char *const after_table[_HELPER_AFTER_MAX] = {
        [HELPER_AFTER_POWEROFF] = "poweroff",
        [HELPER_AFTER_REBOOT] = "reboot",
        [HELPER_AFTER_SUSPEND] = "suspend",
};

const char *helper_after_to_string(HelperAfter a) {
        return a >= 0 && a < _HELPER_AFTER_MAX ? after_table[a] : NULL;
}

HelperAfter helper_after_from_string(const char *s) {
        return string_table_lookup(after_table, ELEMENTSOF(after_table), s);
}

void helper_params_done(HelperParams *p) {
        memmap_done(&p->firmware);
        target_map_done(&p->target);
        image_key_done(&p->key);
}

int helper_params_format(const HelperParams *p, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "kjump-params %d\n", KJUMP_PARAMS_VERSION);
        fprintf(f, "mode %s\n", helper_mode_to_string(p->mode));
        fprintf(f, "window 0x%" PRIx64 " 0x%" PRIx64 "\n", p->window.start, p->window.end);
        for (size_t i = 0; i < p->firmware.n; i++)
                fprintf(f, "memmap 0x%" PRIx64 " 0x%" PRIx64 " %s\n",
                        p->firmware.entries[i].range.start, p->firmware.entries[i].range.end,
                        p->firmware.entries[i].type_name);
        if (p->mailbox_phys != 0) {
                char nonce[33];

                hex_encode(p->park_nonce, sizeof(p->park_nonce), nonce);
                fprintf(f, "park 0x%" PRIx64 " %s\n", p->mailbox_phys, nonce);
        }
        if (helper_mode_needs_target(p->mode)) {
                char id[33];

                hex_encode(p->image_id, sizeof(p->image_id), id);
                fprintf(f, "image-id %s\n", id);
                fprintf(f, "compression %s %d\n", image_compression_to_string(p->compression),
                        p->compression_level);
                fprintf(f, "adaptive-compression %s\n", yes_no(p->adaptive_compression));
                fprintf(f, "target-device-size %" PRIu64 "\n", p->target_device_size);
                fprintf(f, "target-size %" PRIu64 "\n", p->target.size);
                if (p->after != HELPER_AFTER_POWEROFF)
                        fprintf(f, "after %s\n", helper_after_to_string(p->after));
                if (p->vmcoreinfo_phys != 0)
                        fprintf(f, "vmcoreinfo 0x%" PRIx64 " %" PRIu64 "\n", p->vmcoreinfo_phys, p->vmcoreinfo_size);
                fprintf(f, "free-pages %s\n", p->skip_free_pages ? "skip" : "save");
                if (p->skip_free_pages)
                        fprintf(f, "free-pages-restore %s\n", p->leave_free_pages ? "leave" : "zero");
                /* A parked helper takes each jump's key from the mailbox. */
                if (p->key.set && p->mailbox_phys == 0) {
                        char hex[2 * KJUMP_KEY_SIZE + 1];

                        hex_encode(p->key.master, sizeof(p->key.master), hex);
                        fprintf(f, "key %s\n", hex);
                        explicit_bzero(hex, sizeof(hex));
                }
                for (size_t i = 0; i < p->target.n; i++)
                        fprintf(f, "extent 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 "\n",
                                p->target.extents[i].logical, p->target.extents[i].physical,
                                p->target.extents[i].length);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

#define SEAL_PREFIX "checksum xxh3-128 "

static void seal_hex(const char *text, size_t n, char hex[static 33]) {
        XXH128_canonical_t c;

        XXH128_canonicalFromHash(&c, XXH3_128bits(text, n));
        hex_encode(c.digest, sizeof(c.digest), hex);
}

int helper_params_seal(const char *text, char **ret) {
        char hex[33];

        seal_hex(text, strlen(text), hex);
        return asprintf(ret, "%s" SEAL_PREFIX "%s\n", text, hex) < 0 ? -ENOMEM : 0;
}

int helper_params_unseal(char *text, const char **ret_reason) {
        size_t n = strlen(text), start;
        char hex[33];

#define REFUSE(msg) ({ if (ret_reason) *ret_reason = (msg); return -EBADMSG; })
        /* The last line, newline included, and nothing after it. */
        if (n == 0 || text[n - 1] != '\n')
                REFUSE("it does not end in a checksum line");
        start = n - 1;
        while (start > 0 && text[start - 1] != '\n')
                start--;
        if (n - start != strlen(SEAL_PREFIX) + 32 + 1 || strncmp(text + start, SEAL_PREFIX, strlen(SEAL_PREFIX)) != 0)
                REFUSE("it does not end in a checksum line");
        seal_hex(text, start, hex);
        if (memcmp(hex, text + start + strlen(SEAL_PREFIX), 32) != 0)
                REFUSE("its checksum does not match: it changed after the load");
#undef REFUSE
        text[start] = 0;
        return 0;
}

static int fail(char **ret_error, unsigned line, const char *what) {
        if (ret_error && asprintf(ret_error, "line %u: %s", line, what) < 0)
                *ret_error = NULL;
        return -EBADMSG;
}

/* Parses "START END" at the start of S into R; *rest points after them. */
static int parse_range(char *s, MemRange *r, char **rest) {
        char *a, *b, *save = NULL;
        int k;

        a = strtok_r(s, " ", &save);
        b = strtok_r(NULL, " ", &save);
        if (!a || !b)
                return -EINVAL;
        k = parse_u64(a, &r->start);
        if (k >= 0)
                k = parse_u64(b, &r->end);
        if (k < 0)
                return k;
        if (r->end <= r->start)
                return -ERANGE;
        if (rest)
                *rest = save;
        return 0;
}

int helper_params_parse(const char *text, HelperParams *ret, char **ret_error) {
        _cleanup_(helper_params_done) HelperParams p = { .mode = _HELPER_MODE_INVALID };
        _cleanup_free_ char *copy = strdup(text);
        char *line, *save = NULL;
        unsigned n = 0;
        bool version_seen = false, window_seen = false, id_seen = false;

        if (!copy)
                return -ENOMEM;

        for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *key, *value;

                n++;
                if (line[0] == '#' || line[0] == 0)
                        continue;
                key = line;
                value = strchr(line, ' ');
                if (!value)
                        return fail(ret_error, n, "no value");
                *value++ = 0;

                if (!version_seen) {
                        uint64_t v;
                        if (strcmp(key, "kjump-params") != 0 || parse_u64(value, &v) < 0)
                                return fail(ret_error, n, "not a kjump parameter file");
                        if (v != KJUMP_PARAMS_VERSION)
                                return fail(ret_error, n, "unsupported parameter version");
                        version_seen = true;
                } else if (strcmp(key, "checksum") == 0) {
                        /* The seal's own line: the helper reads only what
                         * helper_params_unseal() checked and cut off. */
                        return fail(ret_error, n, "still sealed");
                } else if (strcmp(key, "after") == 0) {
                        p.after = helper_after_from_string(value);
                        if (p.after < 0)
                                return fail(ret_error, n, "unknown 'after'");
                } else if (strcmp(key, "mode") == 0) {
                        p.mode = helper_mode_from_string(value);
                        if (p.mode < 0)
                                return fail(ret_error, n, "unknown mode");
                } else if (strcmp(key, "window") == 0) {
                        if (parse_range(value, &p.window, NULL) < 0)
                                return fail(ret_error, n, "bad window");
                        window_seen = true;
                } else if (strcmp(key, "memmap") == 0) {
                        MemRange r;
                        char *type;

                        if (parse_range(value, &r, &type) < 0 || !type || !*type)
                                return fail(ret_error, n, "bad memmap entry");
                        if (memmap_add(&p.firmware, r.start, r.end, type) < 0)
                                return -ENOMEM;
                } else if (strcmp(key, "key") == 0) {
                        uint8_t master[KJUMP_KEY_SIZE];
                        int k = hex_decode(value, master, sizeof(master));

                        if (k >= 0)
                                k = image_key_from_master(&p.key, master);
                        explicit_bzero(master, sizeof(master));
                        explicit_bzero(value, strlen(value));
                        if (k < 0)
                                return fail(ret_error, n, "bad key");
                } else if (strcmp(key, "image-id") == 0) {
                        if (hex_decode(value, p.image_id, sizeof(p.image_id)) < 0)
                                return fail(ret_error, n, "bad image id");
                        id_seen = true;
                } else if (strcmp(key, "compression") == 0) {
                        char *level = strchr(value, ' ');
                        int c;

                        if (level)
                                *level++ = 0;
                        c = image_compression_from_string(value);
                        if (c < 0)
                                return fail(ret_error, n, "unknown compression");
                        p.compression = c;
                        if (level) {
                                uint64_t l;
                                if (parse_u64(level, &l) < 0 || l > 22)
                                        return fail(ret_error, n, "bad compression level");
                                p.compression_level = (int) l;
                        }
                } else if (strcmp(key, "adaptive-compression") == 0) {
                        int b = parse_boolean(value);

                        if (b < 0)
                                return fail(ret_error, n, "bad adaptive-compression");
                        p.adaptive_compression = b;
                } else if (strcmp(key, "vmcoreinfo") == 0) {
                        /* "ADDRESS SIZE", as /sys/kernel/vmcoreinfo says it */
                        char *size = strchr(value, ' ');

                        if (!size)
                                return fail(ret_error, n, "bad vmcoreinfo");
                        *size++ = 0;
                        if (parse_u64(value, &p.vmcoreinfo_phys) < 0 || parse_u64(size, &p.vmcoreinfo_size) < 0 ||
                            p.vmcoreinfo_phys == 0 || p.vmcoreinfo_size == 0 || p.vmcoreinfo_size > 65536)
                                return fail(ret_error, n, "bad vmcoreinfo size");
                } else if (strcmp(key, "park") == 0) {
                        /* "ADDRESS NONCE": the mailbox, one page of A's RAM */
                        char *nonce = strchr(value, ' ');

                        if (!nonce)
                                return fail(ret_error, n, "bad park");
                        *nonce++ = 0;
                        if (parse_u64(value, &p.mailbox_phys) < 0 || p.mailbox_phys == 0 ||
                            (p.mailbox_phys & 4095) != 0 ||
                            hex_decode(nonce, p.park_nonce, sizeof(p.park_nonce)) < 0)
                                return fail(ret_error, n, "bad park");
                } else if (strcmp(key, "free-pages-restore") == 0) {
                        if (strcmp(value, "leave") == 0)
                                p.leave_free_pages = true;
                        else if (strcmp(value, "zero") == 0)
                                p.leave_free_pages = false;
                        else
                                return fail(ret_error, n, "bad free-pages-restore");
                } else if (strcmp(key, "free-pages") == 0) {
                        if (strcmp(value, "skip") == 0)
                                p.skip_free_pages = true;
                        else if (strcmp(value, "save") == 0)
                                p.skip_free_pages = false;
                        else
                                return fail(ret_error, n, "bad free-pages");
                } else if (strcmp(key, "target-device-size") == 0) {
                        if (parse_u64(value, &p.target_device_size) < 0)
                                return fail(ret_error, n, "bad target device size");
                } else if (strcmp(key, "target-size") == 0) {
                        if (parse_u64(value, &p.target.size) < 0)
                                return fail(ret_error, n, "bad target size");
                } else if (strcmp(key, "extent") == 0) {
                        uint64_t v[3];
                        char *w, *save2 = NULL;
                        int k = 0;

                        for (w = strtok_r(value, " ", &save2); w && k < 3; w = strtok_r(NULL, " ", &save2))
                                if (parse_u64(w, &v[k++]) < 0)
                                        break;
                        if (k != 3 || w || v[2] == 0 || target_map_add(&p.target, v[0], v[1], v[2]) < 0)
                                return fail(ret_error, n, "bad extent");
                } else
                        /* Unknown keys are ignored so that newer loaders can
                         * pass hints older helpers do not need. */
                        continue;
        }

        if (!version_seen)
                return fail(ret_error, n, "empty parameter file");
        if (p.mode < 0)
                return fail(ret_error, n, "no mode");
        if (!window_seen)
                return fail(ret_error, n, "no window");
        if (p.firmware.n == 0)
                return fail(ret_error, n, "no memory map");
        if (helper_mode_needs_target(p.mode)) {
                const char *why = NULL;

                if (!id_seen)
                        return fail(ret_error, n, "no image id");
                if (p.target_device_size == 0)
                        return fail(ret_error, n, "no target device size");
                if (target_map_check(&p.target, &why) < 0)
                        return fail(ret_error, n, why ?: "bad target map");
                for (size_t i = 0; i < p.target.n; i++)
                        if (p.target.extents[i].physical + p.target.extents[i].length > p.target_device_size)
                                return fail(ret_error, n, "extent beyond the end of the device");
        }

        *ret = p;
        p = (HelperParams) {};
        return 0;
}

/* "SIZE@ADDR", "SIZE#ADDR", "SIZE$ADDR" (K/M/G suffixes): the range. */
static int parse_memmap_range(const char *v, size_t n, uint64_t *ret_start, uint64_t *ret_end) {
        char size_s[32], addr_s[32];
        size_t k = strcspn(v, "@#$");
        uint64_t size, addr;

        if (k == 0 || k >= n || k >= sizeof(size_s) || n - k - 1 >= sizeof(addr_s) || n - k - 1 == 0)
                return -EINVAL;
        memcpy(size_s, v, k);
        size_s[k] = 0;
        memcpy(addr_s, v + k + 1, n - k - 1);
        addr_s[n - k - 1] = 0;
        if (parse_size(size_s, &size) < 0 || parse_size(addr_s, &addr) < 0 || size == 0 || addr + size < addr)
                return -EINVAL;
        *ret_start = addr;
        *ret_end = addr + size;
        return 0;
}

int helper_cmdline_check(const char *cmdline, uint64_t window_start, uint64_t window_end, const char **ret_reason) {
        static const char *const plain[] = { "nokaslr", "quiet" };
        static const char *const keyed[] = { "panic=", "console=", "loglevel=", "acpi_rsdp=", "clearcpuid=",
                                             "kjump." };
        bool exactmap = false, nokaslr = false;

#define REFUSE(msg) ({ if (ret_reason) *ret_reason = (msg); return -EBADMSG; })
        for (const char *p = cmdline + strspn(cmdline, " "); *p; p += strcspn(p, " "), p += strspn(p, " ")) {
                size_t n = strcspn(p, " ");
                bool known = false;

                if (n > 9 && strncmp(p, "memmap=", 7) == 0) {
                        uint64_t start, end;

                        if (n == 15 && strncmp(p + 7, "exactmap", 8) == 0) {
                                exactmap = true;
                                continue;
                        }
                        if (parse_memmap_range(p + 7, n - 7, &start, &end) < 0)
                                REFUSE("the helper's command line has a memmap= kjump cannot read");
                        if (start < window_start || end > window_end)
                                REFUSE("the helper's command line gives it memory outside its window");
                        continue;
                }
                for (size_t i = 0; i < ELEMENTSOF(plain); i++)
                        if (n == strlen(plain[i]) && strncmp(p, plain[i], n) == 0)
                                known = true;
                for (size_t i = 0; i < ELEMENTSOF(keyed); i++)
                        if (n > strlen(keyed[i]) && strncmp(p, keyed[i], strlen(keyed[i])) == 0)
                                known = true;
                if (!known)
                        REFUSE("the helper's command line holds a word kjump never puts there");
                if (n == 7 && strncmp(p, "nokaslr", 7) == 0)
                        nokaslr = true;
        }
        if (!exactmap || !nokaslr)
                REFUSE("the helper's command line does not confine it to its window (memmap=exactmap, nokaslr)");
        return 0;
#undef REFUSE
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>

#include "cmdline.h"
#include "fileio.h"
#include "kernel-facts.h"
#include "macro.h"

int kernel_version_parse(const char *release, unsigned *ret_major, unsigned *ret_minor, unsigned *ret_patch) {
        unsigned maj = 0, min = 0, patch = 0;
        int n = 0;

        if (sscanf(release, "%u.%u%n", &maj, &min, &n) < 2 || n == 0)
                return -EINVAL;
        if (release[n] == '.')
                (void) sscanf(release + n + 1, "%u", &patch);
        *ret_major = maj;
        *ret_minor = min;
        *ret_patch = patch;
        return 0;
}

bool kernel_has_gdt_fix(const char *release, const char *backports) {
        unsigned maj, min, patch;

        if (kernel_version_parse(release, &maj, &min, &patch) >= 0) {
                if (maj > 6 || (maj == 6 && min >= 13))
                        return true;
                if (maj == 6 && min == 12 && patch >= 5)
                        return true;
                if (maj == 6 && min == 6 && patch >= 66)
                        return true;
        }
        for (const char *line = backports; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
                char glob[256];
                size_t l = strcspn(line, " \t\n#");

                if (l == 0 || l >= sizeof(glob))
                        continue;
                memcpy(glob, line, l);
                glob[l] = 0;
                if (fnmatch(glob, release, 0) == 0)
                        return true;
        }
        return false;
}

const char *kernel_config_get(const char *text, const char *name) {
        static char value[256];
        size_t l = strlen(name);

        for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
                if (strncmp(line, name, l) == 0 && line[l] == '=') {
                        size_t v = strcspn(line + l + 1, "\n");

                        if (v >= sizeof(value))
                                v = sizeof(value) - 1;
                        memcpy(value, line + l + 1, v);
                        value[v] = 0;
                        return value;
                }
        return NULL;
}

static int read_gzip(const char *path, char **ret) {
        gzFile f = gzopen(path, "rb");
        char *buf = NULL;
        size_t size = 0, cap = 0;
        int n;

        if (!f)
                return -errno ?: -ENOENT;
        for (;;) {
                if (cap - size < 65536) {
                        char *t = realloc(buf, cap + 262144 + 1);
                        if (!t) {
                                free(buf);
                                gzclose(f);
                                return -ENOMEM;
                        }
                        buf = t;
                        cap += 262144;
                }
                n = gzread(f, buf + size, (unsigned) (cap - size));
                if (n < 0) {
                        free(buf);
                        gzclose(f);
                        return -EIO;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
                if (size > (16u << 20)) {
                        free(buf);
                        gzclose(f);
                        return -EFBIG;
                }
        }
        gzclose(f);
        buf[size] = 0;
        *ret = buf;
        return 0;
}

static bool driver_listed(const char *drivers, const char *name) {
        for (const char *line = drivers; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
                size_t l = strcspn(line, " \t\n#");

                if (l > 0 && l == strlen(name) && strncmp(line, name, l) == 0)
                        return true;
        }
        return false;
}

int kernel_drivers_missing(const char *devdir, const char *drivers, char **ret_missing) {
        _cleanup_free_ char *path = realpath(devdir, NULL);

        if (!path)
                return -errno;
        *ret_missing = NULL;
        for (char *slash; (slash = strrchr(path, '/')) && slash != path; *slash = 0) {
                _cleanup_free_ char *link = NULL, *target = NULL;
                const char *name;

                if (asprintf(&link, "%s/driver", path) < 0)
                        return -ENOMEM;
                target = realpath(link, NULL);
                if (!target)
                        continue;
                name = strrchr(target, '/') + 1;
                if (!driver_listed(drivers, name)) {
                        *ret_missing = strdup(name);
                        return *ret_missing ? 0 : -ENOMEM;
                }
        }
        return 0;
}

int kernel_config_read(const char *root, const char *release, char **ret) {
        _cleanup_free_ char *gz = NULL, *plain = NULL, *p_running = NULL, *running = NULL;
        const char *r = streq_ptr(root, "/") ? "" : root;

        if (asprintf(&gz, "%s/proc/config.gz", r) < 0 || asprintf(&plain, "%s/boot/config-%s", r, release) < 0 ||
            asprintf(&p_running, "%s/proc/sys/kernel/osrelease", r) < 0)
                return -ENOMEM;
        /* /proc/config.gz is the running kernel's: only for that one. */
        if (read_one_line(p_running, &running) >= 0 && streq_ptr(running, release) && read_gzip(gz, ret) >= 0)
                return 0;
        return read_full_file(plain, 16u << 20, ret, NULL);
}

int kernel_vmcoreinfo_read(const char *path, uint64_t *ret_phys, uint64_t *ret_size) {
        _cleanup_free_ char *line = NULL;
        unsigned long long phys, size;
        char end;
        int r;

        r = read_one_line(path, &line);
        if (r < 0)
                return r;
        if (sscanf(line, "%llx %llx%c", &phys, &size, &end) != 2 || phys == 0 || size == 0 || size > 65536)
                return -EBADMSG;
        *ret_phys = phys;
        *ret_size = size;
        return 0;
}

bool kernel_poisons_free_pages(const char *cmdline) {
        _cleanup_free_ char *value = NULL;
        int r = cmdline_get_value(cmdline, "page_poison", &value);

        if (r <= 0)
                return r < 0; /* cannot tell: say yes */
        /* The kernel reads it with kstrtobool(); anything else: say yes. */
        return parse_boolean(value) != 0;
}

bool kernel_zeroes_free_pages(const char *cmdline, const char *config) {
        _cleanup_free_ char *value = NULL;
        const char *v;
        int r;

        if (!cmdline)
                return true;
        r = cmdline_get_value(cmdline, "init_on_free", &value);
        if (r != 0)
                return r < 0 || parse_boolean(value) != 0;
        if (!config)
                return true;
        v = kernel_config_get(config, "CONFIG_INIT_ON_FREE_DEFAULT_ON");
        return v && strcmp(v, "y") == 0;
}

FreePagesUse kernel_free_pages_use(const char *cmdline, const char *config, const char **ret_why) {
        const char *why = NULL;
        FreePagesUse u = FREE_PAGES_SKIP_LEAVE;

        if (cmdline && kernel_poisons_free_pages(cmdline)) {
                u = FREE_PAGES_SAVE;
                why = "the kernel poisons its free pages (page_poison=)";
        } else if (kernel_zeroes_free_pages(cmdline, config)) {
                u = FREE_PAGES_SKIP_ZERO;
                if (!cmdline)
                        why = "the kernel command line cannot be read";
                else if (cmdline_has_key(cmdline, "init_on_free"))
                        why = "the kernel needs them zero (init_on_free= on its command line)";
                else if (!config)
                        why = "the kernel's configuration cannot be read (/proc/config.gz, /boot/config-RELEASE): "
                              "it may need them zero (init_on_free)";
                else
                        why = "the kernel needs them zero (CONFIG_INIT_ON_FREE_DEFAULT_ON=y)";
        }
        if (ret_why)
                *ret_why = why;
        return u;
}

static FreePagesUse running_use;
static const char *running_why;
static pthread_once_t running_once = PTHREAD_ONCE_INIT;

static void running_read(void) {
        _cleanup_free_ char *cmdline = NULL, *config = NULL;
        struct utsname u;

        if (read_one_line("/proc/cmdline", &cmdline) < 0)
                cmdline = mfree(cmdline);
        if (uname(&u) < 0 || kernel_config_read("/", u.release, &config) < 0)
                config = mfree(config);
        running_use = kernel_free_pages_use(cmdline, config, &running_why);
}

FreePagesUse running_kernel_free_pages_use(const char **ret_why) {
        pthread_once(&running_once, running_read);
        if (ret_why)
                *ret_why = running_why;
        return running_use;
}

FreePagesUse free_pages_use(bool save_free_pages, bool vmcoreinfo, const char **ret_why) {
        if (save_free_pages || !vmcoreinfo) {
                if (ret_why)
                        *ret_why = save_free_pages ? "SaveFreePages=yes"
                                                   : "the kernel has no /sys/kernel/vmcoreinfo to find them with";
                return FREE_PAGES_SAVE;
        }
        return running_kernel_free_pages_use(ret_why);
}

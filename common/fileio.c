/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"

int read_full_file(const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();

        for (;;) {
                ssize_t k;

                if (alloc - size < 4096) {
                        char *t;

                        if (alloc >= max + 1)
                                return -EFBIG;
                        alloc = MIN(MAX(alloc * 2, (size_t) 8192), max + 1);
                        t = realloc(buf, alloc + 1);
                        if (!t)
                                return -ENOMEM;
                        buf = t;
                }
                k = read(fd, buf + size, alloc - size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                size += k;
                if (size > max)
                        return -EFBIG;
        }

        if (!buf) {
                buf = malloc(1);
                if (!buf)
                        return -ENOMEM;
        }
        buf[size] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

int read_one_line(const char *path, char **ret) {
        char *s;
        int r;

        r = read_full_file(path, 1 << 20, &s, NULL);
        if (r < 0)
                return r;
        s[strcspn(s, "\n")] = 0;
        *ret = s;
        return 0;
}

int read_one_line_at(const char *dir, const char *sub, const char *name, char **ret) {
        _cleanup_free_ char *p = NULL;

        if (asprintf(&p, "%s/%s/%s", dir, sub, name) < 0)
                return -ENOMEM;
        return read_one_line(p, ret);
}

int write_string_file(const char *path, const char *s) {
        _cleanup_close_ int fd = -EBADF;

        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        return write_full(fd, s, strlen(s));
}

int mkdir_p(const char *dir, mode_t mode) {
        _cleanup_free_ char *p = strdup(dir);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        if (mkdir(p, mode) < 0 && errno != EEXIST)
                                return negative_errno();
                        *s = '/';
                }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

int write_file_atomic(const char *path, const char *tmp, const char *text) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0644);
        if (fd < 0)
                return negative_errno();
        r = write_full(fd, text, strlen(text));
        if (r >= 0 && fsync(fd) < 0)
                r = negative_errno();
        if (r >= 0 && rename(tmp, path) < 0)
                r = negative_errno();
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

int pread_full(int fd, void *buf, size_t n, off_t offset) {
        uint8_t *p = buf;

        while (n > 0) {
                ssize_t k = pread(fd, p, n, offset);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        return -EIO; /* short read: the device or file ends early */
                p += k;
                n -= k;
                offset += k;
        }
        return 0;
}

int pwrite_full(int fd, const void *buf, size_t n, off_t offset) {
        const uint8_t *p = buf;

        while (n > 0) {
                ssize_t k = pwrite(fd, p, n, offset);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        return -EIO;
                p += k;
                n -= k;
                offset += k;
        }
        return 0;
}

int write_full(int fd, const void *buf, size_t n) {
        const uint8_t *p = buf;

        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                p += k;
                n -= k;
        }
        return 0;
}

int parse_u64(const char *s, uint64_t *ret) {
        unsigned long long v;
        char *end;

        if (!s || !*s || isspace((unsigned char) *s) || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 0);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno != 0 || end == s || *end != 0)
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_size(const char *s, uint64_t *ret) {
        static const struct {
                char suffix;
                unsigned shift;
        } units[] = { { 'K', 10 }, { 'M', 20 }, { 'G', 30 }, { 'T', 40 } };
        _cleanup_free_ char *num = NULL;
        unsigned shift = 0;
        uint64_t v;
        size_t l;
        int r;

        if (!s || !*s)
                return -EINVAL;
        num = strdup(s);
        if (!num)
                return -ENOMEM;
        l = strlen(num);
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (toupper((unsigned char) num[l - 1]) == units[i].suffix) {
                        shift = units[i].shift;
                        num[--l] = 0;
                        break;
                }
        r = parse_u64(num, &v);
        if (r < 0)
                return r;
        if (shift && v > (UINT64_MAX >> shift))
                return -ERANGE;
        *ret = v << shift;
        return 0;
}

int parse_boolean(const char *s) {
        static const char *const yes[] = { "1", "yes", "true", "on" }, *const no[] = { "0", "no", "false", "off" };

        for (size_t i = 0; s && i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

int parse_timespan(const char *s, uint64_t *ret_usec) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                { "us", 1 }, { "usec", 1 }, { "ms", 1000 }, { "msec", 1000 },
                { "", 1000000 }, { "s", 1000000 }, { "sec", 1000000 }, { "second", 1000000 }, { "seconds", 1000000 },
                { "m", 60000000 }, { "min", 60000000 }, { "minute", 60000000 }, { "minutes", 60000000 },
                { "h", 3600000000 }, { "hr", 3600000000 }, { "hour", 3600000000 }, { "hours", 3600000000 },
                { "d", 86400000000 }, { "day", 86400000000 }, { "days", 86400000000 },
                { "w", 604800000000 }, { "week", 604800000000 }, { "weeks", 604800000000 },
        };
        uint64_t total = 0;
        bool any = false;

        if (!s)
                return -EINVAL;
        for (const char *p = s;;) {
                size_t digits, letters;
                uint64_t v = 0, unit = 0;

                p += strspn(p, " \t");
                if (!*p)
                        break;
                digits = strspn(p, "0123456789");
                if (digits == 0 || digits > 12)
                        return -EINVAL;
                for (size_t i = 0; i < digits; i++)
                        v = v * 10 + (uint64_t) (p[i] - '0');
                p += digits;
                p += strspn(p, " \t");
                letters = strspn(p, "abcdefghijklmnopqrstuvwxyz");
                for (size_t i = 0; i < ELEMENTSOF(units); i++)
                        if (strlen(units[i].suffix) == letters && strncmp(p, units[i].suffix, letters) == 0)
                                unit = units[i].usec;
                if (unit == 0 || v > UINT64_MAX / unit || total + v * unit < total)
                        return unit == 0 ? -EINVAL : -ERANGE;
                total += v * unit;
                p += letters;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret_usec = total;
        return 0;
}

int fd_size(int fd, uint64_t *ret) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (S_ISBLK(st.st_mode))
                return ioctl(fd, BLKGETSIZE64, ret) < 0 ? negative_errno() : 0;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        *ret = (uint64_t) st.st_size;
        return 0;
}

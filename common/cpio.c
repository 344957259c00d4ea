/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cpio.h"
#include "macro.h"

void cpio_done(Cpio *c) {
        free(c->data);
        *c = (Cpio) {};
}

static int reserve(Cpio *c, size_t n) {
        uint8_t *t;
        size_t a;

        if (c->size + n <= c->alloc)
                return 0;
        a = MAX(c->alloc * 2, c->size + n + 4096);
        t = realloc(c->data, a);
        if (!t)
                return -ENOMEM;
        c->data = t;
        c->alloc = a;
        return 0;
}

static int append(Cpio *c, const void *p, size_t n) {
        int r = reserve(c, n);
        if (r < 0)
                return r;
        memcpy(c->data + c->size, p, n);
        c->size += n;
        return 0;
}

static int pad4(Cpio *c) {
        static const uint8_t zero[4];
        return append(c, zero, ALIGN_TO(c->size, (size_t) 4) - c->size);
}

static int add_entry(Cpio *c, const char *name, mode_t mode, unsigned rmajor, unsigned rminor,
                     const void *data, size_t size) {
        char hdr[111];
        size_t namesize = strlen(name) + 1;
        int r;

        if (size > UINT32_MAX || namesize > 4096)
                return -E2BIG;
        /* The kernel wants names without a leading slash. */
        while (name[0] == '/' && name[1])
                name++, namesize--;

        snprintf(hdr, sizeof(hdr),
                 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08zX%08X",
                 ++c->ino, (unsigned) mode, 0u, 0u, 1u, 0u, (unsigned) size,
                 0u, 0u, rmajor, rminor, namesize, 0u);
        r = append(c, hdr, 110);
        if (r >= 0)
                r = append(c, name, namesize);
        if (r >= 0)
                r = pad4(c);
        if (r >= 0 && size > 0)
                r = append(c, data, size);
        if (r >= 0)
                r = pad4(c);
        return r;
}

int cpio_add_dir(Cpio *c, const char *name, mode_t mode) {
        return add_entry(c, name, S_IFDIR | (mode & 07777), 0, 0, NULL, 0);
}

int cpio_add_file(Cpio *c, const char *name, mode_t mode, const void *data, size_t size) {
        return add_entry(c, name, S_IFREG | (mode & 07777), 0, 0, data, size);
}

int cpio_add_char_device(Cpio *c, const char *name, mode_t mode, unsigned major, unsigned minor) {
        return add_entry(c, name, S_IFCHR | (mode & 07777), major, minor, NULL, 0);
}

int cpio_add_symlink(Cpio *c, const char *name, const char *target) {
        return add_entry(c, name, S_IFLNK | 0777, 0, 0, target, strlen(target));
}

int cpio_finish(Cpio *c) {
        return add_entry(c, "TRAILER!!!", 0, 0, 0, NULL, 0);
}

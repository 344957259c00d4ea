/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A "newc" cpio archive built in memory, as the kernel's initramfs
 * unpacker reads it. Entries are owned by root. */
typedef struct Cpio {
        uint8_t *data;
        size_t size;
        size_t alloc;
        unsigned ino;
} Cpio;

void cpio_done(Cpio *c);
int cpio_add_dir(Cpio *c, const char *name, mode_t mode);
int cpio_add_file(Cpio *c, const char *name, mode_t mode, const void *data, size_t size);
int cpio_add_char_device(Cpio *c, const char *name, mode_t mode, unsigned major, unsigned minor);
int cpio_add_symlink(Cpio *c, const char *name, const char *target);
/* Appends the trailer; the archive ends on a 4-byte boundary. */
int cpio_finish(Cpio *c);

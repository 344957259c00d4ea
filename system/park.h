/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "memmap.h"
#include "park-mailbox.h"

/* The mailbox page of a parked helper, in kjumpd's memory: pinned for as
 * long as the helper is loaded, so that its physical address, which the
 * helper was told at its boot, stays the page's. */
typedef struct ParkMailbox {
        struct kjump_park_mailbox *page;  /* mapped, 4096 bytes */
        uint64_t phys;
        int ring_fd;                      /* the io_uring whose registered buffer pins it */
} ParkMailbox;

#define PARK_MAILBOX_NULL { .ring_fd = -EBADF }

/* Allocates a page outside WINDOW, pins it, and finds its physical
 * address. -EOPNOTSUPP when the kernel cannot pin it (no io_uring). */
int park_mailbox_open(ParkMailbox *ret, const MemRange *window);
/* Wipes, unpins and frees it. */
void park_mailbox_close(ParkMailbox *m);

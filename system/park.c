/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "macro.h"
#include "park.h"

/* A page of kjumpd's may be moved to another physical page at any time
 * (compaction, NUMA balancing; mlock does not prevent it), and the parked
 * helper would then read a stale or reused page. A long-term pin does
 * prevent it: the kernel migrates the page out of movable memory first and
 * then never moves it while pinned. An io_uring fixed buffer is such a pin
 * (FOLL_LONGTERM), held for as long as the ring is open, on every kernel
 * kjump supports. */
static int pin_page(void *p, int *ret_fd) {
        struct io_uring_params params = {};
        struct iovec iov = { .iov_base = p, .iov_len = 4096 };
        _cleanup_close_ int fd = -EBADF;

        fd = (int) syscall(SYS_io_uring_setup, 1, &params);
        if (fd < 0)
                return negative_errno();
        if (syscall(SYS_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov, 1) < 0)
                return negative_errno();
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* The physical address of the page at P, from /proc/self/pagemap (the
 * PFN is shown to CAP_SYS_ADMIN only). */
static int page_phys(const void *p, uint64_t *ret) {
        _cleanup_close_ int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
        uint64_t e;

        if (fd < 0)
                return negative_errno();
        if (pread(fd, &e, sizeof(e), (off_t) ((uintptr_t) p / 4096 * sizeof(e))) != (ssize_t) sizeof(e))
                return -EIO;
        if (!(e & (UINT64_C(1) << 63)) || (e & ((UINT64_C(1) << 55) - 1)) == 0)
                return -EADDRNOTAVAIL; /* not present, or the PFN hidden */
        *ret = (e & ((UINT64_C(1) << 55) - 1)) * 4096;
        return 0;
}

static int open_one(ParkMailbox *m) {
        void *p;
        int r;

        p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED, -1, 0);
        if (p == MAP_FAILED)
                return negative_errno();
        m->page = p;
        memset(p, 0, 4096); /* written: a page of its own, not the shared zero page */
        r = pin_page(p, &m->ring_fd);
        if (r >= 0)
                r = page_phys(p, &m->phys);
        return r;
}

int park_mailbox_open(ParkMailbox *ret, const MemRange *window) {
        ParkMailbox tried[8];
        size_t n = 0;
        int r = -EADDRNOTAVAIL;

        /* The window's pages are swapped with the helper's at every jump:
         * a page there is not where the helper would look. Keep trying
         * (holding the pages tried) until one lies outside it. */
        for (; n < ELEMENTSOF(tried); n++) {
                ParkMailbox *m = &tried[n];

                *m = (ParkMailbox) PARK_MAILBOX_NULL;
                r = open_one(m);
                if (r < 0) {
                        park_mailbox_close(m);
                        break;
                }
                if (m->phys + 4096 <= window->start || m->phys >= window->end) {
                        *ret = *m;
                        break;
                }
                r = -EADDRNOTAVAIL;
        }
        for (size_t i = 0; i < n; i++)
                park_mailbox_close(&tried[i]);
        return r;
}

void park_mailbox_close(ParkMailbox *m) {
        if (m->page) {
                explicit_bzero(m->page, 4096);
                munmap(m->page, 4096);
                m->page = NULL;
        }
        m->ring_fd = safe_close(m->ring_fd);
        m->phys = 0;
}

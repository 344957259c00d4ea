/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper.h"
#include "macro.h"

int kexec_jump_back(uint64_t entry) {
        static uint8_t page[4096] __attribute__((aligned(4096)));
        _cleanup_close_ int fd = -EBADF;
        uint64_t base = entry & ~UINT64_C(0xfff);
        struct kexec_segment seg;
        void *p;

        /* The helper's identity map covers only its own RAM and the pages of
         * its kexec segments. A's entry page lies outside the window, so we
         * load a segment onto that very page, holding a copy of what is
         * already there: the jump then writes back the same bytes and the
         * page is mapped (field notes, section 5). */
        fd = open("/dev/mem", O_RDONLY | O_CLOEXEC | O_SYNC);
        if (fd < 0)
                return negative_errno();
        p = mmap(NULL, sizeof(page), PROT_READ, MAP_SHARED, fd, (off_t) base);
        if (p == MAP_FAILED)
                return negative_errno();
        memcpy(page, p, sizeof(page));
        munmap(p, sizeof(page));

        seg = (struct kexec_segment) {
                .buf = page,
                .bufsz = sizeof(page),
                .mem = (void *) (uintptr_t) base,
                .memsz = sizeof(page),
        };
        if (syscall(SYS_kexec_load, (unsigned long) entry, 1UL, &seg,
                    (unsigned long) (KEXEC_PRESERVE_CONTEXT | KEXEC_ARCH_DEFAULT)) < 0)
                return negative_errno();

        sync();
        if (reboot(LINUX_REBOOT_CMD_KEXEC) < 0)
                return negative_errno();
        return 0;
}

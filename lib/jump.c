/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <time.h>

#include "jump.h"
#include "kexec.h"
#include "log.h"
#include "macro.h"
#include "memmap.h"

static uint64_t now_usec(clockid_t clock) {
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int jump_prepare_params(const JumpConfig *c, HelperMode mode, HelperParams *p) {
        _cleanup_(memmap_done) MemMap m = {};
        uint64_t in_window = 0;
        int r;

        r = memmap_read_sysfs("/sys/firmware/memmap", &m);
        if (r < 0)
                return log_error_errno(r, "Failed to read the firmware memory map from /sys/firmware/memmap: %m");

        /* The window starts at 0 so that low memory, where A keeps its
         * real-mode trampoline, is swapped out and back with the rest. */
        p->window = (MemRange) { 0, c->window_size };
        for (size_t i = 0; i < m.n; i++)
                if (m.entries[i].type == MEM_RAM)
                        in_window += MIN(m.entries[i].range.end, p->window.end) -
                                     MIN(m.entries[i].range.start, p->window.end);
        if (in_window < c->window_size / 2)
                return log_error_errno(ERANGE, "Only %" PRIu64 " KiB of the %" PRIu64 " KiB window below 0x%" PRIx64
                                       " is RAM: too little for the helper kernel.",
                                       in_window >> 10, c->window_size >> 10, p->window.end);

        p->mode = mode;
        p->firmware = m;
        m = (MemMap) {};
        return 0;
}

int jump_direct(const JumpConfig *c, HelperMode mode, JumpResult *ret) {
        _cleanup_(helper_params_done) HelperParams params = {};
        uint64_t t0;
        int r;

        r = jump_prepare_params(c, mode, &params);
        if (r < 0)
                return r;

        t0 = now_usec(CLOCK_MONOTONIC);
        r = kexec_load_helper(&(HelperLoad) {
                .kexec_binary = c->kexec_binary,
                .kernel = c->helper_kernel,
                .initrd = c->helper_initrd,
                .extra_cmdline = c->extra_cmdline,
                .params = &params,
        });
        if (r < 0)
                return r;
        ret->load_usec = now_usec(CLOCK_MONOTONIC) - t0;

        log_info("Jumping into the helper kernel (mode %s).", helper_mode_to_string(mode));
        ret->jump_usec = now_usec(CLOCK_REALTIME);
        r = kexec_jump();
        ret->return_usec = now_usec(CLOCK_REALTIME);
        if (r < 0) {
                log_error_errno(r, "The kernel refused the jump: %m");
                (void) kexec_unload();
                return r;
        }

        /* The loaded image's source pages now hold other data: it must
         * never be jumped into again. */
        r = kexec_unload();
        if (r < 0)
                log_warning_errno(r, "Failed to unload the stale helper image: %m");
        return 0;
}

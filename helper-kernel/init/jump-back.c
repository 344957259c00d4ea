/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"
#include "helper.h"
#include "log.h"
#include "macro.h"

/* The kernel takes the other CPUs offline itself before a preserve-context
 * jump, but an x86 CPU reports itself dead (cpuhp_ap_report_dead() in
 * play_dead_common()) *before* it reaches its halt loop, and the control
 * CPU goes on at once. The jump back then overwrites the code that CPU may
 * still be running: A's swap_pages puts A's memory back over the whole
 * window, the helper's kernel text included, and the CPU executes A's
 * bytes (a triple fault: the machine resets). Seen under TCG in about 1
 * jump back of 100, where a vCPU can be descheduled right after its report
 * (tests/vm: "Restored ... entering the original kernel", then QEMU gone).
 * So we take them offline first, then leave this CPU idle for a moment:
 * a dead CPU's last instructions before its halt take microseconds on a
 * real machine, and under TCG an idle CPU hands the host thread to the
 * others. (The helper boots with clearcpuid=monitor, so that a dead CPU
 * halts instead of waiting in MWAIT on a line of the window, which the
 * swap would write: that would wake it into A's bytes on Intel.) */
static unsigned offlined[256], n_offlined;

static void park_secondary_cpus(void) {
        DIR *d = opendir("/sys/devices/system/cpu");
        struct dirent *de;
        unsigned parked = 0;
        int r;

        n_offlined = 0;

        if (!d)
                return;
        while ((de = readdir(d))) {
                _cleanup_free_ char *online = NULL;
                unsigned n;
                char path[64];

                if (sscanf(de->d_name, "cpu%u", &n) != 1 || n == 0)
                        continue;
                snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/online", n);
                if (read_one_line(path, &online) < 0 || strcmp(online, "1") != 0)
                        continue;
                r = write_string_file(path, "0");
                if (r >= 0) {
                        parked++;
                        if (n_offlined < ELEMENTSOF(offlined))
                                offlined[n_offlined++] = n;
                }
                else
                        log_warning_errno(r, "Cannot take CPU %u offline before the jump: %m", n);
        }
        closedir(d);
        if (parked > 0)
                (void) nanosleep(&(struct timespec) { .tv_nsec = 20 * 1000 * 1000 }, NULL);
}

/* After A jumped into us again: the CPUs taken offline before the last
 * jump back come online again (the kernel restores only those it took
 * down itself). */
static void online_secondary_cpus(void) {
        for (unsigned i = 0; i < n_offlined; i++) {
                char path[64];
                int r;

                snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/online", offlined[i]);
                r = write_string_file(path, "1");
                if (r < 0)
                        log_warning_errno(r, "Cannot bring CPU %u online again: %m", offlined[i]);
        }
        n_offlined = 0;
}

/* Loads, once, an image whose entry is ENTRY and whose one segment lies
 * on the page at BASE and holds a copy of what is there now, so that the
 * swaps at the jump and at a re-entry write back the same bytes. Then
 * jumps. Should A ever jump into us again with the same image, the image
 * loaded the first time is the one to go back with: its segment then
 * holds the page as it was at A's last jump, while a copy read now would
 * be the page of the jump before. Returns 0 when A jumped in again. */
static int jump_back_with_segment(uint64_t entry, uint64_t base, bool *loaded) {
        static uint8_t page[4096] __attribute__((aligned(4096)));

        if (!*loaded) {
                _cleanup_close_ int fd = -EBADF;
                struct kexec_segment seg;
                void *p;

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
                *loaded = true;
        }

        sync();
        park_secondary_cpus();
        if (reboot(LINUX_REBOOT_CMD_KEXEC) < 0)
                return negative_errno();
        online_secondary_cpus();
        return 0;
}

/* The helper's identity map covers only its own RAM and the pages of its
 * kexec segments. A's entry page lies outside the window, so the segment
 * goes onto that very page (field notes, section 5). */
int kexec_jump_back(uint64_t entry) {
        static bool loaded;

        return jump_back_with_segment(entry, entry & ~UINT64_C(0xfff), &loaded);
}

/* The parked helper's jump back. It was booted with A's RAM outside the
 * window in its memory map as ACPI data, which its kexec identity map
 * covers: A's entry is reachable without a segment on A's memory. (A
 * segment on A's entry page, as kexec_jump_back() loads, would be swapped
 * at every re-entry too, putting back the page as it was at the previous
 * jump: A's control page holds the context it saves at each jump, and an
 * image written then would hold the stale one.) The one segment lies on a
 * page of the helper's own, in the first MiB, which the kernel keeps for
 * itself. After every re-entry the same image points at A's entry again,
 * which stays the same for as long as A keeps its image loaded. */
int kexec_jump_back_parked(uint64_t entry) {
        static bool loaded;

        return jump_back_with_segment(entry, 0x1000, &loaded);
}

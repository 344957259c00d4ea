/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmdline.h"
#include "cpio.h"
#include "fileio.h"
#include "kexec-load.h"
#include "log.h"
#include "macro.h"
#include "reason.h"
#include "spawn-util.h"

static const char *find_kexec(const char *configured) {
        static const char *const paths[] = { "/usr/sbin/kexec", "/sbin/kexec", "/usr/local/sbin/kexec" };

        if (configured)
                return configured;
        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                if (access(paths[i], X_OK) == 0)
                        return paths[i];
        return NULL;
}

int helper_cmdline(const char *running_cmdline, const char *extra, char **ret) {
        const char *p = running_cmdline + strspn(running_cmdline, " \t\n");
        size_t cap = strlen(running_cmdline) + (extra ? strlen(extra) : 0) + 64;
        char *out;

        out = malloc(cap);
        if (!out)
                return -ENOMEM;
        /* KASLR ignores memmap=exactmap: the helper must not randomize.
         * A panic in the helper reboots rather than hangs: A's disks were
         * synced and no image is valid yet. No MWAIT: a CPU the helper
         * takes offline must halt, not wait on a cache line of the window
         * that the jump back writes (helper-kernel/init/jump-back.c). */
        strcpy(out, "nokaslr panic=10 clearcpuid=monitor quiet");

        /* The helper is quiet on its own: its boot log on a serial console
         * at 115200 baud would take a second or more, at every hibernation
         * and every restore. It talks where A does (every console=, in
         * order) and says more only when A was asked to (loglevel=). */
        for (; *p; p += strcspn(p, " \t\n"), p += strspn(p, " \t\n")) {
                size_t l = strcspn(p, " \t\n");

                if (strncmp(p, "console=", 8) == 0 || strncmp(p, "loglevel=", 9) == 0) {
                        strcat(out, " ");
                        strncat(out, p, l);
                }
        }
        if (extra && *extra) {
                strcat(out, " ");
                strcat(out, extra);
        }
        *ret = out;
        return 0;
}

int helper_params_archive(const HelperParams *params, void **ret, size_t *ret_size) {
        _cleanup_(cpio_done) Cpio c = {};
        _cleanup_free_ char *text = NULL, *sealed = NULL;
        int r;

        r = helper_params_format(params, &text);
        if (r < 0)
                return r;
        r = helper_params_seal(text, &sealed);
        explicit_bzero(text, strlen(text)); /* it may hold the image's key */
        if (r < 0)
                return r;
        r = cpio_add_dir(&c, "kjump", 0755);
        if (r >= 0)
                r = cpio_add_file(&c, KJUMP_PARAMS_PATH, 0600, sealed, strlen(sealed));
        explicit_bzero(sealed, strlen(sealed));
        if (r >= 0)
                r = cpio_finish(&c);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c.data);
        *ret_size = c.size;
        return 0;
}

/* Copies the helper's initrd into FD and pads it to 4 bytes so that the
 * parameter archive that follows starts where the kernel looks for it. */
static int copy_initrd(int fd, const char *path) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        static const uint8_t zero[4];
        int r;

        r = read_full_file(path, 256u << 20, &data, &size);
        if (r < 0)
                return r;
        r = write_full(fd, data, size);
        if (r >= 0 && size % 4)
                r = write_full(fd, zero, 4 - size % 4);
        return r;
}

/* kexec-tools reads the kernel, the initrd and /proc/kcore: seconds, even
 * under emulation. Ten minutes means it hangs. */
#define KEXEC_TIMEOUT_USEC (600ULL * 1000000)

static int run_kexec(char *const argv[]) {
        int r = spawn_wait(argv, KEXEC_TIMEOUT_USEC);

        if (r < 0)
                return r;
        return r == 0 ? 0 : -EPROTO;
}

int kexec_load_helper(const HelperLoad *l, char **ret_reason) {
        _cleanup_free_ char *running = NULL, *cmdline = NULL, *append = NULL, *memmax = NULL,
                            *initrd_arg = NULL, *memmin = NULL;
        _cleanup_free_ void *archive = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *kexec = find_kexec(l->kexec_binary);
        size_t archive_size;
        int r;

        if (!kexec)
                return reason_set(ret_reason, ENOENT, "kexec-tools' kexec was not found (apt-get install kexec-tools)");

        if (l->restore_cmdline) {
                cmdline = strdup(l->restore_cmdline);
                if (!cmdline)
                        return -ENOMEM;
        } else {
                r = read_one_line("/proc/cmdline", &running);
                if (r < 0)
                        return reason_set(ret_reason, r, "cannot read /proc/cmdline: %m");
                r = helper_cmdline(running, l->extra_cmdline, &cmdline);
                if (r < 0)
                        return reason_set(ret_reason, r, "cannot build the helper's command line: %m");
        }

        r = helper_params_archive(l->params, &archive, &archive_size);
        if (r < 0)
                return reason_set(ret_reason, r, "cannot build the helper's parameters: %m");

        /* The combined initrd lives in a memfd: nothing is left on disk, and
         * kexec (our child) opens it through /proc/self/fd. */
        fd = memfd_create("kjump-helper-initrd", 0);
        if (fd < 0)
                return reason_set(ret_reason, errno, "cannot create a memfd: %m");
        r = copy_initrd(fd, l->initrd);
        if (r < 0)
                return reason_set(ret_reason, r, "cannot read the helper initrd %s: %m", l->initrd);
        r = write_full(fd, archive, archive_size);
        if (r < 0)
                return reason_set(ret_reason, r, "cannot write the helper initrd: %m");

        /* A parked helper gets its memory map from us: the window as RAM
         * and A's RAM as ACPI data, which its jumps back need mapped
         * (docs/design.md, "The parked helper"). */
        if (!l->restore_cmdline && l->params->mailbox_phys != 0) {
                _cleanup_free_ char *memmap = NULL, *joined = NULL;

                r = memmap_park_cmdline(&l->params->firmware, &l->params->window, &memmap);
                if (r < 0)
                        return reason_set(ret_reason, r, "cannot build the parked helper's memory map: %m");
                if (asprintf(&joined, "%s %s", cmdline, memmap) < 0)
                        return -ENOMEM;
                free_and_replace(cmdline, joined);
        }

        if (asprintf(&memmin, "--mem-min=0x%" PRIx64, l->params->window.start) < 0 ||
            asprintf(&memmax, "--mem-max=0x%" PRIx64, l->params->window.end - 1) < 0 ||
            asprintf(&initrd_arg, "--initrd=/proc/self/fd/%d", fd) < 0 ||
            asprintf(&append, "--append=%s", cmdline) < 0)
                return -ENOMEM;

        /* --no-checks: kexec-tools' purgatory hashes every segment before
         * it starts the helper, and a preserve-context load has backup
         * segments for all of the window's free RAM, zeros but for the
         * helper's few MiB: SHA-256 over 64 MiB at every jump (0.75 s of
         * the jump under TCG, about 0.2-0.3 s on real hardware). What the
         * check guarded that matters here, the parameters, carry their
         * own checksum, which the helper checks before it acts
         * (helper_params_seal()). A plain load (a restore's helper) has
         * no backup segments: its check costs little and stays. */
        char *preserve[] = {
                (char *) kexec, (char *) "--load", (char *) "--load-preserve-context", (char *) "--no-checks",
                (char *) "--pass-memmap-cmdline", memmin, memmax, initrd_arg, append,
                (char *) l->kernel, NULL,
        };
        char *parked[] = {
                (char *) kexec, (char *) "--load", (char *) "--load-preserve-context", (char *) "--no-checks",
                memmin, memmax, initrd_arg, append, (char *) l->kernel, NULL,
        };
        char *plain[] = {
                (char *) kexec, (char *) "--load", memmin, memmax, initrd_arg, append, (char *) l->kernel, NULL,
        };
        char **argv = l->restore_cmdline ? plain : l->params->mailbox_phys != 0 ? parked : preserve;

        log_debug("Running %s --load%s %s %s %s %s %s", kexec,
                  l->restore_cmdline               ? ""
                  : l->params->mailbox_phys != 0 ? " --load-preserve-context --no-checks"
                                                 : " --load-preserve-context --no-checks --pass-memmap-cmdline",
                  memmin, memmax, initrd_arg, append, l->kernel);
        r = run_kexec(argv);
        if (r < 0) {
                /* The kernel needs the window's worth of free pages outside
                 * the window, and gives up early under memory pressure
                 * ("Could not allocate control_code_buffer"). Once, and only
                 * then: free the clean page cache and try again. */
                log_debug("Loading the helper failed; dropping clean caches and trying once more.");
                sync();
                (void) write_string_file("/proc/sys/vm/drop_caches", "1");
                r = run_kexec(argv);
        }
        if (r < 0)
                return reason_set(ret_reason, r, "%s could not load the helper kernel %s (its error is in the journal)",
                                  kexec, l->kernel);
        return 0;
}

int kexec_slot_lock(void) {
        _cleanup_close_ int fd = -EBADF;

        (void) mkdir("/run/kjump", 0755);
        fd = open(KJUMP_KEXEC_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return negative_errno();
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : negative_errno();
        return TAKE_FD(fd);
}

int kexec_unload(void) {
        if (syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL) < 0)
                return negative_errno();
        return 0;
}

int kexec_is_loaded(void) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = read_one_line("/sys/kernel/kexec_loaded", &s);
        if (r < 0)
                return r;
        return streq_ptr(s, "1");
}

int kexec_jump(void) {
        sync();
        if (reboot(LINUX_REBOOT_CMD_KEXEC) < 0)
                return negative_errno();
        return 0;
}

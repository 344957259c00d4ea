/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <sys/sysmacros.h>
#include <inttypes.h>
#include <linux/kexec.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "cmdline.h"
#include "reason.h"
#include "fileio.h"
#include "image-format.h"
#include "kernel-facts.h"
#include "kexec-load.h"
#include "macro.h"
#include "target.h"

void strv_free(char **l) {
        strv_freep(&l);
}

typedef struct Reasons {
        char **v;
        size_t n;
} Reasons;

static size_t strv_length(char **l) {
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}

static void add(Reasons *r, const char *format, ...) _printf_(2, 3);
static void add(Reasons *r, const char *format, ...) {
        char **t, *s;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&s, format, ap) < 0)
                s = NULL;
        va_end(ap);
        if (!s)
                return;
        t = realloc(r->v, (r->n + 2) * sizeof(char *));
        if (!t) {
                free(s);
                return;
        }
        r->v = t;
        r->v[r->n++] = s;
        r->v[r->n] = NULL;
}

/* PATH below ROOT. */
static char *at(const char *root, const char *path) {
        char *s = NULL;

        if (asprintf(&s, "%s%s", streq_ptr(root, "/") ? "" : root, path) < 0)
                return NULL;
        return s;
}

/* What a kernel RELEASE (its config below ROOT) lacks for kjump. */
/* A CPU's "flags\t\t: fpu vme ..." line (not "vmx flags", not "bugs"). */
static bool is_flags_line(const char *line) {
        return strncmp(line, "flags", 5) == 0 && strchr(" \t:", line[5]) && line[5] != '\0';
}

static void kernel_reasons(const char *root, const char *release, Reasons *r) {
        _cleanup_free_ char *config = NULL, *backports = NULL, *p_backports = NULL;

        if (kernel_config_read(root, release, &config) < 0)
                add(r, "The configuration of kernel %s (/boot/config-%s) cannot be read: kjump cannot tell "
                    "whether it has CONFIG_KEXEC_JUMP.", release, release);
        else {
                static const struct {
                        const char *option, *why;
                } needed[] = {
                        { "CONFIG_KEXEC", "kexec_load(2)" },
                        { "CONFIG_KEXEC_JUMP", "the jump into the helper and back" },
                        { "CONFIG_HIBERNATION", "the device callbacks around the jump" },
                };
                for (size_t i = 0; i < ELEMENTSOF(needed); i++)
                        if (!streq_ptr(kernel_config_get(config, needed[i].option), "y"))
                                add(r, "The kernel %s was built without %s (%s): use a kernel that "
                                    "has it (Debian's do not; Ubuntu's and Fedora's do).", release,
                                    needed[i].option, needed[i].why);
        }
        p_backports = at(root, KJUMP_DATA_DIR "/kernel-backports");
        if (p_backports)
                (void) read_full_file(p_backports, 1 << 20, &backports, NULL);
        if (!kernel_has_gdt_fix(release, backports))
                add(r, "The kernel %s lacks \"x86/kexec: Restore GDT on return from ::preserve_context "
                    "kexec\" (Linux 6.13; 6.12.5 and 6.6.66 stable): the jump back would crash. Use a "
                    "newer kernel; a distribution kernel with the fix backported belongs in %s.",
                    release, KJUMP_DATA_DIR "/kernel-backports");
}

int kjump_check_kernel(const char *root, const char *release, char ***ret) {
        Reasons r = {};

        kernel_reasons(root, release, &r);
        if (!r.v) {
                r.v = calloc(1, sizeof(char *));
                if (!r.v)
                        return -ENOMEM;
        }
        *ret = r.v;
        return (int) r.n;
}

int kjump_check(const KjumpConfig *c, char ***ret) {
        return kjump_check_at("/", c, false, ret);
}

int kjump_check_with_initrds(const KjumpConfig *c, char ***ret) {
        return kjump_check_at("/", c, true, ret);
}

int kjump_check_at(const char *root, const KjumpConfig *c, bool initrds, char ***ret) {
        _cleanup_free_ char *lockdown = NULL, *disabled = NULL;
        _cleanup_free_ char *p_lockdown = at(root, "/sys/kernel/security/lockdown"),
                            *p_disabled = at(root, "/proc/sys/kernel/kexec_load_disabled"),
                            *p_loaded = at(root, "/sys/kernel/kexec_loaded");
        _cleanup_(target_done) Target t = TARGET_NULL;
        _cleanup_free_ char *why = NULL;
        bool live = streq_ptr(root, "/");
        Reasons r = {};

        if (!p_lockdown || !p_disabled || !p_loaded)
                return -ENOMEM;

        if (live && geteuid() != 0)
                add(&r, "kjump must run as root (it loads kernels and writes to block devices).");

        /* The kernel: its configuration and its version. */
        {
                _cleanup_free_ char *p_release = at(root, "/proc/sys/kernel/osrelease"), *release = NULL,
                                    *ima = NULL, *p_ima = at(root, "/sys/kernel/security/ima/policy");

                if (p_release && read_one_line(p_release, &release) >= 0)
                        kernel_reasons(root, release, &r);
                /* An IMA policy that appraises kexec images refuses
                 * kexec_load, which cannot carry a signature. */
                if (p_ima && read_full_file(p_ima, 1 << 20, &ima, NULL) >= 0)
                        for (const char *line = ima; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
                                if (strncmp(line, "appraise", 8) == 0 && strstr(line, "func=KEXEC_KERNEL_CHECK") &&
                                    strcspn(line, "\n") > (size_t) (strstr(line, "func=KEXEC_KERNEL_CHECK") - line)) {
                                        add(&r, "The IMA policy appraises kexec images (func=KEXEC_KERNEL_CHECK), which "
                                            "refuses kexec_load: remove that rule to hibernate with kjump.");
                                        break;
                                }
        }

        /* AMD SME: the kernel lists "sme" among the CPU's flags only
         * while it runs with it (early_detect_mem_encrypt() clears it when
         * sme_me_mask is 0). A's memory is then encrypted with a key the
         * CPU makes anew at every power-on, and the helper, which reads and
         * writes RAM without the encryption bit, would save ciphertext that
         * no later boot can decrypt: the checksums would pass and A would
         * resume on garbage. */
        {
                _cleanup_free_ char *p_cpuinfo = at(root, "/proc/cpuinfo"), *line = NULL;
                _cleanup_fclose_ FILE *f = p_cpuinfo ? fopen(p_cpuinfo, "re") : NULL;
                size_t size = 0;
                bool sme = false;

                /* Up to the first CPU's flags only: the whole file is long
                 * on large machines, and slow to produce. */
                while (f && getline(&line, &size, f) > 0)
                        if (is_flags_line(line)) {
                                sme = cpuinfo_has_flag(line, "sme");
                                break;
                        }
                if (sme)
                        add(&r, "AMD SME is active (mem_encrypt=on): the memory is encrypted with a key the CPU "
                            "makes anew at every power-on, and the helper kernel reads it without that key, so "
                            "an image could not be restored after the power-off. Boot with mem_encrypt=off to "
                            "hibernate with kjump.");
        }

        if (read_one_line(p_lockdown, &lockdown) >= 0 &&
            (strstr(lockdown, "[integrity]") || strstr(lockdown, "[confidentiality]")))
                add(&r, "The kernel is locked down (%s), which refuses kexec_load: kexec jump cannot work "
                    "under Secure Boot lockdown.", lockdown);
        if (read_one_line(p_disabled, &disabled) >= 0 && streq_ptr(disabled, "1"))
                add(&r, "kexec is disabled (kernel.kexec_load_disabled=1); it stays off until reboot.");
        if (access(p_loaded, F_OK) < 0)
                add(&r, "The kernel has no kexec support (CONFIG_KEXEC).");
        else if (live && geteuid() == 0) {
                /* With no segments this would unload the (empty) image slot;
                 * the preserve-context flag alone is refused without
                 * CONFIG_KEXEC_JUMP. Only while the slot is ours and
                 * empty: never under a helper another program loaded. */
                _cleanup_close_ int lock = kexec_slot_lock();

                if (lock >= 0 && kexec_is_loaded() == 0 &&
                    syscall(SYS_kexec_load, 0UL, 0UL, NULL, (unsigned long) KEXEC_PRESERVE_CONTEXT) < 0 &&
                    errno == EINVAL)
                        add(&r, "The kernel was built without CONFIG_KEXEC_JUMP (Debian's kernels are; Ubuntu's "
                            "and Fedora's are not).");
        }

        /* What the helper must hold in its window: its kernel and initrd
         * (about 40 MiB with the writer's buffers, measured in the test
         * guests), the whole index, and the memory map in the header. */
        {
                _cleanup_free_ char *p_memmap = at(root, "/sys/firmware/memmap");
                _cleanup_(memmap_done) MemMap m = {};

                if (p_memmap && memmap_read_sysfs(p_memmap, &m) >= 0) {
                        uint64_t chunks = memmap_ram_bytes(&m) / ((uint64_t) KJUMP_CHUNK_PAGES * KJUMP_PAGE_SIZE) + m.n,
                                 need = chunks * sizeof(struct kjump_chunk) + (UINT64_C(40) << 20);

                        if (m.n > KJUMP_MEMMAP_MAX)
                                add(&r, "The firmware memory map has %zu entries; an image records at most %d.", m.n,
                                    KJUMP_MEMMAP_MAX);
                        if (need > c->window_size)
                                add(&r, "The helper needs about %" PRIu64 " MiB for this machine's %" PRIu64 " GiB of "
                                    "RAM (its index alone is %" PRIu64 " MiB) but WindowSize= is %" PRIu64 " MiB: "
                                    "WindowSize=%" PRIu64 "M would do.", need >> 20, memmap_ram_bytes(&m) >> 30,
                                    (chunks * sizeof(struct kjump_chunk)) >> 20, c->window_size >> 20,
                                    ALIGN_TO(need, UINT64_C(16) << 20) >> 20);
                }
        }

        if (access(c->helper_kernel, R_OK) < 0)
                add(&r, "The helper kernel %s is missing: %s.", c->helper_kernel, strerror(errno));
        if (access(c->helper_initrd, R_OK) < 0)
                add(&r, "The helper initrd %s is missing: %s.", c->helper_initrd, strerror(errno));
        if (access("/usr/sbin/kexec", X_OK) < 0 && access("/sbin/kexec", X_OK) < 0)
                add(&r, "kexec-tools is not installed (/usr/sbin/kexec).");

        if (live && geteuid() == 0) {
                _cleanup_free_ char *location = NULL, *arg = NULL;

                if (target_open(c->target, &t, &why) < 0)
                        add(&r, "The image target %s cannot be used: %s%s", c->target, why ?: "unknown error",
                            streq_ptr(c->target, KJUMP_TARGET_DEFAULT) ? " (create it with 'kjumpctl setup-target')."
                                                                       : ".");
                else {
                        _cleanup_free_ char *no_protection = NULL;

                        /* How its images would be protected, or why not. */
                        if (target_choose_protection(&t, c->encryption, &no_protection) < 0)
                                add(&r, "%c%s.", toupper(no_protection[0]), no_protection + 1);

                        /* The helper must have a driver for every device
                         * between the target's disk and the root. */
                        _cleanup_free_ char *drivers = NULL, *missing = NULL, *devdir = NULL;

                        if (read_full_file(KJUMP_DATA_DIR "/helper-drivers", 1 << 20, &drivers, NULL) >= 0 &&
                            asprintf(&devdir, "/sys/dev/block/%u:%u", major(t.device_rdev), minor(t.device_rdev)) >= 0 &&
                            kernel_drivers_missing(devdir, drivers, &missing) >= 0 && missing)
                                add(&r, "The target's disk %s is driven by %s, which the helper kernel does not have: "
                                    "it could not reach the disk. Put the image on a disk it drives (see %s).",
                                    t.device, missing, KJUMP_DATA_DIR "/helper-drivers");

                        if (target_resume_location(&t, &location) >= 0 &&
                            asprintf(&arg, "kjump.resume=%s", location) >= 0) {
                                _cleanup_free_ char *stale = NULL;

                                /* A hibernation whose image the next boot
                                 * cannot find is a session lost. */
                                if (check_boot_finds(root, arg, &stale) < 0)
                                        add(&r, "%c%s.", toupper(stale[0]), stale + 1);
                                if (initrds) {
                                        (void) check_initrd_locations(root, arg, &r.v);
                                        r.n = strv_length(r.v);
                                }
                        }
                }
        }

        *ret = r.v;
        return (int) r.n;
}

/* Adds a sentence to R and the kernel version to V (either may be NULL)
 * for each initrd that records another location than LOCATION. */
static int scan_initrds(const char *root, const char *location, Reasons *r, Reasons *v) {
        _cleanup_free_ char *boot = at(root, "/boot"), *dir = at(root, "/var/lib/kjump/initrd");
        Reasons ignored = {};
        struct dirent **list = NULL;
        int n;

        if (!boot || !dir)
                return -ENOMEM;
        n = scandir(boot, &list, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                const char *name = list[i]->d_name;
                _cleanup_free_ char *version = NULL, *path = NULL, *recorded = NULL;
                size_t l = strlen(name);

                if (strncmp(name, "initrd.img-", 11) == 0)
                        version = strdup(name + 11);
                else if (strncmp(name, "initramfs-", 10) == 0 && l > 14 && strcmp(name + l - 4, ".img") == 0)
                        version = strndup(name + 10, l - 14);
                free(list[i]);
                if (!version || asprintf(&path, "%s/%s", dir, version) < 0)
                        continue;
                if (read_one_line(path, &recorded) >= 0 && streq_ptr(recorded, location))
                        continue;
                if (v)
                        add(v, "%s", version);
                if (!r)
                        r = &ignored;
                if (!recorded)
                        add(r, "The initrd of kernel %s was not made with kjump's hook, or before it recorded "
                            "anything: it cannot find a hibernated image (run 'update-initramfs -u -k %s' or "
                            "'dracut -f --kver %s').", version, version, version);
                else
                        add(r, "The initrd of kernel %s records %s, but the target is at %s now: it would not "
                            "find the image (run 'update-initramfs -u -k %s' or 'dracut -f --kver %s').", version,
                            streq_ptr(recorded, "none") ? "no image location" : recorded, location, version,
                            version);
        }
        free(list);
        strv_free(ignored.v);
        return 0;
}

int check_initrd_locations(const char *root, const char *location, char ***reasons) {
        Reasons r = { .v = *reasons, .n = strv_length(*reasons) };
        size_t before = r.n;
        int k;

        k = scan_initrds(root, location, &r, NULL);
        *reasons = r.v;
        return k < 0 ? k : (int) (r.n - before);
}

int check_stale_initrds(const char *root, const char *location, char ***ret_versions) {
        Reasons v = {};
        int k;

        k = scan_initrds(root, location, NULL, &v);
        if (k < 0) {
                strv_free(v.v);
                return k;
        }
        *ret_versions = v.v;
        return (int) v.n;
}

int check_boot_finds(const char *root, const char *location, char **ret_reason) {
        _cleanup_free_ char *p_cmdline = at(root, "/proc/cmdline"), *p_release = at(root, "/proc/sys/kernel/osrelease"),
                            *cmdline = NULL, *release = NULL, *value = NULL, *recorded = NULL, *p_recorded = NULL,
                            *arg = NULL;
        const char *where = NULL;

        if (!p_cmdline || !p_release)
                return -ENOMEM;
        if (read_one_line(p_cmdline, &cmdline) >= 0 && cmdline_get_value(cmdline, "kjump.resume", &value) > 0) {
                if (asprintf(&arg, "kjump.resume=%s", value) < 0)
                        return -ENOMEM;
                where = "the kernel command line";
        } else if (read_one_line(p_release, &release) >= 0) {
                p_recorded = NULL;
                if (asprintf(&p_recorded, "%s/var/lib/kjump/initrd/%s", streq_ptr(root, "/") ? "" : root, release) < 0)
                        return -ENOMEM;
                if (read_one_line(p_recorded, &recorded) >= 0 && !streq_ptr(recorded, "none")) {
                        arg = TAKE_PTR(recorded);
                        where = "this kernel's initrd";
                }
        }
        if (!arg || streq_ptr(arg, location))
                return 0;
        return reason_set(ret_reason, ESTALE, "the next boot would look for the image at %s (%s), but the target "
                          "is at %s now: run 'update-initramfs -u' (or 'dracut -f'), or boot with %s", arg + 13, where,
                          location + 13, location);
}

/* Is WORD one of the space-separated words of TEXT ("[deep]" counts as deep)? */
static bool has_word(const char *text, const char *word) {
        size_t l = strlen(word);

        for (const char *p = text; p && *p;) {
                size_t n;

                p += strspn(p, " \t\n[");
                n = strcspn(p, " \t\n]");
                if (n == l && strncmp(p, word, l) == 0)
                        return true;
                p += n;
                p += strspn(p, "]");
        }
        return false;
}

bool cpuinfo_has_flag(const char *cpuinfo, const char *flag) {
        /* The first CPU's flags line. */
        for (const char *line = cpuinfo; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
                size_t len = strcspn(line, "\n");
                const char *colon = memchr(line, ':', len);
                _cleanup_free_ char *words = NULL;

                if (!is_flags_line(line) || !colon)
                        continue;
                words = strndup(colon + 1, len - (size_t) (colon + 1 - line));
                return words && has_word(words, flag);
        }
        return false;
}

int check_suspend(const char *root, bool need_s3, char **ret_reason) {
        _cleanup_free_ char *state_path = at(root, "/sys/power/state"), *sleep_path = at(root, "/sys/power/mem_sleep");
        _cleanup_free_ char *state = NULL, *mem_sleep = NULL;

        if (!state_path || !sleep_path)
                return -ENOMEM;
        if (read_one_line(state_path, &state) < 0 || !has_word(state, "mem"))
                return reason_set(ret_reason, EOPNOTSUPP, "this kernel cannot suspend to RAM (/sys/power/state "
                                  "offers no 'mem')");
        if (!need_s3)
                return 0;
        if (read_one_line(sleep_path, &mem_sleep) < 0 || !has_word(mem_sleep, "deep"))
                return reason_set(ret_reason, EOPNOTSUPP, "the firmware offers no suspend to RAM in ACPI S3 "
                                  "(/sys/power/mem_sleep offers no 'deep'), which the helper kernel needs "
                                  "for hybrid sleep");
        return 0;
}

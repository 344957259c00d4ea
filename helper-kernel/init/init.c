/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper kernel's /init: PID 1 of a kernel that A loaded with kexec
 * preserve-context. It never returns from main: it either jumps back into
 * A or powers the machine off. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checksum.h"
#include "cmdline.h"
#include "cpu-util.h"
#include "fileio.h"
#include "helper-params.h"
#include "helper.h"
#include "image-state.h"
#include "log.h"
#include "park-mailbox.h"
#include "macro.h"
#include "platform.h"

static void mount_api_filesystems(void) {
        static const struct {
                const char *what, *where, *type;
        } mounts[] = {
                { "proc", "/proc", "proc" },
                { "sysfs", "/sys", "sysfs" },
                { "devtmpfs", "/dev", "devtmpfs" },
        };

        for (size_t i = 0; i < ELEMENTSOF(mounts); i++) {
                (void) mkdir(mounts[i].where, 0755);
                if (mount(mounts[i].what, mounts[i].where, mounts[i].type, MS_NOSUID | MS_NOEXEC, NULL) < 0 &&
                    errno != EBUSY)
                        log_warning_errno(errno, "Failed to mount %s: %m", mounts[i].where);
        }
}

static double uptime_sec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_BOOTTIME, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What the kernel gives us: proves the helper is confined to its window. */
/* A field of TEXT, the helper's own /proc/meminfo, in KiB (0: unknown). */
static uint64_t meminfo_field_kib(const char *text, const char *key) {
        uint64_t v = 0;
        const char *p = text ? strstr(text, key) : NULL;

        if (!p || sscanf(p + strlen(key), ": %" SCNu64, &v) != 1)
                v = 0;
        return v;
}

static uint64_t meminfo_kib(const char *key) {
        _cleanup_free_ char *s = NULL;

        if (read_full_file("/proc/meminfo", 1 << 16, &s, NULL) < 0)
                return 0;
        return meminfo_field_kib(s, key);
}

static uint64_t helper_ram_kib(void) {
        return meminfo_kib("MemTotal");
}

_noreturn_ static void power_off(void) {
        log_error("Powering off.");
        sync();
        for (;;) {
                reboot(RB_POWER_OFF);
                pause();
        }
}

/* The safe way out: back to A if we can, otherwise power off. */
_noreturn_ static void jump_back_or_power_off(uint64_t entry) {
        for (;;) {
                int r;

                if (entry == 0)
                        break;
                log_info("Jumping back to the original kernel at 0x%" PRIx64 ".", entry);
                log_mark("jump-back", NULL);
                r = kexec_jump_back(entry);
                if (r < 0) {
                        log_error_errno(r, "Failed to jump back to the original kernel: %m");
                        break;
                }
                /* A jumped into us again with the same image: go back. */
                log_info("Re-entered by the original kernel.");
        }
        power_off();
}

_noreturn_ static void reboot_now(void) {
        sync();
        for (;;) {
                reboot(RB_AUTOBOOT);
                pause();
        }
}

/* Hybrid sleep, after the commit: suspend to RAM with A and its disks
 * frozen as the image has them. A wake discards the image (A runs on,
 * its disks move away from it) and returns, to jump back; a power loss
 * leaves the image valid, and the next boot restores it. Whatever cannot
 * be done ends in a power-off, which is a hibernation: the image is
 * valid and matches the disks. */
static void hybrid_sleep(Helper *h) {
        int r;

        sync();
        log_mark("suspending", NULL);
        r = write_string_file("/sys/power/state", "mem");
        if (r < 0) {
                log_error_errno(r, "Cannot suspend to RAM (%m); hibernating instead: the next boot restores the image.");
                power_off();
        }
        log_info("Woken from suspend to RAM: discarding the image and going back to the original kernel.");
        log_mark("woken", NULL);
        r = image_state_commit(h->target_fd, &h->params.target, &h->header, IMAGE_EVENT_INVALIDATE,
                               KJUMP_REASON_WOKEN, "woken from hybrid sleep: the original kernel runs on");
        if (r < 0) {
                /* A must never run on beside a valid image of itself. */
                log_error_errno(r, "Cannot discard the image (%m); powering off instead: the next boot restores it.");
                power_off();
        }
}

/* Writes the image for a write mode; returns only when the helper is to
 * jump back to A (test modes, errors). */
static void run_write_mode(Helper *h) {
        HelperMode mode = h->params.mode;
        int r;

        if (physmem_open(h) < 0 || helper_open_target(h) < 0)
                return;
        if (h->header.state != KJUMP_STATE_WRITING) {
                helper_record_failure(h, KJUMP_REASON_ERROR, EBADMSG,
                                      "The target's header is in state %s, not writing: refusing to write.",
                                      image_state_to_string(h->header.state));
                return;
        }
        r = memmap_ram_outside(&h->params.firmware, &h->params.window, &h->ram, &h->n_ram);
        if (r < 0) {
                helper_record_failure(h, KJUMP_REASON_ERROR, r, "Cannot compute A's RAM: %s.", strerror(-r));
                return;
        }

        helper_find_free_pages(h);
        if (helper_write(h) < 0)
                return;

        if (mode == HELPER_MODE_HIBERNATE) {
                /* Fault injection for the rig (cut-commit): a power cut
                 * between the flushed index and the commit, exactly. */
                if (h->test_cut_commit) {
                        log_mark("power-cut", "at=commit");
                        for (;;) {
                                reboot(RB_POWER_OFF);
                                pause();
                        }
                }
                r = image_state_commit(h->target_fd, &h->params.target, &h->header, IMAGE_EVENT_COMMIT, 0, NULL);
                if (r < 0) {
                        /* The header may or may not have reached the disk:
                         * go back to A, which invalidates it. */
                        log_error_errno(r, "Failed to commit the image header: %m");
                        return;
                }
                switch (h->params.after) {
                case HELPER_AFTER_REBOOT:
                        /* HibernateMode=reboot: the next boot restores. */
                        log_info("Image committed; rebooting.");
                        log_mark("committed", "then=reboot");
                        reboot_now();
                case HELPER_AFTER_SUSPEND:
                        log_info("Image committed; suspending to RAM (hybrid sleep).");
                        log_mark("committed", "then=suspend");
                        hybrid_sleep(h);
                        return;
                default:
                        log_info("Image committed; powering off.");
                        log_mark("committed", "then=poweroff");
                        power_off();
                }
        }

        /* Test modes: A runs on after this, so the image must never be
         * restored: it is committed as invalid from the start. */
        {
                char message[KJUMP_MESSAGE_MAX];

                snprintf(message, sizeof(message), "test image (%s)", helper_mode_to_string(mode));
                r = image_state_commit(h->target_fd, &h->params.target, &h->header, IMAGE_EVENT_INVALIDATE,
                                       KJUMP_REASON_TEST, message);
        }
        if (r < 0) {
                log_error_errno(r, "Failed to commit the image header: %m");
                return;
        }
        r = helper_verify(h);
        if (r < 0) {
                helper_record_failure(h, KJUMP_REASON_CORRUPT, r, "The image read back does not verify.");
                return;
        }
        if (mode == HELPER_MODE_TEST) {
                log_info("Test passed: every checksum of the image verifies.");
                log_mark("test-passed", "mode=test");
                return;
        }

        log_info("Overwriting all of A's RAM outside the window before restoring it.");
        r = physmem_scribble(h, 0xcc);
        if (r >= 0)
                log_mark("scribbled", NULL);
        if (r >= 0)
                r = helper_restore(h);
        if (r < 0) {
                /* A's memory is gone: there is nothing to jump back to. */
                log_error_errno(r, "Restoring A's RAM failed after it was overwritten: %m");
                power_off();
        }
        log_info("Test passed: A's RAM was overwritten and restored from the image.");
        log_mark("test-passed", "mode=test-restore");
}

_noreturn_ static void reboot_fresh(void) {
        log_error("Rebooting: the next boot starts fresh.");
        sync();
        for (;;) {
                reboot(RB_AUTOBOOT);
                pause();
        }
}

/* Restore mode: the helper was booted with a plain kexec by a fresh kernel
 * (A'), which checked and verified the image and marked it restoring. We
 * write A's RAM back and jump into A. Never returns. */
_noreturn_ static void run_restore_mode(Helper *h) {
        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
        int r;

        if (physmem_open(h) < 0 || helper_open_target(h) < 0)
                reboot_fresh();
        /* The same checks as the boot-time restore made, now on what
         * this helper reads itself: the state, this machine, the entry. */
        {
                const char *why = NULL;
                uint32_t code = 0;

                r = image_check_restorable(&h->header, KJUMP_STATE_RESTORING, &h->params.firmware, &why, &code);
                if (r < 0) {
                        helper_record_failure(h, code, r, "Refusing to restore: %s (state %s).", why,
                                              image_state_to_string(h->header.state));
                        reboot_fresh();
                }
        }
        if (h->header.window_start != h->params.window.start || h->header.window_end != h->params.window.end) {
                helper_record_failure(h, KJUMP_REASON_MISMATCH, EINVAL,
                                      "The helper's window differs from the image's.");
                reboot_fresh();
        }
        r = memmap_ram_outside(&h->params.firmware, &h->params.window, &h->ram, &h->n_ram);
        if (r < 0) {
                helper_record_failure(h, KJUMP_REASON_ERROR, r, "Cannot compute A's RAM: %s.", strerror(-r));
                reboot_fresh();
        }
        log_info("Restoring %" PRIu64 " MiB of RAM from %s.", ranges_bytes(h->ram, h->n_ram) >> 20, h->target_device);
        r = helper_restore(h);
        if (r < 0) {
                helper_record_failure(h, KJUMP_REASON_CORRUPT, r, "The restore failed part way: %s.", strerror(-r));
                reboot_fresh();
        }
        log_info("Restored in %.2f s; entering the original kernel.", (now_usec(CLOCK_MONOTONIC) - t0) / 1e6);
        log_mark("restored", "seconds=%.2f", (now_usec(CLOCK_MONOTONIC) - t0) / 1e6);
        r = kexec_jump_back(h->header.jump_back_entry);
        helper_record_failure(h, KJUMP_REASON_ERROR, r, "Cannot enter the original kernel at 0x%" PRIx64 ": %s.",
                              h->header.jump_back_entry, strerror(-r));
        reboot_fresh();
}

/* Says what the helper runs on, for this jump: BOOT_S is how long its
 * kernel took to come up (0 for a parked helper, which was up already). */
static void mark_up(Helper *h, double boot_s, bool parked) {
        unsigned online = cpus_online();
        uint64_t avail_kib = meminfo_kib("MemAvailable");
        HelperParams *params = &h->params;

        /* One thread per CPU, as far as the window's free memory goes. */
        h->cpus = image_threads(online, avail_kib << 10, memmap_ram_bytes(&params->firmware), params->compression,
                                params->compression_level);
        log_info("mode %s, window [0x%" PRIx64 ", 0x%" PRIx64 "), A has %" PRIu64 " MiB of RAM; %" PRIu64
                 " KiB of RAM here, %" PRIu64 " KiB free, %u CPUs, %u threads.", helper_mode_to_string(params->mode),
                 params->window.start, params->window.end, memmap_ram_bytes(&params->firmware) >> 20,
                 helper_ram_kib(), avail_kib, online, h->cpus);
        log_mark("helper-up", "mode=%s boot_s=%.2f ram_kib=%" PRIu64 " avail_kib=%" PRIu64 " online=%u cpus=%u "
                 "apic=%s parked=%s", helper_mode_to_string(params->mode), boot_s, helper_ram_kib(), avail_kib,
                 online, h->cpus, platform_apic_mode(), yes_no(parked));
        /* Which build of XXH3 the checksums use, and how fast each ran here. */
        char speeds[128] = "";
        const ChecksumVariant *chosen = checksum_variant();
        for (size_t i = 0, at = 0; i < n_checksum_variants && at < sizeof(speeds); i++) {
                int k = snprintf(speeds + at, sizeof(speeds) - at, "%s%s %" PRIu64 " MB/s", i ? ", " : "",
                                 checksum_variants[i].name, checksum_variant_probe_mbps(i));
                at += k > 0 ? (size_t) k : 0;
        }
        log_info("Checksums with the %s build of XXH3 (timed on this CPU: %s).", chosen->name, speeds);
}

/* What one jump of a parked helper leaves behind: nothing for the next. */
static void helper_reset(Helper *h) {
        h->target_fd = safe_close(h->target_fd);
        h->target_device = mfree(h->target_device);
        h->mem_fd = safe_close(h->mem_fd);
        physmem_close_windows();
        h->ram = mfree(h->ram);
        h->n_ram = 0;
        if (h->have_free)
                free_pages_done(&h->free);
        h->have_free = false;
        image_key_done(&h->params.key);
        h->header = (struct kjump_image_header) {};
        /* What malloc still holds of the jump's smaller allocations goes
         * back to the kernel: the next jump's threads are sized from what
         * the window has free. */
        malloc_trim(0);
        {
                _cleanup_free_ char *st = NULL, *mi = NULL;
                uint64_t rss = 0;
                char *p;

                if (read_full_file("/proc/self/status", 1 << 16, &st, NULL) >= 0 && (p = strstr(st, "VmRSS:")))
                        (void) sscanf(p + 6, "%" SCNu64, &rss);
                (void) read_full_file("/proc/meminfo", 1 << 16, &mi, NULL);
                log_mark("helper-reset", "avail_kib=%" PRIu64 " rss_kib=%" PRIu64 " shmem_kib=%" PRIu64
                         " sunreclaim_kib=%" PRIu64 " pagetables_kib=%" PRIu64 " kernelstack_kib=%" PRIu64
                         " anonpages_kib=%" PRIu64, meminfo_field_kib(mi, "MemAvailable"), rss,
                         meminfo_field_kib(mi, "Shmem"), meminfo_field_kib(mi, "SUnreclaim"),
                         meminfo_field_kib(mi, "PageTables"), meminfo_field_kib(mi, "KernelStack"),
                         meminfo_field_kib(mi, "AnonPages"));
        }
}

static void park_report(struct kjump_park_mailbox *mb, uint32_t status, uint64_t seq, const char *message) {
        mb->status = status;
        mb->status_seq = seq;
        memset(mb->message, 0, sizeof(mb->message));
        strncpy(mb->message, message, sizeof(mb->message) - 1);
}

/* The parked helper (docs/design.md, "The parked helper"): booted once by
 * kjumpd's park jump, it jumps straight back and waits in A's loaded
 * image. Each later jump into it takes its mode, image id and key from the
 * mailbox A filled right before, writes, and jumps back to wait again (or
 * powers off). A request that is not this load's next one is refused:
 * the helper does nothing and says so, and A boots a new one. */
_noreturn_ static void run_parked(Helper *h) {
        uint32_t status = KJUMP_PARK_STATUS_PARKED;
        struct kjump_park_mailbox *mb;
        const char *why = NULL;
        uint64_t seq = 0;
        int fd, r;

        fd = open("/dev/mem", O_RDWR | O_CLOEXEC);
        mb = fd < 0 ? MAP_FAILED
                    : mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t) h->params.mailbox_phys);
        if (mb == MAP_FAILED) {
                log_error_errno(errno, "Cannot map the mailbox at 0x%" PRIx64 ": %m", h->params.mailbox_phys);
                jump_back_or_power_off(h->entry); /* A sees no status and boots a new helper */
        }
        if (park_mailbox_check(mb, h->params.park_nonce, 0, &why) < 0) {
                log_error("Refusing to park: %s.", why);
                status = KJUMP_PARK_STATUS_REFUSED;
        }

        for (;;) {
                park_report(mb, status, seq, status == KJUMP_PARK_STATUS_REFUSED ? why : "");
                if (status == KJUMP_PARK_STATUS_PARKED) {
                        log_info("Parked: jumping back to the original kernel, ready for jump %" PRIu64 ".", seq + 1);
                        log_mark("parked", "next=%" PRIu64, seq + 1);
                }
                log_mark("jump-back", "parked=%s", yes_no(status == KJUMP_PARK_STATUS_PARKED));
                r = kexec_jump_back_parked(h->entry);
                if (r < 0) {
                        log_error_errno(r, "Failed to jump back to the original kernel: %m");
                        power_off();
                }
                seq++;
                status = KJUMP_PARK_STATUS_REFUSED;
                if (park_mailbox_check(mb, h->params.park_nonce, seq, &why) < 0) {
                        log_error("Re-entered, refusing the jump: %s.", why);
                        continue;
                }
                if (mb->mode != HELPER_MODE_TEST && mb->mode != HELPER_MODE_TEST_RESTORE &&
                    mb->mode != HELPER_MODE_HIBERNATE) {
                        why = "the mailbox asks for a mode a parked helper does not do";
                        continue;
                }
                if (mb->after >= _HELPER_AFTER_MAX) {
                        why = "the mailbox asks for an unknown action after the commit";
                        continue;
                }
                h->params.mode = mb->mode;
                h->params.after = mb->after;
                memcpy(h->params.image_id, mb->image_id, sizeof(h->params.image_id));
                r = mb->key_set ? image_key_from_master(&h->params.key, mb->key) : 0;
                /* A's copy goes before its RAM is read into the image. */
                explicit_bzero(mb->key, sizeof(mb->key));
                if (r < 0) {
                        why = "the mailbox's key cannot be used";
                        continue;
                }
                park_report(mb, KJUMP_PARK_STATUS_WORKING, seq, "");
                log_info("Re-entered for jump %" PRIu64 " (mode %s).", seq, helper_mode_to_string(h->params.mode));
                mark_up(h, 0, true);
                run_write_mode(h);
                helper_reset(h);
                status = KJUMP_PARK_STATUS_PARKED;
        }
}

int main(int argc _unused_, char *argv[] _unused_) {
        _cleanup_free_ char *cmdline = NULL, *entry_s = NULL, *text = NULL, *error = NULL;
        Helper h = { .target_fd = -EBADF, .mem_fd = -EBADF };
        double boot_s;
        HelperParams *params = &h.params;
        uint64_t entry = 0;
        const char *why = NULL;
        int r;

        if (getpid() != 1) {
                fprintf(stderr, "kjump-helper-init: must run as PID 1 of the helper kernel.\n");
                return 1;
        }

        /* Every large buffer (chunks, slots, I/O) gets its own mapping,
         * unmapped when freed. Left to itself malloc raises its mmap
         * threshold after the first such free, and the buffers then stay
         * in its arenas, above what malloc_trim() gives back: a parked
         * helper lost 15 MiB of its window to them after a test-restore
         * (parked-helper). Setting the thresholds stops that. */
        (void) mallopt(M_MMAP_THRESHOLD, 128 * 1024);
        (void) mallopt(M_TRIM_THRESHOLD, 256 * 1024);
        mount_api_filesystems();
        log_set_prefix("kjump-helper");
        boot_s = uptime_sec();
        log_info("up, %.2f s after its kernel started.", boot_s);

        r = read_one_line("/proc/cmdline", &cmdline);
        if (r < 0) {
                log_error_errno(r, "Failed to read /proc/cmdline: %m");
                power_off();
        }

        h.test_cut_commit = cmdline_has_key(cmdline, "kjump.test-cut-commit");
        r = cmdline_get_value(cmdline, "kexec_jump_back_entry", &entry_s);
        if (r <= 0 || parse_u64(entry_s, &entry) < 0 || entry == 0) {
                log_info("No kexec_jump_back_entry= on the command line: started by a plain kexec.");
                entry = 0;
        }

        r = read_full_file(KJUMP_PARAMS_PATH, 16u << 20, &text, NULL);
        if (r < 0) {
                log_error_errno(r, "Failed to read %s: %m", KJUMP_PARAMS_PATH);
                jump_back_or_power_off(entry);
        }
        r = helper_params_unseal(text, &why);
        if (r < 0) {
                log_error("Refusing %s: %s.", KJUMP_PARAMS_PATH, why);
                jump_back_or_power_off(entry);
        }
        r = helper_params_parse(text, params, &error);
        if (r < 0) {
                log_error("Invalid %s: %s", KJUMP_PARAMS_PATH, error ?: "out of memory");
                jump_back_or_power_off(entry);
        }

        h.entry = entry;
        if (params->mailbox_phys != 0) {
                if (entry == 0) {
                        log_error("Asked to park, but started by a plain kexec: nothing to park in.");
                        power_off();
                }
                log_info("Booted to park, %.2f s after its kernel started.", boot_s);
                log_mark("helper-booted", "boot_s=%.2f park=yes", boot_s);
                run_parked(&h);
        }
        mark_up(&h, boot_s, false);
        switch (params->mode) {
        case HELPER_MODE_ROUNDTRIP:
                break;
        case HELPER_MODE_TEST:
        case HELPER_MODE_TEST_RESTORE:
        case HELPER_MODE_HIBERNATE:
                run_write_mode(&h);
                break;
        case HELPER_MODE_RESTORE:
                run_restore_mode(&h);
        default:
                log_error("Mode %s is not implemented by this helper.", helper_mode_to_string(params->mode));
                break;
        }
        jump_back_or_power_off(entry);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kjump-resume: the boot-time half of kjump. Runs in the initrd before any
 * file system is mounted read-write. Finds the image the kernel command
 * line (kjump.resume=DEVICE:OFFSET) or /etc/kjump/resume.conf points at,
 * and either hands over to the helper in restore mode, or invalidates the
 * image and lets the boot go on. It exits 0 whenever the boot should go on,
 * including when there is nothing to do; it does not return when it hands
 * over. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "fileio.h"
#include "cpu-util.h"
#include "image-reader.h"
#include "image-state.h"
#include "jump.h"
#include "kexec-load.h"
#include "log.h"
#include "macro.h"
#include "target.h"
#include "tpm2-key.h"
#include "time-util.h"

#define RESUME_CONF "/etc/kjump/resume.conf"
#define DEVICE_WAIT_USEC (30ULL * 1000000)

static const char *arg_helper_kernel = KJUMP_HELPER_DIR "/helper.bzImage";
static const char *arg_helper_initrd = KJUMP_HELPER_DIR "/helper.cpio";
static bool arg_dry_run;
static bool arg_verify;

/* "SPEC:OFFSET" from the command line or the configuration. */
static int resume_location(const char *cmdline, char **ret_spec, uint64_t *ret_offset) {
        _cleanup_free_ char *value = NULL, *conf = NULL;
        char *colon;
        int r;

        r = cmdline_get_value(cmdline, "kjump.resume", &value);
        if (r < 0)
                return r;
        if (r == 0) {
                r = read_full_file(RESUME_CONF, 1 << 16, &conf, NULL);
                if (r == -ENOENT) {
                        log_warning("No resume location: neither kjump.resume= nor %s. A hibernated image "
                                    "cannot be found; after 'kjumpctl setup-target', run 'update-initramfs -u'.",
                                    RESUME_CONF);
                        log_mark("resume-none", "why=no-location");
                        return 0;
                }
                if (r < 0)
                        return log_error_errno(r, "Cannot read %s: %m", RESUME_CONF);
                r = cmdline_get_value(conf, "resume", &value);
                if (r <= 0)
                        return log_error_errno(EINVAL, "%s has no resume=DEVICE:OFFSET.", RESUME_CONF);
        }
        colon = strrchr(value, ':');
        if (!colon || colon == value || parse_u64(colon + 1, ret_offset) < 0 || *ret_offset % 4096)
                return log_error_errno(EINVAL, "Invalid resume location '%s': expected DEVICE:OFFSET with a "
                                       "4096-aligned byte offset.", value);
        *colon = 0;
        *ret_spec = TAKE_PTR(value);
        return 1;
}

/* Waits for SPEC to resolve: the initrd's device manager may still be
 * probing. */
static int open_device(const char *spec, char **ret_path) {
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + DEVICE_WAIT_USEC;

        for (;;) {
                _cleanup_free_ char *path = NULL;

                if (target_resolve(spec, &path) >= 0 && access(path, F_OK) == 0) {
                        int fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
                        if (fd < 0)
                                return log_error_errno(errno, "Cannot open %s: %m", path);
                        *ret_path = TAKE_PTR(path);
                        return fd;
                }
                if (now_usec(CLOCK_MONOTONIC) > deadline)
                        return log_error_errno(ENODEV, "The resume device %s did not appear.", spec);
                (void) nanosleep(&(struct timespec) { 0, 100 * 1000 * 1000 }, NULL);
        }
}

/* A LUKS-protected image's key block: the unlocked dm-crypt volume on the
 * resume device (0: none found) and the key block's offset on it. */
static dev_t arg_key_volume;
static uint64_t arg_key_offset;

static bool arg_key_tpm2; /* the key is in the TPM */

static void locate_key_volume(int fd, const struct kjump_image_header *h) {
        struct stat st;

        arg_key_tpm2 = h->protection == KJUMP_PROTECT_TPM2;
        if (h->protection != KJUMP_PROTECT_LUKS || fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode))
                return;
        if (crypt_volume_over(st.st_rdev, &arg_key_volume) < 0) {
                arg_key_volume = 0;
                return;
        }
        arg_key_offset = h->key_device_offset;
}

/* An image that will never be restored: its key goes, so that nothing
 * can ever read it again. */
static void destroy_key(void) {
        int r;

        if (arg_key_tpm2) {
                r = tpm2_device_key_destroy();
                if (r < 0)
                        log_warning_errno(r, "Cannot destroy the image's key in the TPM: %m");
                else
                        log_mark("key-destroyed", NULL);
                return;
        }
        if (arg_key_volume == 0)
                return;
        r = key_block_destroy(arg_key_volume, arg_key_offset);
        if (r < 0)
                log_warning_errno(r, "Cannot destroy the image's key: %m");
        else
                log_mark("key-destroyed", NULL);
}

/* Never lets the boot go on with a restorable image on disk: when the
 * image cannot be invalidated, the boot stops (-EIO is kjump-resume's exit
 * status 1, on which the initrd scripts halt with this message). */
static int invalidate(int fd, const TargetMap *map, struct kjump_image_header *h, uint32_t reason,
                      const char *message) {
        int r;

        destroy_key();

        r = h ? image_state_commit(fd, map, h, IMAGE_EVENT_INVALIDATE, reason, message)
              : image_invalidate(fd, map, reason, message);
        if (r < 0) {
                log_error_errno(r, "FATAL: cannot invalidate the hibernation image (%m). Booting on would leave "
                                "it restorable over a system that moved on: stopping the boot. Boot with "
                                "kjump.noresume after fixing the disk, or remove the image.");
                return -EIO;
        }
        log_notice("Image invalidated: %s.", message);
        log_mark("resume-invalidated", "reason=%s", image_reason_to_id(reason));
        return 0;
}

static int run(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "helper-kernel", required_argument, NULL, 'k' },
                { "helper-initrd", required_argument, NULL, 'i' },
                { "dry-run", no_argument, NULL, 'n' },
                { "verify", no_argument, NULL, 'v' },
                {}
        };
        _cleanup_(helper_params_done) HelperParams params = { .mode = HELPER_MODE_RESTORE };
        _cleanup_(target_map_done) TargetMap map = {};
        _cleanup_free_ char *cmdline = NULL, *spec = NULL, *device = NULL, *reason = NULL;
        _cleanup_free_ struct kjump_chunk *chunks = NULL;
        _cleanup_close_ int fd = -EBADF, lock = -EBADF;
        _cleanup_(image_key_done) ImageKey key = {};
        struct kjump_image_header h;
        const char *why = NULL;
        uint64_t offset, t0;
        int c, r;

        log_set_prefix("kjump-resume");
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf("kjump-resume [--helper-kernel=PATH] [--helper-initrd=PATH] [--dry-run] [--verify]\n\n"
                               "Restores a kjump image at boot, from the initrd. Reads kjump.resume=DEVICE:OFFSET\n"
                               "and kjump.noresume from the kernel command line, or %s.\n", RESUME_CONF);
                        return 0;
                case 'k':
                        arg_helper_kernel = optarg;
                        break;
                case 'i':
                        arg_helper_initrd = optarg;
                        break;
                case 'n':
                        arg_dry_run = true;
                        break;
                case 'v':
                        arg_verify = true;
                        break;
                default:
                        return -EINVAL;
                }

        r = read_one_line("/proc/cmdline", &cmdline);
        if (r < 0)
                return log_error_errno(r, "Cannot read /proc/cmdline: %m");
        r = resume_location(cmdline, &spec, &offset);
        if (r <= 0)
                return r; /* nothing configured, or said why */

        fd = open_device(spec, &device);
        if (fd < 0)
                return fd;
        r = image_read_located(fd, offset, &h, &map, &why);
        if (r == -ENOMSG) {
                log_warning("No kjump image at %s:%" PRIu64 ": a stale resume location? Booting normally.", device,
                            offset);
                log_mark("resume-none", "why=no-image");
                return 0;
        }
        if (r < 0) {
                /* Our magic is there but nothing else holds: never restore it. */
                _cleanup_(target_map_done) TargetMap head = { .size = KJUMP_IMAGE_HEADER_SIZE };

                log_error("The image at %s:%" PRIu64 " is damaged: %s.", device, offset, why ?: strerror(-r));
                r = target_map_add(&head, 0, offset, KJUMP_IMAGE_HEADER_SIZE);
                if (r < 0)
                        return r;
                return invalidate(fd, &head, NULL, KJUMP_REASON_CORRUPT, "damaged header or extent map");
        }

        locate_key_volume(fd, &h);
        switch (h.state) {
        case KJUMP_STATE_VALID:
                break;
        case KJUMP_STATE_WRITING:
                return invalidate(fd, &map, &h, KJUMP_REASON_ERROR, "the write was cut before it completed");
        case KJUMP_STATE_RESTORING:
                return invalidate(fd, &map, &h, KJUMP_REASON_ERROR, "a restore started and did not complete");
        default:
                log_info("The image at %s is %s: booting normally.", device, image_state_to_string(h.state));
                log_mark("resume-none", "why=%s", image_state_to_string(h.state));
                /* A restore that failed in the helper leaves its key. */
                if ((arg_key_volume != 0 && key_block_read(arg_key_volume, arg_key_offset, h.image_id, &key) >= 0) ||
                    arg_key_tpm2)
                        destroy_key();
                return 0;
        }

        if (cmdline_has_key(cmdline, "kjump.noresume"))
                return invalidate(fd, &map, &h, KJUMP_REASON_NORESUME, "kjump.noresume on the command line");

        r = memmap_read_sysfs("/sys/firmware/memmap", &params.firmware);
        if (r < 0) {
                log_error_errno(r, "Cannot read /sys/firmware/memmap: %m");
                return invalidate(fd, &map, &h, KJUMP_REASON_ERROR, "no firmware memory map at boot");
        }
        {
                uint32_t code = 0;

                r = image_check_restorable(&h, KJUMP_STATE_VALID, &params.firmware, &why, &code);
                if (r < 0)
                        return invalidate(fd, &map, &h, code, why);
        }
        if (!h.helper_cmdline[0])
                return invalidate(fd, &map, &h, KJUMP_REASON_ERROR, "the image records no helper command line");
        /* The restore helper boots with the recorded command line only if
         * it is one kjump made for this very window. */
        r = helper_cmdline_check(h.helper_cmdline, h.window_start, h.window_end, &why);
        if (r < 0)
                return invalidate(fd, &map, &h, KJUMP_REASON_CORRUPT, why);

        /* The header, the extent map and the index, checked and bound to
         * this machine's RAM: what can be refused while this boot can go on
         * without reading the image twice. The chunks are read once, by
         * the helper, which checks each before it writes it into RAM and
         * never enters A unless every one checked out (on a bad chunk it
         * invalidates the image and reboots: this boot starts fresh). With
         * --verify everything is read here too. */
        if (h.protection == KJUMP_PROTECT_LUKS) {
                /* The key, through the volume the initrd unlocked the way it
                 * always does (passphrase, keyfile, TPM). */
                if (arg_key_volume == 0) {
                        log_error("The image is encrypted and its key lies in a dm-crypt volume on %s that is not "
                                  "unlocked (a wrong passphrase, or the initrd does not unlock it).", device);
                        return invalidate(fd, &map, &h, KJUMP_REASON_ERROR,
                                          "the dm-crypt volume holding its key was not unlocked at boot");
                }
                r = key_block_read(arg_key_volume, arg_key_offset, h.image_id, &key);
                if (r < 0) {
                        log_error_errno(r, "Cannot read the image's key from its dm-crypt volume: %m");
                        return invalidate(fd, &map, &h, KJUMP_REASON_CORRUPT, "its key is missing");
                }
                log_info("Key read from the dm-crypt volume %u:%u.", major(arg_key_volume), minor(arg_key_volume));
        }
        if (h.protection == KJUMP_PROTECT_TPM2) {
                r = tpm2_device_key_load(h.image_id, &key);
                if (r < 0) {
                        log_error_errno(r, "The TPM does not release the image's key: %s.",
                                        r == -EPERM   ? "PCR 7 differs from the hibernation's (another boot chain)"
                                        : r == -ENOKEY ? "it holds no key for this image"
                                        : r == -ENODEV ? "there is no TPM (/dev/tpmrm0)"
                                                      : strerror(-r));
                        return invalidate(fd, &map, &h, r == -EPERM ? KJUMP_REASON_MISMATCH : KJUMP_REASON_ERROR,
                                          "the TPM did not release its key");
                }
                log_info("Key read from the TPM.");
        }
        t0 = now_usec(CLOCK_MONOTONIC);
        r = image_read_index(fd, &map, &h, &key, &chunks, &why);
        if (r >= 0)
                r = image_check_index_covers_ram(&h, chunks, &why);
        if (r >= 0 && arg_verify)
                r = image_verify(fd, &map, &h, chunks, &key, cpus_online(), &why);
        if (r < 0) {
                log_error("The image does not verify: %s.", why ?: strerror(-r));
                return invalidate(fd, &map, &h, KJUMP_REASON_CORRUPT, why ?: "the image does not verify");
        }
        log_info("Image checked (%s): %" PRIu64 " MiB of RAM in %.2f s.", arg_verify ? "every chunk" : "header, map, index",
                 h.ram_bytes >> 20, (now_usec(CLOCK_MONOTONIC) - t0) / 1e6);
        log_mark("resume-verified", "ram_mib=%" PRIu64 " seconds=%.2f", h.ram_bytes >> 20,
                 (now_usec(CLOCK_MONOTONIC) - t0) / 1e6);
        if (arg_dry_run)
                return 0;

        /* From here a failure must never lead to a second attempt. */
        r = image_state_commit(fd, &map, &h, IMAGE_EVENT_RESTORE, 0, NULL);
        if (r < 0) {
                log_error_errno(r, "Cannot mark the image restoring: %m");
                return invalidate(fd, &map, &h, KJUMP_REASON_ERROR, "the image could not be marked restoring");
        }

        params.window = (MemRange) { h.window_start, h.window_end };
        memcpy(params.image_id, h.image_id, sizeof(params.image_id));
        r = fd_size(fd, &params.target_device_size);
        if (r < 0)
                return invalidate(fd, &map, &h, KJUMP_REASON_ERROR, "cannot size the resume device");
        params.target = map;
        map = (TargetMap) {};
        params.key = key;

        lock = kexec_slot_lock();
        if (lock < 0) {
                log_error_errno(lock, "Cannot take the kexec slot: %m");
                return invalidate(fd, &params.target, &h, KJUMP_REASON_ERROR, "the kexec slot is busy");
        }
        r = kexec_load_helper(&(HelperLoad) {
                .kernel = arg_helper_kernel,
                .initrd = arg_helper_initrd,
                .params = &params,
                .restore_cmdline = h.helper_cmdline,
        }, &reason);
        if (r < 0) {
                log_error_errno(r, "Cannot load the helper kernel: %s", reason ?: strerror(-r));
                return invalidate(fd, &params.target, &h, KJUMP_REASON_ERROR, "the helper could not be loaded");
        }

        log_notice("Handing over to the helper kernel to restore %" PRIu64 " MiB.", h.ram_bytes >> 20);
        log_mark("resume-handover", NULL);
        /* The device stays open across the jump. Closing a descriptor
         * opened for writing fires udev's inotify watch on the disk, and
         * the blkid probe it starts races the kernel's shutdown of that
         * very disk ("I/O error, dev vda, sector 0" on the console). The
         * state "restoring" is on the disk already: image_state_commit()
         * synced it. */
        sync();
        r = kexec_jump();
        /* Only a refused jump gets here. */
        log_error_errno(r, "The kernel refused to start the helper: %m");
        return invalidate(fd, &params.target, &h, KJUMP_REASON_ERROR, "the kernel refused the handover");
}

int main(int argc, char *argv[]) {
        /* The boot goes on unless a restorable image could not be made
         * unrestorable (1) or kjump-resume was called wrongly (2). */
        int r = run(argc, argv);
        return r == -EIO ? 1 : r == -EINVAL ? 2 : 0;
}

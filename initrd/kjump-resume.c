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
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "fileio.h"
#include "image-io.h"
#include "jump.h"
#include "kexec.h"
#include "log.h"
#include "macro.h"
#include "target-setup.h"
#include "time-util.h"

#define RESUME_CONF "/etc/kjump/resume.conf"
#define DEVICE_WAIT_USEC (30ULL * 1000000)

static const char *arg_helper_kernel = KJUMP_HELPER_DIR "/helper.bzImage";
static const char *arg_helper_initrd = KJUMP_HELPER_DIR "/helper.cpio";
static bool arg_dry_run;

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
                if (r == -ENOENT)
                        return 0;
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

static int invalidate(int fd, const TargetMap *map, struct kjump_image_header *h, uint32_t reason,
                      const char *message) {
        int r;

        h->state = KJUMP_STATE_INVALID;
        h->reason = reason;
        snprintf(h->message, sizeof(h->message), "%s", message);
        r = image_commit_header(fd, map, h);
        if (r < 0)
                return log_error_errno(r, "Failed to invalidate the image: %m");
        log_notice("Image invalidated: %s.", message);
        return 0;
}

static unsigned cpus(void) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        return n > 0 ? (unsigned) n : 1;
}

static int no_op(void *userdata, const struct kjump_chunk *c, const uint8_t *raw) {
        return 0;
}

static int run(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "helper-kernel", required_argument, NULL, 'k' },
                { "helper-initrd", required_argument, NULL, 'i' },
                { "dry-run", no_argument, NULL, 'n' },
                {}
        };
        _cleanup_(helper_params_done) HelperParams params = { .mode = HELPER_MODE_RESTORE };
        _cleanup_(target_map_done) TargetMap map = {};
        _cleanup_free_ char *cmdline = NULL, *spec = NULL, *device = NULL;
        _cleanup_free_ struct kjump_chunk *chunks = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct kjump_image_header h;
        const char *why = NULL;
        uint64_t offset, t0;
        int c, r;

        log_set_prefix("kjump-resume");
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf("kjump-resume [--helper-kernel=PATH] [--helper-initrd=PATH] [--dry-run]\n\n"
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
                log_info("No image at %s:%" PRIu64 ".", device, offset);
                return 0;
        }
        if (r < 0) {
                /* Our magic is there but nothing else holds: never restore it. */
                struct kjump_image_header blank = {
                        .version = KJUMP_IMAGE_VERSION, .header_size = KJUMP_IMAGE_HEADER_SIZE,
                        .window_end = KJUMP_PAGE_SIZE, .target_size = KJUMP_IMAGE_HEADER_SIZE,
                };
                TargetMap head = { .size = KJUMP_IMAGE_HEADER_SIZE };

                log_error("The image at %s:%" PRIu64 " is damaged: %s.", device, offset, why ?: strerror(-r));
                memcpy(blank.magic, KJUMP_IMAGE_MAGIC, sizeof(blank.magic));
                if (target_map_add(&head, 0, offset, KJUMP_IMAGE_HEADER_SIZE) >= 0)
                        (void) invalidate(fd, &head, &blank, KJUMP_REASON_CORRUPT, "damaged header or extent map");
                target_map_done(&head);
                return 0;
        }

        switch (h.state) {
        case KJUMP_STATE_VALID:
                break;
        case KJUMP_STATE_WRITING:
                return invalidate(fd, &map, &h, KJUMP_REASON_ERROR, "the write was cut before it completed");
        case KJUMP_STATE_RESTORING:
                return invalidate(fd, &map, &h, KJUMP_REASON_ERROR, "a restore started and did not complete");
        default:
                log_info("The image at %s is %s: booting normally.", device, image_state_to_string(h.state));
                return 0;
        }

        if (cmdline_has_key(cmdline, "kjump.noresume"))
                return invalidate(fd, &map, &h, KJUMP_REASON_NORESUME, "kjump.noresume on the command line");

        r = memmap_read_sysfs("/sys/firmware/memmap", &params.firmware);
        if (r < 0) {
                log_error_errno(r, "Cannot read /sys/firmware/memmap: %m");
                return invalidate(fd, &map, &h, KJUMP_REASON_ERROR, "no firmware memory map at boot");
        }
        if (!image_header_memmap_equal(&h, &params.firmware))
                return invalidate(fd, &map, &h, KJUMP_REASON_MISMATCH,
                                  "the firmware memory map differs from the one at hibernation");
        if (!h.helper_cmdline[0])
                return invalidate(fd, &map, &h, KJUMP_REASON_ERROR, "the image records no helper command line");

        /* Read everything once before anything of A is written to RAM: a
         * damaged image is refused here, while this boot can go on. */
        t0 = now_usec(CLOCK_MONOTONIC);
        r = image_read_index(fd, &map, &h, &chunks, &why);
        if (r >= 0)
                r = image_for_each_chunk(fd, &map, &h, chunks, cpus(), no_op, NULL, &why);
        if (r < 0) {
                log_error("The image does not verify: %s.", why ?: strerror(-r));
                return invalidate(fd, &map, &h, KJUMP_REASON_CORRUPT, why ?: "the image does not verify");
        }
        log_info("Image verified: %" PRIu64 " MiB of RAM in %.2f s.", h.ram_bytes >> 20, (now_usec(CLOCK_MONOTONIC) - t0) / 1e6);
        if (arg_dry_run)
                return 0;

        /* From here a failure must never lead to a second attempt. */
        h.state = KJUMP_STATE_RESTORING;
        r = image_commit_header(fd, &map, &h);
        if (r < 0)
                return log_error_errno(r, "Cannot mark the image restoring: %m");

        params.window = (MemRange) { h.window_start, h.window_end };
        memcpy(params.image_id, h.image_id, sizeof(params.image_id));
        r = fd_size(fd, &params.target_device_size);
        if (r < 0)
                return invalidate(fd, &map, &h, KJUMP_REASON_ERROR, "cannot size the resume device");
        params.target = map;
        map = (TargetMap) {};

        r = kexec_load_helper(&(HelperLoad) {
                .kernel = arg_helper_kernel,
                .initrd = arg_helper_initrd,
                .params = &params,
                .restore_cmdline = h.helper_cmdline,
        });
        if (r < 0)
                return invalidate(fd, &params.target, &h, KJUMP_REASON_ERROR, "the helper could not be loaded");

        log_notice("Handing over to the helper kernel to restore %" PRIu64 " MiB.", h.ram_bytes >> 20);
        fd = safe_close(fd);
        sync();
        r = kexec_jump();
        /* Only a refused jump gets here. */
        log_error_errno(r, "The kernel refused to start the helper: %m");
        fd = open(device, O_RDWR | O_DIRECT | O_CLOEXEC);
        if (fd >= 0)
                (void) invalidate(fd, &params.target, &h, KJUMP_REASON_ERROR, "the kernel refused the handover");
        return 0;
}

int main(int argc, char *argv[]) {
        /* Whatever happened, the boot goes on: only a failure to run at all
         * is an error. */
        int r = run(argc, argv);
        return r == -EINVAL ? 2 : 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sys/inotify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "helper.h"
#include "log.h"
#include "macro.h"

#define TARGET_WAIT_USEC (60ULL * 1000000) /* NVMe and SATA probe asynchronously */

/* Opens /dev/NAME and returns its fd when it holds our header. */
static int try_device(Helper *h, const char *name) {
        _cleanup_free_ char *size_s = NULL, *size_path = NULL, *dev = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct kjump_image_header hdr;
        uint64_t sectors;
        const char *why = NULL;
        int r;

        if (asprintf(&size_path, "/sys/class/block/%s/size", name) < 0 || asprintf(&dev, "/dev/%s", name) < 0)
                return -ENOMEM;
        if (read_one_line(size_path, &size_s) < 0 || parse_u64(size_s, &sectors) < 0)
                return -ENODEV;
        if (sectors * 512 != h->params.target_device_size)
                return -ENODEV;

        fd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_debug_errno(errno, "Cannot open %s: %m", dev);
        r = image_read_header(fd, &h->params.target, &hdr, &why);
        if (r < 0)
                return log_debug_errno(r, "%s: %s", dev, why ?: "unreadable");
        if (memcmp(hdr.image_id, h->params.image_id, sizeof(hdr.image_id)) != 0)
                return -ENODEV;

        h->header = hdr;
        h->target_device = TAKE_PTR(dev);
        return TAKE_FD(fd);
}

/* Looks at every block device once; returns the target's fd, or -ENODEV. */
static int scan(Helper *h) {
        DIR *d = opendir("/sys/class/block");
        struct dirent *de;
        int fd = -ENODEV;

        if (!d)
                return log_error_errno(errno, "Cannot list /sys/class/block: %m");
        while (fd < 0 && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        fd = try_device(h, de->d_name);
        closedir(d);
        return fd < 0 ? -ENODEV : fd;
}

int helper_open_target(Helper *h) {
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + TARGET_WAIT_USEC;
        _cleanup_close_ int ino = -EBADF;
        bool waited = false;

        /* Watch before looking, so a device that appears in between is
         * not missed: devtmpfs creates its node when the driver adds it. */
        ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (ino < 0 || inotify_add_watch(ino, "/dev", IN_CREATE | IN_ATTRIB) < 0)
                log_warning_errno(errno, "Cannot watch /dev (%m): looking again every second.");

        for (;;) {
                uint64_t now;
                int fd;

                fd = scan(h);
                if (fd >= 0) {
                        h->target_fd = fd;
                        log_info("Image target found on %s.", h->target_device);
                        return 0;
                }
                now = now_usec(CLOCK_MONOTONIC);
                if (now > deadline)
                        return log_error_errno(ENODEV, "No block device of %" PRIu64 " bytes holds this image's "
                                               "header: the target is missing, or its controller has no driver "
                                               "in the helper kernel.", h->params.target_device_size);
                if (!waited)
                        log_info("Waiting for the target's block device to appear...");
                waited = true;

                /* Until a node appears in /dev (or a second passes: a
                 * partition's size can change without a new node). */
                {
                        struct pollfd p = { .fd = ino, .events = POLLIN };
                        uint8_t buf[4096];

                        if (ino >= 0) {
                                (void) poll(&p, 1, (int) MIN((deadline - now) / 1000 + 1, (uint64_t) 1000));
                                while (read(ino, buf, sizeof(buf)) > 0)
                                        ;
                        } else
                                (void) nanosleep(&(struct timespec) { 1, 0 }, NULL);
                }
        }
}

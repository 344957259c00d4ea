/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The keyboards the helper kernel drives, read through evdev, for one key:
 * Esc cancels a hibernation while the image is written. The helper kernel
 * has the built-in PS/2 keyboard of laptops (i8042, atkbd); USB keyboards
 * would need its USB host and HID drivers, which it does not carry. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "helper.h"
#include "macro.h"

#define BITS_PER_LONG_ (8 * sizeof(unsigned long))

static bool has_esc(int fd) {
        unsigned long keys[KEY_MAX / BITS_PER_LONG_ + 1] = {};

        if (ioctl(fd, EVIOCGBIT(EV_KEY, sizeof(keys)), keys) < 0)
                return false;
        return keys[KEY_ESC / BITS_PER_LONG_] & (1UL << (KEY_ESC % BITS_PER_LONG_));
}

void keyboards_scan(Keyboards *k) {
        DIR *d = opendir("/dev/input");
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d)) && k->n < ELEMENTSOF(k->fds)) {
                unsigned num;
                bool known = false;
                char path[64];
                int fd;

                if (sscanf(de->d_name, "event%u", &num) != 1)
                        continue;
                for (size_t i = 0; i < k->n; i++)
                        known = known || k->nums[i] == num;
                if (known)
                        continue;
                snprintf(path, sizeof(path), "/dev/input/event%u", num);
                fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                if (fd < 0)
                        continue;
                if (!has_esc(fd)) {
                        close(fd);
                        continue;
                }
                k->fds[k->n] = fd;
                k->nums[k->n++] = num;
        }
        closedir(d);
}

bool keyboards_esc_pressed(Keyboards *k) {
        bool esc = false;

        /* A keyboard may show up late (serio probes asynchronously). */
        if (k->n == 0 && k->scans++ % 16 == 0)
                keyboards_scan(k);
        for (size_t i = 0; i < k->n; i++) {
                struct input_event ev[16];
                ssize_t got;

                while ((got = read(k->fds[i], ev, sizeof(ev))) > 0)
                        for (size_t j = 0; j < (size_t) got / sizeof(ev[0]); j++)
                                if (ev[j].type == EV_KEY && ev[j].code == KEY_ESC && ev[j].value == 1)
                                        esc = true;
        }
        return esc;
}

void keyboards_close(Keyboards *k) {
        for (size_t i = 0; i < k->n; i++)
                safe_close(k->fds[i]);
        k->n = 0;
}

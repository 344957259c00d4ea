/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Progress on the machine's display: the helper's first virtual terminal,
 * which its kernel shows on the VGA text console (BIOS machines) or on the
 * firmware framebuffer A handed over (VESA, EFI GOP) with the framebuffer
 * console. The serial console keeps its own log lines. Without a VT (no
 * display) every call does nothing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"
#include "log.h"
#include "macro.h"

#define BAR 50

void screen_open(Screen *s, const char *title) {
        char buf[256];
        int n;

        *s = (Screen) { .fd = open("/dev/tty1", O_WRONLY | O_NOCTTY | O_CLOEXEC), .last = -1 };
        if (s->fd < 0) {
                log_debug("No screen (/dev/tty1: %m): progress on the serial console only.");
                return;
        }
        /* Clear, hide the cursor, a title in bold. */
        n = snprintf(buf, sizeof(buf), "\033[2J\033[?25l\033[3;4H\033[1mkjump: %s\033[0m", title);
        if (write(s->fd, buf, (size_t) n) < 0)
                s->fd = safe_close(s->fd);
}

void screen_progress(Screen *s, const char *what, unsigned percent, double bytes_per_s, const char *hint) {
        char bar[BAR + 1], buf[512], rate[32];
        unsigned filled = MIN(percent, 100u) * BAR / 100;
        int n;

        if (s->fd < 0 || (int) percent == s->last)
                return;
        s->last = (int) percent;
        memset(bar, '#', filled);
        memset(bar + filled, '.', BAR - filled);
        bar[BAR] = 0;
        /* Line 5: the sentence; line 7: the bar. Each line cleared first. */
        if (bytes_per_s >= 1e9)
                snprintf(rate, sizeof(rate), "%.1f GB/s", bytes_per_s / 1e9);
        else
                snprintf(rate, sizeof(rate), "%.0f MB/s", bytes_per_s / 1e6);
        n = snprintf(buf, sizeof(buf), "\033[5;4H\033[2K%s: %u %% - %s%s%s\033[7;4H\033[2K[%s]", what, percent,
                     rate, hint ? " - " : "", hint ?: "", bar);
        if (write(s->fd, buf, (size_t) n) < 0)
                s->fd = safe_close(s->fd);
}

void screen_message(Screen *s, const char *message) {
        char buf[512];
        int n;

        if (s->fd < 0)
                return;
        n = snprintf(buf, sizeof(buf), "\033[9;4H\033[2K%s", message);
        if (write(s->fd, buf, (size_t) n) < 0)
                s->fd = safe_close(s->fd);
}

void screen_close(Screen *s) {
        s->fd = safe_close(s->fd);
}

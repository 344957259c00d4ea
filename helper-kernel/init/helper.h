/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "free-pages.h"
#include "helper-params.h"
#include "image-reader.h"
#include "image-writer.h"

typedef struct Helper {
        HelperParams params;
        uint64_t entry;                 /* A's kexec_jump_back_entry, 0 if none */
        int target_fd;                  /* the target's block device, O_DIRECT */
        char *target_device;            /* /dev/NAME */
        int mem_fd;                     /* /dev/mem, read-write */
        unsigned cpus;
        bool test_cut_commit;           /* kjump.test-cut-commit: power off before the commit (tests) */
        MemRange *ram;                  /* A's RAM outside the window */
        size_t n_ram;
        FreePages free;                 /* A's free pages, when found */
        bool have_free;
        struct kjump_image_header header;
} Helper;

/* target.c: finds the block device whose header (written by the loader)
 * carries params.image_id, waiting for slow devices to appear. */
int helper_open_target(Helper *h);

/* physmem.c: A's RAM through /dev/mem. */
int physmem_open(Helper *h);
extern const ImageSource physmem_source;
/* Overwrites every page of A's RAM outside the window with PATTERN. */
int physmem_scribble(Helper *h, uint8_t pattern);
/* Unmaps the windows onto A's RAM that no chunk uses now. */
void physmem_close_windows(void);
/* Where a chunk's present pages can be decoded straight into A's RAM
 * (they are its first pages), or NULL; give it back with
 * physmem_unplace_chunk() (image_for_each_chunk_timed()'s PLACE). */
uint8_t *physmem_place_chunk(Helper *h, const struct kjump_chunk *c);
void physmem_unplace_chunk(const struct kjump_chunk *c, uint8_t *p);
/* Writes a chunk's pages back into A's RAM: its present pages from RAW (or
 * already in place, when RAW is physmem_place_chunk()'s), zeros into the
 * others, except the pages FREE_MAP (image_read_free_map(), NULL: none)
 * marks as free in A, from bit FIRST on, which are left alone. */
int physmem_restore_chunk(Helper *h, const struct kjump_chunk *c, const uint8_t *raw, const uint8_t *free_map,
                          uint64_t first);

/* jump-back.c: loads a jump-back image for ENTRY (A's
 * kexec_jump_back_entry=) and jumps. Returns 0 when A later jumps back in,
 * -errno when the jump could not be made. */
int kexec_jump_back(uint64_t entry);
/* The same for a parked helper (booted with A's RAM as ACPI data): loads
 * its jump-back image once, and after A jumped in again brings its CPUs
 * back online. */
int kexec_jump_back_parked(uint64_t entry);

/* keyboard.c: the keyboards the helper kernel drives (PS/2), for Esc. */
typedef struct Keyboards {
        int fds[8];
        unsigned nums[8];        /* their /dev/input/eventN */
        size_t n;
        unsigned scans;
} Keyboards;
/* Opens every input device with an Esc key not opened yet. */
void keyboards_scan(Keyboards *k);
/* Has Esc been pressed since the last call? Never blocks. */
bool keyboards_esc_pressed(Keyboards *k);
void keyboards_close(Keyboards *k);

/* screen.c: progress on the display (/dev/tty1), "Hibernating: 41 % -
 * 1.2 GB/s - Esc to cancel" and a bar; a no-op without a display. */
typedef struct Screen {
        int fd;
        int last;                /* the percent shown */
} Screen;
void screen_open(Screen *s, const char *title);
void screen_progress(Screen *s, const char *what, unsigned percent, double bytes_per_s, const char *hint);
void screen_message(Screen *s, const char *message);
void screen_close(Screen *s);

/* modes.c: the modes. Each returns 0 or -errno and sets the header's
 * message for the caller to commit. */
/* Finds A's free pages (free-pages.h) when the parameters allow it; on
 * any doubt the image saves every page, and the reason is logged. */
void helper_find_free_pages(Helper *h);
int helper_write(Helper *h);
int helper_verify(Helper *h);
int helper_restore(Helper *h);

/* Records a failure in the header on the target (best effort). */
void helper_record_failure(Helper *h, uint32_t reason, int error, const char *format, ...)
        __attribute__((format(printf, 4, 5)));

#include "time-util.h"

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A's RAM lies outside the helper's window: the helper's kernel does not
 * know it as RAM, so it is reached by mmap of /dev/mem (read() stops at the
 * helper's own top of RAM). Page tables for all of A's RAM would not fit in
 * the window (2 MiB of them per GiB: /dev/mem maps 4 KiB pages), so A's RAM
 * is mapped in windows of WINDOW_BYTES inside one RAM range, at most
 * N_WINDOWS of them (64 KiB of page tables each), kept while chunks keep
 * falling into them: /dev/mem is mapped per 32 MiB, not per 1 MiB chunk
 * (every munmap is a TLB shootdown across the helper's CPUs). When every
 * window is in use, a chunk gets a mapping of its own. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helper.h"
#include "log.h"
#include "macro.h"

int physmem_open(Helper *h) {
        h->mem_fd = open("/dev/mem", O_RDWR | O_CLOEXEC);
        if (h->mem_fd < 0)
                return log_error_errno(errno, "Cannot open /dev/mem: %m");
        return 0;
}

static void *map_range(int fd, uint64_t phys, size_t length, int prot) {
        void *p = mmap(NULL, length, prot, MAP_SHARED, fd, (off_t) phys);
        return p == MAP_FAILED ? NULL : p;
}

#define WINDOW_BYTES (UINT64_C(32) << 20)
#define N_WINDOWS 16

typedef struct Window {
        uint8_t *base;          /* NULL: unused, or being remapped */
        uint64_t start, end;    /* physical */
        int prot;
        unsigned users;         /* chunks mapped through it now */
        uint64_t last_use;
} Window;

static struct {
        pthread_mutex_t lock;
        Window w[N_WINDOWS];
        uint64_t clock;
} windows = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const MemRange *ram_range_of(const Helper *h, uint64_t phys, size_t length) {
        for (size_t i = 0; i < h->n_ram; i++)
                if (phys >= h->ram[i].start && phys + length <= h->ram[i].end)
                        return &h->ram[i];
        return NULL;
}

/* Maps [PHYS, +LENGTH) with PROT, through a window when it lies in one of
 * A's RAM ranges; release with physmem_unmap(). */
static void *physmem_map(Helper *h, uint64_t phys, size_t length, int prot) {
        const MemRange *r = ram_range_of(h, phys, length);
        Window *w = NULL;
        uint64_t start, end;
        void *old = NULL;
        size_t old_size = 0;

        if (!r || length > WINDOW_BYTES)
                return map_range(h->mem_fd, phys, length, prot);
        pthread_mutex_lock(&windows.lock);
        windows.clock++;
        for (size_t i = 0; i < N_WINDOWS; i++) {
                Window *c = &windows.w[i];
                if (c->base && c->prot == prot && phys >= c->start && phys + length <= c->end) {
                        c->users++;
                        c->last_use = windows.clock;
                        pthread_mutex_unlock(&windows.lock);
                        return c->base + (phys - c->start);
                }
                if (c->users == 0 && (!w || c->last_use < w->last_use))
                        w = c;
        }
        if (!w) {
                pthread_mutex_unlock(&windows.lock);
                return map_range(h->mem_fd, phys, length, prot);
        }
        /* Remap the least recently used idle window; nobody else takes it
         * meanwhile (users), nor finds it (base NULL). */
        old = w->base;
        old_size = w->end - w->start;
        w->base = NULL;
        w->users = 1;
        w->last_use = windows.clock;
        pthread_mutex_unlock(&windows.lock);

        if (old)
                munmap(old, old_size);
        start = MAX(r->start, phys / WINDOW_BYTES * WINDOW_BYTES);
        end = MIN(r->end, start + WINDOW_BYTES);
        if (phys + length > end) {
                start = phys;
                end = MIN(r->end, start + WINDOW_BYTES);
        }
        void *m = map_range(h->mem_fd, start, end - start, prot);

        pthread_mutex_lock(&windows.lock);
        if (m) {
                *w = (Window) { .base = m, .start = start, .end = end, .prot = prot, .users = 1,
                                .last_use = windows.clock };
        } else
                *w = (Window) {};
        pthread_mutex_unlock(&windows.lock);
        return m ? (uint8_t *) m + (phys - start) : NULL;
}

static void physmem_unmap(void *p, size_t length) {
        pthread_mutex_lock(&windows.lock);
        for (size_t i = 0; i < N_WINDOWS; i++) {
                Window *w = &windows.w[i];
                if (w->base && (uint8_t *) p >= w->base && (uint8_t *) p < w->base + (w->end - w->start)) {
                        w->users--;
                        pthread_mutex_unlock(&windows.lock);
                        return;
                }
        }
        pthread_mutex_unlock(&windows.lock);
        munmap(p, length);
}

void physmem_close_windows(void) {
        pthread_mutex_lock(&windows.lock);
        for (size_t i = 0; i < N_WINDOWS; i++) {
                Window *w = &windows.w[i];
                if (w->base && w->users == 0) {
                        munmap(w->base, w->end - w->start);
                        *w = (Window) {};
                }
        }
        pthread_mutex_unlock(&windows.lock);
}

static void *source_map(void *userdata, uint64_t phys, size_t length) {
        return physmem_map(userdata, phys, length, PROT_READ);
}

static void source_unmap(void *userdata, void *p, size_t length) {
        physmem_unmap(p, length);
}

const ImageSource physmem_source = {
        .map = source_map,
        .unmap = source_unmap,
};

int physmem_scribble(Helper *h, uint8_t pattern) {
        const size_t step = 16u << 20;

        for (size_t i = 0; i < h->n_ram; i++)
                for (uint64_t p = h->ram[i].start; p < h->ram[i].end; p += step) {
                        size_t n = (size_t) MIN((uint64_t) step, h->ram[i].end - p);
                        void *m = map_range(h->mem_fd, p, n, PROT_READ | PROT_WRITE);

                        if (!m)
                                return negative_errno();
                        memset(m, pattern, n);
                        munmap(m, n);
                }
        return 0;
}

/* The chunk's present pages are its first ones: they can be decoded
 * straight into place. */
static bool present_prefix(const struct kjump_chunk *c) {
        unsigned k = c->raw_size / KJUMP_PAGE_SIZE;

        for (unsigned i = 0; i < c->page_count; i++)
                if (image_chunk_page_present(c, i) != (i < k))
                        return false;
        return k > 0;
}

uint8_t *physmem_place_chunk(Helper *h, const struct kjump_chunk *c) {
        if (!present_prefix(c))
                return NULL;
        return physmem_map(h, c->phys_start, (size_t) c->page_count * KJUMP_PAGE_SIZE, PROT_READ | PROT_WRITE);
}

void physmem_unplace_chunk(const struct kjump_chunk *c, uint8_t *p) {
        physmem_unmap(p, (size_t) c->page_count * KJUMP_PAGE_SIZE);
}

int physmem_restore_chunk(Helper *h, const struct kjump_chunk *c, const uint8_t *raw, const uint8_t *free_map,
                          uint64_t first) {
        size_t length = (size_t) c->page_count * KJUMP_PAGE_SIZE, k = 0;
        unsigned i = 0, n_free = 0;
        uint8_t *m;

        for (unsigned j = 0; free_map && j < c->page_count; j++)
                n_free += image_free_map_test(free_map, first, j);
        if (n_free == c->page_count)
                return 0; /* all free in A: nothing to write */
        m = physmem_map(h, c->phys_start, length, PROT_READ | PROT_WRITE);
        if (!m)
                return negative_errno();
        if (raw == m)
                /* Decoded in place (physmem_place_chunk()): the present
                 * pages are there already, the first ones. */
                i = c->raw_size / KJUMP_PAGE_SIZE;
        for (; i < c->page_count; i++) {
                uint8_t *dst = m + (size_t) i * KJUMP_PAGE_SIZE;
                if (image_chunk_page_present(c, i)) {
                        memcpy(dst, raw + k, KJUMP_PAGE_SIZE);
                        k += KJUMP_PAGE_SIZE;
                } else if (!image_free_map_test(free_map, first, i))
                        memset(dst, 0, KJUMP_PAGE_SIZE);
        }
        physmem_unmap(m, length);
        return 0;
}

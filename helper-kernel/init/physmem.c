/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A's RAM lies outside the helper's window: the helper's kernel does not
 * know it as RAM, so it is reached by mmap of /dev/mem (read() stops at the
 * helper's own top of RAM). Mappings are made per chunk, so page tables for
 * all of A's RAM never have to fit in the window. */
#include <errno.h>
#include <fcntl.h>
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

static void *source_map(void *userdata, uint64_t phys, size_t length) {
        Helper *h = userdata;
        return map_range(h->mem_fd, phys, length, PROT_READ);
}

static void source_unmap(void *userdata, void *p, size_t length) {
        munmap(p, length);
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

int physmem_restore_chunk(void *userdata, const struct kjump_chunk *c, const uint8_t *raw) {
        Helper *h = userdata;
        size_t length = (size_t) c->page_count * KJUMP_PAGE_SIZE, k = 0;
        uint8_t *m;

        m = map_range(h->mem_fd, c->phys_start, length, PROT_READ | PROT_WRITE);
        if (!m)
                return negative_errno();
        for (unsigned i = 0; i < c->page_count; i++) {
                uint8_t *dst = m + (size_t) i * KJUMP_PAGE_SIZE;
                if (image_chunk_page_present(c, i)) {
                        memcpy(dst, raw + k, KJUMP_PAGE_SIZE);
                        k += KJUMP_PAGE_SIZE;
                } else
                        memset(dst, 0, KJUMP_PAGE_SIZE);
        }
        munmap(m, length);
        return 0;
}

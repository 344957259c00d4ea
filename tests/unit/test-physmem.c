/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper's mappings of A's RAM (physmem.c) on a memfd standing in for
 * /dev/mem: chunks are served from kept windows inside one RAM range, never
 * more than the windows it may keep (plus a mapping of its own for a chunk
 * when every window is in use), the bytes are A's, a restore writes them
 * back (zeros for the pages without data), a chunk is placed only when its
 * present pages come first, and nothing stays mapped once closed. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helper.h"
#include "macro.h"
#include "tests.h"

#define MIB (UINT64_C(1) << 20)
#define CHUNK (KJUMP_CHUNK_PAGES * KJUMP_PAGE_SIZE)
#define MEM_SIZE (640 * MIB)

static Helper h = { .mem_fd = -1 };
static MemRange ram[] = {
        { 1 * MIB, 600 * MIB },     /* holds 19 windows' worth */
        { 608 * MIB, 640 * MIB },
};

/* MiB of the memfd mapped in this process, from /proc/self/maps (bytes,
 * not mappings: the kernel may merge neighbours). */
static uint64_t mapped_mib(void) {
        FILE *f = fopen("/proc/self/maps", "re");
        char line[512];
        uint64_t n = 0;

        ASSERT(f);
        while (fgets(line, sizeof(line), f)) {
                unsigned long long from, to;
                if (strstr(line, "kjump-test-physmem") && sscanf(line, "%llx-%llx", &from, &to) == 2)
                        n += to - from;
        }
        fclose(f);
        return n / MIB;
}

static uint8_t byte_at(uint64_t phys) {
        return (uint8_t) (phys * 7 + (phys >> 12) * 13);
}

static void fill(uint64_t start, uint64_t end) {
        uint8_t *buf = malloc(MIB);

        ASSERT(buf);
        for (uint64_t p = start; p < end; p += MIB) {
                for (size_t i = 0; i < MIB; i++)
                        buf[i] = byte_at(p + i);
                ASSERT(pwrite(h.mem_fd, buf, MIB, (off_t) p) == (ssize_t) MIB);
        }
        free(buf);
}

static void check_bytes(const uint8_t *p, uint64_t phys, size_t n) {
        for (size_t i = 0; i < n; i += 4093)
                ASSERT(p[i] == byte_at(phys + i));
}

TEST(windows_kept) {
        /* 200 chunks in a row: a handful of windows, not 200 mappings. */
        for (uint64_t p = 1 * MIB; p < 201 * MIB; p += CHUNK) {
                uint8_t *m = physmem_source.map(&h, p, CHUNK);

                ASSERT(m);
                check_bytes(m, p, CHUNK);
                ASSERT(mapped_mib() <= 16 * 32);
                physmem_source.unmap(&h, m, CHUNK);
        }
        /* Two chunks of one window are one mapping apart by their distance. */
        uint8_t *a = physmem_source.map(&h, 40 * MIB, CHUNK), *b = physmem_source.map(&h, 41 * MIB, CHUNK);
        ASSERT(a && b && b - a == (ptrdiff_t) MIB);
        physmem_source.unmap(&h, a, CHUNK);
        physmem_source.unmap(&h, b, CHUNK);
        physmem_close_windows();
        ASSERT(mapped_mib() == 0);
}

TEST(every_window_in_use) {
        uint8_t *held[17];

        /* 17 chunks 32 MiB apart, all held: 16 windows, then one of its own. */
        for (unsigned i = 0; i < ELEMENTSOF(held); i++) {
                uint64_t p = 1 * MIB + i * 32 * MIB;
                fill(p, p + CHUNK);
                held[i] = physmem_source.map(&h, p, CHUNK);
                ASSERT(held[i]);
                check_bytes(held[i], p, CHUNK);
        }
        ASSERT(mapped_mib() == 16 * 32 + 1);
        for (unsigned i = 0; i < ELEMENTSOF(held); i++)
                physmem_source.unmap(&h, held[i], CHUNK);
        ASSERT(mapped_mib() == 16 * 32); /* the chunk's own mapping is gone, the windows kept */
        physmem_close_windows();
        ASSERT(mapped_mib() == 0);

        /* A chunk across two RAM ranges (a hole between): a mapping of its own. */
        uint8_t *x = physmem_source.map(&h, 600 * MIB - 4096, 8192);
        ASSERT(x);
        ASSERT(mapped_mib() == 0); /* 8 KiB of its own, no window */
        physmem_source.unmap(&h, x, 8192);
}

static struct kjump_chunk chunk_with(uint64_t phys, const unsigned *present, size_t n) {
        struct kjump_chunk c = { .phys_start = phys, .page_count = KJUMP_CHUNK_PAGES };

        for (size_t i = 0; i < n; i++)
                c.present[present[i] / 8] |= 1u << (present[i] % 8);
        c.raw_size = (uint32_t) (n * KJUMP_PAGE_SIZE);
        return c;
}

TEST(restore) {
        const uint64_t phys = 300 * MIB;
        uint8_t *raw = malloc(CHUNK), *back = malloc(CHUNK);

        ASSERT(raw && back);
        /* Present pages 1 and 5 only: not first, so not placed; scattered back. */
        {
                unsigned present[] = { 1, 5 };
                struct kjump_chunk c = chunk_with(phys, present, ELEMENTSOF(present));

                ASSERT(physmem_place_chunk(&h, &c) == NULL);
                memset(raw, 0xa1, KJUMP_PAGE_SIZE);
                memset(raw + KJUMP_PAGE_SIZE, 0xa5, KJUMP_PAGE_SIZE);
                ASSERT_OK(physmem_restore_chunk(&h, &c, raw, NULL, 0));
                ASSERT(pread(h.mem_fd, back, CHUNK, (off_t) phys) == (ssize_t) CHUNK);
                for (unsigned i = 0; i < KJUMP_CHUNK_PAGES; i++) {
                        uint8_t want = i == 1 ? 0xa1 : i == 5 ? 0xa5 : 0;
                        ASSERT(back[i * KJUMP_PAGE_SIZE] == want && back[(i + 1) * KJUMP_PAGE_SIZE - 1] == want);
                }
        }
        /* Present pages 0..2: placed where they belong; decoded there, the
         * restore only zeroes the rest. */
        {
                unsigned present[] = { 0, 1, 2 };
                struct kjump_chunk c = chunk_with(phys, present, ELEMENTSOF(present));
                uint8_t *where = physmem_place_chunk(&h, &c);

                ASSERT(where);
                memset(where, 0xb3, 3 * KJUMP_PAGE_SIZE);
                ASSERT_OK(physmem_restore_chunk(&h, &c, where, NULL, 0));
                physmem_unplace_chunk(&c, where);
                ASSERT(pread(h.mem_fd, back, CHUNK, (off_t) phys) == (ssize_t) CHUNK);
                for (unsigned i = 0; i < KJUMP_CHUNK_PAGES; i++)
                        ASSERT(back[i * KJUMP_PAGE_SIZE + 17] == (i < 3 ? 0xb3 : 0));
        }
        /* A free-page map (the chunk's first page at bit 5): pages free in
         * A keep what they held, the other absent pages become zero, in
         * place or not. */
        {
                unsigned present[] = { 0, 1 };
                struct kjump_chunk c = chunk_with(phys, present, ELEMENTSOF(present));
                uint8_t free_map[(5 + KJUMP_CHUNK_PAGES) / 8 + 1] = {};
                uint8_t *stale = malloc(CHUNK);

                ASSERT(stale);
                for (unsigned i = 3; i < 6; i++) /* pages 3..5 free */
                        free_map[(5 + i) / 8] |= 1u << ((5 + i) % 8);
                for (int placed = 0; placed < 2; placed++) {
                        uint8_t *where = placed ? physmem_place_chunk(&h, &c) : NULL;

                        memset(stale, 0x77, CHUNK);
                        ASSERT(pwrite(h.mem_fd, stale, CHUNK, (off_t) phys) == (ssize_t) CHUNK);
                        memset(raw, 0xc4, 2 * KJUMP_PAGE_SIZE);
                        if (where)
                                memcpy(where, raw, 2 * KJUMP_PAGE_SIZE);
                        ASSERT_OK(physmem_restore_chunk(&h, &c, where ?: raw, free_map, 5));
                        if (where)
                                physmem_unplace_chunk(&c, where);
                        ASSERT(pread(h.mem_fd, back, CHUNK, (off_t) phys) == (ssize_t) CHUNK);
                        for (unsigned i = 0; i < KJUMP_CHUNK_PAGES; i++) {
                                uint8_t want = i < 2 ? 0xc4 : i >= 3 && i < 6 ? 0x77 : 0;
                                ASSERT(back[i * KJUMP_PAGE_SIZE] == want && back[(i + 1) * KJUMP_PAGE_SIZE - 1] == want);
                        }
                }
                /* A chunk free in A all through is not even mapped. */
                struct kjump_chunk empty = chunk_with(phys, NULL, 0);
                memset(free_map, 0xff, sizeof(free_map));
                physmem_close_windows();
                ASSERT_OK(physmem_restore_chunk(&h, &empty, NULL, free_map, 5));
                ASSERT(mapped_mib() == 0);
                ASSERT(pread(h.mem_fd, back, CHUNK, (off_t) phys) == (ssize_t) CHUNK);
                ASSERT(back[0] == 0xc4 && back[4 * KJUMP_PAGE_SIZE] == 0x77);
                free(stale);
        }
        physmem_close_windows();
        ASSERT(mapped_mib() == 0);
        free(raw);
        free(back);
}

int main(void) {
        h.mem_fd = memfd_create("kjump-test-physmem", MFD_CLOEXEC);
        ASSERT(h.mem_fd >= 0);
        ASSERT(ftruncate(h.mem_fd, (off_t) MEM_SIZE) == 0);
        h.ram = ram;
        h.n_ram = ELEMENTSOF(ram);
        fill(1 * MIB, 201 * MIB);

        test_windows_kept();
        test_every_window_in_use();
        test_restore();

        close(h.mem_fd);
        return 0;
}

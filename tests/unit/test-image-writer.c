/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The image format end to end: a fake RAM is written by the real writer
 * into a file, read back by the real reader, and every kind of corruption
 * is rejected. */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-reader.h"
#include "free-pages.h"
#include "image-writer.h"
#include "macro.h"
#include "tests.h"

#define MIB (1u << 20)

/* Fake physical memory: RAM at [1 MiB, 9 MiB) and [16 MiB, 21 MiB + 12 KiB). */
static const MemRange ram[] = {
        { 1 * MIB, 9 * MIB },
        { 16 * MIB, 21 * MIB + 12288 },
};
static uint8_t *fake;      /* indexed by physical address */
static uint8_t *restored;  /* what the reader wrote back */
static const uint64_t fake_size = 22 * MIB;

static uint64_t rng = 0x1234567;
static uint64_t next_random(void) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
}

static void fill_fake(void) {
        fake = calloc(1, fake_size);
        ASSERT(fake);
        for (size_t i = 0; i < ELEMENTSOF(ram); i++)
                for (uint64_t p = ram[i].start; p < ram[i].end; p += 4096) {
                        uint64_t page = p / 4096;
                        if (page % 5 == 0)
                                continue;                                /* zero page */
                        if (page % 5 == 1)
                                for (size_t k = 0; k < 4096; k += 8)     /* incompressible */
                                        *(uint64_t *) (fake + p + k) = next_random();
                        else
                                snprintf((char *) fake + p, 4096, "page %" PRIu64 " text text text", page);
                }
        /* One chunk all random: must fall back to "stored". */
        for (uint64_t k = 0; k < MIB; k += 8)
                *(uint64_t *) (fake + 17 * MIB + k) = next_random();
}

/* A mapping is a copy, scribbled over when it is given back: data read
 * from it after its unmap shows up as damage in the image. */
static unsigned long mappings_held;

static void *fake_map(void *userdata, uint64_t phys, size_t length) {
        uint8_t *p = malloc(length);

        ASSERT(phys + length <= fake_size && p);
        memcpy(p, fake + phys, length);
        __atomic_add_fetch(&mappings_held, 1, __ATOMIC_RELAXED);
        return p;
}

static void fake_unmap(void *userdata, void *p, size_t length) {
        memset(p, 0x5a, length);
        __asm__ __volatile__("" : : "r"(p) : "memory");   /* not a dead store before free() */
        free(p);
        ASSERT(__atomic_sub_fetch(&mappings_held, 1, __ATOMIC_RELAXED) != (unsigned long) -1);
}

static int restore_cb(void *userdata, const struct kjump_chunk *c, const uint8_t *raw) {
        size_t k = 0;

        for (unsigned i = 0; i < c->page_count; i++) {
                uint8_t *dst = restored + c->phys_start + (uint64_t) i * 4096;
                if (image_chunk_page_present(c, i)) {
                        memcpy(dst, raw + k, 4096);
                        k += 4096;
                } else
                        memset(dst, 0, 4096);
        }
        __atomic_fetch_add((unsigned *) userdata, 1, __ATOMIC_RELAXED);
        return 0;
}

static char path[] = "/tmp/test-image-XXXXXX";

/* Cancels after CANCEL_AFTER chunks (0: never); counts the calls. */
static unsigned progress_calls, cancel_after;

static int progress(void *userdata, uint64_t done, uint64_t total, uint64_t written) {
        ASSERT(done <= total);
        progress_calls++;
        return cancel_after && progress_calls >= cancel_after ? -ECANCELED : 0;
}

static const FreePages *free_pages; /* what the next write_image() leaves out */
static const ImageKey *write_key;   /* the next write_image()'s protection (NULL: none) */
static const ImageKey *read_key;    /* what read_image() opens it with */
static unsigned compress_pending;   /* the next write_image()'s adaptive policy (0: off) */
static bool write_free_map;         /* the next write_image() records the free pages */
static struct ImageWriteTimes write_times; /* the last write_image()'s */

static int write_image(uint32_t compression, uint64_t target_size, struct kjump_image_header *h) {
        _cleanup_(target_map_done) TargetMap map = {};
        int fd, r;

        fd = open(path, O_RDWR | O_CLOEXEC);
        ASSERT(fd >= 0);
        ASSERT(ftruncate(fd, 0) == 0 && ftruncate(fd, (off_t) target_size) == 0);
        map.size = target_size;
        ASSERT_OK(target_map_add(&map, 0, 0, target_size));

        *h = (struct kjump_image_header) {
                .version = KJUMP_IMAGE_VERSION,
                .header_size = KJUMP_IMAGE_HEADER_SIZE,
                .state = KJUMP_STATE_WRITING,
                .compression = compression,
                .jump_back_entry = 0x100000f2,
                .window_start = 0,
                .window_end = 1 * MIB,
                .target_size = target_size,
                .memmap_count = 2,
                .memmap = { { 0, 9 * MIB, 1, 0 }, { 16 * MIB, 21 * MIB + 12288, 1, 0 } },
        };
        memcpy(h->magic, KJUMP_IMAGE_MAGIC, 8);
        strcpy(h->kernel_release, "6.12.0-test");
        memcpy(h->image_id, "test-image-id-01", 16);
        if (write_key) {
                h->protection = KJUMP_PROTECT_LUKS;
                h->key_offset = target_size - 4096;
                h->key_device_offset = 1 * MIB;
        }

        r = image_write(&(ImageWriteOptions) {
                .fd = fd, .map = &map, .ranges = ram, .n_ranges = ELEMENTSOF(ram),
                .source = { fake_map, fake_unmap, NULL },
                .compression = compression, .threads = 3,
                .compress_pending = compress_pending,
                .free_map = write_free_map,
                .times = &write_times,
                .free_pages = free_pages,
                .key = write_key,
                .image_id = h->image_id,
                .progress = progress,
        }, h);
        /* Every mapping given back, whether the image was written or not. */
        ASSERT(mappings_held == 0);
        if (r >= 0) {
                if (write_key)
                        image_header_mac(write_key, h, h->header_mac);
                h->state = KJUMP_STATE_VALID;
                r = image_commit_header(fd, &map, h);
        }
        close(fd);
        return r;
}

/* Reads the whole image at PATH; returns 0 or the first error. */
static int read_image(const char **ret_error, unsigned *ret_chunks) {
        _cleanup_free_ struct kjump_chunk *chunks = NULL;
        struct kjump_image_header h;
        unsigned n = 0;
        int fd, r;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        ASSERT(fd >= 0);
        r = image_read_header(fd, NULL, &h, ret_error);
        if (r >= 0)
                r = image_read_index(fd, NULL, &h, read_key, &chunks, ret_error);
        if (r >= 0)
                r = image_for_each_chunk(fd, NULL, &h, chunks, read_key, 3, restore_cb, &n, ret_error);
        close(fd);
        if (ret_chunks)
                *ret_chunks = n;
        return r;
}

static void flip_byte(uint64_t offset) {
        int fd = open(path, O_RDWR | O_CLOEXEC);
        uint8_t b;

        ASSERT(fd >= 0);
        ASSERT(pread(fd, &b, 1, (off_t) offset) == 1);
        b ^= 0x5a;
        ASSERT(pwrite(fd, &b, 1, (off_t) offset) == 1);
        close(fd);
}

static void assert_ram_restored(void) {
        for (size_t i = 0; i < ELEMENTSOF(ram); i++)
                ASSERT(memcmp(fake + ram[i].start, restored + ram[i].start, ram[i].end - ram[i].start) == 0);
}

TEST(round_trip) {
        for (uint32_t c = 0; c < _KJUMP_COMPRESS_MAX; c++) {
                struct kjump_image_header h;
                const char *error = NULL;
                unsigned n;

                ASSERT_OK(write_image(c, 64 * MIB, &h));
                ASSERT(h.chunk_count == 8 + 6);
                ASSERT(h.pages_total == (8 * MIB + 5 * MIB + 12288) / 4096);
                ASSERT(h.pages_stored < h.pages_total);
                if (c != KJUMP_COMPRESS_STORED)
                        ASSERT(h.data_bytes < h.pages_stored * 4096);
                else
                        ASSERT(h.data_bytes == h.pages_stored * 4096);
                memset(restored, 0xcc, fake_size);
                ASSERT_OK(read_image(&error, &n));
                ASSERT(n == h.chunk_count);
                assert_ram_restored();
        }
}

TEST(free_pages_left_out) {
        /* Pages free in A are neither read nor saved: they come back as
         * zero, every other page as it was. */
        uint64_t first_bit[ELEMENTSOF(ram)] = { 0, (8 * MIB) / 4096 };
        uint8_t bitmap[(8 * MIB + 5 * MIB + 12288) / 4096 / 8 + 1] = {};
        FreePages f = { .ranges = ram, .n_ranges = ELEMENTSOF(ram), .first_bit = first_bit, .bitmap = bitmap };
        uint64_t marked = 0;
        struct kjump_image_header h;
        const char *error = NULL;

        /* the second MiB of the first range, and pages 3..7 of the second */
        for (uint64_t b = 256; b < 512; b++, marked++)
                bitmap[b / 8] |= 1u << (b % 8);
        for (uint64_t b = first_bit[1] + 3; b < first_bit[1] + 8; b++, marked++)
                bitmap[b / 8] |= 1u << (b % 8);
        free_pages = &f;
        ASSERT_OK(write_image(KJUMP_COMPRESS_LZ4, 64 * MIB, &h));
        free_pages = NULL;
        ASSERT(h.pages_free == marked);
        ASSERT(h.pages_stored + h.pages_free <= h.pages_total);
        memset(restored, 0xcc, fake_size);
        ASSERT_OK(read_image(&error, NULL));
        for (size_t i = 0; i < ELEMENTSOF(ram); i++)
                for (uint64_t p = ram[i].start; p < ram[i].end; p += 4096) {
                        int64_t bit = free_pages_bit(&f, p);
                        static const uint8_t zero[4096];

                        ASSERT(bit >= 0);
                        if (free_pages_test(&f, bit))
                                ASSERT(memcmp(restored + p, zero, 4096) == 0);
                        else
                                ASSERT(memcmp(restored + p, fake + p, 4096) == 0);
                }
}

/* Rewrites the free-page map of the image at PATH with MAP, its checksum
 * in the header made right again. */
static void forge_free_map(struct kjump_image_header *h, const uint8_t *map) {
        _cleanup_(target_map_done) TargetMap tm = {};
        int fd = open(path, O_RDWR | O_CLOEXEC);

        ASSERT(fd >= 0);
        ASSERT(pwrite(fd, map, h->free_map_size, (off_t) h->free_map_offset) == (ssize_t) h->free_map_size);
        tm.size = h->target_size;
        ASSERT_OK(target_map_add(&tm, 0, 0, h->target_size));
        h->free_map_checksum = image_checksum(map, h->free_map_size, 0);
        ASSERT_OK(image_commit_header(fd, &tm, h));
        close(fd);
}

TEST(free_map) {
        uint64_t first_bit[ELEMENTSOF(ram)] = { 0, (8 * MIB) / 4096 };
        uint8_t bitmap[(8 * MIB + 5 * MIB + 12288) / 4096 / 8 + 1] = {};
        FreePages f = { .ranges = ram, .n_ranges = ELEMENTSOF(ram), .first_bit = first_bit, .bitmap = bitmap };
        _cleanup_free_ struct kjump_chunk *chunks = NULL;
        _cleanup_free_ uint8_t *map = NULL;
        struct kjump_image_header h;
        const char *error = NULL;
        int fd;

        for (uint64_t b = 256; b < 512; b++)
                bitmap[b / 8] |= 1u << (b % 8);
        for (uint64_t b = first_bit[1] + 3; b < first_bit[1] + 8; b++)
                bitmap[b / 8] |= 1u << (b % 8);
        free_pages = &f;

        /* Not asked for (A needs its free pages zero): none. */
        ASSERT_OK(write_image(KJUMP_COMPRESS_LZ4, 64 * MIB, &h));
        ASSERT(h.pages_free > 0 && h.free_map_offset == 0 && h.free_map_size == 0);

        /* Asked for: after the index, exactly the pages left out as free. */
        write_free_map = true;
        ASSERT_OK(write_image(KJUMP_COMPRESS_LZ4, 64 * MIB, &h));
        ASSERT(h.free_map_offset >= h.index_offset + h.index_size && h.free_map_offset % 4096 == 0);
        ASSERT(h.free_map_size == (h.pages_total + 7) / 8);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        ASSERT(fd >= 0);
        ASSERT_OK(image_read_index(fd, NULL, &h, NULL, &chunks, &error));
        ASSERT_OK(image_read_free_map(fd, NULL, &h, NULL, chunks, &map, &error));
        ASSERT(map);
        /* The index and the map in one go: the same map. */
        {
                _cleanup_free_ struct kjump_chunk *chunks2 = NULL;
                _cleanup_free_ uint8_t *map2 = NULL;

                ASSERT_OK(image_read_index_and_free_map(fd, NULL, &h, NULL, &chunks2, &map2, &error));
                ASSERT(map2 && memcmp(map, map2, h.free_map_size) == 0);
                ASSERT(memcmp(chunks, chunks2, h.index_size) == 0);
        }
        close(fd);
        for (uint64_t b = 0; b < h.pages_total; b++)
                ASSERT(!!(map[b / 8] & (1u << (b % 8))) == !!(bitmap[b / 8] & (1u << (b % 8))));
        memset(restored, 0xcc, fake_size);
        ASSERT_OK(read_image(&error, NULL));

        /* Every byte of it is checked. */
        for (uint64_t off = h.free_map_offset; off < h.free_map_offset + h.free_map_size; off++) {
                flip_byte(off);
                ASSERT_ERR(read_image(&error, NULL), EBADMSG);
                ASSERT_STREQ(error, "free-page map checksum mismatch");
                flip_byte(off);
        }

        /* A map that marks a page with data, or one free page more than
         * the header counts, is refused even with a right checksum. */
        {
                uint64_t present_bit = 0;

                while (!image_chunk_page_present(&chunks[present_bit / KJUMP_CHUNK_PAGES],
                                                 (unsigned) (present_bit % KJUMP_CHUNK_PAGES)))
                        present_bit++;
                map[present_bit / 8] |= 1u << (present_bit % 8);
                forge_free_map(&h, map);
                ASSERT_ERR(read_image(&error, NULL), EBADMSG);
                ASSERT_STREQ(error, "the free-page map marks a page with data");
                map[present_bit / 8] &= ~(1u << (present_bit % 8));
        }
        {
                uint64_t zero_bit = 0;

                /* A page left out as zero, not free: the first of the fake RAM's zero pages. */
                while (image_chunk_page_present(&chunks[zero_bit / KJUMP_CHUNK_PAGES],
                                                (unsigned) (zero_bit % KJUMP_CHUNK_PAGES)) ||
                       (map[zero_bit / 8] & (1u << (zero_bit % 8))))
                        zero_bit++;
                ASSERT(zero_bit < h.pages_total);
                map[zero_bit / 8] |= 1u << (zero_bit % 8);
                forge_free_map(&h, map);
                ASSERT_ERR(read_image(&error, NULL), EBADMSG);
                ASSERT_STREQ(error, "the free-page map does not match the index");
        }

        /* Protected: authenticated under the image's key, which the map's
         * offset and checksum in the authenticated header name. */
        {
                _cleanup_(image_key_done) ImageKey key = {};

                ASSERT_OK(image_key_generate(&key));
                write_key = read_key = &key;
                ASSERT_OK(write_image(KJUMP_COMPRESS_LZ4, 64 * MIB, &h));
                ASSERT(h.free_map_offset > 0 && h.free_map_offset + h.free_map_size <= h.key_offset);
                ASSERT_OK(read_image(&error, NULL));
                map[0] ^= 1;
                forge_free_map(&h, map); /* the checksum made right, the header's MAC not */
                ASSERT_ERR(read_image(&error, NULL), EBADMSG);
                write_key = read_key = NULL;
        }
        write_free_map = false;
        free_pages = NULL;
}

TEST(cancelled) {
        struct kjump_image_header h;

        /* The user cancels at the third chunk: the write stops there, the
         * header is never committed. */
        progress_calls = 0;
        cancel_after = 3;
        ASSERT_ERR(write_image(KJUMP_COMPRESS_LZ4, 64 * MIB, &h), ECANCELED);
        ASSERT(progress_calls == 3);
        ASSERT(h.state == KJUMP_STATE_WRITING && h.chunk_count == 0);
        cancel_after = 0;
        progress_calls = 0;
        ASSERT_OK(write_image(KJUMP_COMPRESS_LZ4, 64 * MIB, &h));
        ASSERT(progress_calls == h.chunk_count);
}

TEST(adaptive) {
        struct kjump_image_header h;
        const char *error = NULL;
        uint64_t raw_end, lz4_end, tight;

        /* Off: every chunk with data is tried with the compressor. */
        ASSERT_OK(write_image(KJUMP_COMPRESS_LZ4, 64 * MIB, &h));
        ASSERT(write_times.chunks_data > 0 && write_times.chunks_raw == 0);
        lz4_end = h.index_offset + h.index_size;
        ASSERT_OK(write_image(KJUMP_COMPRESS_STORED, 64 * MIB, &h));
        raw_end = h.index_offset + h.index_size;
        ASSERT(lz4_end < raw_end);

        /* A policy that never finds compressing worth it: stored as is
         * wherever the rest fits uncompressed, which 64 MiB always does. */
        compress_pending = UINT_MAX;
        ASSERT_OK(write_image(KJUMP_COMPRESS_LZ4, 64 * MIB, &h));
        ASSERT(write_times.chunks_raw == write_times.chunks_data && write_times.chunks_raw > 0);
        ASSERT(h.data_bytes == h.pages_stored * 4096);
        memset(restored, 0xcc, fake_size);
        ASSERT_OK(read_image(&error, NULL));
        assert_ram_restored();

        /* A target the image fits only compressed: the policy must not
         * store what would leave the rest without room. */
        tight = ALIGN_TO(lz4_end + (raw_end - lz4_end) / 2, (uint64_t) 4096);
        ASSERT_ERR(write_image(KJUMP_COMPRESS_STORED, tight, &h), ENOSPC);
        ASSERT_OK(write_image(KJUMP_COMPRESS_LZ4, tight, &h));
        ASSERT(write_times.chunks_raw < write_times.chunks_data);
        memset(restored, 0xcc, fake_size);
        ASSERT_OK(read_image(&error, NULL));
        assert_ram_restored();

        /* Pages free in A take no room: with 4 of the 13 MiB free, a target
         * that holds the rest stored as is (zero pages included: the
         * policy cannot know them ahead) gets every chunk stored. */
        uint64_t first_bit[ELEMENTSOF(ram)] = { 0, (8 * MIB) / 4096 };
        uint8_t bitmap[(8 * MIB + 5 * MIB + 12288) / 4096 / 8 + 1] = {};
        FreePages f = { .ranges = ram, .n_ranges = ELEMENTSOF(ram), .first_bit = first_bit, .bitmap = bitmap };

        memset(bitmap, 0xff, 4 * MIB / 4096 / 8);
        free_pages = &f;
        compress_pending = 0;
        ASSERT_OK(write_image(KJUMP_COMPRESS_STORED, 64 * MIB, &h));
        tight = h.index_offset + h.index_size + (h.pages_total - h.pages_free - h.pages_stored) * 4096 + MIB;
        compress_pending = UINT_MAX;
        ASSERT_OK(write_image(KJUMP_COMPRESS_LZ4, tight, &h));
        ASSERT(write_times.chunks_raw == write_times.chunks_data);
        free_pages = NULL;
        compress_pending = 0;
}

TEST(too_small) {
        struct kjump_image_header h;

        ASSERT_ERR(write_image(KJUMP_COMPRESS_LZ4, 2 * MIB, &h), ENOSPC);
        /* The header and the extent map must fit in the first extent. */
        ASSERT_ERR(write_image(KJUMP_COMPRESS_LZ4, 4096, &h), EXDEV);
}

TEST(every_header_byte) {
        struct kjump_image_header h;

        ASSERT_OK(write_image(KJUMP_COMPRESS_LZ4, 64 * MIB, &h));
        for (uint64_t off = 0; off < KJUMP_IMAGE_HEADER_SIZE; off++) {
                const char *error = NULL;

                flip_byte(off);
                ASSERT(read_image(&error, NULL) < 0);
                ASSERT(error);
                flip_byte(off);
        }
        ASSERT_OK(read_image(NULL, NULL));
}

TEST(every_index_byte) {
        struct kjump_image_header h;

        ASSERT_OK(write_image(KJUMP_COMPRESS_LZ4, 64 * MIB, &h));
        for (uint64_t off = h.index_offset; off < h.index_offset + h.index_size; off++) {
                const char *error = NULL;

                flip_byte(off);
                ASSERT_ERR(read_image(&error, NULL), EBADMSG);
                ASSERT_STREQ(error, "index checksum mismatch");
                flip_byte(off);
        }
}

/* Flips the first, the middle and the last byte of every chunk's data in
 * turn: each is refused (EBADMSG) with an error containing EXPECT. One
 * read per flip, so a few per chunk rather than a dense sample of the
 * whole data area (which took most of a minute under ASan). */
static void assert_every_chunk_checked(const struct kjump_image_header *h, const char *expect) {
        _cleanup_free_ struct kjump_chunk *chunks = malloc(h->index_size);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        unsigned tested = 0;

        ASSERT(chunks && fd >= 0);
        ASSERT(pread(fd, chunks, h->index_size, (off_t) h->index_offset) == (ssize_t) h->index_size);
        close(fd);
        for (uint64_t i = 0; i < h->chunk_count; i++) {
                const struct kjump_chunk *c = &chunks[i];
                const uint64_t at[] = { c->data_offset, c->data_offset + c->data_size / 2,
                                        c->data_offset + c->data_size - 1 };

                if (c->data_size == 0)
                        continue;
                ASSERT(c->data_offset >= h->data_start && c->data_offset + c->data_size <= h->data_start + h->data_bytes);
                for (size_t k = 0; k < ELEMENTSOF(at); k++) {
                        const char *error = NULL;

                        flip_byte(at[k]);
                        ASSERT_ERR(read_image(&error, NULL), EBADMSG);
                        ASSERT(error && strstr(error, expect));
                        flip_byte(at[k]);
                }
                tested++;
        }
        ASSERT(tested > 1);
        ASSERT_OK(read_image(NULL, NULL));
}

TEST(data_bytes) {
        struct kjump_image_header h;

        for (uint32_t c = 0; c < _KJUMP_COMPRESS_MAX; c++) {
                ASSERT_OK(write_image(c, 64 * MIB, &h));
                assert_every_chunk_checked(&h, "");
        }
}

/* Decoding straight into place (the helper's restore into A's RAM): every
 * chunk whose present pages come first is decoded where they belong, the
 * callback gets that very pointer, and every place is given back, also
 * when decoding into it failed (and then the callback is not called). */
static unsigned placed, unplaced;

static bool prefix(const struct kjump_chunk *c) {
        unsigned k = c->raw_size / 4096;

        for (unsigned i = 0; i < c->page_count; i++)
                if (image_chunk_page_present(c, i) != (i < k))
                        return false;
        return k > 0;
}

static uint8_t *place_cb(void *userdata, const struct kjump_chunk *c) {
        if (!prefix(c))
                return NULL;
        __atomic_fetch_add(&placed, 1, __ATOMIC_RELAXED);
        return restored + c->phys_start;
}

static void unplace_cb(void *userdata, const struct kjump_chunk *c, uint8_t *p) {
        ASSERT(p == restored + c->phys_start);
        __atomic_fetch_add(&unplaced, 1, __ATOMIC_RELAXED);
}

static int in_place_cb(void *userdata, const struct kjump_chunk *c, const uint8_t *raw) {
        if (raw != restored + c->phys_start)
                return restore_cb(userdata, c, raw);
        ASSERT(prefix(c));
        memset(restored + c->phys_start + c->raw_size, 0, (size_t) c->page_count * 4096 - c->raw_size);
        __atomic_fetch_add((unsigned *) userdata, 1, __ATOMIC_RELAXED);
        return 0;
}

static int read_in_place(unsigned *ret_calls, const char **ret_error) {
        _cleanup_free_ struct kjump_chunk *chunks = NULL;
        struct kjump_image_header h;
        ImageReadTimes times = {};
        int fd = open(path, O_RDONLY | O_CLOEXEC), r;

        ASSERT(fd >= 0);
        *ret_calls = placed = unplaced = 0;
        r = image_read_header(fd, NULL, &h, ret_error);
        if (r >= 0)
                r = image_read_index(fd, NULL, &h, read_key, &chunks, ret_error);
        if (r >= 0)
                r = image_for_each_chunk_timed(fd, NULL, &h, chunks, read_key, 3, in_place_cb, place_cb, unplace_cb,
                                               ret_calls, &times, ret_error);
        close(fd);
        ASSERT(placed == unplaced);
        ASSERT(r < 0 || times.decode_usec > 0);
        return r;
}

TEST(decoded_in_place) {
        for (uint32_t c = 0; c < _KJUMP_COMPRESS_MAX; c++) {
                struct kjump_image_header h;
                const char *error = NULL;
                unsigned calls;

                ASSERT_OK(write_image(c, 64 * MIB, &h));
                memset(restored, 0xcc, fake_size);
                ASSERT_OK(read_in_place(&calls, &error));
                ASSERT(calls == h.chunk_count);
                ASSERT(placed > 0 && placed < h.chunk_count); /* both kinds of chunk */
                assert_ram_restored();

                /* A damaged chunk: refused, its place given back, never passed on. */
                flip_byte(KJUMP_IMAGE_HEADER_SIZE + h.data_bytes / 2);
                ASSERT_ERR(read_in_place(&calls, &error), EBADMSG);
                ASSERT(calls < h.chunk_count);
                flip_byte(KJUMP_IMAGE_HEADER_SIZE + h.data_bytes / 2);
        }
}

/* Threads from the memory there is: every CPU when it allows, fewer in a
 * small window, fewer again with zstd's contexts, never none. */
TEST(threads) {
        const uint64_t gib = 1024 * MIB;

        ASSERT(image_threads(2, 45 * MIB, 2 * gib, KJUMP_COMPRESS_LZ4, 0) == 2);   /* the test guests' helper */
        ASSERT(image_threads(64, 1024 * MIB, 16 * gib, KJUMP_COMPRESS_LZ4, 0) == 64);
        unsigned lz4 = image_threads(16, 45 * MIB, 16 * gib, KJUMP_COMPRESS_LZ4, 0);
        unsigned zstd = image_threads(16, 45 * MIB, 16 * gib, KJUMP_COMPRESS_ZSTD, 3);
        ASSERT(lz4 >= 2 && lz4 < 16);
        ASSERT(zstd >= 1 && zstd < lz4);
        ASSERT(image_threads(16, 45 * MIB, 16 * gib, KJUMP_COMPRESS_ZSTD, 19) <= zstd);
        ASSERT(image_threads(4, 10 * MIB, 2 * gib, KJUMP_COMPRESS_LZ4, 0) == 1);
        ASSERT(image_threads(4, 0, 2 * gib, KJUMP_COMPRESS_LZ4, 0) == 1);           /* unknown: one */
        ASSERT(image_threads(0, 1024 * MIB, 2 * gib, KJUMP_COMPRESS_LZ4, 0) == 1);
        /* More RAM to save (a larger index) never means more threads. */
        ASSERT(image_threads(16, 45 * MIB, 512 * gib, KJUMP_COMPRESS_LZ4, 0) <= lz4);
        for (uint64_t m = 8 * MIB; m < 512 * MIB; m += 3 * MIB)
                ASSERT(image_threads(64, m, 16 * gib, KJUMP_COMPRESS_LZ4, 0) <=
                       image_threads(64, m + 3 * MIB, 16 * gib, KJUMP_COMPRESS_LZ4, 0));
}

/* Protected images: the RAM comes back under the right key; nothing of it
 * is readable in the file; without the key, under another key, or after
 * any change, even one whose plain checksums were made to match, nothing
 * reaches RAM. */
static bool file_contains(const void *needle, size_t n) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        uint8_t *p;
        bool found = false;

        ASSERT(fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0);
        p = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        ASSERT(p != MAP_FAILED);
        /* The parts with data: a hole holds only zeros (and reading the
         * whole sparse 64 MiB took a second a time under ASan). */
        for (off_t d = lseek(fd, 0, SEEK_DATA); d >= 0 && !found; d = lseek(fd, d, SEEK_DATA)) {
                off_t e = lseek(fd, d, SEEK_HOLE);

                ASSERT(e > d && e <= st.st_size);
                found = memmem(p + d, (size_t) (e - d), needle, n) != NULL;
                d = e;
        }
        munmap(p, (size_t) st.st_size);
        close(fd);
        return found;
}

static void rewrite_header(const struct kjump_image_header *h) {
        int fd = open(path, O_RDWR | O_CLOEXEC);

        ASSERT(fd >= 0);
        ASSERT(pwrite(fd, h, sizeof(*h), 0) == (ssize_t) sizeof(*h));
        close(fd);
}

TEST(protected) {
        _cleanup_(image_key_done) ImageKey key = {}, other = {};
        struct kjump_image_header h, forged;
        const char *error = NULL;
        unsigned n = 0;

        ASSERT_OK(image_key_generate(&key));
        ASSERT_OK(image_key_generate(&other));
        for (uint32_t c = 0; c < _KJUMP_COMPRESS_MAX; c++) {
                write_key = read_key = &key;
                ASSERT_OK(write_image(c, 64 * MIB, &h));
                ASSERT(h.protection == KJUMP_PROTECT_LUKS);
                memset(restored, 0xcc, fake_size);
                ASSERT_OK(read_image(&error, &n));
                ASSERT(n == h.chunk_count);
                assert_ram_restored();
                /* Text pages and incompressible ones: none readable. */
                ASSERT(!file_contains("page 302 text text text", 23));
                ASSERT(!file_contains(fake + 17 * MIB + 4096, 64));
                /* The key block's page is left alone. */
                {
                        static const uint8_t zero[4096];
                        int fd = open(path, O_RDONLY | O_CLOEXEC);
                        uint8_t page[4096];

                        ASSERT(fd >= 0 && pread(fd, page, 4096, (off_t) h.key_offset) == 4096);
                        ASSERT(memcmp(page, zero, 4096) == 0);
                        close(fd);
                }
        }
        /* The same write without a key leaves the text in the clear:
         * the check above can fail. */
        write_key = read_key = NULL;
        ASSERT_OK(write_image(KJUMP_COMPRESS_STORED, 64 * MIB, &h));
        ASSERT(file_contains("page 302 text text text", 23));

        write_key = &key;
        ASSERT_OK(write_image(KJUMP_COMPRESS_LZ4, 64 * MIB, &h));
        n = 0;
        read_key = NULL;
        ASSERT_ERR(read_image(&error, &n), ENOKEY);
        ASSERT(n == 0);
        read_key = &other;
        ASSERT_ERR(read_image(&error, &n), EBADMSG);
        ASSERT(n == 0);
        ASSERT(strstr(error, "does not authenticate"));

        /* Forged header: another jump-back entry, checksum made to match. */
        read_key = &key;
        forged = h;
        forged.jump_back_entry += 0x1000;
        image_header_seal(&forged);
        rewrite_header(&forged);
        ASSERT_ERR(read_image(&error, &n), EBADMSG);
        ASSERT(n == 0);
        ASSERT(strstr(error, "header does not authenticate"));
        rewrite_header(&h);
        ASSERT_OK(read_image(NULL, NULL));

        /* Forged index: a chunk's present bitmap changed, the index's and
         * the header's checksums made to match. */
        {
                struct kjump_chunk first;
                int fd = open(path, O_RDWR | O_CLOEXEC);

                ASSERT(fd >= 0 && pread(fd, &first, sizeof(first), (off_t) h.index_offset) == sizeof(first));
                first.present[0] ^= 1;
                ASSERT(pwrite(fd, &first, sizeof(first), (off_t) h.index_offset) == sizeof(first));
                close(fd);
        }
        {
                _cleanup_free_ struct kjump_chunk *chunks = malloc(h.index_size);
                int fd = open(path, O_RDONLY | O_CLOEXEC);

                ASSERT(fd >= 0 && pread(fd, chunks, h.index_size, (off_t) h.index_offset) == (ssize_t) h.index_size);
                close(fd);
                forged = h;
                forged.index_checksum = image_checksum(chunks, h.index_size, 0);
                image_header_seal(&forged);
                rewrite_header(&forged);
        }
        n = 0;
        ASSERT_ERR(read_image(&error, &n), EBADMSG);
        ASSERT(n == 0);
        ASSERT_STREQ(error, "the header does not authenticate under the image's key (forged, or another key)");

        /* A flipped byte in any chunk's data: refused at that chunk. */
        ASSERT_OK(write_image(KJUMP_COMPRESS_LZ4, 64 * MIB, &h));
        assert_every_chunk_checked(&h, "authentication failed");
        write_key = read_key = NULL;
}

/* Through a split map, found from the device offset of the header alone,
 * as the boot-time restore finds it. */
TEST(located) {
        _cleanup_(target_map_done) TargetMap map = {}, found = {};
        _cleanup_free_ struct kjump_chunk *chunks = NULL;
        struct kjump_image_header h = {}, g;
        const char *error = NULL;
        unsigned n = 0;
        int fd;

        fd = open(path, O_RDWR | O_CLOEXEC);
        ASSERT(fd >= 0);
        ASSERT(ftruncate(fd, 0) == 0 && ftruncate(fd, 160 * MIB) == 0);
        /* Logical [0, 1M) at 8M, [1M, 48M) at 96M: the header is at 8M. */
        map.size = 48 * MIB;
        ASSERT_OK(target_map_add(&map, 0, 8 * MIB, 1 * MIB));
        ASSERT_OK(target_map_add(&map, 1 * MIB, 96 * MIB, 47 * MIB));
        h = (struct kjump_image_header) {
                .version = KJUMP_IMAGE_VERSION, .header_size = KJUMP_IMAGE_HEADER_SIZE,
                .state = KJUMP_STATE_VALID, .compression = KJUMP_COMPRESS_LZ4, .jump_back_entry = 0x1000f2,
                .window_end = 1 * MIB, .target_size = map.size,
        };
        memcpy(h.magic, KJUMP_IMAGE_MAGIC, 8);
        ASSERT_OK(image_write(&(ImageWriteOptions) {
                .fd = fd, .map = &map, .ranges = ram, .n_ranges = ELEMENTSOF(ram),
                .source = { fake_map, fake_unmap, NULL }, .compression = KJUMP_COMPRESS_LZ4, .threads = 2,
        }, &h));
        ASSERT_OK(image_commit_header(fd, &map, &h));
        ASSERT(h.index_offset > 1 * MIB); /* the data crosses into the second extent */

        ASSERT_OK(image_read_located(fd, 8 * MIB, &g, &found, &error));
        ASSERT(found.n == 2 && found.size == map.size);
        ASSERT(found.extents[1].physical == 96 * MIB);
        ASSERT_OK(image_read_index(fd, &found, &g, NULL, &chunks, &error));
        memset(restored, 0, fake_size);
        ASSERT_OK(image_for_each_chunk(fd, &found, &g, chunks, NULL, 2, restore_cb, &n, &error));
        assert_ram_restored();

        /* Not at the header: no image there. */
        target_map_done(&found);
        ASSERT_ERR(image_read_located(fd, 0, &g, &found, &error), ENOMSG);
        close(fd);
}

/* Headers with a valid checksum but impossible contents. */
TEST(sealed_but_wrong) {
        struct kjump_image_header good;
        static const char *const expect[] = {
                "unsupported image format version", "bad header size", "unknown state",
                "too many memory map entries", "bad window", "index outside the target",
                "inconsistent page counts", "no jump-back entry", "unknown compression",
                "kernel release not terminated", "unknown protection", "bad key block offset",
                "the key block overlaps the image", "a key block in an image not protected by LUKS",
                "a TPM NV index that does not match the protection",
        };

        ASSERT_OK(write_image(KJUMP_COMPRESS_LZ4, 64 * MIB, &good));
        for (size_t i = 0; i < ELEMENTSOF(expect); i++) {
                struct kjump_image_header h = good;
                const char *error = NULL;

                switch (i) {
                case 0: h.version = 1; break;
                case 1: h.header_size = 512; break;
                case 2: h.state = 99; break;
                case 3: h.memmap_count = KJUMP_MEMMAP_MAX + 1; break;
                case 4: h.window_end = h.window_start; break;
                case 5: h.index_offset = h.target_size; break;
                case 6: h.pages_stored = h.pages_total + 1; break;
                case 7: h.jump_back_entry = 0; break;
                case 8: h.compression = 7; break;
                case 9: memset(h.kernel_release, 'x', sizeof(h.kernel_release)); break;
                case 10: h.protection = 3; break;
                case 11: h.protection = KJUMP_PROTECT_LUKS; h.key_offset = h.target_size; break;
                case 12: h.protection = KJUMP_PROTECT_LUKS; h.key_offset = h.index_offset; break;
                case 13: h.key_device_offset = 4096; break;
                case 14: h.protection = KJUMP_PROTECT_TPM2; break;
                }
                image_header_seal(&h);
                ASSERT_ERR(image_header_check(&h, &error), EBADMSG);
                ASSERT_STREQ(error, expect[i]);
        }

        struct kjump_image_header h = good;
        memcpy(h.magic, "NOTKJUMP", 8);
        ASSERT_ERR(image_header_check(&h, NULL), ENOMSG);
}

int main(void) {
        int fd = mkstemp(path);

        ASSERT(fd >= 0);
        close(fd);
        fill_fake();
        restored = malloc(fake_size);
        ASSERT(restored);

        test_round_trip();
        test_free_pages_left_out();
        test_cancelled();
        test_adaptive();
        test_free_map();
        test_too_small();
        test_every_header_byte();
        test_every_index_byte();
        test_data_bytes();
        test_decoded_in_place();
        test_threads();
        test_sealed_but_wrong();
        test_located();
        test_protected();

        unlink(path);
        free(fake);
        free(restored);
        return 0;
}

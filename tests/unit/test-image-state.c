/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The image state machine: every (state, event) pair against a table
 * written out by hand, the one invalidate path on a file, and the
 * restorable checks on sealed-but-wrong headers and indexes. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extent-map.h"
#include "fileio.h"
#include "image-reader.h"
#include "image-state.h"
#include "macro.h"
#include "tests.h"

#define X UINT32_MAX /* illegal */
enum { E = KJUMP_STATE_EMPTY, W = KJUMP_STATE_WRITING, V = KJUMP_STATE_VALID, R = KJUMP_STATE_RESTORING,
       C = KJUMP_STATE_CONSUMED, I = KJUMP_STATE_INVALID };

TEST(transitions) {
        /* rows: states in enum order; columns: begin, commit, restore, resumed, invalidate */
        static const uint32_t expect[_KJUMP_STATE_MAX][_IMAGE_EVENT_MAX] = {
                [E] = { W, X, X, X, E },
                [W] = { X, V, X, X, I },
                [V] = { X, X, R, X, I },
                [R] = { X, X, X, C, I },
                [C] = { W, X, X, X, I },
                [I] = { W, X, X, X, I },
        };

        for (uint32_t s = 0; s < _KJUMP_STATE_MAX; s++)
                for (unsigned e = 0; e < _IMAGE_EVENT_MAX; e++) {
                        uint32_t next = 12345;
                        int r = image_state_next(s, (ImageEvent) e, &next);

                        if (expect[s][e] == X) {
                                if (r != -EPERM) {
                                        fprintf(stderr, "%s + %s: expected refusal, got %d -> %u\n",
                                                image_state_to_string(s), image_event_to_string(e), r, next);
                                        abort();
                                }
                                ASSERT(next == 12345);
                        } else {
                                ASSERT_OK(r);
                                if (next != expect[s][e]) {
                                        fprintf(stderr, "%s + %s: expected %s, got %s\n", image_state_to_string(s),
                                                image_event_to_string(e), image_state_to_string(expect[s][e]),
                                                image_state_to_string(next));
                                        abort();
                                }
                        }
                }
        uint32_t next;
        ASSERT_ERR(image_state_next(_KJUMP_STATE_MAX, IMAGE_EVENT_INVALIDATE, &next), EINVAL);
        ASSERT_ERR(image_state_next(99, IMAGE_EVENT_BEGIN, &next), EINVAL);
        ASSERT_ERR(image_state_next(V, _IMAGE_EVENT_MAX, &next), EINVAL);
}

TEST(apply_keeps_first_reason) {
        struct kjump_image_header h = { .state = KJUMP_STATE_VALID };

        ASSERT_OK(image_header_apply(&h, IMAGE_EVENT_INVALIDATE, KJUMP_REASON_NORESUME, "first"));
        ASSERT(h.state == KJUMP_STATE_INVALID && h.reason == KJUMP_REASON_NORESUME);
        ASSERT_STREQ(h.message, "first");
        ASSERT_OK(image_header_apply(&h, IMAGE_EVENT_INVALIDATE, KJUMP_REASON_ERROR, "second"));
        ASSERT(h.reason == KJUMP_REASON_NORESUME);
        ASSERT_STREQ(h.message, "first");
        /* A refused event leaves the header alone. */
        ASSERT_ERR(image_header_apply(&h, IMAGE_EVENT_RESTORE, 0, NULL), EPERM);
        ASSERT(h.state == KJUMP_STATE_INVALID);
}

/* A sealed header for a 1 GiB machine with a 64 MiB window at 0: RAM
 * [0, 0x9f000) and [0x100000, 0x40000000). */
static void machine_header(struct kjump_image_header *h, MemMap *m) {
        *h = (struct kjump_image_header) {
                .version = KJUMP_IMAGE_VERSION, .header_size = KJUMP_IMAGE_HEADER_SIZE,
                .state = KJUMP_STATE_VALID, .window_start = 0, .window_end = 64u << 20,
                .jump_back_entry = 0x100000f2 & ~0xfffu, .chunk_count = 1, .map_count = 1,
        };
        memcpy(h->magic, KJUMP_IMAGE_MAGIC, sizeof(h->magic));
        ASSERT_OK(memmap_add(m, 0, 0x9f000, "System RAM"));
        ASSERT_OK(memmap_add(m, 0x9f000, 0x100000, "Reserved"));
        ASSERT_OK(memmap_add(m, 0x100000, 0x40000000, "System RAM"));
        ASSERT_OK(memmap_add(m, 0xfed00000, 0xfed01000, "Reserved"));
        ASSERT_OK(image_header_set_memmap(h, m));
}

TEST(restorable) {
        _cleanup_(memmap_done) MemMap m = {}, other = {};
        struct kjump_image_header h, bad;
        const char *why = NULL;
        uint32_t code = 0;

        machine_header(&h, &m);
        ASSERT_OK(image_check_restorable(&h, KJUMP_STATE_VALID, &m, &why, &code));
        ASSERT_ERR(image_check_restorable(&h, KJUMP_STATE_RESTORING, &m, &why, &code), ESTALE);

        /* Another machine. */
        ASSERT_OK(memmap_add(&other, 0x100000, 0x80000000, "System RAM"));
        ASSERT_ERR(image_check_restorable(&h, KJUMP_STATE_VALID, &other, &why, &code), ENXIO);
        ASSERT(code == KJUMP_REASON_MISMATCH);

        /* The entry point in the window, at a device, beyond RAM. */
        static const uint64_t entries[] = { 0x1000f2, 0xfed00000, 0x40000000, 0 };
        for (size_t i = 0; i < ELEMENTSOF(entries); i++) {
                bad = h;
                bad.jump_back_entry = entries[i];
                ASSERT_ERR(image_check_restorable(&bad, KJUMP_STATE_VALID, &m, &why, &code), EBADMSG);
                ASSERT(code == KJUMP_REASON_CORRUPT);
        }
        /* A window that is not a range. */
        bad = h;
        bad.window_end = 0;
        ASSERT_ERR(image_check_restorable(&bad, KJUMP_STATE_VALID, &m, &why, &code), EBADMSG);
        bad = h;
        bad.chunk_count = 0;
        ASSERT_ERR(image_check_restorable(&bad, KJUMP_STATE_VALID, &m, &why, &code), EBADMSG);
}

/* The chunks the writer makes for the header's RAM outside the window. */
static size_t tile(const struct kjump_image_header *h, struct kjump_chunk **ret) {
        _cleanup_(memmap_done) MemMap m = {};
        _cleanup_free_ MemRange *ram = NULL;
        MemRange w = { h->window_start, h->window_end };
        struct kjump_chunk *c = NULL;
        size_t n = 0, k = 0;

        ASSERT_OK(image_header_memmap(h, &m));
        ASSERT_OK(memmap_ram_outside(&m, &w, &ram, &n));
        for (size_t i = 0; i < n; i++)
                for (uint64_t p = ram[i].start; p < ram[i].end; p += KJUMP_CHUNK_PAGES * KJUMP_PAGE_SIZE) {
                        c = realloc(c, (k + 1) * sizeof(*c));
                        ASSERT(c);
                        c[k++] = (struct kjump_chunk) {
                                .phys_start = p,
                                .page_count = (uint32_t) MIN((uint64_t) KJUMP_CHUNK_PAGES, (ram[i].end - p) / KJUMP_PAGE_SIZE),
                        };
                }
        *ret = c;
        return k;
}

TEST(index_covers_ram) {
        _cleanup_(memmap_done) MemMap m = {};
        _cleanup_free_ struct kjump_chunk *c = NULL;
        struct kjump_image_header h;
        const char *why = NULL;
        size_t n;

        machine_header(&h, &m);
        n = tile(&h, &c);
        h.chunk_count = n;
        ASSERT_OK(image_check_index_covers_ram(&h, c, &why));

        /* Part of RAM only. */
        h.chunk_count = n - 1;
        ASSERT_ERR(image_check_index_covers_ram(&h, c, &why), EBADMSG);
        h.chunk_count = n;

        /* A chunk at device registers, one beyond RAM, one in the window,
         * one shifted (overlap), one that grows across the end of RAM. */
        static const uint64_t places[] = { 0xfed00000, 0x40000000, 0x1000000, 0x4001000 };
        for (size_t i = 0; i < ELEMENTSOF(places); i++) {
                uint64_t saved = c[n / 2].phys_start;
                c[n / 2].phys_start = places[i];
                ASSERT_ERR(image_check_index_covers_ram(&h, c, &why), EBADMSG);
                c[n / 2].phys_start = saved;
        }
        {
                uint32_t saved = c[n - 1].page_count;
                c[n - 1].page_count = KJUMP_CHUNK_PAGES + 1;
                ASSERT_ERR(image_check_index_covers_ram(&h, c, &why), EBADMSG);
                c[n - 1].page_count = saved;
        }
        /* One chunk too many, past the end of RAM. */
        c = realloc(c, (n + 1) * sizeof(*c));
        ASSERT(c);
        c[n] = (struct kjump_chunk) { .phys_start = 0x40000000, .page_count = 1 };
        h.chunk_count = n + 1;
        ASSERT_ERR(image_check_index_covers_ram(&h, c, &why), EBADMSG);
        h.chunk_count = n;
        ASSERT_OK(image_check_index_covers_ram(&h, c, &why));
}

/* The one invalidate path on a file: a valid image, a damaged header, no
 * header at all. */
TEST(invalidate) {
        _cleanup_(memmap_done) MemMap m = {};
        _cleanup_(target_map_done) TargetMap map = {};
        char path[] = "/tmp/test-image-state-XXXXXX";
        struct kjump_image_header h, back;
        const char *why = NULL;
        int fd;

        fd = mkstemp(path);
        ASSERT(fd >= 0);
        ASSERT(ftruncate(fd, 1u << 20) == 0);
        map.size = 1u << 20;
        ASSERT_OK(target_map_add(&map, 0, 0, map.size));

        /* Nothing there: nothing to do. */
        ASSERT(image_invalidate(fd, &map, KJUMP_REASON_INVALIDATED, "x") == 0);

        machine_header(&h, &m);
        h.target_size = map.size;
        h.data_start = 8192;
        h.index_offset = 8192;
        h.index_size = sizeof(struct kjump_chunk);
        h.chunk_count = 1;
        ASSERT_OK(image_commit_header(fd, &map, &h));
        ASSERT_OK(image_read_header(fd, &map, &back, &why));
        ASSERT(back.state == KJUMP_STATE_VALID);

        ASSERT(image_invalidate(fd, &map, KJUMP_REASON_INVALIDATED, "booted without restoring") == 1);
        ASSERT_OK(image_read_header(fd, &map, &back, &why));
        ASSERT(back.state == KJUMP_STATE_INVALID && back.reason == KJUMP_REASON_INVALIDATED);
        ASSERT_STREQ(back.message, "booted without restoring");
        ASSERT(image_invalidate(fd, &map, KJUMP_REASON_ERROR, "again") == 0);

        /* A damaged header (magic intact) is replaced by a blank invalid one. */
        ASSERT_OK(image_commit_header(fd, &map, &h));
        ASSERT(pwrite(fd, "\xff", 1, 200) == 1);
        ASSERT(image_read_header(fd, &map, &back, &why) == -EBADMSG);
        ASSERT(image_invalidate(fd, &map, KJUMP_REASON_CORRUPT, "damaged") == 1);
        ASSERT_OK(image_read_header(fd, &map, &back, &why));
        ASSERT(back.state == KJUMP_STATE_INVALID && back.reason == KJUMP_REASON_CORRUPT);

        /* State commits refuse illegal moves and leave the disk alone. */
        ASSERT_ERR(image_state_commit(fd, &map, &back, IMAGE_EVENT_RESTORE, 0, NULL), EPERM);
        ASSERT_OK(image_read_header(fd, &map, &h, &why));
        ASSERT(h.state == KJUMP_STATE_INVALID);

        close(fd);
        unlink(path);
}

int main(void) {
        test_transitions();
        test_apply_keeps_first_reason();
        test_restorable();
        test_index_covers_ram();
        test_invalidate();
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "image-reader.h"
#include "image-state.h"
#include "macro.h"

static const char *const event_names[_IMAGE_EVENT_MAX] = {
        [IMAGE_EVENT_BEGIN] = "begin",
        [IMAGE_EVENT_COMMIT] = "commit",
        [IMAGE_EVENT_RESTORE] = "restore",
        [IMAGE_EVENT_RESUMED] = "resumed",
        [IMAGE_EVENT_INVALIDATE] = "invalidate",
};

const char *image_event_to_string(ImageEvent e) {
        return (unsigned) e < _IMAGE_EVENT_MAX ? event_names[e] : NULL;
}

int image_state_next(uint32_t state, ImageEvent e, uint32_t *ret) {
        uint32_t next;

        if (state >= _KJUMP_STATE_MAX || (unsigned) e >= _IMAGE_EVENT_MAX)
                return -EINVAL;

        switch (e) {
        case IMAGE_EVENT_BEGIN:
                /* A new image may replace only one that can never be
                 * restored: a VALID, WRITING or RESTORING image must be
                 * invalidated first, on purpose. */
                if (state != KJUMP_STATE_EMPTY && state != KJUMP_STATE_INVALID && state != KJUMP_STATE_CONSUMED)
                        return -EPERM;
                next = KJUMP_STATE_WRITING;
                break;
        case IMAGE_EVENT_COMMIT:
                if (state != KJUMP_STATE_WRITING)
                        return -EPERM;
                next = KJUMP_STATE_VALID;
                break;
        case IMAGE_EVENT_RESTORE:
                if (state != KJUMP_STATE_VALID)
                        return -EPERM;
                next = KJUMP_STATE_RESTORING;
                break;
        case IMAGE_EVENT_RESUMED:
                if (state != KJUMP_STATE_RESTORING)
                        return -EPERM;
                next = KJUMP_STATE_CONSUMED;
                break;
        case IMAGE_EVENT_INVALIDATE:
                next = state == KJUMP_STATE_EMPTY ? KJUMP_STATE_EMPTY : KJUMP_STATE_INVALID;
                break;
        default:
                return -EINVAL;
        }
        *ret = next;
        return 0;
}

int image_header_apply(struct kjump_image_header *h, ImageEvent e, uint32_t reason, const char *message) {
        uint32_t next;
        int r;

        r = image_state_next(h->state, e, &next);
        if (r < 0)
                return r;
        /* The first reason an image became invalid is the one that counts. */
        if (e == IMAGE_EVENT_INVALIDATE && next == KJUMP_STATE_INVALID && h->state != KJUMP_STATE_INVALID) {
                h->reason = reason;
                snprintf(h->message, sizeof(h->message), "%s", message ?: "");
        }
        h->state = next;
        return 0;
}

int image_state_commit(int fd, const TargetMap *map, struct kjump_image_header *h, ImageEvent e, uint32_t reason,
                       const char *message) {
        struct kjump_image_header copy = *h;
        int r;

        r = image_header_apply(&copy, e, reason, message);
        if (r < 0)
                return r;
        r = image_commit_header(fd, map, &copy);
        if (r < 0)
                return r;
        *h = copy;
        return 0;
}

void image_header_init_invalid(struct kjump_image_header *h, uint64_t target_size, uint32_t reason,
                               const char *message) {
        *h = (struct kjump_image_header) {
                .version = KJUMP_IMAGE_VERSION,
                .header_size = KJUMP_IMAGE_HEADER_SIZE,
                .state = KJUMP_STATE_INVALID,
                .reason = reason,
                .window_end = KJUMP_PAGE_SIZE,
                .target_size = MAX(target_size, (uint64_t) KJUMP_IMAGE_HEADER_SIZE),
        };
        memcpy(h->magic, KJUMP_IMAGE_MAGIC, sizeof(h->magic));
        snprintf(h->message, sizeof(h->message), "%s", message ?: "");
}

int image_invalidate(int fd, const TargetMap *map, uint32_t reason, const char *message) {
        struct kjump_image_header h;
        int r;

        r = image_read_header(fd, map, &h, NULL);
        if (r == -ENOMSG)
                return 0;
        if (r < 0) {
                /* Our magic is there but nothing else holds: make sure it
                 * can never look valid. A failed read is not a verdict:
                 * try to write over it all the same. */
                image_header_init_invalid(&h, map ? map->size : KJUMP_IMAGE_HEADER_SIZE, reason, message);
                r = image_commit_header(fd, map, &h);
                return r < 0 ? r : 1;
        }
        if (h.state == KJUMP_STATE_EMPTY || h.state == KJUMP_STATE_INVALID)
                return 0;
        r = image_state_commit(fd, map, &h, IMAGE_EVENT_INVALIDATE, reason, message);
        return r < 0 ? r : 1;
}

int image_check_restorable(const struct kjump_image_header *h, uint32_t state, const MemMap *firmware,
                           const char **ret_reason, uint32_t *ret_code) {
#define REFUSE(err, code, msg) ({ *ret_reason = (msg); *ret_code = (code); return -(err); })
        if (h->state != state)
                REFUSE(ESTALE, KJUMP_REASON_ERROR, "the image is not in the state a restore needs");
        if (!image_header_memmap_equal(h, firmware))
                REFUSE(ENXIO, KJUMP_REASON_MISMATCH, "the firmware memory map differs from the one at hibernation");
        if (h->window_start % KJUMP_PAGE_SIZE || h->window_end % KJUMP_PAGE_SIZE ||
            h->window_end <= h->window_start)
                REFUSE(EBADMSG, KJUMP_REASON_CORRUPT, "the helper's window is not a page-aligned range");
        if (h->chunk_count == 0 || h->map_count == 0)
                REFUSE(EBADMSG, KJUMP_REASON_CORRUPT, "the image holds no index or no extent map");

        /* The entry point must be in the RAM the image restores: A's code
         * page, never the window (the helper's own memory) nor a device. */
        {
                _cleanup_(memmap_done) MemMap m = {};
                _cleanup_free_ MemRange *ram = NULL;
                MemRange window = { h->window_start, h->window_end };
                size_t n = 0;
                bool inside = false;

                if (image_header_memmap(h, &m) < 0 || memmap_ram_outside(&m, &window, &ram, &n) < 0 || n == 0)
                        REFUSE(EBADMSG, KJUMP_REASON_CORRUPT, "the image's memory map has no RAM outside the window");
                for (size_t i = 0; i < n; i++)
                        if (h->jump_back_entry >= ram[i].start && h->jump_back_entry < ram[i].end)
                                inside = true;
                if (!inside)
                        REFUSE(EBADMSG, KJUMP_REASON_CORRUPT, "the entry point lies outside the RAM the image restores");
        }
        return 0;
#undef REFUSE
}

int image_check_index_covers_ram(const struct kjump_image_header *h, const struct kjump_chunk *chunks,
                                 const char **ret_reason) {
        _cleanup_(memmap_done) MemMap m = {};
        _cleanup_free_ MemRange *ram = NULL;
        MemRange window = { h->window_start, h->window_end };
        size_t n = 0, k = 0;
        uint64_t next;
        int r;

#define REFUSE(msg) ({ if (ret_reason) *ret_reason = (msg); return -EBADMSG; })
        r = image_header_memmap(h, &m);
        if (r < 0)
                return r;
        r = memmap_ram_outside(&m, &window, &ram, &n);
        if (r < 0)
                return r;
        if (n == 0)
                REFUSE("the image's memory map has no RAM outside the window");
        next = ram[0].start;
        for (uint64_t i = 0; i < h->chunk_count; i++) {
                const struct kjump_chunk *c = &chunks[i];
                uint64_t end;

                if (k >= n)
                        REFUSE("the index covers more than the recorded RAM");
                if (c->phys_start != next)
                        REFUSE("the index does not tile the recorded RAM (a gap, an overlap, or memory that is not RAM)");
                if (c->page_count == 0 || c->page_count > KJUMP_CHUNK_PAGES)
                        REFUSE("a chunk has a bad page count");
                end = c->phys_start + (uint64_t) c->page_count * KJUMP_PAGE_SIZE;
                if (end > ram[k].end)
                        REFUSE("a chunk crosses the end of a RAM range");
                next = end;
                if (next == ram[k].end && ++k < n)
                        next = ram[k].start;
        }
        if (k < n)
                REFUSE("the index covers only part of the recorded RAM");
        return 0;
#undef REFUSE
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <lz4.h>
#include <stddef.h>
#include <string.h>
#include <zstd.h>

#include "image-crypto.h"
#include "image-format.h"
#include "macro.h"

static const char *const state_table[_KJUMP_STATE_MAX] = {
        [KJUMP_STATE_EMPTY] = "empty",
        [KJUMP_STATE_WRITING] = "writing",
        [KJUMP_STATE_VALID] = "valid",
        [KJUMP_STATE_RESTORING] = "restoring",
        [KJUMP_STATE_CONSUMED] = "consumed",
        [KJUMP_STATE_INVALID] = "invalid",
};

static const char *const reason_table[_KJUMP_REASON_MAX] = {
        [KJUMP_REASON_NONE] = "none",
        [KJUMP_REASON_TEST] = "test image",
        [KJUMP_REASON_ERROR] = "helper error",
        [KJUMP_REASON_NORESUME] = "kjump.noresume",
        [KJUMP_REASON_MISMATCH] = "not for this machine",
        [KJUMP_REASON_CORRUPT] = "corrupt",
        [KJUMP_REASON_INVALIDATED] = "invalidated",
        [KJUMP_REASON_WOKEN] = "woken from hybrid sleep",
        [KJUMP_REASON_CANCELLED] = "cancelled by the user",
};

/* One word each, for KJUMP-MARK lines. */
static const char *const reason_id_table[_KJUMP_REASON_MAX] = {
        [KJUMP_REASON_NONE] = "none",
        [KJUMP_REASON_TEST] = "test",
        [KJUMP_REASON_ERROR] = "error",
        [KJUMP_REASON_NORESUME] = "noresume",
        [KJUMP_REASON_MISMATCH] = "mismatch",
        [KJUMP_REASON_CORRUPT] = "corrupt",
        [KJUMP_REASON_INVALIDATED] = "invalidated",
        [KJUMP_REASON_WOKEN] = "woken",
        [KJUMP_REASON_CANCELLED] = "cancelled",
};

const char *image_reason_to_id(uint32_t r) {
        return r < _KJUMP_REASON_MAX ? reason_id_table[r] : "unknown";
}

static const char *const compression_table[_KJUMP_COMPRESS_MAX] = {
        [KJUMP_COMPRESS_STORED] = "stored",
        [KJUMP_COMPRESS_LZ4] = "lz4",
        [KJUMP_COMPRESS_ZSTD] = "zstd",
};

const char *image_state_to_string(uint32_t s) {
        return s < _KJUMP_STATE_MAX ? state_table[s] : NULL;
}

const char *image_reason_to_string(uint32_t r) {
        return r < _KJUMP_REASON_MAX ? reason_table[r] : NULL;
}

const char *image_compression_to_string(uint32_t c) {
        return c < _KJUMP_COMPRESS_MAX ? compression_table[c] : NULL;
}

int image_compression_from_string(const char *s) {
        return string_table_lookup(compression_table, ELEMENTSOF(compression_table), s);
}

static uint64_t header_checksum(const struct kjump_image_header *h) {
        struct kjump_image_header copy = *h;

        copy.header_checksum = 0;
        return image_checksum(&copy, sizeof(copy), 0);
}

void image_header_seal(struct kjump_image_header *h) {
        h->header_checksum = header_checksum(h);
}

#define FAIL(msg) ({ if (ret_error) *ret_error = (msg); -EBADMSG; })

int image_header_check(const struct kjump_image_header *h, const char **ret_error) {
        uint64_t data_end;

        if (memcmp(h->magic, KJUMP_IMAGE_MAGIC, sizeof(h->magic)) != 0) {
                if (ret_error)
                        *ret_error = "no kjump image header";
                return -ENOMSG;
        }
        if (h->version != KJUMP_IMAGE_VERSION)
                return FAIL("unsupported image format version");
        if (h->header_size != KJUMP_IMAGE_HEADER_SIZE)
                return FAIL("bad header size");
        if (h->header_checksum != header_checksum(h))
                return FAIL("header checksum mismatch");
        if (h->state >= _KJUMP_STATE_MAX)
                return FAIL("unknown state");
        if (h->reason >= _KJUMP_REASON_MAX)
                return FAIL("unknown reason");
        if (h->compression >= _KJUMP_COMPRESS_MAX)
                return FAIL("unknown compression");
        if (h->protection >= _KJUMP_PROTECT_MAX)
                return FAIL("unknown protection");
        if (h->protection == KJUMP_PROTECT_LUKS &&
            (h->key_offset % KJUMP_PAGE_SIZE || h->key_offset < 2 * KJUMP_IMAGE_HEADER_SIZE ||
             h->key_offset > h->target_size - KJUMP_PAGE_SIZE || h->key_device_offset % KJUMP_PAGE_SIZE))
                return FAIL("bad key block offset");
        if (h->protection != KJUMP_PROTECT_LUKS && (h->key_offset || h->key_device_offset))
                return FAIL("a key block in an image not protected by LUKS");
        if ((h->protection == KJUMP_PROTECT_TPM2) != (h->key_nv_index != 0))
                return FAIL("a TPM NV index that does not match the protection");
        if (memchr(h->kernel_release, 0, sizeof(h->kernel_release)) == NULL)
                return FAIL("kernel release not terminated");
        if (memchr(h->message, 0, sizeof(h->message)) == NULL)
                return FAIL("message not terminated");
        if (memchr(h->helper_cmdline, 0, sizeof(h->helper_cmdline)) == NULL)
                return FAIL("helper command line not terminated");
        if (h->memmap_count > KJUMP_MEMMAP_MAX)
                return FAIL("too many memory map entries");
        for (uint32_t i = 0; i < h->memmap_count; i++) {
                if (h->memmap[i].end <= h->memmap[i].start)
                        return FAIL("empty memory map entry");
                if (i > 0 && h->memmap[i].start < h->memmap[i - 1].start)
                        return FAIL("memory map not sorted");
        }
        if (h->window_end <= h->window_start || h->window_start % KJUMP_PAGE_SIZE ||
            h->window_end % KJUMP_PAGE_SIZE)
                return FAIL("bad window");
        if (h->target_size < KJUMP_IMAGE_HEADER_SIZE || h->target_size % KJUMP_PAGE_SIZE)
                return FAIL("bad target size");

        /* Nothing more is promised about an image that was never completed. */
        if (h->state == KJUMP_STATE_EMPTY || h->state == KJUMP_STATE_WRITING ||
            (h->state == KJUMP_STATE_INVALID && h->chunk_count == 0))
                return 0;

        if (h->chunk_count == 0)
                return FAIL("no chunks");
        if (h->data_start % KJUMP_PAGE_SIZE || h->data_start < 2 * KJUMP_IMAGE_HEADER_SIZE ||
            h->data_start > h->target_size)
                return FAIL("bad data start");
        if (h->map_count == 0 || h->map_count > (h->data_start - KJUMP_IMAGE_HEADER_SIZE) / sizeof(struct kjump_extent))
                return FAIL("bad extent map size");
        if (h->chunk_count > UINT64_MAX / sizeof(struct kjump_chunk) ||
            h->index_size != h->chunk_count * sizeof(struct kjump_chunk))
                return FAIL("index size does not match the chunk count");
        if (h->pages_stored > h->pages_total || h->pages_free > h->pages_total - h->pages_stored ||
            h->pages_total > h->chunk_count * KJUMP_CHUNK_PAGES ||
            h->ram_bytes != h->pages_total * KJUMP_PAGE_SIZE)
                return FAIL("inconsistent page counts");
        if (__builtin_add_overflow(h->data_start, h->data_bytes, &data_end) ||
            h->index_offset < data_end || h->index_offset > h->target_size ||
            h->index_size > h->target_size - h->index_offset)
                return FAIL("index outside the target");
        if (h->state != KJUMP_STATE_INVALID && h->jump_back_entry == 0)
                return FAIL("no jump-back entry");
        if (h->protection == KJUMP_PROTECT_LUKS && h->key_offset < h->index_offset + h->index_size &&
            h->key_offset + KJUMP_PAGE_SIZE > h->data_start)
                return FAIL("the key block overlaps the image");
        if (h->free_map_offset != 0) {
                if (h->free_map_size != (h->pages_total + 7) / 8 || h->pages_free == 0 ||
                    h->free_map_offset % KJUMP_PAGE_SIZE || h->free_map_offset < h->index_offset + h->index_size ||
                    h->free_map_offset > h->target_size || h->free_map_size > h->target_size - h->free_map_offset)
                        return FAIL("bad free-page map");
                if (h->protection == KJUMP_PROTECT_LUKS && h->key_offset < h->free_map_offset + h->free_map_size &&
                    h->key_offset + KJUMP_PAGE_SIZE > h->free_map_offset)
                        return FAIL("the key block overlaps the free-page map");
        } else if (h->free_map_size != 0 || h->free_map_checksum != 0)
                return FAIL("bad free-page map");
        return 0;
}

int image_index_check(const struct kjump_image_header *h, const struct kjump_chunk *chunks,
                      const char **ret_error) {
        uint64_t pages = 0, stored = 0, next_data = h->data_start, prev_end = 0;
        uint32_t tag = h->protection != KJUMP_PROTECT_NONE ? KJUMP_AEAD_TAG_SIZE : 0;

        if (image_checksum(chunks, h->index_size, 0) != h->index_checksum)
                return FAIL("index checksum mismatch");

        for (uint64_t i = 0; i < h->chunk_count; i++) {
                const struct kjump_chunk *c = &chunks[i];
                unsigned present = image_chunk_present_pages(c);
                uint64_t end;

                if (c->page_count == 0 || c->page_count > KJUMP_CHUNK_PAGES)
                        return FAIL("chunk with a bad page count");
                if (c->phys_start % KJUMP_PAGE_SIZE)
                        return FAIL("chunk not page aligned");
                end = c->phys_start + (uint64_t) c->page_count * KJUMP_PAGE_SIZE;
                if (end < c->phys_start || (i > 0 && c->phys_start < prev_end))
                        return FAIL("chunks overlap or are out of order");
                if (c->phys_start < h->window_end && end > h->window_start)
                        return FAIL("chunk inside the helper's window");
                for (unsigned p = c->page_count; p < KJUMP_CHUNK_PAGES; p++)
                        if (image_chunk_page_present(c, p))
                                return FAIL("present bit beyond the chunk's pages");
                if (c->raw_size != present * KJUMP_PAGE_SIZE)
                        return FAIL("chunk raw size does not match its pages");
                if (c->compression >= _KJUMP_COMPRESS_MAX)
                        return FAIL("chunk with an unknown compression");
                if ((c->data_size == 0) != (present == 0))
                        return FAIL("chunk data size does not match its pages");
                if (c->compression == KJUMP_COMPRESS_STORED && c->data_size > 0 && c->data_size != c->raw_size + tag)
                        return FAIL("stored chunk with a wrong size");
                if (c->data_size > 0 && c->data_size <= tag)
                        return FAIL("protected chunk without its tag");
                if (c->data_size > image_chunk_bound())
                        return FAIL("chunk data too large");
                if (c->data_size > 0) {
                        if (c->data_offset != next_data)
                                return FAIL("chunk data not contiguous");
                        next_data += c->data_size;
                }
                pages += c->page_count;
                stored += present;
                prev_end = end;
        }
        if (pages != h->pages_total || stored != h->pages_stored)
                return FAIL("page totals do not match the index");
        if (next_data - h->data_start != h->data_bytes)
                return FAIL("data size does not match the index");
        return 0;
}

unsigned image_chunk_present_pages(const struct kjump_chunk *c) {
        unsigned n = 0;

        for (size_t i = 0; i < sizeof(c->present); i++)
                n += __builtin_popcount(c->present[i]);
        return n;
}

size_t image_chunk_bound(void) {
        size_t raw = KJUMP_CHUNK_PAGES * KJUMP_PAGE_SIZE;
        return MAX((size_t) LZ4_compressBound(raw), ZSTD_compressBound(raw)) + KJUMP_AEAD_TAG_SIZE;
}

int image_chunk_encode_stored(struct kjump_chunk *c, const void *raw, size_t raw_size) {
        if (raw_size > KJUMP_CHUNK_PAGES * KJUMP_PAGE_SIZE || raw_size % KJUMP_PAGE_SIZE)
                return -EINVAL;
        c->raw_size = raw_size;
        c->checksum = image_checksum(raw, raw_size, c->phys_start);
        c->compression = KJUMP_COMPRESS_STORED;
        c->data_size = raw_size;
        return 0;
}

int image_chunk_encode(struct kjump_chunk *c, uint32_t compression, int level, const void *raw,
                       size_t raw_size, void *out, const ImageKey *key, const uint8_t image_id[16]) {
        size_t n = 0;
        int r;

        r = image_chunk_encode_stored(c, raw, raw_size);
        if (r < 0 || raw_size == 0)
                return r;

        switch (compression) {
        case KJUMP_COMPRESS_LZ4: {
                int k = LZ4_compress_fast(raw, out, (int) raw_size, LZ4_compressBound((int) raw_size),
                                          MAX(level, 1));
                n = k > 0 ? (size_t) k : 0;
                break;
        }
        case KJUMP_COMPRESS_ZSTD:
                n = ZSTD_compress(out, image_chunk_bound(), raw, raw_size, level > 0 ? level : 1);
                if (ZSTD_isError(n))
                        n = 0;
                break;
        case KJUMP_COMPRESS_STORED:
                break;
        default:
                return -EINVAL;
        }

        if (n == 0 || n >= raw_size) {
                memcpy(out, raw, raw_size);
                c->compression = KJUMP_COMPRESS_STORED;
                n = raw_size;
        } else
                c->compression = compression;
        c->data_size = n;
        if (key) {
                r = image_chunk_seal(key, image_id, c, out, n);
                if (r < 0)
                        return r;
                c->data_size += KJUMP_AEAD_TAG_SIZE;
        }
        return 0;
}

int image_chunk_decode(const struct kjump_chunk *c, uint8_t *data, void *out, const ImageKey *key,
                       const uint8_t image_id[16], const char **ret_error) {
        uint32_t size = c->data_size;

        if (key) {
                /* Opened in place: nothing unauthenticated is decompressed. */
                if (image_chunk_open(key, image_id, c, data, size, data) < 0)
                        return FAIL("chunk authentication failed (changed, moved, or another key)");
                size -= KJUMP_AEAD_TAG_SIZE;
        }
        switch (c->compression) {
        case KJUMP_COMPRESS_STORED:
                if (size != c->raw_size)
                        return FAIL("stored chunk with a wrong size");
                memcpy(out, data, c->raw_size);
                break;
        case KJUMP_COMPRESS_LZ4: {
                int k = LZ4_decompress_safe((const char *) data, out, (int) size, (int) c->raw_size);
                if (k < 0 || (uint32_t) k != c->raw_size)
                        return FAIL("LZ4 data does not decompress to the chunk's size");
                break;
        }
        case KJUMP_COMPRESS_ZSTD: {
                size_t k = ZSTD_decompress(out, c->raw_size, data, size);
                if (ZSTD_isError(k) || k != c->raw_size)
                        return FAIL("zstd data does not decompress to the chunk's size");
                break;
        }
        default:
                return FAIL("chunk with an unknown compression");
        }
        if (image_checksum(out, c->raw_size, c->phys_start) != c->checksum)
                return FAIL("chunk checksum mismatch");
        return 0;
}

bool image_header_memmap_equal(const struct kjump_image_header *h, const MemMap *m) {
        if (h->memmap_count != m->n)
                return false;
        for (size_t i = 0; i < m->n; i++)
                if (h->memmap[i].start != m->entries[i].range.start || h->memmap[i].end != m->entries[i].range.end ||
                    (h->memmap[i].type == KJUMP_MEMMAP_RAM) != (m->entries[i].type == MEM_RAM))
                        return false;
        return true;
}

int image_header_set_memmap(struct kjump_image_header *h, const MemMap *m) {
        if (m->n > KJUMP_MEMMAP_MAX)
                return -E2BIG;
        h->memmap_count = (uint32_t) m->n;
        for (size_t i = 0; i < m->n; i++)
                h->memmap[i] = (struct kjump_memmap_entry) {
                        .start = m->entries[i].range.start,
                        .end = m->entries[i].range.end,
                        .type = m->entries[i].type == MEM_RAM ? KJUMP_MEMMAP_RAM : KJUMP_MEMMAP_OTHER,
                };
        return 0;
}

int image_header_memmap(const struct kjump_image_header *h, MemMap *ret) {
        _cleanup_(memmap_done) MemMap m = {};
        int r;

        for (uint32_t i = 0; i < h->memmap_count && i < KJUMP_MEMMAP_MAX; i++) {
                r = memmap_add(&m, h->memmap[i].start, h->memmap[i].end,
                               h->memmap[i].type == KJUMP_MEMMAP_RAM ? "System RAM" : "Reserved");
                if (r < 0)
                        return r;
        }
        *ret = m;
        m = (MemMap) {};
        return 0;
}

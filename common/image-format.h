/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checksum.h"
#include "image-crypto.h"
#include "kjump/image.h"
#include "memmap.h"

const char *image_state_to_string(uint32_t state);
const char *image_reason_to_string(uint32_t reason);
/* The reason as one word (KJUMP-MARK lines). */
const char *image_reason_to_id(uint32_t reason);
const char *image_compression_to_string(uint32_t c);
int image_compression_from_string(const char *s);

/* Computes and stores header_checksum. */
void image_header_seal(struct kjump_image_header *h);

/* Checks everything that can be checked of a header alone: magic, version,
 * checksum, ranges of every field, the index's geometry. On failure returns
 * -EBADMSG (or -ENOMSG when there is no kjump header at all: a fresh target)
 * and a reason in *ret_error (static string). */
int image_header_check(const struct kjump_image_header *h, const char **ret_error);

/* Checks the index against its header: checksum, order, bounds, totals. */
int image_index_check(const struct kjump_image_header *h, const struct kjump_chunk *chunks,
                      const char **ret_error);

/* The worst-case compressed size of one chunk's data. */
size_t image_chunk_bound(void);

/* Compresses RAW (n_present pages) with C into OUT (image_chunk_bound()
 * bytes) and fills the chunk's compression, data_size, raw_size and
 * checksum. Falls back to STORED when compression does not help. With KEY
 * (NULL: an unprotected image) the data is then sealed for IMAGE_ID. */
int image_chunk_encode(struct kjump_chunk *chunk, uint32_t compression, int level, const void *raw,
                       size_t raw_size, void *out, const ImageKey *key, const uint8_t image_id[16]);
/* Fills the chunk's fields for RAW stored as is in an unprotected image,
 * without copying it: the chunk's data is RAW itself. */
int image_chunk_encode_stored(struct kjump_chunk *chunk, const void *raw, size_t raw_size);

/* Opens DATA (with KEY, in place) and decompresses it into OUT
 * (chunk->raw_size bytes), and checks the checksum. */
int image_chunk_decode(const struct kjump_chunk *chunk, uint8_t *data, void *out, const ImageKey *key,
                       const uint8_t image_id[16], const char **ret_error);

/* Number of present pages. */
unsigned image_chunk_present_pages(const struct kjump_chunk *chunk);
static inline bool image_chunk_page_present(const struct kjump_chunk *c, unsigned i) {
        return c->present[i / 8] & (1u << (i % 8));
}

/* True when the header's firmware memory map is M. */
bool image_header_memmap_equal(const struct kjump_image_header *h, const MemMap *m);
/* Records M in the header (-E2BIG: more than KJUMP_MEMMAP_MAX entries). */
int image_header_set_memmap(struct kjump_image_header *h, const MemMap *m);
/* The header's memory map as a MemMap. */
int image_header_memmap(const struct kjump_image_header *h, MemMap *ret);


/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "extent-map.h"
#include "image-format.h"

/* Seals H and writes it at offset 0, then flushes the device. */
int image_commit_header(int fd, const TargetMap *map, struct kjump_image_header *h);

/* Reads and checks the header (image_header_check()). */
int image_read_header(int fd, const TargetMap *map, struct kjump_image_header *ret, const char **ret_error);

/* For a reader that knows only the device and the physical OFFSET of the
 * header (the boot-time restore): reads the header there, then the extent
 * map that follows it, and returns both. For an image that was never
 * completed *ret_map maps the header alone. */
int image_read_located(int fd, uint64_t offset, struct kjump_image_header *ret, TargetMap *ret_map,
                       const char **ret_error);

/* A protected header's MAC, under KEY: -ENOKEY without a key, -EBADMSG
 * when it does not authenticate. 0 for an unprotected image. */
int image_authenticate_header(const struct kjump_image_header *h, const ImageKey *key, const char **ret_error);

/* Reads and checks the index of a checked header, the extent map and the
 * free-page map; for a protected image authenticates the header, the
 * index and the maps under KEY first (-ENOKEY: no KEY). */
int image_read_index(int fd, const TargetMap *map, const struct kjump_image_header *h, const ImageKey *key,
                     struct kjump_chunk **ret, const char **ret_error);
/* The same, handing back the checked free-page map too, as
 * image_read_free_map() does (*RET_FREE_MAP NULL: the image has none). */
int image_read_index_and_free_map(int fd, const TargetMap *map, const struct kjump_image_header *h,
                                  const ImageKey *key, struct kjump_chunk **ret, uint8_t **ret_free_map,
                                  const char **ret_error);

/* Reads and checks the free-page map of an image whose index CHUNKS was
 * read and checked: its checksum (and MAC under KEY when protected), that
 * no page with data is marked, and that it marks exactly pages_free
 * pages. *RET (when RET is given): the map, or NULL when the image has
 * none (every absent page restored as zero). */
int image_read_free_map(int fd, const TargetMap *map, const struct kjump_image_header *h, const ImageKey *key,
                        const struct kjump_chunk *chunks, uint8_t **ret, const char **ret_error);

/* Is page I of CHUNK, whose first page is bit FIRST of FREE_MAP, free (left alone at a restore)? */
static inline bool image_free_map_test(const uint8_t *free_map, uint64_t first, unsigned i) {
        return free_map && (free_map[(first + i) / 8] & (1u << ((first + i) % 8)));
}

/* Reads the data of every chunk in order (one thread, sequential
 * read-ahead), decodes and checks it in THREADS threads, and calls CB with
 * the chunk and its raw present pages (NULL when none is present). CB is
 * called from several threads, in no particular order. Stops at the first
 * error: a bad chunk is -EBADMSG with a reason. */
typedef int (*ImageChunkCallback)(void *userdata, const struct kjump_chunk *c, const uint8_t *raw);
int image_for_each_chunk(int fd, const TargetMap *map, const struct kjump_image_header *h,
                         const struct kjump_chunk *chunks, const ImageKey *key, unsigned threads,
                         ImageChunkCallback cb, void *userdata, const char **ret_error);

/* Where image_for_each_chunk()'s time went, in microseconds, summed over
 * its workers (each reads a chunk, then decodes it): reading chunk data,
 * decoding and checking it, in CB, and in CB for the chunks without data. */
typedef struct ImageReadTimes {
        uint64_t read_usec, decode_usec, callback_usec;
        uint64_t empty_usec;
} ImageReadTimes;
/* PLACE (optional, with UNPLACE): where chunk C's raw present pages may be
 * decoded straight into (c->raw_size bytes), or NULL for a buffer of the
 * reader's; CB then gets that pointer as RAW. Every pointer PLACE gave is
 * handed back to UNPLACE: after CB, or instead of it when decoding into it
 * failed (its bytes are undefined then). */
typedef uint8_t *(*ImageChunkPlace)(void *userdata, const struct kjump_chunk *c);
typedef void (*ImageChunkUnplace)(void *userdata, const struct kjump_chunk *c, uint8_t *p);
int image_for_each_chunk_timed(int fd, const TargetMap *map, const struct kjump_image_header *h,
                               const struct kjump_chunk *chunks, const ImageKey *key, unsigned threads,
                               ImageChunkCallback cb, ImageChunkPlace place, ImageChunkUnplace unplace,
                               void *userdata, ImageReadTimes *ret_times, const char **ret_error);

/* Allocates N bytes aligned for O_DIRECT. */
void *aligned_alloc_direct(size_t n);

/* Reads, decodes and checks every chunk (image_for_each_chunk()), keeping
 * nothing: the whole-image verification. */
int image_verify(int fd, const TargetMap *map, const struct kjump_image_header *h, const struct kjump_chunk *chunks,
                 const ImageKey *key, unsigned threads, const char **ret_error);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "extent-map.h"
#include "image-format.h"
#include "memmap.h"

/* Where the writer reads the original kernel's RAM from: /dev/mem in the
 * helper, a buffer in the tests. */
typedef struct ImageSource {
        /* Maps LENGTH bytes at physical address PHYS for reading; NULL
         * with errno set on failure. Called from several threads. */
        void *(*map)(void *userdata, uint64_t phys, size_t length);
        void (*unmap)(void *userdata, void *p, size_t length);
        void *userdata;
} ImageSource;

typedef struct ImageWriteOptions {
        int fd;                    /* the target, opened O_DIRECT where possible */
        const TargetMap *map;      /* its logical space on fd */
        const MemRange *ranges;    /* the RAM to save, sorted */
        size_t n_ranges;
        ImageSource source;
        uint32_t compression;
        int level;
        /* The adaptive policy: a chunk is compressed only while at least
         * COMPRESS_PENDING writes are queued or under way (0: always, the
         * policy off; IMAGE_COMPRESS_PENDING: on), or when the rest of the
         * image would not fit uncompressed; otherwise it is stored as is. */
        unsigned compress_pending;
        /* Record which pages were left out as free in A (free_pages), apart
         * from zero pages, so that a restore leaves them alone: only when A
         * does not need its free pages zero (init_on_free). */
        bool free_map;
        unsigned threads;          /* compression threads, >= 1 */
        /* Protection: the image's key and id (NULL: plaintext). The header
         * passed to image_write() must say the same (protection, and the
         * key block's offset, which the image stays clear of). */
        const ImageKey *key;
        const uint8_t *image_id;
        /* A's free pages (free-pages.h), never read nor saved; NULL: none
         * known. Its ranges must be RANGES. */
        const struct FreePages *free_pages;
        /* Called after every chunk from the writing thread; a negative
         * return (-ECANCELED: the user cancelled) stops the write with it. */
        int (*progress)(void *userdata, uint64_t ram_done, uint64_t ram_total, uint64_t written);
        void *progress_userdata;
        /* Where the time went, when not NULL (microseconds): the workers,
         * summed over threads, reading RAM (mapping, zero checks, copies)
         * and encoding (checksum, compression, sealing); the writing thread
         * waiting for the workers, and handing the data to the target. */
        struct ImageWriteTimes {
                uint64_t scan_usec, encode_usec, wait_usec, output_usec;
                /* The chunks with data, and those the adaptive policy stored
                 * without compressing them. */
                uint64_t chunks_data, chunks_raw;
        } *times;
} ImageWriteOptions;

/* The adaptive policy's threshold: compressing pays while at least 2
 * writes are queued or under way, half of those image_write() keeps in
 * flight: the target sets the pace, and smaller chunks reach it sooner.
 * With fewer, the target is waiting for the compressors, and a chunk
 * stored as is (checksummed, and sealed when the image is encrypted)
 * reaches it sooner. A slow disk gets every chunk compressed, a disk
 * faster than the compressors as many stored as keeps it busy. */
#define IMAGE_COMPRESS_PENDING 2u

/* How many threads image_write() and image_for_each_chunk() may use for
 * RAM_BYTES of A's RAM when AVAIL_BYTES of memory are free: one per CPU,
 * as far as the memory goes (each needs a chunk's raw pages, two encoded
 * slots and, with zstd, a compression context; the write buffers, a
 * restore's second worker, the index, the free-page bitmap and a margin
 * come first). At least 1. */
unsigned image_threads(unsigned cpus, uint64_t avail_bytes, uint64_t ram_bytes, uint32_t compression, int level);

/* Writes the chunk data and the index, flushes them, and fills H's totals
 * (chunk_count, pages_* (pages_free too), ram_bytes, data_bytes, index_*,
 * and with a key map_mac and index_mac). Does not write the header:
 * authenticate it (image_header_mac()) and commit it with
 * image_commit_header(). -ENOSPC when the image does not fit. */
int image_write(const ImageWriteOptions *o, struct kjump_image_header *h);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writes the seed images of tests/fuzz/corpus/image: small valid images in
 * each codec, with zero, text and random pages, made by the real writer.
 *   gen-image-corpus DIR */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "image-reader.h"
#include "image-writer.h"
#include "macro.h"

static uint8_t ram[3u << 20];

static void *map(void *u, uint64_t phys, size_t length) {
        return ram + phys;
}

static void unmap(void *u, void *p, size_t length) {
}

int main(int argc, char *argv[]) {
        static const MemRange ranges[] = { { 0x100000, 0x110000 }, { 0x200000, 0x209000 } };
        uint64_t x = 88172645463325252ull;

        if (argc != 2)
                return 2;
        for (size_t p = 0; p < sizeof(ram); p += 4096) {
                if ((p / 4096) % 7 == 0 || (p / 4096) % 7 == 3)
                        continue;
                if ((p / 4096) % 7 != 2)
                        snprintf((char *) ram + p, 4096, "page %zu of the seed corpus", p / 4096);
                else
                        for (size_t k = 0; k < 4096; k += 8) {
                                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                                memcpy(ram + p + k, &x, 8);
                        }
        }
        for (uint32_t c = 0; c < _KJUMP_COMPRESS_MAX; c++) {
                char path[512];
                TargetMap m = { .size = 4u << 20 };
                struct kjump_image_header h = {
                        .version = KJUMP_IMAGE_VERSION, .header_size = KJUMP_IMAGE_HEADER_SIZE,
                        .state = KJUMP_STATE_VALID, .compression = c, .jump_back_entry = 0x10000f2,
                        .window_start = 0, .window_end = 0x100000, .target_size = 4u << 20,
                        .memmap_count = 1, .memmap = { { 0, 0x300000, 1, 0 } },
                };
                int fd;

                memcpy(h.magic, KJUMP_IMAGE_MAGIC, 8);
                snprintf(path, sizeof(path), "%s/seed-%s.img", argv[1], image_compression_to_string(c));
                fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || ftruncate(fd, 4u << 20) < 0 || target_map_add(&m, 0, 0, 4u << 20) < 0)
                        return 1;
                if (image_write(&(ImageWriteOptions) { .fd = fd, .map = &m, .ranges = ranges, .n_ranges = 2,
                                                       .source = { map, unmap, NULL }, .compression = c,
                                                       .threads = 1 }, &h) < 0 ||
                    image_commit_header(fd, &m, &h) < 0)
                        return 1;
                /* Trim to what the image uses, so the seeds stay small. */
                h.target_size = ALIGN_TO(h.index_offset + h.index_size, (uint64_t) 4096);
                if (image_commit_header(fd, &m, &h) < 0 || ftruncate(fd, (off_t) h.target_size) < 0)
                        return 1;
                close(fd);
                target_map_done(&m);
        }
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzzes the image reader with whole images: header, index and chunk data,
 * as kjumpctl inspect --verify and the restore path read them.
 *
 * Built with -Dfuzzer=true it is a libFuzzer target; otherwise it is a plain
 * replay binary: fuzz-image FILE|DIR... runs every input once (the corpus in
 * tests/fuzz/corpus/image runs this way in the test suite). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "image-reader.h"
#include "image-state.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_chunk(void *userdata, const struct kjump_chunk *c, const uint8_t *raw) {
        __atomic_fetch_add((uint64_t *) userdata, c->page_count, __ATOMIC_RELAXED);
        return 0;
}

/* The reader as kjumpctl inspect --verify and the boot-time restore use it,
 * on FD as it is. */
static void read_image(int fd) {
        _cleanup_free_ struct kjump_chunk *chunks = NULL;
        _cleanup_(target_map_done) TargetMap map = {};
        _cleanup_(memmap_done) MemMap firmware = {};
        struct kjump_image_header h, located;
        const char *why = NULL;
        uint32_t code;
        uint64_t pages = 0;

        /* The boot-time reader: header and extent map at offset 0. */
        if (image_read_located(fd, 0, &located, &map, &why) >= 0 && image_header_memmap(&located, &firmware) >= 0)
                (void) image_check_restorable(&located, KJUMP_STATE_VALID, &firmware, &why, &code);

        if (image_read_header(fd, NULL, &h, NULL) < 0)
                return;
        if (h.chunk_count == 0 || image_read_index(fd, NULL, &h, NULL, &chunks, NULL) < 0)
                return;
        (void) image_check_index_covers_ram(&h, chunks, &why);
        if (image_for_each_chunk(fd, NULL, &h, chunks, NULL, 2, count_chunk, &pages, NULL) < 0)
                return;
        /* Everything checked out: the index must have said so. */
        if (pages != h.pages_total)
                abort();
}

/* Seals the header and index checksums of the input again, so that
 * mutations reach the checks behind them: the geometry, the index's
 * binding to RAM, the restorable check. */
static void reseal(uint8_t *data, size_t size) {
        struct kjump_image_header h;

        if (size < sizeof(h))
                return;
        memcpy(&h, data, sizeof(h));
        if (h.index_size <= size && h.index_offset <= size - h.index_size)
                h.index_checksum = image_checksum(data + h.index_offset, (size_t) h.index_size, 0);
        if (h.map_count <= KJUMP_IMAGE_HEADER_SIZE && sizeof(h) + (size_t) h.map_count * sizeof(struct kjump_extent) <= size)
                h.map_checksum = image_checksum(data + sizeof(h), (size_t) h.map_count * sizeof(struct kjump_extent), 0);
        image_header_seal(&h);
        memcpy(data, &h, sizeof(h));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ uint8_t *copy = NULL;

        if (size > (64u << 20))
                return 0;
        for (int pass = 0; pass < 2; pass++) {
                _cleanup_close_ int fd = memfd_create("fuzz-image", MFD_CLOEXEC);
                const uint8_t *p = data;

                if (pass == 1) {
                        copy = malloc(size ?: 1);
                        if (!copy)
                                abort();
                        memcpy(copy, data, size);
                        reseal(copy, size);
                        p = copy;
                }
                if (fd < 0 || write_full(fd, p, size) < 0)
                        abort();
                read_image(fd);
        }
        return 0;
}

#ifndef KJUMP_LIBFUZZER
static int replay(const char *path, unsigned *n) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        struct stat st;
        int r;

        if (stat(path, &st) < 0)
                return negative_errno();
        if (S_ISDIR(st.st_mode)) {
                struct dirent **list;
                int k = scandir(path, &list, NULL, alphasort);
                if (k < 0)
                        return negative_errno();
                r = 0;
                for (int i = 0; i < k; i++) {
                        _cleanup_free_ char *sub = NULL;
                        if (list[i]->d_name[0] != '.' && asprintf(&sub, "%s/%s", path, list[i]->d_name) >= 0 && r >= 0)
                                r = replay(sub, n);
                        free(list[i]);
                }
                free(list);
                return r;
        }
        r = read_full_file(path, 64u << 20, &data, &size);
        if (r < 0)
                return r;
        LLVMFuzzerTestOneInput((const uint8_t *) data, size);
        (*n)++;
        return 0;
}

int main(int argc, char *argv[]) {
        unsigned n = 0;

        for (int i = 1; i < argc; i++) {
                int r = replay(argv[i], &n);
                if (r < 0) {
                        fprintf(stderr, "fuzz-image: %s: %s\n", argv[i], strerror(-r));
                        return 1;
                }
        }
        printf("fuzz-image: %u inputs replayed\n", n);
        return n > 0 ? 0 : 1;
}
#endif

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
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_chunk(void *userdata, const struct kjump_chunk *c, const uint8_t *raw) {
        __atomic_fetch_add((uint64_t *) userdata, c->page_count, __ATOMIC_RELAXED);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ struct kjump_chunk *chunks = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct kjump_image_header h;
        uint64_t pages = 0;

        if (size > (64u << 20))
                return 0;
        fd = memfd_create("fuzz-image", MFD_CLOEXEC);
        if (fd < 0 || write_full(fd, data, size) < 0)
                abort();

        if (image_read_header(fd, NULL, &h, NULL) < 0)
                return 0;
        if (h.chunk_count == 0 || image_read_index(fd, NULL, &h, &chunks, NULL) < 0)
                return 0;
        if (image_for_each_chunk(fd, NULL, &h, chunks, 2, count_chunk, &pages, NULL) < 0)
                return 0;
        /* Everything checked out: the index must have said so. */
        if (pages != h.pages_total)
                abort();
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

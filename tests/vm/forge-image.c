/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* forge-image FILE OFFSET: turns the image whose header is at OFFSET of
 * FILE (a disk image) into a forgery that passes every checksum and every
 * check of the index's own order: its last chunk is moved onto device
 * registers (0xfed00000, above all RAM of a small guest), then the index
 * checksum and the header checksum are computed again. Exactly what an
 * attacker who can write the target could do to an unkeyed image; the
 * forged-image scenario proves that nothing restores it. A protected
 * image gets the same treatment without its key (forged-image-tpm2): its
 * MACs no longer match. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "extent-map.h"
#include "fileio.h"
#include "image-reader.h"
#include "macro.h"

int main(int argc, char *argv[]) {
        _cleanup_(target_map_done) TargetMap map = {};
        _cleanup_free_ struct kjump_chunk *chunks = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct kjump_image_header h;
        const char *why = NULL;
        uint64_t offset;
        int r;

        if (argc != 3 || parse_u64(argv[2], &offset) < 0) {
                fprintf(stderr, "usage: forge-image FILE OFFSET\n");
                return 2;
        }
        fd = open(argv[1], O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                perror(argv[1]);
                return 1;
        }
        r = image_read_located(fd, offset, &h, &map, &why);
        if (r >= 0)
                r = image_read_index(fd, &map, &h, NULL, &chunks, &why);
        if (r == -ENOKEY) {
                /* A protected image: its index is plaintext, only its MAC is
                 * out of reach. The forger changes it all the same. */
                size_t n = ALIGN_TO((size_t) h.index_size, (size_t) 4096);

                chunks = aligned_alloc_direct(n);
                r = chunks ? target_pread(fd, &map, chunks, n, h.index_offset) : -ENOMEM;
                why = "cannot read the index";
        }
        if (r < 0) {
                fprintf(stderr, "forge-image: no complete image at %" PRIu64 ": %s\n", offset, why ?: "error");
                return 1;
        }
        if (chunks[h.chunk_count - 1].phys_start >= 0xfed00000) {
                fprintf(stderr, "forge-image: RAM reaches 0xfed00000 already: use a smaller guest\n");
                return 1;
        }
        chunks[h.chunk_count - 1].phys_start = 0xfed00000;
        h.index_checksum = image_checksum(chunks, h.index_size, 0);
        if (target_pwrite(fd, &map, chunks, ALIGN_TO((size_t) h.index_size, (size_t) 4096), h.index_offset) < 0 ||
            image_commit_header(fd, &map, &h) < 0) {
                fprintf(stderr, "forge-image: cannot write: %m\n");
                return 1;
        }
        printf("forged: the last of %" PRIu64 " chunks now at 0xfed00000, checksums sealed%s\n", h.chunk_count,
               h.protection != KJUMP_PROTECT_NONE ? " (a protected image: its MACs left as they were)" : "");
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "image-reader.h"
#include "macro.h"
#include "time-util.h"

#define IO_ALIGN 4096u
#define CHUNK_BYTES ((size_t) KJUMP_CHUNK_PAGES * KJUMP_PAGE_SIZE)

void *aligned_alloc_direct(size_t n) {
        void *p = NULL;

        if (posix_memalign(&p, IO_ALIGN, ALIGN_TO(n, (size_t) IO_ALIGN)) != 0)
                return NULL;
        return p;
}

int image_commit_header(int fd, const TargetMap *map, struct kjump_image_header *h) {
        _cleanup_free_ void *buf = aligned_alloc_direct(KJUMP_IMAGE_HEADER_SIZE);
        int r;

        if (!buf)
                return -ENOMEM;
        /* Everything the header points to is on the disk before it is. */
        if (fdatasync(fd) < 0)
                return negative_errno();
        image_header_seal(h);
        memcpy(buf, h, sizeof(*h));
        r = target_pwrite(fd, map, buf, KJUMP_IMAGE_HEADER_SIZE, 0);
        if (r < 0)
                return r;
        if (fdatasync(fd) < 0)
                return negative_errno();
        return 0;
}


/* The real size of what FD and MAP reach: a header may not claim more. */
static int real_size(int fd, const TargetMap *map, uint64_t *ret) {
        if (map) {
                *ret = map->size;
                return 0;
        }
        return fd_size(fd, ret);
}

int image_read_header(int fd, const TargetMap *map, struct kjump_image_header *ret, const char **ret_error) {
        _cleanup_free_ void *buf = aligned_alloc_direct(KJUMP_IMAGE_HEADER_SIZE);
        uint64_t size;
        int r;

        if (!buf)
                return -ENOMEM;
        r = target_pread(fd, map, buf, KJUMP_IMAGE_HEADER_SIZE, 0);
        if (r < 0) {
                if (ret_error)
                        *ret_error = "cannot read the header";
                return r;
        }
        memcpy(ret, buf, sizeof(*ret));
        r = image_header_check(ret, ret_error);
        if (r < 0)
                return r;
        r = real_size(fd, map, &size);
        if (r < 0)
                return r;
        if (ret->target_size > size) {
                if (ret_error)
                        *ret_error = "the header claims a target larger than the file or device (truncated copy?)";
                return -EBADMSG;
        }
        return 0;
}

int image_authenticate_header(const struct kjump_image_header *h, const ImageKey *key, const char **ret_error) {
        uint8_t mac[KJUMP_MAC_SIZE];

        if (h->protection == KJUMP_PROTECT_NONE)
                return 0;
        if (!key || !key->set) {
                if (ret_error)
                        *ret_error = "the image is encrypted and its key is not at hand";
                return -ENOKEY;
        }
        image_header_mac(key, h, mac);
        if (!image_mac_equal(mac, h->header_mac)) {
                if (ret_error)
                        *ret_error = "the header does not authenticate under the image's key (forged, or another key)";
                return -EBADMSG;
        }
        return 0;
}

int image_read_index(int fd, const TargetMap *map, const struct kjump_image_header *h, const ImageKey *key,
                     struct kjump_chunk **ret, const char **ret_error) {
        return image_read_index_and_free_map(fd, map, h, key, ret, NULL, ret_error);
}

int image_read_index_and_free_map(int fd, const TargetMap *map, const struct kjump_image_header *h,
                                  const ImageKey *key, struct kjump_chunk **ret, uint8_t **ret_free_map,
                                  const char **ret_error) {
        _cleanup_free_ uint8_t *buf = NULL;
        uint8_t mac[KJUMP_MAC_SIZE];
        size_t n;
        int r;

        r = image_authenticate_header(h, key, ret_error);
        if (r < 0)
                return r;

        if (h->chunk_count == 0 || h->index_offset % IO_ALIGN) {
                if (ret_error)
                        *ret_error = "no index";
                return -EBADMSG;
        }
        if (h->index_size > (uint64_t) 1 << 32)
                return -EFBIG;
        n = ALIGN_TO((size_t) h->index_size, (size_t) IO_ALIGN);
        if (h->index_offset + n > h->target_size) {
                if (ret_error)
                        *ret_error = "index outside the target";
                return -EBADMSG;
        }
        buf = aligned_alloc_direct(n);
        if (!buf)
                return -ENOMEM;
        r = target_pread(fd, map, buf, n, h->index_offset);
        if (r < 0) {
                if (ret_error)
                        *ret_error = "cannot read the index";
                return r;
        }
        if (h->protection != KJUMP_PROTECT_NONE) {
                image_mac(key, buf, (size_t) h->index_size, mac);
                if (!image_mac_equal(mac, h->index_mac)) {
                        if (ret_error)
                                *ret_error = "the index does not authenticate under the image's key";
                        return -EBADMSG;
                }
        }
        r = image_index_check(h, (const struct kjump_chunk *) buf, ret_error);
        if (r < 0)
                return r;

        /* The extent map, which the boot-time restore depends on. */
        {
                size_t m = (size_t) h->data_start - KJUMP_IMAGE_HEADER_SIZE;
                _cleanup_free_ uint8_t *mbuf = aligned_alloc_direct(m);

                if (!mbuf)
                        return -ENOMEM;
                r = target_pread(fd, map, mbuf, m, KJUMP_IMAGE_HEADER_SIZE);
                if (r < 0) {
                        if (ret_error)
                                *ret_error = "cannot read the extent map";
                        return r;
                }
                if (image_checksum(mbuf, (size_t) h->map_count * sizeof(struct kjump_extent), 0) != h->map_checksum) {
                        if (ret_error)
                                *ret_error = "extent map checksum mismatch";
                        return -EBADMSG;
                }
                if (h->protection != KJUMP_PROTECT_NONE) {
                        image_mac(key, mbuf, (size_t) h->map_count * sizeof(struct kjump_extent), mac);
                        if (!image_mac_equal(mac, h->map_mac)) {
                                if (ret_error)
                                        *ret_error = "the extent map does not authenticate under the image's key";
                                return -EBADMSG;
                        }
                }
        }

        /* And the free-page map, which decides what a restore leaves alone. */
        r = image_read_free_map(fd, map, h, key, (const struct kjump_chunk *) buf, ret_free_map, ret_error);
        if (r < 0)
                return r;

        *ret = (struct kjump_chunk *) TAKE_PTR(buf);
        return 0;
}

#define MAP_FAIL(msg) ({ if (ret_error) *ret_error = (msg); -EBADMSG; })

int image_read_free_map(int fd, const TargetMap *map, const struct kjump_image_header *h, const ImageKey *key,
                        const struct kjump_chunk *chunks, uint8_t **ret, const char **ret_error) {
        _cleanup_free_ uint8_t *buf = NULL;
        uint8_t mac[KJUMP_MAC_SIZE];
        uint64_t bit = 0;
        size_t n;
        int r;

        if (ret)
                *ret = NULL;
        if (h->free_map_offset == 0)
                return 0;
        /* image_header_check() bounded it by the target and pages_total. */
        if (h->free_map_size > (uint64_t) 1 << 32)
                return -EFBIG;
        n = ALIGN_TO((size_t) h->free_map_size, (size_t) IO_ALIGN);
        buf = aligned_alloc_direct(n);
        if (!buf)
                return -ENOMEM;
        r = target_pread(fd, map, buf, n, h->free_map_offset);
        if (r < 0) {
                if (ret_error)
                        *ret_error = "cannot read the free-page map";
                return r;
        }
        if (image_checksum(buf, (size_t) h->free_map_size, 0) != h->free_map_checksum)
                return MAP_FAIL("free-page map checksum mismatch");
        if (h->protection != KJUMP_PROTECT_NONE) {
                image_mac(key, buf, (size_t) h->free_map_size, mac);
                if (!image_mac_equal(mac, h->free_map_mac))
                        return MAP_FAIL("the free-page map does not authenticate under the image's key");
        }
        /* A page with data is never free, and the map counts exactly the
         * pages the header says were left out as free. */
        uint64_t marked = 0;
        for (uint64_t i = 0; i < h->chunk_count; i++) {
                const struct kjump_chunk *c = &chunks[i];

                for (uint32_t p = 0; p < c->page_count; p++, bit++)
                        if (buf[bit / 8] & (1u << (bit % 8))) {
                                if (image_chunk_page_present(c, p))
                                        return MAP_FAIL("the free-page map marks a page with data");
                                marked++;
                        }
        }
        if (bit != h->pages_total || marked != h->pages_free)
                return MAP_FAIL("the free-page map does not match the index");
        for (; bit < h->free_map_size * 8; bit++)
                if (buf[bit / 8] & (1u << (bit % 8)))
                        return MAP_FAIL("the free-page map marks pages past the last chunk");
        if (ret)
                *ret = TAKE_PTR(buf);
        return 0;
}

/* The restore's workers: each takes the next chunk, reads its data with
 * O_DIRECT into a buffer of its own and decodes it, so there are as many
 * reads in flight as workers, in the image's order, and no copy between
 * the disk and the decoder. Two chunks that share a 4 KiB block both read
 * it. */
typedef struct Decoder {
        pthread_mutex_t lock;
        uint64_t next;             /* the next chunk to take, under lock */
        int error;                 /* under lock */
        const char *why;
        int fd;
        const TargetMap *map;
        const struct kjump_image_header *h;
        const struct kjump_chunk *chunks;
        uint64_t data_end;         /* the data area's end, aligned */
        ImageChunkCallback cb;
        ImageChunkPlace place;
        ImageChunkUnplace unplace;
        void *userdata;
        const ImageKey *key;       /* NULL: unprotected */
        ImageReadTimes times;      /* under lock */
} Decoder;

static void decoder_fail(Decoder *d, int r, const char *why) {
        pthread_mutex_lock(&d->lock);
        if (d->error == 0) {
                d->error = r;
                d->why = why;
        }
        pthread_mutex_unlock(&d->lock);
}

/* Reads chunk C's data into BUF (image_chunk_bound() + 2 * IO_ALIGN bytes)
 * and decodes it; hands it to the callback. */
static int decode_chunk(Decoder *d, const struct kjump_chunk *c, uint8_t *buf, uint8_t *raw, ImageReadTimes *t,
                        const char **ret_why) {
        uint64_t t0 = now_usec(CLOCK_MONOTONIC), t1, t2;
        uint64_t from, to;
        int r;

        if (c->data_size == 0) {
                r = d->cb(d->userdata, c, NULL);
                t->empty_usec += now_usec(CLOCK_MONOTONIC) - t0;
                return r;
        }
        from = ALIGN_DOWN_4K(c->data_offset);
        to = ALIGN_TO(c->data_offset + c->data_size, (uint64_t) IO_ALIGN);
        if (c->data_offset < d->h->data_start || to > d->data_end || c->data_size > image_chunk_bound()) {
                *ret_why = "chunk data beyond the data area";
                return -EBADMSG;
        }
        r = target_pread(d->fd, d->map, buf, (size_t) (to - from), from);
        t1 = now_usec(CLOCK_MONOTONIC);
        t->read_usec += t1 - t0;
        if (r < 0) {
                *ret_why = "cannot read chunk data";
                return r;
        }
        uint8_t *placed = d->place && c->raw_size > 0 ? d->place(d->userdata, c) : NULL;
        r = image_chunk_decode(c, buf + (c->data_offset - from), placed ?: raw, d->key, d->h->image_id, ret_why);
        t2 = now_usec(CLOCK_MONOTONIC);
        t->decode_usec += t2 - t1;
        if (r >= 0)
                r = d->cb(d->userdata, c, placed ?: raw);
        if (placed)
                d->unplace(d->userdata, c, placed);
        t->callback_usec += now_usec(CLOCK_MONOTONIC) - t2;
        return r;
}

static void *decode_worker(void *userdata) {
        Decoder *d = userdata;
        _cleanup_free_ uint8_t *raw = malloc(CHUNK_BYTES);
        _cleanup_free_ uint8_t *buf = aligned_alloc_direct(image_chunk_bound() + 2 * IO_ALIGN);
        ImageReadTimes t = {};

        if (!raw || !buf) {
                decoder_fail(d, -ENOMEM, NULL);
                return NULL;
        }
        for (;;) {
                const char *why = NULL;
                uint64_t i;
                int r;

                pthread_mutex_lock(&d->lock);
                i = d->error ? d->h->chunk_count : d->next++;
                pthread_mutex_unlock(&d->lock);
                if (i >= d->h->chunk_count)
                        break;
                r = decode_chunk(d, &d->chunks[i], buf, raw, &t, &why);
                if (r < 0) {
                        decoder_fail(d, r, why);
                        break;
                }
        }
        pthread_mutex_lock(&d->lock);
        d->times.read_usec += t.read_usec;
        d->times.decode_usec += t.decode_usec;
        d->times.callback_usec += t.callback_usec;
        d->times.empty_usec += t.empty_usec;
        pthread_mutex_unlock(&d->lock);
        return NULL;
}

int image_for_each_chunk(int fd, const TargetMap *map, const struct kjump_image_header *h,
                         const struct kjump_chunk *chunks, const ImageKey *key, unsigned threads,
                         ImageChunkCallback cb, void *userdata, const char **ret_error) {
        return image_for_each_chunk_timed(fd, map, h, chunks, key, threads, cb, NULL, NULL, userdata, NULL,
                                          ret_error);
}

int image_for_each_chunk_timed(int fd, const TargetMap *map, const struct kjump_image_header *h,
                               const struct kjump_chunk *chunks, const ImageKey *key, unsigned threads,
                               ImageChunkCallback cb, ImageChunkPlace place, ImageChunkUnplace unplace,
                               void *userdata, ImageReadTimes *ret_times, const char **ret_error) {
        _cleanup_free_ pthread_t *tids = NULL;
        Decoder d = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = fd, .map = map, .h = h, .chunks = chunks,
                      .data_end = ALIGN_TO(h->data_start + h->data_bytes, (uint64_t) IO_ALIGN),
                      .cb = cb, .place = place, .unplace = unplace, .userdata = userdata };
        unsigned started = 0;

        if (!!place != !!unplace)
                return -EINVAL;
        if (h->protection != KJUMP_PROTECT_NONE) {
                if (!key || !key->set) {
                        if (ret_error)
                                *ret_error = "the image is encrypted and its key is not at hand";
                        return -ENOKEY;
                }
                d.key = key;
        }
        /* At least two, so that one reads while the other decodes even
         * where there is one CPU. */
        threads = MAX(threads, 2u);
        tids = calloc(threads, sizeof(pthread_t));
        if (!tids)
                return -ENOMEM;
        for (; started < threads; started++)
                if (pthread_create(&tids[started], NULL, decode_worker, &d) != 0)
                        break;
        if (started == 0)
                return -EAGAIN;
        for (unsigned i = 0; i < started; i++)
                pthread_join(tids[i], NULL);
        if (ret_times)
                *ret_times = d.times;
        if (d.error < 0) {
                if (ret_error && d.why)
                        *ret_error = d.why;
                return d.error;
        }
        return 0;
}

int image_read_located(int fd, uint64_t offset, struct kjump_image_header *ret, TargetMap *ret_map,
                       const char **ret_error) {
        _cleanup_(target_map_done) TargetMap head = {}, map = {};
        _cleanup_free_ struct kjump_extent *extents = NULL;
        _cleanup_free_ void *hbuf = aligned_alloc_direct(KJUMP_IMAGE_HEADER_SIZE);
        struct kjump_image_header h;
        uint64_t device_size;
        size_t n;
        int r;

        if (!hbuf)
                return -ENOMEM;
#define BAD(msg) ({ if (ret_error) *ret_error = (msg); return -EBADMSG; })
        if (offset % IO_ALIGN)
                BAD("the header's offset is not 4096-aligned");
        head.size = KJUMP_IMAGE_HEADER_SIZE;
        r = target_map_add(&head, 0, offset, KJUMP_IMAGE_HEADER_SIZE);
        if (r < 0)
                return r;
        r = pread_full(fd, hbuf, KJUMP_IMAGE_HEADER_SIZE, (off_t) offset);
        if (r < 0) {
                if (ret_error)
                        *ret_error = "cannot read the header";
                return r;
        }
        memcpy(&h, hbuf, sizeof(h));
        r = image_header_check(&h, ret_error);
        if (r < 0)
                return r;
        r = real_size(fd, NULL, &device_size);
        if (r < 0)
                return r;
        *ret = h;
        if (h.chunk_count == 0 || h.map_count == 0) {
                /* An image that was never completed: the header alone. */
                *ret_map = head;
                head = (TargetMap) {};
                return 0;
        }

        /* The map lies right after the header, in the first extent. */
        n = ALIGN_TO((size_t) h.map_count * sizeof(struct kjump_extent), (size_t) IO_ALIGN);
        extents = aligned_alloc_direct(n);
        if (!extents)
                return -ENOMEM;
        r = pread_full(fd, extents, n, (off_t) (offset + KJUMP_IMAGE_HEADER_SIZE));
        if (r < 0) {
                if (ret_error)
                        *ret_error = "cannot read the extent map";
                return r;
        }
        if (image_checksum(extents, (size_t) h.map_count * sizeof(struct kjump_extent), 0) != h.map_checksum)
                BAD("extent map checksum mismatch");
        map.size = h.target_size;
        for (uint32_t i = 0; i < h.map_count; i++) {
                r = target_map_add(&map, extents[i].logical, extents[i].physical, extents[i].length);
                if (r < 0)
                        return r;
        }
        r = target_map_check(&map, ret_error);
        if (r < 0)
                return -EBADMSG;
        if (map.extents[0].physical != offset || map.extents[0].length < h.data_start)
                BAD("the extent map does not start at the header");
        for (size_t i = 0; i < map.n; i++)
                if (map.extents[i].physical + map.extents[i].length > device_size)
                        BAD("the extent map reaches beyond the device");
#undef BAD
        *ret_map = map;
        map = (TargetMap) {};
        return 0;
}

static int no_op_chunk(void *userdata, const struct kjump_chunk *c, const uint8_t *raw) {
        return 0;
}

int image_verify(int fd, const TargetMap *map, const struct kjump_image_header *h, const struct kjump_chunk *chunks,
                 const ImageKey *key, unsigned threads, const char **ret_error) {
        return image_for_each_chunk(fd, map, h, chunks, key, threads, no_op_chunk, NULL, ret_error);
}

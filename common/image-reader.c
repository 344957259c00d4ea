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
#define IO_BUFFER (4u << 20) /* bytes per write or read-ahead */
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

enum { SLOT_FREE, SLOT_FILLING, SLOT_READY, SLOT_BUSY };

typedef struct Decoder {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct {
                int state;
                const struct kjump_chunk *chunk;
                uint8_t *data;
        } *slots;
        size_t n_slots;
        bool done;
        int error;
        const char *why;
        ImageChunkCallback cb;
        ImageChunkPlace place;
        ImageChunkUnplace unplace;
        void *userdata;
        const ImageKey *key;       /* NULL: unprotected */
        const uint8_t *image_id;
        ImageReadTimes times;      /* under lock */
} Decoder;

static void decoder_fail(Decoder *d, int r, const char *why) {
        if (d->error == 0) {
                d->error = r;
                d->why = why;
        }
        pthread_cond_broadcast(&d->cond);
}

static void *decode_worker(void *userdata) {
        Decoder *d = userdata;
        uint8_t *raw = malloc(CHUNK_BYTES);

        pthread_mutex_lock(&d->lock);
        if (!raw)
                decoder_fail(d, -ENOMEM, NULL);
        for (;;) {
                size_t i, ready = d->n_slots;
                const char *why = NULL;
                int r;

                if (d->error)
                        break;
                for (i = 0; i < d->n_slots; i++)
                        if (d->slots[i].state == SLOT_READY) {
                                ready = i;
                                break;
                        }
                if (ready == d->n_slots) {
                        if (d->done)
                                break;
                        pthread_cond_wait(&d->cond, &d->lock);
                        continue;
                }
                d->slots[ready].state = SLOT_BUSY;
                pthread_mutex_unlock(&d->lock);

                const struct kjump_chunk *c = d->slots[ready].chunk;
                uint64_t t0 = now_usec(CLOCK_MONOTONIC), t1;
                uint8_t *placed = d->place && c->raw_size > 0 ? d->place(d->userdata, c) : NULL;
                r = image_chunk_decode(c, d->slots[ready].data, placed ?: raw, d->key, d->image_id, &why);
                t1 = now_usec(CLOCK_MONOTONIC);
                if (r >= 0)
                        r = d->cb(d->userdata, c, placed ?: raw);
                if (placed)
                        d->unplace(d->userdata, c, placed);

                pthread_mutex_lock(&d->lock);
                d->times.decode_usec += t1 - t0;
                d->times.callback_usec += now_usec(CLOCK_MONOTONIC) - t1;
                d->slots[ready].state = SLOT_FREE;
                if (r < 0)
                        decoder_fail(d, r, why);
                pthread_cond_broadcast(&d->cond);
        }
        pthread_mutex_unlock(&d->lock);
        free(raw);
        return NULL;
}

/* Takes a free slot for the reading thread, or -1 after an error. */
static ssize_t decoder_take_slot(Decoder *d) {
        ssize_t slot = -1;

        pthread_mutex_lock(&d->lock);
        while (!d->error) {
                for (size_t i = 0; i < d->n_slots; i++)
                        if (d->slots[i].state == SLOT_FREE) {
                                slot = (ssize_t) i;
                                break;
                        }
                if (slot >= 0) {
                        d->slots[slot].state = SLOT_FILLING;
                        break;
                }
                pthread_cond_wait(&d->cond, &d->lock);
        }
        pthread_mutex_unlock(&d->lock);
        return slot;
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
        size_t cap = IO_BUFFER + ALIGN_TO(image_chunk_bound(), (size_t) IO_ALIGN) + IO_ALIGN;
        _cleanup_free_ uint8_t *buf = aligned_alloc_direct(cap);
        _cleanup_free_ pthread_t *tids = NULL;
        uint64_t buf_start = h->data_start, buf_end = h->data_start;
        uint64_t data_end = ALIGN_TO(h->data_start + h->data_bytes, (uint64_t) IO_ALIGN);
        Decoder d = { .cb = cb, .place = place, .unplace = unplace, .userdata = userdata, .image_id = h->image_id };
        uint64_t read_usec = 0, slot_wait_usec = 0, empty_usec = 0;
        unsigned started = 0;
        int r = 0;

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

        threads = MAX(threads, 1u);
        d.n_slots = 2 * threads;
        d.slots = calloc(d.n_slots, sizeof(*d.slots));
        tids = calloc(threads, sizeof(pthread_t));
        if (!buf || !d.slots || !tids) {
                free(d.slots);
                return -ENOMEM;
        }
        for (size_t i = 0; i < d.n_slots; i++)
                if (!(d.slots[i].data = malloc(image_chunk_bound()))) {
                        r = -ENOMEM;
                        goto finish;
                }
        pthread_mutex_init(&d.lock, NULL);
        pthread_cond_init(&d.cond, NULL);
        for (; started < threads; started++)
                if (pthread_create(&tids[started], NULL, decode_worker, &d) != 0)
                        break;
        if (started == 0) {
                r = -EAGAIN;
                goto finish;
        }

        /* The reading thread: sequential read-ahead, one copy per chunk into
         * a slot, decoding and checking in the workers. */
        for (uint64_t i = 0; i < h->chunk_count && r >= 0; i++) {
                const struct kjump_chunk *c = &chunks[i];
                ssize_t slot;

                if (c->data_size == 0) {
                        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
                        r = cb(userdata, c, NULL);
                        empty_usec += now_usec(CLOCK_MONOTONIC) - t0;
                        if (r < 0) {
                                pthread_mutex_lock(&d.lock);
                                decoder_fail(&d, r, NULL);
                                pthread_mutex_unlock(&d.lock);
                        }
                        continue;
                }

                /* Slide the read-ahead window until it holds the chunk. */
                while (c->data_offset + c->data_size > buf_end) {
                        uint64_t keep = ALIGN_DOWN_4K(c->data_offset);
                        size_t n;

                        if (keep < buf_start)
                                keep = buf_start;
                        memmove(buf, buf + (keep - buf_start), buf_end - keep);
                        buf_start = keep;
                        n = (size_t) MIN((uint64_t) (cap - (buf_end - buf_start)), data_end - buf_end);
                        n &= ~((size_t) IO_ALIGN - 1);
                        if (n == 0) {
                                r = -EBADMSG;
                                pthread_mutex_lock(&d.lock);
                                decoder_fail(&d, r, "chunk data beyond the data area");
                                pthread_mutex_unlock(&d.lock);
                                break;
                        }
                        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
                        r = target_pread(fd, map, buf + (buf_end - buf_start), n, buf_end);
                        read_usec += now_usec(CLOCK_MONOTONIC) - t0;
                        if (r < 0) {
                                pthread_mutex_lock(&d.lock);
                                decoder_fail(&d, r, "cannot read chunk data");
                                pthread_mutex_unlock(&d.lock);
                                break;
                        }
                        buf_end += n;
                }
                if (r < 0)
                        break;

                uint64_t t0 = now_usec(CLOCK_MONOTONIC);
                slot = decoder_take_slot(&d);
                slot_wait_usec += now_usec(CLOCK_MONOTONIC) - t0;
                if (slot < 0)
                        break;
                memcpy(d.slots[slot].data, buf + (c->data_offset - buf_start), c->data_size);
                pthread_mutex_lock(&d.lock);
                d.slots[slot].chunk = c;
                d.slots[slot].state = SLOT_READY;
                pthread_cond_broadcast(&d.cond);
                pthread_mutex_unlock(&d.lock);
        }

finish:
        pthread_mutex_lock(&d.lock);
        d.done = true;
        pthread_cond_broadcast(&d.cond);
        pthread_mutex_unlock(&d.lock);
        for (unsigned i = 0; i < started; i++)
                pthread_join(tids[i], NULL);
        for (size_t i = 0; i < d.n_slots; i++)
                free(d.slots[i].data);
        free(d.slots);
        if (ret_times) {
                *ret_times = d.times;
                ret_times->read_usec = read_usec;
                ret_times->slot_wait_usec = slot_wait_usec;
                ret_times->empty_usec = empty_usec;
        }
        if (d.error < 0) {
                if (ret_error && d.why)
                        *ret_error = d.why;
                return d.error;
        }
        return r;
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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The image writer: runs in the helper only. Reads A's RAM through an
 * ImageSource, compresses it on every CPU and writes chunk data and index
 * through the target's extent map. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "free-pages.h"
#include "image-reader.h"
#include "image-writer.h"
#include "macro.h"
#include "time-util.h"

#define IO_ALIGN 4096u
#define IO_BUFFER (2u << 20) /* bytes per write */
#define CHUNK_BYTES ((size_t) KJUMP_CHUNK_PAGES * KJUMP_PAGE_SIZE)
/* The data goes out through IO_DEPTH O_DIRECT writes in flight, one
 * thread each: the compressing workers fill the next buffer while the
 * previous ones are on their way (an NVMe drive wants several requests
 * at once; one synchronous write leaves it idle between them). Each
 * buffer carries its own offset, so their order does not matter; every
 * one has reached the device before image_write() returns. */
#define IO_DEPTH 4

typedef struct Slot {
        uint64_t job;      /* the chunk it holds, valid when done */
        bool done;
        int error;
        bool raw;          /* stored by the adaptive policy, never compressed */
        unsigned n_free;   /* pages of the chunk free in A */
        uint8_t free[KJUMP_CHUNK_PAGES / 8]; /* which */
        struct kjump_chunk chunk;
        uint8_t *out;      /* image_chunk_bound() bytes */
        const uint8_t *data;  /* what the writer appends: OUT, or the chunk stored where it lies */
        void *held;        /* the source's mapping DATA lies in, unmapped once written */
        size_t held_length;
} Slot;

typedef struct Pipeline {
        const ImageWriteOptions *o;
        struct kjump_chunk *chunks; /* one per job: phys_start and page_count set up front */
        uint64_t n_jobs;

        pthread_mutex_t lock;
        pthread_cond_t slot_free;  /* the writer consumed a slot */
        pthread_cond_t slot_done;  /* a worker filled a slot */
        uint64_t next_job;
        uint64_t consumed;
        bool abort;
        Slot *slots;
        size_t n_slots;
        uint64_t scan_usec, encode_usec; /* summed over the workers, under lock */
        /* The adaptive policy (o->compress_pending): the writes queued or under
         * way (the Output's, read without its lock), and whether every
         * chunk not yet written would fit stored as is (the writer's, under
         * lock). */
        const unsigned *writes_pending;
        bool rest_fits_raw;
} Pipeline;

_Static_assert(IMAGE_COMPRESS_PENDING == IO_DEPTH / 2, "the policy's threshold: half the writes in flight");

static bool page_is_zero(const uint8_t *p) {
        const uint64_t *w = (const uint64_t *) p;

        for (size_t i = 0; i < KJUMP_PAGE_SIZE / 8; i += 8)
                if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7])
                        return false;
        return true;
}

/* Reads one chunk of RAM, keeps its pages that are neither free in A nor
 * zero, and compresses them. */
static int encode_job(Pipeline *pl, uint64_t job, uint8_t *raw, Slot *slot, bool store_raw, uint64_t *scan_usec,
                      uint64_t *encode_usec) {
        const ImageWriteOptions *o = pl->o;
        struct kjump_chunk *c = &slot->chunk;
        size_t length, n = 0;
        int64_t bit = -1;
        uint64_t t0 = now_usec(CLOCK_MONOTONIC), t1;
        uint8_t *src;
        int r;

        *c = pl->chunks[job];
        slot->n_free = 0;
        memset(slot->free, 0, sizeof(slot->free));
        if (o->free_pages) {
                bit = free_pages_bit(o->free_pages, c->phys_start);
                if (bit < 0)
                        return -EINVAL;
        }
        length = (size_t) c->page_count * KJUMP_PAGE_SIZE;
        src = o->source.map(o->source.userdata, c->phys_start, length);
        if (!src)
                return negative_errno();
        /* A chunk stored as is in a plaintext image is not copied before
         * the writer appends it: it stays where it lies in the mapping
         * (kept until it is written), or is gathered straight into the
         * slot. */
        bool stored = (store_raw || o->compression == KJUMP_COMPRESS_STORED) && !o->key;
        uint8_t *gather = stored ? slot->out : raw;
        /* The present pages are compressed straight from the mapping while
         * they are its first n bytes; they are gathered only once a
         * present page follows an absent one. */
        bool in_place = true, gap = false;
        for (unsigned i = 0; i < c->page_count; i++) {
                const uint8_t *page = src + (size_t) i * KJUMP_PAGE_SIZE;
                if (bit >= 0 && free_pages_test(o->free_pages, bit + i)) {
                        slot->n_free++;
                        slot->free[i / 8] |= 1u << (i % 8);
                        gap = true;
                        continue;
                }
                if (page_is_zero(page)) {
                        gap = true;
                        continue;
                }
                c->present[i / 8] |= 1u << (i % 8);
                if (in_place && gap) {
                        memcpy(gather, src, n);
                        in_place = false;
                }
                if (!in_place)
                        memcpy(gather + n, page, KJUMP_PAGE_SIZE);
                n += KJUMP_PAGE_SIZE;
        }
        t1 = now_usec(CLOCK_MONOTONIC);
        *scan_usec += t1 - t0;
        slot->raw = store_raw && n > 0 && o->compression != KJUMP_COMPRESS_STORED;
        slot->data = slot->out;
        if (stored) {
                r = image_chunk_encode_stored(c, in_place ? src : gather, n);
                if (in_place && n > 0) {
                        slot->data = src;
                        slot->held = src;
                        slot->held_length = length;
                }
        } else
                r = image_chunk_encode(c, slot->raw ? KJUMP_COMPRESS_STORED : o->compression, o->level,
                                       in_place ? src : raw, n, slot->out, o->key, o->image_id);
        *encode_usec += now_usec(CLOCK_MONOTONIC) - t1;
        if (!slot->held)
                o->source.unmap(o->source.userdata, src, length);
        return r;
}

/* Gives back the mapping a written slot's data lay in. */
static void slot_release(const ImageWriteOptions *o, Slot *slot) {
        if (slot->held)
                o->source.unmap(o->source.userdata, slot->held, slot->held_length);
        slot->held = NULL;
        slot->data = NULL;
}

static void *worker(void *userdata) {
        Pipeline *pl = userdata;
        uint8_t *raw = malloc(CHUNK_BYTES);

        pthread_mutex_lock(&pl->lock);
        for (;;) {
                uint64_t job;
                Slot *slot;
                int r;

                if (pl->abort || pl->next_job >= pl->n_jobs)
                        break;
                job = pl->next_job++;
                slot = &pl->slots[job % pl->n_slots];
                /* The slot is ours once the writer took the job n_slots before. */
                while (!pl->abort && job >= pl->consumed + pl->n_slots)
                        pthread_cond_wait(&pl->slot_free, &pl->lock);
                if (pl->abort)
                        break;
                bool store_raw = pl->rest_fits_raw &&
                                 __atomic_load_n(pl->writes_pending, __ATOMIC_RELAXED) < pl->o->compress_pending;
                pthread_mutex_unlock(&pl->lock);

                uint64_t scan = 0, encode = 0;
                r = raw ? encode_job(pl, job, raw, slot, store_raw, &scan, &encode) : -ENOMEM;

                pthread_mutex_lock(&pl->lock);
                pl->scan_usec += scan;
                pl->encode_usec += encode;
                slot->job = job;
                slot->error = r;
                slot->done = true;
                pthread_cond_broadcast(&pl->slot_done);
        }
        pthread_mutex_unlock(&pl->lock);
        free(raw);
        return NULL;
}

/* Splits the RAM ranges into chunks of at most KJUMP_CHUNK_PAGES pages. */
static int plan_chunks(const ImageWriteOptions *o, struct kjump_chunk **ret, uint64_t *ret_n) {
        uint64_t n = 0, k = 0;
        struct kjump_chunk *c;

        for (size_t i = 0; i < o->n_ranges; i++) {
                uint64_t pages = (o->ranges[i].end - o->ranges[i].start) / KJUMP_PAGE_SIZE;
                if (o->ranges[i].start % KJUMP_PAGE_SIZE || o->ranges[i].end % KJUMP_PAGE_SIZE ||
                    o->ranges[i].end <= o->ranges[i].start)
                        return -EINVAL;
                n += DIV_ROUND_UP(pages, KJUMP_CHUNK_PAGES);
        }
        if (n == 0)
                return -EINVAL;
        c = calloc(n, sizeof(*c));
        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < o->n_ranges; i++)
                for (uint64_t p = o->ranges[i].start; p < o->ranges[i].end;
                     p += (uint64_t) KJUMP_CHUNK_PAGES * KJUMP_PAGE_SIZE) {
                        c[k].phys_start = p;
                        c[k].page_count = (uint32_t) MIN((uint64_t) KJUMP_CHUNK_PAGES,
                                                         (o->ranges[i].end - p) / KJUMP_PAGE_SIZE);
                        k++;
                }
        *ret = c;
        *ret_n = n;
        return 0;
}

enum { IO_FREE, IO_FILLING, IO_QUEUED, IO_WRITING };

typedef struct IoSlot {
        uint8_t *buf;      /* IO_BUFFER bytes, aligned */
        size_t n;
        uint64_t logical;
        int state;
} IoSlot;

typedef struct Output {
        int fd;
        const TargetMap *map;
        IoSlot slots[IO_DEPTH + 1];
        IoSlot *cur;       /* the one being filled */
        size_t fill;
        uint64_t logical;  /* where cur's first byte goes */
        uint64_t limit;    /* data may not pass this offset */

        pthread_mutex_t lock;
        pthread_cond_t cond;
        pthread_t threads[IO_DEPTH];
        unsigned n_threads;
        unsigned pending;  /* buffers IO_QUEUED or IO_WRITING; written under lock */
        bool stop;
        int error;         /* the first failed write */
} Output;

static void *io_worker(void *userdata) {
        Output *out = userdata;

        pthread_mutex_lock(&out->lock);
        for (;;) {
                IoSlot *s = NULL;
                int r;

                for (size_t i = 0; i < ELEMENTSOF(out->slots); i++)
                        if (out->slots[i].state == IO_QUEUED) {
                                s = &out->slots[i];
                                break;
                        }
                if (!s) {
                        if (out->stop)
                                break;
                        pthread_cond_wait(&out->cond, &out->lock);
                        continue;
                }
                s->state = IO_WRITING;
                pthread_mutex_unlock(&out->lock);
                r = out->error < 0 ? 0 : target_pwrite(out->fd, out->map, s->buf, s->n, s->logical);
                pthread_mutex_lock(&out->lock);
                if (r < 0 && out->error == 0)
                        out->error = r;
                s->state = IO_FREE;
                __atomic_store_n(&out->pending, out->pending - 1, __ATOMIC_RELAXED);
                pthread_cond_broadcast(&out->cond);
        }
        pthread_mutex_unlock(&out->lock);
        return NULL;
}

static int output_init(Output *out) {
        pthread_mutex_init(&out->lock, NULL);
        pthread_cond_init(&out->cond, NULL);
        for (size_t i = 0; i < ELEMENTSOF(out->slots); i++) {
                out->slots[i].buf = aligned_alloc_direct(IO_BUFFER);
                if (!out->slots[i].buf)
                        return -ENOMEM;
        }
        out->cur = &out->slots[0];
        out->cur->state = IO_FILLING;
        for (; out->n_threads < IO_DEPTH; out->n_threads++)
                if (pthread_create(&out->threads[out->n_threads], NULL, io_worker, out) != 0)
                        break;
        return out->n_threads > 0 ? 0 : -EAGAIN;
}

/* Waits until every queued write is done; returns the first error. */
static int output_drain(Output *out) {
        int r;

        pthread_mutex_lock(&out->lock);
        for (;;) {
                bool busy = false;

                for (size_t i = 0; i < ELEMENTSOF(out->slots); i++)
                        busy = busy || out->slots[i].state == IO_QUEUED || out->slots[i].state == IO_WRITING;
                if (!busy)
                        break;
                pthread_cond_wait(&out->cond, &out->lock);
        }
        r = out->error;
        pthread_mutex_unlock(&out->lock);
        return r;
}

static void output_done(Output *out) {
        (void) output_drain(out);
        pthread_mutex_lock(&out->lock);
        out->stop = true;
        pthread_cond_broadcast(&out->cond);
        pthread_mutex_unlock(&out->lock);
        for (unsigned i = 0; i < out->n_threads; i++)
                pthread_join(out->threads[i], NULL);
        for (size_t i = 0; i < ELEMENTSOF(out->slots); i++)
                free(out->slots[i].buf);
        pthread_mutex_destroy(&out->lock);
        pthread_cond_destroy(&out->cond);
}

/* Queues what CUR holds (padded to the I/O alignment when FINAL) and
 * takes a free buffer for what follows; FINAL also waits for every write. */
static int output_flush(Output *out, bool final) {
        size_t n = final ? ALIGN_TO(out->fill, (size_t) IO_ALIGN) : out->fill;
        int r = 0;

        if (n > 0) {
                memset(out->cur->buf + out->fill, 0, n - out->fill);
                pthread_mutex_lock(&out->lock);
                out->cur->n = n;
                out->cur->logical = out->logical;
                out->cur->state = IO_QUEUED;
                __atomic_store_n(&out->pending, out->pending + 1, __ATOMIC_RELAXED);
                pthread_cond_broadcast(&out->cond);
                for (out->cur = NULL; !out->cur;) {
                        for (size_t i = 0; i < ELEMENTSOF(out->slots); i++)
                                if (out->slots[i].state == IO_FREE) {
                                        out->cur = &out->slots[i];
                                        break;
                                }
                        if (!out->cur)
                                pthread_cond_wait(&out->cond, &out->lock);
                }
                out->cur->state = IO_FILLING;
                r = out->error;
                pthread_mutex_unlock(&out->lock);
                out->logical += n;
                out->fill = 0;
        }
        if (r >= 0 && final)
                r = output_drain(out);
        return r;
}

/* Whether NEED bytes, the most the chunks not yet written take stored as
 * is, fit in what is left of the target: then storing any of them can
 * never make the image not fit. */
static bool output_fits_raw(const Output *out, uint64_t need) {
        uint64_t at = out->logical + out->fill;

        return at <= out->limit && out->limit - at >= need;
}

/* The most chunk C can take stored as is: its pages not free in A, and a tag. */
static uint64_t chunk_raw_bound(const ImageWriteOptions *o, const struct kjump_chunk *c) {
        uint64_t pages = c->page_count;
        int64_t bit = o->free_pages ? free_pages_bit(o->free_pages, c->phys_start) : -1;

        for (uint32_t i = 0; bit >= 0 && i < c->page_count; i++)
                pages -= free_pages_test(o->free_pages, bit + i);
        return pages * KJUMP_PAGE_SIZE + KJUMP_AEAD_TAG_SIZE;
}

static int output_append(Output *out, const uint8_t *p, size_t n) {
        if (out->logical + out->fill + n > out->limit)
                return -ENOSPC;
        while (n > 0) {
                size_t k = MIN(n, (size_t) IO_BUFFER - out->fill);
                int r;

                memcpy(out->cur->buf + out->fill, p, k);
                out->fill += k;
                p += k;
                n -= k;
                if (out->fill == IO_BUFFER) {
                        r = output_flush(out, false);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

unsigned image_threads(unsigned cpus, uint64_t avail_bytes, uint64_t ram_bytes, uint32_t compression, int level) {
        uint64_t chunks = DIV_ROUND_UP(ram_bytes, (uint64_t) CHUNK_BYTES);
        /* zstd's context for a 1 MiB input: about 1.5 MiB at its low levels,
         * tens at the highest. */
        uint64_t codec = compression != KJUMP_COMPRESS_ZSTD ? 0
                         : level <= 3  ? (UINT64_C(2) << 20)
                         : level <= 9  ? (UINT64_C(8) << 20)
                                       : (UINT64_C(24) << 20);
        uint64_t per_thread = CHUNK_BYTES + 2 * (uint64_t) image_chunk_bound() + codec + (UINT64_C(256) << 10);
        uint64_t fixed = (uint64_t) (IO_DEPTH + 1) * IO_BUFFER          /* the write buffers */
                         + 2 * (uint64_t) image_chunk_bound()            /* the pipeline's two extra slots */
                         + CHUNK_BYTES + image_chunk_bound()            /* the restore's second worker, one CPU */
                         + chunks * (sizeof(struct kjump_chunk) + 8)     /* the index, the adaptive policy's bounds */
                         + 2 * (ram_bytes / KJUMP_PAGE_SIZE / 8)         /* the free-page bitmap, the map written */
                         + (UINT64_C(8) << 20);                          /* page tables, the C library, margin */
        uint64_t n;

        if (cpus == 0 || avail_bytes <= fixed + per_thread)
                return 1;
        n = (avail_bytes - fixed) / per_thread;
        return (unsigned) MIN(n, (uint64_t) cpus);
}

int image_write(const ImageWriteOptions *o, struct kjump_image_header *h) {
        _cleanup_free_ struct kjump_chunk *chunks = NULL;
        _cleanup_free_ pthread_t *threads = NULL;
        _cleanup_free_ struct kjump_extent *extents = NULL;
        _cleanup_free_ uint64_t *raw_bounds = NULL; /* per job, with the adaptive policy */
        _cleanup_free_ uint8_t *free_map = NULL;     /* with o->free_map: the free-page map */
        uint64_t free_map_size = 0;
        Pipeline pl = { .o = o };
        Output out = { .fd = o->fd, .map = o->map };
        uint64_t index_size, data = 0, stored = 0, pages = 0, free_pages = 0, ram_done = 0, ram_total, wait_usec = 0,
                 output_usec = 0, data_start, map_checksum = 0, chunks_raw = 0, chunks_data = 0, raw_need = 0;
        /* A key block, when there is one, lies past everything the helper writes. */
        uint64_t end = o->key && h->key_offset ? h->key_offset : o->map->size;
        unsigned n_threads = MAX(o->threads, 1u), started = 0;
        int r = 0;

        h->free_map_offset = h->free_map_size = h->free_map_checksum = 0;
        memset(h->free_map_mac, 0, sizeof(h->free_map_mac));
        r = plan_chunks(o, &chunks, &pl.n_jobs);
        if (r < 0)
                return r;
        pl.chunks = chunks;
        index_size = pl.n_jobs * sizeof(struct kjump_chunk);
        if (o->free_map && o->free_pages) {
                uint64_t n = 0;

                for (uint64_t job = 0; job < pl.n_jobs; job++)
                        n += chunks[job].page_count;
                free_map_size = (n + 7) / 8;
                free_map = calloc(ALIGN_TO(free_map_size, (uint64_t) IO_ALIGN), 1);
                if (!free_map)
                        return -ENOMEM;
        }
        ram_total = ranges_bytes(o->ranges, o->n_ranges);

        /* The extent map follows the header, inside the first extent. */
        data_start = KJUMP_IMAGE_HEADER_SIZE + ALIGN_TO(o->map->n * sizeof(struct kjump_extent), (size_t) IO_ALIGN);
        if (o->map->n == 0 || o->map->extents[0].logical != 0 || o->map->extents[0].length < data_start)
                return -EXDEV;
        if (!!o->key != (h->protection != KJUMP_PROTECT_NONE))
                return -EINVAL; /* a key for a plaintext image, or none for a protected one */
        if (end > o->map->size ||
            end < data_start + ALIGN_TO(index_size, (uint64_t) IO_ALIGN) + ALIGN_TO(free_map_size, (uint64_t) IO_ALIGN))
                return -ENOSPC;
        extents = calloc(o->map->n, sizeof(struct kjump_extent));
        if (!extents)
                return -ENOMEM;
        r = output_init(&out);
        if (r < 0)
                goto finish;
        out.logical = KJUMP_IMAGE_HEADER_SIZE;
        out.limit = data_start;
        for (size_t i = 0; i < o->map->n; i++)
                extents[i] = (struct kjump_extent) {
                        .logical = o->map->extents[i].logical,
                        .physical = o->map->extents[i].physical,
                        .length = o->map->extents[i].length,
                };
        map_checksum = image_checksum(extents, o->map->n * sizeof(struct kjump_extent), 0);
        if (o->key)
                image_mac(o->key, extents, o->map->n * sizeof(struct kjump_extent), h->map_mac);
        r = output_append(&out, (const uint8_t *) extents, o->map->n * sizeof(struct kjump_extent));
        if (r >= 0)
                r = output_flush(&out, true);
        if (r < 0)
                goto finish;
        out.logical = data_start;
        out.limit = end - ALIGN_TO(index_size, (uint64_t) IO_ALIGN) - ALIGN_TO(free_map_size, (uint64_t) IO_ALIGN);

        pl.n_slots = 2 * n_threads + 2;
        pl.slots = calloc(pl.n_slots, sizeof(Slot));
        threads = calloc(n_threads, sizeof(pthread_t));
        if (!pl.slots || !threads) {
                r = -ENOMEM;
                goto finish;
        }
        for (size_t i = 0; i < pl.n_slots; i++) {
                pl.slots[i].out = malloc(image_chunk_bound());
                if (!pl.slots[i].out) {
                        r = -ENOMEM;
                        goto finish;
                }
        }
        pthread_mutex_init(&pl.lock, NULL);
        pthread_cond_init(&pl.slot_free, NULL);
        pthread_cond_init(&pl.slot_done, NULL);
        pl.writes_pending = &out.pending;
        if (o->compress_pending > 0) {
                raw_bounds = calloc(pl.n_jobs, sizeof(uint64_t));
                if (!raw_bounds) {
                        r = -ENOMEM;
                        goto finish;
                }
                for (uint64_t job = 0; job < pl.n_jobs; job++)
                        raw_need += raw_bounds[job] = chunk_raw_bound(o, &chunks[job]);
                pl.rest_fits_raw = output_fits_raw(&out, raw_need);
        }

        for (; started < n_threads; started++)
                if (pthread_create(&threads[started], NULL, worker, &pl) != 0)
                        break;
        if (started == 0) {
                r = -EAGAIN;
                goto finish;
        }

        /* The writer: takes the chunks in order and appends their data. */
        for (uint64_t job = 0; job < pl.n_jobs; job++) {
                Slot *slot = &pl.slots[job % pl.n_slots];
                struct kjump_chunk *c = &chunks[job];

                uint64_t t0 = now_usec(CLOCK_MONOTONIC), t1;
                pthread_mutex_lock(&pl.lock);
                while (!(slot->done && slot->job == job))
                        pthread_cond_wait(&pl.slot_done, &pl.lock);
                pthread_mutex_unlock(&pl.lock);
                t1 = now_usec(CLOCK_MONOTONIC);
                wait_usec += t1 - t0;

                r = slot->error;
                if (r >= 0) {
                        *c = slot->chunk;
                        c->data_offset = c->data_size > 0 ? data_start + data : 0;
                        r = output_append(&out, slot->data, c->data_size);
                }
                slot_release(o, slot);
                output_usec += now_usec(CLOCK_MONOTONIC) - t1;
                if (r < 0)
                        goto finish;
                if (free_map)
                        for (uint32_t i = 0; i < c->page_count; i++)
                                if (slot->free[i / 8] & (1u << (i % 8)))
                                        free_map[(pages + i) / 8] |= 1u << ((pages + i) % 8);
                data += c->data_size;
                stored += image_chunk_present_pages(c);
                free_pages += slot->n_free;
                pages += c->page_count;
                ram_done += (uint64_t) c->page_count * KJUMP_PAGE_SIZE;
                chunks_data += c->data_size > 0;
                chunks_raw += slot->raw;

                pthread_mutex_lock(&pl.lock);
                slot->done = false;
                pl.consumed = job + 1;
                if (raw_bounds) {
                        raw_need -= raw_bounds[job];
                        pl.rest_fits_raw = output_fits_raw(&out, raw_need);
                }
                pthread_cond_broadcast(&pl.slot_free);
                pthread_mutex_unlock(&pl.lock);

                if (o->progress) {
                        r = o->progress(o->progress_userdata, ram_done, ram_total, data_start + data);
                        if (r < 0)
                                goto finish;
                }
        }
        uint64_t t_flush = now_usec(CLOCK_MONOTONIC);
        r = output_flush(&out, true);
        output_usec += now_usec(CLOCK_MONOTONIC) - t_flush;
        if (r < 0)
                goto finish;

        h->chunk_count = pl.n_jobs;
        h->pages_total = pages;
        h->pages_stored = stored;
        h->pages_free = free_pages;
        h->ram_bytes = pages * KJUMP_PAGE_SIZE;
        h->data_bytes = data;
        h->index_offset = out.logical;
        h->index_size = index_size;
        h->index_checksum = image_checksum(chunks, index_size, 0);
        if (o->key)
                image_mac(o->key, chunks, index_size, h->index_mac);
        h->target_size = o->map->size;
        h->data_start = data_start;
        h->map_count = o->map->n;
        h->map_checksum = map_checksum;

        /* The index, padded to the I/O alignment. */
        out.fill = 0;
        out.limit = end;
        for (uint64_t off = 0; off < index_size && r >= 0; off += IO_BUFFER / 2)
                r = output_append(&out, (const uint8_t *) chunks + off, MIN(index_size - off, (uint64_t) IO_BUFFER / 2));
        if (r >= 0)
                r = output_flush(&out, true);
        /* The free-page map after it, when a page was left out as free. */
        if (r >= 0 && free_map && free_pages > 0) {
                h->free_map_offset = out.logical;
                h->free_map_size = free_map_size;
                h->free_map_checksum = image_checksum(free_map, free_map_size, 0);
                if (o->key)
                        image_mac(o->key, free_map, free_map_size, h->free_map_mac);
                r = output_append(&out, free_map, free_map_size);
                if (r >= 0)
                        r = output_flush(&out, true);
        }
        if (r >= 0 && fdatasync(o->fd) < 0)
                r = negative_errno();

finish:
        pthread_mutex_lock(&pl.lock);
        pl.abort = true;
        pthread_cond_broadcast(&pl.slot_free);
        pthread_mutex_unlock(&pl.lock);
        for (unsigned i = 0; i < started; i++)
                pthread_join(threads[i], NULL);
        for (size_t i = 0; pl.slots && i < pl.n_slots; i++) {
                slot_release(o, &pl.slots[i]);   /* filled, never written */
                free(pl.slots[i].out);
        }
        free(pl.slots);
        /* Every write queued has ended (an abandoned image too: the helper
         * records the failure in the header after them). */
        output_done(&out);
        if (o->times)
                *o->times = (struct ImageWriteTimes) { .scan_usec = pl.scan_usec, .encode_usec = pl.encode_usec,
                                                       .wait_usec = wait_usec, .output_usec = output_usec,
                                                       .chunks_data = chunks_data, .chunks_raw = chunks_raw };
        return r;
}

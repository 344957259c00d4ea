/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmdline.h"
#include "fileio.h"
#include "helper.h"
#include "image-state.h"
#include "log.h"
#include "macro.h"
#include "platform.h"

void helper_record_failure(Helper *h, uint32_t reason, int error, const char *format, ...) {
        va_list ap;
        int r;

        char message[KJUMP_MESSAGE_MAX];

        va_start(ap, format);
        vsnprintf(message, sizeof(message), format, ap);
        va_end(ap);
        log_error("%s", message);
        log_mark("helper-failed", "reason=%s", image_reason_to_id(reason));

        h->header.error = error < 0 ? -error : error;
        if (h->target_fd < 0) {
                (void) image_header_apply(&h->header, IMAGE_EVENT_INVALIDATE, reason, message);
                return;
        }
        r = image_state_commit(h->target_fd, &h->params.target, &h->header, IMAGE_EVENT_INVALIDATE, reason, message);
        if (r < 0)
                log_error_errno(r, "Failed to record the failure in the image header: %m");
}

typedef struct Progress {
        uint64_t start;
        unsigned last_decile;
        Keyboards keyboards;     /* hibernation: Esc cancels */
        bool cancellable;
        Screen screen;
} Progress;

static int write_progress(void *userdata, uint64_t done, uint64_t total, uint64_t written) {
        Progress *p = userdata;
        unsigned decile = total ? (unsigned) (done * 10 / total) : 10;
        double s = (now_usec(CLOCK_MONOTONIC) - p->start) / 1e6;

        if (p->cancellable && keyboards_esc_pressed(&p->keyboards)) {
                log_info("Esc pressed: cancelling the hibernation at %u%%.", total ? (unsigned) (done * 100 / total) : 0);
                log_mark("cancelled", "percent=%u", total ? (unsigned) (done * 100 / total) : 0);
                screen_message(&p->screen, "Cancelled: going back to the running system.");
                return -ECANCELED;
        }
        screen_progress(&p->screen, p->cancellable ? "Hibernating" : "Saving a test image",
                        total ? (unsigned) (done * 100 / total) : 100, s > 0 ? done / s : 0.0,
                        p->cancellable ? "Esc to cancel" : NULL);
        if (decile == p->last_decile)
                return 0;
        p->last_decile = decile;
        log_info("Saving: %3u%% of %" PRIu64 " MiB, %" PRIu64 " MiB written, %.0f MB/s of RAM%s.", decile * 10,
                 total >> 20, written >> 20, s > 0 ? done / s / 1e6 : 0.0,
                 p->cancellable && decile < 10 ? " - Esc to cancel" : "");
        log_mark("saving", "percent=%u", decile * 10);
        return 0;
}

/* A's RAM, all of it, the window included, with touching ranges merged. */
static int a_ram_all(const MemMap *firmware, MemRange **ret, size_t *ret_n) {
        MemRange *a;
        size_t n, k = 0;
        int r;

        r = memmap_ram_outside(firmware, &(MemRange) { 0, 0 }, &a, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (k > 0 && a[i].start <= a[k - 1].end)
                        a[k - 1].end = MAX(a[k - 1].end, a[i].end);
                else
                        a[k++] = a[i];
        }
        *ret = a;
        *ret_n = k;
        return 0;
}

void helper_find_free_pages(Helper *h) {
        _cleanup_free_ MemRange *a_ram = NULL;
        const char *why = NULL;
        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
        size_t n_a_ram;
        int r;

        if (!h->params.skip_free_pages) {
                log_info("Free pages: saved like the others (%s).", h->params.vmcoreinfo_phys
                         ? "SaveFreePages=yes or page poisoning" : "A has no VMCOREINFO");
                log_mark("free-pages", "skipped=no reason=%s", h->params.vmcoreinfo_phys ? "asked" : "no-vmcoreinfo");
                return;
        }
        r = a_ram_all(&h->params.firmware, &a_ram, &n_a_ram);
        if (r >= 0)
                r = free_pages_find(&(FreePageInput) {
                        .source = { physmem_source.map, physmem_source.unmap, h },
                        .a_ram = a_ram,
                        .n_a_ram = n_a_ram,
                        .window = h->params.window,
                        .jump_back_entry = h->entry,
                        .vmcoreinfo_phys = h->params.vmcoreinfo_phys,
                        .vmcoreinfo_size = h->params.vmcoreinfo_size,
                        .ranges = h->ram,
                        .n_ranges = h->n_ram,
                }, &h->free, &why);
        if (r < 0) {
                log_warning("Free pages: not found (%s: %s); the image saves every page.", why ?: "error",
                            strerror(-r));
                log_mark("free-pages", "skipped=no reason=doubt");
                return;
        }
        h->have_free = true;
        log_info("Free pages: %" PRIu64 " MiB of A's RAM outside the window is free and will not be saved; "
                 "a restore %s (A counts %" PRIu64 " MiB free in all; found in %.2f s).",
                 (h->free.n_free * 4096) >> 20,
                 h->params.leave_free_pages ? "leaves them alone" : "zeroes them (A relies on zeroed free pages)",
                 (h->free.counter * 4096) >> 20, (now_usec(CLOCK_MONOTONIC) - t0) / 1e6);
        log_mark("free-pages", "skipped=yes free_mib=%" PRIu64 " counter_mib=%" PRIu64 " found_mib=%" PRIu64
                 " restore=%s", (h->free.n_free * 4096) >> 20, (h->free.counter * 4096) >> 20,
                 (h->free.n_free_all * 4096) >> 20, h->params.leave_free_pages ? "leave" : "zero");
}

/* The command line to boot the helper with again for a restore: ours,
 * without what the preserve-context load added for this jump only. */
static int record_cmdline(Helper *h) {
        static const char *const drop[] = { "kexec_jump_back_entry", "elfcorehdr", NULL };
        _cleanup_free_ char *cmdline = NULL, *kept = NULL, *confined = NULL;
        int r;

        r = read_one_line("/proc/cmdline", &cmdline);
        if (r < 0)
                return r;
        r = cmdline_remove_keys(cmdline, drop, &kept);
        if (r < 0)
                return r;
        /* A parked helper's map also lists A's RAM as ACPI data
         * ("memmap=SIZE#START"), for its jumps back; a restore's helper
         * jumps once, as every restore's does, and is confined to the
         * window alone. */
        r = cmdline_remove_memmap_data(kept, &confined);
        if (r < 0)
                return r;
        free_and_replace(kept, confined);
        if (strlen(kept) >= sizeof(h->header.helper_cmdline))
                return -E2BIG;
        strcpy(h->header.helper_cmdline, kept);
        return 0;
}

/* How the target's interrupts reached the helper's CPUs: on a machine A
 * left in x2APIC mode with interrupts remapped, a helper that could not
 * follow would run on one CPU and poll or hang. Diagnostics only. */
static void log_disk_interrupts(Helper *h) {
        struct stat st;
        DiskIrqs d;
        int r;

        if (fstat(h->target_fd, &st) < 0 || !S_ISBLK(st.st_mode))
                return;
        r = disk_interrupts(st.st_rdev, &d);
        if (r < 0) {
                log_info("Cannot count %s's interrupts: %s.", h->target_device, strerror(-r));
                return;
        }
        log_mark("disk-irqs", "device=%s vectors=%u count=%" PRIu64 " cpus_hit=%u chip=%s", h->target_device,
                 d.vectors, d.count, d.cpus_hit, d.found ? d.chip : "none");
}

int helper_write(Helper *h) {
        Progress progress = {
                .start = now_usec(CLOCK_MONOTONIC),
                .cancellable = h->params.mode == HELPER_MODE_HIBERNATE,
        };
        int r;

        if (h->params.key.set != (h->header.protection != KJUMP_PROTECT_NONE)) {
                helper_record_failure(h, KJUMP_REASON_ERROR, EINVAL, "The header says protection %s, but the "
                                      "helper was %s a key: refusing to write.",
                                      image_protection_to_string(h->header.protection) ?: "unknown",
                                      h->params.key.set ? "given" : "not given");
                return -EINVAL;
        }
        r = record_cmdline(h);
        if (r < 0) {
                helper_record_failure(h, KJUMP_REASON_ERROR, r, "Cannot record the helper's command line: %s.",
                                      strerror(-r));
                return r;
        }

        h->header.jump_back_entry = h->entry;
        h->header.compression = h->params.compression;
        screen_open(&progress.screen, progress.cancellable ? "hibernating" : "testing the image");
        log_info("Writing the image to %s: %" PRIu64 " MiB of RAM, %s%s, %s, %u threads.", h->target_device,
                 ranges_bytes(h->ram, h->n_ram) >> 20, image_compression_to_string(h->params.compression),
                 h->params.adaptive_compression && h->params.compression != KJUMP_COMPRESS_STORED ? " (adaptive)" : "",
                 h->params.key.set ? "encrypted (XChaCha20-Poly1305)" : "not encrypted", h->cpus);
        log_mark("protection", "mode=%s", image_protection_to_string(h->header.protection) ?: "unknown");

        struct ImageWriteTimes times = {};
        r = image_write(&(ImageWriteOptions) {
                .fd = h->target_fd,
                .map = &h->params.target,
                .ranges = h->ram,
                .n_ranges = h->n_ram,
                .source = { physmem_source.map, physmem_source.unmap, h },
                .compression = h->params.compression,
                .level = h->params.compression_level,
                .compress_pending = h->params.adaptive_compression ? IMAGE_COMPRESS_PENDING : 0,
                .free_map = h->params.leave_free_pages,
                .threads = h->cpus,
                .free_pages = h->have_free ? &h->free : NULL,
                .key = h->params.key.set ? &h->params.key : NULL,
                .image_id = h->header.image_id,
                .progress = write_progress,
                .progress_userdata = &progress,
                .times = &times,
        }, &h->header);
        physmem_close_windows();
        h->header.write_usec = now_usec(CLOCK_MONOTONIC) - progress.start;
        keyboards_close(&progress.keyboards);
        if (r >= 0)
                screen_message(&progress.screen, progress.cancellable ? "Image saved: powering off."
                                                                      : "Test image saved.");
        screen_close(&progress.screen);
        if (r == -ECANCELED) {
                helper_record_failure(h, KJUMP_REASON_CANCELLED, r, "Cancelled by the user (Esc) while the image "
                                      "was written: the system kept running.");
                return r;
        }
        if (r == -ENOSPC) {
                helper_record_failure(h, KJUMP_REASON_ERROR, r,
                                      "The image does not fit in its target (%" PRIu64 " bytes).",
                                      h->params.target.size);
                return r;
        }
        if (r < 0) {
                helper_record_failure(h, KJUMP_REASON_ERROR, r, "Writing the image failed: %s.", strerror(-r));
                return r;
        }
        h->header.written_usec = now_usec(CLOCK_REALTIME);
        if (h->params.key.set)
                image_header_mac(&h->params.key, &h->header, h->header.header_mac);
        log_info("Image written: %" PRIu64 " MiB of RAM (%" PRIu64 " pages with data) in %" PRIu64
                 " MiB, %.2f s, %.0f MB/s.", h->header.ram_bytes >> 20, h->header.pages_stored,
                 (h->header.index_offset + h->header.index_size) >> 20, h->header.write_usec / 1e6,
                 h->header.ram_bytes / (h->header.write_usec / 1e6) / 1e6);
        /* Where the time went (the workers' times are summed over threads). */
        log_mark("image-written", "ram_mib=%" PRIu64 " pages_stored=%" PRIu64 " disk_mib=%" PRIu64 " seconds=%.2f "
                 "scan_s=%.2f encode_s=%.2f wait_s=%.2f output_s=%.2f threads=%u chunks=%" PRIu64 " raw_chunks=%" PRIu64
                 " checksum=%s",
                 h->header.ram_bytes >> 20, h->header.pages_stored,
                 (h->header.index_offset + h->header.index_size) >> 20, h->header.write_usec / 1e6,
                 times.scan_usec / 1e6, times.encode_usec / 1e6, times.wait_usec / 1e6, times.output_usec / 1e6,
                 h->cpus, times.chunks_data, times.chunks_raw, checksum_variant()->name);
        log_disk_interrupts(h);
        return 0;
}

/* The restore's progress, from the decoding threads. */
typedef struct RestoreProgress {
        Helper *h;
        const struct kjump_chunk *chunks;
        const uint8_t *free_map;  /* the image's free-page map, or NULL */
        const uint64_t *first;    /* per chunk: its first page's bit in it */
        pthread_mutex_t lock;
        uint64_t done, total, start;
        unsigned last_decile;
        Screen screen;
} RestoreProgress;

static int restore_chunk(void *userdata, const struct kjump_chunk *c, const uint8_t *raw) {
        RestoreProgress *p = userdata;
        int r = physmem_restore_chunk(p->h, c, raw, p->free_map, p->free_map ? p->first[c - p->chunks] : 0);
        unsigned percent, decile;
        double s;

        if (r < 0)
                return r;
        pthread_mutex_lock(&p->lock);
        p->done += (uint64_t) c->page_count * KJUMP_PAGE_SIZE;
        percent = p->total ? (unsigned) (p->done * 100 / p->total) : 100;
        decile = percent / 10;
        s = (now_usec(CLOCK_MONOTONIC) - p->start) / 1e6;
        screen_progress(&p->screen, "Restoring", percent, s > 0 ? p->done / s : 0.0, NULL);
        if (decile != p->last_decile) {
                p->last_decile = decile;
                log_mark("restoring", "percent=%u", decile * 10);
        }
        pthread_mutex_unlock(&p->lock);
        return 0;
}

static int check_only(void *userdata, const struct kjump_chunk *c, const uint8_t *raw) {
        return 0;
}

static uint8_t *restore_place(void *userdata, const struct kjump_chunk *c) {
        RestoreProgress *p = userdata;
        return physmem_place_chunk(p->h, c);
}

static void restore_unplace(void *userdata, const struct kjump_chunk *c, uint8_t *where) {
        physmem_unplace_chunk(c, where);
}

/* Reads the committed image back from the disk and checks it, handing
 * every chunk to CB (NULL: verify only). */
static int read_back(Helper *h, ImageChunkCallback cb, const char *what) {
        _cleanup_free_ struct kjump_chunk *chunks = NULL;
        _cleanup_free_ uint8_t *free_map = NULL;
        _cleanup_free_ uint64_t *first = NULL;
        struct kjump_image_header on_disk;
        const char *why = NULL;
        ImageReadTimes times = {};
        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
        int r;

        r = image_read_header(h->target_fd, &h->params.target, &on_disk, &why);
        if (r >= 0 && memcmp(on_disk.image_id, h->params.image_id, sizeof(on_disk.image_id)) != 0) {
                why = "the header belongs to another image";
                r = -EBADMSG;
        }
        /* Pages free in A are left alone, when the image says which. */
        if (r >= 0)
                r = image_read_index_and_free_map(h->target_fd, &h->params.target, &on_disk, &h->params.key, &chunks,
                                                  cb ? &free_map : NULL, &why);
        if (r >= 0)
                r = image_check_index_covers_ram(&on_disk, chunks, &why);
        if (r >= 0 && free_map) {
                first = calloc(on_disk.chunk_count, sizeof(uint64_t));
                if (!first)
                        r = -ENOMEM;
                for (uint64_t i = 1; first && i < on_disk.chunk_count; i++)
                        first[i] = first[i - 1] + chunks[i - 1].page_count;
        }
        if (r >= 0 && cb) {
                RestoreProgress p = { .h = h, .chunks = chunks, .free_map = free_map, .first = first,
                                      .total = on_disk.ram_bytes, .start = now_usec(CLOCK_MONOTONIC) };

                pthread_mutex_init(&p.lock, NULL);
                screen_open(&p.screen, "restoring");
                /* Restoring, chunks whose present pages come first are
                 * decoded straight into A's RAM. */
                bool in_place = cb == restore_chunk;
                r = image_for_each_chunk_timed(h->target_fd, &h->params.target, &on_disk, chunks, &h->params.key,
                                               h->cpus, cb, in_place ? restore_place : NULL,
                                               in_place ? restore_unplace : NULL, &p, &times, &why);
                physmem_close_windows();
                screen_message(&p.screen, r >= 0 ? "Memory restored: resuming." : "The image is damaged: not restored.");
                screen_close(&p.screen);
                pthread_mutex_destroy(&p.lock);
        } else if (r >= 0)
                r = image_for_each_chunk_timed(h->target_fd, &h->params.target, &on_disk, chunks, &h->params.key,
                                               h->cpus, check_only, NULL, NULL, NULL, &times, &why);
        if (r < 0)
                return log_error_errno(r, "%s failed: %s (%m).", what, why ?: "error");
        log_info("%s: %" PRIu64 " chunks checked in %.2f s.", what, on_disk.chunk_count, (now_usec(CLOCK_MONOTONIC) - t0) / 1e6);
        /* Where the time went (the decoders' times are summed over threads). */
        log_mark(cb ? "read-back" : "verified",
                 "chunks=%" PRIu64 " seconds=%.2f read_s=%.2f decode_s=%.2f place_s=%.2f threads=%u "
                 "empty_s=%.2f checksum=%s",
                 on_disk.chunk_count, (now_usec(CLOCK_MONOTONIC) - t0) / 1e6, times.read_usec / 1e6,
                 times.decode_usec / 1e6, times.callback_usec / 1e6, h->cpus,
                 times.empty_usec / 1e6, checksum_variant()->name);
        if (cb)
                log_disk_interrupts(h);
        return 0;
}

int helper_verify(Helper *h) {
        return read_back(h, NULL, "Verification");
}

int helper_restore(Helper *h) {
        return read_back(h, restore_chunk, "Restore");
}

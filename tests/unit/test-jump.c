/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jump.c's decisions after the return (jump_settle()), on a file standing
 * in for the target's device: what the header says decides what A writes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image-reader.h"
#include "jump.h"
#include "target.h"
#include "macro.h"
#include "tests.h"

static char path[] = "/tmp/test-jump-XXXXXX";

static void target_on_file(Target *t, HelperParams *p, int flags) {
        *t = (Target) TARGET_NULL;
        t->device = strdup(path);
        t->fd = open(path, flags | O_CLOEXEC);
        ASSERT(t->device && t->fd >= 0);
        t->map.size = 1u << 20;
        ASSERT_OK(target_map_add(&t->map, 0, 0, t->map.size));
        memset(p->image_id, 0x42, sizeof(p->image_id));
}

/* Writes a header of this jump (or another) in STATE. */
static void put_header(uint32_t state, bool ours) {
        struct kjump_image_header h = {
                .version = KJUMP_IMAGE_VERSION, .header_size = KJUMP_IMAGE_HEADER_SIZE, .state = state,
                .window_end = 64u << 20, .target_size = 1u << 20, .jump_back_entry = 0x100000f2,
                .reason = state == KJUMP_STATE_INVALID ? KJUMP_REASON_TEST : 0,
                /* The geometry of a complete image of one chunk. */
                .chunk_count = 1, .data_start = 8192, .map_count = 1, .index_offset = 12288,
                .index_size = sizeof(struct kjump_chunk), .pages_total = 1, .ram_bytes = 4096,
        };
        Target t;
        HelperParams p = {};

        target_on_file(&t, &p, O_RDWR);
        memcpy(h.magic, KJUMP_IMAGE_MAGIC, sizeof(h.magic));
        memset(h.image_id, ours ? 0x42 : 0x17, sizeof(h.image_id));
        ASSERT_OK(image_commit_header(t.fd, &t.map, &h));
        target_done(&t);
}

static struct kjump_image_header settle(uint32_t state, bool ours, int flags, JumpResult *res) {
        struct kjump_image_header h;
        HelperParams p = {};
        Target t;

        put_header(state, ours);
        target_on_file(&t, &p, flags);
        *res = (JumpResult) {};
        jump_settle(&t, &p, res);
        target_done(&t);
        target_on_file(&t, &p, O_RDONLY);
        ASSERT_OK(image_read_header(t.fd, &t.map, &h, NULL));
        target_done(&t);
        return h;
}

TEST(decisions) {
        static const struct {
                uint32_t state;
                bool ours;
                uint32_t after, reason;
                bool resumed;
        } table[] = {
                /* Back from a cold boot and a restore of this image. */
                { KJUMP_STATE_RESTORING, true, KJUMP_STATE_CONSUMED, 0, true },
                /* The helper never committed. */
                { KJUMP_STATE_WRITING, true, KJUMP_STATE_INVALID, KJUMP_REASON_ERROR, false },
                /* Committed, but A runs on: its disks move away. */
                { KJUMP_STATE_VALID, true, KJUMP_STATE_INVALID, KJUMP_REASON_INVALIDATED, false },
                /* A test image stays as the helper left it. */
                { KJUMP_STATE_INVALID, true, KJUMP_STATE_INVALID, KJUMP_REASON_TEST, false },
                /* Not this jump's image, yet restorable-looking: invalid. */
                { KJUMP_STATE_VALID, false, KJUMP_STATE_INVALID, KJUMP_REASON_ERROR, false },
                { KJUMP_STATE_WRITING, false, KJUMP_STATE_INVALID, KJUMP_REASON_ERROR, false },
                /* Not this jump's, restoring: never resumed from it. */
                { KJUMP_STATE_RESTORING, false, KJUMP_STATE_RESTORING, 0, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                JumpResult res;
                struct kjump_image_header h = settle(table[i].state, table[i].ours, O_RDWR, &res);

                if (h.state != table[i].after || h.reason != table[i].reason || res.resumed != table[i].resumed ||
                    res.settle_error != 0) {
                        fprintf(stderr, "case %zu (%s, %s): got %s/%s resumed=%d error=%d\n", i,
                                image_state_to_string(table[i].state), table[i].ours ? "ours" : "foreign",
                                image_state_to_string(h.state), image_reason_to_string(h.reason), res.resumed,
                                res.settle_error);
                        abort();
                }
        }
}

TEST(settle_error) {
        JumpResult res;
        struct kjump_image_header h;

        /* The state cannot be written: reported, and the image stays as
         * it was for the caller to refuse hibernation until it is fixed. */
        h = settle(KJUMP_STATE_VALID, true, O_RDONLY, &res);
        ASSERT(res.settle_error < 0);
        ASSERT(h.state == KJUMP_STATE_VALID);
        h = settle(KJUMP_STATE_RESTORING, true, O_RDONLY, &res);
        ASSERT(res.resumed && res.settle_error < 0);
}

TEST(target_size) {
        const uint64_t G = UINT64_C(1) << 30, M = UINT64_C(1) << 20;
        uint64_t v;

        ASSERT_OK(target_size_parse("60%", 16 * G, 17 * G, &v));
        ASSERT(v == ALIGN_TO(16 * G / 100 * 60, M));
        ASSERT_OK(target_size_parse("100%", 16 * G, 16 * G + 5 * M, &v));
        ASSERT(v == 16 * G); /* a fraction is never more than the full size */
        ASSERT_OK(target_size_parse("ram", 16 * G, 17 * G, &v));
        ASSERT(v == 17 * G);
        ASSERT_OK(target_size_parse(NULL, 16 * G, 17 * G, &v));
        ASSERT(v == 17 * G);
        ASSERT_OK(target_size_parse("8G", 16 * G, 17 * G, &v));
        ASSERT(v == 8 * G);
        ASSERT_ERR(target_size_parse("0%", 16 * G, 17 * G, &v), EINVAL);
        ASSERT_ERR(target_size_parse("%", 16 * G, 17 * G, &v), EINVAL);
        ASSERT_ERR(target_size_parse("150%", 16 * G, 17 * G, &v), EINVAL);
        ASSERT_ERR(target_size_parse("4M", 16 * G, 17 * G, &v), EINVAL);
        ASSERT_ERR(target_size_parse("lots", 16 * G, 17 * G, &v), EINVAL);
}

TEST(image_need) {
        _cleanup_(helper_params_done) HelperParams p = {};
        const uint64_t M = UINT64_C(1) << 20;
        uint64_t all, half, none;

        p.window = (MemRange) { 0, 64 * M };
        ASSERT_OK(memmap_add(&p.firmware, 0, 0x9fc00, "System RAM"));
        ASSERT_OK(memmap_add(&p.firmware, 0x100000, 1024 * M, "System RAM"));
        ASSERT_OK(target_map_add(&p.target, 0, 0, 512 * M));
        p.target.size = 512 * M;

        /* Without free-page skipping every page outside the window counts. */
        all = target_image_need(&p, 900 * M);
        ASSERT(all == target_image_need(&p, 0));
        ASSERT(all > 960 * M && all < 1000 * M);
        p.skip_free_pages = true;
        ASSERT(target_image_need(&p, 0) == all);
        /* Free memory counts only beyond what the window may hold. */
        ASSERT(target_image_need(&p, 64 * M) == all);
        half = target_image_need(&p, 64 * M + 480 * M);
        ASSERT(half == all - 480 * M);
        none = target_image_need(&p, 4096 * M);
        ASSERT(none < 64 * M && none > 16 * M); /* the header, the index and the margin */
}

static void put_file(const char *p, const char *text) {
        FILE *f = fopen(p, "we");

        ASSERT(f && fputs(text, f) >= 0 && fclose(f) == 0);
}

/* A park that never came back is not tried again for the same helper
 * (a reboot loop otherwise), and is for an updated one. */
TEST(park_marker) {
        char dir[] = "/tmp/test-jump-park-XXXXXX", kernel[64], initrd[64], marker[96];
        _cleanup_free_ char *k1 = NULL, *k2 = NULL;
        JumpConfig c = { .helper_kernel = kernel, .helper_initrd = initrd };

        ASSERT(mkdtemp(dir));
        snprintf(kernel, sizeof(kernel), "%s/bzImage", dir);
        snprintf(initrd, sizeof(initrd), "%s/helper.cpio", dir);
        snprintf(marker, sizeof(marker), "%s/state/park-attempt", dir);
        put_file(kernel, "kernel");
        put_file(initrd, "initrd");
        k1 = park_helper_key(&c);
        ASSERT(k1 && strstr(k1, kernel) && strstr(k1, initrd));

        /* A park that came back leaves nothing. */
        ASSERT_OK(park_attempt_begin(marker, k1));
        ASSERT(access(marker, F_OK) == 0);
        park_attempt_end(marker);
        ASSERT(access(marker, F_OK) < 0 && errno == ENOENT);
        ASSERT_OK(park_attempt_begin(marker, k1));
        /* One that did not: the same helper is not parked again... */
        ASSERT_ERR(park_attempt_begin(marker, k1), EALREADY);
        ASSERT_ERR(park_attempt_begin(marker, k1), EALREADY);
        /* ...an updated one is. */
        put_file(kernel, "kernel, version 2");
        k2 = park_helper_key(&c);
        ASSERT(k2 && strcmp(k1, k2) != 0);
        ASSERT_OK(park_attempt_begin(marker, k2));
        park_attempt_end(marker);
        park_attempt_end(marker); /* gone already: fine */
        ASSERT(unlink(kernel) == 0 && unlink(initrd) == 0);
        snprintf(kernel, sizeof(kernel), "%s/state", dir);
        ASSERT(rmdir(kernel) == 0 && rmdir(dir) == 0);
}

int main(void) {
        int fd = mkstemp(path);

        ASSERT(fd >= 0);
        ASSERT(ftruncate(fd, 1u << 20) == 0);
        close(fd);
        test_decisions();
        test_settle_error();
        test_target_size();
        test_image_need();
        test_park_marker();
        unlink(path);
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "image-format.h"
#include "macro.h"
#include "helper-params.h"
#include "park-mailbox.h"
#include "tests.h"

TEST(round_trip) {
        _cleanup_(helper_params_done) HelperParams p = { .mode = HELPER_MODE_TEST_RESTORE }, q = {};
        _cleanup_free_ char *text = NULL, *text2 = NULL, *error = NULL;

        p.window = (MemRange) { 0, 64u << 20 };
        ASSERT_OK(memmap_add(&p.firmware, 0, 0x9fc00, "System RAM"));
        ASSERT_OK(memmap_add(&p.firmware, 0x100000, 0x7ffe0000, "System RAM"));
        ASSERT_OK(memmap_add(&p.firmware, 0x7ffe0000, 0x80000000, "Reserved"));
        for (int i = 0; i < 16; i++)
                p.image_id[i] = (uint8_t) (i * 17);
        p.compression = KJUMP_COMPRESS_ZSTD;
        p.compression_level = 3;
        p.target_device_size = 8ull << 30;
        p.target.size = 3u << 20;
        ASSERT_OK(target_map_add(&p.target, 0, 1u << 20, 1u << 20));
        ASSERT_OK(target_map_add(&p.target, 1u << 20, 5u << 20, 2u << 20));
        p.after = HELPER_AFTER_SUSPEND;
        p.vmcoreinfo_phys = 0x2d7f9000;
        p.vmcoreinfo_size = 0x1000;
        p.skip_free_pages = true;
        p.leave_free_pages = true;
        p.adaptive_compression = true;

        ASSERT_OK(helper_params_format(&p, &text));
        ASSERT_OK(helper_params_parse(text, &q, &error));
        ASSERT(q.after == HELPER_AFTER_SUSPEND);
        ASSERT(q.vmcoreinfo_phys == 0x2d7f9000 && q.vmcoreinfo_size == 0x1000 && q.skip_free_pages);
        ASSERT(q.leave_free_pages);
        ASSERT(q.mode == HELPER_MODE_TEST_RESTORE);
        ASSERT(q.window.start == 0 && q.window.end == 64u << 20);
        ASSERT(memmap_equal(&p.firmware, &q.firmware));
        ASSERT_STREQ(q.firmware.entries[2].type_name, "Reserved");
        ASSERT(memcmp(p.image_id, q.image_id, 16) == 0);
        ASSERT(q.compression == KJUMP_COMPRESS_ZSTD && q.compression_level == 3 && q.adaptive_compression);
        ASSERT(q.target_device_size == 8ull << 30);
        ASSERT(q.target.size == 3u << 20 && q.target.n == 2);
        ASSERT(q.target.extents[1].physical == 5u << 20);
        ASSERT_OK(helper_params_format(&q, &text2));
        ASSERT_STREQ(text, text2);
}

TEST(parked) {
        _cleanup_(helper_params_done) HelperParams p = { .mode = HELPER_MODE_HIBERNATE }, q = {};
        _cleanup_free_ char *text = NULL, *error = NULL;
        uint8_t master[KJUMP_KEY_SIZE] = { 1, 2, 3 };

        p.window = (MemRange) { 0, 64u << 20 };
        ASSERT_OK(memmap_add(&p.firmware, 0x100000, 0x7ffe0000, "System RAM"));
        p.target_device_size = 8ull << 30;
        p.target.size = 1u << 20;
        ASSERT_OK(target_map_add(&p.target, 0, 1u << 20, 1u << 20));
        ASSERT_OK(image_key_from_master(&p.key, master));
        p.mailbox_phys = 0x12345000;
        for (int i = 0; i < 16; i++)
                p.park_nonce[i] = (uint8_t) (0xf0 + i);

        /* The key of a parked load never goes into its parameters: each
         * jump brings its own in the mailbox. */
        ASSERT_OK(helper_params_format(&p, &text));
        ASSERT(!strstr(text, "\nkey "));
        ASSERT_OK(helper_params_parse(text, &q, &error));
        ASSERT(q.mailbox_phys == 0x12345000 && memcmp(q.park_nonce, p.park_nonce, 16) == 0 && !q.key.set);
        helper_params_done(&q);
        p.mailbox_phys = 0;
        free(TAKE_PTR(text));
        ASSERT_OK(helper_params_format(&p, &text));
        ASSERT(strstr(text, "\nkey "));

        static const char *const bad[] = { "park 0x12345001 f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
                                           "park 0 f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", "park 0x12345000 f0f1",
                                           "park 0x12345000" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *t = NULL, *e = NULL;
                HelperParams r = {};

                ASSERT(asprintf(&t, "kjump-params 1\nmode roundtrip\nwindow 0 0x4000000\n"
                                    "memmap 0x100000 0x7ffe0000 System RAM\n%s\n", bad[i]) > 0);
                ASSERT_ERR(helper_params_parse(t, &r, &e), EBADMSG);
        }
}

TEST(mailbox) {
        struct kjump_park_mailbox m = { .seq = 3, .mode = HELPER_MODE_TEST, .key_set = 1 }, c;
        const uint8_t nonce[16] = { 9, 8, 7 }, other[16] = { 9, 8, 6 };
        const char *why = NULL;

        memcpy(m.nonce, nonce, sizeof(nonce));
        m.key[5] = 0x55;
        park_mailbox_seal(&m);
        ASSERT_OK(park_mailbox_check(&m, nonce, 3, &why));
        /* Another load's, another jump's, damaged, or nothing at all. */
        ASSERT_ERR(park_mailbox_check(&m, other, 3, &why), EBADMSG);
        ASSERT_ERR(park_mailbox_check(&m, nonce, 4, &why), EBADMSG);
        c = m;
        c.key[5] ^= 1;
        ASSERT_ERR(park_mailbox_check(&c, nonce, 3, &why), EBADMSG);
        c = m;
        c.magic[0] = 0;
        ASSERT_ERR(park_mailbox_check(&c, nonce, 3, &why), EBADMSG);
        /* The helper's part is not under the checksum: it writes it. */
        c = m;
        c.status = KJUMP_PARK_STATUS_PARKED;
        c.status_seq = 3;
        ASSERT_OK(park_mailbox_check(&c, nonce, 3, &why));
}

TEST(rejects) {
        static const struct {
                const char *text, *error;
        } cases[] = {
                { "", "line 0: empty parameter file" },
                { "hello world\n", "line 1: not a kjump parameter file" },
                { "kjump-params 2\n", "line 1: unsupported parameter version" },
                { "kjump-params 1\nmode fly\n", "line 2: unknown mode" },
                { "kjump-params 1\nmode test\nwindow 0x100 0x10\n", "line 3: bad window" },
                { "kjump-params 1\nmode test\nwindow 0 0x4000000\nmemmap 0 0x1000\n", "line 4: bad memmap entry" },
                { "kjump-params 1\nwindow 0 0x4000000\nmemmap 0 0x1000 System RAM\n", "line 3: no mode" },
                { "kjump-params 1\nmode test\nmemmap 0 0x1000 System RAM\n", "line 3: no window" },
                { "kjump-params 1\nmode test\nwindow 0 0x4000000\n", "line 3: no memory map" },
                { "kjump-params 1\nmode\n", "line 2: no value" },
#define BASE "kjump-params 1\nmode test\nwindow 0 0x4000000\nmemmap 0 0x9fc00 System RAM\n"
#define ID "image-id 00112233445566778899aabbccddeeff\n"
                { BASE, "line 4: no image id" },
                { BASE "image-id 0011\n", "line 5: bad image id" },
                { BASE ID, "line 5: no target device size" },
                { BASE ID "target-device-size 1048576\ntarget-size 8192\n", "line 7: no extents" },
                { BASE ID "target-device-size 1048576\ntarget-size 8192\nextent 0 0 4096\n",
                  "line 8: extents do not cover the whole target" },
                { BASE ID "target-device-size 8192\ntarget-size 8192\nextent 0 4096 8192\n",
                  "line 8: extent beyond the end of the device" },
                { BASE ID "extent 0 4096\n", "line 6: bad extent" },
                { BASE ID "extent 0 4096 1 2\n", "line 6: bad extent" },
                { BASE "compression lzma\n", "line 5: unknown compression" },
                { BASE "compression zstd 99\n", "line 5: bad compression level" },
                { BASE "adaptive-compression maybe\n", "line 5: bad adaptive-compression" },
                { BASE "free-pages-restore sometimes\n", "line 5: bad free-pages-restore" },
                { BASE "vmcoreinfo 0x1000\n", "line 5: bad vmcoreinfo" },
                { BASE "vmcoreinfo 0x1000 0\n", "line 5: bad vmcoreinfo size" },
                { BASE "vmcoreinfo 0 4096\n", "line 5: bad vmcoreinfo size" },
                { BASE "free-pages maybe\n", "line 5: bad free-pages" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(helper_params_done) HelperParams p = {};
                _cleanup_free_ char *error = NULL;

                ASSERT_ERR(helper_params_parse(cases[i].text, &p, &error), EBADMSG);
                ASSERT_STREQ(error, cases[i].error);
        }
}

/* The helper takes nothing but the very text kjumpd sealed: not a bit
 * changed anywhere, its checksum line last. */
TEST(seal) {
        _cleanup_(helper_params_done) HelperParams p = { .mode = HELPER_MODE_HIBERNATE }, q = {};
        _cleanup_free_ char *text = NULL, *sealed = NULL, *copy = NULL, *error = NULL;
        const char *why = NULL;
        size_t n;

        p.window = (MemRange) { 0, 64u << 20 };
        ASSERT_OK(memmap_add(&p.firmware, 0x100000, 0x7ffe0000, "System RAM"));
        p.target_device_size = 8ull << 30;
        p.target.size = 2u << 20;
        ASSERT_OK(target_map_add(&p.target, 0, 1u << 20, 1u << 20));
        ASSERT_OK(target_map_add(&p.target, 1u << 20, 3u << 20, 1u << 20));
        ASSERT_OK(helper_params_format(&p, &text));
        ASSERT_OK(helper_params_seal(text, &sealed));
        n = strlen(sealed);
        ASSERT(n == strlen(text) + strlen("checksum xxh3-128 ") + 33);

        /* Parsed without the unseal, the seal's line is refused: a helper
         * that skipped the check would take no parameters at all. */
        ASSERT_ERR(helper_params_parse(sealed, &q, &error), EBADMSG);
        ASSERT(strstr(error, "still sealed"));
        error = mfree(error);

        copy = strdup(sealed);
        ASSERT(copy);
        ASSERT_OK(helper_params_unseal(copy, &why));
        ASSERT_STREQ(copy, text);
        ASSERT_OK(helper_params_parse(copy, &q, &error));
        ASSERT(q.target.n == 2 && q.target.extents[1].physical == 3u << 20);

        /* One bit flipped anywhere, the checksum line included. */
        for (size_t i = 0; i < n - 1; i++)
                for (unsigned bit = 0; bit < 8; bit += 7) {
                        free(copy);
                        copy = strdup(sealed);
                        ASSERT(copy);
                        copy[i] ^= (char) (1u << bit);
                        why = NULL;
                        ASSERT_ERR(helper_params_unseal(copy, &why), EBADMSG);
                        ASSERT(why);
                }

        /* Unsealed, cut short, with a line after the seal, or empty. */
        static const char *const bad_suffix[] = { "", "extent 0x0 0x0 0x1000\n", "\n" };
        for (size_t i = 0; i < ELEMENTSOF(bad_suffix); i++) {
                free(copy);
                ASSERT(asprintf(&copy, "%s%s", i == 0 ? text : sealed, bad_suffix[i]) > 0);
                ASSERT_ERR(helper_params_unseal(copy, &why), EBADMSG);
        }
        free(copy);
        copy = strndup(sealed, n - 1);
        ASSERT(copy);
        ASSERT_ERR(helper_params_unseal(copy, &why), EBADMSG);
        free(copy);
        copy = strdup("");
        ASSERT(copy);
        ASSERT_ERR(helper_params_unseal(copy, &why), EBADMSG);
}

TEST(unknown_keys_ignored) {
        _cleanup_(helper_params_done) HelperParams p = {};

        ASSERT_OK(helper_params_parse("kjump-params 1\n# c\nmode roundtrip\nfuture-key x\nwindow 0 0x4000000\n"
                                      "memmap 0 0x9fc00 System RAM\n", &p, NULL));
        ASSERT(p.mode == HELPER_MODE_ROUNDTRIP);
}

TEST(modes) {
        for (int i = 0; i < _HELPER_MODE_MAX; i++)
                ASSERT(helper_mode_from_string(helper_mode_to_string(i)) == i);
        ASSERT(helper_mode_from_string("nope") < 0);
        ASSERT(helper_mode_from_string(NULL) < 0);
}

TEST(restore_cmdline) {
        const uint64_t ws = 0, we = 64u << 20;
        const char *why = NULL;
        static const char *const good[] = {
                /* As recorded by a helper in the test guest. */
                "nokaslr panic=10 console=ttyS0 loglevel=4 memmap=exactmap memmap=635K@4K memmap=64560K@960K",
                "nokaslr panic=10 clearcpuid=monitor memmap=exactmap memmap=635K@4K memmap=64560K@960K",
                "nokaslr panic=10 quiet memmap=exactmap memmap=635K@4K memmap=64560K@960K acpi_rsdp=0xf5a40 "
                "kjump.test-cut-commit",
                /* A parked helper's, without its ACPI-data words. */
                "nokaslr panic=10 clearcpuid=monitor quiet console=ttyS0 loglevel=4 memmap=exactmap "
                "memmap=632K@4K memmap=64512K@1024K",
        };
        static const char *const bad[] = {
                /* A range outside the window, in any notation. */
                "nokaslr memmap=exactmap memmap=635K@4K memmap=1G@64M",
                "nokaslr memmap=exactmap memmap=4K#0x4000000",
                /* A parked helper's, with them: A's RAM. */
                "nokaslr memmap=exactmap memmap=632K@4K memmap=64512K@1024K memmap=982912K#65536K",
                /* Words kjump never writes. */
                "nokaslr memmap=exactmap memmap=635K@4K init=/bin/sh",
                "nokaslr memmap=exactmap memmap=635K@4K rdinit=/x",
                /* Not confined. */
                "nokaslr panic=10 console=ttyS0",
                "memmap=exactmap memmap=635K@4K",
                "nokaslr memmap=exactmap memmap=oops",
                "nokaslr memmap=exactmap memmap=4K@",
                "",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                ASSERT_OK(helper_cmdline_check(good[i], ws, we, &why));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (helper_cmdline_check(bad[i], ws, we, &why) != -EBADMSG) {
                        fprintf(stderr, "accepted: '%s'\n", bad[i]);
                        abort();
                }
}

int main(void) {
        test_parked();
        test_mailbox();
        test_restore_cmdline();
        test_round_trip();
        test_rejects();
        test_seal();
        test_unknown_keys_ignored();
        test_modes();
        return 0;
}

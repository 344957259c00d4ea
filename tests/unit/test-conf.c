/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <sys/stat.h>

#include "conf.h"
#include "image-format.h"
#include "macro.h"
#include "target.h"
#include "tests.h"

TEST(defaults_and_values) {
        _cleanup_(kjump_config_done) KjumpConfig c = {};
        char *error = NULL;

        kjump_config_defaults(&c);
        ASSERT_STREQ(c.target, "/var/lib/kjump/image");
        ASSERT(c.window_size == 64u << 20 && c.compression == KJUMP_COMPRESS_LZ4 && c.preload);
        ASSERT_STREQ(c.target_size, "60%");
        ASSERT(!c.save_free_pages && c.adaptive_compression);
        ASSERT(c.encryption == ENCRYPTION_AUTO);

        ASSERT_OK(kjump_config_parse(&c, "t.conf",
                                     "# comment\n[Hibernate]\nTarget = PARTUUID=1234\nWindowSize=96M\n"
                                     "Compression=zstd\nCompressionLevel=3\nPreload=no\n"
                                     "HelperKernel=/opt/k\nHelperInitrd=/opt/i\nTargetSize=8G\n"
                                     "SaveFreePages=yes\nEncryption=none\nAdaptiveCompression=no\n", &error));
        ASSERT(c.encryption == ENCRYPTION_NONE && !c.adaptive_compression);
        ASSERT_STREQ(c.target_size, "8G");
        ASSERT(c.save_free_pages);
        ASSERT_STREQ(c.target, "PARTUUID=1234");
        ASSERT(c.window_size == 96u << 20 && c.compression == KJUMP_COMPRESS_ZSTD);
        ASSERT(c.compression_level == 3 && !c.preload);
        ASSERT_STREQ(c.helper_kernel, "/opt/k");
        ASSERT_STREQ(c.helper_initrd, "/opt/i");
}

TEST(errors_name_file_and_line) {
        static const struct {
                const char *text, *error;
        } cases[] = {
                { "Target=/x\n", "f.conf:1: setting outside of the [Hibernate] section" },
                { "[Sleep]\n", "f.conf:1: unknown section '[Sleep]'" },
                { "[Hibernate]\n\nWindowSize=16M\n", "f.conf:3: WindowSize= must be at least 64M and page aligned, got '16M'" },
                { "[Hibernate]\nWindowSize=48M\n", "f.conf:2: WindowSize= must be at least 64M and page aligned, got '48M'" },
                { "[Hibernate]\nCompression=lzma\n", "f.conf:2: Compression= must be lz4, zstd or stored, got 'lzma'" },
                { "[Hibernate]\nPreload=maybe\n", "f.conf:2: Preload= must be yes or no, got 'maybe'" },
                { "[Hibernate]\nHelperKernel=k\n", "f.conf:2: expected an absolute path, got 'k'" },
                { "[Hibernate]\nFrobnicate=1\n", "f.conf:2: unknown setting 'Frobnicate'" },
                { "[Hibernate]\njunk\n", "f.conf:2: expected KEY=VALUE, got 'junk'" },
                { "[Hibernate]\nCompressionLevel=99\n", "f.conf:2: CompressionLevel= must be 0..22, got '99'" },
                { "[Hibernate]\nTarget=\n", "f.conf:2: Target= needs a path or UUID=, PARTUUID=, LABEL=" },
                { "[Hibernate]\nTargetSize=0%\n",
                  "f.conf:2: TargetSize= must be N% of RAM (1..100), a size of at least 16M, or ram, got '0%'" },
                { "[Hibernate]\nTargetSize=101%\n",
                  "f.conf:2: TargetSize= must be N% of RAM (1..100), a size of at least 16M, or ram, got '101%'" },
                { "[Hibernate]\nTargetSize=1M\n",
                  "f.conf:2: TargetSize= must be N% of RAM (1..100), a size of at least 16M, or ram, got '1M'" },
                { "[Hibernate]\nSaveFreePages=sometimes\n",
                  "f.conf:2: SaveFreePages= must be yes or no, got 'sometimes'" },
                { "[Hibernate]\nEncryption=tpm\n", "f.conf:2: Encryption= must be auto, luks, tpm2 or none, got 'tpm'" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(kjump_config_done) KjumpConfig c = {};
                _cleanup_free_ char *error = NULL;

                kjump_config_defaults(&c);
                ASSERT_ERR(kjump_config_parse(&c, "f.conf", cases[i].text, &error), EINVAL);
                ASSERT_STREQ(error, cases[i].error);
        }
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        ASSERT(f);
        fputs(text, f);
        fclose(f);
}

TEST(dropins_override_in_order) {
        _cleanup_(kjump_config_done) KjumpConfig c = {};
        _cleanup_free_ char *error = NULL;
        char dir[] = "/tmp/test-conf-XXXXXX", p[256], cmd[300];

        ASSERT(mkdtemp(dir));
        snprintf(p, sizeof(p), "%s/kjump.conf", dir);
        write_file(p, "[Hibernate]\nTarget=/a\nCompression=zstd\n");
        snprintf(p, sizeof(p), "%s/kjump.conf.d", dir);
        ASSERT(mkdir(p, 0755) == 0);
        snprintf(p, sizeof(p), "%s/kjump.conf.d/20-b.conf", dir);
        write_file(p, "[Hibernate]\nTarget=/b\n");
        snprintf(p, sizeof(p), "%s/kjump.conf.d/10-a.conf", dir);
        write_file(p, "[Hibernate]\nTarget=/ignored-by-20\nWindowSize=128M\n");
        snprintf(p, sizeof(p), "%s/kjump.conf.d/30-c.conf.disabled", dir);
        write_file(p, "garbage\n");

        kjump_config_defaults(&c);
        ASSERT_OK(kjump_config_load(&c, dir, &error));
        ASSERT_STREQ(c.target, "/b");
        ASSERT(c.window_size == 128u << 20 && c.compression == KJUMP_COMPRESS_ZSTD);

        snprintf(p, sizeof(p), "%s/kjump.conf.d/40-bad.conf", dir);
        write_file(p, "[Hibernate]\nPreload=perhaps\n");
        ASSERT_ERR(kjump_config_load(&c, dir, &error), EINVAL);
        ASSERT(strstr(error, "40-bad.conf:2: Preload="));

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        ASSERT(system(cmd) == 0);
}

int main(void) {
        test_defaults_and_values();
        test_errors_name_file_and_line();
        test_dropins_override_in_order();
        return 0;
}

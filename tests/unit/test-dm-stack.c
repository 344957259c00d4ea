/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dm_map_through() on tables as DM_TABLE_STATUS gives them: extents
 * carried through linear targets (split where a volume's segments meet),
 * everything else refused with its reason. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "dm-stack.h"
#include "macro.h"
#include "tests.h"

#define MIB (UINT64_C(1) << 20)

static void table(DmTable *t, const char *name, const char *const *lines) {
        *t = (DmTable) {};
        snprintf(t->name, sizeof(t->name), "%s", name);
        for (size_t n = 0; lines[n]; n++) {
                unsigned long long start, length;
                char type[16];
                int k = 0;

                ASSERT(sscanf(lines[n], "%llu %llu %15s %n", &start, &length, type, &k) == 3);
                t->targets = realloc(t->targets, (n + 1) * sizeof(DmTarget));
                ASSERT(t->targets);
                t->targets[n] = (DmTarget) { .start = start, .length = length };
                strcpy(t->targets[n].type, type);
                t->targets[n].params = strdup(lines[n] + k);
                t->n = n + 1;
        }
}

static void file_map(TargetMap *m) {
        /* a 12 MiB file in three extents on the logical volume */
        *m = (TargetMap) { .size = 12 * MIB };
        ASSERT_OK(target_map_add(m, 0, 100 * MIB, 4 * MIB));
        ASSERT_OK(target_map_add(m, 4 * MIB, 510 * MIB, 4 * MIB)); /* crosses the segment at 512 MiB */
        ASSERT_OK(target_map_add(m, 8 * MIB, 700 * MIB, 4 * MIB));
}

TEST(linear) {
        /* An LV of two segments on one PV: [0, 512 MiB) at 1 MiB, [512, 1024) at 2049 MiB. */
        static const char *const lines[] = { "0 1048576 linear 254:16 2048", "1048576 1048576 linear 254:16 4196352", NULL };
        _cleanup_(dm_table_done) DmTable t;
        _cleanup_(target_map_done) TargetMap m = {}, out = {};
        _cleanup_free_ char *why = NULL;
        uint64_t phys, len;
        bool is_crypt = true;
        dev_t below;

        table(&t, "kjvg-images", lines);
        file_map(&m);
        ASSERT_OK(dm_map_through(&t, &m, &below, &out, &is_crypt, &why));
        ASSERT(!is_crypt);
        ASSERT(below == makedev(254, 16));
        ASSERT(out.size == 12 * MIB);
        ASSERT_OK(target_map_lookup(&out, 0, &phys, &len));
        ASSERT(phys == 101 * MIB && len == 4 * MIB);
        ASSERT_OK(target_map_lookup(&out, 4 * MIB, &phys, &len));
        ASSERT(phys == 511 * MIB && len == 2 * MIB); /* the first half, before the segment ends */
        ASSERT_OK(target_map_lookup(&out, 6 * MIB, &phys, &len));
        ASSERT(phys == 2049 * MIB && len == 2 * MIB);
        ASSERT_OK(target_map_lookup(&out, 8 * MIB, &phys, &len));
        ASSERT(phys == (2049 + 700 - 512) * MIB && len == 4 * MIB);
        {
                const char *mwhy = NULL;
                ASSERT_OK(target_map_check(&out, &mwhy));
        }
}

TEST(crypt) {
        /* LUKS2 with its 16 MiB header: the volume starts 32768 sectors in;
         * the key (here a keyring reference) is skipped, never parsed. */
        static const char *const lines[] = { "0 2097152 crypt aes-xts-plain64 :64:logon:cryptsetup:x 0 254:16 32768", NULL };
        static const char *const hexkey[] = { "0 2097152 crypt aes-xts-plain64 0123456789abcdef0123456789abcdef 0 254:16 4096 1 allow_discards", NULL };
        _cleanup_(dm_table_done) DmTable t, t2;
        _cleanup_(target_map_done) TargetMap m = {}, out = {}, out2 = {};
        _cleanup_free_ char *why = NULL;
        uint64_t phys, len;
        bool is_crypt = false;
        dev_t below;

        table(&t, "luks-root", lines);
        file_map(&m);
        ASSERT_OK(dm_map_through(&t, &m, &below, &out, &is_crypt, &why));
        ASSERT(is_crypt);
        ASSERT(below == makedev(254, 16));
        ASSERT_OK(target_map_lookup(&out, 0, &phys, &len));
        ASSERT(phys == 116 * MIB && len == 4 * MIB);
        table(&t2, "plain", hexkey);
        ASSERT_OK(dm_map_through(&t2, &m, &below, &out2, &is_crypt, &why));
        ASSERT_OK(target_map_lookup(&out2, 0, &phys, &len));
        ASSERT(phys == 102 * MIB && len == 4 * MIB);
}

static void refused(const char *const *lines, const char *expect) {
        _cleanup_(dm_table_done) DmTable t;
        _cleanup_(target_map_done) TargetMap m = {}, out = {};
        _cleanup_free_ char *why = NULL;
        dev_t below;

        table(&t, "kjvg-images", lines);
        file_map(&m);
        ASSERT_ERR(dm_map_through(&t, &m, &below, &out, NULL, &why), EOPNOTSUPP);
        if (!strstr(why, expect)) {
                fprintf(stderr, "'%s' does not say '%s'\n", why, expect);
                abort();
        }
}

TEST(refusals) {
        static const char *const mixed[] = { "0 1048576 crypt aes-xts-plain64 - 0 254:16 32768", "1048576 1048576 linear 254:16 2048", NULL };
        static const char *const no_device[] = { "0 2097152 crypt aes-xts-plain64", NULL };
        static const char *const origin[] = { "0 2097152 snapshot-origin 254:3", NULL };
        static const char *const thin[] = { "0 2097152 thin 254:5 1", NULL };
        static const char *const striped[] = { "0 2097152 striped 2 128 254:16 2048 254:32 2048", NULL };
        static const char *const two_pvs[] = { "0 1048576 linear 254:16 2048", "1048576 1048576 linear 254:32 2048", NULL };
        static const char *const odd[] = { "0 2097152 linear 254:16 2049", NULL };
        static const char *const short_lv[] = { "0 262144 linear 254:16 2048", NULL };
        static const char *const zero[] = { "0 2097152 zero", NULL };

        refused(mixed, "mixes dm-crypt and linear");
        refused(no_device, "has a crypt target kjump cannot read");
        refused(origin, "the origin of an LVM snapshot: writing beneath it would corrupt the snapshot");
        refused(thin, "thin volume");
        refused(striped, "striped");
        refused(two_pvs, "spans several devices");
        refused(odd, "not aligned to 4096");
        refused(short_lv, "maps no device");
        refused(zero, "'zero' target");
}

int main(void) {
        test_linear();
        test_crypt();
        test_refusals();
        return 0;
}

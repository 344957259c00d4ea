/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The free-page finder on a fake A built the way an x86-64 kernel lays
 * itself out: a control page whose kexec entry list swapped the window
 * out, a VMCOREINFO note in the window, four-level page tables with 2 MiB
 * leaves, a vmemmap of 64-byte struct pages with buddy blocks, and one
 * zone with its free counter. Then each fact is broken in turn: every
 * doubt must fail the search (the image then saves every page). */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "free-pages.h"
#include "image-reader.h"
#include "image-writer.h"
#include "macro.h"
#include "tests.h"

#define MIB (UINT64_C(1) << 20)
#define RAM (64 * MIB)
#define WINDOW (4 * MIB)
#define CONTROL (8 * MIB)
#define INDIRECTION (9 * MIB)
#define WINDOW_COPY (10 * MIB)   /* where the swap put A's window */
#define KERNEL (16 * MIB)        /* init_top_pgt and the pglist_data */
#define VMEMMAP_PHYS (20 * MIB)
#define VMEMMAP_VA UINT64_C(0xffffea0000000000)
#define KERNEL_VA UINT64_C(0xffffffff80000000)
#define NOTE_PHYS 0x3000         /* in the window: read through the swap list */
#define PGDAT_OFF 0x10000
#define SZ_PAGE 64
#define OFF_PRIVATE 40
#define OFF_MAPCOUNT 48

static uint8_t *a;
static unsigned maps;

static void *fake_map(void *userdata, uint64_t phys, size_t length) {
        ASSERT(phys >= WINDOW && phys + length <= RAM); /* never the window: it is the helper's */
        maps++;
        return a + phys;
}

static void fake_unmap(void *userdata, void *p, size_t length) {
}

static void put64(uint64_t phys, uint64_t v) {
        memcpy(a + phys, &v, 8);
}

/* A's view of physical memory: the window's pages are at WINDOW_COPY. */
static uint8_t *a_view(uint64_t phys) {
        return phys < WINDOW ? a + WINDOW_COPY + phys : a + phys;
}

static void set_buddy(uint64_t pfn, unsigned order) {
        uint8_t *p = a_view(VMEMMAP_PHYS) + pfn * SZ_PAGE;
        uint32_t type = 0xf0000000u;
        uint64_t o = order;

        memcpy(p + OFF_MAPCOUNT, &type, 4);
        memcpy(p + OFF_PRIVATE, &o, 8);
}

static void set_counter(int64_t v) {
        memcpy(a + KERNEL + PGDAT_OFF + 0x100 + 0x40, &v, 8);
}

static void build(const char *extra_info) {
        char info[2048];
        uint32_t hdr[3];

        free(a);
        a = calloc(1, RAM);
        ASSERT(a);
        /* The control page and the entry list: window page i -> WINDOW_COPY + i. */
        put64(CONTROL + 2048 + 0x30, INDIRECTION | 0x2);
        put64(INDIRECTION, 0 | 0x1);
        for (uint64_t i = 0; i < WINDOW / 4096; i++)
                put64(INDIRECTION + 8 + i * 8, (WINDOW_COPY + i * 4096) | 0x8);
        put64(INDIRECTION + 8 + WINDOW / 4096 * 8, 0x4);
        /* Page tables: vmemmap (PGD 0x1d4 -> PUD[0] -> PMD[0], a 2 MiB leaf)
         * and the kernel map (PGD 511 -> PUD[510] -> PMD[8]). */
        put64(KERNEL + 0x1d4 * 8, (KERNEL + 0x1000) | 0x63);
        put64(KERNEL + 0x1000, (KERNEL + 0x2000) | 0x63);
        put64(KERNEL + 0x2000, VMEMMAP_PHYS | 0xe3);
        put64(KERNEL + 511 * 8, (KERNEL + 0x3000) | 0x63);
        put64(KERNEL + 0x3000 + 510 * 8, (KERNEL + 0x4000) | 0x63);
        put64(KERNEL + 0x4000 + 8 * 8, KERNEL | 0xe3);
        /* struct pages: no type (-1) but the buddy heads */
        for (uint64_t pfn = 0; pfn < RAM / 4096; pfn++) {
                uint32_t none = UINT32_MAX;
                memcpy(a + VMEMMAP_PHYS + pfn * SZ_PAGE + OFF_MAPCOUNT, &none, 4);
        }
        set_buddy(0x3000, 10); /* 4 MiB at 48 MiB */
        set_buddy(0x2808, 3);  /* 32 KiB at 40 MiB + 32 KiB */
        set_buddy(0x100, 2);   /* in the window: counted, never saved anyway */
        /* one node (no NUMA), one zone: nr_zones at 0x20, node_zones at
         * 0x100, vm_stat at 0x40 of the zone, NR_FREE_PAGES = 0 */
        *(int32_t *) (a + KERNEL + PGDAT_OFF + 0x20) = 1;
        set_counter(1024 + 8 + 4);
        /* The VMCOREINFO note, in the window. */
        snprintf(info, sizeof(info),
                 "OSRELEASE=6.12.0\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=%" PRIx64 "\nNUMBER(phys_base)=0\n"
                 "NUMBER(pgtable_l5_enabled)=0\nSYMBOL(vmemmap)=%" PRIx64 "\nSIZE(page)=%d\n"
                 "OFFSET(page._mapcount)=%d\nOFFSET(page.private)=%d\n"
                 "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-268435456\nLENGTH(zone.free_area)=11\n"
                 "SYMBOL(contig_page_data)=%" PRIx64 "\nOFFSET(pglist_data.node_zones)=256\n"
                 "OFFSET(pglist_data.nr_zones)=32\nSIZE(zone)=1024\nOFFSET(zone.vm_stat)=64\n"
                 "NUMBER(NR_FREE_PAGES)=0\n%s",
                 KERNEL_VA + KERNEL, VMEMMAP_VA, SZ_PAGE, OFF_MAPCOUNT, OFF_PRIVATE, KERNEL_VA + KERNEL + PGDAT_OFF,
                 extra_info);
        hdr[0] = 11;
        hdr[1] = (uint32_t) strlen(info);
        hdr[2] = 0;
        memcpy(a_view(NOTE_PHYS), hdr, 12);
        memcpy(a_view(NOTE_PHYS) + 12, "VMCOREINFO", 11);
        memcpy(a_view(NOTE_PHYS) + 24, info, strlen(info));
}

static const MemRange a_ram[] = { { 0, RAM } };
static const MemRange saved[] = { { WINDOW, 32 * MIB }, { 32 * MIB, RAM } };

static int find(FreePages *f, const char **why) {
        return free_pages_find(&(FreePageInput) {
                .source = { fake_map, fake_unmap, NULL },
                .a_ram = a_ram, .n_a_ram = 1,
                .window = { 0, WINDOW },
                .jump_back_entry = CONTROL + 0xf2,
                .vmcoreinfo_phys = NOTE_PHYS, .vmcoreinfo_size = 4096,
                .ranges = saved, .n_ranges = ELEMENTSOF(saved),
        }, f, why);
}

static void expect_doubt(const char *what) {
        FreePages f = {};
        const char *why = NULL;

        ASSERT_ERR(find(&f, &why), EBADMSG);
        ASSERT(why);
        fprintf(stderr, "%s: refused: %s\n", what, why);
        ASSERT(!f.bitmap);
}

TEST(found) {
        FreePages f = {};
        const char *why = NULL;
        uint64_t free_seen = 0;

        build("");
        ASSERT_OK(find(&f, &why));
        ASSERT(f.n_free_all == 1024 + 8 + 4);
        ASSERT(f.n_free == 1024 + 8);
        ASSERT(f.counter == 1036);
        for (uint64_t p = WINDOW; p < RAM; p += 4096) {
                bool expect = (p >= 48 * MIB && p < 52 * MIB) || (p >= 40 * MIB + 32768 && p < 40 * MIB + 65536);
                ASSERT(free_pages_test(&f, free_pages_bit(&f, p)) == expect);
                free_seen += expect;
        }
        ASSERT(free_seen == f.n_free);
        ASSERT(free_pages_bit(&f, 0x100000) == -1); /* the window: in no range */
        ASSERT(free_pages_bit(&f, RAM) == -1);
        free_pages_done(&f);

        /* A window page that is its own source (kimage_alloc_page() took a
         * destination page) is fine while nothing is read from it. */
        build("");
        put64(INDIRECTION + 8 + 7 * 8, 0x8 | 0x7000);
        ASSERT_OK(find(&f, &why));
        ASSERT(f.n_free == 1024 + 8);
        free_pages_done(&f);
}

TEST(old_buddy_marking) {
        /* 4.18 to 6.8: PAGE_TYPE_BASE 0xf0000000 with PG_buddy (0x80) cleared */
        FreePages f = {};
        const char *why = NULL;
        uint32_t type = 0xffffff7fu;

        build("");
        /* rewrite the note's value and the heads' marking */
        {
                uint8_t *note = a_view(NOTE_PHYS) + 24;
                char *v = strstr((char *) note, "=-268435456");
                ASSERT(v);
                memcpy(v, "=-129\n     ", 11); /* same length: the note's size stays right */
        }
        memcpy(a + VMEMMAP_PHYS + 0x3000 * SZ_PAGE + OFF_MAPCOUNT, &type, 4);
        memcpy(a + VMEMMAP_PHYS + 0x2808 * SZ_PAGE + OFF_MAPCOUNT, &type, 4);
        set_counter(1032); /* the window's block is not marked the old way: 4 fewer */
        {
                uint8_t *p = a_view(VMEMMAP_PHYS) + 0x100 * SZ_PAGE + OFF_MAPCOUNT;
                uint32_t none = UINT32_MAX;
                memcpy(p, &none, 4);
        }
        ASSERT_OK(find(&f, &why));
        ASSERT(f.n_free == 1032);
        free_pages_done(&f);
}

TEST(doubts) {
        build("");
        set_counter(100000);
        expect_doubt("counter far off");

        build("");
        set_buddy(0x3000, 11);
        expect_doubt("order beyond the free areas");

        build("");
        set_buddy(0x2001, 2);
        expect_doubt("misaligned block");

        build("");
        put64(CONTROL + 2048 + 0x30, 0);
        expect_doubt("no entry list");

        build("");
        put64(INDIRECTION + 8 + 3 * 8, 0x4); /* the list ends before the note's window page */
        expect_doubt("note's window page not swapped");

        build("");
        put64(INDIRECTION + 8 + 3 * 8, 0x8 | 0x3000); /* the note's page: its own source, unreadable */
        expect_doubt("source in the window");

        build("");
        put64(INDIRECTION + 8 + 3 * 8, 0x8 | (RAM + 0x1000)); /* a source beyond A's RAM */
        expect_doubt("source outside A's RAM");

        build("");
        put64(INDIRECTION + 8 + WINDOW / 4096 * 8, INDIRECTION | 0x2); /* a loop */
        expect_doubt("looping entry list");

        build("");
        put64(KERNEL + 0x2000, 0); /* vmemmap not mapped */
        expect_doubt("vmemmap not mapped");
}

TEST(unknown_marking) {
        FreePages f = {};
        const char *why = NULL;

        build("");
        {
                char *v = strstr((char *) a_view(NOTE_PHYS) + 24, "=-268435456");
                ASSERT(v);
                memcpy(v, "=12345678\n ", 11);
        }
        ASSERT_ERR(find(&f, &why), EBADMSG);
        ASSERT_STREQ(why, "A marks its free pages in a way kjump does not know");
}

TEST(missing_fact) {
        FreePages f = {};
        const char *why = NULL;

        build("");
        {
                char *v = strstr((char *) a_view(NOTE_PHYS) + 24, "SYMBOL(vmemmap)");
                ASSERT(v);
                v[0] = 'X';
        }
        ASSERT_ERR(find(&f, &why), EBADMSG);
        ASSERT_STREQ(why, "VMCOREINFO lacks SYMBOL(vmemmap)");
}

int main(void) {
        test_found();
        test_old_buddy_marking();
        test_doubts();
        test_unknown_marking();
        test_missing_fact();
        free(a);
        return 0;
}

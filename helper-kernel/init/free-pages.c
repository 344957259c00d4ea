/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A's free pages from A's own struct pages (free-pages.h). The layout
 * facts come from A's VMCOREINFO (kernel/vmcore_info.c), the way
 * makedumpfile reads them; nothing here is compiled in from one kernel
 * version, and every fact is checked before it is used. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "free-pages.h"
#include "macro.h"

#define PAGE 4096u
#define PAGE_MASK_ADDR UINT64_C(0x000ffffffffff000) /* x86-64 page-table entry: the address bits */
#define START_KERNEL_MAP UINT64_C(0xffffffff80000000)
#define MAP_BLOCK (UINT64_C(256) << 10)

/* x86-64 relocate_kernel_64.S: the data half of A's control page, where
 * A keeps the head of its kexec entry list for the swap back. */
#define CONTROL_DATA 2048u
#define CP_PA_BACKUP_PAGES_MAP (CONTROL_DATA + 0x30)
/* include/linux/kexec.h */
#define IND_DESTINATION 0x1
#define IND_INDIRECTION 0x2
#define IND_DONE 0x4
#define IND_SOURCE 0x8

typedef struct AMem {
        const FreePageInput *in;
        uint64_t *window_src;      /* per window page: where A's content went, 0: unknown */
        uint64_t window_pages;
        uint8_t *map;              /* the last mapping of A's memory */
        uint64_t map_start, map_end;
        /* the page-table walk */
        uint64_t root;
        unsigned levels;
        uint64_t entry_mask;
        uint64_t leaf_va, leaf_size, leaf_pa; /* the last leaf, leaf_size 0: none */
} AMem;

static void amem_unmap(AMem *m) {
        if (m->map)
                m->in->source.unmap(m->in->source.userdata, m->map, m->map_end - m->map_start);
        m->map = NULL;
        m->map_start = m->map_end = 0;
}

static const MemRange *a_range_of(const FreePageInput *in, uint64_t phys) {
        for (size_t i = 0; i < in->n_a_ram; i++)
                if (phys >= in->a_ram[i].start && phys < in->a_ram[i].end)
                        return &in->a_ram[i];
        return NULL;
}

/* Maps the block around PHYS: A's RAM outside the window only. */
static int amem_map(AMem *m, uint64_t phys) {
        const FreePageInput *in = m->in;
        const MemRange *r = a_range_of(in, phys);
        uint64_t lo = phys & ~(MAP_BLOCK - 1), hi = lo + MAP_BLOCK;

        if (!r)
                return -ERANGE;
        lo = MAX(lo, ALIGN_TO(r->start, (uint64_t) PAGE));
        hi = MIN(hi, r->end & ~(uint64_t) (PAGE - 1));
        if (phys >= in->window.end)
                lo = MAX(lo, in->window.end);
        else if (phys < in->window.start)
                hi = MIN(hi, in->window.start);
        else
                return -EFAULT;
        if (phys < lo || phys >= hi)
                return -ERANGE;
        amem_unmap(m);
        m->map = in->source.map(in->source.userdata, lo, hi - lo);
        if (!m->map)
                return -errno ?: -EIO;
        m->map_start = lo;
        m->map_end = hi;
        return 0;
}

/* Reads A's memory, wherever A's content of it is now. */
static int amem_read(AMem *m, uint64_t phys, void *buf, size_t n) {
        uint8_t *out = buf;

        while (n > 0) {
                uint64_t where = phys;
                size_t k = MIN(n, (size_t) (PAGE - phys % PAGE));
                int r;

                if (phys >= m->in->window.start && phys < m->in->window.end) {
                        uint64_t src = m->window_src ? m->window_src[(phys - m->in->window.start) / PAGE] : 0;
                        if (src == 0)
                                return -EFAULT;
                        where = src + phys % PAGE;
                }
                if (!m->map || where < m->map_start || where + k > m->map_end) {
                        r = amem_map(m, where);
                        if (r < 0)
                                return r;
                }
                memcpy(out, m->map + (where - m->map_start), k);
                out += k;
                phys += k;
                n -= k;
        }
        return 0;
}

static int amem_u64(AMem *m, uint64_t phys, uint64_t *ret) {
        return amem_read(m, phys, ret, sizeof(*ret));
}

/* A's kexec entry list (what swap_pages walks): for every page of the
 * window, the page of A's memory that holds A's content of it now. */
static int read_swap_list(AMem *m, const char **why) {
        const FreePageInput *in = m->in;
        uint64_t control = in->jump_back_entry & ~(uint64_t) (PAGE - 1), entry, ptr = 0, dest = 0, steps = 0;
        uint64_t limit = 4 * m->window_pages + 65536;
        bool have_dest = false;
        int r;

#define DOUBT(msg) ({ *why = (msg); return -EBADMSG; })
        if (in->jump_back_entry == 0)
                DOUBT("no kexec_jump_back_entry");
        if (control < in->window.end && control + PAGE > in->window.start)
                DOUBT("A's control page lies in the window");
        m->window_src = calloc(m->window_pages, sizeof(uint64_t));
        if (!m->window_src)
                return -ENOMEM;
        r = amem_u64(m, control + CP_PA_BACKUP_PAGES_MAP, &entry);
        if (r < 0)
                DOUBT("cannot read A's control page");
        for (;;) {
                if (++steps > limit)
                        DOUBT("A's kexec entry list does not end");
                if (entry & IND_DESTINATION) {
                        dest = entry & PAGE_MASK_ADDR;
                        have_dest = true;
                } else if (entry & IND_INDIRECTION)
                        ptr = entry & PAGE_MASK_ADDR;
                else if (entry & IND_DONE)
                        break;
                else if (entry & IND_SOURCE) {
                        uint64_t src = entry & PAGE_MASK_ADDR, i;

                        if (!have_dest)
                                DOUBT("a kexec source page without a destination");
                        if (dest < in->window.start || dest >= in->window.end)
                                DOUBT("a kexec destination outside the window");
                        i = (dest - in->window.start) / PAGE;
                        if (m->window_src[i] != 0)
                                DOUBT("a window page swapped twice");
                        /* A source inside the window is a page kexec took
                         * from A's free memory that was itself a destination
                         * (kimage_alloc_page()): it holds the helper either
                         * way, and A's view of it is kexec's own data. It
                         * stays unreadable: nothing we look for lives there. */
                        if (src >= in->window.end || src < in->window.start) {
                                if (!a_range_of(in, src))
                                        DOUBT("a kexec source page outside A's RAM");
                                m->window_src[i] = src;
                        }
                        dest += PAGE;
                }
                if (ptr == 0)
                        DOUBT("A's kexec entry list has no indirection page");
                r = amem_u64(m, ptr, &entry);
                if (r < 0)
                        DOUBT("cannot read A's kexec entry list");
                ptr += sizeof(uint64_t);
        }
        return 0;
#undef DOUBT
}

/* VMCOREINFO: "KEY=VALUE" lines. */
static int vmci_get(const char *text, const char *key, int base, uint64_t *ret) {
        size_t k = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, key, k) == 0 && p[k] == '=') {
                        char *end;

                        errno = 0;
                        if (base == 16)
                                *ret = strtoull(p + k + 1, &end, 16);
                        else
                                *ret = (uint64_t) strtoll(p + k + 1, &end, 10);
                        if (errno != 0 || end == p + k + 1 || (*end != '\n' && *end != 0))
                                return -EBADMSG;
                        return 0;
                }
        return -ENOENT;
}

static int read_vmcoreinfo(AMem *m, char **ret) {
        uint64_t size = m->in->vmcoreinfo_size;
        _cleanup_free_ uint8_t *note = NULL;
        uint32_t namesz, descsz;
        char *text;
        int r;

        if (m->in->vmcoreinfo_phys == 0 || size < 24 || size > (64u << 10))
                return -EINVAL;
        note = malloc(size + 1);
        if (!note)
                return -ENOMEM;
        r = amem_read(m, m->in->vmcoreinfo_phys, note, size);
        if (r < 0)
                return r;
        memcpy(&namesz, note, 4);
        memcpy(&descsz, note + 4, 4);
        if (namesz != 11 || memcmp(note + 12, "VMCOREINFO", 11) != 0 || descsz > size - 24)
                return -EBADMSG;
        text = malloc(descsz + 1);
        if (!text)
                return -ENOMEM;
        memcpy(text, note + 24, descsz);
        text[descsz] = 0;
        *ret = text;
        return 0;
}

/* A kernel virtual address to physical, through A's page tables. */
static int amem_virt_to_phys(AMem *m, uint64_t va, uint64_t *ret) {
        uint64_t table = m->root;
        unsigned shift = m->levels == 5 ? 48 : 39;

        if (m->leaf_size && va - m->leaf_va < m->leaf_size) {
                *ret = m->leaf_pa + (va - m->leaf_va);
                return 0;
        }
        for (;;) {
                uint64_t e, size = UINT64_C(1) << shift;
                int r = amem_u64(m, table + ((va >> shift) & 511) * 8, &e);

                if (r < 0)
                        return r;
                if (!(e & 1))
                        return -ENOENT;
                if (shift == 12 || ((shift == 21 || shift == 30) && (e & 0x80))) {
                        m->leaf_va = va & ~(size - 1);
                        m->leaf_size = size;
                        m->leaf_pa = e & m->entry_mask & ~(size - 1);
                        *ret = m->leaf_pa + (va - m->leaf_va);
                        return 0;
                }
                table = e & m->entry_mask;
                shift -= 9;
        }
}

static int amem_read_virt(AMem *m, uint64_t va, void *buf, size_t n) {
        uint8_t *out = buf;

        while (n > 0) {
                size_t k = MIN(n, (size_t) (PAGE - va % PAGE));
                uint64_t pa;
                int r = amem_virt_to_phys(m, va, &pa);

                if (r >= 0)
                        r = amem_read(m, pa, out, k);
                if (r < 0)
                        return r;
                out += k;
                va += k;
                n -= k;
        }
        return 0;
}

typedef struct Layout {
        uint64_t vmemmap, page_size, off_mapcount, off_private, buddy_value, orders;
        bool buddy_in_top_byte;
} Layout;

static bool page_is_buddy(const Layout *l, uint32_t type) {
        if (l->buddy_in_top_byte) /* 6.9 and later: the type in the top byte */
                return type >> 24 == (uint32_t) l->buddy_value >> 24;
        /* 4.18 to 6.8: PAGE_TYPE_BASE with the type's bit cleared */
        return (type & (0xf0000000u | ~(uint32_t) l->buddy_value)) == 0xf0000000u;
}

static void mark_free(FreePages *f, uint64_t start, uint64_t end) {
        for (size_t i = 0; i < f->n_ranges; i++) {
                uint64_t a = MAX(start, f->ranges[i].start), b = MIN(end, f->ranges[i].end);

                for (; a < b; a += PAGE) {
                        uint64_t bit = f->first_bit[i] + (a - f->ranges[i].start) / PAGE;
                        f->bitmap[bit / 8] |= 1u << (bit % 8);
                        f->n_free++;
                }
        }
}

/* Walks the struct pages of every page of A's RAM. */
static int scan(AMem *m, const Layout *l, FreePages *f, const char **why) {
        _cleanup_free_ uint8_t *buf = malloc(PAGE);
        uint64_t buf_va = 1; /* the vmemmap page in buf, 1: none */

        if (!buf)
                return -ENOMEM;
        for (size_t i = 0; i < m->in->n_a_ram; i++) {
                uint64_t pfn = DIV_ROUND_UP(m->in->a_ram[i].start, (uint64_t) PAGE);
                uint64_t end = m->in->a_ram[i].end / PAGE;

                while (pfn < end) {
                        uint64_t va = l->vmemmap + pfn * l->page_size, order, pages;
                        uint32_t type;
                        int r;

                        if ((va & ~(uint64_t) (PAGE - 1)) != buf_va) {
                                buf_va = va & ~(uint64_t) (PAGE - 1);
                                r = amem_read_virt(m, buf_va, buf, PAGE);
                                if (r < 0) {
                                        *why = "cannot read a struct page of A";
                                        return -EBADMSG;
                                }
                        }
                        memcpy(&type, buf + va % PAGE + l->off_mapcount, sizeof(type));
                        if (!page_is_buddy(l, type)) {
                                pfn++;
                                continue;
                        }
                        memcpy(&order, buf + va % PAGE + l->off_private, sizeof(order));
                        if (order >= l->orders) {
                                *why = "a free block of A with an impossible order";
                                return -EBADMSG;
                        }
                        pages = UINT64_C(1) << order;
                        if (pfn % pages != 0 || pfn + pages > end) {
                                *why = "a free block of A misaligned or beyond its RAM range";
                                return -EBADMSG;
                        }
                        mark_free(f, pfn * PAGE, (pfn + pages) * PAGE);
                        f->n_free_all += pages;
                        pfn += pages;
                }
        }
        return 0;
}

/* A's own count of its free pages: NR_FREE_PAGES of every zone. */
static int free_counter(AMem *m, const char *info, uint64_t *ret, const char **why) {
        uint64_t node_data, n_nodes = 1, off_zones, off_nr_zones, zone_size, off_vm_stat, nr_free, total = 0;
        bool numa = vmci_get(info, "SYMBOL(node_data)", 16, &node_data) >= 0;

#define NEED(key, base, v) ({ if (vmci_get(info, key, base, v) < 0) { *why = "VMCOREINFO lacks " key; return -EBADMSG; } })
        if (numa)
                NEED("LENGTH(node_data)", 10, &n_nodes);
        else
                NEED("SYMBOL(contig_page_data)", 16, &node_data);
        NEED("OFFSET(pglist_data.node_zones)", 10, &off_zones);
        NEED("OFFSET(pglist_data.nr_zones)", 10, &off_nr_zones);
        NEED("SIZE(zone)", 10, &zone_size);
        NEED("OFFSET(zone.vm_stat)", 10, &off_vm_stat);
        NEED("NUMBER(NR_FREE_PAGES)", 10, &nr_free);
#undef NEED
        if (n_nodes == 0 || n_nodes > 4096 || nr_free > 64 || zone_size > 65536) {
                *why = "VMCOREINFO's node or zone layout is out of bounds";
                return -EBADMSG;
        }
        for (uint64_t i = 0; i < n_nodes; i++) {
                uint64_t pgdat = node_data;
                int32_t nr_zones;

                if (numa && amem_read_virt(m, node_data + i * 8, &pgdat, 8) < 0)
                        goto unreadable;
                if (pgdat == 0)
                        continue;
                if (amem_read_virt(m, pgdat + off_nr_zones, &nr_zones, sizeof(nr_zones)) < 0)
                        goto unreadable;
                if (nr_zones < 0 || nr_zones > 8) {
                        *why = "a node of A with an impossible number of zones";
                        return -EBADMSG;
                }
                for (int32_t z = 0; z < nr_zones; z++) {
                        int64_t v;

                        if (amem_read_virt(m, pgdat + off_zones + z * zone_size + off_vm_stat + nr_free * 8, &v,
                                           sizeof(v)) < 0)
                                goto unreadable;
                        if (v > 0)
                                total += (uint64_t) v;
                }
        }
        *ret = total;
        return 0;
unreadable:
        *why = "cannot read A's zone counters";
        return -EBADMSG;
}

int free_pages_find(const FreePageInput *in, FreePages *ret, const char **ret_why) {
        _cleanup_free_ char *info = NULL;
        AMem m = { .in = in, .window_pages = (in->window.end - in->window.start) / PAGE };
        FreePages f = { .ranges = in->ranges, .n_ranges = in->n_ranges };
        Layout l = {};
        uint64_t v, bits = 0, phys_base, top_pgt, l5 = 0, sme_mask = 0, slack;
        const char *why = NULL;
        int r;

#define DOUBT(msg) ({ why = (msg); r = -EBADMSG; goto finish; })
#define NEED(key, base, var) ({ if (vmci_get(info, key, base, var) < 0) DOUBT("VMCOREINFO lacks " key); })
        r = read_swap_list(&m, &why);
        if (r < 0)
                goto finish;
        r = read_vmcoreinfo(&m, &info);
        if (r < 0)
                DOUBT("cannot read A's VMCOREINFO");
        NEED("PAGESIZE", 10, &v);
        if (v != PAGE)
                DOUBT("A's page size is not 4096");
        NEED("SYMBOL(init_top_pgt)", 16, &top_pgt);
        NEED("NUMBER(phys_base)", 10, &phys_base);
        (void) vmci_get(info, "NUMBER(pgtable_l5_enabled)", 10, &l5);
        (void) vmci_get(info, "NUMBER(sme_mask)", 10, &sme_mask);
        NEED("SYMBOL(vmemmap)", 16, &l.vmemmap);
        NEED("SIZE(page)", 10, &l.page_size);
        NEED("OFFSET(page._mapcount)", 10, &l.off_mapcount);
        NEED("OFFSET(page.private)", 10, &l.off_private);
        NEED("NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)", 10, &l.buddy_value);
        NEED("LENGTH(zone.free_area)", 10, &l.orders);
        if (top_pgt < START_KERNEL_MAP || l5 > 1)
                DOUBT("A's page-table root is out of bounds");
        if (l.page_size < 32 || l.page_size > 256 || PAGE % l.page_size != 0 ||
            l.off_mapcount + 4 > l.page_size || l.off_private + 8 > l.page_size || l.off_mapcount % 4 ||
            l.off_private % 8)
                DOUBT("A's struct page layout is out of bounds");
        if (l.orders == 0 || l.orders > 20)
                DOUBT("A's number of page orders is out of bounds");
        if (((uint32_t) l.buddy_value & 0xffffffu) == 0 && (uint32_t) l.buddy_value >> 24 >= 0x80)
                l.buddy_in_top_byte = true;
        else if (__builtin_popcount(~(uint32_t) l.buddy_value) != 1 || (~(uint32_t) l.buddy_value & 0xf0000000u))
                DOUBT("A marks its free pages in a way kjump does not know");
        m.root = top_pgt - START_KERNEL_MAP + phys_base;
        m.levels = l5 ? 5 : 4;
        m.entry_mask = PAGE_MASK_ADDR & ~sme_mask;

        for (size_t i = 0; i < in->n_ranges; i++)
                bits += (in->ranges[i].end - in->ranges[i].start) / PAGE;
        f.first_bit = calloc(MAX(in->n_ranges, (size_t) 1), sizeof(uint64_t));
        f.bitmap = calloc(bits / 8 + 1, 1);
        if (!f.first_bit || !f.bitmap) {
                r = -ENOMEM;
                goto finish;
        }
        for (size_t i = 0, b = 0; i < in->n_ranges; i++) {
                if (in->ranges[i].start % PAGE || in->ranges[i].end % PAGE)
                        DOUBT("a RAM range not aligned to pages");
                f.first_bit[i] = b;
                b += (in->ranges[i].end - in->ranges[i].start) / PAGE;
        }
        r = scan(&m, &l, &f, &why);
        if (r < 0)
                goto finish;

        /* The cross-check: what the struct pages say against A's counter.
         * They differ by what the boot CPU has not folded into the
         * counter yet (a few hundred pages) and by isolated blocks. */
        r = free_counter(&m, info, &f.counter, &why);
        if (r < 0)
                goto finish;
        slack = 4096 + f.counter / 32;
        if (f.n_free_all > f.counter + slack || f.n_free_all + slack < f.counter)
                DOUBT("the free pages found disagree with A's own count");
        r = 0;
finish:
#undef NEED
#undef DOUBT
        amem_unmap(&m);
        free(m.window_src);
        if (r < 0) {
                free_pages_done(&f);
                if (ret_why)
                        *ret_why = why ?: "cannot read A's memory";
                return r;
        }
        *ret = f;
        return 0;
}

void free_pages_done(FreePages *f) {
        free(f->first_bit);
        free(f->bitmap);
        f->first_bit = NULL;
        f->bitmap = NULL;
}

int64_t free_pages_bit(const FreePages *f, uint64_t phys) {
        size_t lo = 0, hi = f->n_ranges;

        if (!f->bitmap)
                return -1;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;

                if (phys < f->ranges[mid].start)
                        hi = mid;
                else if (phys >= f->ranges[mid].end)
                        lo = mid + 1;
                else
                        return (int64_t) (f->first_bit[mid] + (phys - f->ranges[mid].start) / PAGE);
        }
        return -1;
}

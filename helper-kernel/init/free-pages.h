/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "image-writer.h"
#include "memmap.h"

/* A's free pages, found from A's own state while A is stopped: the
 * helper reads A's VMCOREINFO, walks A's page tables to its struct pages
 * (vmemmap) and takes every buddy block (a head page typed "buddy", its
 * order in page.private) as free, as makedumpfile does. Pages A keeps in
 * the helper's window were swapped out at the jump: they are read where
 * A's kexec entry list put them. Every value is checked; on any doubt
 * the whole search fails, and the image saves every page. */

typedef struct FreePageInput {
        ImageSource source;        /* A's physical memory outside the window */
        const MemRange *a_ram;     /* all of A's RAM, the window included, sorted */
        size_t n_a_ram;
        MemRange window;           /* the helper's window */
        uint64_t jump_back_entry;  /* A's kexec_jump_back_entry (its control page) */
        uint64_t vmcoreinfo_phys;  /* /sys/kernel/vmcoreinfo in A */
        uint64_t vmcoreinfo_size;
        const MemRange *ranges;    /* the RAM the image saves (outside the window), sorted */
        size_t n_ranges;
} FreePageInput;

struct FreePages {
        const MemRange *ranges;    /* as in the input */
        size_t n_ranges;
        uint64_t *first_bit;       /* per range: its first page's bit */
        uint8_t *bitmap;           /* bit set: free in A */
        uint64_t n_free;           /* free pages among ranges */
        uint64_t n_free_all;       /* free pages in all of A's RAM */
        uint64_t counter;          /* A's NR_FREE_PAGES */
};
typedef struct FreePages FreePages;

/* Fills RET; on failure -errno and a reason (static string). */
int free_pages_find(const FreePageInput *in, FreePages *ret, const char **ret_why);
void free_pages_done(FreePages *f);

/* The bit of the page at PHYS, or -1 when PHYS is in none of the ranges. */
int64_t free_pages_bit(const FreePages *f, uint64_t phys);
static inline bool free_pages_test(const FreePages *f, int64_t bit) {
        return bit >= 0 && (f->bitmap[bit / 8] & (1u << (bit % 8)));
}

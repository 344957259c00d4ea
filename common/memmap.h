/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A physical address range [start, end), end exclusive. */
typedef struct MemRange {
        uint64_t start;
        uint64_t end;
} MemRange;

typedef enum MemType {
        MEM_RAM,       /* "System RAM" */
        MEM_RESERVED,  /* anything else the firmware reported */
} MemType;

typedef struct MemEntry {
        MemRange range;
        MemType type;
        char type_name[32];
} MemEntry;

typedef struct MemMap {
        MemEntry *entries;
        size_t n;
} MemMap;

void memmap_done(MemMap *m);

/* Appends one entry; keeps entries sorted by start. */
int memmap_add(MemMap *m, uint64_t start, uint64_t end, const char *type_name);

/* Reads the firmware memory map from DIR (normally /sys/firmware/memmap),
 * where each numbered subdirectory holds start, end (inclusive) and type. */
int memmap_read_sysfs(const char *dir, MemMap *ret);

/* Writes into *ret the RAM ranges of M that lie outside WINDOW, sorted and
 * page aligned inward. These are the pages a hibernation image must hold. */
int memmap_ram_outside(const MemMap *m, const MemRange *window, MemRange **ret, size_t *ret_n);

/* Total bytes of RAM in M. */
uint64_t memmap_ram_bytes(const MemMap *m);

/* True when both maps list the same ranges with the same kinds. */
bool memmap_equal(const MemMap *a, const MemMap *b);

uint64_t ranges_bytes(const MemRange *r, size_t n);

/* The memmap= words that confine a parked helper (docs/design.md, "The
 * parked helper"): memmap=exactmap, the window's RAM as RAM, and A's RAM
 * outside the window as ACPI data ("#"), which the helper never uses but
 * maps, so that its jumps back reach A's entry without a kexec segment on
 * A's memory. -EINVAL when the window holds no RAM. */
int memmap_park_cmdline(const MemMap *m, const MemRange *window, char **ret);

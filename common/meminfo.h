/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* What /proc/meminfo says, in bytes. */
typedef struct MemInfo {
        uint64_t total, free, available, cached, dirty;
} MemInfo;

/* Parses the text of /proc/meminfo. -EBADMSG when MemTotal is missing. */
int meminfo_parse(const char *text, MemInfo *ret);
int meminfo_read(const char *path, MemInfo *ret);

/* RAM in use now (total - free): pages an image holds unless they are zero. */
uint64_t meminfo_in_use(const MemInfo *m);

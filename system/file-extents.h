/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "extent-map.h"

/* The extents of an open regular file, checked for what a writer that
 * bypasses the file system needs: every block allocated and written, not
 * shared, not inline, not encoded, not delayed. Fills *ret with physical
 * offsets on the file system's block device. On refusal returns -EINVAL
 * and the reason. */
int target_map_file(int fd, TargetMap *ret, const char **ret_error);

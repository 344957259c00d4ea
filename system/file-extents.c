/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "extent-map.h"
#include "file-extents.h"
#include "macro.h"

#define ALIGNMENT UINT64_C(4096)

int target_map_file(int fd, TargetMap *ret, const char **ret_error) {
        _cleanup_(target_map_done) TargetMap m = {};
        _cleanup_free_ struct fiemap *fm = NULL;
        const unsigned batch = 256;
        uint64_t start = 0;
        struct stat st;
        bool last = false;
        int r;

#define REFUSE(msg) ({ if (ret_error) *ret_error = (msg); return -EINVAL; })
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                REFUSE("not a regular file");
        if (st.st_size <= 0 || st.st_size % ALIGNMENT)
                REFUSE("file size is not a positive multiple of 4096");

        fm = malloc(sizeof(struct fiemap) + batch * sizeof(struct fiemap_extent));
        if (!fm)
                return -ENOMEM;

        while (!last && start < (uint64_t) st.st_size) {
                memset(fm, 0, sizeof(struct fiemap));
                fm->fm_start = start;
                fm->fm_length = (uint64_t) st.st_size - start;
                /* SYNC: flush delayed allocation first, so every extent
                 * has its final place. */
                fm->fm_flags = FIEMAP_FLAG_SYNC;
                fm->fm_extent_count = batch;
                if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0) {
                        if (errno == EOPNOTSUPP || errno == ENOTTY)
                                REFUSE("the file system cannot map file extents (FIEMAP)");
                        return negative_errno();
                }
                if (fm->fm_mapped_extents == 0)
                        break;
                for (unsigned i = 0; i < fm->fm_mapped_extents; i++) {
                        const struct fiemap_extent *e = &fm->fm_extents[i];
                        uint64_t len = e->fe_length;

                        if (e->fe_flags & FIEMAP_EXTENT_UNWRITTEN)
                                REFUSE("the file has unwritten (preallocated but never written) extents");
                        if (e->fe_flags & FIEMAP_EXTENT_SHARED)
                                REFUSE("the file shares extents with another file (reflink or snapshot)");
                        if (e->fe_flags & (FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_NOT_ALIGNED))
                                REFUSE("the file has inline or unaligned data");
                        if (e->fe_flags & (FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_DATA_ENCRYPTED))
                                REFUSE("the file's data is compressed or encrypted by the file system");
                        if (e->fe_flags & (FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNKNOWN))
                                REFUSE("the file has extents whose place on the disk is not known");
                        if (e->fe_logical + len > (uint64_t) st.st_size)
                                len = (uint64_t) st.st_size - e->fe_logical;
                        r = target_map_add(&m, e->fe_logical, e->fe_physical, len);
                        if (r < 0)
                                return r;
                        start = e->fe_logical + e->fe_length;
                        if (e->fe_flags & FIEMAP_EXTENT_LAST)
                                last = true;
                }
        }
        m.size = st.st_size;
        if (m.n == 0)
                REFUSE("the file has holes: it must be written in full");
        r = target_map_check(&m, ret_error);
        if (r == -EINVAL && ret_error && strcmp(*ret_error, "extents leave a hole or overlap") == 0)
                REFUSE("the file has holes: it must be written in full");
        if (r < 0)
                return r;
#undef REFUSE
        *ret = m;
        m = (TargetMap) {};
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* As root, with loop devices: the extent mapper on real ext4 and xfs file systems made by
 * mkfs in the test, and the libblkid resolver on file systems with a known
 * UUID and LABEL. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "extent-map.h"
#include "file-extents.h"
#include "helper-params.h"
#include "target.h"
#include "tests.h"

#define MIB (1u << 20)

/* ---------------------------------------------------------------- as root */

static char dir[] = "/tmp/test-target-fs-XXXXXX";

static int sh(const char *format, ...) _printf_(1, 2);
static int sh(const char *format, ...) {
        char cmd[1024];
        va_list ap;

        va_start(ap, format);
        vsnprintf(cmd, sizeof(cmd), format, ap);
        va_end(ap);
        return system(cmd);
}

/* Makes a file system image, attaches it to a loop device, mounts it at
 * DIR/mnt; returns the loop device in LOOP. */
static void make_fs(const char *mkfs, char loop[static 64]) {
        FILE *f;

        ASSERT(sh("truncate -s 512M %s/fs.img && %s %s/fs.img >/dev/null 2>&1", dir, mkfs, dir) == 0);
        ASSERT(sh("losetup -f --show %s/fs.img > %s/loop", dir, dir) == 0);
        snprintf(loop, 64, "%s/loop", dir);
        f = fopen(loop, "re");
        ASSERT(f && fgets(loop, 64, f));
        fclose(f);
        loop[strcspn(loop, "\n")] = 0;
        ASSERT(sh("mkdir -p %s/mnt && mount %s %s/mnt", dir, loop, dir) == 0);
}

static void drop_fs(const char *loop) {
        ASSERT(sh("umount %s/mnt && losetup -d %s && rm -f %s/fs.img", dir, loop, dir) == 0);
}

/* The extents point at the right blocks: data written through the map on
 * the raw device reads back through the file system. */
static void check_extents_on_device(const char *file, const char *loop) {
        _cleanup_(target_map_done) TargetMap m = {};
        _cleanup_free_ uint8_t *buf = NULL, *back = NULL;
        _cleanup_close_ int ffd = -EBADF, dfd = -EBADF;
        const char *why = NULL;
        const size_t n = 4 * MIB;

        ffd = open(file, O_RDONLY | O_CLOEXEC);
        ASSERT(ffd >= 0);
        ASSERT_OK(target_map_file(ffd, &m, &why));
        ASSERT(m.size == 32 * MIB && m.n >= 1);

        buf = aligned_alloc(4096, n);
        back = aligned_alloc(4096, n);
        ASSERT(buf && back);
        for (size_t i = 0; i < n; i++)
                buf[i] = (uint8_t) (i * 13 + i / 4096);
        dfd = open(loop, O_RDWR | O_DIRECT | O_CLOEXEC);
        ASSERT(dfd >= 0);
        ASSERT_OK(target_pwrite(dfd, &m, buf, n, 28 * MIB));
        ASSERT(fsync(dfd) == 0);
        /* Read through the file system, bypassing its cache. */
        safe_close(ffd);
        ffd = open(file, O_RDONLY | O_DIRECT | O_CLOEXEC);
        ASSERT(ffd >= 0);
        ASSERT_OK(pread_full(ffd, back, n, 28 * MIB));
        ASSERT(memcmp(buf, back, n) == 0);
}

/* Runs "COMMAND FILE" to make a bad file, and checks the mapper refuses it. */
static void check_refusal(const char *command, const char *expect) {
        _cleanup_(target_map_done) TargetMap m = {};
        _cleanup_close_ int fd = -EBADF;
        const char *why = NULL;
        char file[256];

        snprintf(file, sizeof(file), "%s/mnt/bad", dir);
        ASSERT(sh("%s %s", command, file) == 0);
        fd = open(file, O_RDONLY | O_CLOEXEC);
        ASSERT(fd >= 0);
        ASSERT_ERR(target_map_file(fd, &m, &why), EINVAL);
        ASSERT_STREQ(why, expect);
        unlink(file);
}

/* The re-check right before a jump, on a Target built by hand (target_open
 * refuses file systems on loop devices). */
static void check_recheck(const char *file) {
        _cleanup_(target_done) Target t = TARGET_NULL;
        _cleanup_(helper_params_done) HelperParams p = {};
        _cleanup_free_ char *why = NULL;
        const char *mwhy = NULL;
        char old[300];
        struct stat st;
        int fd;

        t.is_file = true;
        t.file = strdup(file);
        t.spec = strdup(file);
        ASSERT(t.file && t.spec && stat(file, &st) == 0);
        t.file_dev = st.st_dev;
        t.file_ino = st.st_ino;
        t.device_rdev = st.st_dev; /* a loop device, no device-mapper: the file system's own */
        t.device_size = p.target_device_size = 1u << 30;
        fd = open(file, O_RDONLY | O_CLOEXEC);
        ASSERT(fd >= 0);
        ASSERT_OK(target_map_file(fd, &t.map, &mwhy));
        ASSERT_OK(target_map_file(fd, &p.target, &mwhy));
        close(fd);
        ASSERT_OK(target_recheck(&t, &p, &why));

        /* Not immutable any more: its blocks may move. */
        ASSERT(sh("chattr -i %s", file) == 0);
        ASSERT_ERR(target_recheck(&t, &p, &why), ESTALE);
        ASSERT(strstr(why, "not immutable"));
        why = mfree(why);

        /* Moved away and created again (kjumpctl setup-target while the
         * helper is loaded): another inode on other blocks. */
        snprintf(old, sizeof(old), "%s.old", file);
        ASSERT(rename(file, old) == 0);
        ASSERT_OK(target_setup_file(file, 32 * MIB, false, &why));
        why = mfree(why);
        ASSERT_ERR(target_recheck(&t, &p, &why), ESTALE);
        ASSERT(strstr(why, "replaced"));
        why = mfree(why);
        ASSERT(unlink(old) == 0);

        /* A link in its place is never followed. */
        ASSERT(sh("chattr -i %s && mv %s %s && ln -s %s %s", file, file, old, old, file) == 0);
        ASSERT_ERR(target_recheck(&t, &p, &why), ESTALE);
        ASSERT(sh("rm -f %s && mv %s %s && chattr +i %s", file, old, file, file) == 0);
}

TEST(ext4) {
        _cleanup_(target_done) Target t = TARGET_NULL;
        _cleanup_free_ char *why = NULL, *resolved = NULL;
        char loop[64], file[256];
        struct stat st;

        make_fs("mkfs.ext4 -q -F -U 6b6a756d-0000-4000-8000-000000000001 -L kjump-unit", loop);
        snprintf(file, sizeof(file), "%s/mnt/kjump/image", dir);
        ASSERT_OK(target_setup_file(file, 32 * MIB, false, &why));
        ASSERT(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_uid == 0);
        check_extents_on_device(file, loop);
        /* Immutable: nothing may move or change its blocks. */
        ASSERT(sh("sh -c 'echo x >> %s' 2>/dev/null", file) != 0);

        /* A file system on a loop device is out of the helper's reach. */
        ASSERT(target_open(file, &t, &why) < 0);
        ASSERT(strstr(why, "a loop device"));

        check_recheck(file);

        /* Someone's file is never replaced by setup-target without --force. */
        {
                char other[300];

                snprintf(other, sizeof(other), "%s/mnt/precious", dir);
                ASSERT(sh("echo precious > %s", other) == 0);
                ASSERT_ERR(target_setup_file(other, 32 * MIB, false, &why), EEXIST);
                ASSERT(strstr(why, "not a kjump target"));
                why = mfree(why);
                ASSERT(sh("grep -q precious %s", other) == 0);
                ASSERT_OK(target_setup_file(other, 32 * MIB, true, &why));
                ASSERT(sh("chattr -i %s && rm %s", other, other) == 0);
                /* A kjump target is replaced as it is. */
                ASSERT_OK(target_setup_file(file, 32 * MIB, false, &why));
        }

        check_refusal("truncate -s 8M", "the file has holes: it must be written in full");
        check_refusal("fallocate -l 8M", "the file has unwritten (preallocated but never written) extents");

        /* libblkid resolves the file system's UUID and LABEL to the device. */
        ASSERT(sh("sync") == 0);
        ASSERT_OK(target_resolve("UUID=6b6a756d-0000-4000-8000-000000000001", &resolved));
        ASSERT_STREQ(resolved, loop);
        free(TAKE_PTR(resolved));
        ASSERT_OK(target_resolve("LABEL=kjump-unit", &resolved));
        ASSERT_STREQ(resolved, loop);
        free(TAKE_PTR(resolved));
        ASSERT_ERR(target_resolve("LABEL=no-such-label-anywhere", &resolved), ENOENT);

        ASSERT(sh("chattr -i %s", file) == 0);
        drop_fs(loop);
}

TEST(xfs) {
        _cleanup_free_ char *why = NULL;
        char loop[64], file[256];

        make_fs("mkfs.xfs -q -f -m reflink=1 -L kjump-xfs", loop);
        snprintf(file, sizeof(file), "%s/mnt/image", dir);
        ASSERT_OK(target_setup_file(file, 32 * MIB, false, &why));
        check_extents_on_device(file, loop);
        /* A reflinked copy shares its extents: refused. */
        ASSERT(sh("chattr -i %s", file) == 0);
        {
                char cmd[512];
                snprintf(cmd, sizeof(cmd), "cp --reflink=always %s/mnt/image", dir);
                check_refusal(cmd, "the file shares extents with another file (reflink or snapshot)");
        }
        drop_fs(loop);
}

/* An assertion aborts: leave no mount or loop device behind. */
static void cleanup_on_abort(int sig) {
        sh("umount -l %s/mnt 2>/dev/null; losetup -j %s/fs.img -O NAME -n | xargs -r -n1 losetup -d; rm -rf %s",
           dir, dir, dir);
        signal(sig, SIG_DFL);
        raise(sig);
}

int main(void) {
        if (geteuid() != 0 || access("/dev/loop-control", F_OK) < 0) {
                fprintf(stderr, "Not root or no loop devices: skipping the file system tests.\n");
                return EXIT_TEST_SKIP;
        }
        ASSERT(mkdtemp(dir));
        signal(SIGABRT, cleanup_on_abort);
        test_ext4();
        if (access("/usr/sbin/mkfs.xfs", X_OK) == 0 || access("/sbin/mkfs.xfs", X_OK) == 0)
                test_xfs();
        ASSERT(sh("rm -rf %s", dir) == 0);
        return 0;
}

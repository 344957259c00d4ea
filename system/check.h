/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

/* Everything that stands between this system and a hibernation, each as a
 * sentence. Returns the number of problems (0: hibernation is possible),
 * and the sentences in *ret (NULL-terminated, free with strv_free). */
int kjump_check(const KjumpConfig *c, char ***ret);

/* What kernel RELEASE, installed below ROOT (its /boot/config-RELEASE),
 * lacks for kjump: KEXEC_JUMP and the rest, the GDT fix. For a kernel not
 * running yet (kjumpctl check-kernel, from the kernel's postinst hook). */
int kjump_check_kernel(const char *root, const char *release, char ***ret);

/* kjump_check(), and whether each installed initrd records where the
 * target is now (check_initrd_locations()): what 'kjumpctl check' says. A
 * stale initrd does not stop kjumpd, which cannot know the next boot's
 * kernel command line (kjump.resume= overrides the initrd). */
int kjump_check_with_initrds(const KjumpConfig *c, char ***ret);

/* The same, reading /proc and /sys below ROOT ("/" for this system). Below
 * another root (a test's fake tree) nothing is probed through a syscall,
 * and the target is not opened. */
int kjump_check_at(const char *root, const KjumpConfig *c, bool initrds, char ***ret);

/* Whether the first "flags" line of /proc/cpuinfo's text lists FLAG as a
 * word. */
bool cpuinfo_has_flag(const char *cpuinfo, const char *flag);

/* Compares the location each installed initrd records (its kjump hook
 * writes it to ROOT/var/lib/kjump/initrd/VERSION when it builds
 * ROOT/boot/initrd.img-VERSION or ROOT/boot/initramfs-VERSION.img) with
 * LOCATION, the target's "kjump.resume=..." now, and adds a sentence to
 * *REASONS (NULL-terminated, grown) for each initrd that is stale. Returns
 * how many it added. */
int check_initrd_locations(const char *root, const char *location, char ***reasons);

/* Where the initrd hooks record each initrd's location. */
#define KJUMP_INITRD_RECORDS "/var/lib/kjump/initrd"

/* The kernel versions whose initrd records another location than
 * LOCATION (or none), as check_initrd_locations() finds them: their count,
 * and the list in *RET_VERSIONS (NULL-terminated, may be NULL when 0). */
int check_stale_initrds(const char *root, const char *location, char ***ret_versions);

/* Will the next boot of this kernel look for the image at LOCATION
 * ("kjump.resume=...")? It looks where kjump.resume= on the current kernel
 * command line says, else where its initrd records (check_initrd_locations()).
 * -ESTALE with the reason when that is known to be elsewhere; 0 when it
 * matches or nothing says (no kjump hook has recorded anything yet). */
int check_boot_finds(const char *root, const char *location, char **ret_reason);

/* Can this machine suspend to RAM: ROOT/sys/power/state offers "mem"
 * and, with NEED_S3, ROOT/sys/power/mem_sleep offers "deep" (ACPI S3:
 * the helper kernel suspends for hybrid sleep, and suspend-to-idle there
 * would have no wake source). -EOPNOTSUPP with the reason when not. */
int check_suspend(const char *root, bool need_s3, char **ret_reason);

void strv_free(char **l);

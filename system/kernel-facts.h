/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* What kjump needs to know of a running kernel, as pure functions of its
 * release string and configuration text (kjump_check() reads them). */

/* "6.12.117+deb13-amd64" -> 6, 12, 117. -EINVAL when it does not start
 * with MAJOR.MINOR. */
int kernel_version_parse(const char *release, unsigned *ret_major, unsigned *ret_minor, unsigned *ret_patch);

/* Does RELEASE carry "x86/kexec: Restore GDT on return from
 * ::preserve_context kexec"? By version (6.13 and later, 6.12.5+,
 * 6.6.66+), or by a glob in BACKPORTS (the text of data/kernel-backports;
 * may be NULL). */
bool kernel_has_gdt_fix(const char *release, const char *backports);

/* The value of CONFIG_NAME in a kernel configuration's TEXT: "y", "m",
 * a value, or NULL when it is not set. Returns a pointer into a static
 * buffer. */
const char *kernel_config_get(const char *text, const char *name);

/* The drivers between the block device whose sysfs directory is DEVDIR
 * (/sys/dev/block/MAJ:MIN, links followed) and the root, nearest first,
 * that are not in DRIVERS (the text of data/helper-drivers): the first one
 * in *ret_missing (owned), or NULL when the helper has them all. */
int kernel_drivers_missing(const char *devdir, const char *drivers, char **ret_missing);

/* /sys/kernel/vmcoreinfo ("ADDRESS SIZE", hex): the physical address and
 * size of the kernel's VMCOREINFO note. -ENOENT without one. */
int kernel_vmcoreinfo_read(const char *path, uint64_t *ret_phys, uint64_t *ret_size);

/* Does the kernel command line CMDLINE turn on free-page poisoning
 * (page_poison=1)? Then free pages hold a pattern the kernel checks. */
bool kernel_poisons_free_pages(const char *cmdline);

/* Does the kernel need its free pages to hold zeros (init_on_free: it
 * zeroes pages as they are freed, and then hands them out, __GFP_ZERO
 * ones included, without zeroing them again)? From the command line
 * CMDLINE (init_on_free=) and, without that, the configuration text CONFIG
 * (CONFIG_INIT_ON_FREE_DEFAULT_ON); true when it cannot tell (CONFIG NULL,
 * or a value the kernel would not take). */
bool kernel_zeroes_free_pages(const char *cmdline, const char *config);

/* What kjump may do with the kernel's free pages. */
typedef enum FreePagesUse {
        FREE_PAGES_SAVE,         /* in the image like any page: the kernel poisons them */
        FREE_PAGES_SKIP_ZERO,    /* left out of the image, zeroed at a restore */
        FREE_PAGES_SKIP_LEAVE,   /* left out, and left alone at a restore */
} FreePagesUse;

/* From the command line CMDLINE (NULL: unknown) and the configuration
 * CONFIG (NULL: unknown), by kernel_poisons_free_pages() and
 * kernel_zeroes_free_pages(); *RET_WHY: why, for anything but SKIP_LEAVE. */
FreePagesUse kernel_free_pages_use(const char *cmdline, const char *config, const char **ret_why);
/* The same for the running kernel, read once per process: nothing it
 * depends on changes before the next boot. */
FreePagesUse running_kernel_free_pages_use(const char **ret_why);
/* What the next hibernation does with them: SAVE when SAVE_FREE_PAGES
 * (SaveFreePages=yes) or without VMCOREINFO (/sys/kernel/vmcoreinfo, to
 * find them with), otherwise running_kernel_free_pages_use(). */
FreePagesUse free_pages_use(bool save_free_pages, bool vmcoreinfo, const char **ret_why);

/* The running kernel's configuration below ROOT: /proc/config.gz, else
 * /boot/config-RELEASE. */
int kernel_config_read(const char *root, const char *release, char **ret);

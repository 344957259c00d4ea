/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* /etc/kjump/kjump.conf and /etc/kjump/kjump.conf.d/[wildcard].conf
 * (kjump.conf(5)):
 *
 *   [Hibernate]
 *   Target=/var/lib/kjump/image      path, UUID=, PARTUUID=, LABEL=
 *   TargetSize=60%                   setup-target's file size: N% of RAM, a size, or "ram"
 *   HelperKernel=/usr/lib/kjump/helper.bzImage
 *   HelperInitrd=/usr/lib/kjump/helper.cpio
 *   WindowSize=64M
 *   Compression=lz4                  lz4, zstd or stored
 *   CompressionLevel=0               0: the codec's default
 *   AdaptiveCompression=yes          store chunks as is while compressing does not pay
 *   Preload=yes                      keep the helper loaded (pins WindowSize of RAM)
 *   ParkHelper=no                    boot the preloaded helper once and park it
 *   SaveFreePages=no                 save A's free pages too
 */
typedef struct KjumpConfig {
        char *target;
        char *target_size;   /* setup-target's default size: "N%" of RAM, a size, or "ram" */
        char *helper_kernel;
        char *helper_initrd;
        uint64_t window_size;
        uint32_t compression;
        int compression_level;
        bool adaptive_compression;
        bool preload;
        bool park_helper;
        bool save_free_pages;
        int encryption;         /* enum Encryption: Encryption= */
} KjumpConfig;

/* KJUMP_CONF_DIR comes from the build: SYSCONFDIR/kjump. */

void kjump_config_defaults(KjumpConfig *c);
void kjump_config_done(KjumpConfig *c);

/* Parses TEXT (from FILE, for messages) into C. On a bad line returns
 * -EINVAL and "FILE:LINE: reason" in *ret_error. */
int kjump_config_parse(KjumpConfig *c, const char *file, const char *text, char **ret_error);

/* Loads DIR/kjump.conf, then DIR/kjump.conf.d/[wildcard].conf in lexical order; later
 * files override earlier ones. Missing files are fine. */
int kjump_config_load(KjumpConfig *c, const char *dir, char **ret_error);

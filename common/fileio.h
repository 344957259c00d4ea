/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads a whole file (up to MAX bytes) into a NUL-terminated buffer. */
int read_full_file(const char *path, size_t max, char **ret, size_t *ret_size);

/* Reads the first line of DIR/SUB/NAME, without its newline. */
int read_one_line_at(const char *dir, const char *sub, const char *name, char **ret);
int read_one_line(const char *path, char **ret);

int write_string_file(const char *path, const char *s);
/* Creates DIR and its missing parents with MODE. */
int mkdir_p(const char *dir, mode_t mode);
/* Writes TEXT to PATH (0644) through TMP and rename(): a reader sees the
 * old file or the new one, never a part. */
int write_file_atomic(const char *path, const char *tmp, const char *text);

/* Reads or writes exactly N bytes at OFFSET, retrying on short transfers. */
int pread_full(int fd, void *buf, size_t n, off_t offset);
int pwrite_full(int fd, const void *buf, size_t n, off_t offset);
int write_full(int fd, const void *buf, size_t n);

/* The size of a regular file or a block device. */
int fd_size(int fd, uint64_t *ret);

/* Parses a decimal or 0x-prefixed hexadecimal unsigned 64-bit number,
 * rejecting signs, trailing garbage and overflow. */
int parse_u64(const char *s, uint64_t *ret);

/* Parses "64M", "1G", "4096" (binary units) into bytes. */
int parse_size(const char *s, uint64_t *ret);
/* "yes"/"true"/"on"/"1" -> 1, "no"/"false"/"off"/"0" -> 0, else -EINVAL. */
int parse_boolean(const char *s);
/* A systemd time span ("90", "30s", "1h 30min", "2d"; a bare number is
 * seconds) in microseconds. */
int parse_timespan(const char *s, uint64_t *ret_usec);

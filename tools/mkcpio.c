/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Builds a newc cpio archive without root:
 *   mkcpio OUT SPEC...     SPEC: dir:NAME:MODE | file:NAME:MODE:SOURCE |
 *                          nod:NAME:MODE:MAJOR:MINOR | slink:NAME:TARGET | @FILE
 * @FILE reads one SPEC a line from FILE. Parents must come before their
 * children, as the kernel's unpacker creates them in order. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpio.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"

static int add_spec(Cpio *c, char *spec) {
        char *f[6] = {};
        size_t n = 0;
        unsigned long mode;

        for (char *s = spec, *save = NULL; n < ELEMENTSOF(f) && (s = strtok_r(s, ":", &save)); s = NULL)
                f[n++] = s;
        if (n < 3)
                return -EINVAL;
        if (strcmp(f[0], "slink") == 0 && n == 3)
                return cpio_add_symlink(c, f[1], f[2]);
        mode = strtoul(f[2], NULL, 8);

        if (strcmp(f[0], "dir") == 0 && n == 3)
                return cpio_add_dir(c, f[1], mode);
        if (strcmp(f[0], "nod") == 0 && n == 5)
                return cpio_add_char_device(c, f[1], mode, atoi(f[3]), atoi(f[4]));
        if (strcmp(f[0], "file") == 0 && n == 4) {
                _cleanup_free_ char *data = NULL;
                size_t size;
                int r = read_full_file(f[3], 512u << 20, &data, &size);
                if (r < 0)
                        return log_error_errno(r, "Failed to read %s: %m", f[3]);
                return cpio_add_file(c, f[1], mode, data, size);
        }
        return -EINVAL;
}

int main(int argc, char *argv[]) {
        _cleanup_(cpio_done) Cpio c = {};
        _cleanup_close_ int fd = -EBADF;
        int r;

        log_set_prefix("mkcpio");
        if (argc < 2) {
                log_error("usage: mkcpio OUT SPEC...");
                return 2;
        }
        for (int i = 2; i < argc; i++) {
                _cleanup_free_ char *spec = NULL, *list = NULL;

                if (argv[i][0] == '@') {
                        r = read_full_file(argv[i] + 1, 64u << 20, &list, NULL);
                        if (r < 0) {
                                log_error_errno(r, "Failed to read %s: %m", argv[i] + 1);
                                return 1;
                        }
                        for (char *line = list, *save = NULL; (line = strtok_r(line, "\n", &save)); line = NULL) {
                                _cleanup_free_ char *copy = strdup(line);
                                if (!copy)
                                        return 1;
                                r = add_spec(&c, copy);
                                if (r < 0) {
                                        log_error_errno(r, "Bad entry '%s': %m", line);
                                        return 1;
                                }
                        }
                        continue;
                }
                spec = strdup(argv[i]);
                if (!spec)
                        return 1;
                r = add_spec(&c, spec);
                if (r < 0) {
                        log_error_errno(r, "Bad entry '%s': %m", argv[i]);
                        return 1;
                }
        }
        r = cpio_finish(&c);
        if (r < 0)
                return 1;
        fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
                log_error_errno(errno, "Failed to create %s: %m", argv[1]);
                return 1;
        }
        r = write_full(fd, c.data, c.size);
        if (r < 0) {
                log_error_errno(r, "Failed to write %s: %m", argv[1]);
                return 1;
        }
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "platform.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"

#define MSR_IA32_APICBASE 0x1b
#define APICBASE_EXTD (UINT64_C(1) << 10)
#define APICBASE_ENABLE (UINT64_C(1) << 11)

const char *platform_apic_mode(void) {
        _cleanup_close_ int fd = open("/dev/cpu/0/msr", O_RDONLY | O_CLOEXEC);
        uint64_t v;

        if (fd < 0 || pread(fd, &v, sizeof v, MSR_IA32_APICBASE) != (ssize_t) sizeof v)
                return "unknown";
        if (!(v & APICBASE_ENABLE))
                return "off";
        return v & APICBASE_EXTD ? "x2apic" : "xapic";
}

static bool irq_wanted(unsigned irq, const unsigned *irqs, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (irqs[i] == irq)
                        return true;
        return false;
}

int interrupts_sum(const char *text, const unsigned *irqs, size_t n, DiskIrqs *ret) {
        DiskIrqs d = { .vectors = n };
        _cleanup_free_ bool *hit = NULL;
        unsigned ncpus = 0;
        const char *line = text, *nl;

        /* The header names one column per online CPU: "CPU0 CPU1 ...". */
        nl = strchr(line, '\n');
        for (const char *p = line; p && (!nl || p < nl); ) {
                p = strstr(p, "CPU");
                if (!p || (nl && p >= nl))
                        break;
                ncpus++;
                p += 3;
        }
        if (ncpus == 0)
                return -EINVAL;
        hit = calloc(ncpus, sizeof *hit);
        if (!hit)
                return -ENOMEM;

        for (line = nl ? nl + 1 : NULL; line && *line; line = nl ? nl + 1 : NULL) {
                nl = strchr(line, '\n');
                char *end;
                const char *p = line;
                while (*p == ' ')
                        p++;
                errno = 0;
                unsigned long irq = strtoul(p, &end, 10);
                if (end == p || *end != ':' || errno || irq > UINT_MAX || !irq_wanted((unsigned) irq, irqs, n))
                        continue;
                p = end + 1;
                for (unsigned c = 0; c < ncpus; c++) {
                        errno = 0;
                        unsigned long long v = strtoull(p, &end, 10);
                        if (end == p || errno)
                                break;
                        d.count += v;
                        if (v > 0)
                                hit[c] = true;
                        p = end;
                }
                if (d.found++ == 0) {
                        while (*p == ' ')
                                p++;
                        size_t len = strcspn(p, " \n");
                        if (len >= sizeof d.chip)
                                len = sizeof d.chip - 1;
                        memcpy(d.chip, p, len);
                        d.chip[len] = 0;
                }
        }
        for (unsigned c = 0; c < ncpus; c++)
                d.cpus_hit += hit[c];
        *ret = d;
        return 0;
}

int disk_interrupts(dev_t dev, DiskIrqs *ret) {
        char path[PATH_MAX + 32], real[PATH_MAX], msi[PATH_MAX + 16];
        unsigned irqs[256];
        size_t n = 0;

        snprintf(path, sizeof path, "/sys/dev/block/%u:%u", major(dev), minor(dev));
        if (!realpath(path, real))
                return -errno;
        /* A partition's device is its disk's. */
        snprintf(path, sizeof path, "%s/partition", real);
        snprintf(path, sizeof path, "%s/%s", real, access(path, F_OK) == 0 ? "../device" : "device");
        if (!realpath(path, real))
                return -errno;
        /* Up from the disk (a virtio device, an NVMe controller, a SCSI
         * target) to the PCI function that has the vectors. */
        for (unsigned depth = 0; depth < 8 && strcmp(real, "/sys/devices") > 0; depth++) {
                snprintf(msi, sizeof msi, "%s/msi_irqs", real);
                _cleanup_(closedirp) DIR *d = opendir(msi);
                if (d) {
                        struct dirent *de;
                        while ((de = readdir(d)) && n < ELEMENTSOF(irqs)) {
                                char *end;
                                unsigned long v = strtoul(de->d_name, &end, 10);
                                if (end != de->d_name && *end == 0 && v <= UINT_MAX)
                                        irqs[n++] = (unsigned) v;
                        }
                        break;
                }
                char *slash = strrchr(real, '/');
                if (!slash || slash == real)
                        break;
                *slash = 0;
        }

        _cleanup_free_ char *text = NULL;
        int r = read_full_file("/proc/interrupts", 4u << 20, &text, NULL);
        if (r < 0)
                return r;
        return interrupts_sum(text, irqs, n, ret);
}

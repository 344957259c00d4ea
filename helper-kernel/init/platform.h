/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What the helper's kernel made of the machine A left it: the APIC mode
 * its CPUs run in and how its target disk's interrupts reach them. On a
 * machine whose firmware or kernel put the APIC in x2APIC mode, a helper
 * without x2APIC and interrupt remapping comes up on one CPU without MSI;
 * these say so in the helper's marks. */

/* "x2apic", "xapic", "off" (IA32_APIC_BASE through /dev/cpu/0/msr), or
 * "unknown" when the MSR cannot be read. */
const char *platform_apic_mode(void);

typedef struct DiskIrqs {
        unsigned vectors;        /* MSI/MSI-X vectors of the disk's PCI function */
        unsigned found;          /* of those, lines in /proc/interrupts */
        uint64_t count;          /* interrupts delivered on them, all CPUs */
        unsigned cpus_hit;       /* CPUs that took at least one of them */
        char chip[48];           /* the first vector's irq chip ("IR-PCI-MSIX-0000:00:03.0") */
} DiskIrqs;

/* Sums /proc/interrupts (TEXT) over the IRQ numbers IRQS[N]. Pure, for
 * the tests. Returns 0, or -EINVAL when TEXT has no CPU header. */
int interrupts_sum(const char *text, const unsigned *irqs, size_t n, DiskIrqs *ret);

/* The interrupts of the PCI function behind block device DEV (a
 * partition's disk): its msi_irqs in sysfs, summed in /proc/interrupts.
 * vectors == 0 when it has no MSI (legacy INTx, or not PCI). */
int disk_interrupts(dev_t dev, DiskIrqs *ret);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "macro.h"
#include "platform.h"
#include "tests.h"

/* /proc/interrupts of a helper on a q35 machine with interrupt remapping:
 * the disk's MSI-X vectors 25-26, other lines around them. */
static const char remapped[] =
        "            CPU0       CPU1       \n"
        "   0:         41          0   IO-APIC    2-edge      timer\n"
        "   4:        312          0  IR-IO-APIC    4-edge      ttyS0\n"
        "  24:          0          0  IR-PCI-MSIX-0000:00:03.0    0-edge      virtio0-config\n"
        "  25:       1200          0  IR-PCI-MSIX-0000:00:03.0    1-edge      virtio0-req.0\n"
        "  26:          0        800  IR-PCI-MSIX-0000:00:03.0    2-edge      virtio0-req.1\n"
        " 250:          3          0  IR-PCI-MSIX-0000:00:04.0    0-edge      virtio1-config\n"
        " NMI:          0          0   Non-maskable interrupts\n"
        " LOC:       5000       4000   Local timer interrupts\n"
        " ERR:          0\n";

TEST(sum) {
        DiskIrqs d;
        const unsigned disk[] = { 24, 25, 26 };

        ASSERT_OK(interrupts_sum(remapped, disk, ELEMENTSOF(disk), &d));
        ASSERT(d.vectors == 3 && d.found == 3);
        ASSERT(d.count == 2000);
        ASSERT(d.cpus_hit == 2);
        ASSERT_STREQ(d.chip, "IR-PCI-MSIX-0000:00:03.0");

        /* One vector on one CPU: the other CPU took none. "250" is not "25". */
        const unsigned one[] = { 25 };
        ASSERT_OK(interrupts_sum(remapped, one, 1, &d));
        ASSERT(d.count == 1200 && d.cpus_hit == 1 && d.found == 1);

        /* Vectors absent from the table (freed since): found 0, no chip. */
        const unsigned gone[] = { 99 };
        ASSERT_OK(interrupts_sum(remapped, gone, 1, &d));
        ASSERT(d.vectors == 1 && d.found == 0 && d.count == 0 && d.chip[0] == 0);

        /* No MSI at all. */
        ASSERT_OK(interrupts_sum(remapped, NULL, 0, &d));
        ASSERT(d.vectors == 0 && d.count == 0);
}

TEST(not_remapped) {
        /* Without interrupt remapping: the chip says so; one CPU online. */
        static const char text[] =
                "           CPU0       \n"
                "  24:        917   PCI-MSIX-0000:00:03.0    1-edge      virtio0-req.0\n";
        const unsigned v[] = { 24 };
        DiskIrqs d;

        ASSERT_OK(interrupts_sum(text, v, 1, &d));
        ASSERT(d.count == 917 && d.cpus_hit == 1);
        ASSERT_STREQ(d.chip, "PCI-MSIX-0000:00:03.0");
}

TEST(malformed) {
        DiskIrqs d;
        const unsigned v[] = { 1 };

        ASSERT_ERR(interrupts_sum("", v, 1, &d), EINVAL);
        ASSERT_ERR(interrupts_sum("  1: 5 chip\n", v, 1, &d), EINVAL);
        /* A truncated line counts what it has. */
        ASSERT_OK(interrupts_sum(" CPU0 CPU1\n  1: 7", v, 1, &d));
        ASSERT(d.count == 7 && d.found == 1 && d.chip[0] == 0);
}

int main(void) {
        test_sum();
        test_not_remapped();
        test_malformed();
        return 0;
}

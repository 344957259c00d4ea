/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

#include "kernel-facts.h"
#include "macro.h"
#include "tests.h"

TEST(versions) {
        unsigned a, b, c;

        ASSERT_OK(kernel_version_parse("6.12.117+deb13-amd64", &a, &b, &c));
        ASSERT(a == 6 && b == 12 && c == 117);
        ASSERT_OK(kernel_version_parse("6.13-rc1", &a, &b, &c));
        ASSERT(a == 6 && b == 13 && c == 0);
        ASSERT_ERR(kernel_version_parse("linux", &a, &b, &c), EINVAL);
}

TEST(gdt_fix) {
        static const struct {
                const char *release;
                bool fixed;
        } table[] = {
                { "6.13.0", true }, { "6.14.2-arch1-1", true }, { "7.0.0", true },
                { "6.12.5", true }, { "6.12.117", true }, { "6.12.4", false }, { "6.12.0-rc7", false },
                { "6.6.66", true }, { "6.6.65-1-lts", false }, { "6.8.0-48-generic", false },
                { "6.1.0-28-amd64", false }, { "5.15.0-125-generic", false }, { "5.14.0-503.el9.x86_64", false },
        };
        const char *backports = "# comment\n\n5.15.0-9*-generic   # seen in a changelog\n";

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (kernel_has_gdt_fix(table[i].release, NULL) != table[i].fixed) {
                        fprintf(stderr, "%s: expected %s\n", table[i].release, table[i].fixed ? "fixed" : "not fixed");
                        abort();
                }
        ASSERT(kernel_has_gdt_fix("5.15.0-91-generic", backports));
        ASSERT(!kernel_has_gdt_fix("5.15.0-125-generic", backports));
}

TEST(config) {
        const char *text = "# comment\nCONFIG_KEXEC=y\n# CONFIG_KEXEC_JUMP is not set\nCONFIG_HZ=250\nCONFIG_KEXEC_FILE=y\n";

        ASSERT_STREQ(kernel_config_get(text, "CONFIG_KEXEC"), "y");
        ASSERT(kernel_config_get(text, "CONFIG_KEXEC_JUMP") == NULL);
        ASSERT_STREQ(kernel_config_get(text, "CONFIG_HZ"), "250");
        ASSERT(kernel_config_get(text, "CONFIG_HIBERNATION") == NULL);
}

/* A fake /sys: a virtio disk, and a USB stick behind xhci. */
TEST(drivers) {
        char root[] = "/tmp/test-kernel-facts-XXXXXX", cmd[2048], dev[512];
        const char *helper = "virtio_blk  CONFIG_VIRTIO_BLK\nvirtio-pci  CONFIG_VIRTIO_PCI\nsd CONFIG_BLK_DEV_SD\n"
                             "# comment\npcieport -\n";
        char *missing = NULL;

        ASSERT(mkdtemp(root));
        snprintf(cmd, sizeof(cmd),
                 "cd %s && mkdir -p bus/drivers/virtio_blk bus/drivers/virtio-pci bus/drivers/sd "
                 "bus/drivers/usb-storage bus/drivers/xhci_hcd bus/drivers/pcieport "
                 "devices/pci0000:00/0000:00:02.0/virtio1/block/vda "
                 "devices/pci0000:00/0000:00:1c.0/0000:01:00.0/usb1/1-1/1-1:1.0/host0/target0:0:0/0:0:0:0/block/sda && "
                 "ln -s ../../../bus/drivers/virtio-pci devices/pci0000:00/0000:00:02.0/driver && "
                 "ln -s ../../../../bus/drivers/virtio_blk devices/pci0000:00/0000:00:02.0/virtio1/driver && "
                 "ln -s ../../../bus/drivers/pcieport devices/pci0000:00/0000:00:1c.0/driver && "
                 "ln -s ../../../../bus/drivers/xhci_hcd devices/pci0000:00/0000:00:1c.0/0000:01:00.0/driver && "
                 "ln -s %s/bus/drivers/usb-storage devices/pci0000:00/0000:00:1c.0/0000:01:00.0/usb1/1-1/1-1:1.0/driver && "
                 "ln -s %s/bus/drivers/sd devices/pci0000:00/0000:00:1c.0/0000:01:00.0/usb1/1-1/1-1:1.0/host0/target0:0:0/0:0:0:0/driver",
                 root, root, root);
        ASSERT(system(cmd) == 0);

        snprintf(dev, sizeof(dev), "%s/devices/pci0000:00/0000:00:02.0/virtio1/block/vda", root);
        ASSERT_OK(kernel_drivers_missing(dev, helper, &missing));
        ASSERT(missing == NULL);

        snprintf(dev, sizeof(dev), "%s/devices/pci0000:00/0000:00:1c.0/0000:01:00.0/usb1/1-1/1-1:1.0/host0/"
                 "target0:0:0/0:0:0:0/block/sda", root);
        ASSERT_OK(kernel_drivers_missing(dev, helper, &missing));
        ASSERT_STREQ(missing, "usb-storage");
        free(missing);

        snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
        ASSERT(system(cmd) == 0);
}

/* data/helper-drivers names only what helper.config builds in. */
static void check_driver_list(const char *list, const char *config) {
        _cleanup_free_ char *drivers = NULL, *conf = NULL;

        ASSERT_OK(read_full_file(list, 1 << 20, &drivers, NULL));
        ASSERT_OK(read_full_file(config, 1 << 20, &conf, NULL));
        for (char *line = drivers; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
                char name[64], option[64];

                if (line[0] == '#' || sscanf(line, "%63s %63s", name, option) != 2 || strcmp(option, "-") == 0)
                        continue;
                if (!streq_ptr(kernel_config_get(conf, option), "y")) {
                        fprintf(stderr, "%s: driver %s needs %s=y in %s\n", list, name, option, config);
                        abort();
                }
        }
}

TEST(free_page_facts) {
        char path[] = "/tmp/test-vmcoreinfo-XXXXXX";
        uint64_t phys = 0, size = 0;
        int fd = mkstemp(path);

        ASSERT(fd >= 0);
        ASSERT(write(fd, "0x000000002d7f9000 1024\n", 24) == 24);
        close(fd);
        ASSERT_OK(kernel_vmcoreinfo_read(path, &phys, &size));
        ASSERT(phys == 0x2d7f9000 && size == 0x1024);
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        ASSERT(fd >= 0 && write(fd, "garbage\n", 8) == 8);
        close(fd);
        ASSERT_ERR(kernel_vmcoreinfo_read(path, &phys, &size), EBADMSG);
        unlink(path);
        ASSERT_ERR(kernel_vmcoreinfo_read(path, &phys, &size), ENOENT);

        ASSERT(!kernel_poisons_free_pages("BOOT_IMAGE=/vmlinuz root=/dev/vda1 quiet"));
        ASSERT(!kernel_poisons_free_pages("page_poison=0 init_on_free=1"));
        ASSERT(!kernel_poisons_free_pages("page_poison=off"));
        ASSERT(kernel_poisons_free_pages("page_poison=1"));
        ASSERT(kernel_poisons_free_pages("page_poison=on quiet"));
        ASSERT(kernel_poisons_free_pages("page_poison=0 page_poison=y"));
        ASSERT(kernel_poisons_free_pages("page_poison=what"));

        /* init_on_free: the command line, then the configuration; when
         * neither tells, say yes (a restore zeroes the free pages). */
        static const char off[] = "CONFIG_X86_64=y\n# CONFIG_INIT_ON_FREE_DEFAULT_ON is not set\n";
        static const char on[] = "CONFIG_X86_64=y\nCONFIG_INIT_ON_FREE_DEFAULT_ON=y\n";
        static const char old[] = "CONFIG_X86_64=y\n"; /* before 5.3: no init_on_free at all */
        ASSERT(!kernel_zeroes_free_pages("root=/dev/vda1 quiet", off));
        ASSERT(!kernel_zeroes_free_pages("root=/dev/vda1", old));
        ASSERT(kernel_zeroes_free_pages("root=/dev/vda1", on));
        ASSERT(kernel_zeroes_free_pages("init_on_free=1", off));
        ASSERT(kernel_zeroes_free_pages("init_on_free=on quiet", off));
        ASSERT(!kernel_zeroes_free_pages("init_on_free=0", on));
        ASSERT(!kernel_zeroes_free_pages("init_on_free=1 init_on_free=off", on));
        ASSERT(kernel_zeroes_free_pages("init_on_free=maybe", off));
        ASSERT(kernel_zeroes_free_pages("root=/dev/vda1", NULL));
        ASSERT(!kernel_zeroes_free_pages("init_on_free=0", NULL));
        ASSERT(kernel_zeroes_free_pages(NULL, off));

        /* What that makes of the free pages, and why. */
        const char *why = "x";
        ASSERT(kernel_free_pages_use("root=/dev/vda1 quiet", off, &why) == FREE_PAGES_SKIP_LEAVE && !why);
        ASSERT(kernel_free_pages_use("page_poison=1 init_on_free=1", off, &why) == FREE_PAGES_SAVE);
        ASSERT(strstr(why, "page_poison="));
        ASSERT(kernel_free_pages_use("init_on_free=1", off, &why) == FREE_PAGES_SKIP_ZERO);
        ASSERT(strstr(why, "init_on_free= on its command line"));
        ASSERT(kernel_free_pages_use("quiet", on, &why) == FREE_PAGES_SKIP_ZERO);
        ASSERT(strstr(why, "CONFIG_INIT_ON_FREE_DEFAULT_ON=y"));
        ASSERT(kernel_free_pages_use("quiet", NULL, &why) == FREE_PAGES_SKIP_ZERO);
        ASSERT(strstr(why, "configuration cannot be read"));
        ASSERT(kernel_free_pages_use(NULL, off, &why) == FREE_PAGES_SKIP_ZERO);
        ASSERT(strstr(why, "command line cannot be read"));
        /* The running kernel's: one of them, the same twice. */
        FreePagesUse u = running_kernel_free_pages_use(&why);
        ASSERT(running_kernel_free_pages_use(NULL) == u && (u == FREE_PAGES_SKIP_LEAVE) == !why);
        /* What the next hibernation does: saved when asked to or without
         * VMCOREINFO, otherwise as the running kernel allows. */
        ASSERT(free_pages_use(true, true, &why) == FREE_PAGES_SAVE && strstr(why, "SaveFreePages=yes"));
        ASSERT(free_pages_use(false, false, &why) == FREE_PAGES_SAVE && strstr(why, "vmcoreinfo"));
        ASSERT(free_pages_use(false, true, NULL) == u);
}

int main(int argc, char *argv[]) {
        if (argc == 3)
                check_driver_list(argv[1], argv[2]);
        test_drivers();
        test_versions();
        test_gdt_fix();
        test_config();
        test_free_page_facts();
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kjump_check_at() on fake /proc and /sys trees: each obstacle is named. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fileio.h"
#include "macro.h"
#include "tests.h"

static char root[] = "/tmp/test-check-XXXXXX";

static void put(const char *rel, const char *text) {
        _cleanup_free_ char *p = NULL, *d = NULL;

        ASSERT(asprintf(&p, "%s%s", root, rel) > 0);
        ASSERT(asprintf(&d, "mkdir -p \"$(dirname %s)\"", p) > 0);
        ASSERT(system(d) == 0);
        {
                FILE *f = fopen(p, "we");
                ASSERT(f && fputs(text, f) >= 0 && fclose(f) == 0);
        }
}

static bool mentions(char **reasons, const char *what) {
        for (char **r = reasons; r && *r; r++)
                if (strstr(*r, what))
                        return true;
        return false;
}

TEST(tree) {
        _cleanup_(kjump_config_done) KjumpConfig c = {};
        char **reasons = NULL;
        int n;

        kjump_config_defaults(&c);
        free(c.helper_kernel);
        free(c.helper_initrd);
        c.helper_kernel = strdup("/bin/sh");   /* present */
        c.helper_initrd = strdup("/nonexistent/helper.cpio");

        /* No kexec at all, a missing initrd. */
        n = kjump_check_at(root, &c, false, &reasons);
        ASSERT(n >= 2);
        ASSERT(mentions(reasons, "no kexec support"));
        ASSERT(mentions(reasons, "helper initrd /nonexistent/helper.cpio is missing"));
        ASSERT(!mentions(reasons, "locked down"));
        strv_free(reasons);

        put("/sys/kernel/kexec_loaded", "0");
        put("/sys/kernel/security/lockdown", "none [integrity] confidentiality");
        put("/proc/sys/kernel/kexec_load_disabled", "1");
        n = kjump_check_at(root, &c, false, &reasons);
        ASSERT(!mentions(reasons, "no kexec support"));
        ASSERT(mentions(reasons, "locked down ([integrity]") || mentions(reasons, "locked down (none [integrity]"));
        ASSERT(mentions(reasons, "kernel.kexec_load_disabled=1"));
        strv_free(reasons);

        /* 64 TiB of RAM: its index does not fit a 64 MiB window. */
        put("/sys/firmware/memmap/0/start", "0x100000");
        put("/sys/firmware/memmap/0/end", "0x3fffffffffff");
        put("/sys/firmware/memmap/0/type", "System RAM");
        n = kjump_check_at(root, &c, false, &reasons);
        ASSERT(mentions(reasons, "WindowSize=") && mentions(reasons, "M would do"));
        strv_free(reasons);
        put("/sys/firmware/memmap/0/end", "0x3fffffff");

        /* The kernel: a 6.1 without KEXEC_JUMP (its config in /boot), then
         * a 6.12.117 with everything (its config in /proc/config.gz), then
         * an IMA policy that appraises kexec images. */
        put("/proc/sys/kernel/osrelease", "6.1.0-28-amd64");
        put("/boot/config-6.1.0-28-amd64", "CONFIG_KEXEC=y\n# CONFIG_KEXEC_JUMP is not set\nCONFIG_HIBERNATION=y\n");
        n = kjump_check_at(root, &c, false, &reasons);
        ASSERT(mentions(reasons, "6.1.0-28-amd64 was built without CONFIG_KEXEC_JUMP"));
        ASSERT(!mentions(reasons, "without CONFIG_HIBERNATION"));
        ASSERT(mentions(reasons, "6.1.0-28-amd64 lacks \"x86/kexec: Restore GDT"));
        strv_free(reasons);
        put("/proc/sys/kernel/osrelease", "6.12.117");
        {
                char cmd[512];
                snprintf(cmd, sizeof(cmd), "printf 'CONFIG_KEXEC=y\nCONFIG_KEXEC_JUMP=y\nCONFIG_HIBERNATION=y\n' | "
                         "gzip > %s/proc/config.gz", root);
                ASSERT(system(cmd) == 0);
        }
        put("/sys/kernel/security/ima/policy", "measure func=BPRM_CHECK\nappraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n");
        n = kjump_check_at(root, &c, false, &reasons);
        ASSERT(!mentions(reasons, "was built without"));
        ASSERT(!mentions(reasons, "lacks"));
        ASSERT(mentions(reasons, "func=KEXEC_KERNEL_CHECK"));
        strv_free(reasons);
        /* An installed kernel that does not run (check-kernel, from the
         * kernel's postinst hook): its /boot config, never the running
         * kernel's /proc/config.gz; none at all is said too. */
        ASSERT(kjump_check_kernel(root, "6.1.0-28-amd64", &reasons) == 2);
        ASSERT(mentions(reasons, "6.1.0-28-amd64 was built without CONFIG_KEXEC_JUMP"));
        ASSERT(mentions(reasons, "6.1.0-28-amd64 lacks"));
        strv_free(reasons);
        put("/boot/config-6.13.2", "CONFIG_KEXEC=y\nCONFIG_KEXEC_JUMP=y\nCONFIG_HIBERNATION=y\n");
        ASSERT(kjump_check_kernel(root, "6.13.2", &reasons) == 0);
        ASSERT(reasons && !reasons[0]);
        strv_free(reasons);
        ASSERT(kjump_check_kernel(root, "6.14.0", &reasons) == 1);
        ASSERT(mentions(reasons, "/boot/config-6.14.0) cannot be read"));
        strv_free(reasons);
        put("/sys/kernel/security/ima/policy", "measure func=KEXEC_KERNEL_CHECK\n");

        /* AMD SME active (the kernel lists "sme" only then): refused. A
         * CPU that has it, unused, lists neither it nor a look-alike. */
        put("/proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme sme_coherent "
            "sme sev\nbugs\t\t: sysret_ss_attrs\n\nprocessor\t: 1\nflags\t\t: fpu sme\n");
        n = kjump_check_at(root, &c, false, &reasons);
        ASSERT(mentions(reasons, "AMD SME is active (mem_encrypt=on)"));
        strv_free(reasons);
        put("/proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme sme_coherent "
            "sev\nbugs\t\t: sme\n");

        put("/sys/kernel/security/lockdown", "[none] integrity confidentiality");
        put("/proc/sys/kernel/kexec_load_disabled", "0");
        free(c.helper_initrd);
        c.helper_initrd = strdup("/bin/sh");
        n = kjump_check_at(root, &c, false, &reasons);
        ASSERT(!mentions(reasons, "locked down"));
        ASSERT(!mentions(reasons, "kexec_load_disabled"));
        ASSERT(!mentions(reasons, "helper"));
        ASSERT(!mentions(reasons, "WindowSize"));
        ASSERT(!mentions(reasons, "IMA"));
        ASSERT(n == 0);
        strv_free(reasons);
}

TEST(cpuinfo_flags) {
        ASSERT(cpuinfo_has_flag("flags\t\t: fpu sme\n", "sme"));
        ASSERT(cpuinfo_has_flag("processor\t: 0\nflags\t\t: sme fpu", "sme"));
        ASSERT(!cpuinfo_has_flag("flags\t\t: fpu sme_coherent smep\n", "sme"));
        ASSERT(!cpuinfo_has_flag("flags\t\t: fpu\nflags\t\t: sme\n", "sme")); /* the first CPU's */
        ASSERT(!cpuinfo_has_flag("vmx flags\t: sme\n", "sme"));
        ASSERT(!cpuinfo_has_flag("bugs\t\t: sme\n", "sme"));
        ASSERT(!cpuinfo_has_flag("", "sme"));
}

TEST(initrds) {
        const char *now = "kjump.resume=UUID=6b6a756d-0000-4000-8000-000000000001:1048576";
        char **reasons = NULL;

        put("/boot/initrd.img-6.12.1", "x");
        put("/boot/initramfs-6.13.0.img", "x");
        put("/boot/vmlinuz-6.12.1", "x");
        put("/var/lib/kjump/initrd/6.12.1", "kjump.resume=UUID=6b6a756d-0000-4000-8000-000000000001:1048576\n");
        put("/var/lib/kjump/initrd/6.13.0", "kjump.resume=UUID=6b6a756d-0000-4000-8000-000000000001:4096\n");
        ASSERT(check_initrd_locations(root, now, &reasons) == 1);
        ASSERT(mentions(reasons, "initrd of kernel 6.13.0 records kjump.resume=UUID=6b6a756d-0000-4000-8000-000000000001:4096"));
        ASSERT(!mentions(reasons, "6.12.1"));
        strv_free(reasons);
        reasons = NULL;

        /* One made before the target existed, one without the hook. */
        put("/var/lib/kjump/initrd/6.13.0", "none\n");
        put("/boot/initrd.img-6.1.0", "x");
        ASSERT(check_initrd_locations(root, now, &reasons) == 2);
        ASSERT(mentions(reasons, "6.13.0 records no image location"));
        ASSERT(mentions(reasons, "initrd of kernel 6.1.0 was not made with kjump's hook"));
        strv_free(reasons);

        /* The versions to rebuild are those (in the order of their files in
         * /boot: initramfs-* before initrd.img-*); none once they agree. */
        {
                char **versions = NULL;

                ASSERT(check_stale_initrds(root, now, &versions) == 2);
                ASSERT_STREQ(versions[0], "6.13.0");
                ASSERT_STREQ(versions[1], "6.1.0");
                ASSERT(versions[2] == NULL);
                strv_free(versions);
                versions = NULL;
                put("/var/lib/kjump/initrd/6.13.0", "kjump.resume=UUID=6b6a756d-0000-4000-8000-000000000001:1048576\n");
                put("/var/lib/kjump/initrd/6.1.0", "kjump.resume=UUID=6b6a756d-0000-4000-8000-000000000001:1048576\n");
                ASSERT(check_stale_initrds(root, now, &versions) == 0);
                strv_free(versions);
        }
}

TEST(boot_finds) {
        const char *now = "kjump.resume=UUID=6b6a756d-0000-4000-8000-000000000001:1048576";
        _cleanup_free_ char *why = NULL;

        put("/proc/sys/kernel/osrelease", "6.12.1");
        put("/proc/cmdline", "root=/dev/vda ro quiet");
        /* What the running kernel's initrd records decides. */
        put("/var/lib/kjump/initrd/6.12.1", "kjump.resume=UUID=6b6a756d-0000-4000-8000-000000000001:4096\n");
        ASSERT_ERR(check_boot_finds(root, now, &why), ESTALE);
        ASSERT(strstr(why, "at UUID=6b6a756d-0000-4000-8000-000000000001:4096 (this kernel's initrd)"));
        why = mfree(why);
        put("/var/lib/kjump/initrd/6.12.1", "kjump.resume=UUID=6b6a756d-0000-4000-8000-000000000001:1048576\n");
        ASSERT_OK(check_boot_finds(root, now, &why));
        /* Nothing recorded yet: nothing says otherwise. */
        put("/var/lib/kjump/initrd/6.12.1", "none\n");
        ASSERT_OK(check_boot_finds(root, now, &why));
        /* The command line overrides the initrd. */
        put("/proc/cmdline", "root=/dev/vda kjump.resume=PARTUUID=abc:0 quiet");
        ASSERT_ERR(check_boot_finds(root, now, &why), ESTALE);
        ASSERT(strstr(why, "(the kernel command line)"));
        put("/proc/cmdline", "root=/dev/vda kjump.resume=UUID=6b6a756d-0000-4000-8000-000000000001:1048576");
        ASSERT_OK(check_boot_finds(root, now, &why));
}

TEST(suspend) {
        _cleanup_free_ char *why = NULL;

        /* No /sys/power at all: nothing can suspend. */
        ASSERT_ERR(check_suspend(root, false, &why), EOPNOTSUPP);
        ASSERT(why && strstr(why, "'mem'"));
        why = mfree(why);

        /* Suspend-to-idle only: A can suspend, the helper cannot (no S3). */
        put("/sys/power/state", "freeze mem disk\n");
        put("/sys/power/mem_sleep", "[s2idle]\n");
        ASSERT_OK(check_suspend(root, false, NULL));
        ASSERT_ERR(check_suspend(root, true, &why), EOPNOTSUPP);
        ASSERT(why && strstr(why, "'deep'"));
        why = mfree(why);

        put("/sys/power/mem_sleep", "s2idle [deep]\n");
        ASSERT_OK(check_suspend(root, true, NULL));
        /* "deepest" is not "deep", "memory" not "mem". */
        put("/sys/power/mem_sleep", "s2idle deepest\n");
        ASSERT_ERR(check_suspend(root, true, NULL), EOPNOTSUPP);
        put("/sys/power/state", "freeze memory disk\n");
        ASSERT_ERR(check_suspend(root, false, NULL), EOPNOTSUPP);
}

int main(void) {
        ASSERT(mkdtemp(root));
        test_suspend();
        test_cpuinfo_flags();
        test_tree();
        test_initrds();
        test_boot_finds();
        {
                char cmd[128];
                snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
                ASSERT(system(cmd) == 0);
        }
        return 0;
}

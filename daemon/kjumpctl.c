/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "jump.h"
#include "log.h"
#include "macro.h"
#include "params.h"

static JumpConfig arg_config = {
        .helper_kernel = KJUMP_HELPER_DIR "/helper.bzImage",
        .helper_initrd = KJUMP_HELPER_DIR "/helper.cpio",
        .window_size = KJUMP_WINDOW_SIZE_DEFAULT,
};
static HelperMode arg_mode = HELPER_MODE_HIBERNATE;
static bool arg_direct;

static void help(void) {
        printf("kjumpctl [OPTIONS...] COMMAND\n\n"
               "Hibernate without swap, through kexec jump.\n\n"
               "Commands:\n"
               "  suspend --direct    Load the helper kernel, sync and jump now\n"
               "\nOptions:\n"
               "  -h --help               Show this help\n"
               "     --direct             Do the jump in this process (no daemon)\n"
               "     --mode=MODE          hibernate, test, test-restore or roundtrip\n"
               "     --helper-kernel=PATH Helper kernel (default %s)\n"
               "     --helper-initrd=PATH Helper initrd (default %s)\n"
               "     --window-size=SIZE   RAM the helper boots in (default 64M)\n"
               "     --helper-cmdline=S   Extra helper kernel arguments\n",
               arg_config.helper_kernel, arg_config.helper_initrd);
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_DIRECT = 0x100,
                ARG_MODE,
                ARG_HELPER_KERNEL,
                ARG_HELPER_INITRD,
                ARG_WINDOW_SIZE,
                ARG_HELPER_CMDLINE,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "direct", no_argument, NULL, ARG_DIRECT },
                { "mode", required_argument, NULL, ARG_MODE },
                { "helper-kernel", required_argument, NULL, ARG_HELPER_KERNEL },
                { "helper-initrd", required_argument, NULL, ARG_HELPER_INITRD },
                { "window-size", required_argument, NULL, ARG_WINDOW_SIZE },
                { "helper-cmdline", required_argument, NULL, ARG_HELPER_CMDLINE },
                {}
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_DIRECT:
                        arg_direct = true;
                        break;
                case ARG_MODE:
                        arg_mode = helper_mode_from_string(optarg);
                        if (arg_mode < 0 || arg_mode == HELPER_MODE_RESTORE)
                                return log_error_errno(EINVAL, "Unknown mode '%s': expected hibernate, test, "
                                                       "test-restore or roundtrip.", optarg);
                        break;
                case ARG_HELPER_KERNEL:
                        arg_config.helper_kernel = optarg;
                        break;
                case ARG_HELPER_INITRD:
                        arg_config.helper_initrd = optarg;
                        break;
                case ARG_WINDOW_SIZE:
                        r = parse_size(optarg, &arg_config.window_size);
                        if (r < 0 || arg_config.window_size < (UINT64_C(32) << 20) ||
                            arg_config.window_size % 4096)
                                return log_error_errno(EINVAL, "Invalid window size '%s': need at least 32M, "
                                                       "page aligned.", optarg);
                        break;
                case ARG_HELPER_CMDLINE:
                        arg_config.extra_cmdline = optarg;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }
        return 1;
}

static int verb_suspend(void) {
        JumpResult res = {};
        int r;

        if (!arg_direct)
                return log_error_errno(EOPNOTSUPP, "Only 'suspend --direct' is available in this build.");
        if (geteuid() != 0)
                return log_error_errno(EPERM, "'suspend --direct' must run as root.");

        r = jump_direct(&arg_config, arg_mode, &res);
        if (r < 0)
                return r;

        printf("Returned from the helper kernel (mode %s): %.3f s after the jump; loading the helper took %.3f s.\n",
               helper_mode_to_string(arg_mode), (res.return_usec - res.jump_usec) / 1e6, res.load_usec / 1e6);
        return 0;
}

static int run(int argc, char *argv[]) {
        const char *verb;
        int r;

        log_set_prefix("kjumpctl");
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        verb = argv[optind];
        if (!verb)
                return log_error_errno(EINVAL, "No command given; see 'kjumpctl --help'.");
        if (strcmp(verb, "suspend") == 0)
                return verb_suspend();
        return log_error_errno(EINVAL, "Unknown command '%s'; see 'kjumpctl --help'.", verb);
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "check.h"
#include "conf.h"
#include "cpu-util.h"
#include "fileio.h"
#include "hexdecoct.h"
#include "image-reader.h"
#include "jump.h"
#include "kernel-facts.h"
#include "kjump-bus.h"
#include "image-state.h"
#include "log.h"
#include "macro.h"
#include "helper-params.h"
#include "spawn-util.h"
#include "target.h"
#include "tpm2-key.h"

static JumpConfig arg_config = {
        .helper_kernel = KJUMP_HELPER_DIR "/helper.bzImage",
        .helper_initrd = KJUMP_HELPER_DIR "/helper.cpio",
        .window_size = KJUMP_WINDOW_SIZE_DEFAULT,
        .compression = KJUMP_COMPRESS_LZ4,
};
static HelperMode arg_mode = HELPER_MODE_HIBERNATE;
static bool arg_direct;
static bool arg_from_systemd;
static bool arg_json;
static bool arg_verify;
static bool arg_force;
static bool arg_boot;
static bool arg_no_update_initrd;
static const char *arg_size_spec; /* --size, else TargetSize= */

/* Every option, as a bit: a verb lists the ones it uses, and any other
 * option given with it is refused rather than silently ignored. */
typedef enum Opt {
        OPT_DIRECT = 1 << 0,
        OPT_FROM_SYSTEMD = 1 << 1,
        OPT_MODE = 1 << 2,
        OPT_TARGET = 1 << 3,
        OPT_COMPRESSION = 1 << 4,
        OPT_SIZE = 1 << 5,
        OPT_JSON = 1 << 6,
        OPT_VERIFY = 1 << 7,
        OPT_HELPER = 1 << 8, /* --helper-kernel, --helper-initrd, --window-size, --helper-cmdline */
        OPT_FORCE = 1 << 9,
        OPT_BOOT = 1 << 10,
        OPT_NO_UPDATE_INITRD = 1 << 11,
        OPT_ENCRYPTION = 1 << 12,
} Opt;
static unsigned arg_given;

static const struct {
        Opt opt;
        const char *name;
} opt_names[] = {
        { OPT_DIRECT, "--direct" }, { OPT_FROM_SYSTEMD, "--from-systemd" }, { OPT_MODE, "--mode" },
        { OPT_TARGET, "--target" }, { OPT_COMPRESSION, "--compression" }, { OPT_SIZE, "--size" },
        { OPT_JSON, "--json" }, { OPT_VERIFY, "--verify" },
        { OPT_HELPER, "--helper-kernel/--helper-initrd/--window-size/--helper-cmdline" },
        { OPT_FORCE, "--force" }, { OPT_BOOT, "--boot" }, { OPT_NO_UPDATE_INITRD, "--no-update-initrd" },
        { OPT_ENCRYPTION, "--encryption" },
};

static KjumpConfig config_file;

/* kjump.conf's values are the defaults; options given override them. Read
 * after argv, and only by the verbs that use it: a broken kjump.conf does
 * not break --help. */
static int load_config(void) {
        _cleanup_free_ char *error = NULL;
        int r;

        kjump_config_defaults(&config_file);
        r = kjump_config_load(&config_file, KJUMP_CONF_DIR, &error);
        if (r < 0)
                return log_error_errno(r, "Invalid configuration: %s", error ?: "error");
        if (!(arg_given & OPT_HELPER)) {
                arg_config.helper_kernel = config_file.helper_kernel;
                arg_config.helper_initrd = config_file.helper_initrd;
                arg_config.window_size = config_file.window_size;
        }
        arg_config.save_free_pages = config_file.save_free_pages;
        arg_config.adaptive_compression = config_file.adaptive_compression;
        if (!(arg_given & OPT_ENCRYPTION))
                arg_config.encryption = config_file.encryption;
        if (!(arg_given & OPT_SIZE))
                arg_size_spec = config_file.target_size;
        if (!(arg_given & OPT_COMPRESSION)) {
                arg_config.compression = config_file.compression;
                arg_config.compression_level = config_file.compression_level;
        }
        if (!(arg_given & OPT_TARGET))
                arg_config.target = config_file.target;
        return 0;
}

static const char *target_spec(void) {
        return arg_config.target ?: KJUMP_TARGET_DEFAULT;
}

static void help(void) {
        printf("kjumpctl [OPTIONS...] COMMAND [ARG]\n\n"
               "Hibernate without swap, through kexec jump.\n\n"
               "Commands:\n"
               "  suspend, hibernate      Hibernate: through logind (inhibitors, polkit) when it\n"
               "                          runs, else through kjumpd\n"
               "  suspend --direct        Jump from this process, without D-Bus (also --mode=)\n"
               "  hybrid-sleep            Write the image, then suspend to RAM: woken, the image\n"
               "                          is discarded; after a power loss it is restored\n"
               "  suspend-then-hibernate  Suspend to RAM; hibernate after sleep.conf's\n"
               "                          HibernateDelaySec= unless woken before\n"
               "  status                  Show kjumpd's state (--json)\n"
               "  check                   Say whether hibernation is possible, and every reason not\n"
               "  check-kernel VERSION    Say what an installed kernel lacks for kjump\n"
               "  inspect [PATH|DEVICE]   Show an image's header (--verify: check every checksum)\n"
               "  setup-target [SPEC]     Create the image file (default %s), or prepare\n"
               "                          a partition (--force: even if it holds data)\n"
               "  invalidate [SPEC]       Mark the image on the target invalid (--boot: at boot)\n"
               "  resume-location [SPEC]  Print the kjump.resume= kernel argument for the target\n"
               "\nOptions:\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "     --direct             suspend: do the jump in this process (no daemon)\n"
               "     --from-systemd       the sleep commands: called by systemd's sleep service,\n"
               "                          ask kjumpd directly (logind has decided)\n"
               "     --mode=MODE          suspend --direct: hibernate (default), test, test-restore\n"
               "                          or roundtrip\n"
               "     --target=SPEC        Image file or partition: PATH, UUID=, PARTUUID=, LABEL=\n"
               "                          (default: kjump.conf's Target=, else %s)\n"
               "     --compression=C      suspend --direct: lz4 (default), zstd or stored\n"
               "     --encryption=E       suspend --direct: auto, luks, tpm2 or none (kjump.conf's Encryption=)\n"
               "     --size=N%%|SIZE|ram  setup-target: size of the file (default: TargetSize=, 60%% of RAM)\n"
               "     --force              setup-target: replace what is there\n"
               "     --no-update-initrd   setup-target: leave the initrds as they are (by default\n"
               "                          those that record another location are rebuilt)\n"
               "     --boot               invalidate: the boot-time invalidation (kjump-clear.service)\n"
               "     --json               inspect, status: print JSON\n"
               "     --verify             inspect: read and check every chunk\n"
               "     --helper-kernel=PATH suspend --direct: helper kernel (default %s)\n"
               "     --helper-initrd=PATH suspend --direct: helper initrd (default %s)\n"
               "     --window-size=SIZE   suspend --direct: RAM the helper boots in (default 64M)\n"
               "     --helper-cmdline=S   suspend --direct: extra helper kernel arguments\n"
               "\nExit status: 0 success, 1 failure (check: hibernation is not possible),\n"
               "2 wrong usage.\n",
               KJUMP_TARGET_DEFAULT, KJUMP_TARGET_DEFAULT, arg_config.helper_kernel, arg_config.helper_initrd);
}

#define EXIT_USAGE 2

/* Returns 1 to go on, 0 to exit successfully, or -EX_USAGE-like -EINVAL. */
static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_DIRECT = 0x100,
                ARG_FROM_SYSTEMD,
                ARG_MODE,
                ARG_TARGET,
                ARG_COMPRESSION,
                ARG_ENCRYPTION,
                ARG_SIZE,
                ARG_JSON,
                ARG_VERIFY,
                ARG_HELPER_KERNEL,
                ARG_HELPER_INITRD,
                ARG_WINDOW_SIZE,
                ARG_HELPER_CMDLINE,
                ARG_FORCE,
                ARG_BOOT,
                ARG_NO_UPDATE_INITRD,
                ARG_VERSION,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "direct", no_argument, NULL, ARG_DIRECT },
                { "from-systemd", no_argument, NULL, ARG_FROM_SYSTEMD },
                { "mode", required_argument, NULL, ARG_MODE },
                { "target", required_argument, NULL, ARG_TARGET },
                { "compression", required_argument, NULL, ARG_COMPRESSION },
                { "encryption", required_argument, NULL, ARG_ENCRYPTION },
                { "size", required_argument, NULL, ARG_SIZE },
                { "json", no_argument, NULL, ARG_JSON },
                { "verify", no_argument, NULL, ARG_VERIFY },
                { "helper-kernel", required_argument, NULL, ARG_HELPER_KERNEL },
                { "helper-initrd", required_argument, NULL, ARG_HELPER_INITRD },
                { "window-size", required_argument, NULL, ARG_WINDOW_SIZE },
                { "helper-cmdline", required_argument, NULL, ARG_HELPER_CMDLINE },
                { "force", no_argument, NULL, ARG_FORCE },
                { "boot", no_argument, NULL, ARG_BOOT },
                { "no-update-initrd", no_argument, NULL, ARG_NO_UPDATE_INITRD },
                {}
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("kjumpctl %s\n", KJUMP_VERSION);
                        return 0;
                case ARG_DIRECT:
                        arg_direct = true;
                        arg_given |= OPT_DIRECT;
                        break;
                case ARG_FROM_SYSTEMD:
                        arg_from_systemd = true;
                        arg_given |= OPT_FROM_SYSTEMD;
                        break;
                case ARG_MODE:
                        arg_mode = helper_mode_from_string(optarg);
                        if (arg_mode < 0 || arg_mode == HELPER_MODE_RESTORE)
                                return log_error_errno(EINVAL, "Unknown mode '%s': expected hibernate, test, "
                                                       "test-restore or roundtrip.", optarg);
                        arg_given |= OPT_MODE;
                        break;
                case ARG_TARGET:
                        arg_config.target = optarg;
                        arg_given |= OPT_TARGET;
                        break;
                case ARG_COMPRESSION:
                        r = image_compression_from_string(optarg);
                        if (r < 0)
                                return log_error_errno(EINVAL, "Unknown compression '%s': expected lz4, zstd "
                                                       "or stored.", optarg);
                        arg_config.compression = r;
                        arg_given |= OPT_COMPRESSION;
                        break;
                case ARG_ENCRYPTION:
                        r = encryption_from_string(optarg);
                        if (r < 0)
                                return log_error_errno(EINVAL, "Unknown encryption '%s': expected auto, luks, tpm2 "
                                                       "or none.", optarg);
                        arg_config.encryption = r;
                        arg_given |= OPT_ENCRYPTION;
                        break;
                case ARG_SIZE: {
                        uint64_t dummy;

                        if (target_size_parse(optarg, UINT64_C(1) << 30, UINT64_MAX, &dummy) < 0)
                                return log_error_errno(EINVAL, "Invalid size '%s': expected N%% of RAM (1..100), "
                                                       "a size of at least 16M, or ram.", optarg);
                        arg_size_spec = optarg;
                        arg_given |= OPT_SIZE;
                        break;
                }
                case ARG_JSON:
                        arg_json = true;
                        arg_given |= OPT_JSON;
                        break;
                case ARG_VERIFY:
                        arg_verify = true;
                        arg_given |= OPT_VERIFY;
                        break;
                case ARG_HELPER_KERNEL:
                        arg_config.helper_kernel = optarg;
                        arg_given |= OPT_HELPER;
                        break;
                case ARG_HELPER_INITRD:
                        arg_config.helper_initrd = optarg;
                        arg_given |= OPT_HELPER;
                        break;
                case ARG_WINDOW_SIZE:
                        r = parse_size(optarg, &arg_config.window_size);
                        if (r < 0 || arg_config.window_size < KJUMP_WINDOW_SIZE_MIN ||
                            arg_config.window_size % 4096)
                                return log_error_errno(EINVAL, "Invalid window size '%s': need at least 64M, "
                                                       "page aligned.", optarg);
                        arg_given |= OPT_HELPER;
                        break;
                case ARG_HELPER_CMDLINE:
                        arg_config.extra_cmdline = optarg;
                        arg_given |= OPT_HELPER;
                        break;
                case ARG_FORCE:
                        arg_force = true;
                        arg_given |= OPT_FORCE;
                        break;
                case ARG_BOOT:
                        arg_boot = true;
                        arg_given |= OPT_BOOT;
                        break;
                case ARG_NO_UPDATE_INITRD:
                        arg_no_update_initrd = true;
                        arg_given |= OPT_NO_UPDATE_INITRD;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }
        return 1;
}

/* Strings from an image or the bus are not ours: nothing in them reaches
 * the terminal as a control sequence. At most MAX bytes (a fixed-size
 * field of the header need not be terminated). */
static void print_escaped_n(const char *s, size_t max) {
        for (size_t i = 0; i < max && s[i]; i++)
                if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f || s[i] == '\\')
                        printf("\\x%02x", (unsigned char) s[i]);
                else
                        putchar(s[i]);
}

static void print_escaped(const char *s) {
        print_escaped_n(s, SIZE_MAX);
}

static double mib(uint64_t b) {
        return b / (double) (1u << 20);
}

static void print_outcome(const JumpResult *res) {
        const struct kjump_image_header *h = &res->header;

        if (!res->have_header)
                return;
        printf("Image: state %s", image_state_to_string(h->state));
        if (h->state == KJUMP_STATE_INVALID)
                printf(" (%s)", image_reason_to_string(h->reason));
        printf("\n");
        if (h->message[0]) {
                printf("Helper said: ");
                print_escaped_n(h->message, sizeof(h->message));
                printf("\n");
        }
        if (h->chunk_count > 0)
                printf("Saved %.0f MiB of RAM (%" PRIu64 " pages with data, %.0f MiB free not saved) as %.1f MiB "
                       "in %.2f s (%.0f MB/s).\n",
                       mib(h->ram_bytes), h->pages_stored, mib(h->pages_free * KJUMP_PAGE_SIZE),
                       mib(h->data_bytes + h->index_size), h->write_usec / 1e6,
                       h->write_usec ? h->ram_bytes / (double) h->write_usec : 0.0);
}

/* A sleep operation without --direct: ask logind (so inhibitors,
 * PrepareForSleep and polkit apply; logind starts systemd-hibernate.service
 * (or systemd-hybrid-sleep, systemd-suspend-then-hibernate), whose kjump
 * drop-in calls us back with --from-systemd), or kjumpd when there is no
 * logind or when systemd itself is the caller. METHOD is the name of both
 * logind's and kjumpd's method ("Hibernate", "HybridSleep",
 * "SuspendThenHibernate"); WHAT says it in words. */
static int sleep_over_bus(const char *method, const char *what) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *can = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *result = NULL;
        int r;

        if (asprintf(&can, "Can%s", method) < 0)
                return log_oom();
        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to the system bus (use --direct without D-Bus): %m");
        /* A hibernation can take minutes: no method call timeout. */
        (void) sd_bus_set_method_call_timeout(bus, UINT64_MAX);

        if (!arg_from_systemd && sd_bus_call_method(bus, LOGIN1_BUS_NAME, LOGIN1_BUS_PATH, LOGIN1_BUS_INTERFACE, can,
                                                    &error, &reply, "") >= 0) {
                reply = sd_bus_message_unref(reply);
                r = sd_bus_call_method(bus, LOGIN1_BUS_NAME, LOGIN1_BUS_PATH, LOGIN1_BUS_INTERFACE, method, &error,
                                       NULL, "b", true);
                if (r < 0) {
                        log_error("logind refused %s: %s", what, error.message ?: strerror(-r));
                        sd_bus_error_free(&error);
                        return r;
                }
                printf("%c%s requested through logind.\n", toupper((unsigned char) what[0]), what + 1);
                return 0;
        }
        sd_bus_error_free(&error);

        r = sd_bus_call_method(bus, KJUMP_BUS_NAME, KJUMP_BUS_PATH, KJUMP_BUS_INTERFACE, method, &error, &reply,
                               "b", true);
        if (r < 0) {
                log_error("%c%s failed: %s", toupper((unsigned char) what[0]), what + 1,
                          error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }
        if (sd_bus_message_read(reply, "s", &result) >= 0)
                printf("%s\n", result);
        return 0;
}

static int verb_hybrid_sleep(int argc, char *argv[]) {
        return sleep_over_bus("HybridSleep", "hybrid sleep");
}

static int verb_suspend_then_hibernate(int argc, char *argv[]) {
        return sleep_over_bus("SuspendThenHibernate", "suspend-then-hibernate");
}

static int verb_suspend(int argc, char *argv[]) {
        JumpResult res = {};
        const struct kjump_image_header *h = &res.header;
        _cleanup_free_ char *reason = NULL;
        int r;

        if (!arg_direct) {
                /* These shape the jump made here: without --direct the
                 * daemon jumps, as kjump.conf says. */
                if (arg_given & (OPT_MODE | OPT_COMPRESSION | OPT_ENCRYPTION | OPT_HELPER | OPT_TARGET))
                        return log_error_errno(EINVAL, "--mode, --target, --compression, --encryption and the "
                                               "--helper-* options need --direct: without it kjumpd hibernates "
                                               "as kjump.conf says.");
                return sleep_over_bus("Hibernate", "hibernation");
        }
        if (arg_from_systemd)
                return log_error_errno(EINVAL, "--from-systemd and --direct exclude each other.");
        r = load_config();
        if (r < 0)
                return r;
        if (geteuid() != 0)
                return log_error_errno(EPERM, "'suspend --direct' must run as root.");

        r = jump_direct(&arg_config, arg_mode, &res, &reason);
        if (r < 0 && reason)
                return log_error_errno(r, "Refused: %s.", reason);
        if (r < 0)
                return r;

        printf("Returned from the helper kernel (mode %s): %.3f s after the jump; loading the helper took %.3f s.\n",
               helper_mode_to_string(arg_mode), (res.return_usec - res.jump_usec) / 1e6, res.load_usec / 1e6);
        print_outcome(&res);

        switch (arg_mode) {
        case HELPER_MODE_ROUNDTRIP:
                return 0;
        case HELPER_MODE_TEST:
        case HELPER_MODE_TEST_RESTORE:
                if (res.have_header && h->state == KJUMP_STATE_INVALID && h->reason == KJUMP_REASON_TEST) {
                        printf("Test passed: %s.\n", arg_mode == HELPER_MODE_TEST ?
                               "the image was written and every checksum verified" :
                               "all RAM was overwritten and restored from the image");
                        return 0;
                }
                return log_error_errno(EIO, "Test failed: %s", res.have_header && h->message[0] ? h->message :
                                       "the helper did not complete the image");
        case HELPER_MODE_HIBERNATE:
                if (res.resumed) {
                        printf("Resumed from hibernation: off for %.1f s.\n",
                               (res.return_usec - res.jump_usec) / 1e6);
                        return 0;
                }
                if (res.cancelled)
                        return log_error_errno(ECANCELED, "Hibernation cancelled by the user (Esc); the system kept "
                                               "running.");
                return log_error_errno(EIO, "Hibernation failed, the system kept running: %s",
                                       res.have_header && h->message[0] ? h->message :
                                       "the helper returned without writing an image");
        default:
                return -EINVAL;
        }
}

/* Opens an image for reading: a target, a copy of one, or a device. */
static int open_image(const char *spec, int *ret_fd) {
        _cleanup_free_ char *path = NULL;
        int fd;

        if (target_resolve(spec, &path) < 0)
                return log_error_errno(ENOENT, "%s does not resolve to a device or file.", spec);
        fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);

        /* Some file systems (tmpfs before 6.6) have no O_DIRECT. */
        if (fd < 0 && errno == EINVAL)
                fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Cannot open %s: %m", path);
        *ret_fd = fd;
        return 0;
}

static void format_time(uint64_t usec, char *buf, size_t n) {
        time_t t = (time_t) (usec / 1000000);
        struct tm tm;

        if (usec == 0 || !gmtime_r(&t, &tm) || strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
                snprintf(buf, n, "n/a");
}

static void print_json_string(const char *s) {
        putchar('"');
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        printf("\\%c", *s);
                else if ((unsigned char) *s < 0x20)
                        printf("\\u%04x", *s);
                else
                        putchar(*s);
        }
        putchar('"');
}

static void print_header(const char *path, const struct kjump_image_header *h, const char *verify) {
        char id[33], boot[33], created[64], written[64];

        hex_encode(h->image_id, sizeof(h->image_id), id);
        hex_encode(h->boot_id, sizeof(h->boot_id), boot);
        format_time(h->created_usec, created, sizeof(created));
        format_time(h->written_usec, written, sizeof(written));

        if (arg_json) {
                printf("{\"path\":");
                print_json_string(path);
                printf(",\"version\":%u,\"state\":\"%s\",\"reason\":\"%s\",\"error\":%d,\"message\":",
                       h->version, image_state_to_string(h->state), image_reason_to_string(h->reason), h->error);
                print_json_string(h->message);
                printf(",\"image_id\":\"%s\",\"boot_id\":\"%s\",\"kernel_release\":", id, boot);
                print_json_string(h->kernel_release);
                printf(",\"protection\":\"%s\",\"key_device_offset\":%" PRIu64,
                       image_protection_to_string(h->protection) ?: "unknown", h->key_device_offset);
                printf(",\"compression\":\"%s\",\"created_usec\":%" PRIu64 ",\"written_usec\":%" PRIu64
                       ",\"jump_back_entry\":%" PRIu64 ",\"window_start\":%" PRIu64 ",\"window_end\":%" PRIu64
                       ",\"target_size\":%" PRIu64 ",\"ram_bytes\":%" PRIu64 ",\"pages_total\":%" PRIu64
                       ",\"pages_stored\":%" PRIu64 ",\"pages_free\":%" PRIu64 ",\"data_bytes\":%" PRIu64
                       ",\"chunk_count\":%" PRIu64
                       ",\"index_offset\":%" PRIu64 ",\"index_size\":%" PRIu64 ",\"write_usec\":%" PRIu64
                       ",\"free_map_offset\":%" PRIu64 ",\"free_map_size\":%" PRIu64
                       ",\"memmap\":[",
                       image_compression_to_string(h->compression), h->created_usec, h->written_usec,
                       h->jump_back_entry, h->window_start, h->window_end, h->target_size, h->ram_bytes,
                       h->pages_total, h->pages_stored, h->pages_free, h->data_bytes, h->chunk_count, h->index_offset,
                       h->index_size, h->write_usec, h->free_map_offset, h->free_map_size);
                for (uint32_t i = 0; i < h->memmap_count; i++)
                        printf("%s{\"start\":%" PRIu64 ",\"end\":%" PRIu64 ",\"ram\":%s}", i ? "," : "",
                               h->memmap[i].start, h->memmap[i].end, h->memmap[i].type == KJUMP_MEMMAP_RAM ? "true" : "false");
                printf("],\"verify\":");
                if (verify)
                        print_json_string(verify);
                else
                        printf("null");
                printf("}\n");
                return;
        }

        printf("Image:        %s\n", path);
        printf("State:        %s", image_state_to_string(h->state));
        if (h->state == KJUMP_STATE_INVALID)
                printf(" (%s)", image_reason_to_string(h->reason));
        printf("\n");
        if (h->message[0]) {
                printf("Message:      ");
                print_escaped_n(h->message, sizeof(h->message));
                printf("\n");
        }
        if (h->error)
                printf("Error:        %s\n", strerror(h->error));
        printf("Format:       kjump image v%u, %s\n", h->version, image_compression_to_string(h->compression));
        switch (h->protection) {
        case KJUMP_PROTECT_LUKS:
                printf("Protection:   encrypted and authenticated (XChaCha20-Poly1305, BLAKE2b); the key in a key "
                       "block inside the dm-crypt volume, at its offset %" PRIu64 "\n", h->key_device_offset);
                break;
        case KJUMP_PROTECT_TPM2:
                printf("Protection:   encrypted and authenticated (XChaCha20-Poly1305, BLAKE2b); the key in the "
                       "TPM's NV index 0x%08x, readable while PCR %d is as it was\n", h->key_nv_index, KJUMP_TPM2_PCR);
                break;
        default:
                printf("Protection:   none: plaintext, checksums only (Encryption=none, or no encryption on this "
                       "system)\n");
                break;
        }
        printf("Image id:     %s\n", id);
        printf("Kernel:       ");
        print_escaped_n(h->kernel_release[0] ? h->kernel_release : "?", sizeof(h->kernel_release));
        printf(" (boot id %s)\n", boot);
        printf("Created:      %s\n", created);
        printf("Written:      %s", written);
        if (h->write_usec)
                printf(" in %.2f s", h->write_usec / 1e6);
        printf("\n");
        printf("Window:       [0x%" PRIx64 ", 0x%" PRIx64 ")\n", h->window_start, h->window_end);
        printf("Entry:        0x%" PRIx64 "\n", h->jump_back_entry);
        printf("RAM saved:    %.1f MiB in %" PRIu64 " chunks, %" PRIu64 " of %" PRIu64 " pages with data\n",
               mib(h->ram_bytes), h->chunk_count, h->pages_stored, h->pages_total);
        printf("Free pages:   %" PRIu64 " (%.1f MiB) free in the original kernel, not saved; a restore %s\n",
               h->pages_free, mib(h->pages_free * KJUMP_PAGE_SIZE),
               h->free_map_offset ? "leaves them alone" : "zeroes them");
        printf("Image size:   %.1f MiB of %.1f MiB\n", mib(h->data_bytes + h->index_size + KJUMP_IMAGE_HEADER_SIZE),
               mib(h->target_size));
        printf("Memory map:   %u entries\n", h->memmap_count);
        if (verify)
                printf("Verify:       %s\n", verify);
}

static int verb_inspect(int argc, char *argv[]) {
        const char *path;
        _cleanup_free_ struct kjump_chunk *chunks = NULL;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_(target_done) Target t = TARGET_NULL;
        _cleanup_(image_key_done) ImageKey key = {};
        const TargetMap *map = NULL;
        struct kjump_image_header h;
        const char *why = NULL;
        char verdict[256];
        int r;

        if (argc > 1)
                path = argv[1];
        else {
                r = load_config();
                if (r < 0)
                        return r;
                path = target_spec();
        }
        /* A target is read where the helper wrote it: on the device below
         * the file system (and below dm-crypt, whose view of those blocks
         * is noise). Anything else (a copy of an image) is read as is. */
        {
                _cleanup_free_ char *e = NULL;

                if (geteuid() == 0 && target_open(path, &t, &e) >= 0) {
                        fd = fcntl(t.fd, F_DUPFD_CLOEXEC, 3);
                        if (fd < 0)
                                return log_error_errno(errno, "Cannot duplicate a file descriptor: %m");
                        map = &t.map;
                } else {
                        r = open_image(path, &fd);
                        if (r < 0)
                                return r;
                }
        }
        r = image_read_header(fd, map, &h, &why);
        if (r == -ENOMSG)
                return log_error_errno(r, "%s holds no kjump image.", path);
        if (r < 0)
                return log_error_errno(r, "%s: the image header is not valid: %s.", path, why ?: "read error");

        if (!arg_verify) {
                print_header(path, &h, NULL);
                return 0;
        }

        if (h.chunk_count == 0) {
                print_header(path, &h, "nothing to verify: the image was never completed");
                return log_error_errno(ENODATA, "%s: the image has no data.", path);
        }
        if (h.protection == KJUMP_PROTECT_TPM2) {
                r = tpm2_device_key_load(h.image_id, &key);
                if (r < 0) {
                        print_header(path, &h, r == -EPERM ? "not possible: the TPM's PCR policy fails"
                                                           : "not possible: its key is destroyed");
                        return log_error_errno(r, "%s: the image's key is gone (destroyed after a restore, an "
                                               "invalidation or a test), or the TPM does not release it.", path);
                }
        }
        if (h.protection == KJUMP_PROTECT_LUKS) {
                if (t.crypt_rdev == 0) {
                        print_header(path, &h, "not possible here: the key is in the dm-crypt volume of its target");
                        return log_error_errno(ENOKEY, "%s: the image is encrypted and this is not its target.", path);
                }
                r = key_block_read(t.crypt_rdev, h.key_device_offset, h.image_id, &key);
                if (r < 0) {
                        print_header(path, &h, "not possible: its key is destroyed");
                        return log_error_errno(r, "%s: the image's key is gone (destroyed after a restore, an "
                                               "invalidation or a test).", path);
                }
        }
        r = image_read_index(fd, map, &h, &key, &chunks, &why);
        if (r >= 0)
                r = image_check_index_covers_ram(&h, chunks, &why);
        if (r >= 0)
                r = image_verify(fd, map, &h, chunks, &key, cpus_online(), &why);
        if (r < 0) {
                snprintf(verdict, sizeof(verdict), "FAILED: %s", why ?: strerror(-r));
                print_header(path, &h, verdict);
                return log_error_errno(r, "%s: verification failed: %s.", path, why ?: "read error");
        }
        snprintf(verdict, sizeof(verdict), "OK, %" PRIu64 " chunks, every checksum matches%s", h.chunk_count,
                 h.protection != KJUMP_PROTECT_NONE ? " and every chunk authenticates" : "");
        print_header(path, &h, verdict);
        return 0;
}

/* The initrds record where the image is when they are built: those that
 * record another place than LOCATION ("kjump.resume=...") are rebuilt with
 * the system's own tool, one kernel version at a time, so that the next
 * boot finds the image. */
static int update_initrds(const char *location) {
        _cleanup_strv_free_ char **versions = NULL;
        const char *tool = access("/usr/sbin/update-initramfs", X_OK) == 0 ? "/usr/sbin/update-initramfs"
                         : access("/usr/bin/dracut", X_OK) == 0           ? "/usr/bin/dracut"
                                                                          : NULL;
        int n, r = 0;

        n = check_stale_initrds("/", location, &versions);
        if (n <= 0)
                return 0;
        if (!tool) {
                log_warning("%d initrd(s) record another image location, and neither update-initramfs nor dracut "
                            "is installed: rebuild them yourself, or boot with %s.", n, location);
                return -ENOENT;
        }
        for (char **v = versions; *v; v++) {
                char *update_initramfs[] = { (char *) tool, (char *) "-u", (char *) "-k", *v, NULL };
                char *dracut[] = { (char *) tool, (char *) "--force", (char *) "--kver", *v, NULL };
                char **argv = strstr(tool, "dracut") ? dracut : update_initramfs;
                int k;

                printf("The initrd of kernel %s records another image location: running %s %s %s %s.\n", *v,
                       argv[0], argv[1], argv[2], argv[3]);
                fflush(stdout);
                /* Building an initrd can take minutes on a slow machine. */
                k = spawn_wait(argv, 30ULL * 60 * 1000000);
                if (k != 0) {
                        log_warning("%s failed for kernel %s (%s): its next boot may not find the image; run it "
                                    "again, or boot with %s.", argv[0], *v, k > 0 ? "non-zero exit" : strerror(-k),
                                    location);
                        r = -EIO;
                }
        }
        return r;
}

static int print_resume_location(const char *spec) {
        _cleanup_(target_done) Target t = TARGET_NULL;
        _cleanup_free_ char *why = NULL, *location = NULL;
        int r;

        r = target_open(spec, &t, &why);
        if (r < 0)
                return log_error_errno(r, "Image target %s: %s", spec, why ?: "cannot be used");
        r = target_resume_location(&t, &location);
        if (r < 0)
                return log_error_errno(r, "Cannot describe where %s is: %m", spec);
        if (!t.is_file) {
                /* Name it in kjump.conf the way the initrd finds it. */
                _cleanup_free_ char *target = strndup(location, strrchr(location, ':') - location);
                if (target && strcmp(target, spec) != 0)
                        fprintf(stderr, "Set Target=%s in kjump.conf (or pass --target=%s).\n", target, target);
        }
        if (t.is_file && t.layout && *t.layout)
                fprintf(stderr, "%s lies on %s%s: the helper writes it there raw.\n", t.file, t.layout, t.device);
        printf("kjump.resume=%s\n", location);
        return 0;
}

/* The spec a verb works on: its argument, else --target, else kjump.conf. */
static int verb_spec(int argc, char *argv[], const char **ret) {
        int r;

        if (argc > 1) {
                if (arg_given & OPT_TARGET)
                        return log_error_errno(EINVAL, "Give the target either as an argument or with --target.");
                *ret = argv[1];
                return 0;
        }
        r = load_config();
        if (r < 0)
                return r;
        *ret = target_spec();
        return 0;
}

static int verb_resume_location(int argc, char *argv[]) {
        const char *spec = NULL;
        int r;

        r = verb_spec(argc, argv, &spec);
        if (r < 0)
                return r;
        return print_resume_location(spec);
}

/* Tells a running kjumpd to load the helper again with the new target, so
 * that its preloaded map is never older than the target (the re-check
 * before the jump would catch it, this keeps it from having to). */
static void reload_kjumpd(void) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;

        if (sd_bus_open_system(&bus) < 0)
                return;
        if (sd_bus_call_method(bus, KJUMP_BUS_NAME, KJUMP_BUS_PATH, KJUMP_BUS_INTERFACE, "Reload", &error, NULL,
                               "") < 0 && !sd_bus_error_has_names(&error, SD_BUS_ERROR_SERVICE_UNKNOWN,
                                                                 SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                log_warning("kjumpd did not reload: %s", error.message ?: "error");
        sd_bus_error_free(&error);
}

static int verb_setup_target(int argc, char *argv[]) {
        _cleanup_free_ char *why = NULL, *resolved = NULL;
        const char *spec = NULL;
        uint64_t size = 0;
        struct stat st;
        int r;

        r = verb_spec(argc, argv, &spec);
        if (r < 0)
                return r;
        if (geteuid() != 0)
                return log_error_errno(EPERM, "setup-target must run as root.");

        /* An existing block device (path, UUID=, PARTUUID=, LABEL=) is a
         * partition target; anything else names the image file. */
        if (target_resolve(spec, &resolved) >= 0 && stat(resolved, &st) >= 0 && S_ISBLK(st.st_mode)) {
                if (arg_given & OPT_SIZE)
                        return log_error_errno(EINVAL, "--size applies to image files; a partition is used whole.");
                r = target_setup_partition(spec, arg_force, &why);
                if (r < 0)
                        return log_error_errno(r, "Cannot set up %s: %s", spec, why ?: "error");
                printf("%s is ready as a kjump partition.\n", resolved);
                /* A file system's LABEL= or UUID= is gone with its
                 * signature: from now on the partition is its device. */
                spec = resolved;
        } else {
                if (strchr(spec, '=') && spec[0] != '/')
                        return log_error_errno(ENOENT, "%s does not resolve to a partition.", spec);
                {
                        _cleanup_(memmap_done) MemMap m = {};
                        uint64_t full;

                        r = target_size_for_ram(&full);
                        if (r >= 0)
                                r = memmap_read_sysfs("/sys/firmware/memmap", &m);
                        if (r < 0)
                                return log_error_errno(r, "Cannot size the image from /sys/firmware/memmap: %m");
                        r = target_size_parse(arg_size_spec, memmap_ram_bytes(&m), full, &size);
                        if (r < 0)
                                return log_error_errno(r, "Invalid target size '%s'.", arg_size_spec);
                        if (size < full)
                                printf("The image file holds %.0f MiB, less than RAM (%.0f MiB): at each hibernation "
                                       "kjump checks that the image fits, dropping the page cache if needed.\n",
                                       mib(size), mib(memmap_ram_bytes(&m)));
                }
                r = target_setup_file(spec, size, arg_force, &why);
                if (r < 0)
                        return log_error_errno(r, "Cannot set up %s: %s", spec, why ?: "error");
                printf("%s is ready: %.0f MiB.\n", spec, mib(size));
        }
        if (!arg_no_update_initrd) {
                _cleanup_free_ char *location = NULL, *arg = NULL;
                Target t = TARGET_NULL;

                if (target_open(spec, &t, NULL) >= 0 && target_resume_location(&t, &location) >= 0)
                        r = asprintf(&arg, "kjump.resume=%s", location);
                /* Closed first: the initrd hooks open it themselves
                 * ('kjumpctl resume-location'), and it is locked while open. */
                target_done(&t);
                if (arg)
                        (void) update_initrds(arg);
        }
        /* After the initrds: kjumpd checks that the next boot finds it. */
        reload_kjumpd();
        return print_resume_location(spec);
}

static int verb_invalidate(int argc, char *argv[]) {
        _cleanup_(target_done) Target t = TARGET_NULL;
        _cleanup_free_ char *why = NULL;
        const char *spec = NULL;
        int r, k;

        r = verb_spec(argc, argv, &spec);
        if (r < 0)
                return r;
        r = target_open(spec, &t, &why);
        if (r == -ENOENT && arg_boot) {
                /* Not set up: there is no image to worry about. */
                log_info("No image target %s: nothing to invalidate.", spec);
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "Image target %s: %s", spec, why ?: "cannot be used");
        r = target_invalidate(&t, KJUMP_REASON_INVALIDATED,
                              arg_boot ? "booted without restoring" : "invalidated by kjumpctl", &k);
        if (r < 0)
                return log_error_errno(r, "Failed to invalidate the image on %s: %m", spec);
        if (r > 0)
                log_notice("The image on %s is invalid now%s.", spec,
                           arg_boot ? ": this boot did not restore it" : "");
        /* Invalid is not enough for an encrypted image: its key goes too. */
        if (k < 0)
                return log_error_errno(k, "Failed to destroy the image's key (%s): %m",
                                       t.crypt_name ?: "in the TPM");
        return 0;
}

/* From the kernel's postinst hook (/etc/kernel/postinst.d/kjump): says
 * what a newly installed kernel lacks; never fails the installation. */
static int verb_check_kernel(int argc, char *argv[]) {
        _cleanup_strv_free_ char **reasons = NULL;
        int n = kjump_check_kernel("/", argv[1], &reasons);

        if (n < 0)
                return log_error_errno(n, "Cannot check kernel %s: %m", argv[1]);
        if (n == 0) {
                printf("kjump: kernel %s can hibernate with kjump.\n", argv[1]);
                return 0;
        }
        printf("kjump: kernel %s cannot hibernate with kjump:\n", argv[1]);
        for (int i = 0; i < n; i++)
                printf("  - %s\n", reasons[i]);
        return 0;
}

/* The layout the target lies on, when it can be opened: "ext4 on
 * LVM/device-mapper vg-root (linear) on /dev/sda3", and how its images
 * are protected under ENCRYPTION. */
static void print_layout(const char *spec, int encryption) {
        _cleanup_(target_done) Target t = TARGET_NULL;

        if (target_open(spec, &t, NULL) < 0)
                return;
        if (t.is_file)
                printf("  layout: %s on %s on %s%s\n", t.file, t.fs_name ?: "a file system", t.layout ?: "", t.device);
        else
                printf("  layout: the partition %s\n", t.device);
        if (target_choose_protection(&t, encryption, NULL) < 0)
                return;
        if (t.protection == KJUMP_PROTECT_LUKS)
                printf("  protection: encrypted and authenticated; the key in a key block inside the dm-crypt "
                       "volume %s (Encryption=%s)\n", t.crypt_name, encryption_to_string(encryption));
        else if (t.protection == KJUMP_PROTECT_TPM2)
                printf("  protection: encrypted and authenticated; the key in the TPM, released only while PCR %d "
                       "is as now (Encryption=tpm2)\n", KJUMP_TPM2_PCR);
        else
                printf("  protection: none, plaintext (Encryption=%s, and no dm-crypt volume is active)\n",
                       encryption_to_string(encryption));
}

/* What becomes of the free pages, as the next hibernation would decide
 * (jump_prepare_params()). */
static void print_free_pages(const KjumpConfig *c) {
        uint64_t phys, size;
        bool vmcoreinfo = kernel_vmcoreinfo_read("/sys/kernel/vmcoreinfo", &phys, &size) >= 0;
        const char *why = NULL;

        switch (free_pages_use(c->save_free_pages, vmcoreinfo, &why)) {
        case FREE_PAGES_SAVE:
                printf("  free pages: saved in the image: %s\n", why);
                break;
        case FREE_PAGES_SKIP_ZERO:
                printf("  free pages: left out of the image, zeroed at a restore: %s\n", why);
                break;
        case FREE_PAGES_SKIP_LEAVE:
                printf("  free pages: left out of the image, and left alone at a restore\n");
                break;
        }
}

static int verb_check(int argc, char *argv[]) {
        _cleanup_(kjump_config_done) KjumpConfig c = {};
        _cleanup_strv_free_ char **reasons = NULL;
        _cleanup_free_ char *error = NULL;
        int n, r;

        kjump_config_defaults(&c);
        r = kjump_config_load(&c, KJUMP_CONF_DIR, &error);
        if (r < 0) {
                printf("no: invalid configuration: %s\n", error ?: strerror(-r));
                return -EBADMSG;
        }
        if (arg_config.target) {
                free(c.target);
                c.target = strdup(arg_config.target);
        }
        n = kjump_check_with_initrds(&c, &reasons);
        if (n == 0) {
                _cleanup_free_ char *no_suspend = NULL, *no_hybrid = NULL;

                printf("yes: hibernation is possible (target %s).\n", c.target);
                print_layout(c.target, c.encryption);
                /* What the other sleep operations need on top of it. */
                (void) check_suspend("/", false, &no_suspend);
                (void) check_suspend("/", true, &no_hybrid);
                printf("  suspend-then-hibernate: %s%s\n", no_suspend ? "no: " : "yes", no_suspend ?: "");
                printf("  hybrid sleep: %s%s\n", no_hybrid ? "no: " : "yes", no_hybrid ?: "");
                print_free_pages(&c);
                return 0;
        }
        printf("no: %d reason%s:\n", n, n == 1 ? "" : "s");
        for (int i = 0; i < n; i++)
                printf("  - %s\n", reasons[i]);
        print_layout(c.target, c.encryption);
        print_free_pages(&c);
        return -EOPNOTSUPP;
}

static int verb_status(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        bool first = true;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to the system bus: %m");
        r = sd_bus_call_method(bus, KJUMP_BUS_NAME, KJUMP_BUS_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                               &error, &reply, "s", KJUMP_BUS_INTERFACE);
        if (r < 0) {
                log_error("Cannot ask kjumpd (is kjumpd.service running?): %s", error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        if (arg_json)
                printf("{");
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *name, *contents;
                char type;

                r = sd_bus_message_read(reply, "s", &name);
                if (r >= 0)
                        r = sd_bus_message_peek_type(reply, &type, &contents);
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'v', contents);
                if (r < 0)
                        return r;
                if (arg_json)
                        printf("%s\"%s\":", first ? "" : ",", name);
                else
                        printf("%-20s ", name);
                first = false;
                if (contents[0] == 's') {
                        const char *v;
                        r = sd_bus_message_read(reply, "s", &v);
                        if (r < 0)
                                return r;
                        if (arg_json)
                                print_json_string(v);
                        else
                                print_escaped(v);
                } else if (contents[0] == 'b') {
                        int v;
                        r = sd_bus_message_read(reply, "b", &v);
                        if (r < 0)
                                return r;
                        printf("%s", v ? (arg_json ? "true" : "yes") : (arg_json ? "false" : "no"));
                } else if (contents[0] == 't') {
                        uint64_t v;
                        r = sd_bus_message_read(reply, "t", &v);
                        if (r < 0)
                                return r;
                        printf("%" PRIu64, v);
                } else {
                        r = sd_bus_message_skip(reply, contents);
                        if (r < 0)
                                return r;
                        printf(arg_json ? "null" : "(%s)", contents);
                }
                if (!arg_json)
                        printf("\n");
                r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        if (arg_json)
                printf("}\n");
        return 0;
}

typedef struct Verb {
        const char *name;
        unsigned min_args, max_args; /* after the verb */
        unsigned options;            /* the Opt bits it uses */
        int (*run)(int argc, char *argv[]);
} Verb;

static const Verb verbs[] = {
        { "suspend", 0, 0, OPT_DIRECT | OPT_FROM_SYSTEMD | OPT_MODE | OPT_TARGET | OPT_COMPRESSION | OPT_ENCRYPTION | OPT_HELPER,
          verb_suspend },
        { "hibernate", 0, 0, OPT_DIRECT | OPT_FROM_SYSTEMD | OPT_MODE | OPT_TARGET | OPT_COMPRESSION | OPT_ENCRYPTION | OPT_HELPER,
          verb_suspend },
        { "hybrid-sleep", 0, 0, OPT_FROM_SYSTEMD, verb_hybrid_sleep },
        { "suspend-then-hibernate", 0, 0, OPT_FROM_SYSTEMD, verb_suspend_then_hibernate },
        { "status", 0, 0, OPT_JSON, verb_status },
        { "check", 0, 0, OPT_TARGET, verb_check },
        { "check-kernel", 1, 1, 0, verb_check_kernel },
        { "inspect", 0, 1, OPT_JSON | OPT_VERIFY | OPT_TARGET, verb_inspect },
        { "setup-target", 0, 1, OPT_TARGET | OPT_SIZE | OPT_FORCE | OPT_NO_UPDATE_INITRD, verb_setup_target },
        { "invalidate", 0, 1, OPT_TARGET | OPT_BOOT, verb_invalidate },
        { "resume-location", 0, 1, OPT_TARGET, verb_resume_location },
};

static int run(int argc, char *argv[]) {
        const Verb *verb = NULL;
        unsigned n_args;
        int r;

        log_set_prefix("kjumpctl");
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        if (optind >= argc)
                return log_error_errno(EINVAL, "No command given; see 'kjumpctl --help'.");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(verbs[i].name, argv[optind]) == 0)
                        verb = &verbs[i];
        if (!verb)
                return log_error_errno(EINVAL, "Unknown command '%s'; see 'kjumpctl --help'.", argv[optind]);
        n_args = (unsigned) (argc - optind - 1);
        if (n_args < verb->min_args || n_args > verb->max_args)
                return log_error_errno(EINVAL, "'%s' takes %s%u argument%s, %u given.", verb->name,
                                       verb->min_args == verb->max_args ? "" : "at most ", verb->max_args,
                                       verb->max_args == 1 ? "" : "s", n_args);
        for (size_t i = 0; i < ELEMENTSOF(opt_names); i++)
                if ((arg_given & opt_names[i].opt) && !(verb->options & opt_names[i].opt))
                        return log_error_errno(EINVAL, "%s has no effect with '%s'; refusing.", opt_names[i].name,
                                               verb->name);
        return verb->run(argc - optind, argv + optind);
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);
        kjump_config_done(&config_file);
        return r == -EINVAL ? EXIT_USAGE : r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

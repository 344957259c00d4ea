/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kjump-memhog: a live process whose anonymous memory a test checks
 * across a jump or a hibernation.
 *
 *   kjump-memhog --size SIZE [--pattern random|zero|text|sparse] [--seed N] --state DIR
 *   kjump-memhog --fresh --size SIZE
 *
 * Fills SIZE bytes, writes DIR/ready, then waits. On SIGUSR1 it checks
 * every byte against the pattern and writes DIR/result ("ok" or "bad ...");
 * on SIGTERM it exits.
 *
 * --fresh: takes SIZE bytes of new anonymous memory, allocated for writing
 * (every page a new one from the kernel), and checks that every byte is
 * zero, as the kernel promises; exits 1 at the first one that is not. A
 * kernel with init_on_free hands out its free pages without zeroing them:
 * after a restore this fails unless the restore gave them back as zeros. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"

typedef enum { PATTERN_RANDOM, PATTERN_ZERO, PATTERN_TEXT, PATTERN_SPARSE } Pattern;

static uint64_t splitmix64(uint64_t x) {
        x += UINT64_C(0x9e3779b97f4a7c15);
        x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
        return x ^ (x >> 31);
}

static uint64_t word_at(Pattern p, uint64_t seed, uint64_t i) {
        switch (p) {
        case PATTERN_RANDOM:
                return splitmix64(seed ^ i);
        case PATTERN_ZERO:
                return 0;
        case PATTERN_TEXT:
                /* Compressible, but different on every page. */
                return (i / 512) * UINT64_C(0x0001000100010001) + 0x2020202020202020;
        case PATTERN_SPARSE:
                /* One page in 16 holds data, the rest is zero. */
                return (i / 512) % 16 == 0 ? splitmix64(seed ^ i) : 0;
        }
        return 0;
}

static volatile sig_atomic_t got_usr1, got_term;

static void on_signal(int sig) {
        if (sig == SIGUSR1)
                got_usr1 = 1;
        else
                got_term = 1;
}

static int write_state(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *p = NULL, *tmp = NULL;
        FILE *f;

        if (asprintf(&p, "%s/%s", dir, name) < 0 || asprintf(&tmp, "%s/.%s.tmp", dir, name) < 0)
                return -ENOMEM;
        f = fopen(tmp, "we");
        if (!f)
                return -errno;
        fprintf(f, "%s\n", text);
        if (fclose(f) != 0 || rename(tmp, p) < 0)
                return -errno;
        return 0;
}

static int check_fresh(uint64_t size) {
        const uint8_t *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

        if (m == MAP_FAILED) {
                perror("kjump-memhog: mmap");
                return 1;
        }
        for (uint64_t i = 0; i < size; i++)
                if (m[i] != 0) {
                        fprintf(stderr, "kjump-memhog: fresh memory is not zero: byte 0x%02x at offset %" PRIu64
                                " of %" PRIu64 "\n", m[i], i, size);
                        return 1;
                }
        printf("kjump-memhog: %" PRIu64 " MiB of fresh memory, all zero\n", size >> 20);
        return 0;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "size", required_argument, NULL, 's' },
                { "pattern", required_argument, NULL, 'p' },
                { "seed", required_argument, NULL, 'S' },
                { "state", required_argument, NULL, 'd' },
                { "fresh", no_argument, NULL, 'f' },
                {}
        };
        bool fresh = false;
        static const char *const names[] = { "random", "zero", "text", "sparse" };
        uint64_t size = 256u << 20, seed = 1, n;
        Pattern pattern = PATTERN_RANDOM;
        const char *state = NULL;
        uint64_t *mem;
        sigset_t mask, old;
        int c;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        if (parse_size(optarg, &size) < 0 || size < 8) {
                                fprintf(stderr, "kjump-memhog: bad size '%s'\n", optarg);
                                return 2;
                        }
                        break;
                case 'p': {
                        size_t i;
                        for (i = 0; i < ELEMENTSOF(names) && strcmp(names[i], optarg) != 0; i++)
                                ;
                        if (i == ELEMENTSOF(names)) {
                                fprintf(stderr, "kjump-memhog: unknown pattern '%s'\n", optarg);
                                return 2;
                        }
                        pattern = (Pattern) i;
                        break;
                }
                case 'S':
                        if (parse_u64(optarg, &seed) < 0) {
                                fprintf(stderr, "kjump-memhog: bad seed '%s'\n", optarg);
                                return 2;
                        }
                        break;
                case 'd':
                        state = optarg;
                        break;
                case 'f':
                        fresh = true;
                        break;
                default:
                        return 2;
                }
        if (fresh)
                return check_fresh(size);
        if (!state) {
                fprintf(stderr, "kjump-memhog: --state DIR is required\n");
                return 2;
        }

        n = size / 8;
        mem = mmap(NULL, n * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) {
                perror("kjump-memhog: mmap");
                return 1;
        }
        for (uint64_t i = 0; i < n; i++)
                /* Write even zeros, so every page is really allocated. */
                mem[i] = word_at(pattern, seed, i);

        sigemptyset(&mask);
        sigaddset(&mask, SIGUSR1);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, &old);
        signal(SIGUSR1, on_signal);
        signal(SIGTERM, on_signal);

        if (write_state(state, "ready", "ready") < 0) {
                perror("kjump-memhog: write ready");
                return 1;
        }

        for (;;) {
                while (!got_usr1 && !got_term)
                        sigsuspend(&old);
                if (got_term)
                        return 0;
                got_usr1 = 0;

                char result[128] = "ok";
                for (uint64_t i = 0; i < n; i++)
                        if (mem[i] != word_at(pattern, seed, i)) {
                                snprintf(result, sizeof(result), "bad word %" PRIu64 " (byte offset 0x%" PRIx64
                                         "): 0x%016" PRIx64 " != 0x%016" PRIx64, i, i * 8, mem[i],
                                         word_at(pattern, seed, i));
                                break;
                        }
                if (write_state(state, "result", result) < 0) {
                        perror("kjump-memhog: write result");
                        return 1;
                }
        }
}

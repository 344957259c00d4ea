/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "spawn-util.h"
#include "time-util.h"

extern char **environ;

int spawn_wait(char *const argv[], uint64_t timeout_usec) {
        posix_spawnattr_t attr;
        _cleanup_close_ int pidfd = -EBADF;
        sigset_t none, all;
        uint64_t deadline;
        pid_t pid;
        int status, r;

        sigemptyset(&none);
        sigfillset(&all);
        r = posix_spawnattr_init(&attr);
        if (r != 0)
                return -r;
        r = posix_spawnattr_setsigmask(&attr, &none);
        if (r == 0)
                r = posix_spawnattr_setsigdefault(&attr, &all);
        if (r == 0)
                r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        if (r == 0)
                r = posix_spawn(&pid, argv[0], NULL, &attr, argv, environ);
        posix_spawnattr_destroy(&attr);
        if (r != 0)
                return -r;

        /* Its exit is an event on a pidfd: no polling. */
        pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        deadline = now_usec(CLOCK_MONOTONIC) + timeout_usec;
        for (;;) {
                uint64_t now = now_usec(CLOCK_MONOTONIC);
                int left = now >= deadline ? 0 : (int) MIN((deadline - now + 999) / 1000, (uint64_t) INT32_MAX);

                if (pidfd >= 0) {
                        struct pollfd p = { .fd = pidfd, .events = POLLIN };

                        r = poll(&p, 1, left);
                        if (r < 0 && errno != EINTR)
                                break;
                        if (r == 0) {
                                (void) kill(pid, SIGKILL);
                                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                                        ;
                                return -ETIMEDOUT;
                        }
                        if (r < 0)
                                continue;
                }
                break;
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        if (!WIFEXITED(status))
                return -EPROTO;
        return WEXITSTATUS(status);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* spawn_wait(): exit status, a child killed at its deadline, and a child
 * that starts with a clean signal mask whatever its parent blocked. */
#include <errno.h>
#include <signal.h>

#include "macro.h"
#include "spawn-util.h"
#include "tests.h"

#define SEC 1000000ULL

TEST(status) {
        char *ok[] = { (char *) "/bin/sh", (char *) "-c", (char *) "exit 0", NULL };
        char *three[] = { (char *) "/bin/sh", (char *) "-c", (char *) "exit 3", NULL };
        char *missing[] = { (char *) "/nonexistent/program", NULL };

        ASSERT(spawn_wait(ok, 60 * SEC) == 0);
        ASSERT(spawn_wait(three, 60 * SEC) == 3);
        ASSERT(spawn_wait(missing, 60 * SEC) != 0);
}

TEST(deadline) {
        char *hang[] = { (char *) "/bin/sleep", (char *) "600", NULL };

        ASSERT_ERR(spawn_wait(hang, SEC / 5), ETIMEDOUT);
}

TEST(signal_mask) {
        /* The child sends itself SIGTERM: it dies of it only if its mask
         * and disposition were reset (kjumpd blocks SIGTERM). */
        char *self_term[] = { (char *) "/bin/sh", (char *) "-c", (char *) "kill -TERM $$; exit 0", NULL };
        sigset_t term, old;

        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        ASSERT(sigprocmask(SIG_BLOCK, &term, &old) == 0);
        ASSERT_ERR(spawn_wait(self_term, 60 * SEC), EPROTO);
        ASSERT(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
}

int main(void) {
        test_status();
        test_deadline();
        test_signal_mask();
        return 0;
}

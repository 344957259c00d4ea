/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <unistd.h>

#include "cpu-util.h"

unsigned cpus_online(void) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        return n > 0 ? (unsigned) n : 1;
}

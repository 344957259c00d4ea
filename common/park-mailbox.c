/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <xxhash.h>

#include "park-mailbox.h"

_Static_assert(sizeof(struct kjump_park_mailbox) <= 4096, "the mailbox is one page");

static uint64_t request_check(const struct kjump_park_mailbox *m) {
        return XXH3_64bits(m, offsetof(struct kjump_park_mailbox, check));
}

void park_mailbox_seal(struct kjump_park_mailbox *m) {
        memcpy(m->magic, KJUMP_PARK_MAGIC, sizeof(m->magic));
        m->check = request_check(m);
}

int park_mailbox_check(const struct kjump_park_mailbox *m, const uint8_t nonce[16], uint64_t seq,
                       const char **ret_reason) {
        const char *why = NULL;

        if (memcmp(m->magic, KJUMP_PARK_MAGIC, sizeof(m->magic)) != 0)
                why = "no mailbox at the address given at the park";
        else if (memcmp(m->nonce, nonce, sizeof(m->nonce)) != 0)
                why = "the mailbox belongs to another load";
        else if (m->check != request_check(m))
                why = "the mailbox's checksum does not match";
        else if (m->seq != seq)
                why = "the mailbox's request is not the next jump";
        else if (m->key_set > 1)
                why = "the mailbox's key flag is invalid";
        if (why) {
                if (ret_reason)
                        *ret_reason = why;
                return -EBADMSG;
        }
        return 0;
}

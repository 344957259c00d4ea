/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kjump/image.h"

/* The parked helper's mailbox (docs/design.md, "The parked helper"): one
 * page of A's RAM outside the window, pinned by kjumpd, whose physical
 * address the helper learns at its boot. A fills the request part and
 * seals it right before every jump into the parked helper; the helper
 * checks it, takes what this jump needs (the mode, the image id, the key:
 * everything that changes between hibernations), wipes the key from A's
 * page, and reports in the status part before it jumps back. Nothing in
 * it is trusted unless the nonce of this load, the next sequence number
 * and the checksum all agree: the helper refuses a jump otherwise. */
#define KJUMP_PARK_MAGIC "KJPARK01"

enum {
        KJUMP_PARK_STATUS_NONE = 0,
        KJUMP_PARK_STATUS_PARKED = 1,   /* back in A, ready for jump status_seq + 1 */
        KJUMP_PARK_STATUS_WORKING = 2,  /* took jump status_seq (an image restored from it says so) */
        KJUMP_PARK_STATUS_REFUSED = 3,  /* did nothing for jump status_seq: message says why */
};

struct kjump_park_mailbox {
        /* Written by A. */
        char magic[8];
        uint8_t nonce[16];       /* this load's, from the helper's parameters */
        uint64_t seq;            /* 0: the park jump; then 1, 2, ... */
        uint32_t mode;           /* HelperMode of this jump */
        uint32_t after;          /* HelperAfter of this jump */
        uint8_t image_id[16];
        uint32_t key_set;
        uint8_t key[KJUMP_KEY_SIZE];
        uint64_t check;          /* XXH3-64 of everything above */
        /* Written by the helper. */
        uint32_t status;
        uint32_t reserved;
        uint64_t status_seq;
        char message[128];
};

/* Fills in the checksum of the request part. */
void park_mailbox_seal(struct kjump_park_mailbox *m);
/* Is M a request of this load (NONCE) for jump SEQ, intact? On refusal
 * -EBADMSG and the reason (static). */
int park_mailbox_check(const struct kjump_park_mailbox *m, const uint8_t nonce[16], uint64_t seq,
                       const char **ret_reason);

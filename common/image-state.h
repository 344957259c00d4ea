/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one owner of an image's life (include/kjump/image.h):
 *
 *   (none, EMPTY, INVALID, CONSUMED) --begin--> WRITING --commit--> VALID
 *   VALID --restore--> RESTORING --resumed--> CONSUMED
 *   any --invalidate--> INVALID
 *
 * Every program changes a header's state through image_state_commit() or
 * image_invalidate(), and decides whether an image may reach RAM through
 * image_check_restorable(): the boot-time restore before it hands over, the
 * helper before it writes the first page. */

#include <stdint.h>

#include "extent-map.h"
#include "image-format.h"
#include "memmap.h"

typedef enum ImageEvent {
        IMAGE_EVENT_BEGIN,      /* A writes the first header before a jump */
        IMAGE_EVENT_COMMIT,     /* the helper committed a complete hibernation image */
        IMAGE_EVENT_RESTORE,    /* the boot-time restore hands the image to the helper */
        IMAGE_EVENT_RESUMED,    /* A runs again from a restore of this image */
        IMAGE_EVENT_INVALIDATE, /* never restore this image */
        _IMAGE_EVENT_MAX,
} ImageEvent;

const char *image_event_to_string(ImageEvent e);

/* The transition function: the state after E in STATE, or -EPERM when E is
 * illegal there (and -EINVAL for an unknown state or event). Invalidating
 * an EMPTY or INVALID header leaves it as it is. */
int image_state_next(uint32_t state, ImageEvent e, uint32_t *ret);

/* Applies E to H in memory; for INVALIDATE also sets REASON and MESSAGE
 * (MESSAGE may be NULL). H is unchanged on error. */
int image_header_apply(struct kjump_image_header *h, ImageEvent e, uint32_t reason, const char *message);

/* Applies E to H and commits H to the target (image_commit_header()). */
int image_state_commit(int fd, const TargetMap *map, struct kjump_image_header *h, ImageEvent e, uint32_t reason,
                       const char *message);

/* A header that holds nothing and is INVALID: what replaces a header that
 * cannot be read or checked, so that it can never look restorable. */
void image_header_init_invalid(struct kjump_image_header *h, uint64_t target_size, uint32_t reason,
                               const char *message);

/* The one invalidate path: reads the header at MAP's offset 0 and marks it
 * INVALID. No kjump header: nothing to do (0). An unreadable or damaged
 * header is replaced by image_header_init_invalid(). Returns 1 when it
 * wrote, 0 when there was nothing to invalidate. */
int image_invalidate(int fd, const TargetMap *map, uint32_t reason, const char *message);

/* May the image with header H be written into this machine's RAM? H must
 * have passed image_header_check(). STATE is the state it must be in (VALID
 * for the boot-time restore, RESTORING for the helper). FIRMWARE is this
 * boot's firmware memory map. On refusal returns -EBADMSG (or -ESTALE for a
 * state, -ENXIO for another machine) with the reason in *ret_reason
 * (static) and the reason code for the header in *ret_code. */
int image_check_restorable(const struct kjump_image_header *h, uint32_t state, const MemMap *firmware,
                           const char **ret_reason, uint32_t *ret_code);

/* Is the index bound to the RAM the header records? The chunks, in order,
 * must tile exactly the RAM of the header's memory map outside the window,
 * each inside one RAM range, none crossing a range's end. */
int image_check_index_covers_ram(const struct kjump_image_header *h, const struct kjump_chunk *chunks,
                                 const char **ret_reason);

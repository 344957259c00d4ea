/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdint.h>

#include "memmap.h"

/* What the loader tells the helper. It travels as the text file
 * KJUMP_PARAMS_PATH inside a small cpio archive appended to the helper's
 * initrd at load time (docs/design.md, "Parameters for the helper"). */
#define KJUMP_PARAMS_PATH "/kjump/params"
#define KJUMP_PARAMS_VERSION 1

typedef enum HelperMode {
        HELPER_MODE_ROUNDTRIP,    /* jump straight back: proves the jump works */
        HELPER_MODE_TEST,         /* write, verify, jump back */
        HELPER_MODE_TEST_RESTORE, /* write, scribble over A, restore, jump back */
        HELPER_MODE_HIBERNATE,    /* write, power off */
        HELPER_MODE_RESTORE,      /* read an image back into RAM, jump into A */
        _HELPER_MODE_MAX,
        _HELPER_MODE_INVALID = -EINVAL,
} HelperMode;

const char *helper_mode_to_string(HelperMode m);
HelperMode helper_mode_from_string(const char *s);

typedef struct HelperParams {
        HelperMode mode;
        MemRange window;     /* the helper's own RAM, part of A's RAM */
        MemMap firmware;     /* A's firmware memory map */
} HelperParams;

void helper_params_done(HelperParams *p);

/* Text form: one "key value..." per line, "#" comments. */
int helper_params_format(const HelperParams *p, char **ret);
int helper_params_parse(const char *text, HelperParams *ret, char **ret_error);

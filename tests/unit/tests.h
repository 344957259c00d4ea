/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_TEST_SKIP 77

#define ASSERT(expr)                                                                   \
        do {                                                                           \
                if (!(expr)) {                                                         \
                        fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__,     \
                                __LINE__, #expr);                                      \
                        abort();                                                       \
                }                                                                      \
        } while (0)

#define ASSERT_OK(expr)                                                                \
        do {                                                                           \
                long long _r = (expr);                                                 \
                if (_r < 0) {                                                          \
                        fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__,  \
                                #expr, strerror((int) -_r));                           \
                        abort();                                                       \
                }                                                                      \
        } while (0)

#define ASSERT_ERR(expr, err)                                                          \
        do {                                                                           \
                long long _r = (expr);                                                 \
                if (_r != -(err)) {                                                    \
                        fprintf(stderr, "%s:%d: %s returned %lld, expected -%s\n",     \
                                __FILE__, __LINE__, #expr, _r, #err);                  \
                        abort();                                                       \
                }                                                                      \
        } while (0)

#define ASSERT_STREQ(a, b)                                                             \
        do {                                                                           \
                const char *_a = (a), *_b = (b);                                       \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                               \
                        fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__,         \
                                __LINE__, _a ?: "(null)", _b ?: "(null)");             \
                        abort();                                                       \
                }                                                                      \
        } while (0)

#define TEST(name) static void test_##name(void)

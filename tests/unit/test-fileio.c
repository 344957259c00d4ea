/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>

#include "fileio.h"
#include "macro.h"
#include "tests.h"

TEST(parse_numbers) {
        uint64_t v;

        ASSERT_OK(parse_u64("0x100000f2", &v));
        ASSERT(v == 0x100000f2);
        ASSERT_OK(parse_u64("4096", &v));
        ASSERT(v == 4096);
        ASSERT_ERR(parse_u64("-1", &v), EINVAL);
        ASSERT_ERR(parse_u64("12x", &v), EINVAL);
        ASSERT_ERR(parse_u64("", &v), EINVAL);
        ASSERT_ERR(parse_u64(" 1", &v), EINVAL);
        ASSERT_ERR(parse_u64("0x10000000000000000", &v), ERANGE);
        ASSERT_OK(parse_size("64M", &v));
        ASSERT(v == 64u << 20);
        ASSERT_OK(parse_size("2g", &v));
        ASSERT(v == 2ull << 30);
        ASSERT_ERR(parse_size("M", &v), EINVAL);
        ASSERT_ERR(parse_size("99999999999T", &v), ERANGE);
}

TEST(parse_timespan_and_boolean) {
        uint64_t v;

        ASSERT_OK(parse_timespan("90", &v));
        ASSERT(v == UINT64_C(90) * 1000000);
        ASSERT_OK(parse_timespan("1h 30min", &v));
        ASSERT(v == UINT64_C(5400) * 1000000);
        ASSERT_OK(parse_timespan("2d3h", &v));
        ASSERT(v == UINT64_C(183600) * 1000000);
        ASSERT_OK(parse_timespan(" 500ms ", &v));
        ASSERT(v == 500000);
        ASSERT_OK(parse_timespan("15 s", &v));
        ASSERT(v == UINT64_C(15) * 1000000);
        ASSERT_ERR(parse_timespan("", &v), EINVAL);
        ASSERT_ERR(parse_timespan("h", &v), EINVAL);
        ASSERT_ERR(parse_timespan("5 fortnights", &v), EINVAL);
        ASSERT_ERR(parse_timespan("-5s", &v), EINVAL);
        ASSERT_ERR(parse_timespan("999999999999w", &v), ERANGE);

        ASSERT(parse_boolean("yes") == 1 && parse_boolean("On") == 1 && parse_boolean("1") == 1);
        ASSERT(parse_boolean("no") == 0 && parse_boolean("FALSE") == 0 && parse_boolean("off") == 0);
        ASSERT_ERR(parse_boolean("maybe"), EINVAL);
        ASSERT_ERR(parse_boolean(NULL), EINVAL);
}

int main(void) {
        test_parse_numbers();
        test_parse_timespan_and_boolean();
        return 0;
}

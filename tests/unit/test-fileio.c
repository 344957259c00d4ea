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

int main(void) {
        test_parse_numbers();
        return 0;
}

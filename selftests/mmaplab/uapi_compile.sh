#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# uapi_compile.sh - uapi/linux/mmaplab.h must compile on its own, as the
# first and only include, in C and in C++, with -Wall -Wextra -Werror,
# and its structures must have the sizes the ABI promises.  Runs on the
# build host (it needs a compiler).  Prints KTAP.
here=$(cd "$(dirname "$0")" && pwd)
uapi=${UAPI_DIR:-$here/../../uapi}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0 n=0

cat > "$tmp/t.c" <<'SRC'
#include <linux/mmaplab.h>
#ifdef __cplusplus
#include <cstddef>
#define ASSERT(e, m) static_assert(e, m)
#else
#include <stddef.h>
#define ASSERT(e, m) _Static_assert(e, m)
#endif
/* Each version's size, and each version ending where the next begins. */
ASSERT(sizeof(struct mmaplab_config) == MMAPLAB_CONFIG_SIZE_VER0, "config size");
ASSERT(sizeof(struct mmaplab_stats) == MMAPLAB_STATS_SIZE_VER2, "stats size");
ASSERT(sizeof(struct mmaplab_inspect) == MMAPLAB_INSPECT_SIZE_VER0, "inspect size");
ASSERT(sizeof(struct mmaplab_inspect_vma) == MMAPLAB_INSPECT_VMA_SIZE_VER0, "inspect vma size");
ASSERT(sizeof(struct mmaplab_inspect_page) == MMAPLAB_INSPECT_PAGE_SIZE_VER1, "inspect page size");
ASSERT(offsetof(struct mmaplab_inspect_page, nr) == MMAPLAB_INSPECT_PAGE_SIZE_VER0,
       "inspect page version 0 ends where version 1 begins");
ASSERT(offsetof(struct mmaplab_stats, config_flags) == MMAPLAB_STATS_SIZE_VER0,
       "stats version 0 ends where version 1 begins");
ASSERT(sizeof(struct mmaplab_range) == MMAPLAB_RANGE_SIZE_VER0, "range size");
ASSERT(offsetof(struct mmaplab_range, result) == 32, "range result");
int main(void)
{
	unsigned long cmds[] = { MMAPLAB_IOC_CONFIGURE, MMAPLAB_IOC_STATS,
				 MMAPLAB_IOC_GUARD, MMAPLAB_IOC_INVALIDATE,
				 MMAPLAB_IOC_CLEAN };
	enum mmaplab_backing b = MMAPLAB_BACKING_PAGES;
	unsigned int i, j;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		for (j = 0; j < i; j++)
			if (cmds[i] == cmds[j])
				return 1;
	return b == MMAPLAB_BACKING_NONE;
}
SRC
cp "$tmp/t.c" "$tmp/t.cc"

# check NAME COMPILER-COMMAND...: compile to $tmp/a.out and run it.
check() {
	name=$1; shift
	n=$((n + 1))
	rm -f "$tmp/a.out"
	if out=$("$@" 2>&1) && "$tmp/a.out"; then
		echo "ok $n uapi.$name"
		pass=$((pass + 1))
	else
		echo "$out" | sed 's/^/# /'
		echo "not ok $n uapi.$name"
		fail=$((fail + 1))
	fi
}

echo "TAP version 13"
echo "1..4"
check c11 cc -std=c11 -Wall -Wextra -Werror -pedantic -I"$uapi" "$tmp/t.c" -o "$tmp/a.out"
# The same sizes for 32-bit callers (compat ioctl), where -m32 works.
if echo 'int main(void){return 0;}' | cc -m32 -x c - -o "$tmp/m32" 2>/dev/null &&
   echo '#include <asm/ioctl.h>' | cc -m32 -E -x c - >/dev/null 2>&1; then
	check c11_m32 cc -std=c11 -m32 -Wall -Wextra -Werror -I"$uapi" "$tmp/t.c" -o "$tmp/a.out"
else
	n=$((n + 1)); skip=$((skip + 1))
	echo "ok $n uapi.c11_m32 # SKIP no 32-bit toolchain (install gcc-multilib)"
fi
check cxx11 c++ -std=c++11 -Wall -Wextra -Werror -pedantic -I"$uapi" "$tmp/t.cc" -o "$tmp/a.out"
check cxx17 c++ -std=c++17 -Wall -Wextra -Werror -I"$uapi" "$tmp/t.cc" -o "$tmp/a.out"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ "$fail" -eq 0 ]

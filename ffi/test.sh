#!/usr/bin/env bash
# Tests of the C ABI (ffi/), run by scripts/test.sh: the release build, the header drift gate, the
# C suites (every function, bad input, callbacks, operations, records, threads), the shared scenario corpus through the
# C ABI, the C++17 wrapper, examples/quickstart.c, and both ways of consuming an installed library
# (pkg-config and CMake), every program under valgrind (zero errors, zero leaks).
#
# Works on a fresh Debian 12 machine with the Rust toolchain, as root or with sudo, without stdin:
# missing tools are installed with apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$SECONDS
step() { printf -- '--> ffi: %s\n' "$*"; }

# ---- tools ----
missing=()
for tool in gcc g++ make cmake pkg-config valgrind; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ -f /usr/include/jansson.h ] || missing+=(libjansson-dev)
if [ ${#missing[@]} -gt 0 ]; then
  step "installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq </dev/null
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi

# ---- library and header ----
step "release build of libdeploygov (regenerates include/deploygov.h)"
cargo build --release --locked -q -p deploygov-ffi
lib=${CARGO_TARGET_DIR:-$root/target}/release
for f in libdeploygov.so libdeploygov.a; do
  [ -f "$lib/$f" ] || { echo "missing $lib/$f" >&2; exit 1; }
done

step "header drift gate (git diff --exit-code include/)"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  if ! git diff --exit-code --stat -- include/; then
    echo "include/ differs from the committed version: commit the regenerated include/deploygov.h" >&2
    exit 1
  fi
  if [ -z "$(git ls-files -- include/deploygov.h)" ]; then
    echo "include/deploygov.h is not committed" >&2
    [ "${CI:-}" = true ] && exit 1
  fi
else
  echo "not a git checkout: drift gate skipped"
fi

step "every exported symbol is declared, and every declared function is exercised by the C tests"
exported=$(nm -D --defined-only "$lib/libdeploygov.so" | awk '$2 == "T" && $3 ~ /^dg_/ { print $3 }' | sort)
declared=$(grep -oE '\bdg_[a-z_]+\(' include/deploygov.h | tr -d '(' | sort -u)
if [ "$exported" != "$declared" ]; then
  diff <(echo "$exported") <(echo "$declared") >&2 || true
  echo "the exported dg_ symbols and the header's functions differ" >&2
  exit 1
fi
for fn in $declared; do
  grep -q "\b$fn(" ffi/tests/c/test_*.c || { echo "no C test calls $fn" >&2; exit 1; }
done
echo "$(echo "$declared" | wc -l) functions"

# ---- C and C++ programs under valgrind ----
build=$(mktemp -d "${TMPDIR:-/tmp}/deploygov-ffi.XXXXXX")
trap 'rm -rf "$build"' EXIT
cflags=(-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror -pedantic -g -I"$root/include")
cxxflags=(-std=c++17 -Wall -Wextra -Werror -pedantic -g -I"$root/include")
shared=(-L"$lib" -ldeploygov -Wl,-rpath,"$lib")
static=("$lib/libdeploygov.a" -lpthread -ldl -lm)
vg=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect)

step "compiling the C tests (C11), the C++ test (C++17) and the quickstart"
gcc "${cflags[@]}" ffi/tests/c/test_api.c -o "$build/test_api" "${shared[@]}" -ljansson
gcc "${cflags[@]}" ffi/tests/c/test_callbacks.c -o "$build/test_callbacks" "${shared[@]}" -ljansson
gcc "${cflags[@]}" ffi/tests/c/test_bad_input.c -o "$build/test_bad_input" "${static[@]}" -ljansson
gcc "${cflags[@]}" ffi/tests/c/test_operations.c -o "$build/test_operations" "${shared[@]}" -ljansson
gcc "${cflags[@]}" ffi/tests/c/test_records.c -o "$build/test_records" "${static[@]}" -ljansson
gcc "${cflags[@]}" -pthread ffi/tests/c/test_threads.c -o "$build/test_threads" "${shared[@]}" -ljansson
gcc "${cflags[@]}" ffi/tests/c/test_postgres.c -o "$build/test_postgres" "${shared[@]}" -ljansson
gcc "${cflags[@]}" ffi/tests/c/scenarios.c ffi/tests/c/scenario_args.c ffi/tests/c/scenario_ops.c ffi/tests/c/scenario_expect.c \
  -o "$build/scenarios" "${static[@]}" -ljansson
g++ "${cxxflags[@]}" ffi/tests/cpp/test_wrapper.cpp -o "$build/test_wrapper" "${static[@]}"
gcc -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude examples/quickstart.c -o "$build/quickstart" "${static[@]}"

step "C tests: every function, callbacks, bad input, operations, records, threads"
"${vg[@]}" "$build/test_api" "$build"
"${vg[@]}" "$build/test_callbacks"
"${vg[@]}" "$build/test_bad_input"
"${vg[@]}" "$build/test_operations"
"${vg[@]}" "$build/test_records"
"${vg[@]}" "$build/test_threads" "$build"
"${vg[@]}" "$build/test_postgres"

step "scenario corpus through the C ABI (tests/scenarios)"
"${vg[@]}" "$build/scenarios" tests/scenarios

step "C++17 RAII wrapper (include/deploygov.hpp)"
"${vg[@]}" "$build/test_wrapper"

step "examples/quickstart.c"
"${vg[@]}" "$build/quickstart" >"$build/quickstart.out"
grep -q "self_approval" "$build/quickstart.out"
grep -q "live in production: chatbot 1.1.0" "$build/quickstart.out"

# ---- an installed library, consumed both ways ----
prefix="$build/prefix"
step "ffi/install.sh into a temporary prefix"
bash ffi/install.sh "$prefix" >/dev/null

step "consumer through pkg-config"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[ "$(pkg-config --modversion deploygov)" = "$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)" ]
# shellcheck disable=SC2046 # word splitting of pkg-config output is intended
gcc -std=c11 -Wall -Wextra -Werror ffi/tests/consumer/consumer.c -o "$build/consumer_pc" \
  $(pkg-config --cflags --libs deploygov) -Wl,-rpath,"$(pkg-config --variable=libdir deploygov)"
# Not `ldd | grep -q`: grep exiting at the first match can kill ldd with SIGPIPE, failing under pipefail.
grep -qF "$prefix/lib/libdeploygov.so" <<<"$(ldd "$build/consumer_pc")"
"${vg[@]}" "$build/consumer_pc"
# shellcheck disable=SC2046
gcc -std=c11 examples/quickstart.c -o "$build/quickstart_pc" $(pkg-config --cflags --libs deploygov) \
  -Wl,-rpath,"$(pkg-config --variable=libdir deploygov)"
"$build/quickstart_pc" >/dev/null

step "consumer through CMake find_package(deploygov)"
cmake -S ffi/tests/consumer -B "$build/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Debug >"$build/cmake.log" 2>&1 ||
  { cat "$build/cmake.log" >&2; exit 1; }
cmake --build "$build/cmake" >>"$build/cmake.log" 2>&1 || { cat "$build/cmake.log" >&2; exit 1; }
grep -qF "$prefix/lib/libdeploygov.so" <<<"$(ldd "$build/cmake/consumer_shared")"
"${vg[@]}" "$build/cmake/consumer_shared"
"${vg[@]}" "$build/cmake/consumer_static"

step "all C ABI tests passed in $((SECONDS - started)) s"

#!/usr/bin/env bash
# Installs deploygov's C library into PREFIX: the release build of libdeploygov.so and .a, the
# headers, a pkg-config file and a CMake package.
#
#   bash ffi/install.sh /usr/local        # or any prefix; builds the library first if needed
#
#   PREFIX/include/deploygov.h, deploygov.hpp
#   PREFIX/lib/libdeploygov.so, libdeploygov.a
#   PREFIX/lib/pkgconfig/deploygov.pc                 pkg-config --cflags --libs deploygov
#   PREFIX/lib/cmake/deploygov/deploygovConfig.cmake   find_package(deploygov)
set -euo pipefail
if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 PREFIX" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
prefix=$(cd "$1" && pwd)
target=${CARGO_TARGET_DIR:-$root/target}/release

(cd "$root" && cargo build --release --locked -q -p deploygov-ffi)

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
IFS=. read -r major minor _ <<<"$version"

install -d "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/lib/cmake/deploygov"
install -m 644 "$root/include/deploygov.h" "$root/include/deploygov.hpp" "$prefix/include/"
install -m 755 "$target/libdeploygov.so" "$prefix/lib/"
install -m 644 "$target/libdeploygov.a" "$prefix/lib/"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" "$root/ffi/pkg/deploygov.pc.in" >"$prefix/lib/pkgconfig/deploygov.pc"
install -m 644 "$root/ffi/pkg/deploygovConfig.cmake" "$prefix/lib/cmake/deploygov/"
sed -e "s|@VERSION@|$version|g" -e "s|@VERSION_MAJOR@|$major|g" -e "s|@VERSION_MINOR@|$minor|g" \
  "$root/ffi/pkg/deploygovConfigVersion.cmake.in" >"$prefix/lib/cmake/deploygov/deploygovConfigVersion.cmake"
echo "installed deploygov $version into $prefix"

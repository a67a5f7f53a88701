#!/usr/bin/env bash
# build-stack.sh — builds a TLS stack under test from source, instrumented for
# fuzzing: a static library with the coverage instrumentation and sanitizers
# of the `fuzz` CMake preset (clang, -fsanitize=fuzzer-no-link,address,undefined),
# the stack's features configured as Debian's package configures them.
#
#   scripts/build-stack.sh NAME [--src DIR] [--out DIR] [--cache DIR] [--jobs N] [--force]
#   scripts/build-stack.sh NAME --deps     # only install NAME's build dependencies (root)
#   scripts/build-stack.sh NAME --check    # is the built library instrumented, and does a
#                                          # libFuzzer program linked with it run?
#
#   NAME        mbedtls | wolfssl | gnutls | boringssl
#   --src DIR   build your own checkout of the stack instead of Debian's source package
#               (same configuration; it is built out of tree and left untouched, except
#               that a wolfSSL git checkout without ./configure gets ./autogen.sh run)
#   --out DIR   where include/, lib/ and stack.cmake go (default build/stacks/NAME)
#   --cache DIR where Debian's source packages are unpacked (default build/stacks/src)
#   --jobs N    parallel compile jobs (default: $CMAKE_BUILD_PARALLEL_LEVEL, else the
#               number of cores)
#   --force     rebuild even if nothing changed
#   --no-deps   neither check nor install the build dependencies (an image with its
#               own compiler and libraries, as OSS-Fuzz's base-builder)
#
# Without --src the source is the stack's Debian source package (apt-get source
# mbedtls | wolfssl | gnutls28 | android-platform-external-boringssl). When apt knows
# no source packages the script adds /etc/apt/sources.list.d/shakedown-src.sources
# (deb-src for bookworm, bookworm-updates, bookworm-security) and runs apt-get update:
# that, and installing missing build dependencies, needs root.
#
# A second run reuses the unpacked source and does nothing when the compiler,
# the flags, the configuration and the source are those of the last build (for
# --src the stack's own build tool then recompiles what changed).
#
# What it leaves in the output folder:
#   include/ lib/   the headers and the static libraries
#   stack.cmake     set(SHAKEDOWN_STACK_<NAME>_...) lines: version, include dir, the
#                   libraries in link order, the system libraries and link options
#                   they need; the top CMakeLists.txt reads it when configured with
#                   -DSHAKEDOWN_STACK_DIR_<NAME>=DIR or -DSHAKEDOWN_INSTRUMENTED_STACKS_DIR=DIR
#   build/          the build tree, build.log its output
#
# Environment: SHAKEDOWN_STACK_CC, SHAKEDOWN_STACK_CXX and SHAKEDOWN_STACK_CFLAGS
# replace clang, clang++ and the fuzz preset's flags (.clusterfuzzlite/build.sh
# passes OSS-Fuzz's $CC, $CXX and $CFLAGS).
#
# --check exits 0 when the library passes, 1 when it fails and 77 (skipped) when
# there is no build in the output folder (the build_stack_check_NAME tests).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

usage() {
    # The comment block at the top of this file, without the comment marks.
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}
die() {
    echo "build-stack: $*" >&2
    exit 1
}
say() { echo "build-stack: $*"; }

# --- Arguments ---------------------------------------------------------------
name=""
src=""
out=""
cache="$root/build/stacks/src"
jobs="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 1)}"
mode=build
force=0
no_deps=0
while [ $# -gt 0 ]; do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        --src) [ $# -ge 2 ] || die "--src needs a folder"; src="$2"; shift ;;
        --out) [ $# -ge 2 ] || die "--out needs a folder"; out="$2"; shift ;;
        --cache) [ $# -ge 2 ] || die "--cache needs a folder"; cache="$2"; shift ;;
        --jobs) [ $# -ge 2 ] || die "--jobs needs a number"; jobs="$2"; shift ;;
        --deps) mode=deps ;;
        --check) mode=check ;;
        --force) force=1 ;;
        --no-deps) no_deps=1 ;;
        -*) echo "build-stack: unknown option: $1 (try --help)" >&2; exit 2 ;;
        *) [ -z "$name" ] || die "one stack at a time (got $name and $1)"; name="$1" ;;
    esac
    shift
done
case "$name" in
    mbedtls) srcpkg=mbedtls ;;
    wolfssl) srcpkg=wolfssl ;;
    gnutls) srcpkg=gnutls28 ;;
    boringssl) srcpkg=android-platform-external-boringssl ;;
    "") echo "build-stack: which stack? (mbedtls, wolfssl, gnutls or boringssl; try --help)" >&2; exit 2 ;;
    *) echo "build-stack: unknown stack: $name (mbedtls, wolfssl, gnutls or boringssl)" >&2; exit 2 ;;
esac
case "$jobs" in '' | *[!0-9]* | 0) die "--jobs needs a positive number, not '$jobs'" ;; esac
out="${out:-$root/build/stacks/$name}"
if [ "$mode" = build ]; then
    mkdir -p "$out" 2>/dev/null || die "cannot create $out"
fi
[ ! -d "$out" ] || out="$(cd "$out" && pwd)"
work="$out/build"
log="$work/build.log"

cc="${SHAKEDOWN_STACK_CC:-clang}"
cxx="${SHAKEDOWN_STACK_CXX:-clang++}"
# The `fuzz` preset's flags (CMakePresets.json: RelWithDebInfo, SHAKEDOWN_SANITIZE,
# SHAKEDOWN_LIBFUZZER; the top CMakeLists.txt and targets/fuzz/CMakeLists.txt
# spell them out). Without -DNDEBUG: a stack's own assertions are findings too.
cflags="${SHAKEDOWN_STACK_CFLAGS:--O2 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer}"
# What a program linking the library needs at link time: the sanitizer runtimes
# the flags ask for.
link_options=""
for flag in $cflags; do
    case "$flag" in -fsanitize=* | -fsanitize-* | -fno-sanitize*) link_options="$link_options $flag" ;; esac
done
link_options="${link_options# }"

# --- Build dependencies, by Debian package name ---------------------------------
# scripts/install-deps.sh --stack-build=NAME holds the list; it installs what is
# missing (root) and does nothing when everything is there.
install_deps() {
    [ "$no_deps" = 0 ] || return 0
    if ! command -v dpkg-query >/dev/null; then
        say "not a Debian system: install the build dependencies of $name yourself"
        return 0
    fi
    "$here/install-deps.sh" --stack-build="$name" ||
        die "the build dependencies of $name are missing (as root: $0 $name --deps)"
}

# --- Debian's source package ------------------------------------------------------
src_list=/etc/apt/sources.list.d/shakedown-src.sources

add_deb_src() {
    [ "$(id -u)" -eq 0 ] || die "apt knows no source package $srcpkg and adding $src_list needs root: sudo $0 $name (or build your own checkout with --src DIR)"
    if [ ! -e "$src_list" ]; then
        say "adding $src_list (deb-src for bookworm, bookworm-updates, bookworm-security)"
        cat >"$src_list" <<'EOF'
# Added by shakedown's scripts/build-stack.sh: Debian's source packages, for
# building the TLS stacks under test from source.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    fi
    # The entry may also exist without its index fetched (added by hand):
    # either way apt needs one update before it knows the source package.
    apt-get update || die "apt-get update failed (no network?)"
}

# The unpacked Debian source in the cache: <package>-<upstream version>/ with a
# debian/ folder, the newest if several.
cached_source() {
    local d
    d="$(find "$cache" -maxdepth 1 -type d -name "$srcpkg-[0-9]*" 2>/dev/null | sort -V | tail -n 1)"
    if [ -n "$d" ] && [ -d "$d/debian" ]; then echo "$d"; fi
}

fetch_source() {
    mkdir -p "$cache"
    local d
    d="$(cached_source)"
    if [ -n "$d" ]; then
        say "source: $d (cached)"
        src="$d"
        return
    fi
    command -v apt-get >/dev/null || die "no apt-get: build your own checkout with --src DIR"
    install_deps # dpkg-source unpacks it
    if [ -z "$(apt-cache showsrc --only-source "$srcpkg" 2>/dev/null)" ]; then
        add_deb_src
        [ -n "$(apt-cache showsrc --only-source "$srcpkg" 2>/dev/null)" ] || die "apt still knows no source package $srcpkg"
    fi
    say "fetching Debian's source package $srcpkg into $cache"
    (cd "$cache" && apt-get source "$srcpkg") || die "apt-get source $srcpkg failed (no network?)"
    src="$(cached_source)"
    [ -n "$src" ] || die "apt-get source $srcpkg left no $srcpkg-<version>/ in $cache"
}

# --- The recipes ----------------------------------------------------------------
# Each sets `version`, `configure` (every setting that decides what is built:
# a change rebuilds from scratch), and defines build_<name> to compile and install
# into $out, and sets `libraries` (link order, relative to $out/lib) and
# `system_libs` (what those need from the system).

run() {
    # Into the log; the tail of it on failure.
    echo "+ $*" >>"$log"
    if ! "$@" >>"$log" 2>&1; then
        tail -n 40 "$log" >&2
        die "failed: $* (whole output in $log)"
    fi
}

# mbed TLS: CMake. debian/rules turns on these config.h options; they are set in
# a copy of the configuration (MBEDTLS_CONFIG_FILE), so a --src checkout is not
# modified, and the copy is what include/ ships.
mbedtls_options=(MBEDTLS_DEPRECATED_WARNING MBEDTLS_HAVEGE_C MBEDTLS_MD2_C MBEDTLS_MD4_C MBEDTLS_THREADING_C
    MBEDTLS_THREADING_PTHREAD MBEDTLS_CMAC_C MBEDTLS_SSL_DTLS_SRTP)
recipe_mbedtls() {
    version="$(sed -n 's/^#define MBEDTLS_VERSION_STRING *"\(.*\)"/\1/p' "$src/include/mbedtls/version.h" "$src/include/mbedtls/build_info.h" 2>/dev/null | head -n 1 || true)"
    config_header=config.h
    [ -f "$src/include/mbedtls/$config_header" ] || config_header=mbedtls_config.h # mbed TLS 3
    configure="config.py set ${mbedtls_options[*]}; cmake -DUSE_STATIC_MBEDTLS_LIBRARY=ON -DUSE_SHARED_MBEDTLS_LIBRARY=OFF -DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF -DMBEDTLS_FATAL_WARNINGS=OFF"
    libraries="libmbedtls.a libmbedx509.a libmbedcrypto.a"
    system_libs="pthread"
}
build_mbedtls() {
    local config="$work/config/mbedtls/$config_header" option
    if [ ! -f "$work/build/build.ninja" ]; then
        mkdir -p "$(dirname "$config")"
        cp "$src/include/mbedtls/$config_header" "$config"
        for option in "${mbedtls_options[@]}"; do
            # mbed TLS 3 dropped some of them (HAVEGE, MD2, MD4): skipped, visibly.
            python3 "$src/scripts/config.py" -f "$config" set "$option" >>"$log" 2>&1 ||
                say "mbedtls: this version has no $option (skipped)"
        done
        run cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=None \
            -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$cflags -DMBEDTLS_CONFIG_FILE='\"$config\"'" \
            -DCMAKE_INSTALL_PREFIX="$out" -DLIB_INSTALL_DIR=lib -DCMAKE_INSTALL_LIBDIR=lib \
            -DUSE_STATIC_MBEDTLS_LIBRARY=ON -DUSE_SHARED_MBEDTLS_LIBRARY=OFF \
            -DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF -DMBEDTLS_FATAL_WARNINGS=OFF
    fi
    run cmake --build "$work/build" -j "$jobs"
    run cmake --install "$work/build"
    cp "$config" "$out/include/mbedtls/$config_header"
}

# wolfSSL: autotools, debian/rules' options. --enable-distro forces a shared
# library too; libtool is told to build only the static one (half the compile
# time). --enable-distro includes OpenSSL compatibility (the shim needs it),
# and wolfSSL 5.5 then defines a few functions under OpenSSL's own names
# (SSL_SESSION_set1_id, ERR_load_SSL_strings, ...) that BoringSSL defines too:
# they are renamed wolfSSL_shakedown_<name> in the archive, so the library links
# next to BoringSSL.
wolfssl_args=(--enable-distro --enable-pkcs11 --disable-examples --disable-silent-rules)
recipe_wolfssl() {
    version="$(sed -n 's/^#define LIBWOLFSSL_VERSION_STRING *"\(.*\)"/\1/p' "$src/wolfssl/version.h" 2>/dev/null | head -n 1 || true)"
    configure="configure ${wolfssl_args[*]} static-only; rename OpenSSL-named symbols"
    libraries="libwolfssl.a"
    system_libs="m;pthread;dl"
}
build_wolfssl() {
    if [ ! -f "$work/build/Makefile" ]; then
        if [ ! -x "$src/configure" ]; then
            say "wolfssl: no ./configure in $src: running ./autogen.sh there"
            (cd "$src" && run ./autogen.sh)
        fi
        mkdir -p "$work/build"
        (cd "$work/build" && run "$src/configure" --prefix="$out" --libdir="$out/lib" "${wolfssl_args[@]}" \
            CC="$cc" CFLAGS="$cflags")
        sed -i 's/^build_libtool_libs=yes$/build_libtool_libs=no/' "$work/build/libtool"
    fi
    run make -C "$work/build" -j "$jobs"
    run make -C "$work/build" install
    rm -rf "${out:?}"/lib/libwolfssl.la "${out:?}/share" "${out:?}/bin" # libtool's, the docs, wolfssl-config
    rename_openssl_symbols "$out/lib/libwolfssl.a"
}

# The global symbols an archive defines under OpenSSL's prefixes.
openssl_named_symbols() {
    nm -g --defined-only "$1" 2>/dev/null | awk 'NF == 3 { print $3 }' |
        grep -E '^(SSL|TLS|DTLS|ERR|EVP|X509|BIO|PEM|RSA|DSA|DH|EC|ECDSA|ECDH|BN|ASN1|OBJ|RAND|HMAC|CRYPTO|OPENSSL|OpenSSL|PKCS7|PKCS8|PKCS12|CONF|ENGINE|SHA|MD4|MD5|AES|DES|i2d|d2i)_' |
        sort -u || true
}
rename_openssl_symbols() {
    local archive="$1" map="$work/renamed-symbols.txt"
    openssl_named_symbols "$archive" | awk '{ print $1 " wolfSSL_shakedown_" $1 }' >"$map"
    if [ -s "$map" ]; then
        say "wolfssl: renaming $(wc -l <"$map") OpenSSL-named symbols ($(cut -d' ' -f1 "$map" | tr '\n' ' '))"
        # --redefine-syms renames definitions and references alike, in every
        # member, so wolfSSL's own calls (SSL_ResourceFree) still resolve.
        run objcopy --redefine-syms="$map" "$archive"
    fi
    [ -z "$(openssl_named_symbols "$archive")" ] || die "wolfssl: OpenSSL-named symbols left in $archive"
}

# GnuTLS: autotools, debian/rules' options without what the harness does not
# link: no C++ library, no DANE library (libunbound), no OpenSSL compatibility
# library (it defines OpenSSL's names), no tools, docs or tests; and, as
# Debian's libgnutls30 (which build-depends on none of them), no certificate
# compression (zlib, brotli, zstd) and no TPM 2. Nettle, GMP,
# libtasn1, libunistring, libidn2 and p11-kit are Debian's, uninstrumented.
gnutls_args=(--enable-static --disable-shared --disable-cxx --disable-libdane --without-tpm --without-tpm2
    --disable-openssl-compatibility --disable-rpath --disable-doc --disable-tools --disable-tests
    --disable-guile --without-zlib --without-brotli --without-zstd --disable-silent-rules --with-default-trust-store-file=/etc/ssl/certs/ca-certificates.crt)
recipe_gnutls() {
    version="$(sed -n 's/^PACKAGE_VERSION=.\([0-9.]*\).*/\1/p' "$src/configure" 2>/dev/null | head -n 1 || true)"
    configure="configure ${gnutls_args[*]}"
    libraries="libgnutls.a"
    gnutls_system_libs
}
# What a static libgnutls needs, from its own pkg-config file (once built).
gnutls_system_libs() {
    system_libs=""
    [ -f "$out/lib/pkgconfig/gnutls.pc" ] || return 0
    system_libs="$(PKG_CONFIG_PATH="$out/lib/pkgconfig" pkg-config --static --libs-only-l gnutls |
        tr ' ' '\n' | sed -n 's/^-l//p' | grep -vx gnutls | tr '\n' ';')"
    system_libs="${system_libs%;}"
}
build_gnutls() {
    [ -x "$src/configure" ] || die "gnutls: no ./configure in $src (a git checkout needs ./bootstrap first, see its README)"
    if [ ! -f "$work/build/Makefile" ]; then
        mkdir -p "$work/build"
        (cd "$work/build" && run "$src/configure" --prefix="$out" --libdir="$out/lib" "${gnutls_args[@]}" \
            CC="$cc" CFLAGS="$cflags")
    fi
    run make -C "$work/build" -j "$jobs"
    run make -C "$work/build" install
    rm -rf "${out:?}"/lib/libgnutls.la "${out:?}/share" # libtool's, the locales
    keep_only_public_symbols "$out/lib/libgnutls.a" '^_?gnutls_'
    gnutls_system_libs
}

# A shared library exports only its API (GnuTLS: a version script); a static
# archive exports every global symbol of every member, and GnuTLS's copies of
# OpenSSL's assembly (aesni_gcm_encrypt, gcm_init_clmul, sha256_block_data_order,
# ...) and its gnulib functions then clash with BoringSSL's in one program. So
# the archive becomes one relocatable object (ld -r) in which every global
# symbol but the API (matching the pattern) is made local, as in the .so.
keep_only_public_symbols() {
    local archive="$1" pattern="$2" object keep="$work/public-symbols.txt"
    object="$work/$(basename "$archive" .a)-all.o"
    run ld -r -o "$object" --whole-archive "$archive"
    nm -g --defined-only "$object" | awk 'NF == 3 { print $3 }' | grep -E "$pattern" | sort -u >"$keep" || true
    [ -s "$keep" ] || die "no symbol of $archive matches $pattern"
    run objcopy --keep-global-symbols="$keep" "$object"
    rm -f "$archive"
    run ar rcs "$archive" "$object"
    say "$name: $(wc -l <"$keep") global symbols kept in $(basename "$archive") (the API, $pattern), the others made local"
}

# BoringSSL: Debian's android-platform-external-boringssl builds libcrypto and
# libssl with debian/libcrypto.mk and debian/libssl.mk from the file lists of
# debian/sources.mk; the same lists and flags here (without
# BORINGSSL_SHARED_LIBRARY: these are static), through a makefile of our own
# that compiles out of tree. An upstream checkout (CMakeLists.txt, no debian/)
# builds with its own CMake.
recipe_boringssl() {
    version="$(cat "$src/BORINGSSL_REVISION" 2>/dev/null || git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    boringssl_cppflags="-DNDEBUG -UDEBUG -DBORINGSSL_ANDROID_SYSTEM -DBORINGSSL_IMPLEMENTATION -DOPENSSL_SMALL -fno-strict-aliasing -fvisibility=hidden"
    if [ -f "$src/debian/sources.mk" ]; then
        configure="debian/sources.mk; $boringssl_cppflags; -std=gnu11; -std=gnu++2a -fno-exceptions"
    else
        [ -f "$src/CMakeLists.txt" ] || die "boringssl: $src has neither debian/sources.mk nor CMakeLists.txt"
        configure="cmake ssl crypto"
    fi
    libraries="libssl.a libcrypto.a"
    system_libs="stdc++;pthread"
    # libssl is C++: UBSan's C++ checks (vptr, function types) live in a
    # runtime that clang links for C++ programs only; a C program linking
    # libssl asks for it.
    [ -z "$link_options" ] || link_options="$link_options -fsanitize-link-c++-runtime"
}
build_boringssl() {
    rm -rf "${out:?}/include" && mkdir -p "$out/lib"
    if [ ! -f "$src/debian/sources.mk" ]; then
        run cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=None \
            -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
            -DCMAKE_C_FLAGS="$cflags" -DCMAKE_CXX_FLAGS="$cflags"
        run cmake --build "$work/build" -j "$jobs" --target ssl crypto
        cp "$work/build/libssl.a" "$work/build/libcrypto.a" "$out/lib/" 2>/dev/null ||
            cp "$work/build/ssl/libssl.a" "$work/build/crypto/libcrypto.a" "$out/lib/"
        cp -R "$src/include" "$out/include"
        return
    fi
    local arch
    case "$(uname -m)" in
        x86_64) arch=linux_x86_64_sources ;;
        aarch64) arch=linux_aarch64_sources ;;
        i?86) arch=linux_x86_sources ;;
        *) arch="" ;; # no assembly: the C fallbacks
    esac
    mkdir -p "$work/build"
    cat >"$work/build/Makefile" <<'EOF'
# Written by scripts/build-stack.sh: debian/libcrypto.mk and debian/libssl.mk's
# lists and flags, objects under obj/, two static archives.
include $(SRC)/debian/sources.mk
CRYPTO_SRCS := $(crypto_sources) $($(ARCH))
SSL_SRCS := $(ssl_sources)
CRYPTO_OBJS := $(patsubst %,obj/%.o,$(CRYPTO_SRCS))
SSL_OBJS := $(patsubst %,obj/%.o,$(SSL_SRCS))
all: libcrypto.a libssl.a
libcrypto.a: $(CRYPTO_OBJS)
	rm -f $@ && ar rcs $@ $^
libssl.a: $(SSL_OBJS)
	rm -f $@ && ar rcs $@ $^
obj/%.c.o: $(SRC)/%.c
	@mkdir -p $(@D)
	$(CC) -c -o $@ $< $(CFLAGS) -std=gnu11 -Wa,--noexecstack $(CPPFLAGS) -I$(SRC)/src/crypto -I$(SRC)/src/include
obj/%.S.o: $(SRC)/%.S
	@mkdir -p $(@D)
	$(CC) -c -o $@ $< $(CFLAGS) -Wa,--noexecstack $(CPPFLAGS) -I$(SRC)/src/crypto -I$(SRC)/src/include
obj/%.cc.o: $(SRC)/%.cc
	@mkdir -p $(@D)
	$(CXX) -c -o $@ $< $(CFLAGS) -std=gnu++2a -fno-exceptions $(CPPFLAGS) -I$(SRC)/src/include
EOF
    run make -C "$work/build" -j "$jobs" SRC="$src" ARCH="$arch" CC="$cc" CXX="$cxx" \
        CFLAGS="$cflags" CPPFLAGS="$boringssl_cppflags"
    cp "$work/build/libssl.a" "$work/build/libcrypto.a" "$out/lib/"
    cp -R "$src/src/include" "$out/include"
}

# --- stack.cmake: what the build made, for CMake and for --check ------------------
write_stack_cmake() {
    local f="$out/stack.cmake" libs="" l
    for l in $libraries; do libs="$libs;$out/lib/$l"; done
    cat >"$f.tmp" <<EOF
# Written by scripts/build-stack.sh $name; read by the top CMakeLists.txt
# (-DSHAKEDOWN_STACK_DIR_$name=$out) and by build-stack.sh --check.
set(SHAKEDOWN_STACK_${name}_VERSION "$version")
set(SHAKEDOWN_STACK_${name}_SOURCE "$src")
set(SHAKEDOWN_STACK_${name}_INCLUDE_DIR "$out/include")
set(SHAKEDOWN_STACK_${name}_LIBRARIES "${libs#;}")
set(SHAKEDOWN_STACK_${name}_SYSTEM_LIBRARIES "$system_libs")
set(SHAKEDOWN_STACK_${name}_LINK_OPTIONS "${link_options// /;}")
set(SHAKEDOWN_STACK_${name}_CC "$cc")
set(SHAKEDOWN_STACK_${name}_CFLAGS "$cflags")
set(SHAKEDOWN_STACK_${name}_BUILD_SECONDS "$build_seconds")
EOF
    mv "$f.tmp" "$f"
}

# One value of stack.cmake (a `set(NAME "value")` line).
stack_value() {
    sed -n "s/^set(SHAKEDOWN_STACK_${name}_$1 \"\(.*\)\")$/\1/p" "$out/stack.cmake"
}

# --- --check: instrumented, and a libFuzzer program linked with it runs ------------
check_program() {
    case "$name" in
        mbedtls) cat <<'EOF'
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
static const char *stack_version(char *buf) {
    mbedtls_version_get_string_full(buf);
    mbedtls_ssl_config conf;
    mbedtls_ssl_config_init(&conf);
    int ok = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                         MBEDTLS_SSL_PRESET_DEFAULT) == 0;
    mbedtls_ssl_config_free(&conf);
    return ok ? buf : NULL;
}
EOF
            ;;
        wolfssl) cat <<'EOF'
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
static const char *stack_version(char *buf) {
    (void)buf;
    wolfSSL_Init();
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfTLS_client_method());
    int ok = ctx != NULL;
    wolfSSL_CTX_free(ctx);
    return ok ? wolfSSL_lib_version() : NULL;
}
EOF
            ;;
        gnutls) cat <<'EOF'
#include <gnutls/gnutls.h>
static const char *stack_version(char *buf) {
    (void)buf;
    gnutls_session_t session;
    if (gnutls_init(&session, GNUTLS_CLIENT) != GNUTLS_E_SUCCESS) return NULL;
    int ok = gnutls_set_default_priority(session) == GNUTLS_E_SUCCESS;
    gnutls_deinit(session);
    return ok ? gnutls_check_version(NULL) : NULL;
}
EOF
            ;;
        boringssl) cat <<'EOF'
#include <openssl/crypto.h>
#include <openssl/ssl.h>
static const char *stack_version(char *buf) {
    (void)buf;
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    int ok = ctx != NULL;
    SSL_CTX_free(ctx);
    return ok ? OpenSSL_version(OPENSSL_VERSION) : NULL;
}
EOF
            ;;
    esac
    cat <<'EOF'
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    char buf[64];
    const char *v = stack_version(buf);
    if (v == NULL) {
        printf("stack-check: FAILED to create a context\n");
        exit(1);
    }
    printf("stack-check: version %s\n", v);
    return 0;
}
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return 0; }
EOF
}

check() {
    if [ ! -f "$out/stack.cmake" ]; then
        echo "SKIP: no instrumented $name in $out (build it with scripts/build-stack.sh $name)"
        exit 77
    fi
    local libs lib failed=0 sancov asan
    IFS=';' read -r -a libs <<<"$(stack_value LIBRARIES)"
    for lib in "${libs[@]}"; do
        [ -f "$lib" ] || { echo "FAIL: $lib is missing"; exit 1; }
        # The coverage callbacks (-fsanitize=fuzzer-no-link: inline 8-bit
        # counters in __sancov_cntrs sections, __sanitizer_cov_* calls) and
        # ASan's checks, referenced from the stack's own objects.
        sancov="$(objdump -h "$lib" 2>/dev/null | grep -c __sancov_cntrs || true)"
        asan="$(nm "$lib" 2>/dev/null | grep -c ' U __asan_report' || true)"
        echo "check: $(basename "$lib"): $(du -k "$lib" | cut -f1) KiB, $sancov __sancov_cntrs sections, $asan references to __asan_report_*"
        if [ "$sancov" -eq 0 ] || [ "$asan" -eq 0 ]; then
            echo "FAIL: $lib is not instrumented (no coverage counters or ASan checks)"
            failed=1
        fi
    done
    if [ "$name" = wolfssl ]; then
        local clash
        clash="$(openssl_named_symbols "${libs[0]}" | tr '\n' ' ')"
        if [ -n "$clash" ]; then
            echo "FAIL: libwolfssl.a defines OpenSSL-named symbols that clash with BoringSSL's: $clash"
            failed=1
        else
            echo "check: libwolfssl.a defines no OpenSSL-named symbols"
        fi
    fi
    [ "$failed" -eq 0 ] || exit 1

    local prog sys=() s opts=()
    dir="$(mktemp -d)"
    trap 'rm -rf "$dir"' EXIT # dir: global, for the trap
    check_program >"$dir/check.c"
    IFS=';' read -r -a s <<<"$(stack_value SYSTEM_LIBRARIES)"
    for lib in "${s[@]}"; do [ -n "$lib" ] && sys+=("-l$lib"); done
    IFS=';' read -r -a opts <<<"$(stack_value LINK_OPTIONS)"
    prog="$dir/check"
    # The program itself with libFuzzer: the stack's counters are then the
    # only instrumented code beyond libFuzzer's own few.
    if ! "$(stack_value CC)" -fsanitize=fuzzer,address,undefined -I"$(stack_value INCLUDE_DIR)" -o "$prog" "$dir/check.c" \
        "${libs[@]}" "${sys[@]}" "${opts[@]}" >"$dir/link.log" 2>&1; then
        cat "$dir/link.log"
        echo "FAIL: a libFuzzer program does not link with $name"
        exit 1
    fi
    if ! "$prog" -runs=1 >"$dir/run.log" 2>&1 || ! grep -q '^stack-check: version' "$dir/run.log"; then
        cat "$dir/run.log"
        echo "FAIL: the libFuzzer program linked with $name did not run"
        exit 1
    fi
    grep '^stack-check: version' "$dir/run.log" | sed 's/^stack-check: /check: /'
    # libFuzzer counts the inline 8-bit counters it found: thousands from the
    # stack (the program alone has a handful).
    local counters
    counters="$(sed -n 's/.*Loaded [0-9]* modules *(\([0-9]*\) inline 8-bit counters).*/\1/p' "$dir/run.log" | head -n 1)"
    echo "check: libFuzzer sees ${counters:-no} inline 8-bit counters"
    if [ -z "$counters" ] || [ "$counters" -lt 1000 ]; then
        echo "FAIL: libFuzzer sees too few coverage counters for an instrumented $name"
        exit 1
    fi
    check_next_to_boringssl "${sys[@]}" "${opts[@]}"
    echo "check: $name in $out is instrumented and links with libFuzzer"
}

# The harness links a third stack in the same process as BoringSSL: with an
# instrumented BoringSSL beside this build (../boringssl), every member of both
# is linked (--whole-archive), so any symbol both define fails the link.
check_next_to_boringssl() {
    local boring="$out/../boringssl/stack.cmake" boring_libs=() boring_sys=() l
    if [ "$name" = boringssl ] || [ ! -f "$boring" ]; then
        return 0
    fi
    IFS=';' read -r -a boring_libs <<<"$(name=boringssl out="$out/../boringssl" stack_value LIBRARIES)"
    IFS=';' read -r -a l <<<"$(name=boringssl out="$out/../boringssl" stack_value SYSTEM_LIBRARIES)"
    for lib in "${l[@]}"; do [ -n "$lib" ] && boring_sys+=("-l$lib"); done
    IFS=';' read -r -a l <<<"$(name=boringssl out="$out/../boringssl" stack_value LINK_OPTIONS)"
    boring_sys+=("${l[@]}")
    if ! "$(stack_value CC)" -fsanitize=fuzzer,address,undefined -I"$(stack_value INCLUDE_DIR)" -o "$dir/both" "$dir/check.c" \
        -Wl,--whole-archive "${libs[@]}" "${boring_libs[@]}" -Wl,--no-whole-archive "$@" "${boring_sys[@]}" >"$dir/both.log" 2>&1; then
        grep -m 10 'multiple definition' "$dir/both.log" || tail -n 10 "$dir/both.log"
        echo "FAIL: $name and the instrumented BoringSSL in $out/../boringssl do not link into one program"
        exit 1
    fi
    echo "check: every member of $name and of the BoringSSL beside it link into one program (no symbol defined twice)"
}

# --- Main ---------------------------------------------------------------------------
case "$mode" in
    deps) install_deps; exit 0 ;;
    check) check; exit 0 ;;
esac

command -v "$cc" >/dev/null || die "no $cc: install clang (scripts/build-stack.sh $name --deps)"
if [ -n "$src" ]; then
    [ -d "$src" ] || die "--src $src: no such folder"
    src="$(cd "$src" && pwd)"
    from_checkout=1
else
    fetch_source
    from_checkout=0
fi
install_deps

"recipe_$name"
stamp="$(printf '%s\n' "$name" "$src" "$version" "$("$cc" --version | head -n 1)" "$cflags" "$configure" | sha256sum | cut -d' ' -f1)"
if [ "$force" = 0 ] && [ "$from_checkout" = 0 ] && [ -f "$out/stack.cmake" ] && [ "$(cat "$work/stamp" 2>/dev/null)" = "$stamp" ]; then
    # stack.cmake again all the same: what it says of the link is cheap to
    # write and may have changed with this script.
    build_seconds="$(stack_value BUILD_SECONDS)"
    write_stack_cmake
    say "$name $version in $out is up to date (same source, compiler and flags; --force rebuilds)"
    exit 0
fi
if [ "$(cat "$work/stamp" 2>/dev/null)" != "$stamp" ] || [ "$force" = 1 ]; then
    # Another compiler, flags, configuration or source: from scratch.
    rm -rf "$work" "${out:?}/include" "${out:?}/lib" "$out/stack.cmake"
fi
mkdir -p "$work"
: >"$log"
say "building $name $version from $src with $cc $cflags, $jobs job(s); log in $log"
start="$(date +%s)"
"build_$name"
build_seconds="$(($(date +%s) - start))"
echo "$stamp" >"$work/stamp"
write_stack_cmake
for l in $libraries; do
    say "  $out/lib/$l: $(du -k "$out/lib/$l" | cut -f1) KiB"
done
say "built $name $version in ${build_seconds}s into $out"
say "use it: cmake --preset fuzz -DSHAKEDOWN_STACK_DIR_$name=$out; check it: $0 $name --check${out:+ --out $out}"

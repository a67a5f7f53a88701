#!/usr/bin/env bash
# install-deps.sh — installs what shakedown needs to build and test, on Debian 12.
#
# Idempotent: packages already installed are left alone, and when nothing is
# missing it touches nothing (no apt-get update) and needs no root, so the test
# and conform scripts can call it on every run.
#
#   scripts/install-deps.sh                 # build + test dependencies
#   scripts/install-deps.sh --with-browser  # also chromium (large) and tshark, for the
#                                           # headless checks of the HTML report
#   SHAKEDOWN_WITH_BROWSER=1 scripts/install-deps.sh   # same as --with-browser
#   scripts/install-deps.sh --stack-build=NAME   # instead: what scripts/build-stack.sh NAME
#                                           # needs to build a TLS stack from source
#                                           # (mbedtls, wolfssl, gnutls, boringssl)
set -euo pipefail

usage() {
    # The comment block at the top of this file, without the comment marks.
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

with_browser="${SHAKEDOWN_WITH_BROWSER:-0}"
stack_build=""
for arg in "$@"; do
    case "$arg" in
        --with-browser) with_browser=1 ;;
        --stack-build=*) stack_build="${arg#--stack-build=}" ;;
        -h | --help) usage; exit 0 ;;
        *) echo "install-deps: unknown option: $arg (try --help)" >&2; exit 2 ;;
    esac
done

packages=(
    build-essential cmake ninja-build pkg-config   # the build
    clang libclang-rt-14-dev                       # libFuzzer and the sanitizers
    afl++                                          # the other fuzz engine
    android-libboringssl-dev                       # BoringSSL (Android 13, API 17)
    libjansson-dev                                 # JSON reports
    nettle-dev                                     # X448 key shares (harness/crypto)
    zlib1g-dev libbrotli-dev                       # index.html's gzip; certificate compression (RFC 8879)
    libcmocka-dev                                  # unit tests
    libpcap-dev                                    # shakedown trace pcap
    libssl-dev libgnutls28-dev libwolfssl-dev libmbedtls-dev   # the shim stacks
    golang-go                                      # the Go crypto/tls shim (targets/shims/go)
    libbotan-2-dev                                 # the Botan 2.19 shim (targets/shims/shim_botan.cpp, C++)
    openjdk-17-jdk-headless                        # the Java JSSE shim (targets/shims/java): javac, jar, java
    openssl gnutls-bin                             # s_server, gnutls-serv: the --connect test;
                                                   # s_client, gnutls-cli: the serve test
    curl                                           # the serve test fetches its page over https
    llvm-14 python3                                # llvm-cov-14, llvm-profdata-14: scripts/coverage.sh
    python3-yaml                                   # the workflows test parses .github/workflows/*.yml
    clang-format                                   # the format test (tests/CMakeLists.txt)
)
if [ "$with_browser" = 1 ]; then
    packages+=(chromium tshark)
fi
if [ -n "$stack_build" ]; then
    # scripts/build-stack.sh: clang and the sanitizer runtimes, apt-get
    # source's dpkg-source, objcopy and nm (binutils), and each stack's build
    # system and the libraries Debian builds it with.
    packages=(clang libclang-rt-14-dev make binutils dpkg-dev python3)
    case "$stack_build" in
        mbedtls) packages+=(cmake ninja-build) ;;                      # scripts/config.py: python3
        wolfssl) packages+=(autoconf automake libtool) ;;              # Debian's tarball has no ./configure
        gnutls) packages+=(pkg-config nettle-dev libgmp-dev libtasn1-6-dev libunistring-dev libidn2-dev libp11-kit-dev) ;;
        boringssl) packages+=(g++ cmake ninja-build) ;;                # libstdc++; cmake for an upstream checkout
        *) echo "install-deps: --stack-build: unknown stack: $stack_build (mbedtls, wolfssl, gnutls or boringssl)" >&2; exit 2 ;;
    esac
fi

# A package counts as present only when dpkg says it is fully installed; a
# half-installed or removed-but-configured one is installed again.
installed() {
    local status
    # shellcheck disable=SC2016  # ${Status} is dpkg-query's field, not a shell variable
    status="$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)"
    [ "$status" = "install ok installed" ]
}

missing=()
for p in "${packages[@]}"; do
    if ! installed "$p"; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages present (${packages[*]})"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: installing them needs root; run: sudo $0 $*" >&2
    exit 1
fi

echo "install-deps: installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# No recommends: they would add docs and desktop extras (chromium's are large)
# that neither the build nor the tests use.
apt-get install -y --no-install-recommends "${missing[@]}"
echo "install-deps: done"

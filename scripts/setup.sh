#!/usr/bin/env bash
# Installs the toolchains that build trailhound's guest plugins, and the browser its picture
# test uses, idempotently.
#
#   scripts/setup.sh [guest-rust|python|js|chromium|nats|minisign|all]     (default: all)
#
# guest-rust: a Rust compiler that can target wasm32. When rustup already has a wasm
#             target nothing is installed; otherwise Debian's rustc-web, cargo-web,
#             rust-web-src and lld are installed (or upgraded) to at least the
#             workspace's rust-version, and std is built for wasm with -Zbuild-std
#             (see DESIGN.md, "Building guest plugins ...").
# python:     componentize-py, pinned, through `python3 -m pip`.
# js:         componentize-js, pinned (with the jco it depends on), installed by npm into
#             ${XDG_CACHE_HOME:-~/.cache}/trailhound/componentize-js-VERSION (Debian's nodejs
#             and npm first, when there is no node); prints that folder on stdout.
# chromium:   Debian's chromium, the real browser the test of `trailhound story` takes a
#             headless screenshot with, and a font for its text.
# nats:       Debian's nats-server (2.9, with JetStream), the real server the tests of the
#             NATS source and sink start on a free loopback port.
# minisign:   Debian's minisign, the reference signing tool, which the tests of signed rule
#             packs use to show that packs signed with it verify, and the reverse.
#
# It never prompts (CI runs it as root with no stdin) and returns quickly when
# everything is already there. `trailhound plugin build` runs it by itself when a
# toolchain is missing.
set -euo pipefail

COMPONENTIZE_PY_VERSION="0.25.1"
COMPONENTIZE_JS_VERSION="0.23.0"
# componentize-js depends on jco; unpinned, npm picks a jco that pulls in two more
# componentize-js copies and a bundler (386 MB instead of 213 MB).
JCO_VERSION="1.15.1"
DEBIAN_RUST_PACKAGES=(rustc-web cargo-web rust-web-src lld)
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WASM_TARGETS=(wasm32-unknown-unknown wasm32-wasip2)

say() { printf 'setup: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Runs a command as root: directly when we are root, through passwordless sudo otherwise.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        die "need root (or passwordless sudo) to run: $*"
    fi
}

rustup_has_wasm_target() {
    command -v rustup >/dev/null 2>&1 || return 1
    local installed
    installed="$(rustup target list --installed 2>/dev/null)" || return 1
    local target
    for target in "${WASM_TARGETS[@]}"; do
        if grep -qx "$target" <<<"$installed"; then
            say "rustup has $target; nothing to install for Rust guests"
            return 0
        fi
    done
    return 1
}

deb_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# Whether the installed rustc-web (e.g. 1.96.0+dfsg1-1~deb12u2) is at least Rust $1.
# cargo-web and rust-web-src come from the same source at the same version.
rustc_web_at_least() {
    local version
    version="$(dpkg-query -W -f='${Version}' rustc-web 2>/dev/null)" || return 1
    dpkg --compare-versions "$version" ge "$1"
}

# The oldest Rust the workspace builds with: `rust-version` in the root Cargo.toml.
workspace_rust_version() {
    sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' "$ROOT/Cargo.toml" | head -n 1
}

apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $* by hand"
    # A machine's package lists are often months old and offer an old Rust (or none), so
    # they are refreshed before every install; this only runs when something is missing.
    say "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
    say "apt-get install -y $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" </dev/null
}

setup_guest_rust() {
    if rustup_has_wasm_target; then
        return 0
    fi
    local min
    min="$(workspace_rust_version)"
    [ -n "$min" ] || die "no rust-version in $ROOT/Cargo.toml"
    local wanted=() pkg
    if rustc_web_at_least "$min"; then
        for pkg in "${DEBIAN_RUST_PACKAGES[@]}"; do
            deb_installed "$pkg" || wanted+=("$pkg")
        done
    else
        # Missing or too old: all of them, so the compiler, cargo and std source match.
        wanted=("${DEBIAN_RUST_PACKAGES[@]}")
    fi
    if [ "${#wanted[@]}" -eq 0 ]; then
        say "Debian Rust for wasm guests already installed ($(/usr/bin/rustc -V))"
    else
        say "rustup has no wasm target; installing Debian's ${wanted[*]} (Rust $min or newer)"
        apt_install "${wanted[@]}"
    fi
    [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ] || die "/usr/bin/cargo or /usr/bin/rustc missing after install"
    command -v wasm-ld >/dev/null 2>&1 || die "wasm-ld missing after installing lld"
    rustc_web_at_least "$min" ||
        die "Debian's rustc-web ($(/usr/bin/rustc -V)) is older than the workspace's rust-version $min"
}

pip_version() {
    # importlib.metadata answers in milliseconds; `pip show` takes seconds.
    python3 -c 'import importlib.metadata as m; print(m.version("componentize-py"))' 2>/dev/null || true
}

setup_python() {
    if ! command -v python3 >/dev/null 2>&1; then
        say "python3 not found; installing it"
        apt_install python3 python3-pip
    elif ! python3 -m pip --version >/dev/null 2>&1; then
        say "pip not found; installing python3-pip"
        apt_install python3-pip
    fi
    local have
    have="$(pip_version)"
    if [ "$have" = "$COMPONENTIZE_PY_VERSION" ]; then
        say "componentize-py $have already installed"
        return 0
    fi
    say "python3 -m pip install componentize-py==$COMPONENTIZE_PY_VERSION${have:+ (found $have)}"
    local args=(install --no-input --disable-pip-version-check "componentize-py==$COMPONENTIZE_PY_VERSION")
    # Debian's system Python refuses pip installs (PEP 668) unless told otherwise; the
    # package only adds a self-contained binary module, so it cannot break system tools.
    local stdlib
    stdlib="$(python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')"
    if [ -f "$stdlib/EXTERNALLY-MANAGED" ]; then
        args+=(--break-system-packages)
    fi
    python3 -m pip "${args[@]}" </dev/null
    have="$(pip_version)"
    [ "$have" = "$COMPONENTIZE_PY_VERSION" ] || die "componentize-py $COMPONENTIZE_PY_VERSION not importable by python3 after install"
}

# Debian's browser and a font for its text: a headless page without fonts draws no text.
CHROMIUM_PACKAGES=(chromium fonts-dejavu-core)

setup_chromium() {
    local wanted=() pkg
    for pkg in "${CHROMIUM_PACKAGES[@]}"; do
        deb_installed "$pkg" || wanted+=("$pkg")
    done
    if [ "${#wanted[@]}" -eq 0 ]; then
        say "chromium already installed"
        return 0
    fi
    say "installing ${wanted[*]} for the headless screenshot test of \`trailhound story\`"
    apt_install "${wanted[@]}"
    command -v chromium >/dev/null 2>&1 || die "chromium missing after install"
}

setup_nats() {
    if deb_installed nats-server; then
        say "nats-server already installed"
        return 0
    fi
    say "installing nats-server for the tests of the NATS source and sink"
    apt_install nats-server
    command -v nats-server >/dev/null 2>&1 || die "nats-server missing after install"
}

setup_js() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        say "no node/npm; installing Debian's nodejs and npm"
        apt_install nodejs npm
    fi
    local prefix="${XDG_CACHE_HOME:-$HOME/.cache}/trailhound/componentize-js-$COMPONENTIZE_JS_VERSION"
    if [ -x "$prefix/node_modules/.bin/componentize-js" ]; then
        say "componentize-js $COMPONENTIZE_JS_VERSION already installed in $prefix"
    else
        say "npm install @bytecodealliance/componentize-js@$COMPONENTIZE_JS_VERSION into $prefix"
        mkdir -p "$prefix"
        # No install scripts run: the JS engine ships inside the package as WebAssembly.
        npm install --prefix "$prefix" --no-audit --no-fund --ignore-scripts --loglevel=error \
            "@bytecodealliance/componentize-js@$COMPONENTIZE_JS_VERSION" \
            "@bytecodealliance/jco@$JCO_VERSION" </dev/null >&2
        [ -x "$prefix/node_modules/.bin/componentize-js" ] || die "componentize-js missing after npm install"
    fi
    printf '%s\n' "$prefix"
}

setup_minisign() {
    if deb_installed minisign; then
        say "minisign already installed"
        return 0
    fi
    say "installing minisign for the tests of signed rule packs"
    apt_install minisign
    command -v minisign >/dev/null 2>&1 || die "minisign missing after install"
}

main() {
    local what="${1:-all}"
    case "$what" in
        guest-rust) setup_guest_rust ;;
        python) setup_python ;;
        js) setup_js ;;
        chromium) setup_chromium ;;
        nats) setup_nats ;;
        minisign) setup_minisign ;;
        all)
            setup_guest_rust
            setup_python
            setup_js >/dev/null
            setup_chromium
            setup_nats
            setup_minisign
            ;;
        -h | --help)
            sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
            ;;
        *) die "unknown subcommand '$what' (expected guest-rust, python, js, chromium, nats, minisign or all)" ;;
    esac
}

main "$@"

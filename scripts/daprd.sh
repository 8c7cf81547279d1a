#!/usr/bin/env bash
# daprd.sh: print the path of a daprd 1.14.0, building it once if need be.
#
# A daprd is taken from, in order: $DFLIX_DAPRD, ~/.dapr/bin/daprd, daprd on
# PATH, each only when `daprd --version` says 1.14.0; else the cached build at
# ${XDG_CACHE_HOME:-$HOME/.cache}/dflix/daprd-1.14.0/daprd, built here from the
# Go module proxy when missing (dapr/runtime pins it by go.mod and go.sum; about
# ten minutes and a few GB of module cache the first time, then instant).
# Concurrent callers wait for one build (flock). Build output goes to stderr and
# to a log beside the binary; stdout carries only the path.
set -euo pipefail

VERSION=1.14.0
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/dflix/daprd-$VERSION
BIN=$CACHE/daprd

log() { printf 'daprd.sh: %s\n' "$*" >&2; }

# usable PATH: an executable daprd whose --version is exactly $VERSION.
usable() {
	[[ -n $1 && -x $1 ]] || return 1
	local v
	v=$("$1" --version 2>/dev/null | head -n 1 | tr -d '[:space:]') || return 1
	[[ $v == "$VERSION" ]]
}

candidate() {
	if usable "$1"; then
		printf '%s\n' "$1"
		exit 0
	fi
}

if [[ -n ${DFLIX_DAPRD:-} ]]; then
	candidate "$DFLIX_DAPRD"
	log "ignoring DFLIX_DAPRD=$DFLIX_DAPRD: not an executable daprd $VERSION"
fi
candidate "$HOME/.dapr/bin/daprd"
candidate "$(command -v daprd 2>/dev/null || true)"
candidate "$BIN"

mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
flock 9
# Another caller may have finished the build while we waited for the lock.
candidate "$BIN"

command -v go >/dev/null 2>&1 || { log "no go toolchain to build daprd $VERSION with"; exit 1; }
log "building daprd $VERSION into $BIN (the first build takes about ten minutes)"
start=$SECONDS
# The version flags make `daprd --version` say $VERSION; without them it says
# "edge". -mod=readonly: go.mod and go.sum in dapr/runtime pin every module.
pkg=github.com/dapr/dapr/pkg/buildinfo
ldflags="-s -w -X $pkg.version=$VERSION -X $pkg.gitversion=v$VERSION"
tmp=$BIN.tmp.$$
trap 'rm -f "$tmp"' EXIT
if ! (cd "$ROOT/dapr/runtime" && GOWORK=off GOFLAGS='' go build -mod=readonly -tags stablecomponents -trimpath \
	-ldflags "$ldflags" -o "$tmp" github.com/dapr/dapr/cmd/daprd) 9>&- 2>&1 | tee "$CACHE/build.log" >&2; then
	log "build failed: see $CACHE/build.log"
	exit 1
fi
# Check what was built before it replaces anything.
usable "$tmp" || { log "the built daprd does not report version $VERSION: see $CACHE/build.log"; exit 1; }
mv -f "$tmp" "$BIN"
log "built daprd $VERSION in $((SECONDS - start))s"
printf '%s\n' "$BIN"

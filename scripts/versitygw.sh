#!/usr/bin/env bash
# versitygw.sh: print the path of a versitygw 1.8.0 (an S3 gateway in Go,
# github.com/versity/versitygw, here over its posix backend: a bucket is a
# directory), building it once if need be. infra.sh's s3 server runs it.
#
# It is taken from $DFLIX_VERSITYGW when that is an executable versitygw
# 1.8.0, else from the cached build at
# ${XDG_CACHE_HOME:-$HOME/.cache}/dflix/versitygw-1.8.0/versitygw, built here
# from the Go module proxy when missing: `go install module@version` builds
# it with the module's own go.mod and go.sum (no replace directives in
# v1.8.0), checked against the checksum database, so nothing is downloaded
# but Go modules. About two minutes the first time, then instant.
# Concurrent callers wait for one build (flock). Build output goes to stderr
# and to a log beside the binary; stdout carries only the path.
set -euo pipefail

VERSION=1.8.0
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/dflix/versitygw-$VERSION
BIN=$CACHE/versitygw

log() { printf 'versitygw.sh: %s\n' "$*" >&2; }

# usable PATH: an executable versitygw whose --version names $VERSION.
usable() {
	[[ -n $1 && -x $1 ]] || return 1
	local v
	v=$("$1" --version 2>/dev/null) || return 1
	[[ $v =~ Version\ *:\ *v?$VERSION($|[^0-9.]) ]]
}

candidate() {
	if usable "$1"; then
		printf '%s\n' "$1"
		exit 0
	fi
}

if [[ -n ${DFLIX_VERSITYGW:-} ]]; then
	candidate "$DFLIX_VERSITYGW"
	log "ignoring DFLIX_VERSITYGW=$DFLIX_VERSITYGW: not an executable versitygw $VERSION"
fi
candidate "$BIN"

mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
flock 9
# Another caller may have finished the build while we waited for the lock.
candidate "$BIN"

command -v go >/dev/null 2>&1 || { log "no go toolchain to build versitygw $VERSION with"; exit 1; }
log "building versitygw $VERSION into $BIN (the first build takes a few minutes)"
start=$SECONDS
# The version flags make `versitygw --version` say $VERSION (main's Version
# is "none" otherwise).
ldflags="-s -w -X main.Version=v$VERSION"
tmp=$CACHE/tmp.$$
trap 'rm -rf "$tmp"' EXIT
if ! (GOWORK=off GOFLAGS='' GOBIN=$tmp go install -trimpath -ldflags "$ldflags" \
	"github.com/versity/versitygw/cmd/versitygw@v$VERSION") 9>&- 2>&1 | tee "$CACHE/build.log" >&2; then
	log "build failed: see $CACHE/build.log"
	exit 1
fi
# Check what was built before it replaces anything.
usable "$tmp/versitygw" || { log "the built versitygw does not report version $VERSION: see $CACHE/build.log"; exit 1; }
mv -f "$tmp/versitygw" "$BIN"
log "built versitygw $VERSION in $((SECONDS - start))s"
printf '%s\n' "$BIN"

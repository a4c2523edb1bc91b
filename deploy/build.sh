#!/bin/sh
# Builds the wabulk binary the one way the image (deploy/Dockerfile), CI and
# `make build` do: static (CGO_ENABLED=0), reproducible paths (-trimpath),
# the version stamped into main.version.
#
#   deploy/build.sh [OUTPUT]        OUTPUT defaults to bin/wabulk
#
# VERSION sets the version; without it, `git describe` names the checkout
# (or "dev" outside a git tree, as in the image's build stage, which gets
# VERSION from its build argument). GOOS and GOARCH cross-compile as usual.
set -eu
cd "$(dirname "$0")/.."
out=${1:-bin/wabulk}
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
CGO_ENABLED=0 exec go build -trimpath -buildvcs=auto \
	-ldflags "-s -w -X main.version=${version}" \
	-o "$out" ./cmd/wabulk

# syntax=docker/dockerfile:1
#
# The one dflix binary in two images, built from the repository root:
#
#   docker build --target service -t dflix:dev .          # bff, auth, catalog, subscription
#   docker build --target encoder -t dflix-encoder:dev .  # encoder (ffmpeg inside)
#
# --target=<app> at run time picks what the binary runs (deploy/kubernetes).
# Base images are pinned by tag (the Go one to go.mod's go line, the Debian ones
# to the Debian release the tests run on, 12); pin digests in your registry
# mirror. deploy/kubernetes/dockerfile_test.go checks this file's shape, since
# no Docker engine runs where the tests do.

# The web app (web/dist), rebuilt from its sources and lock file rather than
# trusting the committed build: Vite needs Node ^20.19 or >=22.12.
FROM node:20.20.2-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# The binary: static (no cgo), so it runs on distroless static.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-mod=readonly
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/web/dist ./web/dist
RUN go build -trimpath -ldflags="-s -w" -o /out/dflix ./cmd/dflix

# bff, auth, catalog and subscription: nothing but the binary, as nonroot
# (uid 65532, which the Deployments' securityContext expects).
FROM gcr.io/distroless/static-debian12:nonroot AS service
COPY --from=build /out/dflix /usr/local/bin/dflix
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/dflix"]

# encoder: the binary beside ffmpeg and ffprobe from Debian (the encoder's
# filters and the tests are written against Debian 12's ffmpeg 5.1).
FROM debian:12.11-slim AS encoder
RUN apt-get update \
	&& apt-get install -y --no-install-recommends ffmpeg \
	&& rm -rf /var/lib/apt/lists/* \
	&& groupadd --gid 65532 nonroot \
	&& useradd --uid 65532 --gid 65532 --no-create-home --shell /usr/sbin/nologin nonroot
COPY --from=build /out/dflix /usr/local/bin/dflix
USER 65532:65532
EXPOSE 8084
ENTRYPOINT ["/usr/local/bin/dflix"]

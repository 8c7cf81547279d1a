package cache_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/cache"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
)

// realCatalog is the catalog service on embedded state and bus, with one
// published video, served in process and over loopback HTTP (the shape of a
// Dapr hop without the sidecars).
type realCatalog struct {
	svc   *catalog.Service
	http  catalog.API
	video string
}

func newRealCatalog(tb testing.TB) realCatalog {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	bus, err := embedded.OpenBus(filepath.Join(dir, "bus.db"), embedded.BusOptions{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(tb, err)
	state, err := embedded.OpenState(filepath.Join(dir, "catalog.db"))
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = state.Close() })
	svc, err := catalog.New(ctx, catalog.Config{IndexDir: dir}, state, bus, nil, nil)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = svc.Close() })
	tb.Cleanup(func() { _ = bus.Close() })

	admin := platform.Caller{UserID: "admin", Role: platform.RoleAdmin}
	created, err := svc.CreateVideo(ctx, catalog.CreateVideoRequest{Caller: admin, Input: catalog.VideoInput{
		Title: "Benchmark", Description: "A video to read again and again.", ReleaseYear: 2020,
		DurationSeconds: 5400, AgeRating: catalog.RatingPG, Tags: []string{"bench"},
	}})
	require.NoError(tb, err)
	_, err = svc.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: admin, ID: created.Video.ID, Published: true})
	require.NoError(tb, err)

	srv := httptest.NewServer(catalog.NewHandler(svc))
	tb.Cleanup(srv.Close)
	return realCatalog{svc: svc, http: catalog.NewClient(httpInvoker{url: srv.URL, client: srv.Client()}), video: created.Video.ID}
}

// httpInvoker is a platform.Invoker over plain HTTP to one app.
type httpInvoker struct {
	url    string
	client *http.Client
}

func (h httpInvoker) Invoke(ctx context.Context, _, method string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url+"/"+method, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, platform.E(platform.KindUnavailable, "catalog unreachable", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, platform.E(platform.KindUnavailable, "catalog unreachable", err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, platform.DecodeError(resp.StatusCode, out)
	}
	return out, nil
}

// benchGetVideo reads the video id through api as a viewer.
func benchGetVideo(b *testing.B, api catalog.API, id string) {
	b.Helper()
	ctx := context.Background()
	req := catalog.GetVideoRequest{Caller: viewer, ID: id}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := api.GetVideo(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUncachedGetVideo reads a published video from the catalog in
// process and over HTTP.
func BenchmarkUncachedGetVideo(b *testing.B) {
	rc := newRealCatalog(b)
	b.Run("in-process", func(b *testing.B) { benchGetVideo(b, rc.svc, rc.video) })
	b.Run("http", func(b *testing.B) { benchGetVideo(b, rc.http, rc.video) })
}

// BenchmarkCachedGetVideo reads the same video through the cache: after the
// first read every read is a hit, wherever the catalog is.
func BenchmarkCachedGetVideo(b *testing.B) {
	rc := newRealCatalog(b)
	b.Run("in-process", func(b *testing.B) {
		benchGetVideo(b, cache.NewCatalog(rc.svc, time.Minute, nil), rc.video)
	})
	b.Run("http", func(b *testing.B) {
		benchGetVideo(b, cache.NewCatalog(rc.http, time.Minute, nil), rc.video)
	})
}

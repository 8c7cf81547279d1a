package upload_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/upload"
	"github.com/dflix/dflix/services/platform"
)

func TestCreateValidates(t *testing.T) {
	f := newFixture(t, upload.Config{MaxSize: 1000})
	ok := upload.CreateRequest{VideoID: "video-1", Filename: "movie.mp4", Size: 10}
	tests := []struct {
		name    string
		edit    func(*upload.CreateRequest)
		message string
	}{
		{"no video", func(r *upload.CreateRequest) { r.VideoID = " " }, "videoId is required"},
		{"control in video", func(r *upload.CreateRequest) { r.VideoID = "a\x00b" }, "videoId is malformed"},
		{"empty file", func(r *upload.CreateRequest) { r.Size = 0 }, "size must be at least 1 byte"},
		{"negative size", func(r *upload.CreateRequest) { r.Size = -1 }, "size must be at least 1 byte"},
		{"too large", func(r *upload.CreateRequest) { r.Size = 1001 }, "the limit is 1000 bytes"},
		{"no filename", func(r *upload.CreateRequest) { r.Filename = "" }, "filename is required"},
		{"long filename", func(r *upload.CreateRequest) { r.Filename = strings.Repeat("a", 256) }, "longer than 255 bytes"},
		{"slash", func(r *upload.CreateRequest) { r.Filename = "dir/movie.mp4" }, "must not contain a path"},
		{"backslash", func(r *upload.CreateRequest) { r.Filename = `dir\movie.mp4` }, "must not contain a path"},
		{"dot dot", func(r *upload.CreateRequest) { r.Filename = ".." }, "must not contain a path"},
		{"control", func(r *upload.CreateRequest) { r.Filename = "movie\n.mp4" }, "control characters"},
		{"invalid utf-8", func(r *upload.CreateRequest) { r.Filename = "movie\xff.mp4" }, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := ok
			tt.edit(&req)
			_, err := f.srv.Create(context.Background(), req)
			require.Error(t, err)
			assert.Equal(t, platform.KindInvalid, platform.KindOf(err))
			assert.Contains(t, platform.PublicMessage(err), tt.message)
		})
	}
}

func TestCreateDefaultLimitIsNamed(t *testing.T) {
	f := newFixture(t, upload.Config{})
	_, err := f.srv.Create(context.Background(), upload.CreateRequest{VideoID: "v", Filename: "a.mp4", Size: upload.DefaultMaxSize + 1})
	require.Error(t, err)
	assert.Contains(t, platform.PublicMessage(err), "(10 GiB)")
}

func TestCreateStoresAnUnguessableUpload(t *testing.T) {
	f := newFixture(t, upload.Config{PublicURL: "https://api.example.com/"})
	ctx := context.Background()
	seen := map[string]bool{}
	for range 20 {
		resp, err := f.srv.Create(ctx, upload.CreateRequest{VideoID: "video-1", Filename: "Mé movie.mp4", Size: 42, CreatedBy: "admin-1"})
		require.NoError(t, err)
		assert.Regexp(t, `^[0-9a-f]{32}$`, resp.ID)
		assert.False(t, seen[resp.ID])
		seen[resp.ID] = true
		assert.Equal(t, "https://api.example.com/uploads/"+resp.ID, resp.URL)
		assert.Equal(t, f.clock.Now().Add(upload.DefaultExpiry), resp.ExpiresAt)

		u, err := f.srv.Get(ctx, resp.ID)
		require.NoError(t, err)
		assert.Equal(t, upload.Upload{
			ID: resp.ID, VideoID: "video-1", Filename: "Mé movie.mp4", Length: 42, CreatedBy: "admin-1",
			CreatedAt: f.clock.Now(), ExpiresAt: f.clock.Now().Add(24 * time.Hour),
		}, u)
	}
}

func TestGetUnknown(t *testing.T) {
	f := newFixture(t, upload.Config{})
	for _, id := range []string{"0123456789abcdef0123456789abcdef", "not-an-id", "../../etc"} {
		_, err := f.srv.Get(context.Background(), id)
		assert.Equal(t, platform.KindNotFound, platform.KindOf(err), id)
	}
}

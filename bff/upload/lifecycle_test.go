package upload_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/upload"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
)

func TestExpiredUploadIsGoneThenSwept(t *testing.T) {
	f := newFixture(t, upload.Config{PartSize: testPart, Expiry: time.Hour})
	data := platformtest.RandomBytes(2_000, 9)
	up := f.create(int64(len(data)))
	keep := f.create(10)

	// A PATCH moves the expiry ahead.
	f.clock.Advance(50 * time.Minute)
	code, _ := status(t, f.patch(f.srv, up.URL, 0, bytes.NewReader(data[:1_500]), 1_500))
	require.Equal(t, http.StatusNoContent, code)
	f.clock.Advance(50 * time.Minute)
	assert.EqualValues(t, 1_500, f.headOffset(up.URL), "still alive 100 minutes after creation")

	f.clock.Advance(10 * time.Minute)
	assert.Equal(t, http.StatusGone, serve(f.srv, http.MethodHead, up.URL, tus(), nil).StatusCode)
	assert.Equal(t, http.StatusGone, f.patch(f.srv, up.URL, 1_500, bytes.NewReader(data[1_500:]), 500).StatusCode)
	_, err := f.srv.Write(t.Context(), up.ID, 1_500, bytes.NewReader(data[1_500:]))
	assert.Equal(t, platform.KindNotFound, platform.KindOf(err))

	res, err := f.srv.Sweep(t.Context())
	require.NoError(t, err)
	assert.Equal(t, upload.SweepResult{Removed: 2}, res, "the untouched upload expired too")
	assert.Empty(t, f.keys("uploads/"))
	for _, u := range []upload.CreateResponse{up, keep} {
		assert.Equal(t, http.StatusNotFound, serve(f.srv, http.MethodHead, u.URL, tus(), nil).StatusCode)
	}
	res, err = f.srv.Sweep(t.Context())
	require.NoError(t, err)
	assert.Zero(t, res)
}

func TestCompletedRecordIsSweptAndSourceKept(t *testing.T) {
	f := newFixture(t, upload.Config{Expiry: time.Hour})
	up := f.create(3)
	code, _ := status(t, f.patch(f.srv, up.URL, 0, strings.NewReader("abc"), 3))
	require.Equal(t, http.StatusNoContent, code)

	f.clock.Advance(59 * time.Minute)
	res, err := f.srv.Sweep(t.Context())
	require.NoError(t, err)
	assert.Zero(t, res)
	f.clock.Advance(2 * time.Minute)
	assert.EqualValues(t, 3, f.headOffset(up.URL), "a completed upload is never gone")

	res, err = f.srv.Sweep(t.Context())
	require.NoError(t, err)
	assert.Equal(t, upload.SweepResult{Removed: 1}, res)
	assert.Equal(t, http.StatusNotFound, serve(f.srv, http.MethodHead, up.URL, tus(), nil).StatusCode)
	assert.Equal(t, []byte("abc"), f.readBlob(upload.SourceKey(sha([]byte("abc")))))
}

func TestTerminate(t *testing.T) {
	f := newFixture(t, upload.Config{PartSize: testPart})
	data := platformtest.RandomBytes(3_000, 4)
	up := f.create(int64(len(data)))
	code, _ := status(t, f.patch(f.srv, up.URL, 0, bytes.NewReader(data[:2_000]), 2_000))
	require.Equal(t, http.StatusNoContent, code)
	require.Len(t, f.keys("uploads/"), 2)

	tests := []struct {
		name   string
		method string
		header http.Header
		status int
	}{
		{"delete", http.MethodDelete, tus(), http.StatusNoContent},
		{"head after", http.MethodHead, tus(), http.StatusNotFound},
		{"delete again", http.MethodDelete, tus(), http.StatusNotFound},
		{"delete by override", http.MethodPost, tus("X-HTTP-Method-Override", "DELETE"), http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.status, serve(f.srv, tt.method, up.URL, tt.header, nil).StatusCode)
		})
	}
	assert.Empty(t, f.keys("uploads/"))
	res, err := f.srv.Sweep(t.Context())
	require.NoError(t, err)
	assert.Zero(t, res, "nothing left to sweep")

	t.Run("a completed upload keeps its source", func(t *testing.T) {
		up := f.create(3)
		code, _ := status(t, f.patch(f.srv, up.URL, 0, strings.NewReader("xyz"), 3))
		require.Equal(t, http.StatusNoContent, code)
		require.NoError(t, f.srv.Terminate(t.Context(), up.ID))
		assert.Equal(t, []byte("xyz"), f.readBlob(upload.SourceKey(sha([]byte("xyz")))))
	})
}

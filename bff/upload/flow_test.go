package upload_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/upload"
	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform/platformtest"
)

const testPart = 1000

func TestUploadInChunks(t *testing.T) {
	tests := []struct {
		name   string
		chunks []int // body sizes of the PATCHes, adding up to the length
	}{
		{"one body of many parts", []int{10_500}},
		{"bodies smaller than a part", []int{300, 300, 400, 9_500}},
		{"bodies on part boundaries", []int{1000, 2000, 7500}},
		{"odd bodies", []int{1, 999, 1001, 3333, 5166}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, upload.Config{PartSize: testPart})
			data := platformtest.RandomBytes(10_500, uint64(i))
			up := f.create(int64(len(data)))
			off := 0
			for _, n := range tt.chunks {
				resp := f.patch(f.srv, up.URL, int64(off), bytes.NewReader(data[off:off+n]), int64(n))
				code, body := status(t, resp)
				require.Equal(t, http.StatusNoContent, code, body)
				off += n
				if off < len(data) {
					u, err := f.srv.Get(t.Context(), up.ID)
					require.NoError(t, err)
					assert.EqualValues(t, off, u.Offset)
					for _, p := range u.Parts {
						assert.LessOrEqual(t, p.Size, int64(testPart))
						assert.Regexp(t, `^uploads/`+up.ID+`/part-\d{15}-[0-9a-f]{12}$`, p.Key)
					}
				}
			}
			assertCompleted(t, f, up, data, "video-1")
		})
	}
}

// assertCompleted checks a finished upload: record, source, parts gone,
// one event per completed upload.
func assertCompleted(t *testing.T, f *fixture, up upload.CreateResponse, data []byte, videoID string) {
	t.Helper()
	u, err := f.srv.Get(t.Context(), up.ID)
	require.NoError(t, err)
	assert.True(t, u.Completed)
	assert.Equal(t, sha(data), u.MediaID)
	assert.EqualValues(t, len(data), u.Offset)
	assert.Empty(t, u.Parts)
	assert.Empty(t, u.HashState)
	assert.Equal(t, data, f.readBlob(upload.SourceKey(u.MediaID)))
	assert.Empty(t, f.keys("uploads/"+up.ID+"/"), "parts are deleted")
	assert.Contains(t, f.pub.completed(t), encoder.UploadCompleted{
		VideoID: videoID, MediaID: sha(data), SourceKey: "media/" + sha(data) + "/source",
		Size: int64(len(data)), Filename: "movie.mp4",
	})
	assert.Equal(t, int64(len(data)), f.headOffset(up.URL))
}

// breakingReader yields n bytes of data and then fails, like a connection
// that drops.
type breakingReader struct {
	r io.Reader
}

func breakAfter(data []byte, n int) io.Reader {
	return io.MultiReader(bytes.NewReader(data[:n]), &breakingReader{})
}

func (b *breakingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

func TestResumeAfterBrokenConnection(t *testing.T) {
	f := newFixture(t, upload.Config{PartSize: testPart})
	data := platformtest.RandomBytes(5_000, 7)
	up := f.create(int64(len(data)))

	// The connection drops in the middle of the third part.
	code, body := status(t, f.patch(f.srv, up.URL, 0, breakAfter(data, 2_500), int64(len(data))))
	require.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "HEAD the upload to resume")
	require.EqualValues(t, 2_000, f.headOffset(up.URL), "the broken part is dropped")
	assert.Len(t, f.keys("uploads/"+up.ID+"/"), 2)

	// The client resumes there, on another replica, and breaks again
	// right on a part boundary.
	other := f.replica()
	code, _ = status(t, f.patch(other, up.URL, 2_000, breakAfter(data[2_000:], 1_000), 3_000))
	require.Equal(t, http.StatusBadRequest, code)
	require.EqualValues(t, 3_000, f.headOffset(up.URL))

	code, body = status(t, f.patch(other, up.URL, 3_000, bytes.NewReader(data[3_000:]), 2_000))
	require.Equal(t, http.StatusNoContent, code, body)
	assertCompleted(t, f, up, data, "video-1")
	assert.Len(t, f.pub.completed(t), 1)
}

func TestSameFileTwiceIsStoredOnce(t *testing.T) {
	f := newFixture(t, upload.Config{PartSize: testPart})
	data := platformtest.RandomBytes(3_500, 3)
	first := f.create(int64(len(data)))
	second, err := f.srv.Create(t.Context(), upload.CreateRequest{VideoID: "video-2", Filename: "movie.mp4", Size: int64(len(data))})
	require.NoError(t, err)

	for _, up := range []upload.CreateResponse{first, second} {
		code, body := status(t, f.patch(f.srv, up.URL, 0, bytes.NewReader(data), int64(len(data))))
		require.Equal(t, http.StatusNoContent, code, body)
	}
	assertCompleted(t, f, first, data, "video-1")
	assertCompleted(t, f, second, data, "video-2")
	assert.Equal(t, []string{upload.SourceKey(sha(data))}, f.keys("media/"))
	assert.Empty(t, f.keys("uploads/"))
	assert.Len(t, f.pub.completed(t), 2, "each video hears of its media")
}

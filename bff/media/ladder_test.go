package media

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

const master = `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-STREAM-INF:BANDWIDTH=540000,RESOLUTION=426x240,CODECS="avc1.64000d,mp4a.40.2"
240p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=1500000,RESOLUTION=854x480,CODECS="avc1.64001e,mp4a.40.2"
480p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"
720p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=5500000,RESOLUTION=1920x1080,CODECS="avc1.640028,mp4a.40.2"
1080p/index.m3u8
`

func TestFilterMaster(t *testing.T) {
	cases := []struct {
		max  int
		want []string
	}{
		{480, []string{"240p/index.m3u8", "480p/index.m3u8"}},
		{720, []string{"240p/index.m3u8", "480p/index.m3u8", "720p/index.m3u8"}},
		{1080, []string{"240p/index.m3u8", "480p/index.m3u8", "720p/index.m3u8", "1080p/index.m3u8"}},
		{200, nil},
	}
	for _, tc := range cases {
		out := string(filterMaster([]byte(master), tc.max))
		for _, uri := range []string{"240p/index.m3u8", "480p/index.m3u8", "720p/index.m3u8", "1080p/index.m3u8"} {
			if slices.Contains(tc.want, uri) {
				assert.Contains(t, out, uri, "max %d", tc.max)
			} else {
				assert.NotContains(t, out, uri, "max %d", tc.max)
			}
		}
		assert.Contains(t, out, "#EXTM3U\n#EXT-X-VERSION:3\n")
	}
}

func TestFilterMasterWithoutResolution(t *testing.T) {
	in := "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=900000\n360p/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=3000000\n720p/index.m3u8\n"
	assert.Equal(t, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=900000\n360p/index.m3u8\n", string(filterMaster([]byte(in), 480)))
}

func TestCheckHeight(t *testing.T) {
	c := claims{MaxHeight: 720}
	assert.NoError(t, checkHeight(c, "720p/seg-00001.ts"))
	assert.NoError(t, checkHeight(c, "master.m3u8"))
	assert.NoError(t, checkHeight(c, "poster.jpg"))
	assert.Error(t, checkHeight(c, "1080p/index.m3u8"))
	assert.NoError(t, checkHeight(claims{}, "1080p/index.m3u8"), "no limit")
}

package media

import (
	"bufio"
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"github.com/dflix/dflix/services/platform"
)

// masterPlaylist is the name of the HLS master playlist under a media.
const masterPlaylist = "master.m3u8"

// resolutionHeight finds the height in a RESOLUTION=WxH attribute.
var resolutionHeight = regexp.MustCompile(`RESOLUTION=\d+x(\d+)`)

// renditionHeight reads the height of a rendition folder named like
// "720p"; ok is false for anything else.
func renditionHeight(dir string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSuffix(dir, "p"))
	return n, err == nil && strings.HasSuffix(dir, "p")
}

// checkHeight refuses a path inside a rendition folder above the token's
// MaxHeight (a plan limit is not a suggestion to the player).
//
// Errors: KindForbidden.
func checkHeight(c claims, rel string) error {
	dir, _, nested := strings.Cut(rel, "/")
	if c.MaxHeight <= 0 || !nested {
		return nil
	}
	if h, ok := renditionHeight(dir); ok && h > c.MaxHeight {
		return platform.Errorf(platform.KindForbidden, "the %s rendition is above what this link allows (%dp)", dir, c.MaxHeight)
	}
	return nil
}

// filterMaster drops from a master playlist the variants taller than
// maxHeight: each #EXT-X-STREAM-INF line and the URI line after it. The
// height is the RESOLUTION attribute's, or else the rendition folder's
// name in the URI ("720p/index.m3u8").
func filterMaster(data []byte, maxHeight int) []byte {
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	pending := "" // a stream line waiting for its URI
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#EXT-X-STREAM-INF:"):
			pending = line
			continue
		case pending != "" && line != "" && !strings.HasPrefix(line, "#"):
			if variantHeight(pending, line) <= maxHeight {
				out.WriteString(pending + "\n" + line + "\n")
			}
			pending = ""
			continue
		}
		out.WriteString(line + "\n")
	}
	return out.Bytes()
}

// variantHeight is the height of the variant a stream line and its URI
// describe (0 when neither says).
func variantHeight(stream, uri string) int {
	if m := resolutionHeight.FindStringSubmatch(stream); m != nil {
		h, _ := strconv.Atoi(m[1])
		return h
	}
	dir, _, _ := strings.Cut(uri, "/")
	h, _ := renditionHeight(dir)
	return h
}

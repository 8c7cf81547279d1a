package encoder_test

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// fixtures are the sources the tests encode, generated with ffmpeg's test
// sources on first use and shared by the tests of one run.
var fixtures = &fixtureSet{made: map[string]*made{}}

type fixtureSet struct {
	mu   sync.Mutex
	dir  string
	made map[string]*made
}

// made is one fixture, generated once.
type made struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "encoder-fixtures-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixtures.dir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// avClip returns the ffmpeg arguments of a test pattern of the given size
// and length, with a tone when audio is set, encoded small and fast.
func avClip(size string, rate, secs int, audio bool) []string {
	args := []string{"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%s:rate=%d", size, rate)}
	if audio {
		args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100")
	}
	args = append(args, "-t", fmt.Sprint(secs), "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-pix_fmt", "yuv420p")
	if audio {
		args = append(args, "-c:a", "aac", "-b:a", "96k")
	}
	return args
}

// fixtureArgs are the generated sources, by name; the file extension
// follows the name's last dot-free part (mp4 unless said).
var fixtureArgs = map[string][]string{
	"1080p.mp4":       avClip("1920x1080", 30, 6, true),
	"480p.mp4":        avClip("854x480", 25, 5, true),
	"360p.mp4":        avClip("640x360", 25, 4, true),
	"360p-mute.mp4":   avClip("640x360", 25, 4, false),
	"tiny.mp4":        avClip("192x108", 25, 3, true),
	"long.mp4":        avClip("640x360", 25, 20, true),
	"bench-1080p.mp4": avClip("1920x1080", 30, benchSeconds, true),
	"audio-only.m4a":  {"-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:a", "aac"},
	"faststart.mp4":   nil, // 480p.mp4 with its index at the front; see derive
	"qc.mp4": {
		"-f", "lavfi", "-i", "color=black:size=640x360:rate=25:duration=3",
		"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=3",
		"-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo:duration=3",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=3",
		"-filter_complex", "[0:v][2:a][1:v][3:a]concat=n=2:v=1:a=1[v][a]", "-map", "[v]", "-map", "[a]",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
	},
}

// fixture returns the path of the named source, generating it on first
// use. Besides fixtureArgs there are "text.mp4" (a text file),
// "playlist.mp4" (an HLS playlist pointing at a local file), "noise.mp4"
// (bytes that are no media), "truncated.mp4" and "truncated-faststart.mp4"
// (480p.mp4 with and without its index at the front, cut in half).
func fixture(t testing.TB, name string) string {
	t.Helper()
	requireFFmpeg(t)
	fixtures.mu.Lock()
	m := fixtures.made[name]
	if m == nil {
		m = &made{path: filepath.Join(fixtures.dir, name)}
		fixtures.made[name] = m
	}
	fixtures.mu.Unlock()
	m.once.Do(func() {
		if args := fixtureArgs[name]; args != nil {
			m.err = ffmpeg(append(append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...), m.path)...)
			return
		}
		m.err = derive(t, name, m.path)
	})
	require.NoError(t, m.err, "make fixture %s", name)
	return m.path
}

// derive makes the fixtures that are not generated from scratch.
func derive(t testing.TB, name, out string) error {
	half := func(src string) error {
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		return os.WriteFile(out, data[:len(data)/2], 0o644)
	}
	switch name {
	case "text.mp4":
		return os.WriteFile(out, []byte(strings.Repeat("this is not a video, only text\n", 40)), 0o644)
	case "playlist.mp4":
		return os.WriteFile(out, []byte("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/hostname\n#EXT-X-ENDLIST\n"), 0o644)
	case "noise.mp4":
		var data []byte
		for sum := sha256.Sum256([]byte("noise")); len(data) < 64<<10; sum = sha256.Sum256(sum[:]) {
			data = append(data, sum[:]...)
		}
		return os.WriteFile(out, data, 0o644)
	case "faststart.mp4":
		return ffmpeg("-hide_banner", "-loglevel", "error", "-y", "-i", fixture(t, "480p.mp4"), "-c", "copy", "-movflags", "+faststart", out)
	case "truncated.mp4":
		return half(fixture(t, "480p.mp4"))
	case "truncated-faststart.mp4":
		return half(fixture(t, "faststart.mp4"))
	}
	return fmt.Errorf("no fixture %q", name)
}

// ffmpeg runs ffmpeg with args.
func ffmpeg(args ...string) error {
	out, err := exec.Command("ffmpeg", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ffmpeg %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

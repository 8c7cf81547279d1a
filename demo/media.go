package demo

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
)

// Clip is a demo video made from one of ffmpeg's test sources.
type Clip struct {
	Title   string // the demo title it becomes the media of
	Source  string // an ffmpeg lavfi video source
	Seconds int
}

// Clips are the demo media: short, in three sizes, so that their ladders
// differ (480p gets three rungs, 1080p five).
var Clips = []Clip{
	{Title: videos[0].Title, Source: "testsrc2=size=1280x720:rate=30", Seconds: 12},
	{Title: videos[1].Title, Source: "smptehdbars=size=1920x1080:rate=30", Seconds: 8},
	{Title: videos[2].Title, Source: "mandelbrot=size=854x480:rate=25", Seconds: 10},
}

// MediaConfig says where the demo media go and how they are made.
type MediaConfig struct {
	Client *Client // signed in as an admin
	FFmpeg string  // default "ffmpeg"
	Dir    string  // where generated clips are kept between runs
	Log    *slog.Logger
}

// UploadMedia gives every Clip's title media through the public path: a
// clip generated with ffmpeg (once; kept in Dir), createUpload, and tus.
// Titles that already have media, unless it FAILED, are left alone, so it
// is safe to run at every start. It returns how many it uploaded.
func UploadMedia(ctx context.Context, cfg MediaConfig) (int, error) {
	if cfg.FFmpeg == "" {
		cfg.FFmpeg = "ffmpeg"
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return 0, fmt.Errorf("demo: media dir: %w", err)
	}
	n := 0
	for _, clip := range Clips {
		id, status, err := mediaOf(ctx, cfg.Client, clip.Title)
		if err != nil {
			return n, err
		}
		if status != "" && status != "FAILED" {
			continue
		}
		path, err := generate(ctx, cfg, clip)
		if err != nil {
			return n, err
		}
		if err := upload(ctx, cfg.Client, id, path); err != nil {
			return n, err
		}
		n++
		if cfg.Log != nil {
			cfg.Log.Info("demo media uploaded", "title", clip.Title, "video", id)
		}
	}
	return n, nil
}

// mediaOf finds the demo title's video id and its media status ("" when it
// has no media).
func mediaOf(ctx context.Context, c *Client, title string) (string, string, error) {
	var out struct {
		VideosByName []struct {
			ID    string
			Media *struct{ Status string }
		} `json:"videosByName"`
	}
	err := c.Do(ctx, `query($t: String!) { videosByName(name: $t, exact: true) { id media { status } } }`, map[string]any{"t": title}, &out)
	if err != nil {
		return "", "", fmt.Errorf("demo: find %q: %w", title, err)
	}
	if len(out.VideosByName) == 0 {
		return "", "", fmt.Errorf("demo: no video titled %q (seed the catalog first)", title)
	}
	v := out.VideosByName[0]
	if v.Media == nil {
		return v.ID, "", nil
	}
	return v.ID, v.Media.Status, nil
}

// generate makes the clip's MP4 (H.264 and AAC, a tone under the picture)
// unless an earlier run left it in the directory.
func generate(ctx context.Context, cfg MediaConfig, clip Clip) (string, error) {
	path := filepath.Join(cfg.Dir, slug(clip.Title)+".mp4")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	tmp := path + ".part.mp4"
	secs := fmt.Sprint(clip.Seconds)
	cmd := exec.CommandContext(ctx, cfg.FFmpeg, "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", clip.Source, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", secs, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
		"-movflags", "+faststart", tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("demo: generate %q: %w: %s", clip.Title, err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("demo: generate %q: %w", clip.Title, err)
	}
	return path, nil
}

// upload sends the file at path as the video's media.
func upload(ctx context.Context, c *Client, videoID, path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("demo: upload: %w", err)
	}
	url, err := c.CreateUpload(ctx, videoID, filepath.Base(path), st.Size())
	if err != nil {
		return err
	}
	return c.UploadFile(ctx, url, path, 4<<20)
}

// slug makes a title a file name.
func slug(title string) string {
	out := make([]rune, 0, len(title))
	for _, r := range title {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			out = append(out, r)
		case r >= 'A' && r <= 'Z':
			out = append(out, r+'a'-'A')
		default:
			if len(out) > 0 && out[len(out)-1] != '-' {
				out = append(out, '-')
			}
		}
	}
	return string(out)
}

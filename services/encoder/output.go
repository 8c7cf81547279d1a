package encoder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// mediaPrefix is where everything of one media lives in the Blob store.
func mediaPrefix(mediaID string) string { return "media/" + mediaID + "/" }

// fetch copies the source blob at key to file, streaming.
//
// Errors: a *mediaError when the source is missing; the store's or the
// file system's error otherwise.
func (s *Service) fetch(ctx context.Context, key, file string) error {
	r, err := s.blobs.Open(ctx, key)
	if platform.Is(err, platform.KindNotFound) {
		return mediaErrorf("source missing: no blob at %s", key)
	}
	if err != nil {
		return fmt.Errorf("encoder: open source %s: %w", key, err)
	}
	defer r.Close()
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("encoder: fetch source: %w", err)
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("encoder: fetch source %s: %w", key, err)
	}
	return nil
}

// remux writes each rendition's HLS as one MP4 for download: a copy of the
// same streams (no re-encode), with the index at the front.
//
// Errors: a *mediaError when ffmpeg cannot read its own output; the
// context's error when ctx ends.
func (s *Service) remux(ctx context.Context, p plan) (time.Duration, error) {
	if err := os.MkdirAll(p.path("mp4"), 0o755); err != nil {
		return 0, fmt.Errorf("encoder: remux: %w", err)
	}
	var cpu time.Duration
	for _, r := range p.renditions {
		res, err := toolRun{name: s.cfg.FFmpeg, args: []string{
			"-hide_banner", "-nostdin", "-y", "-loglevel", "level+error", "-i", p.path(playlistFile(r.Name)),
			"-map", "0", "-c", "copy", "-movflags", "+faststart", p.path(mp4File(r.Name)),
		}}.exec(ctx)
		cpu += res.CPU
		if err != nil {
			var te *toolError
			if errors.As(err, &te) && te.ExitCode > 0 {
				return cpu, mediaErrorf("ffmpeg failed: remux %s: %s", r.Name, toolMessage(te.Tail, p.out))
			}
			return cpu, fmt.Errorf("encoder: remux %s: %w", r.Name, err)
		}
	}
	return cpu, nil
}

// upload replaces the media's output in the Blob store with the plan's
// files: whatever an earlier, interrupted run left under hls/ and mp4/ is
// deleted first, and the master playlist goes last, so a player never
// finds a master whose renditions are incomplete. It fills the keys and
// download sizes of res.
//
// Errors: the store's kind.
func (s *Service) upload(ctx context.Context, mediaID string, p plan, res *Result) error {
	prefix := mediaPrefix(mediaID)
	if err := s.clearOutput(ctx, prefix); err != nil {
		return err
	}
	files, err := outputFiles(p.out)
	if err != nil {
		return err
	}
	for _, rel := range append(files, masterFile) {
		if err := s.put(ctx, prefix+rel, p.path(rel)); err != nil {
			return err
		}
	}
	res.MasterKey, res.PosterKey, res.ThumbnailsKey = prefix+masterFile, prefix+posterFile, prefix+thumbsFile
	for i := range res.Renditions {
		r := &res.Renditions[i]
		r.PlaylistKey, r.DownloadKey = prefix+playlistFile(r.Name), prefix+mp4File(r.Name)
		if fi, err := os.Stat(p.path(mp4File(r.Name))); err == nil {
			r.DownloadSize = fi.Size()
		}
	}
	return nil
}

// clearOutput deletes the blobs under the media's hls/ and mp4/.
func (s *Service) clearOutput(ctx context.Context, prefix string) error {
	for _, dir := range []string{"hls/", "mp4/"} {
		infos, err := s.blobs.List(ctx, prefix+dir)
		if err != nil {
			return fmt.Errorf("encoder: list old output: %w", err)
		}
		for _, info := range infos {
			if err := s.blobs.Delete(ctx, info.Key); err != nil {
				return fmt.Errorf("encoder: delete old output: %w", err)
			}
		}
	}
	return nil
}

// outputFiles lists the files under out, slash-separated and relative to
// it, in lexical order, without the master playlist.
func outputFiles(out string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(out, p)
		if err == nil && filepath.ToSlash(rel) != masterFile {
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("encoder: list output: %w", err)
	}
	return files, nil
}

// put uploads one file, streaming.
func (s *Service) put(ctx context.Context, key, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("encoder: upload %s: %w", key, err)
	}
	defer f.Close()
	if _, err := s.blobs.Put(ctx, key, f); err != nil {
		return fmt.Errorf("encoder: upload %s: %w", key, err)
	}
	return nil
}

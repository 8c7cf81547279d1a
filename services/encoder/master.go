package encoder

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"time"
)

// review checks what the ladder run wrote and completes it: the top
// rendition must last as long as the source (see checkLength), the poster
// and the strip must exist, and the master playlist is rewritten from the
// renditions with BANDWIDTH, RESOLUTION and CODECS on every variant, taking
// ffmpeg's values where it wrote them.
//
// Errors: a *mediaError for a truncated source or missing output; a file
// that cannot be read or written, or ffprobe failing to run, otherwise.
func (s *Service) review(ctx context.Context, p plan, st encodeStats) (Result, error) {
	top := p.renditions[len(p.renditions)-1]
	segs, err := readMedia(p.path(playlistFile(top.Name)))
	if err != nil {
		return Result{}, err
	}
	drift, err := checkLength(p.info.Duration, total(segs), st.errors, p.src)
	if err != nil {
		return Result{}, err
	}
	for _, f := range []string{posterFile, thumbsFile} {
		if _, err := os.Stat(p.path(f)); err != nil {
			return Result{}, mediaErrorf("ffmpeg failed: no picture decoded for %s", path.Base(f))
		}
	}
	rends, cpu, err := s.writeMaster(ctx, p)
	if err != nil {
		return Result{}, err
	}
	return Result{
		DurationSeconds: round3(p.info.Duration), Width: p.info.Width, Height: p.info.Height, HasAudio: p.info.HasAudio,
		Thumbnails: p.thumbs, Renditions: rends, Findings: append(st.findings, drift...),
		CPUSeconds: (st.cpu + cpu).Seconds(),
	}, nil
}

// readMedia reads and parses a media playlist.
//
// Errors: a *mediaError when ffmpeg wrote no playlist or an empty one.
func readMedia(file string) ([]segment, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, mediaErrorf("ffmpeg failed: no playlist %s", path.Base(path.Dir(file)))
	}
	segs := parseMedia(string(data))
	if len(segs) == 0 {
		return nil, mediaErrorf("truncated or corrupt: no segment could be encoded")
	}
	return segs, nil
}

// writeMaster writes the master playlist of the plan's renditions and
// returns them as the Result describes them (keys still empty).
func (s *Service) writeMaster(ctx context.Context, p plan) ([]Rendition, time.Duration, error) {
	data, _ := os.ReadFile(p.path(masterFile)) // ffmpeg's, if any; every gap is filled
	found := parseMaster(string(data))
	var (
		vs    []variant
		rends []Rendition
		cpu   time.Duration
	)
	for _, r := range p.renditions {
		v, c, err := s.variantOf(ctx, p, r, found[r.Name+"/index.m3u8"])
		if err != nil {
			return nil, cpu, err
		}
		cpu += c
		vs = append(vs, v)
		rends = append(rends, Rendition{Name: r.Name, Width: r.Width, Height: r.Height, Bandwidth: v.Bandwidth, Codecs: v.Codecs})
	}
	if err := os.WriteFile(p.path(masterFile), []byte(renderMaster(vs)), 0o644); err != nil {
		return nil, cpu, fmt.Errorf("encoder: write master playlist: %w", err)
	}
	return rends, cpu, nil
}

// variantOf completes ffmpeg's variant v of rendition r: BANDWIDTH is at
// least the peak segment bitrate (the configured rates plus 10% when ffmpeg
// gave none), RESOLUTION the rendition's, and CODECS probed from its first
// segment when ffmpeg left them out.
func (s *Service) variantOf(ctx context.Context, p plan, r rendition, v variant) (variant, time.Duration, error) {
	dir := p.path("hls/" + r.Name)
	segs, err := readMedia(p.path(playlistFile(r.Name)))
	if err != nil {
		return variant{}, 0, err
	}
	sizes := make([]int64, len(segs))
	for i, sg := range segs {
		if fi, err := os.Stat(dir + "/" + sg.URI); err == nil {
			sizes[i] = fi.Size()
		}
	}
	v.URI = r.Name + "/index.m3u8"
	if v.Bandwidth <= 0 {
		audio := 0
		if p.info.HasAudio {
			audio = p.cfg.AudioBitrate
		}
		v.Bandwidth = (r.Bitrate + audio) * 11 / 10
	}
	v.Bandwidth = max(v.Bandwidth, peakBitrate(segs, sizes, float64(p.cfg.SegmentSeconds)))
	v.Resolution = fmt.Sprintf("%dx%d", r.Width, r.Height)
	var cpu time.Duration
	if v.Codecs == "" {
		v.Codecs, cpu, err = s.probeCodecs(ctx, dir+"/"+segs[0].URI)
	}
	return v, cpu, err
}

// probeCodecs returns the RFC 6381 codecs of the streams of one segment.
func (s *Service) probeCodecs(ctx context.Context, file string) (string, time.Duration, error) {
	var out bytes.Buffer
	res, err := toolRun{name: s.cfg.FFprobe, stdout: &out,
		args: []string{"-v", "error", "-print_format", "json", "-show_streams", "-i", file}}.exec(ctx)
	if err != nil {
		return "", res.CPU, fmt.Errorf("encoder: probe codecs: %w", err)
	}
	var streams struct {
		Streams []struct {
			CodecType string `json:"codec_type"`
			Profile   string `json:"profile"`
			Level     int    `json:"level"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out.Bytes(), &streams); err != nil {
		return "", res.CPU, fmt.Errorf("encoder: probe codecs: %w", err)
	}
	var vProfile, aProfile string
	level := 0
	for _, st := range streams.Streams {
		switch st.CodecType {
		case "video":
			vProfile, level = st.Profile, st.Level
		case "audio":
			aProfile = cmp.Or(st.Profile, "LC")
		}
	}
	return codecsOf(vProfile, level, aProfile), res.CPU, nil
}

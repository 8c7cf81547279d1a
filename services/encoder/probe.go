package encoder

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// sourceInfo is what the encoder needs to know of a source.
type sourceInfo struct {
	Duration float64 // seconds
	Width    int     // display size: sample aspect ratio and rotation applied
	Height   int
	HasAudio bool
}

// probeOutput is the part of ffprobe's JSON the encoder reads.
type probeOutput struct {
	Streams []probeStream `json:"streams"`
	Format  struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
}

type probeStream struct {
	CodecType   string `json:"codec_type"`
	CodecName   string `json:"codec_name"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	SAR         string `json:"sample_aspect_ratio"`
	Duration    string `json:"duration"`
	Disposition struct {
		AttachedPic int `json:"attached_pic"`
	} `json:"disposition"`
	SideData []struct {
		Rotation float64 `json:"rotation"`
	} `json:"side_data_list"`
}

// inputFormats are the demuxers a source may be read with: containers of
// media only. Playlists and manifests (hls, dash, concat) are refused, so a
// source cannot make ffmpeg read other files; inputArgs also keeps ffmpeg
// off the network.
const inputFormats = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,mpeg,flv,asf,ogg,mxf," +
	"h264,hevc,m4v,mp3,wav,aac,flac,dv,nut,yuv4mpegpipe"

// inputArgs open the source at path under the restrictions above.
func inputArgs(path string) []string {
	return []string{"-format_whitelist", inputFormats, "-protocol_whitelist", "file", "-i", path}
}

// probe describes the source at path with ffprobe.
//
// Errors: a *mediaError when the file is not a usable video (its reason
// names why); the tool's failure to run otherwise.
func (s *Service) probe(ctx context.Context, path string) (sourceInfo, toolResult, error) {
	var out bytes.Buffer
	res, err := toolRun{
		name:   s.cfg.FFprobe,
		args:   append([]string{"-v", "error", "-print_format", "json", "-show_format", "-show_streams"}, inputArgs(path)...),
		stdout: &out,
	}.exec(ctx)
	var te *toolError
	if errors.As(err, &te) && te.ExitCode > 0 {
		return sourceInfo{}, res, probeFailure(te.Tail, path)
	}
	if err != nil {
		return sourceInfo{}, res, fmt.Errorf("encoder: probe: %w", err)
	}
	var p probeOutput
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		return sourceInfo{}, res, mediaErrorf("not a video: ffprobe output unreadable (%v)", err)
	}
	info, err := p.info()
	return info, res, err
}

// truncationMarkers are messages of ffmpeg's demuxers and decoders that
// mean the file ends early or is damaged, lower-cased.
var truncationMarkers = []string{
	"moov atom not found", "partial file", "truncat", "end of file", "premature",
	"corrupt", "invalid nal unit size", "error splitting the input",
}

// refusedFormat matches ffmpeg's refusal of a demuxer not in inputFormats.
var refusedFormat = regexp.MustCompile(`^\[(\w+) @ 0x[0-9a-f]+\] .*Format not on whitelist`)

// probeFailure turns ffprobe's error lines into the job's reason.
func probeFailure(lines []string, path string) error {
	for _, l := range lines {
		if m := refusedFormat.FindStringSubmatch(l); m != nil {
			return mediaErrorf("not a video: %s is not an accepted container format", m[1])
		}
	}
	msg := toolMessage(lines, path)
	if msg == "" {
		msg = "ffprobe cannot read it"
	}
	if truncated(msg) {
		return mediaErrorf("truncated or corrupt: %s", msg)
	}
	return mediaErrorf("not a video: %s", msg)
}

// truncated reports whether msg carries a truncation marker.
func truncated(msg string) bool {
	lower := strings.ToLower(msg)
	return slices.ContainsFunc(truncationMarkers, func(m string) bool { return strings.Contains(lower, m) })
}

// logPrefix matches the "[demuxer @ 0x55...] " and "[error] " prefixes of
// ffmpeg's log lines.
var logPrefix = regexp.MustCompile(`^(\[[^\]]* @ 0x[0-9a-f]+\]\s*)*(\[(panic|fatal|error|warning|info|verbose|debug)\]\s*)?`)

// toolMessage joins a tool's log lines into one message without their
// prefixes or the scratch path, each distinct line once, at most 300
// bytes.
func toolMessage(lines []string, path string) string {
	var parts []string
	for _, l := range lines {
		l = logPrefix.ReplaceAllString(l, "")
		l = strings.TrimPrefix(l, path+": ")
		l = strings.TrimSpace(strings.ReplaceAll(l, path, "source"))
		if l != "" && !slices.Contains(parts, l) {
			parts = append(parts, l)
		}
	}
	msg := strings.Join(parts, "; ")
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

// info interprets ffprobe's description.
//
// Errors: a *mediaError for a file without a usable video stream.
func (p probeOutput) info() (sourceInfo, error) {
	hasAudio := slices.ContainsFunc(p.Streams, func(st probeStream) bool { return st.CodecType == "audio" })
	i := slices.IndexFunc(p.Streams, func(st probeStream) bool {
		return st.CodecType == "video" && st.Disposition.AttachedPic == 0
	})
	switch {
	case i < 0 && hasAudio:
		return sourceInfo{}, mediaErrorf("no video stream (audio-only file)")
	case i < 0:
		return sourceInfo{}, mediaErrorf("not a video: no video or audio stream (%s)", p.Format.FormatName)
	case p.Format.FormatName == "image2" || strings.HasSuffix(p.Format.FormatName, "_pipe"):
		return sourceInfo{}, mediaErrorf("not a video: a still image (%s)", p.Streams[i].CodecName)
	}
	v := p.Streams[i]
	if v.Width <= 0 || v.Height <= 0 {
		return sourceInfo{}, mediaErrorf("not a video: the video stream has no picture size")
	}
	dur := seconds(p.Format.Duration)
	if dur <= 0 {
		dur = seconds(v.Duration)
	}
	if dur <= 0 {
		return sourceInfo{}, mediaErrorf("truncated or corrupt: the duration is unknown")
	}
	w, h := v.displaySize()
	return sourceInfo{Duration: dur, Width: w, Height: h, HasAudio: hasAudio}, nil
}

// displaySize applies the sample aspect ratio and a quarter-turn rotation
// to the coded size.
func (st probeStream) displaySize() (int, int) {
	w, h := st.Width, st.Height
	if num, den, ok := strings.Cut(st.SAR, ":"); ok {
		n, _ := strconv.Atoi(num)
		d, _ := strconv.Atoi(den)
		if n > 0 && d > 0 && n != d {
			w = w * n / d
		}
	}
	for _, sd := range st.SideData {
		if r := int(sd.Rotation) % 180; r == 90 || r == -90 {
			w, h = h, w
		}
	}
	return w, h
}

// seconds parses a duration in seconds; anything else (such as "N/A") is 0.
func seconds(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0
	}
	return f
}

// mediaError is a job's outcome: the media cannot be encoded, and running
// the job again would not change that. Reason is for an admin.
type mediaError struct{ reason string }

func (e *mediaError) Error() string { return e.reason }

// mediaErrorf returns a *mediaError with the formatted reason.
func mediaErrorf(format string, args ...any) error {
	return &mediaError{reason: fmt.Sprintf(format, args...)}
}

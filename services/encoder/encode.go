package encoder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// maxErrorLines bounds the decode errors kept from one run.
const maxErrorLines = 5

// encodeStats is what the ladder run reported besides its files.
type encodeStats struct {
	cpu      time.Duration
	decoded  float64 // the furthest output time ffmpeg reported, seconds
	findings []Finding
	errors   []string // the first error lines of its log
}

// encode runs the plan's one ffmpeg: the whole ladder as HLS, the poster,
// the thumbnail strip and the quality checks, from one decode of the
// source. Progress goes to tr as ffmpeg reports it.
//
// Errors: a *mediaError when ffmpeg fails on the source (its reason names
// why); the context's error when ctx ends (ffmpeg is killed); any other
// failure to run it, which is transient.
func (s *Service) encode(ctx context.Context, p plan, tr *tracker) (encodeStats, error) {
	if err := os.MkdirAll(p.path("hls"), 0o755); err != nil {
		return encodeStats{}, fmt.Errorf("encoder: encode: %w", err)
	}
	q := newQuality()
	var st encodeStats
	res, err := toolRun{
		name: s.cfg.FFmpeg,
		args: p.ffmpegArgs(),
		onStdout: func(line string) {
			if t, ok := progressLine(line); ok {
				st.decoded = max(st.decoded, t)
				tr.encoded(ctx, t, p.info.Duration)
			}
		},
		onStderr: func(line string) {
			q.line(line)
			if isErrorLine(line) && len(st.errors) < maxErrorLines {
				st.errors = append(st.errors, line)
			}
		},
	}.exec(ctx)
	st.cpu = res.CPU
	st.findings = q.result(p.info.Duration)
	if err != nil {
		return st, ffmpegFailure(err, st.errors, p.src)
	}
	return st, nil
}

// isErrorLine reports whether a log line (written with -loglevel level+...)
// is an error.
func isErrorLine(line string) bool {
	return strings.Contains(line, "[error]") || strings.Contains(line, "[fatal]") || strings.Contains(line, "[panic]")
}

// ffmpegFailure classifies a failed ffmpeg run: an exit status is the
// source's fault (a *mediaError, "truncated or corrupt" when the log says
// so), a signal that the encoder did not send is transient.
func ffmpegFailure(err error, errLines []string, src string) error {
	var te *toolError
	if !errors.As(err, &te) || te.ExitCode <= 0 {
		return fmt.Errorf("encoder: encode: %w", err)
	}
	lines := errLines
	for _, l := range te.Tail {
		if isErrorLine(l) {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		lines = te.Tail[max(len(te.Tail)-3, 0):]
	}
	msg := toolMessage(lines, src)
	if truncated(msg) {
		return mediaErrorf("truncated or corrupt: %s", msg)
	}
	return mediaErrorf("ffmpeg failed: %s", msg)
}

// checkLength fails a source whose output is much shorter than the
// duration its container declares (a file cut short decodes only its
// start), and returns a duration-drift finding for a smaller gap.
func checkLength(declared, output float64, errLines []string, src string) ([]Finding, error) {
	if declared-output > max(1, declared*0.05) {
		detail := ""
		if msg := toolMessage(errLines, src); msg != "" {
			detail = " (" + msg + ")"
		}
		return nil, mediaErrorf("truncated or corrupt: only %.1f s of the %.1f s the file declares could be decoded%s",
			output, declared, detail)
	}
	if f, ok := driftFinding(declared, output); ok {
		return []Finding{f}, nil
	}
	return nil, nil
}

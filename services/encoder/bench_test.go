package encoder_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/encoder"
)

// benchSeconds is the length of the benchmark's 1080p clip.
const benchSeconds = 10

// The benchmarks encode one 10 s 1080p clip to the default ladder at the
// default preset three ways and report the CPU time per second of content
// (user+system, all ffmpeg and ffprobe runs; less is better):
//
//   - Service: the encoder's job (probe, the one ffmpeg run with quality
//     checks, progress, poster and strip, the MP4 remuxes), as
//     Result.CPUSeconds reports it;
//   - OneRun: one plain ffmpeg run of the same ladder (decode once, split,
//     scale, encode, HLS), without checks, progress or images;
//   - PerRendition: one ffmpeg run per rendition, each decoding the source
//     again.
//
// Run them with: go test -run '^$' -bench . -benchtime 1x ./services/encoder/

func BenchmarkLadderService(b *testing.B) {
	src := fixture(b, "bench-1080p.mp4")
	var cpu float64
	for b.Loop() {
		h := newHarness(b)
		cfg := h.config()
		cfg.Preset = "" // the production preset
		svc := h.service(cfg)
		id := h.upload(src)
		deliver(b, svc, "video-1", id)
		stop := h.run(svc)
		job := waitJob(b, svc, id)
		stop()
		require.Equal(b, encoder.JobDone, job.Status, job.Reason)
		cpu += job.Result.CPUSeconds
	}
	b.ReportMetric(cpu/float64(b.N)/benchSeconds, "cpu-s/content-s")
}

func BenchmarkLadderOneRun(b *testing.B) {
	src := fixture(b, "bench-1080p.mp4")
	var cpu time.Duration
	for b.Loop() {
		out := b.TempDir()
		cpu += runCPU(b, plainLadderArgs(src, out, encoder.DefaultLadder())...)
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N)/benchSeconds, "cpu-s/content-s")
}

func BenchmarkLadderPerRendition(b *testing.B) {
	src := fixture(b, "bench-1080p.mp4")
	var cpu time.Duration
	for b.Loop() {
		out := b.TempDir()
		for _, r := range encoder.DefaultLadder() {
			cpu += runCPU(b, plainLadderArgs(src, filepath.Join(out, r.Name), []encoder.Rung{r})...)
		}
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N)/benchSeconds, "cpu-s/content-s")
}

// plainLadderArgs is one ffmpeg run that encodes the rungs to HLS the way
// the encoder does (same preset, rates, keyframes and audio), and nothing
// else.
func plainLadderArgs(src, out string, rungs []encoder.Rung) []string {
	var graph strings.Builder
	fmt.Fprintf(&graph, "[0:v]split=%d", len(rungs))
	for i := range rungs {
		fmt.Fprintf(&graph, "[v%d]", i)
	}
	args := []string{"-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-i", src}
	var maps, rates, streams []string
	for i, r := range rungs {
		fmt.Fprintf(&graph, ";[v%d]scale=%d:%d[o%d]", i, r.Width, r.Height, i)
		maps = append(maps, "-map", fmt.Sprintf("[o%d]", i), "-map", "0:a")
		rates = append(rates, fmt.Sprintf("-b:v:%d", i), fmt.Sprint(r.VideoBitrate),
			fmt.Sprintf("-maxrate:v:%d", i), fmt.Sprint(r.VideoBitrate*107/100), fmt.Sprintf("-bufsize:v:%d", i), fmt.Sprint(r.VideoBitrate*3/2))
		streams = append(streams, fmt.Sprintf("v:%d,a:%d,name:%s", i, i, r.Name))
	}
	args = append(args, "-filter_complex", graph.String())
	args = append(args, maps...)
	args = append(args, "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
		"-force_key_frames", "expr:gte(t,n_forced*4)", "-sc_threshold", "0")
	args = append(args, rates...)
	return append(args, "-c:a", "aac", "-b:a", "128000", "-ac", "2",
		"-f", "hls", "-hls_time", "4", "-hls_playlist_type", "vod", "-master_pl_name", "master.m3u8",
		"-hls_segment_filename", filepath.Join(out, "%v", "seg-%05d.ts"),
		"-var_stream_map", strings.Join(streams, " "), filepath.Join(out, "%v", "index.m3u8"))
}

// runCPU runs ffmpeg and returns its user+system CPU time.
func runCPU(b *testing.B, args ...string) time.Duration {
	b.Helper()
	require.NoError(b, os.MkdirAll(args[len(args)-1][:strings.Index(args[len(args)-1], "%v")], 0o755))
	cmd := exec.Command("ffmpeg", args...)
	out, err := cmd.CombinedOutput()
	require.NoError(b, err, "%s", out)
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

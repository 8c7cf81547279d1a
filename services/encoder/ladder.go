package encoder

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// Sizes of the still images.
const (
	thumbWidth    = 160 // pixels, each thumbnail of the strip
	maxThumbs     = 100
	thumbColumns  = 10
	qcWidth       = 320 // the quality checks look at a downscaled copy
	shortClip     = 2.0 // seconds; a shorter clip's poster is its first frame
	posterAtRatio = 0.1
)

// rendition is a rung fitted to one source.
type rendition struct {
	Name    string
	Width   int
	Height  int
	Bitrate int // video, bits per second
}

// plan is one job's encode: where the source is, where the output goes
// and what it holds.
type plan struct {
	cfg        Config
	src        string // the local copy of the source
	out        string // the output root: hls/ and mp4/ below it
	info       sourceInfo
	renditions []rendition // lowest first
	posterAt   float64     // seconds
	thumbs     ThumbnailGrid
}

// newPlan fits the ladder to the source.
func newPlan(cfg Config, info sourceInfo, src, out string) plan {
	p := plan{cfg: cfg, src: src, out: out, info: info, renditions: fitLadder(cfg.Ladder, info.Width, info.Height)}
	if info.Duration >= shortClip {
		p.posterAt = info.Duration * posterAtRatio
	}
	p.thumbs = thumbGrid(info, cfg.ThumbnailInterval.Seconds())
	return p
}

// fitLadder returns the rungs at or below the source's height, each with
// the source's aspect ratio (the rung's own size when the two differ by
// less than 1%) and even sides; a source below the lowest rung gets one
// rendition at its own size (rounded down to even) and the lowest rung's
// bitrate.
func fitLadder(ladder []Rung, w, h int) []rendition {
	var out []rendition
	aspect := float64(w) / float64(h)
	for _, r := range ladder {
		if r.Height > h {
			continue
		}
		width := even(aspect * float64(r.Height))
		if math.Abs(aspect/(float64(r.Width)/float64(r.Height))-1) < 0.01 {
			width = r.Width &^ 1
		}
		out = append(out, rendition{Name: r.Name, Width: width, Height: even(float64(r.Height)), Bitrate: r.VideoBitrate})
	}
	if len(out) == 0 && len(ladder) > 0 {
		sh := max(h&^1, 2)
		out = []rendition{{Name: fmt.Sprintf("%dp", sh), Width: max(w&^1, 2), Height: sh, Bitrate: ladder[0].VideoBitrate}}
	}
	return out
}

// even rounds v to the nearest even integer, at least 2.
func even(v float64) int {
	return max(int(math.Round(v/2))*2, 2)
}

// thumbGrid lays out the thumbnail strip: one thumbnail every interval
// seconds, at most maxThumbs (spaced wider for long media), in rows of
// thumbColumns.
func thumbGrid(info sourceInfo, interval float64) ThumbnailGrid {
	count := min(max(int(math.Ceil(info.Duration/interval)), 1), maxThumbs)
	if count == maxThumbs {
		interval = info.Duration / maxThumbs
	}
	cols := min(count, thumbColumns)
	w := min(thumbWidth, max(info.Width&^1, 2))
	return ThumbnailGrid{
		Count: count, Columns: cols, Rows: (count + cols - 1) / cols,
		Width: w, Height: even(float64(w) * float64(info.Height) / float64(info.Width)),
		IntervalSeconds: interval,
	}
}

// Output files, relative to plan.out.
const (
	masterFile = "hls/master.m3u8"
	posterFile = "hls/poster.jpg"
	thumbsFile = "hls/thumbnails.jpg"
)

func (p plan) path(rel string) string { return filepath.Join(p.out, filepath.FromSlash(rel)) }

// playlistFile is a rendition's media playlist, relative to plan.out.
func playlistFile(name string) string { return "hls/" + name + "/index.m3u8" }

// mp4File is a rendition's download, relative to plan.out.
func mp4File(name string) string { return "mp4/" + name + ".mp4" }

// filterGraph decodes once and splits the picture into the renditions, the
// quality checks, the poster and the thumbnail strip; the audio passes the
// silence check and is split into one copy per rendition.
func (p plan) filterGraph() string {
	n := len(p.renditions)
	var g strings.Builder
	fmt.Fprintf(&g, "[0:v]format=yuv420p,split=%d", n+3)
	for i := range n {
		fmt.Fprintf(&g, "[v%d]", i)
	}
	g.WriteString("[qc][poster][thumbs];")
	fmt.Fprintf(&g, "[qc]setpts=PTS-STARTPTS,scale=%d:-2,blackdetect=d=2,freezedetect=d=2,nullsink;", qcWidth)
	for i, r := range p.renditions {
		fmt.Fprintf(&g, "[v%d]scale=%d:%d,setsar=1[o%d];", i, r.Width, r.Height, i)
	}
	top := p.renditions[n-1]
	fmt.Fprintf(&g, `[poster]setpts=PTS-STARTPTS,trim=start=%.3f,select='eq(n\,0)',scale=%d:%d,setsar=1[posterout];`,
		p.posterAt, top.Width, top.Height)
	t := p.thumbs
	fmt.Fprintf(&g, `[thumbs]setpts=PTS-STARTPTS,select='isnan(prev_selected_t)+gte(t-prev_selected_t\,%.3f)',`+
		"scale=%d:%d,setsar=1,tile=%dx%d[thumbsout]", t.IntervalSeconds, t.Width, t.Height, t.Columns, t.Rows)
	if p.info.HasAudio {
		fmt.Fprintf(&g, ";[0:a:0]silencedetect=d=2,asplit=%d", n)
		for i := range n {
			fmt.Fprintf(&g, "[a%d]", i)
		}
	}
	return g.String()
}

// ffmpegArgs is the one ffmpeg run that writes the whole ladder as HLS, the
// poster and the thumbnail strip, reporting progress on stdout.
func (p plan) ffmpegArgs() []string {
	args := append([]string{"-hide_banner", "-nostdin", "-y", "-loglevel", "level+info", "-nostats",
		"-progress", "pipe:1"}, inputArgs(p.src)...)
	args = append(args, "-filter_complex", p.filterGraph())
	args = append(args, p.ladderArgs()...)
	args = append(args, p.hlsArgs()...)
	return append(args,
		"-map", "[posterout]", "-frames:v", "1", "-update", "1", p.path(posterFile),
		"-map", "[thumbsout]", "-frames:v", "1", "-update", "1", p.path(thumbsFile))
}

// ladderArgs maps and encodes the renditions: H.264 with keyframes at
// every segment boundary, so segments align across renditions, and AAC.
func (p plan) ladderArgs() []string {
	var args []string
	for i := range p.renditions {
		args = append(args, "-map", fmt.Sprintf("[o%d]", i))
		if p.info.HasAudio {
			args = append(args, "-map", fmt.Sprintf("[a%d]", i))
		}
	}
	args = append(args, "-c:v", "libx264", "-preset", p.cfg.Preset, "-profile:v", "high",
		"-force_key_frames", fmt.Sprintf("expr:gte(t,n_forced*%d)", p.cfg.SegmentSeconds), "-sc_threshold", "0")
	for i, r := range p.renditions {
		v := strconv.Itoa(i)
		args = append(args, "-b:v:"+v, strconv.Itoa(r.Bitrate), "-maxrate:v:"+v, strconv.Itoa(r.Bitrate*107/100),
			"-bufsize:v:"+v, strconv.Itoa(r.Bitrate*3/2))
	}
	if p.info.HasAudio {
		args = append(args, "-c:a", "aac", "-b:a", strconv.Itoa(p.cfg.AudioBitrate), "-ac", "2")
	}
	return append(args, "-max_muxing_queue_size", "4096")
}

// hlsArgs is the HLS output: one folder per rendition, named after it.
func (p plan) hlsArgs() []string {
	streams := make([]string, len(p.renditions))
	for i, r := range p.renditions {
		if p.info.HasAudio {
			streams[i] = fmt.Sprintf("v:%d,a:%d,name:%s", i, i, r.Name)
		} else {
			streams[i] = fmt.Sprintf("v:%d,name:%s", i, r.Name)
		}
	}
	return []string{"-f", "hls", "-hls_time", strconv.Itoa(p.cfg.SegmentSeconds), "-hls_playlist_type", "vod",
		"-hls_flags", "independent_segments", "-hls_segment_type", "mpegts",
		"-hls_segment_filename", p.path("hls/%v/seg-%05d.ts"), "-master_pl_name", "master.m3u8",
		"-var_stream_map", strings.Join(streams, " "), p.path("hls/%v/index.m3u8")}
}

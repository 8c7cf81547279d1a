package encoder

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Rung is one rendition the ladder may produce: a source is encoded to
// every rung whose height is at or below its own.
type Rung struct {
	Name         string // "720p": the rendition's folder and its name on the wire
	Width        int    // for a 16:9 source; other shapes keep their aspect ratio
	Height       int
	VideoBitrate int // bits per second
}

// DefaultLadder is the ladder of the zero Config, from 240p to 1080p.
func DefaultLadder() []Rung {
	return []Rung{
		{Name: "240p", Width: 426, Height: 240, VideoBitrate: 400_000},
		{Name: "360p", Width: 640, Height: 360, VideoBitrate: 800_000},
		{Name: "480p", Width: 854, Height: 480, VideoBitrate: 1_400_000},
		{Name: "720p", Width: 1280, Height: 720, VideoBitrate: 2_800_000},
		{Name: "1080p", Width: 1920, Height: 1080, VideoBitrate: 5_000_000},
	}
}

// Config tunes the encoder. The zero Config is the production setting.
type Config struct {
	// FFmpeg and FFprobe are the tools' paths; empty means "ffmpeg" and
	// "ffprobe" found on PATH.
	FFmpeg  string
	FFprobe string
	// WorkDir holds each running job's scratch directory (the source copy
	// and the encoded files), removed when the job ends. Empty means
	// <os.TempDir()>/dflix-encoder.
	WorkDir string
	// Concurrency is how many jobs one Run encodes at once (default 1;
	// one ffmpeg already uses every core).
	Concurrency int
	// SegmentSeconds is the HLS segment length; keyframes are forced at
	// every multiple of it in every rendition (default 4).
	SegmentSeconds int
	// MaxAttempts is how many runs a job gets: a job whose runs keep
	// crashing or failing for a transient reason fails after it (default 3).
	MaxAttempts int
	// LeaseDuration is how long a claimed job stays with its runner without
	// a renewal; a running job renews it every third of it, and another
	// runner takes over a job whose lease lapsed (default 2 minutes).
	LeaseDuration time.Duration
	// ProgressInterval is the least time between two progress events of a
	// job (default 1 second).
	ProgressInterval time.Duration
	// PollInterval is how often Run looks for claimable jobs besides the
	// wake-ups of jobs queued in this process (default 2 seconds).
	PollInterval time.Duration
	// RetryDelay is how long a job waits before it runs again after a
	// transient failure (a store or blob error), times its attempts
	// (default 15 seconds).
	RetryDelay time.Duration
	// OutboxInterval is how often Run publishes outcome events that could
	// not be published right after their write (default 30 seconds).
	OutboxInterval time.Duration
	// InstanceID names this encoder as the owner of the jobs it claims
	// (default random per process). It must be unique among the encoders
	// running on one state at a time; an encoder started under the id of
	// one that died takes up that one's running jobs at once, without
	// waiting for their leases to lapse.
	InstanceID string
	// Ladder lists the renditions, lowest first (default DefaultLadder).
	Ladder []Rung
	// AudioBitrate is the AAC bitrate of every rendition, in bits per
	// second (default 128000).
	AudioBitrate int
	// Preset is the x264 preset (default "veryfast").
	Preset string
	// ThumbnailInterval is the time between two thumbnails of the strip
	// (default 10 seconds; at most 100 thumbnails, so longer media space
	// them wider).
	ThumbnailInterval time.Duration
	// Observer hears each job's start and outcome (default: nobody).
	Observer Observer
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	c.FFmpeg = cmp.Or(c.FFmpeg, "ffmpeg")
	c.FFprobe = cmp.Or(c.FFprobe, "ffprobe")
	c.WorkDir = cmp.Or(c.WorkDir, filepath.Join(os.TempDir(), "dflix-encoder"))
	c.InstanceID = cmp.Or(c.InstanceID, randomID())
	c.Preset = cmp.Or(c.Preset, "veryfast")
	c.Concurrency = positive(c.Concurrency, 1)
	c.SegmentSeconds = positive(c.SegmentSeconds, 4)
	c.MaxAttempts = positive(c.MaxAttempts, 3)
	c.AudioBitrate = positive(c.AudioBitrate, 128_000)
	c.LeaseDuration = positive(c.LeaseDuration, 2*time.Minute)
	c.ProgressInterval = positive(c.ProgressInterval, time.Second)
	c.PollInterval = positive(c.PollInterval, 2*time.Second)
	c.RetryDelay = positive(c.RetryDelay, 15*time.Second)
	c.OutboxInterval = positive(c.OutboxInterval, 30*time.Second)
	c.ThumbnailInterval = positive(c.ThumbnailInterval, 10*time.Second)
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	if len(c.Ladder) == 0 {
		c.Ladder = DefaultLadder()
	}
	c.Ladder = slices.Clone(c.Ladder)
	slices.SortStableFunc(c.Ladder, func(a, b Rung) int { return a.Height - b.Height })
	return c
}

// positive returns v, or def when v is not positive.
func positive[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// randomID returns 8 random bytes in hex.
func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

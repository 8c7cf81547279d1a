package encoder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
)

// probeTimeout bounds ffprobe on one source: it reads only the headers.
const probeTimeout = 2 * time.Minute

// execute runs one job from the source blob to the uploaded output: a
// local copy of the source, the probe, the one ffmpeg run of the ladder,
// the review of its output, the MP4 downloads and the upload. The scratch
// directory is removed whatever happens.
//
// Errors: a *mediaError when the source cannot be encoded (the job's
// outcome); the context's error when ctx ends; anything else is transient.
func (s *Service) execute(ctx context.Context, job Job, tr *tracker) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("encoder: job %s panicked: %v\n%s", job.MediaID, p, debug.Stack())
		}
	}()
	dir, err := os.MkdirTemp(s.cfg.WorkDir, s.scratchPrefix()+job.MediaID[:16]+"-")
	if err != nil {
		return Result{}, fmt.Errorf("encoder: scratch directory: %w", err)
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "source")
	if err := s.fetch(ctx, job.SourceKey, src); err != nil {
		return Result{}, err
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	info, probed, err := s.probe(pctx, src)
	if err != nil {
		return Result{}, err
	}
	p := newPlan(s.cfg, info, src, filepath.Join(dir, "out"))
	return s.produce(ctx, job, p, tr, probed.CPU.Seconds())
}

// produce encodes the plan and uploads its output; cpu is the CPU time
// already spent on the job, in seconds.
func (s *Service) produce(ctx context.Context, job Job, p plan, tr *tracker, cpu float64) (Result, error) {
	st, err := s.encode(ctx, p, tr)
	if err != nil {
		return Result{}, err
	}
	res, err := s.review(ctx, p, st)
	if err != nil {
		return Result{}, err
	}
	remuxCPU, err := s.remux(ctx, p)
	if err != nil {
		return Result{}, err
	}
	res.CPUSeconds = round3(res.CPUSeconds + cpu + remuxCPU.Seconds())
	tr.report(ctx, remuxedPercent, true)
	if err := s.upload(ctx, job.MediaID, p, &res); err != nil {
		return Result{}, err
	}
	return res, nil
}

// scratchPrefix starts the name of every scratch directory of this
// instance.
func (s *Service) scratchPrefix() string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, s.cfg.InstanceID)
	return "job-" + safe + "-"
}

// cleanScratch removes the scratch directories an earlier process under
// this instance id left when it died. Run calls it before it runs a job.
func (s *Service) cleanScratch(ctx context.Context) {
	entries, err := os.ReadDir(s.cfg.WorkDir)
	if err != nil {
		s.log.WarnContext(ctx, "encoder: read work directory", "err", err)
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), s.scratchPrefix()) {
			if err := os.RemoveAll(filepath.Join(s.cfg.WorkDir, e.Name())); err != nil {
				s.log.WarnContext(ctx, "encoder: remove stale scratch directory", "dir", e.Name(), "err", err)
			}
		}
	}
}

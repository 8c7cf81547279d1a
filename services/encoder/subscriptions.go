package encoder

import (
	"context"
	"fmt"
	"slices"

	"github.com/dflix/dflix/services/platform"
)

// SubscriptionUploads is the name of the encoder's one subscription.
const SubscriptionUploads = "encoder-uploads"

// Subscriptions returns what main must register on the subscriber before it
// starts delivering: Topic, competing consumers (one encoder instance gets
// each upload), handling EventUploadCompleted and acknowledging the other
// types. The handler only records the job and returns; Run encodes.
func (s *Service) Subscriptions() []platform.Subscription {
	return []platform.Subscription{
		{Topic: Topic, Name: SubscriptionUploads, Handle: s.handleMediaEvent},
	}
}

// handleMediaEvent queues the job of an upload.completed event.
func (s *Service) handleMediaEvent(ctx context.Context, ev platform.Event) error {
	if ev.Type != EventUploadCompleted {
		return nil
	}
	var p UploadCompleted
	if err := ev.Decode(&p); err != nil {
		return err
	}
	if err := validateUpload(p); err != nil {
		return platform.Drop(fmt.Errorf("encoder: %s event %s: %w", ev.Type, ev.ID, err))
	}
	queued, err := s.enqueue(ctx, p)
	if err != nil {
		return fmt.Errorf("encoder: %s event %s: %w", ev.Type, ev.ID, err)
	}
	if queued {
		s.log.InfoContext(ctx, "encoder: job queued", "media_id", p.MediaID, "video_id", p.VideoID)
		s.signal()
	}
	return nil
}

// validateUpload checks an upload.completed payload.
func validateUpload(p UploadCompleted) error {
	switch {
	case !validMediaID(p.MediaID):
		return platform.Errorf(platform.KindInvalid, "invalid media id %q", p.MediaID)
	case p.VideoID == "":
		return platform.Errorf(platform.KindInvalid, "no video id")
	case p.SourceKey != sourceKey(p.MediaID):
		return platform.Errorf(platform.KindInvalid, "source key %q is not %q", p.SourceKey, sourceKey(p.MediaID))
	}
	return nil
}

// enqueue creates the job of an upload, or adds the video to the existing
// job of its media; a video already in the job changes nothing, so a
// redelivered event never encodes twice. A video added to a finished job
// gets that job's outcome event at once, in the same transaction. It
// reports whether a new job was queued.
func (s *Service) enqueue(ctx context.Context, p UploadCompleted) (bool, error) {
	queued := false
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		queued = false
		job, etag, err := s.loadJob(ctx, p.MediaID)
		if platform.Is(err, platform.KindNotFound) {
			queued = true
			now := s.clock()
			job = Job{MediaID: p.MediaID, SourceKey: p.SourceKey, VideoIDs: []string{p.VideoID},
				Status: JobQueued, CreatedAt: now, UpdatedAt: now}
			b.Set(jobKey(p.MediaID), job, "", true)
			b.Add(s.open.AddOps(ctx, p.MediaID))
			return nil
		}
		if err != nil || slices.Contains(job.VideoIDs, p.VideoID) {
			return err
		}
		job.VideoIDs = append(job.VideoIDs, p.VideoID)
		job.UpdatedAt = s.clock()
		b.Set(jobKey(p.MediaID), job, etag, false)
		s.emitOutcome(b, job, []string{p.VideoID})
		return nil
	})
	return queued, err
}

// emitOutcome adds to b the outcome event of a finished job for each of
// videos; an unfinished job has none yet.
func (s *Service) emitOutcome(b *platform.Batch, job Job, videos []string) {
	for _, v := range videos {
		switch job.Status {
		case JobDone:
			if job.Result != nil {
				b.Emit(s.event(EventEncodingCompleted, EncodingCompleted{VideoID: v, MediaID: job.MediaID, Result: *job.Result}))
			}
		case JobFailed:
			b.Emit(s.event(EventEncodingFailed, EncodingFailed{VideoID: v, MediaID: job.MediaID, Reason: job.Reason}))
		}
	}
}

// signal wakes Run without blocking.
func (s *Service) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

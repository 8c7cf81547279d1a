package upload

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
)

// complete finishes the upload id if all its bytes are stored and it is not
// completed yet, and returns it.
//
// Errors: as load; a failed completion keeps its kind.
func (s *Server) complete(ctx context.Context, id string) (Upload, error) {
	unlock, err := s.locks.lock(ctx, id)
	if err != nil {
		return Upload{}, err
	}
	defer unlock()
	u, etag, err := s.load(ctx, id)
	if err != nil || !u.complete() {
		return u, err
	}
	return s.finish(ctx, u, etag)
}

// finish completes an upload whose bytes are all stored; the caller holds
// its lock. Each step can be redone after a crash: the source is not copied
// again when it is already whole, marking completed and recording the event
// is one outbox write that a completed record makes a no-op, and the parts,
// kept in the record until they are deleted, are deleted again by the sweep
// if need be.
func (s *Server) finish(ctx context.Context, u Upload, etag string) (Upload, error) {
	if u.Completed {
		return u, nil
	}
	h, err := restoreHash(u.HashState)
	if err != nil {
		return u, err
	}
	mediaID := hex.EncodeToString(h.Sum(nil))
	if err := s.storeSource(ctx, u, mediaID); err != nil {
		return u, fmt.Errorf("complete: %w", err)
	}
	if u, err = s.markCompleted(ctx, u.ID, mediaID); err != nil {
		return u, fmt.Errorf("complete: %w", err)
	}
	s.deps.Logger.InfoContext(ctx, "upload completed", "upload_id", u.ID, "video_id", u.VideoID, "media_id", mediaID, "size", u.Length)
	return s.dropParts(ctx, u), nil
}

// storeSource joins the parts into the media's source blob, unless a blob
// of the same size is already there (the same bytes, since the key is their
// hash).
func (s *Server) storeSource(ctx context.Context, u Upload, mediaID string) error {
	key := SourceKey(mediaID)
	info, err := s.deps.Blobs.Stat(ctx, key)
	switch {
	case err == nil && info.Size == u.Length:
		s.deps.Logger.InfoContext(ctx, "upload: media already stored, not copied again", "upload_id", u.ID, "media_id", mediaID)
		return nil
	case err != nil && !platform.Is(err, platform.KindNotFound):
		return fmt.Errorf("stat source: %w", err)
	}
	r := newPartsReader(ctx, s.deps.Blobs, u.Parts)
	defer func() { _ = r.Close() }()
	n, err := s.deps.Blobs.Put(ctx, key, r)
	if err == nil && n != u.Length {
		s.deleteBlob(ctx, key) // the store lost bytes: never leave a wrong source under the hash
		err = fmt.Errorf("joined %d bytes of %d", n, u.Length)
	}
	if err != nil {
		return platform.E(platform.KindUnavailable, "the upload could not be completed, try again", fmt.Errorf("store source %s: %w", key, err))
	}
	return nil
}

// markCompleted marks the upload completed with the media id and records
// the upload-completed event, in one outbox write, and returns the record.
// A record already completed is returned as is.
func (s *Server) markCompleted(ctx context.Context, id, mediaID string) (Upload, error) {
	var done Upload
	err := s.outbox.Write(ctx, conflictTries, func(b *platform.Batch) error {
		u, etag, err := s.load(ctx, id)
		if err != nil {
			return err
		}
		done = u
		if u.Completed {
			return nil
		}
		now := s.deps.Clock().UTC()
		u.Completed, u.CompletedAt, u.MediaID = true, now, mediaID
		u.HashState, u.ExpiresAt = nil, now.Add(s.cfg.Expiry)
		b.Set(recordKey(id), u, etag, false)
		b.Emit(platform.NewEvent(eventSource, encoder.Topic, encoder.EventUploadCompleted, now, encoder.UploadCompleted{
			VideoID: u.VideoID, MediaID: mediaID, SourceKey: SourceKey(mediaID), Size: u.Length, Filename: u.Filename,
		}))
		done = u
		return nil
	})
	return done, err
}

// dropParts deletes a completed upload's parts and then forgets them in its
// record. Failures are logged: the parts stay listed and the sweep tries
// again.
func (s *Server) dropParts(ctx context.Context, u Upload) Upload {
	if len(u.Parts) == 0 {
		return u
	}
	if err := s.deleteParts(ctx, u); err != nil {
		s.deps.Logger.WarnContext(ctx, "upload: parts not deleted yet", "upload_id", u.ID, "err", err)
		return u
	}
	err := platform.RetryConflict(ctx, conflictTries, func() error {
		cur, etag, err := s.load(ctx, u.ID)
		if err != nil || len(cur.Parts) == 0 {
			return err
		}
		cur.Parts = nil
		_, err = s.save(ctx, cur, etag)
		u = cur
		return err
	})
	if err != nil {
		s.deps.Logger.WarnContext(ctx, "upload: deleted parts not forgotten yet", "upload_id", u.ID, "err", err)
	}
	return u
}

// deleteParts deletes an upload's recorded parts, then any other blob under
// its prefix (a part stored by a request that failed before recording it)
// where the store can list.
func (s *Server) deleteParts(ctx context.Context, u Upload) error {
	for _, p := range u.Parts {
		if err := s.deps.Blobs.Delete(ctx, p.Key); err != nil {
			return fmt.Errorf("delete part %s: %w", p.Key, err)
		}
	}
	stray, err := s.deps.Blobs.List(ctx, partsPrefix(u.ID))
	if err != nil {
		s.deps.Logger.DebugContext(ctx, "upload: cannot list stray parts", "upload_id", u.ID, "err", err)
		return nil
	}
	for _, b := range stray {
		s.deleteBlob(ctx, b.Key)
	}
	return nil
}

// deleteBlob deletes a blob that nothing refers to; a failure only leaves
// garbage, so it is logged.
func (s *Server) deleteBlob(ctx context.Context, key string) {
	if err := s.deps.Blobs.Delete(context.WithoutCancel(ctx), key); err != nil {
		s.deps.Logger.WarnContext(ctx, "upload: blob not deleted", "key", key, "err", err)
	}
}

package subscription

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// historyKey is the state key of a viewer's watch history.
func historyKey(userID string) string { return "history/" + userID }

// historyDoc is a viewer's watch history, one entry per video, most recent
// first (ties by video id), at most Config.HistoryLimit entries.
type historyDoc struct {
	Entries []Progress `json:"entries"`
}

// newerFirst orders history entries: most recent first, then by video id.
func newerFirst(a, b Progress) int {
	return cmp.Or(b.UpdatedAt.Compare(a.UpdatedAt), cmp.Compare(a.VideoID, b.VideoID))
}

// RecordProgress records the caller's position in a video (DurationSeconds
// from the catalog tells whether it is finished: at or past
// Config.FinishedRatio of it) and keeps the caller's stream of it live. It
// needs no subscription.
//
// Errors: KindUnauthenticated for an anonymous caller; KindInvalid for a
// malformed video id or a negative or non-finite position or duration; the
// state's kind when it fails. A position past a known duration is recorded
// as the duration: a player may overshoot by a frame, and a client's bogus
// value must not outlive the video.
func (s *Service) RecordProgress(ctx context.Context, req RecordProgressRequest) (RecordProgressResponse, error) {
	if err := req.Caller.RequireUser(); err != nil {
		return RecordProgressResponse{}, op(MethodRecordProgress, err)
	}
	err := checkVideoID(req.VideoID)
	if err == nil {
		err = checkSeconds("position", req.PositionSeconds)
	}
	if err == nil {
		err = checkSeconds("duration", req.DurationSeconds)
	}
	if err != nil {
		return RecordProgressResponse{}, op(MethodRecordProgress, err)
	}
	if req.DurationSeconds > 0 {
		req.PositionSeconds = min(req.PositionSeconds, req.DurationSeconds)
	}
	now := s.clock()
	p := Progress{
		VideoID:         req.VideoID,
		PositionSeconds: req.PositionSeconds,
		DurationSeconds: req.DurationSeconds,
		Finished:        req.DurationSeconds > 0 && req.PositionSeconds >= s.cfg.FinishedRatio*req.DurationSeconds,
		UpdatedAt:       now,
	}
	if err := s.touchStream(ctx, req.Caller.UserID, req.VideoID, now); err != nil {
		return RecordProgressResponse{}, op(MethodRecordProgress, err)
	}
	if err := s.putHistory(ctx, req.Caller.UserID, p); err != nil {
		return RecordProgressResponse{}, op(MethodRecordProgress, err)
	}
	return RecordProgressResponse{Progress: p}, nil
}

// putHistory makes p the entry of its video in user's history, dropping
// the oldest entries beyond the limit.
func (s *Service) putHistory(ctx context.Context, user string, p Progress) error {
	err := platform.RetryConflict(ctx, conflictRetries, func() error {
		d, etag, err := s.loadHistory(ctx, user)
		if err != nil {
			return err
		}
		d.Entries = slices.DeleteFunc(d.Entries, func(e Progress) bool { return e.VideoID == p.VideoID })
		d.Entries = append(d.Entries, p)
		slices.SortFunc(d.Entries, newerFirst)
		d.Entries = d.Entries[:min(len(d.Entries), s.cfg.HistoryLimit)]
		return platform.SetJSON(ctx, s.state, historyKey(user), d, etag, etag == "")
	})
	if err != nil {
		return fmt.Errorf("record progress of %s: %w", user, err)
	}
	return nil
}

// loadHistory reads user's history (empty when there is none) and its ETag.
func (s *Service) loadHistory(ctx context.Context, user string) (historyDoc, string, error) {
	var d historyDoc
	etag, err := platform.GetJSON(ctx, s.state, historyKey(user), "", &d)
	if err != nil && !platform.Is(err, platform.KindNotFound) {
		return historyDoc{}, "", fmt.Errorf("load history of %s: %w", user, err)
	}
	if d.Entries == nil {
		d.Entries = []Progress{}
	}
	return d, etag, nil
}

// ContinueWatching returns the caller's started, unfinished videos, most
// recent first (First: default 20, at most 100).
//
// Errors: KindUnauthenticated for an anonymous caller; the state's kind
// when it fails.
func (s *Service) ContinueWatching(ctx context.Context, req ContinueWatchingRequest) (ContinueWatchingResponse, error) {
	if err := req.Caller.RequireUser(); err != nil {
		return ContinueWatchingResponse{}, op(MethodContinueWatching, err)
	}
	d, _, err := s.loadHistory(ctx, req.Caller.UserID)
	if err != nil {
		return ContinueWatchingResponse{}, op(MethodContinueWatching, err)
	}
	n := pageSize(req.First, 20, 100)
	items := []Progress{}
	for _, e := range d.Entries {
		if len(items) == n {
			break
		}
		if !e.Finished && e.PositionSeconds > 0 {
			items = append(items, e)
		}
	}
	return ContinueWatchingResponse{Items: items}, nil
}

// WatchHistory pages the caller's history, most recent first (First:
// default 20, at most 100; After: the EndCursor of the previous page). The
// cursor is a position in that order, so a video watched again meanwhile
// moves to the front without shifting the pages after the cursor.
//
// Errors: KindUnauthenticated for an anonymous caller; KindInvalid for a
// malformed cursor; the state's kind when it fails.
func (s *Service) WatchHistory(ctx context.Context, req WatchHistoryRequest) (WatchHistoryResponse, error) {
	if err := req.Caller.RequireUser(); err != nil {
		return WatchHistoryResponse{}, op(MethodWatchHistory, err)
	}
	d, _, err := s.loadHistory(ctx, req.Caller.UserID)
	if err != nil {
		return WatchHistoryResponse{}, op(MethodWatchHistory, err)
	}
	start, err := historyStart(d.Entries, req.After)
	if err != nil {
		return WatchHistoryResponse{}, op(MethodWatchHistory, err)
	}
	page := pageFrom(d.Entries, start, pageSize(req.First, 20, 100), historyCursorKey)
	return WatchHistoryResponse{Items: page.items, Cursors: page.cursors, EndCursor: page.end, HasNext: page.hasNext, TotalCount: len(d.Entries)}, nil
}

// historyCursorKey is the position of an entry: "<unix nanos>/<video id>".
func historyCursorKey(p Progress) string {
	return strconv.FormatInt(p.UpdatedAt.UnixNano(), 10) + "/" + p.VideoID
}

// historyStart returns the index of the first entry after the cursor.
// Errors: KindInvalid for a malformed cursor.
func historyStart(entries []Progress, after string) (int, error) {
	key, err := decodeCursor(after)
	if err != nil || key == "" {
		return 0, err
	}
	nanos, video, ok := strings.Cut(key, "/")
	n, perr := strconv.ParseInt(nanos, 10, 64)
	if !ok || perr != nil || video == "" {
		return 0, invalid("malformed cursor")
	}
	probe := Progress{VideoID: video, UpdatedAt: time.Unix(0, n).UTC()}
	i, found := slices.BinarySearchFunc(entries, probe, newerFirst)
	if found {
		i++
	}
	return i, nil
}

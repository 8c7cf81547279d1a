package subscription

import (
	"context"
	"fmt"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// streamsKey is the state key of a viewer's live streams.
func streamsKey(userID string) string { return "streams/" + userID }

// streamsDoc is a viewer's streams: when each video was last seen playing.
// A stream is live for Config.StreamTTL after that.
type streamsDoc struct {
	Live map[string]time.Time `json:"live"`
}

// prune drops the streams that are no longer live at now.
func (d *streamsDoc) prune(now time.Time, ttl time.Duration) {
	for id, seen := range d.Live {
		if !now.Before(seen.Add(ttl)) {
			delete(d.Live, id)
		}
	}
}

// StartStream checks that the caller may play req.VideoID and counts the
// stream against the plan's concurrent streams (starting a video already
// playing only keeps it live). Admins may always play, without limits
// (MaxResolution and MaxStreams 0).
//
// Errors: KindUnauthenticated for an anonymous caller; KindInvalid for a
// malformed video id; KindForbidden with CodeSubscriptionRequired without
// a TRIALING, ACTIVE or (until its period ends) CANCELED subscription;
// KindConflict with CodeStreamLimitReached when all of the plan's streams
// are live; the state's kind when it fails.
func (s *Service) StartStream(ctx context.Context, req StartStreamRequest) (StartStreamResponse, error) {
	if err := req.Caller.RequireUser(); err != nil {
		return StartStreamResponse{}, op(MethodStartStream, err)
	}
	if err := checkVideoID(req.VideoID); err != nil {
		return StartStreamResponse{}, op(MethodStartStream, err)
	}
	now := s.clock()
	liveUntil := now.Add(s.cfg.StreamTTL)
	if req.Caller.IsAdmin() {
		return StartStreamResponse{LiveUntil: liveUntil}, nil
	}
	plan, err := s.entitlement(ctx, req.Caller.UserID, now)
	if err != nil {
		return StartStreamResponse{}, op(MethodStartStream, err)
	}
	if err := s.countStream(ctx, req.Caller.UserID, req.VideoID, plan.MaxStreams, now); err != nil {
		return StartStreamResponse{}, op(MethodStartStream, err)
	}
	return StartStreamResponse{MaxResolution: plan.MaxResolution, MaxStreams: plan.MaxStreams, LiveUntil: liveUntil}, nil
}

// entitlement returns the plan user plays under at now.
// Errors: KindForbidden with CodeSubscriptionRequired when user is not
// entitled.
func (s *Service) entitlement(ctx context.Context, user string, now time.Time) (Plan, error) {
	rec, _, found, err := s.findSub(ctx, user)
	if err != nil {
		return Plan{}, err
	}
	if !found || !entitled(rec.Subscription, now) {
		return Plan{}, platform.Coded(platform.KindForbidden, CodeSubscriptionRequired, "an active subscription is required to play", nil)
	}
	plan, _, err := s.loadPlan(ctx, rec.PlanID)
	return plan, err
}

// countStream marks video live for user, unless limit streams are live
// already. Concurrent calls of one user are ordered by the document's
// ETag, so together they never exceed the limit.
// Errors: KindConflict with CodeStreamLimitReached.
func (s *Service) countStream(ctx context.Context, user, video string, limit int, now time.Time) error {
	live, refused := 0, false
	err := s.updateStreams(ctx, user, func(d *streamsDoc) bool {
		d.prune(now, s.cfg.StreamTTL)
		_, playing := d.Live[video]
		live, refused = len(d.Live), !playing && len(d.Live) >= limit
		if refused {
			return false
		}
		d.Live[video] = now
		return true
	})
	if err != nil {
		return fmt.Errorf("count stream of %s: %w", user, err)
	}
	if refused {
		return platform.Coded(platform.KindConflict, CodeStreamLimitReached,
			fmt.Sprintf("you are already playing %d streams, the most your plan allows", live), nil)
	}
	return nil
}

// touchStream keeps user's stream of video live, when it is.
func (s *Service) touchStream(ctx context.Context, user, video string, now time.Time) error {
	err := s.updateStreams(ctx, user, func(d *streamsDoc) bool {
		seen, ok := d.Live[video]
		if !ok || !now.Before(seen.Add(s.cfg.StreamTTL)) {
			return false
		}
		d.prune(now, s.cfg.StreamTTL)
		d.Live[video] = now
		return true
	})
	if err != nil {
		return fmt.Errorf("touch stream of %s: %w", user, err)
	}
	return nil
}

// updateStreams runs edit on user's streams and writes them back when edit
// says so, conditional on the ETag read, rereading after a lost race.
func (s *Service) updateStreams(ctx context.Context, user string, edit func(*streamsDoc) bool) error {
	return platform.RetryConflict(ctx, conflictRetries, func() error {
		var d streamsDoc
		etag, err := platform.GetJSON(ctx, s.state, streamsKey(user), "", &d)
		if err != nil && !platform.Is(err, platform.KindNotFound) {
			return err
		}
		if d.Live == nil {
			d.Live = map[string]time.Time{}
		}
		if !edit(&d) {
			return nil
		}
		return platform.SetJSON(ctx, s.state, streamsKey(user), d, etag, etag == "")
	})
}

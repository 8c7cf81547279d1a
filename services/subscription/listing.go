package subscription

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dflix/dflix/services/platform"
)

// bulkChunk bounds the keys of one BulkGet.
const bulkChunk = 100

// ListSubscriptions pages every subscription that matches the filter, by
// user id (First: default 20, at most 100; After: the EndCursor of the
// previous page). TotalCount counts the matches.
//
// Errors: KindUnauthenticated or KindForbidden unless the caller is an
// admin; KindInvalid for an unknown status or a malformed cursor; the
// state's kind when it fails.
func (s *Service) ListSubscriptions(ctx context.Context, req ListSubscriptionsRequest) (ListSubscriptionsResponse, error) {
	if err := req.Caller.RequireAdmin(); err != nil {
		return ListSubscriptionsResponse{}, op(MethodListSubscriptions, err)
	}
	f := req.Filter
	if f.Status != "" && !slices.Contains([]Status{Trialing, Active, PastDue, Canceled, Expired}, f.Status) {
		return ListSubscriptionsResponse{}, op(MethodListSubscriptions, invalid("unknown status %q", clip(string(f.Status))))
	}
	after, err := decodeCursor(req.After)
	if err != nil {
		return ListSubscriptionsResponse{}, op(MethodListSubscriptions, err)
	}
	all, err := s.allSubs(ctx)
	if err != nil {
		return ListSubscriptionsResponse{}, op(MethodListSubscriptions, err)
	}
	matched := slices.DeleteFunc(all, func(sub Subscription) bool {
		return (f.Status != "" && sub.Status != f.Status) || (f.PlanID != "" && sub.PlanID != f.PlanID)
	})
	start := 0
	if after != "" {
		start, _ = slices.BinarySearchFunc(matched, after, func(sub Subscription, id string) int {
			if sub.UserID <= id {
				return -1
			}
			return 1
		})
	}
	page := pageFrom(matched, start, pageSize(req.First, 20, 100), func(sub Subscription) string { return sub.UserID })
	return ListSubscriptionsResponse{Subscriptions: page.items, Cursors: page.cursors, EndCursor: page.end, HasNext: page.hasNext, TotalCount: len(matched)}, nil
}

// allSubs reads every subscription, by user id.
func (s *Service) allSubs(ctx context.Context) ([]Subscription, error) {
	users, err := s.subs.Members(ctx)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	out := make([]Subscription, 0, len(users))
	for chunk := range slices.Chunk(users, bulkChunk) {
		keys := make([]string, len(chunk))
		for i, u := range chunk {
			keys[i] = subKey(u)
		}
		items, err := s.state.BulkGet(ctx, keys)
		if err != nil {
			return nil, fmt.Errorf("list subscriptions: %w", err)
		}
		for _, it := range items {
			var sub Subscription
			if err := platform.DecodeJSON(it, &sub); err != nil {
				return nil, fmt.Errorf("list subscriptions: %w", err)
			}
			out = append(out, sub)
		}
	}
	slices.SortFunc(out, func(a, b Subscription) int { return strings.Compare(a.UserID, b.UserID) })
	return out, nil
}

package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/dflix/dflix/graph/model"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
)

// Billing is what the resolvers need from the subscription service.
type Billing interface {
	CreatePlan(ctx context.Context, req subscription.CreatePlanRequest) (subscription.CreatePlanResponse, error)
	UpdatePlan(ctx context.Context, req subscription.UpdatePlanRequest) (subscription.UpdatePlanResponse, error)
	DeactivatePlan(ctx context.Context, req subscription.DeactivatePlanRequest) (subscription.DeactivatePlanResponse, error)
	ListPlans(ctx context.Context, req subscription.ListPlansRequest) (subscription.ListPlansResponse, error)
	Subscribe(ctx context.Context, req subscription.SubscribeRequest) (subscription.SubscribeResponse, error)
	GetSubscription(ctx context.Context, req subscription.GetSubscriptionRequest) (subscription.GetSubscriptionResponse, error)
	ChangePlan(ctx context.Context, req subscription.ChangePlanRequest) (subscription.ChangePlanResponse, error)
	Cancel(ctx context.Context, req subscription.CancelRequest) (subscription.CancelResponse, error)
	Resume(ctx context.Context, req subscription.ResumeRequest) (subscription.ResumeResponse, error)
	ListInvoices(ctx context.Context, req subscription.ListInvoicesRequest) (subscription.ListInvoicesResponse, error)
	ListSubscriptions(ctx context.Context, req subscription.ListSubscriptionsRequest) (subscription.ListSubscriptionsResponse, error)
	ContinueWatching(ctx context.Context, req subscription.ContinueWatchingRequest) (subscription.ContinueWatchingResponse, error)
	WatchHistory(ctx context.Context, req subscription.WatchHistoryRequest) (subscription.WatchHistoryResponse, error)
}

// billingService returns the subscription service, or UNAVAILABLE without
// one.
func (r *Resolver) billingService() (Billing, error) {
	if r.billing == nil {
		return nil, platform.Errorf(platform.KindUnavailable, "this deployment sells no plans")
	}
	return r.billing, nil
}

// plan finds a plan by id among all plans, inactive ones included (a
// subscriber keeps a deactivated plan).
func (r *Resolver) plan(ctx context.Context, id string) (*subscription.Plan, error) {
	if id == "" {
		return nil, nil
	}
	b, err := r.billingService()
	if err != nil {
		return nil, err
	}
	resp, err := b.ListPlans(ctx, subscription.ListPlansRequest{Caller: caller(ctx), IncludeInactive: true})
	if err != nil {
		return nil, err
	}
	for i := range resp.Plans {
		if resp.Plans[i].ID == id {
			return &resp.Plans[i], nil
		}
	}
	return nil, platform.Errorf(platform.KindNotFound, "plan %s not found", id)
}

// optionalTime is nil for the zero time.
func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// withVideos pairs progress entries with their videos, in one catalog
// call; entries of videos the caller can no longer see are left out. While
// catalog is unavailable the entries come without their videos (the field
// is nullable for that) and the list carries one UNAVAILABLE error: a
// viewer's own history is subscription's, and still worth showing.
func (r *Resolver) withVideos(ctx context.Context, items []subscription.Progress) ([]*model.WatchProgress, []int, error) {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.VideoID
	}
	resp, err := r.catalog.GetVideos(ctx, catalog.GetVideosRequest{Caller: caller(ctx), IDs: ids})
	if platform.Is(err, platform.KindUnavailable) {
		graphql.AddError(ctx, err)
		out := make([]*model.WatchProgress, len(items))
		kept := make([]int, len(items))
		for i, it := range items {
			out[i], kept[i] = &model.WatchProgress{Progress: it}, i
		}
		return out, kept, nil
	}
	if err != nil {
		return nil, nil, err
	}
	videos := make(map[string]*catalog.Video, len(resp.Videos))
	for i := range resp.Videos {
		videos[resp.Videos[i].ID] = &resp.Videos[i]
	}
	var out []*model.WatchProgress
	var kept []int
	for i, it := range items {
		if v := videos[it.VideoID]; v != nil {
			out = append(out, &model.WatchProgress{Progress: it, Video: v})
			kept = append(kept, i)
		}
	}
	return out, kept, nil
}

// firstOr returns *first, or def when it is unset.
func firstOr(first *int, def int) int {
	if first == nil {
		return def
	}
	return *first
}

// afterOr returns *after, or "".
func afterOr(after *string) string {
	if after == nil {
		return ""
	}
	return *after
}

// at returns list[i], or "" past its end.
func at(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return ""
}

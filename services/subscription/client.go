package subscription

import (
	"context"

	"github.com/dflix/dflix/services/platform"
)

var _ API = (*Client)(nil)

// Client is the subscription API over a platform.Invoker: every method is
// a call of the same name on the subscription app, and errors come back
// with the kind and code the service gave them.
type Client struct {
	inv platform.Invoker
}

// NewClient returns a Client that calls the subscription app through inv.
func NewClient(inv platform.Invoker) *Client { return &Client{inv: inv} }

// CreatePlan calls the service's CreatePlan.
func (c *Client) CreatePlan(ctx context.Context, req CreatePlanRequest) (CreatePlanResponse, error) {
	return platform.Call[CreatePlanRequest, CreatePlanResponse](ctx, c.inv, AppID, MethodCreatePlan, req)
}

// UpdatePlan calls the service's UpdatePlan.
func (c *Client) UpdatePlan(ctx context.Context, req UpdatePlanRequest) (UpdatePlanResponse, error) {
	return platform.Call[UpdatePlanRequest, UpdatePlanResponse](ctx, c.inv, AppID, MethodUpdatePlan, req)
}

// DeactivatePlan calls the service's DeactivatePlan.
func (c *Client) DeactivatePlan(ctx context.Context, req DeactivatePlanRequest) (DeactivatePlanResponse, error) {
	return platform.Call[DeactivatePlanRequest, DeactivatePlanResponse](ctx, c.inv, AppID, MethodDeactivatePlan, req)
}

// ListPlans calls the service's ListPlans.
func (c *Client) ListPlans(ctx context.Context, req ListPlansRequest) (ListPlansResponse, error) {
	return platform.Call[ListPlansRequest, ListPlansResponse](ctx, c.inv, AppID, MethodListPlans, req)
}

// Subscribe calls the service's Subscribe.
func (c *Client) Subscribe(ctx context.Context, req SubscribeRequest) (SubscribeResponse, error) {
	return platform.Call[SubscribeRequest, SubscribeResponse](ctx, c.inv, AppID, MethodSubscribe, req)
}

// GetSubscription calls the service's GetSubscription.
func (c *Client) GetSubscription(ctx context.Context, req GetSubscriptionRequest) (GetSubscriptionResponse, error) {
	return platform.Call[GetSubscriptionRequest, GetSubscriptionResponse](ctx, c.inv, AppID, MethodGetSubscription, req)
}

// ChangePlan calls the service's ChangePlan.
func (c *Client) ChangePlan(ctx context.Context, req ChangePlanRequest) (ChangePlanResponse, error) {
	return platform.Call[ChangePlanRequest, ChangePlanResponse](ctx, c.inv, AppID, MethodChangePlan, req)
}

// Cancel calls the service's Cancel.
func (c *Client) Cancel(ctx context.Context, req CancelRequest) (CancelResponse, error) {
	return platform.Call[CancelRequest, CancelResponse](ctx, c.inv, AppID, MethodCancel, req)
}

// Resume calls the service's Resume.
func (c *Client) Resume(ctx context.Context, req ResumeRequest) (ResumeResponse, error) {
	return platform.Call[ResumeRequest, ResumeResponse](ctx, c.inv, AppID, MethodResume, req)
}

// ListInvoices calls the service's ListInvoices.
func (c *Client) ListInvoices(ctx context.Context, req ListInvoicesRequest) (ListInvoicesResponse, error) {
	return platform.Call[ListInvoicesRequest, ListInvoicesResponse](ctx, c.inv, AppID, MethodListInvoices, req)
}

// ListSubscriptions calls the service's ListSubscriptions.
func (c *Client) ListSubscriptions(ctx context.Context, req ListSubscriptionsRequest) (ListSubscriptionsResponse, error) {
	return platform.Call[ListSubscriptionsRequest, ListSubscriptionsResponse](ctx, c.inv, AppID, MethodListSubscriptions, req)
}

// Renew calls the service's Renew.
func (c *Client) Renew(ctx context.Context, req RenewRequest) (RenewResponse, error) {
	return platform.Call[RenewRequest, RenewResponse](ctx, c.inv, AppID, MethodRenew, req)
}

// StartStream calls the service's StartStream.
func (c *Client) StartStream(ctx context.Context, req StartStreamRequest) (StartStreamResponse, error) {
	return platform.Call[StartStreamRequest, StartStreamResponse](ctx, c.inv, AppID, MethodStartStream, req)
}

// RecordProgress calls the service's RecordProgress.
func (c *Client) RecordProgress(ctx context.Context, req RecordProgressRequest) (RecordProgressResponse, error) {
	return platform.Call[RecordProgressRequest, RecordProgressResponse](ctx, c.inv, AppID, MethodRecordProgress, req)
}

// ContinueWatching calls the service's ContinueWatching.
func (c *Client) ContinueWatching(ctx context.Context, req ContinueWatchingRequest) (ContinueWatchingResponse, error) {
	return platform.Call[ContinueWatchingRequest, ContinueWatchingResponse](ctx, c.inv, AppID, MethodContinueWatching, req)
}

// WatchHistory calls the service's WatchHistory.
func (c *Client) WatchHistory(ctx context.Context, req WatchHistoryRequest) (WatchHistoryResponse, error) {
	return platform.Call[WatchHistoryRequest, WatchHistoryResponse](ctx, c.inv, AppID, MethodWatchHistory, req)
}

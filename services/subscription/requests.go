package subscription

import (
	"time"

	"github.com/dflix/dflix/services/platform"
)

// CreatePlanRequest creates a plan (admin).
type CreatePlanRequest struct {
	Caller platform.Caller `json:"caller"`
	Input  PlanInput       `json:"input"`
}

// CreatePlanResponse is the new plan.
type CreatePlanResponse struct {
	Plan Plan `json:"plan"`
}

// UpdatePlanRequest changes a plan (admin); subscribers pay the new price
// from their next period.
type UpdatePlanRequest struct {
	Caller platform.Caller `json:"caller"`
	ID     string          `json:"id"`
	Input  PlanInput       `json:"input"`
}

// UpdatePlanResponse is the changed plan.
type UpdatePlanResponse struct {
	Plan Plan `json:"plan"`
}

// DeactivatePlanRequest stops new subscriptions to a plan (admin); its
// subscribers keep it until they change.
type DeactivatePlanRequest struct {
	Caller platform.Caller `json:"caller"`
	ID     string          `json:"id"`
}

// DeactivatePlanResponse is the deactivated plan.
type DeactivatePlanResponse struct {
	Plan Plan `json:"plan"`
}

// ListPlansRequest lists plans, the inactive ones too with IncludeInactive.
type ListPlansRequest struct {
	Caller          platform.Caller `json:"caller"`
	IncludeInactive bool            `json:"includeInactive"`
}

// ListPlansResponse lists plans by price.
type ListPlansResponse struct {
	Plans []Plan `json:"plans"`
}

// SubscribeRequest subscribes the caller to a plan with a card.
type SubscribeRequest struct {
	Caller platform.Caller `json:"caller"`
	PlanID string          `json:"planId"`
	Card   CardInput       `json:"card"`
}

// SubscribeResponse is the new subscription (TRIALING, or ACTIVE after the
// first charge).
type SubscribeResponse struct {
	Subscription Subscription `json:"subscription"`
}

// GetSubscriptionRequest reads the caller's subscription.
type GetSubscriptionRequest struct {
	Caller platform.Caller `json:"caller"`
}

// GetSubscriptionResponse is the caller's subscription; Found is false
// when there is none.
type GetSubscriptionResponse struct {
	Found        bool         `json:"found"`
	Subscription Subscription `json:"subscription"`
	Plan         Plan         `json:"plan"`
}

// ChangePlanRequest moves the caller to another plan from the next period.
type ChangePlanRequest struct {
	Caller platform.Caller `json:"caller"`
	PlanID string          `json:"planId"`
}

// ChangePlanResponse is the subscription with NextPlanID set.
type ChangePlanResponse struct {
	Subscription Subscription `json:"subscription"`
}

// CancelRequest cancels the caller's subscription at the period's end.
type CancelRequest struct {
	Caller platform.Caller `json:"caller"`
}

// CancelResponse is the CANCELED subscription.
type CancelResponse struct {
	Subscription Subscription `json:"subscription"`
}

// ResumeRequest undoes a cancellation before the period ends.
type ResumeRequest struct {
	Caller platform.Caller `json:"caller"`
}

// ResumeResponse is the resumed subscription.
type ResumeResponse struct {
	Subscription Subscription `json:"subscription"`
}

// ListInvoicesRequest pages the caller's invoices, newest first.
type ListInvoicesRequest struct {
	Caller platform.Caller `json:"caller"`
	First  int             `json:"first"`
	After  string          `json:"after"`
}

// ListInvoicesResponse is one page. Cursors[i] resumes after Invoices[i].
type ListInvoicesResponse struct {
	Invoices   []Invoice `json:"invoices"`
	Cursors    []string  `json:"cursors"`
	EndCursor  string    `json:"endCursor"`
	HasNext    bool      `json:"hasNext"`
	TotalCount int       `json:"totalCount"`
}

// SubscriptionFilter narrows ListSubscriptions; empty fields don't filter.
type SubscriptionFilter struct {
	Status Status `json:"status,omitempty"`
	PlanID string `json:"planId,omitempty"`
}

// ListSubscriptionsRequest pages every subscription (admin), by user id.
type ListSubscriptionsRequest struct {
	Caller platform.Caller    `json:"caller"`
	Filter SubscriptionFilter `json:"filter"`
	First  int                `json:"first"`
	After  string             `json:"after"`
}

// ListSubscriptionsResponse is one page. Cursors[i] resumes after
// Subscriptions[i].
type ListSubscriptionsResponse struct {
	Subscriptions []Subscription `json:"subscriptions"`
	Cursors       []string       `json:"cursors"`
	EndCursor     string         `json:"endCursor"`
	HasNext       bool           `json:"hasNext"`
	TotalCount    int            `json:"totalCount"`
}

// RenewRequest runs the renewal sweep.
type RenewRequest struct{}

// RenewResponse counts what the sweep did.
type RenewResponse struct {
	Renewed   int `json:"renewed"`
	Activated int `json:"activated"` // trials that became ACTIVE
	Failed    int `json:"failed"`    // charges declined (now or still PAST_DUE)
	Expired   int `json:"expired"`
	// Deferred counts the due subscriptions left for the next sweep: the
	// gateway's answer was unknown (KindUnavailable) or the store failed.
	// First charges held by lapsed claims that could not be settled count
	// here too.
	Deferred int `json:"deferred"`
	// Recovered counts the first charges a failed or crashed Subscribe left
	// unrecorded that the sweep sent again, found approved, and turned into
	// the subscription the viewer paid for.
	Recovered int `json:"recovered"`
}

// StartStreamRequest asks to play a video.
type StartStreamRequest struct {
	Caller  platform.Caller `json:"caller"`
	VideoID string          `json:"videoId"`
}

// StartStreamResponse says what the caller may play.
type StartStreamResponse struct {
	// MaxResolution is the highest rendition height allowed (0: no limit,
	// for admins).
	MaxResolution int       `json:"maxResolution"`
	MaxStreams    int       `json:"maxStreams"`
	LiveUntil     time.Time `json:"liveUntil"`
}

// RecordProgressRequest records a position in a video (and keeps its
// stream live). DurationSeconds comes from the catalog, so "finished" can
// be told.
type RecordProgressRequest struct {
	Caller          platform.Caller `json:"caller"`
	VideoID         string          `json:"videoId"`
	PositionSeconds float64         `json:"positionSeconds"`
	DurationSeconds float64         `json:"durationSeconds"`
}

// RecordProgressResponse is the recorded progress.
type RecordProgressResponse struct {
	Progress Progress `json:"progress"`
}

// ContinueWatchingRequest asks for the caller's unfinished videos.
type ContinueWatchingRequest struct {
	Caller platform.Caller `json:"caller"`
	First  int             `json:"first"`
}

// ContinueWatchingResponse lists them, most recent first.
type ContinueWatchingResponse struct {
	Items []Progress `json:"items"`
}

// WatchHistoryRequest pages the caller's history, most recent first.
type WatchHistoryRequest struct {
	Caller platform.Caller `json:"caller"`
	First  int             `json:"first"`
	After  string          `json:"after"`
}

// WatchHistoryResponse is one page. Cursors[i] resumes after Items[i].
type WatchHistoryResponse struct {
	Items      []Progress `json:"items"`
	Cursors    []string   `json:"cursors"`
	EndCursor  string     `json:"endCursor"`
	HasNext    bool       `json:"hasNext"`
	TotalCount int        `json:"totalCount"`
}

package subscription

import (
	"context"
	"time"
)

// AppID is the service's name on the wire (Dapr app id, invoker target).
const AppID = "subscription"

// API is everything the subscription service does. *Service implements it
// in process; Client implements it over a platform.Invoker.
//
// Plan administration and ListSubscriptions are for admins
// (KindUnauthenticated, KindForbidden to others); the rest act on the
// caller's own subscription. Malformed input is KindInvalid, an unknown id
// KindNotFound, an illegal transition KindConflict. A declined payment is
// KindInvalid with Code CodePaymentDeclined.
type API interface {
	CreatePlan(ctx context.Context, req CreatePlanRequest) (CreatePlanResponse, error)
	UpdatePlan(ctx context.Context, req UpdatePlanRequest) (UpdatePlanResponse, error)
	DeactivatePlan(ctx context.Context, req DeactivatePlanRequest) (DeactivatePlanResponse, error)
	// ListPlans returns the active plans (admins may ask for all).
	ListPlans(ctx context.Context, req ListPlansRequest) (ListPlansResponse, error)

	Subscribe(ctx context.Context, req SubscribeRequest) (SubscribeResponse, error)
	GetSubscription(ctx context.Context, req GetSubscriptionRequest) (GetSubscriptionResponse, error)
	// ChangePlan takes effect at the next period.
	ChangePlan(ctx context.Context, req ChangePlanRequest) (ChangePlanResponse, error)
	// Cancel ends the subscription at the end of its period (CANCELED until
	// then, then EXPIRED); Resume undoes it before then.
	Cancel(ctx context.Context, req CancelRequest) (CancelResponse, error)
	Resume(ctx context.Context, req ResumeRequest) (ResumeResponse, error)
	ListInvoices(ctx context.Context, req ListInvoicesRequest) (ListInvoicesResponse, error)
	ListSubscriptions(ctx context.Context, req ListSubscriptionsRequest) (ListSubscriptionsResponse, error)

	// Renew runs the renewal sweep at the service's clock: it charges every
	// due subscription once, retries past-due ones on schedule and expires
	// the rest. It is safe to run concurrently, on several replicas, and
	// again after a crash. The cron binding (Dapr) or a ticker (one
	// process) calls it; it needs no caller.
	Renew(ctx context.Context, req RenewRequest) (RenewResponse, error)

	// StartStream checks the caller's entitlement to play videoID and
	// counts the stream: KindForbidden with CodeSubscriptionRequired
	// without an ACTIVE, TRIALING or (until its period ends) CANCELED
	// subscription; KindConflict with CodeStreamLimitReached when the plan's
	// concurrent streams are all live. Admins are always entitled.
	StartStream(ctx context.Context, req StartStreamRequest) (StartStreamResponse, error)
	// RecordProgress keeps the caller's stream of videoID live and records
	// the position for continue watching.
	RecordProgress(ctx context.Context, req RecordProgressRequest) (RecordProgressResponse, error)
	// ContinueWatching lists the caller's unfinished videos, most recent first.
	ContinueWatching(ctx context.Context, req ContinueWatchingRequest) (ContinueWatchingResponse, error)
	// WatchHistory lists everything the caller watched, most recent first.
	WatchHistory(ctx context.Context, req WatchHistoryRequest) (WatchHistoryResponse, error)
}

// Method names on the wire.
const (
	MethodCreatePlan        = "CreatePlan"
	MethodUpdatePlan        = "UpdatePlan"
	MethodDeactivatePlan    = "DeactivatePlan"
	MethodListPlans         = "ListPlans"
	MethodSubscribe         = "Subscribe"
	MethodGetSubscription   = "GetSubscription"
	MethodChangePlan        = "ChangePlan"
	MethodCancel            = "Cancel"
	MethodResume            = "Resume"
	MethodListInvoices      = "ListInvoices"
	MethodListSubscriptions = "ListSubscriptions"
	MethodRenew             = "Renew"
	MethodStartStream       = "StartStream"
	MethodRecordProgress    = "RecordProgress"
	MethodContinueWatching  = "ContinueWatching"
	MethodWatchHistory      = "WatchHistory"
)

// Error codes that refine kinds for clients (platform.Error.Code).
const (
	CodeSubscriptionRequired = "SUBSCRIPTION_REQUIRED"
	CodeStreamLimitReached   = "STREAM_LIMIT_REACHED"
	CodePaymentDeclined      = "PAYMENT_DECLINED"
)

// Period is how often a plan bills.
type Period string

// The billing periods.
const (
	Monthly Period = "MONTHLY"
	Yearly  Period = "YEARLY"
)

// Plan is what a viewer pays for and what it allows.
type Plan struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// PriceMinor is the price per period in the currency's minor units
	// (cents): integers, never floats, for money.
	PriceMinor int64  `json:"priceMinor"`
	Currency   string `json:"currency"` // ISO 4217, e.g. "USD"
	Period     Period `json:"period"`
	TrialDays  int    `json:"trialDays"`
	// MaxResolution is the highest rendition height the plan plays (480,
	// 720, 1080).
	MaxResolution int       `json:"maxResolution"`
	MaxStreams    int       `json:"maxStreams"`
	Active        bool      `json:"active"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

// PlanInput is what an admin sets on a plan.
type PlanInput struct {
	Name          string `json:"name"`
	Description   string `json:"description"`
	PriceMinor    int64  `json:"priceMinor"`
	Currency      string `json:"currency"`
	Period        Period `json:"period"`
	TrialDays     int    `json:"trialDays"`
	MaxResolution int    `json:"maxResolution"`
	MaxStreams    int    `json:"maxStreams"`
}

// Status is where a subscription is in its life.
type Status string

// The subscription statuses. EXPIRED is final (a new Subscribe starts over).
const (
	Trialing Status = "TRIALING"
	Active   Status = "ACTIVE"
	PastDue  Status = "PAST_DUE"
	Canceled Status = "CANCELED" // ends at CurrentPeriodEnd
	Expired  Status = "EXPIRED"
)

// PaymentMethod is what is kept of a card: the gateway's token, the brand
// and the last four digits. The card number itself is never stored or
// logged.
type PaymentMethod struct {
	Token string `json:"token"`
	Brand string `json:"brand"`
	Last4 string `json:"last4"`
}

// CardInput is a card as a viewer types it; it goes to the gateway to be
// tokenized and nowhere else.
type CardInput struct {
	Number   string `json:"number"`
	ExpMonth int    `json:"expMonth"`
	ExpYear  int    `json:"expYear"`
	CVC      string `json:"cvc"`
}

// Subscription is one viewer's subscription (at most one per viewer).
type Subscription struct {
	UserID string `json:"userId"`
	PlanID string `json:"planId"`
	// NextPlanID is the plan from the next period on (ChangePlan); empty
	// when unchanged.
	NextPlanID         string        `json:"nextPlanId,omitempty"`
	Status             Status        `json:"status"`
	PaymentMethod      PaymentMethod `json:"paymentMethod"`
	CurrentPeriodStart time.Time     `json:"currentPeriodStart"`
	CurrentPeriodEnd   time.Time     `json:"currentPeriodEnd"`
	TrialEnd           time.Time     `json:"trialEnd,omitzero"`
	// FailedAttempts counts the declined charges of the current renewal;
	// NextRetryAt is when a PAST_DUE subscription is charged again.
	FailedAttempts int       `json:"failedAttempts"`
	NextRetryAt    time.Time `json:"nextRetryAt,omitzero"`
	// CanceledFrom is the status a CANCELED subscription had before Cancel
	// (TRIALING or ACTIVE), the one Resume returns it to; empty otherwise.
	CanceledFrom Status    `json:"canceledFrom,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
	Version      int64     `json:"version"`
}

// InvoiceStatus says whether an invoice's charge went through.
type InvoiceStatus string

// The invoice statuses.
const (
	InvoicePaid   InvoiceStatus = "PAID"
	InvoiceFailed InvoiceStatus = "FAILED"
)

// Invoice is one charge attempt.
type Invoice struct {
	ID             string        `json:"id"`
	UserID         string        `json:"userId"`
	PlanID         string        `json:"planId"`
	AmountMinor    int64         `json:"amountMinor"`
	Currency       string        `json:"currency"`
	Status         InvoiceStatus `json:"status"`
	PeriodStart    time.Time     `json:"periodStart"`
	PeriodEnd      time.Time     `json:"periodEnd"`
	ChargeID       string        `json:"chargeId,omitempty"`
	IdempotencyKey string        `json:"idempotencyKey"`
	DeclineReason  string        `json:"declineReason,omitempty"`
	Brand          string        `json:"brand"`
	Last4          string        `json:"last4"`
	CreatedAt      time.Time     `json:"createdAt"`
}

// Progress is where a viewer is in one video.
type Progress struct {
	VideoID         string    `json:"videoId"`
	PositionSeconds float64   `json:"positionSeconds"`
	DurationSeconds float64   `json:"durationSeconds"`
	Finished        bool      `json:"finished"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

package subscription

// Topic is where the subscription service publishes its facts.
const Topic = "billing"

// Event types on Topic: one per transition.
const (
	EventTrialStarted = "subscription.trial-started"
	EventActivated    = "subscription.activated"
	EventRenewed      = "subscription.renewed"
	EventPastDue      = "subscription.past-due"
	EventCanceled     = "subscription.canceled"
	EventResumed      = "subscription.resumed"
	EventPlanChanged  = "subscription.plan-changed"
	EventExpired      = "subscription.expired"
	// EventPlanUpdated: a plan was created, updated or deactivated.
	EventPlanUpdated = "plan.updated"
)

// SubscriptionChanged is the payload of every subscription.* event: the
// whole subscription after the transition (consumers keep the highest
// Version).
type SubscriptionChanged struct {
	Subscription Subscription `json:"subscription"`
}

// PlanChanged is the payload of EventPlanUpdated.
type PlanChanged struct {
	Plan Plan `json:"plan"`
}

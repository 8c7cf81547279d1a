package subscription

import (
	"net/http"

	"github.com/dflix/dflix/services/platform"
)

// NewHandler serves api over HTTP: each method at POST /rpc/<Method> with
// the JSON request as body; errors come back as platform.WireError with the
// status of their kind and their code.
func NewHandler(api API) http.Handler {
	mux := http.NewServeMux()
	platform.Routes(mux, map[string]http.Handler{
		MethodCreatePlan:        platform.Handle(api.CreatePlan),
		MethodUpdatePlan:        platform.Handle(api.UpdatePlan),
		MethodDeactivatePlan:    platform.Handle(api.DeactivatePlan),
		MethodListPlans:         platform.Handle(api.ListPlans),
		MethodSubscribe:         platform.Handle(api.Subscribe),
		MethodGetSubscription:   platform.Handle(api.GetSubscription),
		MethodChangePlan:        platform.Handle(api.ChangePlan),
		MethodCancel:            platform.Handle(api.Cancel),
		MethodResume:            platform.Handle(api.Resume),
		MethodListInvoices:      platform.Handle(api.ListInvoices),
		MethodListSubscriptions: platform.Handle(api.ListSubscriptions),
		MethodRenew:             platform.Handle(api.Renew),
		MethodStartStream:       platform.Handle(api.StartStream),
		MethodRecordProgress:    platform.Handle(api.RecordProgress),
		MethodContinueWatching:  platform.Handle(api.ContinueWatching),
		MethodWatchHistory:      platform.Handle(api.WatchHistory),
	})
	return mux
}

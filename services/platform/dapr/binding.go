package dapr

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	daprc "github.com/dapr/go-sdk/client"
	"github.com/dflix/dflix/services/platform"
)

var _ platform.Binding = (*OutputBinding)(nil)

// statusMark is how bindings.http words a non-2xx status when its
// errorIfNot2XX is on: "received status code 503".
const statusMark = "received status code "

// OutputBinding is a platform.Binding over a Dapr output binding, called
// through the sidecar's gRPC API. Operation, Data and Metadata go to the
// component unchanged, so their meaning is the component's; for
// bindings.http see platform.Binding. It is safe for concurrent use.
type OutputBinding struct {
	sc   *Sidecar
	name string
}

// Binding returns the output binding of the component called name.
func (s *Sidecar) Binding(name string) platform.Binding {
	return &OutputBinding{sc: s, name: name}
}

// InvokeBinding runs one operation of the binding.
//
// Errors: KindInvalid without a binding name or operation;
// KindUnavailable when the sidecar or the binding's target cannot be
// reached, or ctx ends; a non-2xx status of a bindings.http whose
// errorIfNot2XX is on as the status's kind (platform.KindFromStatus);
// KindInternal for anything else the component refuses (an unknown
// binding or operation among them).
func (b *OutputBinding) InvokeBinding(ctx context.Context, req platform.BindingRequest) (platform.BindingResponse, error) {
	if b.name == "" || req.Operation == "" {
		return platform.BindingResponse{}, platform.Errorf(platform.KindInvalid,
			"dapr: binding %q: a binding name and an operation are required", b.name)
	}
	out, err := b.sc.client.InvokeBinding(ctx, &daprc.InvokeBindingRequest{
		Name:      b.name,
		Operation: req.Operation,
		Data:      req.Data,
		Metadata:  req.Metadata,
	})
	if err != nil {
		return platform.BindingResponse{}, fmt.Errorf("dapr: binding %s %s: %w", b.name, req.Operation, classifyBinding(err))
	}
	if out == nil {
		return platform.BindingResponse{Metadata: map[string]string{}}, nil
	}
	md := out.Metadata
	if md == nil {
		md = map[string]string{}
	}
	return platform.BindingResponse{Data: out.Data, Metadata: md}, nil
}

// classifyBinding gives a binding error its kind: a status that
// bindings.http refused (errorIfNot2XX) the kind of that status, else as
// classify does.
func classifyBinding(err error) error {
	text := err.Error()
	if i := strings.Index(text, statusMark); i >= 0 {
		digits := text[i+len(statusMark):]
		if len(digits) >= 3 {
			if code, convErr := strconv.Atoi(digits[:3]); convErr == nil {
				kind := platform.KindFromStatus(code)
				return platform.E(kind, fmt.Sprintf("binding target answered status %d", code), err)
			}
		}
	}
	return classify(err, "")
}

// InputBinding serves the Dapr input binding (such as bindings.cron)
// called name on mux: daprd sends each trigger as POST /<name> (the
// component's "route" metadata can change the path; keep it the default)
// and, when it starts, probes OPTIONS /<name> to learn whether the app
// takes the binding, and never triggers it otherwise. Register it before
// the app serves.
//
// A trigger runs handle with the request's context and answers 200 when it
// returns nil, 500 (logged) when it fails or panics; bindings.cron does not
// retry a failed trigger, it fires again at the next tick. Triggers may
// overlap when handle takes longer than the schedule, so handle must be
// safe for that (and idempotent). Registering a name twice panics, as
// http.ServeMux does.
func (s *Sidecar) InputBinding(mux *http.ServeMux, name string, handle func(ctx context.Context) error) {
	route := "/" + strings.TrimPrefix(name, "/")
	mux.HandleFunc("OPTIONS "+route, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("POST "+route, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		if err := runTrigger(r.Context(), handle); err != nil {
			s.log.ErrorContext(r.Context(), "input binding trigger failed", "binding", name, "err", err)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"error":"trigger failed"}`)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// runTrigger runs handle, turning a panic into an error.
func runTrigger(ctx context.Context, handle func(ctx context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = platform.E(platform.KindInternal, "internal error", fmt.Errorf("input binding handler panicked: %v", p))
		}
	}()
	return handle(ctx)
}

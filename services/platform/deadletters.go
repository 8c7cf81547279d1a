package platform

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Dead letters live with the app whose subscription failed (its own store,
// or the embedded bus). These helpers let one admin API see them all: an app
// serves its DeadLetters over the usual RPC transport, and the edge federates
// the apps' sets under ids prefixed with the app ("catalog/<id>") so that a
// redrive finds its way back.

// The method names of the dead-letter API on the wire.
const (
	MethodListDeadLetters = "ListDeadLetters"
	MethodRedriveDead     = "RedriveDeadLetter"
)

// ListDeadLettersRequest is empty.
type ListDeadLettersRequest struct{}

// ListDeadLettersResponse carries an app's dead letters.
type ListDeadLettersResponse struct {
	DeadLetters []DeadLetter `json:"deadLetters"`
}

// RedriveDeadLetterRequest names one dead letter.
type RedriveDeadLetterRequest struct {
	ID string `json:"id"`
}

// RedriveDeadLetterResponse is empty.
type RedriveDeadLetterResponse struct{}

// DeadLetterRoutes serves d at POST /rpc/ListDeadLetters and
// /rpc/RedriveDeadLetter. Like every service route, it is meant for the
// sidecar's invocation port, not for the public edge.
func DeadLetterRoutes(mux *http.ServeMux, d DeadLetters) {
	Routes(mux, map[string]http.Handler{
		MethodListDeadLetters: Handle(func(ctx context.Context, _ ListDeadLettersRequest) (ListDeadLettersResponse, error) {
			list, err := d.ListDeadLetters(ctx)
			return ListDeadLettersResponse{DeadLetters: list}, err
		}),
		MethodRedriveDead: Handle(func(ctx context.Context, req RedriveDeadLetterRequest) (RedriveDeadLetterResponse, error) {
			return RedriveDeadLetterResponse{}, d.Redrive(ctx, req.ID)
		}),
	})
}

// RemoteDeadLetters is app's DeadLetters reached through inv.
type RemoteDeadLetters struct {
	inv Invoker
	app string
}

var _ DeadLetters = (*RemoteDeadLetters)(nil)

// NewRemoteDeadLetters returns the dead letters that app serves with
// DeadLetterRoutes.
func NewRemoteDeadLetters(inv Invoker, app string) *RemoteDeadLetters {
	return &RemoteDeadLetters{inv: inv, app: app}
}

// ListDeadLetters lists app's dead letters; errors keep the kind app gave.
func (r *RemoteDeadLetters) ListDeadLetters(ctx context.Context) ([]DeadLetter, error) {
	resp, err := Call[ListDeadLettersRequest, ListDeadLettersResponse](ctx, r.inv, r.app, MethodListDeadLetters, ListDeadLettersRequest{})
	return resp.DeadLetters, err
}

// Redrive redrives one of app's dead letters; KindNotFound for an unknown id.
func (r *RemoteDeadLetters) Redrive(ctx context.Context, id string) error {
	_, err := Call[RedriveDeadLetterRequest, RedriveDeadLetterResponse](ctx, r.inv, r.app, MethodRedriveDead, RedriveDeadLetterRequest{ID: id})
	return err
}

// FederatedDeadLetters joins the dead letters of several apps, keyed by app.
// Listed ids are "<app>/<id>"; Redrive takes them back apart.
type FederatedDeadLetters map[string]DeadLetters

var _ DeadLetters = FederatedDeadLetters(nil)

// ListDeadLetters lists every app's dead letters, newest first. An app that
// cannot be reached fails the whole list (KindUnavailable), so an admin never
// mistakes a partial list for the whole.
func (f FederatedDeadLetters) ListDeadLetters(ctx context.Context) ([]DeadLetter, error) {
	var all []DeadLetter
	for _, app := range slices.Sorted(maps.Keys(f)) {
		list, err := f[app].ListDeadLetters(ctx)
		if err != nil {
			return nil, fmt.Errorf("dead letters of %s: %w", app, err)
		}
		for _, d := range list {
			d.ID = app + "/" + d.ID
			all = append(all, d)
		}
	}
	slices.SortStableFunc(all, func(a, b DeadLetter) int { return b.FailedAt.Compare(a.FailedAt) })
	return all, nil
}

// Redrive redrives "<app>/<id>"; KindNotFound when the app or id is unknown.
func (f FederatedDeadLetters) Redrive(ctx context.Context, id string) error {
	app, rest, ok := strings.Cut(id, "/")
	d, known := f[app]
	if !ok || !known || rest == "" {
		return Errorf(KindNotFound, "dead letter %q not found", id)
	}
	if err := d.Redrive(ctx, rest); err != nil {
		return fmt.Errorf("redrive %s: %w", id, err)
	}
	return nil
}

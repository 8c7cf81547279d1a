package subscription

import (
	"context"
	"fmt"
	"slices"

	"github.com/dflix/dflix/services/platform"
)

// maxInvoiceIndex bounds a viewer's invoice index: older invoices stay
// stored but drop out of ListInvoices (decades of monthly renewals and
// their retries fit).
const maxInvoiceIndex = 1000

// invoiceKey is the state key of an invoice; its id is the idempotency key
// of its charge, so an invoice is written at most once (IfAbsent).
func invoiceKey(id string) string { return "invoice/" + id }

// invoiceIndexKey is the state key of a viewer's invoice ids, newest first.
func invoiceIndexKey(userID string) string { return "invoices/" + userID }

// invoiceIndex is a viewer's invoice ids, newest first.
type invoiceIndex struct {
	IDs []string `json:"ids"`
}

// addInvoice adds to b the insert of inv (IfAbsent: a second write of the
// same charge's invoice fails the whole batch with KindConflict) and its
// id at the head of its viewer's index.
func (s *Service) addInvoice(ctx context.Context, b *platform.Batch, inv Invoice) error {
	var idx invoiceIndex
	etag, err := platform.GetJSON(ctx, s.state, invoiceIndexKey(inv.UserID), "", &idx)
	if err != nil && !platform.Is(err, platform.KindNotFound) {
		return fmt.Errorf("invoice index of %s: %w", inv.UserID, err)
	}
	idx.IDs = slices.Insert(slices.DeleteFunc(idx.IDs, func(id string) bool { return id == inv.ID }), 0, inv.ID)
	idx.IDs = idx.IDs[:min(len(idx.IDs), maxInvoiceIndex)]
	b.Set(invoiceKey(inv.ID), inv, "", true)
	b.Set(invoiceIndexKey(inv.UserID), idx, etag, etag == "")
	return nil
}

// ListInvoices pages the caller's invoices, newest first (First: default
// 20, at most 100; After: the EndCursor of the previous page).
//
// Errors: KindUnauthenticated for an anonymous caller; KindInvalid for a
// malformed cursor or one whose invoice is no longer listed; the state's
// kind when it fails.
func (s *Service) ListInvoices(ctx context.Context, req ListInvoicesRequest) (ListInvoicesResponse, error) {
	if err := req.Caller.RequireUser(); err != nil {
		return ListInvoicesResponse{}, op(MethodListInvoices, err)
	}
	var idx invoiceIndex
	_, err := platform.GetJSON(ctx, s.state, invoiceIndexKey(req.Caller.UserID), "", &idx)
	if err != nil && !platform.Is(err, platform.KindNotFound) {
		return ListInvoicesResponse{}, op(MethodListInvoices, err)
	}
	start, err := invoiceStart(idx.IDs, req.After)
	if err != nil {
		return ListInvoicesResponse{}, op(MethodListInvoices, err)
	}
	page := pageFrom(idx.IDs, start, pageSize(req.First, 20, 100), func(id string) string { return id })
	invoices, err := s.readInvoices(ctx, page.items)
	if err != nil {
		return ListInvoicesResponse{}, op(MethodListInvoices, err)
	}
	return ListInvoicesResponse{Invoices: invoices, Cursors: page.cursors, EndCursor: page.end, HasNext: page.hasNext, TotalCount: len(idx.IDs)}, nil
}

// invoiceStart returns where the page after the cursor starts in ids:
// right after the invoice the cursor names.
// Errors: KindInvalid for a malformed cursor or one no longer listed.
func invoiceStart(ids []string, after string) (int, error) {
	id, err := decodeCursor(after)
	if err != nil || id == "" {
		return 0, err
	}
	i := slices.Index(ids, id)
	if i < 0 {
		return 0, invalid("cursor is no longer valid; start again")
	}
	return i + 1, nil
}

// readInvoices reads the invoices with ids, in order, leaving out missing
// ones.
func (s *Service) readInvoices(ctx context.Context, ids []string) ([]Invoice, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = invoiceKey(id)
	}
	items, err := s.state.BulkGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("read invoices: %w", err)
	}
	out := make([]Invoice, 0, len(items))
	for _, it := range items {
		var inv Invoice
		if err := platform.DecodeJSON(it, &inv); err != nil {
			return nil, fmt.Errorf("read invoices: %w", err)
		}
		out = append(out, inv)
	}
	return out, nil
}

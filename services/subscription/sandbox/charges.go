package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// State key prefixes of charges.
const (
	chargePrefix = "sandbox/charge/" // + idempotency key: chargeRecord
	ledgerPrefix = "sandbox/ledger/" // + token: ledger
)

// Request headers of POST /charges and its answer.
const (
	// IdempotencyKeyHeader names the charge; required.
	IdempotencyKeyHeader = "Idempotency-Key"
	// ReplayedHeader is "true" on an answer that repeats a stored charge.
	ReplayedHeader = "Idempotent-Replayed"
)

// Limits of a charge request.
const (
	maxKeyLen         = 255
	maxTokenLen       = 64
	maxDescriptionLen = 1000
	maxAmountMinor    = 1_000_000_000_00
	// maxChargeAttempts bounds the retries of a charge whose write lost a
	// race with another charge of the same token.
	maxChargeAttempts = 64
)

// ChargeRequest is the body of POST /charges.
type ChargeRequest struct {
	Token       string `json:"token"`
	AmountMinor int64  `json:"amountMinor"`
	Currency    string `json:"currency"`
	Description string `json:"description"`
}

// ChargeResponse is the answer to POST /charges.
type ChargeResponse struct {
	ChargeID      string `json:"chargeId"`
	Approved      bool   `json:"approved"`
	DeclineReason string `json:"declineReason"`
}

// Charge is one charge as GET /charges lists it.
type Charge struct {
	ChargeID       string    `json:"chargeId"`
	IdempotencyKey string    `json:"idempotencyKey"`
	Token          string    `json:"token"`
	AmountMinor    int64     `json:"amountMinor"`
	Currency       string    `json:"currency"`
	Description    string    `json:"description"`
	Approved       bool      `json:"approved"`
	DeclineReason  string    `json:"declineReason,omitempty"`
	CreatedAt      time.Time `json:"createdAt"`
}

// ChargeList is the answer to GET /charges.
type ChargeList struct {
	Charges []Charge `json:"charges"`
}

// chargeRecord is the stored outcome of one idempotency key.
type chargeRecord struct {
	Fingerprint string `json:"fingerprint"` // of the request body
	Charge      Charge `json:"charge"`
}

// ledger is the charges of one token, oldest first.
type ledger struct {
	Charges []Charge `json:"charges"`
}

// postCharge serves POST /charges.
func (g *Gateway) postCharge(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get(IdempotencyKeyHeader)
	if err := checkKey(key); err != nil {
		g.fail(w, r, "charge", err)
		return
	}
	var req ChargeRequest
	if err := decodeBody(w, r, &req); err != nil {
		g.fail(w, r, "charge", err)
		return
	}
	req, err := checkCharge(req)
	if err != nil {
		g.fail(w, r, "charge", err)
		return
	}
	ch, replayed, err := g.charge(r.Context(), key, req)
	if err != nil {
		g.fail(w, r, "charge", err)
		return
	}
	if replayed {
		w.Header().Set(ReplayedHeader, "true")
	}
	writeJSON(w, http.StatusOK, ChargeResponse{ChargeID: ch.ChargeID, Approved: ch.Approved, DeclineReason: ch.DeclineReason})
}

// charge returns the charge of key: the stored one (replayed) or a new
// one. Of racing requests with one key exactly one charges; the others
// find its record when their write fails and replay it.
//
// Errors: KindConflict (CodeIdempotencyConflict) when key was used with
// another request; KindNotFound (CodeUnknownToken); KindUnavailable when
// the store fails or the token's charges keep racing.
func (g *Gateway) charge(ctx context.Context, key string, req ChargeRequest) (ch Charge, replayed bool, err error) {
	fp := fingerprint(req)
	for range maxChargeAttempts {
		var prev chargeRecord
		_, err := platform.GetJSON(ctx, g.state, chargePrefix+key, "", &prev)
		switch {
		case err == nil && prev.Fingerprint != fp:
			return Charge{}, false, platform.Coded(platform.KindConflict, CodeIdempotencyConflict,
				"this Idempotency-Key was used with another request", nil)
		case err == nil:
			return prev.Charge, true, nil
		case !platform.Is(err, platform.KindNotFound):
			return Charge{}, false, fmt.Errorf("read charge: %w", err)
		}
		ch, committed, err := g.newCharge(ctx, key, fp, req)
		if err != nil || committed {
			return ch, false, err
		}
	}
	return Charge{}, false, platform.E(platform.KindUnavailable, "too many concurrent charges, retry", nil)
}

// newCharge charges the token once for key and stores the outcome, its
// idempotency record and the token's ledger in one transaction. It
// returns committed false when a concurrent write got in first (the key's
// record or the token's ledger changed): read again and retry.
//
// Errors: KindNotFound (CodeUnknownToken); the store's kind.
func (g *Gateway) newCharge(ctx context.Context, key, fp string, req ChargeRequest) (Charge, bool, error) {
	tok, err := g.token(ctx, req.Token)
	if err != nil {
		return Charge{}, false, err
	}
	led, etag, err := g.ledger(ctx, req.Token)
	if err != nil {
		return Charge{}, false, err
	}
	approved, reason := decide(tok.Class, len(led.Charges))
	ch := Charge{
		ChargeID: "ch_" + randomHex(12), IdempotencyKey: key, Token: req.Token,
		AmountMinor: req.AmountMinor, Currency: req.Currency, Description: req.Description,
		Approved: approved, DeclineReason: reason, CreatedAt: g.clock().UTC(),
	}
	led.Charges = append(led.Charges, ch)
	err = g.commit(ctx, key, chargeRecord{Fingerprint: fp, Charge: ch}, led, etag)
	if platform.Is(err, platform.KindConflict) {
		return Charge{}, false, nil
	}
	if err != nil {
		return Charge{}, false, err
	}
	g.log.InfoContext(ctx, "sandbox: charged", "chargeId", ch.ChargeID, "token", ch.Token,
		"amountMinor", ch.AmountMinor, "currency", ch.Currency, "approved", ch.Approved, "declineReason", ch.DeclineReason)
	return ch, true, nil
}

// ledger reads the charges of token and the ETag to write them back
// with; "" when it has none yet.
func (g *Gateway) ledger(ctx context.Context, token string) (ledger, string, error) {
	var led ledger
	etag, err := platform.GetJSON(ctx, g.state, ledgerPrefix+token, "", &led)
	if platform.Is(err, platform.KindNotFound) {
		return ledger{}, "", nil
	}
	if err != nil {
		return ledger{}, "", fmt.Errorf("read ledger: %w", err)
	}
	return led, etag, nil
}

// commit writes the key's record if it is absent and the ledger if it is
// unchanged since etag.
//
// Errors: KindConflict when either condition fails; the store's kind.
func (g *Gateway) commit(ctx context.Context, key string, rec chargeRecord, led ledger, etag string) error {
	recJSON, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode charge: %w", err)
	}
	ledJSON, err := json.Marshal(led)
	if err != nil {
		return fmt.Errorf("encode ledger: %w", err)
	}
	err = g.state.Transact(ctx, []platform.Op{
		{Key: chargePrefix + key, Value: recJSON, IfAbsent: true},
		{Key: ledgerPrefix + rec.Charge.Token, Value: ledJSON, ETag: etag, IfAbsent: etag == ""},
	})
	if err != nil {
		return fmt.Errorf("store charge: %w", err)
	}
	return nil
}

// listCharges serves GET /charges?token=….
func (g *Gateway) listCharges(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if token == "" {
		g.fail(w, r, "list charges", platform.Coded(platform.KindInvalid, CodeInvalidRequest, "the token query parameter is required", nil))
		return
	}
	if _, err := g.token(r.Context(), token); err != nil {
		g.fail(w, r, "list charges", err)
		return
	}
	led, _, err := g.ledger(r.Context(), token)
	if err != nil {
		g.fail(w, r, "list charges", err)
		return
	}
	if led.Charges == nil {
		led.Charges = []Charge{}
	}
	writeJSON(w, http.StatusOK, ChargeList(led))
}

// checkKey validates an idempotency key: 1 to 255 printable ASCII
// characters without spaces.
//
// Errors: KindInvalid (CodeInvalidRequest).
func checkKey(key string) error {
	if key == "" {
		return platform.Coded(platform.KindInvalid, CodeInvalidRequest, "the Idempotency-Key header is required", nil)
	}
	if len(key) > maxKeyLen || strings.IndexFunc(key, func(c rune) bool { return c < '!' || c > '~' }) >= 0 {
		return platform.Coded(platform.KindInvalid, CodeInvalidRequest,
			fmt.Sprintf("the Idempotency-Key must be 1 to %d printable ASCII characters", maxKeyLen), nil)
	}
	return nil
}

// checkCharge validates a charge request and returns it normalized (the
// currency upper-case).
//
// Errors: KindInvalid (CodeInvalidRequest).
func checkCharge(req ChargeRequest) (ChargeRequest, error) {
	invalid := func(msg string) (ChargeRequest, error) {
		return ChargeRequest{}, platform.Coded(platform.KindInvalid, CodeInvalidRequest, msg, nil)
	}
	req.Currency = strings.ToUpper(req.Currency)
	switch {
	case req.Token == "" || len(req.Token) > maxTokenLen:
		return invalid("a token is required")
	case req.AmountMinor <= 0 || req.AmountMinor > maxAmountMinor:
		return invalid("amountMinor must be positive and at most 10^11")
	case len(req.Currency) != 3 || strings.IndexFunc(req.Currency, func(c rune) bool { return c < 'A' || c > 'Z' }) >= 0:
		return invalid("currency must be a three-letter ISO 4217 code")
	case len(req.Description) > maxDescriptionLen:
		return invalid(fmt.Sprintf("description must be at most %d bytes", maxDescriptionLen))
	}
	return req, nil
}

// fingerprint identifies a request body, so a key reused with another
// body is told apart.
func fingerprint(req ChargeRequest) string {
	data, _ := json.Marshal(req) // a struct of strings and an int cannot fail
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

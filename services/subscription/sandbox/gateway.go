package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// The error codes of an ErrorResponse.
const (
	CodeInvalidCard         = "invalid_card"
	CodeInvalidRequest      = "invalid_request"
	CodeUnknownToken        = "unknown_token"
	CodeIdempotencyConflict = "idempotency_conflict"
	CodeUnavailable         = "unavailable"
	CodeInternal            = "internal"
)

// maxBody bounds a request body.
const maxBody = 64 << 10

// tokenPrefix starts every state key of a token.
const tokenPrefix = "sandbox/token/"

// TokenRequest is the body of POST /tokens.
type TokenRequest struct {
	Number   string `json:"number"`
	ExpMonth int    `json:"expMonth"`
	ExpYear  int    `json:"expYear"`
	CVC      string `json:"cvc"`
}

// TokenResponse is the answer to POST /tokens.
type TokenResponse struct {
	Token string `json:"token"`
	Brand string `json:"brand"`
	Last4 string `json:"last4"`
}

// ErrorResponse is the body of every 4xx and 5xx answer.
type ErrorResponse struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// tokenRecord is what is stored of a token: never the number.
type tokenRecord struct {
	Brand     string    `json:"brand"`
	Last4     string    `json:"last4"`
	Class     class     `json:"class"`
	CreatedAt time.Time `json:"createdAt"`
}

// Gateway is the sandbox payment gateway, an http.Handler serving the API
// of the package documentation. It keeps its tokens and charges in a
// platform.State and is safe for concurrent use, across processes sharing
// the store too.
type Gateway struct {
	state platform.State
	clock platform.Clock
	log   *slog.Logger
	mux   *http.ServeMux
}

// New returns the gateway over state, telling expiry by clock (the wall
// clock when nil) and logging to log (slog.Default() when nil).
func New(state platform.State, clock platform.Clock, log *slog.Logger) *Gateway {
	if clock == nil {
		clock = platform.SystemClock
	}
	if log == nil {
		log = slog.Default()
	}
	g := &Gateway{state: state, clock: clock, log: log, mux: http.NewServeMux()}
	g.mux.HandleFunc("POST /tokens", g.postToken)
	g.mux.HandleFunc("POST /charges", g.postCharge)
	g.mux.HandleFunc("GET /charges", g.listCharges)
	return g
}

// ServeHTTP serves the gateway's API.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mux.ServeHTTP(w, r)
}

// postToken serves POST /tokens.
func (g *Gateway) postToken(w http.ResponseWriter, r *http.Request) {
	var req TokenRequest
	if err := decodeBody(w, r, &req); err != nil {
		g.fail(w, r, "tokenize", err)
		return
	}
	c, err := checkCard(req, g.clock())
	if err != nil {
		g.log.InfoContext(r.Context(), "sandbox: card refused", "reason", err.Error())
		g.fail(w, r, "tokenize", platform.Coded(platform.KindInvalid, CodeInvalidCard, err.Error(), nil))
		return
	}
	token := "tok_" + randomHex(12)
	rec := tokenRecord{Brand: c.brand, Last4: c.last4, Class: c.class, CreatedAt: g.clock().UTC()}
	if err := platform.SetJSON(r.Context(), g.state, tokenPrefix+token, rec, "", true); err != nil {
		g.fail(w, r, "tokenize", fmt.Errorf("store token: %w", err))
		return
	}
	g.log.InfoContext(r.Context(), "sandbox: card tokenized", "token", token, "brand", c.brand, "last4", c.last4)
	writeJSON(w, http.StatusCreated, TokenResponse{Token: token, Brand: c.brand, Last4: c.last4})
}

// token reads the record of a token.
//
// Errors: KindNotFound (CodeUnknownToken) for a token never issued; the
// store's kind otherwise.
func (g *Gateway) token(ctx context.Context, token string) (tokenRecord, error) {
	var rec tokenRecord
	_, err := platform.GetJSON(ctx, g.state, tokenPrefix+token, "unknown token", &rec)
	if platform.Is(err, platform.KindNotFound) {
		return rec, platform.Coded(platform.KindNotFound, CodeUnknownToken, "unknown token", err)
	}
	if err != nil {
		return rec, fmt.Errorf("read token: %w", err)
	}
	return rec, nil
}

// decodeBody decodes a JSON body of at most maxBody bytes into v.
//
// Errors: KindInvalid (CodeInvalidRequest) for a body that is too big or
// not the JSON of v.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(v); err != nil {
		return platform.Coded(platform.KindInvalid, CodeInvalidRequest, "the body is not valid JSON for this request", err)
	}
	return nil
}

// fail answers err: its code, or one from its kind, with the status of
// that code; server-side failures are logged.
func (g *Gateway) fail(w http.ResponseWriter, r *http.Request, op string, err error) {
	kind := platform.KindOf(err)
	status := platform.HTTPStatus(kind)
	code := platform.CodeOf(err)
	switch {
	case code == CodeInvalidCard:
		status = http.StatusPaymentRequired
	case kind == platform.KindUnavailable:
		code = CodeUnavailable
	case code == "" && kind == platform.KindInvalid:
		code = CodeInvalidRequest
	case code == "":
		code = CodeInternal
	}
	if status >= 500 {
		g.log.ErrorContext(r.Context(), "sandbox: request failed", "op", op, "err", err)
	}
	writeJSON(w, status, ErrorResponse{Error: code, Message: platform.PublicMessage(err)})
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a failed write means the client has gone
}

// randomHex returns n random bytes as 2n hex digits.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

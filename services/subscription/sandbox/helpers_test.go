package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/dflix/dflix/services/platform/platformtest"
	"github.com/dflix/dflix/services/subscription/sandbox"
	"github.com/stretchr/testify/require"
)

// now is the test clock: cards expiring in 03/2026 are still valid.
func now() time.Time { return time.Date(2026, time.March, 15, 12, 0, 0, 0, time.UTC) }

// spyState is a platform.State that remembers every key and value ever
// written, so a test can look at everything the gateway stored.
type spyState struct {
	platform.State
	mu      sync.Mutex
	written map[string][]byte
}

func (s *spyState) Transact(ctx context.Context, ops []platform.Op) error {
	err := s.State.Transact(ctx, ops)
	if err == nil {
		s.mu.Lock()
		for _, op := range ops {
			s.written[op.Key] = op.Value
		}
		s.mu.Unlock()
	}
	return err
}

// dump returns every key and value written, as one text.
func (s *spyState) dump() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b bytes.Buffer
	for k, v := range s.written {
		b.WriteString(k + "=" + string(v) + "\n")
	}
	return b.String()
}

// fixture is a gateway over an embedded State, with what it stored and
// logged.
type fixture struct {
	gw    *sandbox.Gateway
	state *spyState
	logs  *platformtest.Buffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := embedded.OpenState(filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	spy := &spyState{State: st, written: map[string][]byte{}}
	logs := &platformtest.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return &fixture{gw: sandbox.New(spy, now, log), state: spy, logs: logs}
}

// do sends one request to the gateway; key, when set, is the
// Idempotency-Key. It returns the status, the body and the headers.
func (f *fixture) do(t *testing.T, method, path, key string, body any) (int, []byte, http.Header) {
	t.Helper()
	var data []byte
	if body != nil {
		var err error
		data, err = json.Marshal(body)
		require.NoError(t, err)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(sandbox.IdempotencyKeyHeader, key)
	}
	rec := httptest.NewRecorder()
	f.gw.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes(), rec.Header()
}

// tokenize tokenizes a valid card with number and returns the answer.
func (f *fixture) tokenize(t *testing.T, number string) sandbox.TokenResponse {
	t.Helper()
	cvc := "123"
	if number[:2] == "34" || number[:2] == "37" {
		cvc = "1234"
	}
	status, body, _ := f.do(t, http.MethodPost, "/tokens", "", sandbox.TokenRequest{Number: number, ExpMonth: 12, ExpYear: 2030, CVC: cvc})
	require.Equal(t, http.StatusCreated, status, "tokenize: %s", body)
	return decode[sandbox.TokenResponse](t, body)
}

// charge charges token 999 EUR minor units under key and returns the
// answer, which must be a 200.
func (f *fixture) charge(t *testing.T, token, key string) sandbox.ChargeResponse {
	t.Helper()
	status, body, _ := f.do(t, http.MethodPost, "/charges", key, sandbox.ChargeRequest{Token: token, AmountMinor: 999, Currency: "EUR", Description: "plan"})
	require.Equal(t, http.StatusOK, status, "charge: %s", body)
	return decode[sandbox.ChargeResponse](t, body)
}

// charges lists the charges of token.
func (f *fixture) charges(t *testing.T, token string) []sandbox.Charge {
	t.Helper()
	status, body, _ := f.do(t, http.MethodGet, "/charges?token="+token, "", nil)
	require.Equal(t, http.StatusOK, status, "list: %s", body)
	return decode[sandbox.ChargeList](t, body).Charges
}

// errorCode decodes the error code of an error answer.
func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	return decode[sandbox.ErrorResponse](t, body).Error
}

// decode unmarshals a JSON answer.
func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(body, &v), "body %s", body)
	return v
}

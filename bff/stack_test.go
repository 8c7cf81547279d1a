package bff_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/bff/media"
	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/dflix/dflix/services/platform/platformtest"
	"github.com/dflix/dflix/services/subscription"
	"github.com/dflix/dflix/services/subscription/gateway"
	"github.com/dflix/dflix/services/subscription/sandbox"
)

// Test accounts.
const (
	adminEmail    = "admin@dflix.test"
	viewerEmail   = "viewer@dflix.test"
	testPassword  = "correct horse battery"
	fastArgonMiB  = 64
	seedVideoYear = 2001
)

// stack is the whole platform in process: auth and catalog services over
// embedded state and bus in a temporary directory, and the BFF in front.
type stack struct {
	t        testing.TB
	auth     *auth.Service
	catalog  *catalog.Service
	calls    *countingCatalog
	keys     *extraKeys
	testKey  testKey // trusted by the BFF besides auth's own keys
	server   *bff.Server
	http     *httptest.Server // nil when requests go straight to the handler
	bus      *embedded.Bus
	blobs    *embedded.Blobs
	billing  *subscription.Service
	poison   *poisonConsumer      // subscribed by the first test that needs one
	logs     *platformtest.Buffer // the BFF's log
	authSkew atomic.Int64         // added to the auth service's clock

	admin, viewer session
	fixture       fixture
}

type session struct {
	id, email, token, refresh string
}

// fixture is catalog content every test may rely on.
type fixture struct {
	category, genre, actor, director string
	video, draft                     string
	plan                             string // viewer and admin subscribe to it
}

type stackOptions struct {
	cfg      bff.Config
	serveTCP bool
	// quiet leaves out the catalog's own subscriptions: one replica does not
	// need its events echoed back, and benchmarks should not measure the
	// background reindexing they cause.
	quiet bool
	// noDeadLetters leaves the BFF without a dead-letter store.
	noDeadLetters bool
}

func newStack(t testing.TB, opts stackOptions) *stack {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	s := &stack{t: t}

	bus, err := embedded.OpenBus(filepath.Join(dir, "bus.db"), embedded.BusOptions{Logger: log})
	require.NoError(t, err)
	s.bus = bus
	authState, err := embedded.OpenState(filepath.Join(dir, "auth.db"))
	require.NoError(t, err)
	catState, err := embedded.OpenState(filepath.Join(dir, "catalog.db"))
	require.NoError(t, err)
	bffState, err := embedded.OpenState(filepath.Join(dir, "bff.db"))
	require.NoError(t, err)
	s.blobs, err = embedded.OpenBlobs(filepath.Join(dir, "blobs"))
	require.NoError(t, err)
	mediaKeys, err := media.LoadKeyRing(ctx, bffState, media.KeyRingConfig{})
	require.NoError(t, err)
	// Cleanups run last-registered first: stop deliveries before closing
	// what the handlers use.
	subState, err := embedded.OpenState(filepath.Join(dir, "subscription.db"))
	require.NoError(t, err)
	sandboxState, err := embedded.OpenState(filepath.Join(dir, "sandbox.db"))
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = authState.Close()
		_ = catState.Close()
		_ = bffState.Close()
		_ = subState.Close()
		_ = sandboxState.Close()
	})

	authClock := func() time.Time { return time.Now().Add(time.Duration(s.authSkew.Load())) }
	s.auth, err = auth.New(auth.Config{Argon2: auth.Argon2Params{MemoryKiB: fastArgonMiB, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}},
		authState, bus, authClock, log)
	require.NoError(t, err)
	s.catalog, err = catalog.New(ctx, catalog.Config{IndexDir: dir}, catState, bus, nil, log)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.catalog.Close() })
	t.Cleanup(func() { _ = bus.Close() })

	payments := gateway.New(embedded.NewHTTPBinding(sandbox.New(sandboxState, nil, log), ""))
	s.billing, err = subscription.New(ctx, subscription.Config{}, subState, bus, payments, nil, log)
	require.NoError(t, err)

	s.calls = newCountingCatalog(s.catalog)
	s.keys = &extraKeys{API: s.auth}
	s.testKey = newTestKey(t, "test-key")
	s.keys.trust(s.testKey)
	s.logs = &platformtest.Buffer{}
	bffLog := slog.New(slog.NewTextHandler(s.logs, nil))
	deps := bff.Deps{Auth: s.keys, Catalog: s.calls, DeadLetters: bus, Logger: bffLog,
		Blobs: s.blobs, State: bffState, Publisher: bus, MediaKeys: mediaKeys, Subscription: s.billing}
	if opts.noDeadLetters {
		deps.DeadLetters = nil
	}
	s.server, err = bff.New(opts.cfg, deps)
	require.NoError(t, err)

	subs := s.server.Subscriptions()
	if !opts.quiet {
		subs = append(subs, s.catalog.Subscriptions()...)
	}
	for _, sub := range subs {
		require.NoError(t, bus.Subscribe(ctx, sub))
	}
	require.NoError(t, bus.Start(ctx))
	if opts.serveTCP {
		s.http = httptest.NewServer(s.server)
		t.Cleanup(s.http.Close)
	}
	s.admin = s.ensureAdmin(adminEmail)
	s.viewer = s.register(viewerEmail)
	s.fixture = s.seedFixture()
	return s
}

func (s *stack) adminCaller() platform.Caller {
	return platform.Caller{UserID: s.admin.id, Role: platform.RoleAdmin}
}

func (s *stack) ensureAdmin(email string) session {
	s.t.Helper()
	ctx := context.Background()
	_, err := s.auth.EnsureAdmin(ctx, auth.EnsureAdminRequest{Email: email, Password: testPassword, DisplayName: "Admin"})
	require.NoError(s.t, err)
	return s.login(email)
}

func (s *stack) register(email string) session {
	s.t.Helper()
	resp, err := s.auth.Register(context.Background(), auth.RegisterRequest{Email: email, Password: testPassword, DisplayName: "Viewer"})
	require.NoError(s.t, err)
	return session{id: resp.Session.User.ID, email: resp.Session.User.Email, token: resp.Session.AccessToken, refresh: resp.Session.RefreshToken}
}

// registerVictim registers a fresh viewer whose token was issued a few
// seconds in the past, so it falls before any revocation's whole-second
// NotBefore from now on.
func (s *stack) registerVictim(prefix string) session {
	s.t.Helper()
	s.authSkew.Store(int64(-5 * time.Second))
	defer s.authSkew.Store(0)
	return s.register(strings.ReplaceAll(unique(prefix), " ", "") + "@dflix.test")
}

func (s *stack) login(email string) session {
	s.t.Helper()
	resp, err := s.auth.Login(context.Background(), auth.LoginRequest{Email: email, Password: testPassword})
	require.NoError(s.t, err)
	return session{id: resp.Session.User.ID, email: resp.Session.User.Email, token: resp.Session.AccessToken, refresh: resp.Session.RefreshToken}
}

var uniq atomic.Int64

// unique returns a name no other call returns.
func unique(prefix string) string {
	return fmt.Sprintf("%s %d", prefix, uniq.Add(1))
}

func (s *stack) seedFixture() fixture {
	s.t.Helper()
	var f fixture
	f.category = s.newCategory()
	f.genre = s.newGenre()
	f.actor = s.newCast(catalog.CastActor)
	f.director = s.newCast(catalog.CastDirector)
	f.video = s.newVideo("The Fixture Movie", true)
	f.draft = s.newVideo("The Draft Movie", false)
	s.markReady(f.video, fixtureMediaID)
	f.plan = s.newPlan("Fixture plan", 1080, 2)
	s.subscribe(platform.Caller{UserID: s.viewer.id, Role: platform.RoleViewer}, f.plan)
	s.subscribe(s.adminCaller(), f.plan)
	return f
}

func (s *stack) newCategory() string {
	s.t.Helper()
	resp, err := s.catalog.CreateCategory(context.Background(), catalog.CreateCategoryRequest{Caller: s.adminCaller(), Name: unique("Category")})
	require.NoError(s.t, err)
	return resp.Category.ID
}

func (s *stack) newGenre() string {
	s.t.Helper()
	resp, err := s.catalog.CreateGenre(context.Background(), catalog.CreateGenreRequest{Caller: s.adminCaller(), Name: unique("Genre")})
	require.NoError(s.t, err)
	return resp.Genre.ID
}

func (s *stack) newCast(typ catalog.CastType) string {
	s.t.Helper()
	resp, err := s.catalog.CreateCastMember(context.Background(), catalog.CreateCastMemberRequest{Caller: s.adminCaller(), Name: unique("Person"), Type: typ})
	require.NoError(s.t, err)
	return resp.CastMember.ID
}

// newVideo creates a video in the fixture's category, genre and cast.
func (s *stack) newVideo(title string, published bool) string {
	s.t.Helper()
	ctx := context.Background()
	f := s.fixture
	in := catalog.VideoInput{
		Title: title, Description: "A video made by the tests.", ReleaseYear: seedVideoYear, DurationSeconds: 5400,
		AgeRating: catalog.RatingPG, Tags: []string{"test"},
	}
	if f.category != "" {
		in.CategoryIDs, in.GenreIDs, in.CastIDs = []string{f.category}, []string{f.genre}, []string{f.actor, f.director}
	}
	resp, err := s.catalog.CreateVideo(ctx, catalog.CreateVideoRequest{Caller: s.adminCaller(), Input: in})
	require.NoError(s.t, err)
	if published {
		_, err = s.catalog.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: s.adminCaller(), ID: resp.Video.ID, Published: true})
		require.NoError(s.t, err)
	}
	return resp.Video.ID
}

// gqlResult is a GraphQL response as a client sees it.
type gqlResult struct {
	status int
	Data   map[string]json.RawMessage `json:"data"`
	Errors []gqlError                 `json:"errors"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// code is the first error's extensions.code, "" without errors.
func (r gqlResult) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// decode unmarshals the whole data object into out.
func (r gqlResult) decode(t testing.TB, out any) {
	t.Helper()
	data, err := json.Marshal(r.Data)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, out))
}

func (r gqlResult) String() string {
	b, _ := json.Marshal(r.Errors)
	return fmt.Sprintf("status %d errors %s", r.status, b)
}

// do sends a GraphQL POST with an optional bearer token (a raw
// Authorization value when it contains a space).
func (s *stack) do(tb testing.TB, token, query string, vars map[string]any) gqlResult {
	tb.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(tb, err)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		if bytes.ContainsRune([]byte(token), ' ') {
			req.Header.Set("Authorization", token)
		} else {
			req.Header.Set("Authorization", "Bearer "+token)
		}
	}
	status, raw := s.send(tb, req)
	res := gqlResult{status: status}
	require.NoError(tb, json.Unmarshal(raw, &res), "body: %s", raw)
	return res
}

// send serves req through the TCP test server when there is one, else
// straight through the handler.
func (s *stack) send(tb testing.TB, req *http.Request) (int, []byte) {
	tb.Helper()
	if s.http == nil {
		rec := httptest.NewRecorder()
		s.server.ServeHTTP(rec, req)
		return rec.Code, rec.Body.Bytes()
	}
	out, err := http.NewRequest(req.Method, s.http.URL+req.URL.RequestURI(), req.Body)
	require.NoError(tb, err)
	out.Header = req.Header
	resp, err := s.http.Client().Do(out)
	require.NoError(tb, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	return resp.StatusCode, raw
}

// countingCatalog counts the calls that reach the catalog; a hook may make
// them fail or panic.
type countingCatalog struct {
	catalog.API
	mu    sync.Mutex
	calls map[string]int
	hook  func(method string) error
}

func newCountingCatalog(api catalog.API) *countingCatalog {
	return &countingCatalog{API: api, calls: map[string]int{}}
}

func (c *countingCatalog) count(method string) error {
	c.mu.Lock()
	c.calls[method]++
	hook := c.hook
	c.mu.Unlock()
	if hook != nil {
		return hook(method)
	}
	return nil
}

func (c *countingCatalog) setHook(hook func(method string) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hook = hook
}

// reset forgets the counts and returns them.
func (c *countingCatalog) reset() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.calls
	c.calls = map[string]int{}
	return out
}

func (c *countingCatalog) GetTaxonomy(ctx context.Context, req catalog.GetTaxonomyRequest) (catalog.GetTaxonomyResponse, error) {
	if err := c.count(catalog.MethodGetTaxonomy); err != nil {
		return catalog.GetTaxonomyResponse{}, err
	}
	return c.API.GetTaxonomy(ctx, req)
}

func (c *countingCatalog) UserTags(ctx context.Context, req catalog.UserTagsRequest) (catalog.UserTagsResponse, error) {
	if err := c.count(catalog.MethodUserTags); err != nil {
		return catalog.UserTagsResponse{}, err
	}
	return c.API.UserTags(ctx, req)
}

func (c *countingCatalog) ListVideos(ctx context.Context, req catalog.ListVideosRequest) (catalog.ListVideosResponse, error) {
	if err := c.count(catalog.MethodListVideos); err != nil {
		return catalog.ListVideosResponse{}, err
	}
	return c.API.ListVideos(ctx, req)
}

func (c *countingCatalog) GetVideo(ctx context.Context, req catalog.GetVideoRequest) (catalog.GetVideoResponse, error) {
	if err := c.count(catalog.MethodGetVideo); err != nil {
		return catalog.GetVideoResponse{}, err
	}
	return c.API.GetVideo(ctx, req)
}

func (c *countingCatalog) GetVideos(ctx context.Context, req catalog.GetVideosRequest) (catalog.GetVideosResponse, error) {
	if err := c.count(catalog.MethodGetVideos); err != nil {
		return catalog.GetVideosResponse{}, err
	}
	return c.API.GetVideos(ctx, req)
}

func (c *countingCatalog) Search(ctx context.Context, req catalog.SearchRequest) (catalog.SearchResponse, error) {
	if err := c.count(catalog.MethodSearch); err != nil {
		return catalog.SearchResponse{}, err
	}
	return c.API.Search(ctx, req)
}

// testCard is the sandbox's always-approve card.
var testCard = subscription.CardInput{Number: sandbox.CardApprove, ExpMonth: 12, ExpYear: 2040, CVC: "123"}

// newPlan creates an active plan without a trial.
func (s *stack) newPlan(name string, maxResolution, maxStreams int) string {
	s.t.Helper()
	resp, err := s.billing.CreatePlan(context.Background(), subscription.CreatePlanRequest{Caller: s.adminCaller(), Input: subscription.PlanInput{
		Name: unique(name), PriceMinor: 999, Currency: "USD", Period: subscription.Monthly, MaxResolution: maxResolution, MaxStreams: maxStreams}})
	require.NoError(s.t, err)
	return resp.Plan.ID
}

// subscribe subscribes the caller to a plan with the test card.
func (s *stack) subscribe(c platform.Caller, planID string) {
	s.t.Helper()
	_, err := s.billing.Subscribe(context.Background(), subscription.SubscribeRequest{Caller: c, PlanID: planID, Card: testCard})
	require.NoError(s.t, err)
}

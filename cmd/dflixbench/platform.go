package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dflix/dflix/demo"
)

// The accounts every run signs in with.
const (
	adminEmail     = "bench-admin@dflix.test"
	adminPassword  = "bench-admin-password"
	viewerPassword = "bench-viewer-password"
)

// Platform is a running dflix, in either mode, with signed-in clients.
type Platform struct {
	Mode   string // "one-process" or "dapr"
	URL    string // the BFF
	Procs  ProcSet
	Proc   *Proc
	Admin  *demo.Client
	Viewer *demo.Client
	// DataDir is the one-process mode's data dir; Run the Dapr mode's copy
	// of the repository's dapr/ folder.
	DataDir string
	RunDir  string
	media   bool // the demo clips are READY
}

// platformEnv is the environment both modes share: the bench admin, the
// demo catalog, JSON logs.
func platformEnv() []string {
	return []string{
		"DFLIX_ADMIN_EMAIL=" + adminEmail,
		"DFLIX_ADMIN_PASSWORD=" + adminPassword,
		"DFLIX_SEED_DEMO=true",
		"DFLIX_LOG_FORMAT=json",
		"DFLIX_LOG_LEVEL=warn",
		"DFLIX_ENCODER_PRESET=ultrafast",
	}
}

// startOneProcess returns the run's one-process platform, starting it on
// first use: dflix --target=all on the run's one data dir, seeded with the
// demo catalog. Sections share it (a start costs seconds that bench-quick
// has not got); it is stopped at the end of the run. With media it makes
// sure every demo clip is uploaded and READY.
func (e *Env) startOneProcess(ctx context.Context, media bool) (*Platform, error) {
	if pl := e.one; pl != nil && !pl.Proc.Exited() {
		if media && !pl.media {
			if _, err := demo.UploadMedia(ctx, demo.MediaConfig{Client: pl.Admin, Dir: filepath.Join(e.Work, "demo-media")}); err != nil {
				return nil, fmt.Errorf("one process: demo media: %w", err)
			}
			if err := pl.waitDemoMedia(ctx, 5*time.Minute); err != nil {
				return nil, err
			}
			pl.media = true
		}
		return pl, nil
	}
	dir := filepath.Join(e.Work, "one-process")
	env := append(platformEnv(), "DFLIX_ADDR=127.0.0.1:0", "DFLIX_DATA_DIR="+dir, fmt.Sprintf("DFLIX_DEMO_MEDIA=%t", media))
	p, err := e.start(ProcSpec{Name: "one-process", Argv: []string{filepath.Join(e.Bin, "dflix"), "--target=all"}, Dir: e.Work, Env: env})
	if err != nil {
		return nil, err
	}
	url, err := p.waitLine(ctx, 3*time.Minute, func(line string) string {
		if rest, ok := strings.CutPrefix(line, "dflix ready at "); ok {
			return strings.TrimSpace(rest)
		}
		return ""
	})
	if err != nil {
		return nil, err
	}
	p.shared = true
	pl := &Platform{Mode: "one-process", URL: url, Proc: p, Procs: p.Set(), DataDir: dir, media: media}
	if err := pl.signIn(ctx); err != nil {
		return nil, err
	}
	if media {
		if err := pl.waitDemoMedia(ctx, 5*time.Minute); err != nil {
			return nil, err
		}
	}
	e.one = pl
	return pl, nil
}

// startDapr returns the run's Dapr-mode platform, starting it on first
// use: every service beside its own daprd with the redis component set
// (cmd/daprrun over a copy of dapr/, so the run's data stays in the scratch
// folder), on a Redis emptied first. Sections share it; a section that
// breaks it (rpc kills catalog) calls dropDapr when done.
func (e *Env) startDapr(ctx context.Context) (*Platform, error) {
	if pl := e.dapr; pl != nil && !pl.Proc.Exited() {
		return pl, nil
	}
	for _, cmd := range []string{"up", "reset"} {
		if _, err := e.script(ctx, "infra.sh", cmd, "redis"); err != nil {
			return nil, err
		}
	}
	repo := filepath.Join(e.Work, "dapr-repo")
	if err := os.MkdirAll(filepath.Join(repo, "dapr"), 0o755); err != nil {
		return nil, err
	}
	for _, link := range []struct{ name, target string }{
		{"bin", e.Bin}, {"components", filepath.Join(e.Root, "components")}, {"scripts", filepath.Join(e.Root, "scripts")},
	} {
		if err := os.Symlink(link.target, filepath.Join(repo, link.name)); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, err
		}
	}
	files, err := filepath.Glob(filepath.Join(e.Root, "dapr", "*.yaml"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(repo, "dapr", filepath.Base(f)), b, 0o644); err != nil {
			return nil, err
		}
	}
	argv := []string{filepath.Join(e.Bin, "daprrun"), "-f", filepath.Join(repo, "dapr", "dapr.yaml"), "-components", "redis",
		"-run-dir", filepath.Join(e.Work, "dapr-run"), "-infra=false", "-keep-going"}
	p, err := e.start(ProcSpec{Name: "dapr", Argv: argv, Dir: repo, Env: platformEnv()})
	if err != nil {
		return nil, err
	}
	if _, err := p.waitLine(ctx, 5*time.Minute, func(line string) string {
		// daprrun prefixes its own lines with its name: "daprrun | ready: ...".
		if name, msg, ok := strings.Cut(line, "|"); ok && strings.TrimSpace(name) == "daprrun" && strings.HasPrefix(strings.TrimSpace(msg), "ready") {
			return "ready"
		}
		return ""
	}); err != nil {
		return nil, err
	}
	p.shared = true
	pl := &Platform{Mode: "dapr", URL: "http://127.0.0.1:8080", Proc: p, Procs: p.Set(), RunDir: repo}
	if err := waitHTTP(ctx, pl.URL+"/readyz", 2*time.Minute); err != nil {
		return nil, err
	}
	if err := pl.signIn(ctx); err != nil {
		return nil, err
	}
	e.dapr = pl
	return pl, nil
}

// dropDapr stops the shared Dapr-mode platform, so the next section that
// wants one starts it afresh.
func (e *Env) dropDapr() {
	if e.dapr != nil {
		e.dapr.Proc.Stop(30 * time.Second)
		e.dapr = nil
	}
}

// signIn signs the admin in and registers a fresh viewer. Auth may still be
// starting: it retries for a while.
func (pl *Platform) signIn(ctx context.Context) error {
	pl.Admin = &demo.Client{BaseURL: pl.URL}
	deadline := time.Now().Add(time.Minute)
	for {
		err := pl.Admin.Login(ctx, adminEmail, adminPassword)
		if err == nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s: admin login: %w", pl.Mode, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	pl.Viewer = &demo.Client{BaseURL: pl.URL}
	email := fmt.Sprintf("viewer-%d@bench.test", time.Now().UnixNano())
	var out struct {
		Register struct{ AccessToken string } `json:"register"`
	}
	if err := pl.Viewer.Do(ctx, `mutation($i: RegisterInput!) { register(input: $i) { accessToken } }`,
		map[string]any{"i": map[string]any{"email": email, "password": viewerPassword, "displayName": "Bench Viewer"}}, &out); err != nil {
		return fmt.Errorf("%s: register a viewer: %w", pl.Mode, err)
	}
	pl.Viewer.Token = out.Register.AccessToken
	return nil
}

// waitDemoMedia waits until every demo clip's video is READY.
func (pl *Platform) waitDemoMedia(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ready, status := 0, ""
		for _, clip := range demo.Clips {
			var out struct {
				VideosByName []struct{ Media *struct{ Status string } } `json:"videosByName"`
			}
			if err := pl.Admin.Do(ctx, `query($t: String!) { videosByName(name: $t, exact: true) { media { status } } }`, map[string]any{"t": clip.Title}, &out); err != nil {
				return err
			}
			if len(out.VideosByName) > 0 && out.VideosByName[0].Media != nil {
				status = out.VideosByName[0].Media.Status
				if status == "FAILED" {
					return fmt.Errorf("demo clip %q failed to encode", clip.Title)
				}
				if status == "READY" {
					ready++
				}
			}
		}
		if ready == len(demo.Clips) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("demo media not READY after %v (%d of %d)", timeout, ready, len(demo.Clips))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// seedWords make the titles and descriptions of the generated videos: the
// same seed gives the same catalog in both modes.
var seedWords = strings.Fields(`space odyssey star galaxy robot planet night city ghost king queen
empire rebel journey love war peace house dream shadow river mountain ocean storm winter summer
heart secret island forest desert fire ice stone silver golden last first lost hidden detective
murder mystery family comedy dragon ninja samurai cowboy pirate treasure time machine future`)

// seedVideos creates and publishes n generated videos through GraphQL as
// the admin, four at a time, spread over the demo's categories, genres and
// cast, so that both modes browse and search the same catalog.
func (pl *Platform) seedVideos(ctx context.Context, n int) error {
	var tax struct {
		Categories  []struct{ ID string } `json:"categories"`
		Genres      []struct{ ID string } `json:"genres"`
		CastMembers []struct{ ID string } `json:"castMembers"`
	}
	if err := pl.Admin.Do(ctx, `{ categories { id } genres { id } castMembers { id } }`, nil, &tax); err != nil {
		return fmt.Errorf("%s: taxonomy: %w", pl.Mode, err)
	}
	if len(tax.Categories) == 0 || len(tax.Genres) == 0 || len(tax.CastMembers) == 0 {
		return fmt.Errorf("%s: the demo taxonomy is empty", pl.Mode)
	}
	r := rand.New(rand.NewPCG(8, 8))
	words := func(k int) string {
		out := make([]string, k)
		for i := range out {
			out[i] = seedWords[r.IntN(len(seedWords))]
		}
		return strings.Join(out, " ")
	}
	ratings := []string{"G", "PG", "PG13", "R"}
	inputs := make([]map[string]any, n)
	for i := range inputs {
		inputs[i] = map[string]any{
			"title":           fmt.Sprintf("%s %d", strings.Title(words(1+r.IntN(3))), i), //nolint:staticcheck // ASCII words
			"description":     words(15 + r.IntN(20)),
			"releaseYear":     1960 + r.IntN(65),
			"durationSeconds": 1200 + r.IntN(6000),
			"ageRating":       ratings[r.IntN(len(ratings))],
			"categoryIds":     []string{tax.Categories[r.IntN(len(tax.Categories))].ID},
			"genreIds":        []string{tax.Genres[r.IntN(len(tax.Genres))].ID, tax.Genres[r.IntN(len(tax.Genres))].ID},
			"castIds":         []string{tax.CastMembers[r.IntN(len(tax.CastMembers))].ID, tax.CastMembers[r.IntN(len(tax.CastMembers))].ID},
			"tags":            []string{seedWords[r.IntN(len(seedWords))]},
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, in := range inputs {
		g.Go(func() error {
			var out struct {
				CreateVideo struct{ ID string } `json:"createVideo"`
			}
			err := pl.Admin.Do(gctx, `mutation($i: CreateVideoInput!) { createVideo(input: $i) { id } }`, map[string]any{"i": in}, &out)
			if err == nil {
				err = pl.Admin.Do(gctx, `mutation($id: ID!) { publishVideo(id: $id) { id } }`, map[string]any{"id": out.CreateVideo.ID}, nil)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("%s: seed %d videos: %w", pl.Mode, n, err)
	}
	return nil
}

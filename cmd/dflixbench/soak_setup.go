package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dflix/dflix/demo"
)

// soakPlan is the demo plan every soak viewer subscribes to: a week's trial
// (so TRIALING, entitled at once), 1080p, and four screens, more than the
// three demo clips a viewer can have live at once.
const soakPlan = "Premium"

// startSoakPlatform starts mode's platform with the demo clips uploaded,
// encoded and READY, the way the media section does (demo.UploadMedia
// through createUpload and tus).
func startSoakPlatform(ctx context.Context, env *Env, mode string) (*Platform, error) {
	switch mode {
	case "one-process":
		return env.startOneProcess(ctx, true)
	case "dapr":
		pl, err := env.startDapr(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := demo.UploadMedia(ctx, demo.MediaConfig{Client: pl.Admin, Dir: filepath.Join(env.Work, "demo-media")}); err != nil {
			return nil, fmt.Errorf("dapr: demo media: %w", err)
		}
		if err := pl.waitDemoMedia(ctx, 5*time.Minute); err != nil {
			return nil, fmt.Errorf("dapr: %w", err)
		}
		pl.media = true
		return pl, nil
	default:
		return nil, fmt.Errorf("unknown mode %q (want one of %v)", mode, soakModes)
	}
}

// playableVideos returns the ids of the demo clips' videos, which are READY.
func playableVideos(ctx context.Context, pl *Platform) ([]string, error) {
	var ids []string
	for _, clip := range demo.Clips {
		var out struct {
			VideosByName []struct {
				ID    string
				Media *struct{ Status string }
			} `json:"videosByName"`
		}
		if err := pl.Admin.Do(ctx, `query($t: String!) { videosByName(name: $t, exact: true) { id media { status } } }`,
			map[string]any{"t": clip.Title}, &out); err != nil {
			return nil, fmt.Errorf("%s: find %q: %w", pl.Mode, clip.Title, err)
		}
		if len(out.VideosByName) == 0 || out.VideosByName[0].Media == nil || out.VideosByName[0].Media.Status != "READY" {
			return nil, fmt.Errorf("%s: demo clip %q is not READY", pl.Mode, clip.Title)
		}
		ids = append(ids, out.VideosByName[0].ID)
	}
	return ids, nil
}

// signUpViewers registers n viewers, each its own account, and subscribes
// each to soakPlan with the sandbox's approving card, four at a time
// (registration hashes a password with argon2id, which is meant to be
// slow). It returns their access tokens, which outlive a soak (15 min).
func signUpViewers(ctx context.Context, pl *Platform, n int) ([]string, error) {
	var plans struct {
		Plans []struct{ ID, Name string } `json:"plans"`
	}
	if err := pl.Admin.Do(ctx, `{ plans { id name } }`, nil, &plans); err != nil {
		return nil, fmt.Errorf("%s: plans: %w", pl.Mode, err)
	}
	planID := ""
	for _, p := range plans.Plans {
		if p.Name == soakPlan {
			planID = p.ID
		}
	}
	if planID == "" {
		return nil, fmt.Errorf("%s: no %s plan among the demo plans", pl.Mode, soakPlan)
	}
	client := newHTTPClient(4)
	tokens := make([]string, n)
	run := time.Now().UnixNano()
	var done atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i := range tokens {
		g.Go(func() error {
			c := &demo.Client{BaseURL: pl.URL, HTTP: client}
			var reg struct {
				Register struct{ AccessToken string } `json:"register"`
			}
			email := fmt.Sprintf("soak-%d-%d@bench.test", run, i)
			if err := c.Do(gctx, `mutation($i: RegisterInput!) { register(input: $i) { accessToken } }`,
				map[string]any{"i": map[string]any{"email": email, "password": viewerPassword, "displayName": fmt.Sprintf("Soak viewer %d", i)}}, &reg); err != nil {
				return fmt.Errorf("register viewer %d: %w", i, err)
			}
			c.Token = reg.Register.AccessToken
			var sub struct {
				Subscribe struct{ Status string } `json:"subscribe"`
			}
			if err := c.Do(gctx, `mutation($p: ID!, $c: CardInput!) { subscribe(planId: $p, paymentMethod: $c) { status } }`,
				map[string]any{"p": planID, "c": map[string]any{"number": "4242424242424242", "expMonth": 12, "expYear": 2035, "cvc": "123"}}, &sub); err != nil {
				return fmt.Errorf("subscribe viewer %d: %w", i, err)
			}
			if s := sub.Subscribe.Status; s != "TRIALING" && s != "ACTIVE" {
				return fmt.Errorf("viewer %d subscribed as %s, not entitled", i, s)
			}
			tokens[i] = c.Token
			done.Add(1)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("%s: sign up viewers (%d of %d done): %w", pl.Mode, done.Load(), n, err)
	}
	return tokens, nil
}

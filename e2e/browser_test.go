package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// browserTimeout bounds the whole browser scenario: npm ci, the clip, the
// upload and encode, and every step of run.mjs.
const browserTimeout = 4 * time.Minute

// TestBrowserScenario drives the web app served by dflix in the system
// Chromium (e2e/browser/run.mjs): an admin creates, publishes and uploads a
// clip and waits for its encode; a viewer signs up, subscribes to Standard
// with the sandbox card, searches for the clip, plays it past 2 s, and finds
// it under "continue watching". Screenshots go to e2e/browser/screenshots/.
func TestBrowserScenario(t *testing.T) {
	requireFFmpeg(t)
	chromium := requireBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	dir := filepath.Join(repoRoot(t), "e2e", "browser")
	npmCI(t, ctx, dir)

	clip := filepath.Join(t.TempDir(), "browser-clip.mp4")
	makeClip(t, clip, "640x360", 3)
	in := start(t, t.TempDir(), "--seed-demo")

	shots := filepath.Join(dir, "screenshots")
	require.NoError(t, os.RemoveAll(shots), "clear the last run's screenshots")
	cmd := exec.CommandContext(ctx, "node", "run.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"BASE_URL="+in.URL,
		"ADMIN_EMAIL="+adminEmail,
		"ADMIN_PASSWORD="+adminPassword,
		"CLIP_PATH="+clip,
		"SHOTS_DIR="+shots,
		"CHROMIUM="+chromium,
	)
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	logScreenshots(t, shots)
	if err == nil {
		t.Logf("run.mjs:\n%s", out)
	} else {
		t.Fatalf("browser scenario failed (%v, context %v):\n%s\ndflix logs (tail):\n%s", err, ctx.Err(), out, tail(in.logs.String(), 40))
	}
}

// requireBrowser returns the Chromium to drive. The browser tests run when
// CI=true or DFLIX_BROWSER_TESTS=1 and are skipped otherwise; once enabled, a
// missing Chromium or node fails the test in CI and skips it elsewhere.
func requireBrowser(t *testing.T) string {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	if !ci && os.Getenv("DFLIX_BROWSER_TESTS") != "1" {
		t.Skip("browser tests run when CI=true or DFLIX_BROWSER_TESTS=1")
	}
	missing := func(format string, args ...any) {
		t.Helper()
		if ci {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missing("%s not found: make test-deps installs it (scripts/infra.sh install chromium): %v", chromium, err)
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing("%s not found: the browser tests need Node.js 18 or later", tool)
		}
	}
	return chromium
}

// npmCI installs e2e/browser's pinned dependencies unless node_modules was
// installed from the current package-lock.json already.
func npmCI(t *testing.T, ctx context.Context, dir string) {
	t.Helper()
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	require.NoError(t, err, "e2e/browser/package-lock.json")
	installed, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	if err == nil && !installed.ModTime().Before(lock.ModTime()) {
		return
	}
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "npm ci in %s:\n%s", dir, out)
}

// logScreenshots lists the screenshots run.mjs left in dir.
func logScreenshots(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Logf("no screenshots: %v", err)
		return
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".png") {
			t.Logf("screenshot: %s", filepath.Join(dir, e.Name()))
		}
	}
}

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBenchQuick runs `make bench-quick`'s driver end to end on this
// machine: every section finishes, every comparison measured both of its
// sides, and the documents render from the figures without a hole. The
// figures themselves are not asserted: speed is for make bench, not tests.
func TestBenchQuick(t *testing.T) {
	root := daprBinaries(t)
	build(t, root, "bin/dflixbench", "./cmd/dflixbench")
	out := t.TempDir()
	cmd := exec.Command(filepath.Join(root, "bin/dflixbench"), "-quick", "-root", root,
		"-out", filepath.Join(out, "results.json"), "-docs", out, "-timeout", "10m")
	cmd.Dir = root
	logs, err := cmd.CombinedOutput()
	require.NoError(t, err, "dflixbench -quick:\n%s", tail(string(logs), 80))

	raw, err := os.ReadFile(filepath.Join(out, "results.json"))
	require.NoError(t, err)
	var res map[string]any
	require.NoError(t, json.Unmarshal(raw, &res))
	assert.Equal(t, "quick", res["mode"])
	assert.Empty(t, res["failed"], "sections that failed")
	for _, section := range []string{"edge", "dapr", "rpcVsMessaging", "search", "encoder", "media"} {
		assert.NotNil(t, res[section], "section %s", section)
	}
	// How long it took is recorded, never asserted: on a busy machine the
	// same run takes twice as long. dflixbench's -timeout bounds it.
	assert.Positive(t, res["seconds"], "the run's duration is recorded")
	comparisons := 0
	walk(res, func(m map[string]any) {
		a, okA := m["a"].(map[string]any)
		b, okB := m["b"].(map[string]any)
		if !okA || !okB {
			return
		}
		comparisons++
		for _, side := range []map[string]any{a, b} {
			s, _ := side["summary"].(map[string]any)
			require.NotNil(t, s, "comparison %v: side %v has no summary", m["name"], side["name"])
			assert.Positive(t, s["rps"], "comparison %v, side %v", m["name"], side["name"])
			assert.Positive(t, s["p99Ms"], "comparison %v, side %v", m["name"], side["name"])
		}
	})
	assert.GreaterOrEqual(t, comparisons, 6, "edge, Dapr and media comparisons")

	for _, doc := range []string{"benchmarks.md", "monolith-vs-microservices.md", "rpc-vs-messaging.md"} {
		b, err := os.ReadFile(filepath.Join(out, doc))
		require.NoError(t, err)
		text := string(b)
		assert.NotContains(t, text, "<no value>", doc)
		assert.NotContains(t, text, "NaN", doc)
		assert.Greater(t, strings.Count(text, "\n"), 20, doc)
	}
}

// walk calls f on every JSON object under v.
func walk(v any, f func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		f(x)
		for _, c := range x {
			walk(c, f)
		}
	case []any:
		for _, c := range x {
			walk(c, f)
		}
	}
}

package kubernetes

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int
	cmd  string   // upper case: FROM, COPY, RUN, ...
	args []string // split on blanks; flags such as --from=build first
}

// stage is one FROM and what follows it.
type stage struct {
	image, name string
	body        []instruction
}

// parseDockerfile reads the instructions of a Dockerfile into its stages;
// comments and parser directives are skipped.
func parseDockerfile(t *testing.T, path string) []stage {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var (
		stages  []stage
		pending string
		start   int
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if pending == "" && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if pending == "" {
			start = n
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending += cont + " "
			continue
		}
		fields := strings.Fields(pending + line)
		pending = ""
		in := instruction{line: start, cmd: strings.ToUpper(fields[0]), args: fields[1:]}
		if in.cmd == "FROM" {
			s := stage{image: in.args[0]}
			if len(in.args) == 3 && strings.EqualFold(in.args[1], "AS") {
				s.name = in.args[2]
			}
			stages = append(stages, s)
			continue
		}
		require.NotEmpty(t, stages, "line %d: %s before FROM", start, in.cmd)
		stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
	}
	require.NoError(t, sc.Err())
	return stages
}

// TestDockerfile checks the Dockerfile's shape, as no Docker engine runs
// here: pinned base images (the Go one at go.mod's version), every COPY
// source present in the build context, the binary built from ./cmd/dflix
// without cgo, and the two final images the manifests run (service on
// distroless static, encoder with ffmpeg), both as the uid the
// Deployments' securityContext expects.
func TestDockerfile(t *testing.T) {
	root := repoRoot(t)
	stages := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	ignored := dockerignore(t, root)
	byName := map[string]stage{}
	for _, s := range stages {
		byName[s.name] = s
	}

	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	require.NotNil(t, goVersion)

	t.Run("pinned images", func(t *testing.T) {
		// A versioned tag or a digest. Distroless publishes no versioned
		// tags: its repository names the Debian release (static-debian12),
		// and only a digest pins it further.
		pinned := regexp.MustCompile(`^([a-z0-9./-]+:[A-Za-z0-9._-]*[0-9][A-Za-z0-9._-]*|[a-z0-9./-]+(:[a-z]+)?@sha256:[0-9a-f]{64}|gcr\.io/distroless/[a-z]+-debian[0-9]+:nonroot)$`)
		for _, s := range stages {
			assert.Regexp(t, pinned, s.image, "stage %s: a versioned tag", s.name)
			assert.NotContains(t, s.image, ":latest")
		}
		assert.True(t, strings.HasPrefix(byName["build"].image, "golang:"+string(goVersion[1])+"-"),
			"the builder is go.mod's Go %s: %s", goVersion[1], byName["build"].image)
	})

	t.Run("copy sources exist", func(t *testing.T) {
		for _, s := range stages {
			for _, in := range s.body {
				if in.cmd != "COPY" || strings.HasPrefix(in.args[0], "--from=") {
					continue
				}
				srcs := in.args[:len(in.args)-1]
				for _, src := range srcs {
					if src == "." {
						continue
					}
					_, err := os.Stat(filepath.Join(root, src))
					assert.NoError(t, err, "line %d: COPY %s", in.line, src)
					assert.False(t, ignored(src), "line %d: COPY %s is in .dockerignore", in.line, src)
				}
			}
		}
	})

	t.Run("binary", func(t *testing.T) {
		build, ok := byName["build"]
		require.True(t, ok, "a build stage")
		var built, static bool
		for _, in := range build.body {
			text := strings.Join(in.args, " ")
			built = built || (in.cmd == "RUN" && strings.Contains(text, "go build") && strings.HasSuffix(text, "./cmd/dflix"))
			static = static || (in.cmd == "ENV" && strings.Contains(text, "CGO_ENABLED=0"))
		}
		assert.True(t, built, "go build ... ./cmd/dflix")
		assert.True(t, static, "CGO_ENABLED=0: distroless static has no libc")
		assert.True(t, ignored("web/node_modules/x") && ignored("data/x") && ignored(".git"), "the context leaves out local state")
	})

	for _, target := range []struct{ name, base, needs string }{
		{"service", "gcr.io/distroless/static-", ""},
		{"encoder", "debian:", "ffmpeg"},
	} {
		t.Run("target "+target.name, func(t *testing.T) {
			s, ok := byName[target.name]
			require.True(t, ok, "a final stage named %s", target.name)
			assert.True(t, strings.HasPrefix(s.image, target.base), s.image)
			var copied, user, entry bool
			var text strings.Builder
			for _, in := range s.body {
				joined := strings.Join(in.args, " ")
				text.WriteString(joined + "\n")
				copied = copied || (in.cmd == "COPY" && joined == "--from=build /out/dflix /usr/local/bin/dflix")
				user = user || (in.cmd == "USER" && joined == "65532:65532")
				entry = entry || (in.cmd == "ENTRYPOINT" && joined == `["/usr/local/bin/dflix"]`)
			}
			assert.True(t, copied && entry, "runs the binary built in stage build")
			assert.True(t, user, "as uid 65532")
			assert.Contains(t, text.String(), target.needs)
		})
	}
	assert.Equal(t, "encoder", stages[len(stages)-1].name, "a plain docker build makes the encoder image, which runs every target")
}

// dockerignore returns a matcher of the context paths .dockerignore leaves
// out (its patterns as path.Match globs on a path or any of its parents).
func dockerignore(t *testing.T, root string) func(string) bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	require.NoError(t, err)
	var patterns []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, strings.TrimSuffix(strings.TrimPrefix(line, "**/"), "/"))
		}
	}
	return func(p string) bool {
		p = strings.TrimSuffix(filepath.ToSlash(filepath.Clean(p)), "/")
		for ; p != "." && p != "/" && p != ""; p = filepath.Dir(p) {
			for _, pat := range patterns {
				if ok, _ := filepath.Match(pat, p); ok {
					return true
				}
				if ok, _ := filepath.Match(pat, filepath.Base(p)); ok && strings.Contains(pat, "*") {
					return true
				}
			}
		}
		return false
	}
}

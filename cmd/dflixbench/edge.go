package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// EdgeResults compare the GraphQL edge of the one-process mode with a plain
// net/http handler answering the same bytes: the ceiling, what the machine
// and the load driver allow with no GraphQL, no auth and no services.
type EdgeResults struct {
	Videos      int          `json:"videos"` // in the catalog the queries ran over
	Comparisons []Comparison `json:"comparisons"`
}

// edgeVideos is how many generated videos join the demo catalog.
func edgeVideos(env *Env) int { return pick(env, 1000, 100) }

func edgeSpec(env *Env, workers int) LoadSpec {
	return LoadSpec{Concurrency: workers, Rounds: pick(env, 5, 2), Duration: pick(env, 4*time.Second, time.Second), Warmup: pick(env, time.Second, 500*time.Millisecond)}
}

func runEdge(ctx context.Context, env *Env, res *Results) error {
	pl, err := env.startOneProcess(ctx, false)
	if err != nil {
		return err
	}
	n := edgeVideos(env)
	if err := seedOnce(ctx, pl, pl.DataDir, n); err != nil {
		return err
	}
	out := &EdgeResults{Videos: n + 36}
	res.Edge = out
	dir := filepath.Join(env.Work, "ceiling")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var files []string
	for _, q := range edgeQueries {
		body, err := answer(ctx, pl.URL, pl.Viewer.Token, q)
		if err != nil {
			return err
		}
		f := filepath.Join(dir, q.Name+".json")
		if err := os.WriteFile(f, body, 0o644); err != nil {
			return err
		}
		files = append(files, q.Name+"="+f)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	ceiling, err := env.start(ProcSpec{Name: "ceiling", Argv: append([]string{self, "ceiling"}, files...), Dir: env.Work})
	if err != nil {
		return err
	}
	ceilURL, err := ceiling.waitLine(ctx, 30*time.Second, func(line string) string {
		if rest, ok := strings.CutPrefix(line, "ceiling ready at "); ok {
			return rest
		}
		return ""
	})
	if err != nil {
		return err
	}
	spec := edgeSpec(env, 8)
	client := newHTTPClient(spec.Concurrency)
	for _, q := range edgeQueries {
		a := graphqlTarget("net/http ceiling", ceilURL, pl.Viewer.Token, q, ceiling.Set(), client)
		b := graphqlTarget("dflix --target=all", pl.URL, pl.Viewer.Token, q, pl.Procs, client)
		c, err := compare(ctx, q.Name, spec, a, b)
		if err != nil {
			return err
		}
		out.Comparisons = append(out.Comparisons, c)
	}
	return nil
}

// serveCeiling is `dflixbench ceiling NAME=FILE...`: a plain net/http
// server that answers POST /graphql with the bytes of the file whose name
// the query mentions ("search" or else the first), having read the body as
// any handler must.
func serveCeiling(args []string) int {
	answers := map[string][]byte{}
	var first []byte
	for _, a := range args {
		name, file, ok := strings.Cut(a, "=")
		if !ok {
			fmt.Fprintln(os.Stderr, "ceiling: want NAME=FILE, got", a)
			return 2
		}
		b, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ceiling:", err)
			return 1
		}
		answers[name] = b
		if first == nil {
			first = b
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /graphql", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out := first
		if b, ok := answers["search"]; ok && strings.Contains(string(body), "search(") {
			out = b
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		return 1
	}
	fmt.Printf("ceiling ready at http://%s\n", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		return 1
	}
	return 0
}

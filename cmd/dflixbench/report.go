package main

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"text/template"
)

// The documents the run writes, each from templates/<name>.tmpl, which
// defines a template of the document's name; the section templates
// (templates/<section>.tmpl) define one template per section.
var documents = []string{"benchmarks.md", "monolith-vs-microservices.md", "rpc-vs-messaging.md"}

//go:embed templates/*.tmpl
var templateFiles embed.FS

// templateFuncs are the helpers the templates may use.
var templateFuncs = template.FuncMap{
	// f formats a float with n decimals.
	"f": func(n int, x float64) string { return fmt.Sprintf("%.*f", n, x) },
	// times formats a ratio as "1.23×".
	"times": func(x float64) string { return fmt.Sprintf("%.2f×", x) },
	// pct formats a ratio as the percent it adds or saves: 1.25 → "+25%".
	"pct": func(x float64) string { return fmt.Sprintf("%+.0f%%", (x-1)*100) },
	"sub": func(a, b float64) float64 { return a - b },
	"mul": func(a, b float64) float64 { return a * b },
	"div": func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	},
	"join": strings.Join,
}

func writeDocs(dir string, res *Results) error {
	t, err := template.New("docs").Funcs(templateFuncs).ParseFS(templateFiles, "templates/*.tmpl")
	if err != nil {
		return fmt.Errorf("templates: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range documents {
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, res); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Machine is what the figures were measured on.
type Machine struct {
	CPU     string  `json:"cpu"`
	Cores   int     `json:"cores"`
	MemGiB  float64 `json:"memGiB"`
	Kernel  string  `json:"kernel"`
	OS      string  `json:"os"`
	GOOS    string  `json:"goos"`
	GOARCH  string  `json:"goarch"`
	Version string  `json:"go"`
}

func readMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, Version: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %f kB", &kb); err == nil {
			m.MemGiB = round1(kb / 1024 / 1024)
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	return m
}

// readVersions asks each tool the run uses for its version; a tool that is
// missing is left out (the section that needs it installs it or fails).
func readVersions(ctx context.Context, env *Env) map[string]string {
	v := map[string]string{}
	try := func(name string, argv ...string) {
		out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
		if err != nil {
			return
		}
		line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		v[name] = line
	}
	try("dflix", "git", "-C", env.Root, "describe", "--always", "--dirty")
	if daprd, err := env.script(ctx, "daprd.sh"); err == nil && strings.TrimSpace(daprd) != "" {
		try("daprd", strings.TrimSpace(daprd), "--version")
	}
	try("ffmpeg", "ffmpeg", "-hide_banner", "-version")
	try("redis", "redis-server", "--version")
	try("nginx", "nginx", "-v")
	try("postgresql", "psql", "--version")
	return v
}

// renderCommand rewrites the documents from a results file without running
// anything (`dflixbench render`): for a template fixed after a run.
func renderCommand(args []string) error {
	fs := flag.NewFlagSet("dflixbench render", flag.ContinueOnError)
	in := fs.String("in", "bench/results.json", "the results to render")
	docs := fs.String("docs", "docs", "folder the documents are written to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	raw, err := os.ReadFile(*in)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	var res Results
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("render: %s: %w", *in, err)
	}
	return writeDocs(*docs, &res)
}

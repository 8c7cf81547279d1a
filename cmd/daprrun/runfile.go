package main

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// runFile is the part of the dapr CLI's multi-app run file (version 1) that
// daprrun understands. Fields it does not know are ignored, as the CLI would
// use them for things daprrun does not do (containers, log files).
type runFile struct {
	Version int       `yaml:"version"`
	Common  sharedRun `yaml:"common"`
	Apps    []appRun  `yaml:"apps"`
}

// sharedRun holds the settings that common may give every app.
type sharedRun struct {
	ResourcesPaths         []string          `yaml:"resourcesPaths"`
	ResourcesPath          string            `yaml:"resourcesPath"`
	ConfigFilePath         string            `yaml:"configFilePath"`
	AppProtocol            string            `yaml:"appProtocol"`
	LogLevel               string            `yaml:"logLevel"`
	EnableAPILogging       bool              `yaml:"enableApiLogging"`
	EnableAppHealthCheck   bool              `yaml:"enableAppHealthCheck"`
	AppHealthCheckPath     string            `yaml:"appHealthCheckPath"`
	AppHealthProbeInterval int               `yaml:"appHealthProbeInterval"`
	AppHealthProbeTimeout  int               `yaml:"appHealthProbeTimeout"`
	AppHealthThreshold     int               `yaml:"appHealthThreshold"`
	Env                    map[string]string `yaml:"env"`
}

// appRun is one app of the run file.
type appRun struct {
	sharedRun            `yaml:",inline"`
	AppID                string   `yaml:"appID"`
	AppDirPath           string   `yaml:"appDirPath"`
	AppPort              int      `yaml:"appPort"`
	AppChannelAddress    string   `yaml:"appChannelAddress"`
	DaprHTTPPort         int      `yaml:"daprHTTPPort"`
	DaprGRPCPort         int      `yaml:"daprGRPCPort"`
	DaprInternalGRPCPort int      `yaml:"daprInternalGRPCPort"`
	MetricsPort          int      `yaml:"metricsPort"`
	Command              []string `yaml:"command"`
}

// app is one app ready to start: every path absolute, common merged in.
type app struct {
	ID              string
	Name            string // unique in the run file: the app id, "-2", "-3"... for replicas
	Dir             string
	Command         []string
	Env             map[string]string
	Port            int
	ChannelAddress  string
	Protocol        string
	HTTPPort        int
	GRPCPort        int
	InternalPort    int
	MetricsPort     int
	Resources       []string
	Config          string
	LogLevel        string
	APILogging      bool
	Health          bool
	HealthPath      string
	HealthInterval  int
	HealthTimeout   int
	HealthThreshold int
}

// loadRunFile reads a run file and resolves it into apps, as the dapr CLI
// does: common paths are relative to the file, an app's paths to its
// appDirPath, and an app's own settings win over common's.
func loadRunFile(path string) ([]app, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rf runFile
	if err := yaml.Unmarshal(data, &rf); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if rf.Version != 1 {
		return nil, fmt.Errorf("%s: version %d, want 1", path, rf.Version)
	}
	if len(rf.Apps) == 0 {
		return nil, fmt.Errorf("%s: no apps", path)
	}
	base, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	apps := make([]app, 0, len(rf.Apps))
	for i, a := range rf.Apps {
		r, err := resolveApp(base, rf.Common, a)
		if err != nil {
			return nil, fmt.Errorf("%s: app %d: %w", path, i, err)
		}
		apps = append(apps, r)
	}
	nameReplicas(apps)
	return apps, checkPorts(apps)
}

// nameReplicas gives every app its display name: the first app with an app
// id is called by the id, later ones (replicas of it, each beside its own
// sidecar) by the id and their number among them: bff, bff-2, bff-3.
func nameReplicas(apps []app) {
	taken := map[string]bool{}
	for _, a := range apps {
		taken[a.ID] = true
	}
	seen := map[string]int{}
	for i := range apps {
		id := apps[i].ID
		seen[id]++
		if seen[id] == 1 {
			apps[i].Name = id
			continue
		}
		n := seen[id]
		for taken[fmt.Sprintf("%s-%d", id, n)] {
			n++
		}
		apps[i].Name = fmt.Sprintf("%s-%d", id, n)
		taken[apps[i].Name] = true
	}
}

func resolveApp(base string, common sharedRun, a appRun) (app, error) {
	if a.AppDirPath == "" {
		return app{}, errors.New("appDirPath is required")
	}
	dir := absFrom(base, a.AppDirPath)
	id := a.AppID
	if id == "" {
		id = filepath.Base(dir)
	}
	if len(a.Command) == 0 {
		return app{}, fmt.Errorf("app %s: command is required", id)
	}
	cmd := slices.Clone(a.Command)
	if strings.ContainsRune(cmd[0], '/') {
		cmd[0] = absFrom(dir, cmd[0])
	}
	r := app{
		ID:              id,
		Dir:             dir,
		Command:         cmd,
		Env:             map[string]string{},
		Port:            a.AppPort,
		ChannelAddress:  or(a.AppChannelAddress, "127.0.0.1"),
		Protocol:        or(a.AppProtocol, common.AppProtocol, "http"),
		HTTPPort:        a.DaprHTTPPort,
		GRPCPort:        a.DaprGRPCPort,
		InternalPort:    a.DaprInternalGRPCPort,
		MetricsPort:     a.MetricsPort,
		LogLevel:        or(a.LogLevel, common.LogLevel, "info"),
		APILogging:      a.EnableAPILogging || common.EnableAPILogging,
		Health:          a.EnableAppHealthCheck || common.EnableAppHealthCheck,
		HealthPath:      or(a.AppHealthCheckPath, common.AppHealthCheckPath),
		HealthInterval:  orInt(a.AppHealthProbeInterval, common.AppHealthProbeInterval),
		HealthTimeout:   orInt(a.AppHealthProbeTimeout, common.AppHealthProbeTimeout),
		HealthThreshold: orInt(a.AppHealthThreshold, common.AppHealthThreshold),
	}
	maps.Copy(r.Env, common.Env)
	maps.Copy(r.Env, a.Env)
	switch {
	case len(a.ResourcesPaths) > 0 || a.ResourcesPath != "":
		r.Resources = absAll(dir, append(slices.Clone(a.ResourcesPaths), nonEmpty(a.ResourcesPath)...))
	default:
		r.Resources = absAll(base, append(slices.Clone(common.ResourcesPaths), nonEmpty(common.ResourcesPath)...))
	}
	switch {
	case a.ConfigFilePath != "":
		r.Config = absFrom(dir, a.ConfigFilePath)
	case common.ConfigFilePath != "":
		r.Config = absFrom(base, common.ConfigFilePath)
	}
	for name, p := range map[string]int{"appPort": r.Port, "daprHTTPPort": r.HTTPPort, "daprGRPCPort": r.GRPCPort} {
		if p <= 0 {
			return app{}, fmt.Errorf("app %s: %s is required (daprrun assigns no ports)", id, name)
		}
	}
	return r, nil
}

// checkPorts fails when two apps or sidecars would listen on one port.
func checkPorts(apps []app) error {
	seen := map[int]string{}
	for _, a := range apps {
		for what, p := range map[string]int{
			"app": a.Port, "HTTP": a.HTTPPort, "gRPC": a.GRPCPort,
			"internal gRPC": a.InternalPort, "metrics": a.MetricsPort,
		} {
			if p <= 0 {
				continue
			}
			who := a.Name + " " + what
			if other, ok := seen[p]; ok {
				return fmt.Errorf("port %d is both %s and %s", p, other, who)
			}
			seen[p] = who
		}
	}
	return nil
}

// withComponents points every resources path that is a set under a
// components/ folder at the set named set instead. An empty set changes
// nothing.
func withComponents(apps []app, set string) ([]app, error) {
	if set == "" {
		return apps, nil
	}
	out := slices.Clone(apps)
	for i := range out {
		res := slices.Clone(out[i].Resources)
		for j, p := range res {
			parent := filepath.Dir(p)
			if filepath.Base(parent) != "components" {
				continue
			}
			res[j] = filepath.Join(parent, set)
			if st, err := os.Stat(res[j]); err != nil || !st.IsDir() {
				return nil, fmt.Errorf("no component set %q: %s is not a folder", set, res[j])
			}
		}
		out[i].Resources = res
	}
	return out, nil
}

// selectApps keeps the apps named in names (comma-separated display names:
// the app id, or bff-2 for a second bff); empty keeps all.
func selectApps(apps []app, names string) ([]app, error) {
	if strings.TrimSpace(names) == "" {
		return apps, nil
	}
	var out []app
	for _, name := range strings.Split(names, ",") {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(apps, func(a app) bool { return a.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("no app %q in the run file", name)
		}
		out = append(out, apps[i])
	}
	return out, nil
}

func absFrom(base, p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[2:])
		}
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(base, p)
}

func absAll(base string, ps []string) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, absFrom(base, p))
	}
	return out
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func or(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func orInt(vs ...int) int {
	for _, v := range vs {
		if v != 0 {
			return v
		}
	}
	return 0
}

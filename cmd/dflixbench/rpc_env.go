package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/dflix/dflix/services/catalog"
)

// What the rpc section ran on: the Dapr settings that shape failures, the
// processes of the platform and the rest of the machine.

// RPCConfig is what the run's Dapr files said about failures, read from
// the files the sidecars loaded, so that the documents quote what ran.
type RPCConfig struct {
	InvokeTimeout        string `json:"invokeTimeout"`
	DeliverTimeout       string `json:"deliverTimeout"`
	DeliverRetries       int    `json:"deliverRetries"`
	DeliverRetryInterval string `json:"deliverRetryInterval"` // constant policy
	DeliverRetryPolicy   string `json:"deliverRetryPolicy"`
	DeliverRetryMax      string `json:"deliverRetryMaxInterval"` // exponential policy
	BreakerTrip          string `json:"appBreakerTrip"`
	BreakerOpenFor       string `json:"appBreakerOpenFor"`
	HealthProbeInterval  string `json:"appHealthProbeIntervalSeconds"`
	HealthThreshold      string `json:"appHealthThreshold"`
	ProcessingTimeout    string `json:"pubsubProcessingTimeout"`
}

// RPCLoad is what else ran on the machine.
type RPCLoad struct {
	Seconds        float64 `json:"seconds"`
	OtherBusyCores float64 `json:"otherBusyCores"`
	LoadAvgBefore  float64 `json:"loadAvgBefore"`
	LoadAvgAfter   float64 `json:"loadAvgAfter"`
}

// readRPCConfig reads the failure settings the sidecars ran with: the
// resiliency policy of the component set and catalog's sidecar flags. A
// setting it cannot find stays empty.
func readRPCConfig(pl *Platform) RPCConfig {
	var c RPCConfig
	var r struct {
		Spec struct {
			Policies struct {
				Timeouts map[string]string `yaml:"timeouts"`
				Retries  map[string]struct {
					Policy      string `yaml:"policy"`
					Duration    string `yaml:"duration"`
					MaxInterval string `yaml:"maxInterval"`
					MaxRetries  int    `yaml:"maxRetries"`
				} `yaml:"retries"`
				CircuitBreakers map[string]struct {
					Timeout string `yaml:"timeout"`
					Trip    string `yaml:"trip"`
				} `yaml:"circuitBreakers"`
			} `yaml:"policies"`
		} `yaml:"spec"`
	}
	if raw, err := os.ReadFile(filepath.Join(pl.RunDir, "components", "redis", "resiliency.yaml")); err == nil && yaml.Unmarshal(raw, &r) == nil {
		p := r.Spec.Policies
		c.InvokeTimeout, c.DeliverTimeout = p.Timeouts["invoke"], p.Timeouts["deliver"]
		d := p.Retries["deliver"]
		c.DeliverRetries, c.DeliverRetryInterval, c.DeliverRetryPolicy, c.DeliverRetryMax = d.MaxRetries, d.Duration, d.Policy, d.MaxInterval
		c.BreakerTrip, c.BreakerOpenFor = p.CircuitBreakers["app"].Trip, p.CircuitBreakers["app"].Timeout
	}
	c.ProcessingTimeout = componentMeta(filepath.Join(pl.RunDir, "components", "redis", "pubsub.yaml"), "processingTimeout")
	for _, pid := range pl.Procs.PIDs() {
		args := procArgs(pid)
		if !slices.Contains(args, "--app-id") || flagValue(args, "--app-id") != catalog.AppID {
			continue
		}
		c.HealthProbeInterval, c.HealthThreshold = flagValue(args, "--app-health-probe-interval"), flagValue(args, "--app-health-threshold")
	}
	return c
}

// procArgs is the command line of pid.
func procArgs(pid int) []string {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
}

// flagValue is the value after name in args ("--name value" or
// "--name=value").
func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

// componentMeta is the value of the metadata item name of a Dapr component
// file; empty when there is none.
func componentMeta(path, name string) string {
	var comp struct {
		Spec struct {
			Metadata []struct{ Name, Value string } `yaml:"metadata"`
		} `yaml:"spec"`
	}
	raw, err := os.ReadFile(path)
	if err != nil || yaml.Unmarshal(raw, &comp) != nil {
		return ""
	}
	for _, m := range comp.Spec.Metadata {
		if m.Name == name {
			return m.Value
		}
	}
	return ""
}

// startLoad notes the machine's and the platform's CPU; the function it
// returns says how busy the rest of the machine was since.
func (b *rpcBench) startLoad() func() RPCLoad {
	ours := func() float64 {
		self, _ := readStat(os.Getpid())
		return b.pl.Procs.Usage().CPUSeconds + b.redis.Usage().CPUSeconds + float64(self.utime+self.stime)/clockTicks
	}
	began, busy0, ours0, avg0 := time.Now(), machineBusySeconds(), ours(), loadAverage()
	return func() RPCLoad {
		secs := time.Since(began).Seconds()
		others := (machineBusySeconds() - busy0) - (ours() - ours0)
		return RPCLoad{Seconds: round1(secs), OtherBusyCores: round3(max(others, 0) / secs), LoadAvgBefore: avg0, LoadAvgAfter: loadAverage()}
	}
}

// loadAverage is the one-minute load average.
func loadAverage() float64 {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// DeliverRetryText says how catalog's sidecar retried a delivery, as the
// documents quote it: "4 times, 1s apart" or "8 times, backing off
// exponentially to at most 15s apart".
func (c RPCConfig) DeliverRetryText() string {
	if c.DeliverRetryPolicy == "exponential" {
		return fmt.Sprintf("%d times, backing off exponentially to at most %s apart", c.DeliverRetries, c.DeliverRetryMax)
	}
	return fmt.Sprintf("%d times, %s apart", c.DeliverRetries, c.DeliverRetryInterval)
}

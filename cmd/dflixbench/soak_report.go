package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// printSoak writes a summary of res for a person: per mode the verdict,
// requests and latency by kind and group, errors by code and the memory
// window.
func printSoak(w io.Writer, res *SoakResults) {
	s := res.Spec
	fmt.Fprintf(w, "\nsoak: %d viewers for %.0fs per mode, pauses %.1f-%.1fs, memory window the last %.0fs (growth limit %.0f%%), %d seeded videos; %s, %d cores\n",
		s.Viewers, s.Seconds, s.ThinkMinS, s.ThinkMaxS, s.WindowS, s.GrowthLimitPct, s.Videos, res.Machine.CPU, res.Machine.Cores)
	for _, m := range res.Modes {
		verdict := "PASS"
		if !m.Passed {
			verdict = "FAIL: " + strings.Join(m.Problems, "; ")
		}
		fmt.Fprintf(w, "\n== %s: %s\n", m.Mode, verdict)
		fmt.Fprintf(w, "%d requests in %.0fs (%.1f req/s), %d sessions, %d processes; 5xx %d, failures %d, errors by code %s\n",
			m.Requests, m.Seconds, m.RPS, m.Sessions, m.Processes, m.Status5xx, m.Failures, codes(m.ErrorsByCode))
		fmt.Fprintf(w, "cores busy on average: %.2f the platform, %.2f the load driver, %.2f other work on the machine (of %d)\n",
			m.PlatformCores, m.DriverCores, m.OtherCores, res.Machine.Cores)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "kind\trequests\treq/s\terrors\tfailures\tp50 ms\tp95 ms\tp99 ms\tmax ms\t")
		row := func(name string, k KindStats) {
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t\n", name, k.Requests, k.RPS, k.Errors, k.Failures,
				k.Latency.P50Ms, k.Latency.P95Ms, k.Latency.P99Ms, k.Latency.MaxMs)
		}
		for _, k := range slices.Sorted(maps.Keys(m.Kinds)) {
			row(k, m.Kinds[k])
		}
		for _, g := range soakGroups {
			row("["+g.name+"]", m.Groups[g.name])
		}
		row("[all]", m.Overall)
		_ = tw.Flush()
		fmt.Fprint(w, "p99 ms by 10s:")
		for _, b := range m.Timeline {
			fmt.Fprintf(w, " %.0f", b.P99Ms)
		}
		fmt.Fprintln(w)
		mem := m.Memory
		fmt.Fprintf(w, "RSS of the process tree, 10 s averages: %.1f MiB at %.0fs (window start), %.1f at the end: %+.1f%% (judged); max %.1f in the window (%+.1f%%)\n",
			mem.SmoothStartMiB, mem.WindowStartS, mem.SmoothEndMiB, mem.GrowthPct, mem.SmoothMaxMiB, mem.PeakGrowthPct)
		fmt.Fprintf(w, "  samples: %.1f MiB at the load's start, %.1f at the window start, max %.1f in the window (%+.1f%%), %.1f at the end; fds %d→%d max, threads %d→%d max\n",
			mem.FirstMiB, mem.StartMiB, mem.MaxMiB, mem.RawGrowthPct, mem.EndMiB, mem.FDsStart, mem.FDsMax, mem.ThreadsStart, mem.ThreadsMax)
		fmt.Fprintf(w, "  of which anonymous (heaps, stacks) %.1f → max %.1f MiB, mapped files %.1f → max %.1f MiB\n",
			mem.AnonStartMiB, mem.AnonMaxMiB, mem.FileStartMiB, mem.FileMaxMiB)
		if mem.RedisStart > 0 {
			fmt.Fprintf(w, "Redis (not judged): %.1f MiB at the window start, max %.1f\n", mem.RedisStart, mem.RedisMax)
		}
		for _, p := range mem.Processes {
			fmt.Fprintf(w, "  %-28s %7.1f → %7.1f MiB\n", p.Name, p.StartMiB, p.EndMiB)
		}
		for _, e := range m.FirstErrors {
			fmt.Fprintf(w, "  error: %s\n", e)
		}
	}
	for mode, err := range res.Failed {
		fmt.Fprintf(w, "\n== %s: did not finish: %s\n", mode, err)
	}
	fmt.Fprintf(w, "\nsoak %s in %.0fs\n", map[bool]string{true: "passed", false: "FAILED"}[res.Passed], res.Seconds)
}

// codes formats errors by code, most frequent first.
func codes(by map[string]int) string {
	if len(by) == 0 {
		return "none"
	}
	keys := slices.SortedFunc(maps.Keys(by), func(a, b string) int {
		if by[a] != by[b] {
			return by[b] - by[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, by[k])
	}
	return strings.Join(parts, ", ")
}

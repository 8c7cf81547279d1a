package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// ProcSet names the processes a figure sums over: a process and all its
// descendants (a daprrun with every app and sidecar, or one dflix).
type ProcSet struct {
	Roots []int
}

// PIDs returns the roots and every live descendant.
func (s ProcSet) PIDs() []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil {
			children[st.ppid] = append(children[st.ppid], pid)
		}
	}
	var out []int
	var walk func(int)
	walk = func(pid int) {
		out = append(out, pid)
		for _, c := range children[pid] {
			walk(c)
		}
	}
	for _, r := range s.Roots {
		walk(r)
	}
	return out
}

// Usage is what a set of processes used, read at one instant.
type Usage struct {
	CPUSeconds float64 // user + system, since each process started
	RSSMiB     float64 // resident now, summed
	PeakRSSMiB float64 // each process's high-water mark (VmHWM), summed
	Procs      int
}

// Usage reads the CPU and memory of every process of the set.
func (s ProcSet) Usage() Usage {
	var u Usage
	for _, pid := range s.PIDs() {
		st, err := readStat(pid)
		if err != nil {
			continue
		}
		u.Procs++
		u.CPUSeconds += float64(st.utime+st.stime) / clockTicks
		rss, hwm := readMem(pid)
		u.RSSMiB += rss
		u.PeakRSSMiB += hwm
	}
	return u
}

type procStat struct {
	ppid         int
	utime, stime uint64
}

// readStat parses /proc/<pid>/stat; the command name may hold spaces and
// parentheses, so fields are counted from the last ')'.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("procstat: malformed stat of %d", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return procStat{}, fmt.Errorf("procstat: short stat of %d", pid)
	}
	// f[0] is the state (field 3); ppid is field 4, utime 14, stime 15.
	ppid, _ := strconv.Atoi(f[1])
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	stt, _ := strconv.ParseUint(f[12], 10, 64)
	return procStat{ppid: ppid, utime: ut, stime: stt}, nil
}

// readMem returns VmRSS and VmHWM of pid in MiB.
func readMem(pid int) (rss, hwm float64) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[0], 64)
		if k == "VmRSS" {
			rss = kb / 1024
		} else {
			hwm = kb / 1024
		}
	}
	return rss, hwm
}

// machineBusySeconds is the CPU time every core spent busy since boot
// (/proc/stat: all but idle and iowait).
func machineBusySeconds() float64 {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	var busy float64
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseFloat(f, 64)
		if i != 3 && i != 4 && i < 8 { // idle, iowait; guest time is in user already
			busy += v
		}
	}
	return busy / clockTicks
}

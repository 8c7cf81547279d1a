package encoder

import (
	"os/exec"
	"syscall"
)

// ownGroup starts cmd in a process group of its own and makes its
// cancellation SIGKILL the whole group, so a wrapper script's children go
// too and a terminal's Ctrl-C reaches only the encoder, which stops them.
// The kernel also kills it when the encoder dies (kill -9, a crash): an
// orphaned ffmpeg would go on burning the cores for a job that the next
// encoder runs again anyway.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

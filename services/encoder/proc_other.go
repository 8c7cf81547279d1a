//go:build !unix

package encoder

import "os/exec"

// ownGroup makes cmd's cancellation kill it.
func ownGroup(cmd *exec.Cmd) {
	cmd.Cancel = func() error { return cmd.Process.Kill() }
}

package e2e

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAdminCreateCommand bootstraps an admin with `dflix admin create` on a
// stopped server's data, then signs in as that admin through GraphQL.
func TestAdminCreateCommand(t *testing.T) {
	dir := t.TempDir()
	first := start(t, dir)
	first.stop()

	cmd := exec.Command(binary, "admin", "create", "--email", "ops@dflix.test", "--password", "ops-password-1", "--name", "Ops", "--data-dir", dir)
	cmd.Env = append(os.Environ(), "DFLIX_ARGON2_MEMORY_MIB=8")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "admin created: ops@dflix.test")

	again := exec.Command(binary, "admin", "create", "--email", "ops@dflix.test", "--password", "ops-password-1", "--data-dir", dir)
	out, err = again.CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "admin updated: ops@dflix.test")

	in := start(t, dir)
	var login struct{ Login authPayload }
	newClient(in.URL).must(t, `mutation { login(email: "ops@dflix.test", password: "ops-password-1") { `+authFields+` } }`, nil, &login)
	assert.Equal(t, "ADMIN", login.Login.User.Role)
}

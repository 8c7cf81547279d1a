package e2e

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDaprBrokerDown stops RabbitMQ under a running platform on the
// rabbitmq-postgres set. Reads go on (they need no broker); a mutation is
// acknowledged, its event waiting in the writer's outbox; the event's
// effect, the BFF refusing the tokens the mutation revoked, arrives once the
// broker is back. Each figure is logged as "figure: ...".
func TestDaprBrokerDown(t *testing.T) {
	root := daprBinaries(t)
	startDaprRun(t, root, "rabbitmq-postgres", "-keep-going")
	viewer := registerViewer(t, bffURL)
	old, email := viewer.token, viewerEmail(t, viewer)
	// A revocation refuses the tokens issued before its whole second (like
	// iat): the password must change in a later second than the token's.
	poll(t, 3*time.Second, 50*time.Millisecond, func() bool { return time.Now().After(issuedAt(t, old).Add(time.Second)) }, "the token's second is over")

	stopped := time.Now()
	infra(t, root, "down", "rabbitmq")
	t.Cleanup(func() { infra(t, root, "up", "rabbitmq") }) // for the next test, also after a failure
	t.Logf("figure: broker down: infra.sh down rabbitmq took %s", time.Since(stopped).Round(10*time.Millisecond))

	reads := ask(t, viewer, mixedPage, nil)
	require.True(t, reads.full(), "reads need no broker: %s", reads)
	t.Logf("figure: broker down: mixed read answered in full in %s", reads.took)

	change := ask(t, viewer, `mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) }`,
		map[string]any{"o": "pay-the-bills-123", "n": "pay-the-bills-456"})
	t.Logf("figure: broker down: changePassword answered in %s: %s", change.took, change)
	require.True(t, change.full(), "the mutation is acknowledged with the broker down: %s", change)
	assert.False(t, refused(t, viewer), "the revocation rides the broker: not applied while it is down")

	// RabbitMQ takes connections before infra.sh up has checked it and set
	// its policies: poll while it starts.
	up := exec.Command(filepath.Join(root, "scripts/infra.sh"), "up", "rabbitmq")
	restarted := time.Now()
	require.NoError(t, up.Start())
	lag := pollUntilRefused(t, viewer, 3*time.Minute)
	require.NoError(t, up.Wait(), "infra.sh up rabbitmq")
	t.Logf("figure: broker down %s in all; the revocation reached the BFF %s after infra.sh up rabbitmq began (which took %s)",
		restarted.Sub(stopped).Round(10*time.Millisecond), lag.Round(10*time.Millisecond), time.Since(restarted).Round(10*time.Millisecond))

	fresh := login(t, newClient(bffURL), email, "pay-the-bills-456")
	newClient(bffURL).withToken(fresh).must(t, `{ me { id } }`, nil, nil)
}

// infra runs scripts/infra.sh with args.
func infra(t *testing.T, root string, args ...string) {
	t.Helper()
	out, err := exec.Command(filepath.Join(root, "scripts/infra.sh"), args...).CombinedOutput()
	require.NoError(t, err, "infra.sh %v: %s", args, out)
}

// pollUntilRefused polls the BFF with c's token until it is refused as
// revoked, and returns how long that took.
func pollUntilRefused(t *testing.T, c *client, limit time.Duration) time.Duration {
	t.Helper()
	began := time.Now()
	poll(t, limit, 200*time.Millisecond, func() bool { return refused(t, c) }, "the old token is refused")
	return time.Since(began)
}

// viewerEmail is the email of c's user.
func viewerEmail(t *testing.T, c *client) string {
	t.Helper()
	var me struct{ Me struct{ Email string } }
	c.must(t, `{ me { email } }`, nil, &me)
	return me.Me.Email
}

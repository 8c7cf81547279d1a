package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNameReplicas(t *testing.T) {
	apps := []app{{ID: "bff"}, {ID: "bff"}, {ID: "bff-2"}, {ID: "auth"}, {ID: "bff"}}
	nameReplicas(apps)
	names := make([]string, 0, len(apps))
	for _, a := range apps {
		names = append(names, a.Name)
	}
	assert.Equal(t, []string{"bff", "bff-3", "bff-2", "auth", "bff-4"}, names, "a name never repeats, even against an app id")
}

// TestReplicasRunFile checks dapr/replicas.yaml: two bff and two catalog
// replicas and one auth, on ports apart from dapr/dapr.yaml's; each sidecar's
// config sends catalog to the catalog of its own pair and auth to the one
// auth; only the first catalog seeds; every app has its own data dir.
func TestReplicasRunFile(t *testing.T) {
	root := repoRoot(t)
	apps, err := loadRunFile(filepath.Join(root, "dapr", "replicas.yaml"))
	require.NoError(t, err)
	byName := map[string]app{}
	var names []string
	for _, a := range apps {
		byName[a.Name] = a
		names = append(names, a.Name)
	}
	require.Equal(t, []string{"bff", "bff-2", "auth", "catalog", "catalog-2"}, names)
	assert.Equal(t, "bff", byName["bff-2"].ID)
	assert.Equal(t, "catalog", byName["catalog-2"].ID)

	pairs := map[string]string{"bff": "catalog", "bff-2": "catalog-2"}
	for bff, cat := range pairs {
		resolve := resolver(t, byName[bff].Config)
		assert.Equal(t, fmt.Sprintf("127.0.0.1:%d", byName[cat].InternalPort), resolve("catalog"), "%s calls %s", bff, cat)
		assert.Equal(t, fmt.Sprintf("127.0.0.1:%d", byName["auth"].InternalPort), resolve("auth"), bff)
		assert.Equal(t, fmt.Sprintf("127.0.0.1:%d", byName[bff].InternalPort), resolve("bff"), bff)
		assert.Equal(t, "127.0.0.1:1", resolve("nobody"))
		assert.Equal(t, byName[bff].Config, byName[cat].Config, "a pair shares its config")
	}

	assert.Equal(t, "false", byName["catalog-2"].Env["DFLIX_SEED_DEMO"], "one seeder")
	assert.NotContains(t, byName["catalog"].Env, "DFLIX_SEED_DEMO")
	dirs := map[string]bool{}
	for _, a := range apps {
		dirs[a.Env["DFLIX_DATA_DIR"]] = true
		assert.Equal(t, fmt.Sprintf("127.0.0.1:%d", a.Port), a.Env["DFLIX_ADDR"], a.Name)
	}
	assert.Len(t, dirs, len(apps), "a data dir per app")

	single, err := loadRunFile(filepath.Join(root, "dapr", "dapr.yaml"))
	require.NoError(t, err)
	assert.NoError(t, checkPorts(append(single, apps...)), "replicas.yaml runs beside dapr.yaml")
}

// TestAppEnvWinsOverOurs checks that an app's run-file env wins over
// daprrun's own environment: catalog-2 does not seed though daprrun was
// started with DFLIX_SEED_DEMO=true.
func TestAppEnvWinsOverOurs(t *testing.T) {
	t.Setenv("DFLIX_SEED_DEMO", "true")
	a := app{ID: "catalog", Name: "catalog-2", Port: 9084, Protocol: "http", HTTPPort: 3604, GRPCPort: 30105,
		Env: map[string]string{"DFLIX_SEED_DEMO": "false"}}
	cmd := exec.Command("sh", "-c", `printf %s "$DFLIX_SEED_DEMO"`)
	cmd.Env = appEnv(a)
	out, err := cmd.Output()
	require.NoError(t, err)
	assert.Equal(t, "false", string(out))
}

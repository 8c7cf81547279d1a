package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDaprModeMediaOnS3 runs the media scenario (a tus upload in three
// PATCHes, the encode, playback with a range, then billing on that video) in
// Dapr mode on the redis-s3 set, whose blobs binding is bindings.aws.s3 on
// infra.sh's S3 server (versitygw): the same binaries as on every other set,
// the Blob adapter telling the binding apart by itself. The viewer and trial
// scenarios store no blobs and run on the redis set already.
func TestDaprModeMediaOnS3(t *testing.T) {
	root := daprBinaries(t)
	startDaprRun(t, root, "redis-s3")
	billingScenario(t, bffURL, mediaScenario(t, bffURL))

	// The bucket is emptied when the run starts: what is in it now is the
	// scenario's upload and ladder, as manifests and their chunks.
	out, err := exec.Command(filepath.Join(root, "scripts/infra.sh"), "rundir").Output()
	require.NoError(t, err)
	bucket := filepath.Join(strings.TrimSpace(string(out)), "s3", "data", "dflix")
	chunks, err := os.ReadDir(filepath.Join(bucket, ".chunks"))
	require.NoError(t, err, "the blobs are in the S3 bucket")
	assert.Greater(t, len(chunks), 5, "a source, playlists, segments, poster and downloads, each chunked")
}

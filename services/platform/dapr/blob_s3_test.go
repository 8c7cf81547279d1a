package dapr

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The S3 server of `scripts/infra.sh up s3` (versitygw), which the S3 blob
// tests use when it listens, or $DFLIX_DAPR_S3 (host:port) with the same
// bucket and keys.
const (
	defaultS3      = "127.0.0.1:19000"
	testS3Bucket   = "dflix"
	testS3Access   = "dflix"
	testS3Secret   = "dflix-test-secret"
	testS3Required = "no S3 server: run scripts/infra.sh up s3 (versitygw), or set DFLIX_DAPR_S3 to host:port of one with bucket " +
		testS3Bucket + " and keys " + testS3Access + "/" + testS3Secret
)

// s3BlobsYAML is the blobs component on S3. decodeBase64 and encodeBase64
// are the opposite of what the adapter needs, on purpose: it sets both on
// every request, so how the component was written does not matter.
const s3BlobsYAML = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: blobs
spec:
  type: bindings.aws.s3
  version: v1
  metadata:
  - name: bucket
    value: "%s"
  - name: region
    value: "us-east-1"
  - name: endpoint
    value: "http://%s"
  - name: forcePathStyle
    value: "true"
  - name: disableSSL
    value: "true"
  - name: accessKey
    value: "%s"
  - name: secretKey
    value: "%s"
  - name: decodeBase64
    value: "false"
  - name: encodeBase64
    value: "true"
`

var (
	s3Once    sync.Once
	s3Sidecar *testSidecar
)

// s3SC returns the sidecar of the S3 blob tests, whose blobs binding is
// bindings.aws.s3 on the test S3 server, with daprd's default
// --max-body-size (4Mi). It skips the test when no S3 server listens, and
// fails it in CI. TestMain stops it.
func s3SC(t *testing.T) *Sidecar {
	t.Helper()
	e := requireEnv(t)
	addr := cmp.Or(os.Getenv("DFLIX_DAPR_S3"), defaultS3)
	if conn, err := net.DialTimeout("tcp", addr, 500*time.Millisecond); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (%v)", testS3Required, err) // make test starts it: its absence in CI is a broken setup
		}
		t.Skipf("%s (%v)", testS3Required, err)
	} else {
		_ = conn.Close()
	}
	s3Once.Do(func() {
		yaml := fmt.Sprintf(s3BlobsYAML, testS3Bucket, addr, testS3Access, testS3Secret)
		s3Sidecar = startSidecar(t, e, sidecarSpec{
			appID: "dflix-s3-" + randomID(), maxBodySize: "4Mi",
			resources: map[string]string{"blobs.yaml": yaml},
		}, true)
	})
	if s3Sidecar == nil || s3Sidecar.sc == nil {
		t.Fatal("the S3 blob sidecar failed to start in an earlier test")
	}
	return s3Sidecar.sc
}

// blobBindings are the sidecars the blob tests run on, one per binding
// type Blobs speaks.
var blobBindings = []struct {
	name string
	sc   func(*testing.T) *Sidecar
}{
	{"localstorage", blobSC},
	{"s3", s3SC},
}

// TestBlobS3 runs the Blob conformance suite on bindings.aws.s3.
func TestBlobS3(t *testing.T) {
	b := s3SC(t).blobs(testBlobChunk, DefaultMaxBlobBytes)
	platformtest.TestBlob(t, func(*testing.T) platform.Blob { return b }, platformtest.BlobChunkSize(testBlobChunk))
}

// TestBlobDialectDetected: each sidecar's binding type is read from its
// metadata, and the requests carry that binding's key and base64 options.
func TestBlobDialectDetected(t *testing.T) {
	want := map[string]*blobDialect{"localstorage": localStorageDialect, "s3": s3Dialect}
	for _, bb := range blobBindings {
		t.Run(bb.name, func(t *testing.T) {
			b := bb.sc(t).Blobs().(*Blobs)
			d, err := b.dialect(context.Background())
			require.NoError(t, err)
			assert.Same(t, want[bb.name], d)
		})
	}
	assert.Equal(t, map[string]string{"fileName": "a/b"}, localStorageDialect.metadata("create", "a/b"))
	assert.Equal(t, map[string]string{"key": "a/b", "decodeBase64": "true"}, s3Dialect.metadata("create", "a/b"))
	assert.Equal(t, map[string]string{"key": "a/b", "encodeBase64": "false"}, s3Dialect.metadata("get", "a/b"))
	assert.Equal(t, map[string]string{"key": "a/b"}, s3Dialect.metadata("delete", "a/b"))
	_, err := blobDialectFor("bindings.azure.blobstorage")
	assert.Equal(t, platform.KindInternal, platform.KindOf(err), "%v", err)
}

// TestBlobJSONLookalikes: content whose base64 is also JSON ("null",
// "true", a number) round-trips; the bindings unquote JSON payloads, and
// aws.s3 turned these into "", "true", "10" before the adapter quoted its
// base64.
func TestBlobJSONLookalikes(t *testing.T) {
	var contents [][]byte
	for _, text := range []string{"null", "true", "1e+1", "1234", "123456789012345678901234"} {
		data, err := base64.StdEncoding.DecodeString(text)
		require.NoError(t, err, text)
		contents = append(contents, data)
	}
	for _, bb := range blobBindings {
		t.Run(bb.name, func(t *testing.T) {
			b := bb.sc(t).blobs(64<<10, DefaultMaxBlobBytes)
			ns := "lookalike-" + randomID() + "/"
			for i, data := range contents {
				key := fmt.Sprintf("%s%d", ns, i)
				_, err := b.Put(context.Background(), key, bytes.NewReader(data))
				require.NoError(t, err)
				assert.Equal(t, data, readAll(t, b, key), "%q", base64.StdEncoding.EncodeToString(data))
			}
		})
	}
}

// TestBlobS3ListSkipsChunks: listing from the root or from a prefix of the
// chunk directory never shows or walks the chunks, and a listing longer
// than one page of the binding is whole.
func TestBlobS3ListSkipsChunks(t *testing.T) {
	b := s3SC(t).blobs(1<<10, DefaultMaxBlobBytes)
	ctx := context.Background()
	ns := "paged-" + randomID() + "/"
	var want []platform.BlobInfo
	for i := range s3ListPage + 5 {
		want = append(want, platform.BlobInfo{Key: fmt.Sprintf("%s%04d", ns, i), Size: 0})
	}
	putEmpty(t, b, want)
	_, err := b.Put(ctx, ns+"chunked", bytes.NewReader(make([]byte, 3<<10)))
	require.NoError(t, err)
	want = append(want, platform.BlobInfo{Key: ns + "chunked", Size: 3 << 10})

	infos, err := b.List(ctx, ns)
	require.NoError(t, err)
	assert.Equal(t, want, infos)
	for _, prefix := range []string{"", "."} {
		infos, err := b.List(ctx, prefix)
		require.NoError(t, err)
		for _, info := range infos {
			require.False(t, reserved(info.Key), "List(%q) shows chunk %s", prefix, info.Key)
		}
	}
}

// putEmpty stores an empty blob at each key, a few at a time.
func putEmpty(t *testing.T, b *Blobs, infos []platform.BlobInfo) {
	t.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, bindingParallelism)
	for _, info := range infos {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err := b.Put(context.Background(), info.Key, bytes.NewReader(nil))
			assert.NoError(t, err, info.Key)
		})
	}
	wg.Wait()
}

// TestBlobS3KeyCollision: S3 keys are no paths, so "a" and "a/b" may both
// be blobs; a server that keeps objects as files (versitygw) refuses one of
// them, which must be KindConflict and leave no chunks, never internal.
func TestBlobS3KeyCollision(t *testing.T) {
	b := s3SC(t).blobs(64<<10, DefaultMaxBlobBytes)
	ctx := context.Background()
	ns := "collide-" + randomID() + "/"
	for _, k := range []string{"file", "dir/x"} {
		_, err := b.Put(ctx, ns+k, strings.NewReader(k))
		require.NoError(t, err)
	}
	for _, k := range []string{"file/below", "dir"} {
		before := chunkDirs(t, b)
		_, err := b.Put(ctx, ns+k, bytes.NewReader(make([]byte, 128<<10)))
		t.Logf("put %s beside file and dir/x: %v", k, err)
		if err != nil {
			assert.Equal(t, platform.KindConflict, platform.KindOf(err), "%s: %v", k, err)
			assert.Equal(t, before, chunkDirs(t, b))
			continue
		}
		assert.Len(t, readAll(t, b, ns+k), 128<<10, k)
	}
	assert.Equal(t, "file", string(readAll(t, b, ns+"file")))
	assert.Equal(t, "dir/x", string(readAll(t, b, ns+"dir/x")))
}

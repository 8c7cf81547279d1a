package dapr

import (
	"bytes"
	"context"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBlobChecksComeFirst needs no sidecar: keys and sizes are checked
// before the binding is called.
func TestBlobChecksComeFirst(t *testing.T) {
	b := (&Sidecar{cfg: Config{MaxBlobBytes: 8}.withDefaults()}).Blobs()
	ctx := context.Background()
	_, err := b.Put(ctx, "k", bytes.NewReader(make([]byte, 9)))
	assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "over the limit: %v", err)
	for _, key := range []string{"", "/abs", "../x", "a//b"} {
		_, err := b.Put(ctx, key, bytes.NewReader(nil))
		assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "put %q: %v", key, err)
		_, err = b.Stat(ctx, key)
		assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "stat %q: %v", key, err)
		assert.Equal(t, platform.KindInvalid, platform.KindOf(b.Delete(ctx, key)), "delete %q", key)
	}
	_, err = b.List(ctx, "../")
	assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "list ../: %v", err)
}

// TestBlobLimits: a blob at MaxBlobBytes goes through (the test sidecars
// allow 64Mi bodies, 24 MiB travel as 32 MiB of base64); one over it is
// refused before it is sent; one that MaxBlobBytes allows but daprd's
// --max-body-size does not is refused by the sidecar, also as KindInvalid.
func TestBlobLimits(t *testing.T) {
	sc := mainSC(t)
	b := sc.Blobs()
	ctx := context.Background()
	key := "limit/" + randomID()
	n, err := b.Put(ctx, key, bytes.NewReader(bytes.Repeat([]byte{'a'}, int(sc.cfg.MaxBlobBytes))))
	require.NoError(t, err)
	assert.Equal(t, sc.cfg.MaxBlobBytes, n)
	_, err = b.Put(ctx, key, bytes.NewReader(make([]byte, sc.cfg.MaxBlobBytes+1)))
	assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "%v", err)
	require.NoError(t, b.Delete(ctx, key))

	loose := &Blobs{sc: sc, binding: sc.cfg.BlobBinding, max: 64 << 20}
	_, err = loose.Put(ctx, key, bytes.NewReader(make([]byte, 50<<20)))
	assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "%v", err)
	assert.Contains(t, err.Error(), "max-body-size")
}

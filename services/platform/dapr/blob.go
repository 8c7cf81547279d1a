package dapr

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strings"
	"sync"

	daprc "github.com/dapr/go-sdk/client"
	"github.com/dflix/dflix/services/platform"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var _ platform.Blob = (*Blobs)(nil)

// blobLocks is how many locks serialize this process's writes per key.
const blobLocks = 64

// statParallelism bounds the reads List makes to learn sizes.
const statParallelism = 8

// notFoundMarks are how bindings.localstorage says a key holds no blob.
var notFoundMarks = []string{"file not found", "no such file or directory", "is a directory", "not a directory"}

// Blobs is a platform.Blob over a bindings.localstorage output binding
// (operations create, get, delete, list), whose keys are file paths under
// the binding's rootPath. A binding moves a blob in one message, so:
//   - Put reads the whole blob into memory and refuses one over
//     Config.MaxBlobBytes (KindInvalid); it sends it base64-encoded, which
//     the binding decodes, so any bytes round-trip (the binding would
//     otherwise unquote or base64-decode content that happens to parse so).
//   - Open returns the whole blob from memory.
//   - Stat reads the whole blob to learn its size, and List reads every
//     listed blob, since the binding's list gives names only.
//   - A Put is one file write, not atomic: a concurrent Open may see it half
//     written, and concurrent Puts of one key from different processes may
//     mix (Puts from one process are serialized per key).
//
// It is safe for concurrent use.
type Blobs struct {
	sc      *Sidecar
	binding string
	max     int64
	locks   [blobLocks]sync.Mutex

	rootMu sync.Mutex
	root   string // the binding's rootPath as the sidecar resolved it
}

// Blobs returns the Blob over Config.BlobBinding.
func (s *Sidecar) Blobs() platform.Blob {
	return &Blobs{sc: s, binding: s.cfg.BlobBinding, max: s.cfg.MaxBlobBytes}
}

// Put stores the content of r at key, replacing any blob there, and returns
// its size.
//
// Errors: KindInvalid for an invalid key or a blob over the size limit;
// KindUnavailable when the sidecar cannot be reached or ctx ends.
func (b *Blobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := platform.CheckBlobKey(key); err != nil {
		return 0, fmt.Errorf("dapr: blob put: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(r, b.max+1))
	if err != nil {
		return 0, fmt.Errorf("dapr: blob put %q: read: %w", key, err)
	}
	if int64(len(data)) > b.max {
		return 0, platform.Errorf(platform.KindInvalid, "dapr: blob put %q: larger than %d bytes, the most a Dapr binding carries here", key, b.max)
	}
	lock := &b.locks[lockIndex(key)]
	lock.Lock()
	defer lock.Unlock()
	encoded := make([]byte, base64.StdEncoding.EncodedLen(len(data)))
	base64.StdEncoding.Encode(encoded, data)
	if _, err := b.invoke(ctx, "create", key, encoded); err != nil {
		if status.Code(err) == codes.ResourceExhausted && strings.Contains(err.Error(), "larger than max") {
			return 0, platform.E(platform.KindInvalid, "blob too large",
				fmt.Errorf("dapr: blob put %q: %d bytes (%d base64-encoded) exceed the gRPC message limit (daprd --max-body-size): %w", key, len(data), len(encoded), err))
		}
		return 0, fmt.Errorf("dapr: blob put %q: %w", key, classify(err, ""))
	}
	return int64(len(data)), nil
}

// Open returns the content of the blob at key.
//
// Errors: KindInvalid for an invalid key; KindNotFound when no blob is
// there; KindUnavailable when the sidecar cannot be reached or ctx ends.
func (b *Blobs) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	data, err := b.get(ctx, "open", key)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// Stat returns the size of the blob at key, reading it whole.
//
// Errors: as Open.
func (b *Blobs) Stat(ctx context.Context, key string) (platform.BlobInfo, error) {
	data, err := b.get(ctx, "stat", key)
	if err != nil {
		return platform.BlobInfo{}, err
	}
	return platform.BlobInfo{Key: key, Size: int64(len(data))}, nil
}

// get reads the blob at key for op.
func (b *Blobs) get(ctx context.Context, op, key string) ([]byte, error) {
	if err := platform.CheckBlobKey(key); err != nil {
		return nil, fmt.Errorf("dapr: blob %s: %w", op, err)
	}
	data, err := b.invoke(ctx, "get", key, nil)
	if err != nil {
		if isNotFound(err) {
			return nil, platform.Errorf(platform.KindNotFound, "blob %q not found", key)
		}
		return nil, fmt.Errorf("dapr: blob %s %q: %w", op, key, classify(err, ""))
	}
	return data, nil
}

// Delete removes the blob at key; deleting a missing blob succeeds.
//
// Errors: KindInvalid for an invalid key; KindUnavailable when the sidecar
// cannot be reached or ctx ends.
func (b *Blobs) Delete(ctx context.Context, key string) error {
	if err := platform.CheckBlobKey(key); err != nil {
		return fmt.Errorf("dapr: blob delete: %w", err)
	}
	lock := &b.locks[lockIndex(key)]
	lock.Lock()
	defer lock.Unlock()
	if _, err := b.invoke(ctx, "delete", key, nil); err != nil && !isNotFound(err) && !strings.Contains(err.Error(), "directory not empty") {
		return fmt.Errorf("dapr: blob delete %q: %w", key, classify(err, ""))
	}
	return nil
}

// List returns the blobs whose keys start with prefix (any string, not only
// a directory), sorted by key. It lists the directory the prefix falls in and
// reads every blob found to learn its size.
//
// Errors: KindInvalid for a prefix that is no key prefix (such as "../");
// KindUnavailable when the sidecar cannot be reached or ctx ends.
func (b *Blobs) List(ctx context.Context, prefix string) ([]platform.BlobInfo, error) {
	dir := ""
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		dir = prefix[:i]
	}
	if dir != "" {
		if err := platform.CheckBlobKey(dir); err != nil {
			return nil, fmt.Errorf("dapr: blob list %q: %w", prefix, err)
		}
	}
	keys, err := b.listDir(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("dapr: blob list %q: %w", prefix, err)
	}
	keys = slices.DeleteFunc(keys, func(k string) bool { return !strings.HasPrefix(k, prefix) })
	slices.Sort(keys)
	return b.sizes(ctx, keys)
}

// listDir returns the keys of every blob under dir ("" for the root).
func (b *Blobs) listDir(ctx context.Context, dir string) ([]string, error) {
	root, err := b.rootPath(ctx)
	if err != nil {
		return nil, err
	}
	out, err := b.invoke(ctx, "list", dir, nil)
	if err != nil {
		text := err.Error()
		if strings.Contains(text, "error getting stats for path") || strings.Contains(text, "not a directory") {
			return nil, nil // no such directory: nothing under it
		}
		return nil, classify(err, "")
	}
	var paths []string
	if err := json.Unmarshal(out, &paths); err != nil {
		return nil, platform.E(platform.KindInternal, "internal error", fmt.Errorf("decode list: %w", err))
	}
	keys := make([]string, 0, len(paths))
	for _, p := range paths {
		key, ok := strings.CutPrefix(p, root+"/")
		if ok && platform.CheckBlobKey(key) == nil {
			keys = append(keys, key)
		}
	}
	return keys, nil
}

// sizes reads each listed blob for its size; a blob deleted meanwhile is
// left out.
func (b *Blobs) sizes(ctx context.Context, keys []string) ([]platform.BlobInfo, error) {
	infos := make([]platform.BlobInfo, len(keys))
	found := make([]bool, len(keys))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(statParallelism)
	for i, k := range keys {
		g.Go(func() error {
			info, err := b.Stat(gctx, k)
			if platform.Is(err, platform.KindNotFound) {
				return nil
			}
			infos[i], found[i] = info, err == nil
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]platform.BlobInfo, 0, len(keys))
	for i, info := range infos {
		if found[i] {
			out = append(out, info)
		}
	}
	return out, nil
}

// rootPath learns the binding's rootPath once: list answers with absolute
// paths, and a get of a file that cannot exist names its absolute path in
// the error ("file not found: <rootPath>/<name>").
func (b *Blobs) rootPath(ctx context.Context) (string, error) {
	b.rootMu.Lock()
	defer b.rootMu.Unlock()
	if b.root != "" {
		return b.root, nil
	}
	probe := ".dflix-root-probe-" + uuid.NewString()
	_, err := b.invoke(ctx, "get", probe, nil)
	if err == nil {
		return "", platform.Errorf(platform.KindInternal, "dapr: blob binding %s: probe %s exists", b.binding, probe)
	}
	text := err.Error()
	const mark = "file not found: "
	i := strings.Index(text, mark)
	j := strings.Index(text, "/"+probe)
	if i < 0 || j < i+len(mark) {
		return "", fmt.Errorf("dapr: blob binding %s: learn its root: %w", b.binding, classify(err, ""))
	}
	b.root = text[i+len(mark) : j]
	return b.root, nil
}

// invoke runs one operation of the binding on fileName.
func (b *Blobs) invoke(ctx context.Context, op, fileName string, data []byte) ([]byte, error) {
	out, err := b.sc.client.InvokeBinding(ctx, &daprc.InvokeBindingRequest{
		Name:      b.binding,
		Operation: op,
		Data:      data,
		Metadata:  map[string]string{"fileName": fileName},
	})
	if err != nil {
		return nil, err
	}
	return out.Data, nil
}

func isNotFound(err error) bool {
	return containsAny(err.Error(), notFoundMarks)
}

func lockIndex(key string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % blobLocks)
}

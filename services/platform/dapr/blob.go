package dapr

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dflix/dflix/services/platform"
)

var _ platform.Blob = (*Blobs)(nil)

// blobLocks is how many locks serialize this process's manifest writes per
// key.
const blobLocks = 64

// chunkDir is the directory under the binding's root that holds the chunks
// of every blob; keys in it are refused, and List skips it.
const chunkDir = ".chunks"

// legacyBlobMessage is the gRPC message size the client allows at least,
// so that blobs stored whole before blobs were chunked (32 MiB at most by
// default then) can still be read.
const legacyBlobMessage = 64 << 20

// Blobs is a platform.Blob over a bindings.localstorage output binding,
// whose keys are file paths under the binding's rootPath, or over a
// bindings.aws.s3 one, whose keys are object keys in its bucket (operations
// create, get, delete, list on both). Which one it is, Blobs reads from the
// sidecar's metadata on first use (blob_dialect.go). A binding moves a file
// in one message, so a blob is stored as chunks plus a manifest:
//   - the blob at key K is a small JSON manifest in the file K
//     ({"dflixBlob":1,"size":…,"chunkSize":…,"chunks":…,"id":…}), and its
//     bytes are the files .chunks/<id>/000000, 000001, … of chunkSize bytes
//     (the last one shorter); <id> is new for every Put;
//   - Put streams: it reads, sends and forgets one chunk at a time, then
//     writes the manifest, then removes the chunks of the blob it replaced;
//   - Open reads the manifest and returns a reader that fetches the chunk
//     at its offset when read (io.ReadSeeker and io.ReaderAt); Stat and List
//     read manifests only;
//   - files are sent base64-encoded in a JSON string, which the binding
//     unquotes and decodes, so any bytes round-trip (it would otherwise
//     unquote or base64-decode content that happens to parse so);
//   - a plain file at K, as stored before blobs were chunked, reads as a
//     blob of one chunk.
//
// What is atomic, across processes too: a reader sees the old blob or the
// whole new one, never a mix, because the chunks are written before the
// manifest that names them, and the manifest is one small file write (a
// reader that catches it half written reads it again). Concurrent Puts of
// one key each store a whole blob and the last manifest written wins.
//
// What is not: a reader streaming a blob that is replaced or deleted
// meanwhile fails with KindConflict once it needs a chunk that was removed.
// localstorage has no rename, so a Put that fails while it writes the
// manifest may leave the key holding an empty or partial file (an S3 PUT
// is atomic). Chunks leak
// (never corrupt a blob) when a process dies mid-Put, when cleaning up
// fails, or when Puts or Deletes of one key from different processes
// interleave (within one process, each reads the manifest it replaces and
// writes or deletes the new one under a per-key lock).
//
// It is safe for concurrent use.
type Blobs struct {
	sc      *Sidecar
	log     *slog.Logger
	binding string
	chunk   int   // bytes per chunk
	max     int64 // bytes per blob
	locks   [blobLocks]sync.Mutex

	dialectMu sync.Mutex // serializes learning d
	d         atomic.Pointer[blobDialect]

	rootMu sync.Mutex
	root   string // the binding's rootPath as the sidecar resolved it
}

// Blobs returns the Blob over Config.BlobBinding.
func (s *Sidecar) Blobs() platform.Blob {
	return s.blobs(s.cfg.BlobChunkBytes, s.cfg.MaxBlobBytes)
}

// blobs returns the Blob over Config.BlobBinding with the given chunk and
// blob size limits.
func (s *Sidecar) blobs(chunk int, maxBytes int64) *Blobs {
	return &Blobs{sc: s, log: s.cfg.Logger, binding: s.cfg.BlobBinding, chunk: chunk, max: maxBytes}
}

// Put stores the content of r at key, replacing any blob there, and returns
// its size. It streams r a chunk at a time; a Put that fails removes the
// chunks it wrote and leaves the old blob in place.
//
// Errors: KindInvalid for an invalid or reserved key or a blob over
// Config.MaxBlobBytes; KindConflict when the key's path collides with
// another blob (a file cannot be both "a" and the directory of "a/b"; S3
// keys are no paths, but S3 servers over a file system refuse so too);
// KindUnavailable when the sidecar cannot be reached or ctx ends; reading r
// fails with r's error.
func (b *Blobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := checkBlobKey(key); err != nil {
		return 0, fmt.Errorf("dapr: blob put: %w", err)
	}
	m, err := b.writeChunks(ctx, r)
	if err != nil {
		b.removeChunks(ctx, m)
		return 0, fmt.Errorf("dapr: blob put %q: %w", key, err)
	}
	old, err := b.swapManifest(ctx, key, m)
	if err != nil {
		landed, known := b.landed(ctx, key, m)
		if !landed {
			if known {
				b.removeChunks(ctx, m)
			}
			return 0, fmt.Errorf("dapr: blob put %q: %w", key, err)
		}
	}
	b.removeChunks(ctx, old)
	return m.Size, nil
}

// swapManifest writes m at key and returns the manifest it replaced (the
// zero manifest when there was none, or one that could not be read).
func (b *Blobs) swapManifest(ctx context.Context, key string, m manifest) (manifest, error) {
	lock := &b.locks[lockIndex(key)]
	lock.Lock()
	defer lock.Unlock()
	old, err := b.readManifest(ctx, key)
	if err != nil && !platform.Is(err, platform.KindNotFound) && !errors.Is(err, errCorruptManifest) {
		return manifest{}, err
	}
	if err := b.create(ctx, key, m.encode()); err != nil {
		return manifest{}, err
	}
	return old, nil
}

// landed reports whether the manifest m is at key after all (a write whose
// answer was lost may have happened), and whether that could be learned:
// when not, m's chunks must stay, for they may be a blob's.
func (b *Blobs) landed(ctx context.Context, key string, m manifest) (landed, known bool) {
	ctx, cancel := cleanupContext(ctx)
	defer cancel()
	got, err := b.readManifest(ctx, key)
	if platform.Is(err, platform.KindNotFound) || errors.Is(err, errCorruptManifest) {
		return false, true
	}
	if err != nil {
		return false, false
	}
	return got.ID == m.ID, true
}

// Open returns a reader of the blob at key that fetches its chunks as it is
// read, one chunk in memory at a time. The reader is an io.ReadSeeker and
// an io.ReaderAt, so callers may serve ranges (http.ServeContent); it reads
// with ctx, which must last until the reader is closed.
//
// Errors: KindInvalid for an invalid key; KindNotFound when no blob is
// there; KindUnavailable when the sidecar cannot be reached or ctx ends.
// The reader's errors: KindConflict when the blob was replaced or deleted
// after Open, KindUnavailable as above, KindInvalid for a negative offset.
func (b *Blobs) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkBlobKey(key); err != nil {
		return nil, fmt.Errorf("dapr: blob open: %w", err)
	}
	m, err := b.readManifest(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("dapr: blob open %q: %w", key, err)
	}
	return newChunkReader(ctx, b, key, m), nil
}

// Stat returns the size of the blob at key, from its manifest.
//
// Errors: as Open.
func (b *Blobs) Stat(ctx context.Context, key string) (platform.BlobInfo, error) {
	if err := checkBlobKey(key); err != nil {
		return platform.BlobInfo{}, fmt.Errorf("dapr: blob stat: %w", err)
	}
	m, err := b.readManifest(ctx, key)
	if err != nil {
		return platform.BlobInfo{}, fmt.Errorf("dapr: blob stat %q: %w", key, err)
	}
	return platform.BlobInfo{Key: key, Size: m.Size}, nil
}

// Delete removes the blob at key, its manifest first, then its chunks;
// deleting a missing blob succeeds. Chunks that cannot be removed are
// logged and left behind.
//
// Errors: KindInvalid for an invalid key; KindUnavailable when the sidecar
// cannot be reached or ctx ends.
func (b *Blobs) Delete(ctx context.Context, key string) error {
	if err := checkBlobKey(key); err != nil {
		return fmt.Errorf("dapr: blob delete: %w", err)
	}
	m, err := b.deleteManifest(ctx, key)
	if err != nil {
		return fmt.Errorf("dapr: blob delete %q: %w", key, err)
	}
	b.removeChunks(ctx, m)
	return nil
}

// deleteManifest removes the manifest at key and returns it (the zero
// manifest when there was none, or one that could not be read).
func (b *Blobs) deleteManifest(ctx context.Context, key string) (manifest, error) {
	lock := &b.locks[lockIndex(key)]
	lock.Lock()
	defer lock.Unlock()
	m, err := b.readManifest(ctx, key)
	switch {
	case platform.Is(err, platform.KindNotFound):
		return manifest{}, nil
	case errors.Is(err, errCorruptManifest):
		m = manifest{}
	case err != nil:
		return manifest{}, err
	}
	if _, err := b.invoke(ctx, "delete", key, nil); err != nil && !b.isNotFound(err) && !strings.Contains(err.Error(), "directory not empty") {
		return manifest{}, classifyBlob(err)
	}
	return m, nil
}

// checkBlobKey is platform.CheckBlobKey, and refuses keys in chunkDir.
func checkBlobKey(key string) error {
	if err := platform.CheckBlobKey(key); err != nil {
		return err
	}
	if reserved(key) {
		return platform.Errorf(platform.KindInvalid, "invalid blob key %q: %s/ is reserved", key, chunkDir)
	}
	return nil
}

// reserved reports whether key is chunkDir or under it.
func reserved(key string) bool {
	return key == chunkDir || strings.HasPrefix(key, chunkDir+"/")
}

func lockIndex(key string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % blobLocks)
}

package embedded

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/dflix/dflix/services/platform"
)

var _ platform.Blob = (*Blobs)(nil)

// tmpDir is the directory under the root where Put stages files before
// renaming them into place; it is not a valid first key segment.
const tmpDir = ".tmp"

// staleTemp is the age after which OpenBlobs removes a staged file left by a
// crashed Put.
const staleTemp = time.Hour

// Blobs is a platform.Blob on the local file system: the blob "a/b/c" is the
// file <dir>/a/b/c. Put stages the bytes in a temporary file on the same file
// system, fsyncs it and renames it into place, so a reader sees the old blob
// or the whole new one, and a stored blob survives a crash. It is safe for
// concurrent use.
type Blobs struct {
	root string
}

// OpenBlobs returns the blob store rooted at dir, creating it if needed, and
// clears staged files that crashed writers left behind.
//
// Errors: unclassified (internal) when dir cannot be created.
func OpenBlobs(dir string) (*Blobs, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded: open blobs: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(root, tmpDir), 0o755); err != nil {
		return nil, fmt.Errorf("embedded: open blobs: %w", err)
	}
	b := &Blobs{root: root}
	b.removeStale(time.Now().Add(-staleTemp))
	return b, nil
}

// Put stores the bytes of r at key, replacing any blob there, and returns
// how many bytes it wrote. The bytes are streamed, never held in memory.
//
// Errors: KindInvalid for a key that platform.CheckBlobKey rejects or that
// starts with ".tmp/"; KindConflict when the key's path collides
// with another blob (a file cannot be both "a" and the directory of "a/b");
// KindUnavailable when ctx ends mid-copy.
func (b *Blobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	name, err := b.path(key)
	if err != nil {
		return 0, fmt.Errorf("embedded: put blob: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Join(b.root, tmpDir), "put-*")
	if err != nil {
		return 0, fmt.Errorf("embedded: put blob %q: %w", key, err)
	}
	n, err := io.Copy(tmp, ctxReader{ctx: ctx, r: r})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = b.rename(tmp.Name(), name)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return 0, fmt.Errorf("embedded: put blob %q: %w", key, err)
	}
	return n, nil
}

// rename moves a staged file into place, creating its directories, and
// fsyncs the directory so the rename is durable. A concurrent Delete may
// prune a directory between its creation and the rename, hence the retry.
func (b *Blobs) rename(from, to string) error {
	dir := filepath.Dir(to)
	var err error
	for range 3 {
		if err = os.MkdirAll(dir, 0o755); err != nil {
			break
		}
		if err = os.Rename(from, to); !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.EEXIST) {
		return platform.E(platform.KindConflict, "blob key collides with an existing blob or directory", err)
	}
	if err != nil {
		return err
	}
	return syncDir(dir)
}

// Open returns the blob at key for reading. The reader is an *os.File, so
// callers may assert io.ReadSeeker (or io.ReaderAt) to serve ranges.
//
// Errors: KindInvalid for a bad key; KindNotFound for a missing key.
func (b *Blobs) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	name, err := b.path(key)
	if err != nil {
		return nil, fmt.Errorf("embedded: open blob: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embedded: open blob %q: %w", key, err)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("embedded: open blob: %w", notFound(key, err))
	}
	if st, err := f.Stat(); err != nil || st.IsDir() {
		_ = f.Close()
		return nil, fmt.Errorf("embedded: open blob: %w", notFound(key, fs.ErrNotExist))
	}
	return f, nil
}

// Stat describes the blob at key.
//
// Errors: KindInvalid for a bad key; KindNotFound for a missing key.
func (b *Blobs) Stat(ctx context.Context, key string) (platform.BlobInfo, error) {
	name, err := b.path(key)
	if err != nil {
		return platform.BlobInfo{}, fmt.Errorf("embedded: stat blob: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return platform.BlobInfo{}, fmt.Errorf("embedded: stat blob %q: %w", key, err)
	}
	st, err := os.Stat(name)
	if err == nil && st.IsDir() {
		err = fs.ErrNotExist
	}
	if err != nil {
		return platform.BlobInfo{}, fmt.Errorf("embedded: stat blob: %w", notFound(key, err))
	}
	return platform.BlobInfo{Key: key, Size: st.Size()}, nil
}

// Delete removes the blob at key; deleting a missing blob succeeds.
// Directories left empty are pruned.
//
// Errors: KindInvalid for a bad key.
func (b *Blobs) Delete(ctx context.Context, key string) error {
	name, err := b.path(key)
	if err != nil {
		return fmt.Errorf("embedded: delete blob: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("embedded: delete blob %q: %w", key, err)
	}
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("embedded: delete blob %q: %w", key, err)
	}
	b.prune(filepath.Dir(name))
	return nil
}

// prune removes dir and its parents up to the root while they are empty.
func (b *Blobs) prune(dir string) {
	for dir != b.root && os.Remove(dir) == nil {
		dir = filepath.Dir(dir)
	}
}

// List returns the blobs whose keys start with prefix (a plain string
// prefix, not only whole segments), sorted by key.
//
// Errors: KindInvalid for a prefix that is absolute or contains "..".
func (b *Blobs) List(ctx context.Context, prefix string) ([]platform.BlobInfo, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, fmt.Errorf("embedded: list blobs: %w", err)
	}
	start := filepath.Join(b.root, filepath.FromSlash(prefix[:strings.LastIndex(prefix, "/")+1]))
	infos := []platform.BlobInfo{}
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // the directory vanished, or never was
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(b.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if d.IsDir() {
			if key == tmpDir {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted while listing
		} else if err != nil {
			return err
		}
		infos = append(infos, platform.BlobInfo{Key: key, Size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: list blobs %q: %w", prefix, err)
	}
	slices.SortFunc(infos, func(a, b platform.BlobInfo) int { return strings.Compare(a.Key, b.Key) })
	return infos, nil
}

// path checks key and returns its file name.
func (b *Blobs) path(key string) (string, error) {
	if err := platform.CheckBlobKey(key); err != nil {
		return "", err
	}
	if key == tmpDir || strings.HasPrefix(key, tmpDir+"/") || !filepath.IsLocal(filepath.FromSlash(key)) {
		return "", platform.Errorf(platform.KindInvalid, "invalid blob key %q", key)
	}
	return filepath.Join(b.root, filepath.FromSlash(key)), nil
}

// checkPrefix accepts the empty prefix and any prefix of a valid key.
func checkPrefix(prefix string) error {
	if strings.HasPrefix(prefix, "/") || strings.ContainsAny(prefix, "\\\x00") || slices.Contains(strings.Split(prefix, "/"), "..") {
		return platform.Errorf(platform.KindInvalid, "invalid blob prefix %q", prefix)
	}
	return nil
}

// removeStale deletes staged files older than before; errors are ignored
// since a leftover file only wastes space.
func (b *Blobs) removeStale(before time.Time) {
	dir := filepath.Join(b.root, tmpDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.ModTime().Before(before) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

func notFound(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return platform.E(platform.KindNotFound, fmt.Sprintf("blob %q not found", key), err)
	}
	return fmt.Errorf("blob %q: %w", key, err)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer func() { _ = d.Close() }()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// ctxReader stops a copy once its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

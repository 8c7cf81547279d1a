package dapr

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/dflix/dflix/services/platform"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"
)

// List returns the blobs whose keys start with prefix (any string, not only
// a directory), sorted by key. It lists the directory the prefix falls in
// (on localstorage) or the objects under the prefix (on S3), leaving out
// the chunks, and reads the manifest of every blob found to learn its size.
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
		if reserved(dir) {
			return []platform.BlobInfo{}, nil // no blob is there
		}
	}
	d, err := b.dialect(ctx)
	if err != nil {
		return nil, fmt.Errorf("dapr: blob list %q: %w", prefix, err)
	}
	var keys []string
	if d.dirs {
		keys, err = b.listDir(ctx, dir)
	} else {
		keys, err = b.listObjects(ctx, prefix)
	}
	if err != nil {
		return nil, fmt.Errorf("dapr: blob list %q: %w", prefix, err)
	}
	keys = slices.DeleteFunc(keys, func(k string) bool { return !strings.HasPrefix(k, prefix) })
	slices.Sort(keys)
	infos, err := b.sizes(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("dapr: blob list %q: %w", prefix, err)
	}
	return infos, nil
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
		return nil, classifyBlob(err)
	}
	var paths []string
	if err := json.Unmarshal(out, &paths); err != nil {
		return nil, platform.E(platform.KindInternal, "internal error", fmt.Errorf("decode list: %w", err))
	}
	keys := make([]string, 0, len(paths))
	for _, p := range paths {
		key, ok := strings.CutPrefix(p, root+"/")
		if ok && checkBlobKey(key) == nil {
			keys = append(keys, key)
		}
	}
	return keys, nil
}

// sizes reads each listed blob's manifest for its size; a blob deleted
// meanwhile is left out.
func (b *Blobs) sizes(ctx context.Context, keys []string) ([]platform.BlobInfo, error) {
	infos := make([]platform.BlobInfo, len(keys))
	found := make([]bool, len(keys))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(bindingParallelism)
	for i, k := range keys {
		g.Go(func() error {
			m, err := b.readManifest(gctx, k)
			if platform.Is(err, platform.KindNotFound) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("blob %q: %w", k, err)
			}
			infos[i], found[i] = platform.BlobInfo{Key: k, Size: m.Size}, true
			return nil
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
		return "", fmt.Errorf("dapr: blob binding %s: learn its root: %w", b.binding, classifyBlob(err))
	}
	b.root = text[i+len(mark) : j]
	return b.root, nil
}

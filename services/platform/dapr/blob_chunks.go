package dapr

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	daprc "github.com/dapr/go-sdk/client"
	"github.com/dflix/dflix/services/platform"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// cleanupTimeout bounds the removal of the chunks of a failed Put or of a
// replaced or deleted blob, which goes on when the caller's ctx has ended.
const cleanupTimeout = 30 * time.Second

// binding parallelism: how many chunks are removed, or manifests read by
// List, at once.
const bindingParallelism = 8

// writeChunks streams r into new chunk files and returns their manifest.
// On error the manifest counts every chunk it tried to write, so that they
// can be removed.
func (b *Blobs) writeChunks(ctx context.Context, r io.Reader) (manifest, error) {
	m := manifest{Version: manifestVersion, ChunkSize: int64(b.chunk), ID: uuid.NewString()}
	buf := make([]byte, b.chunk)
	enc := make([]byte, base64.StdEncoding.EncodedLen(b.chunk))
	for {
		n, err := io.ReadFull(r, buf)
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return m, fmt.Errorf("read: %w", err)
		}
		if m.Size+int64(n) > b.max {
			return m, platform.Errorf(platform.KindInvalid, "blob larger than %d bytes, the most this store takes", b.max)
		}
		m.Chunks++
		base64.StdEncoding.Encode(enc, buf[:n])
		if err := b.send(ctx, m.chunkName(m.Chunks-1), enc[:base64.StdEncoding.EncodedLen(n)]); err != nil {
			return m, fmt.Errorf("chunk %d: %w", m.Chunks-1, err)
		}
		m.Size += int64(n)
		if n < len(buf) {
			return m, nil
		}
	}
}

// create writes data to the file name, replacing it.
func (b *Blobs) create(ctx context.Context, name string, data []byte) error {
	return b.send(ctx, name, []byte(base64.StdEncoding.EncodeToString(data)))
}

// send writes the base64 text encoded to the file name, replacing it. The
// text goes as a JSON string: both bindings unquote a payload that parses
// as JSON before they decode base64 (localstorage with strconv.Unquote,
// aws.s3 with json.Unmarshal and a cast to string), and bare base64 may
// parse as something else ("null" becomes "", "1e+1" becomes "10"), which
// a quoted one never does.
//
// Errors: KindConflict when name collides with a directory or a file on its
// path; KindUnavailable as classify; KindInternal for a message over the
// sidecar's limit, which is a configuration error.
func (b *Blobs) send(ctx context.Context, name string, encoded []byte) error {
	_, err := b.invoke(ctx, "create", name, quote(encoded))
	switch {
	case err == nil:
		return nil
	case status.Code(err) == codes.ResourceExhausted && strings.Contains(err.Error(), "larger than max"):
		return platform.E(platform.KindInternal, "internal error",
			fmt.Errorf("%d base64-encoded bytes exceed the gRPC message limit (daprd --max-body-size; Config.BlobChunkBytes is %d): %w", len(encoded), b.chunk, err))
	case b.marked(err, func(d *blobDialect) []string { return d.collision }):
		return platform.E(platform.KindConflict, "blob key collides with an existing blob or directory", err)
	}
	return classifyBlob(err)
}

// quote returns the base64 text encoded as a JSON string; base64 needs no
// escapes.
func quote(encoded []byte) []byte {
	q := make([]byte, 0, len(encoded)+2)
	q = append(q, '"')
	q = append(q, encoded...)
	return append(q, '"')
}

// read returns the content of the file name.
//
// Errors: KindNotFound when there is none; else as classify.
func (b *Blobs) read(ctx context.Context, name string) ([]byte, error) {
	data, err := b.invoke(ctx, "get", name, nil)
	if err != nil {
		if b.isNotFound(err) {
			return nil, platform.E(platform.KindNotFound, fmt.Sprintf("blob %q not found", name), err)
		}
		return nil, classifyBlob(err)
	}
	return data, nil
}

// readChunk returns chunk i of the blob m at key.
//
// Errors: KindConflict when it is gone (the blob was replaced or deleted);
// KindInternal when its size is not the manifest's; else as classify.
func (b *Blobs) readChunk(ctx context.Context, key string, m manifest, i int64) ([]byte, error) {
	data, err := b.read(ctx, m.chunkName(i))
	if platform.Is(err, platform.KindNotFound) {
		return nil, platform.E(platform.KindConflict, fmt.Sprintf("blob %q was replaced or deleted while being read", key), err)
	}
	if err != nil {
		return nil, err
	}
	if want := m.chunkLen(i); int64(len(data)) != want {
		return nil, platform.Errorf(platform.KindInternal, "chunk %d of blob %q has %d bytes, not %d", i, key, len(data), want)
	}
	return data, nil
}

// removeChunks removes the chunks of m and their directory, best effort,
// even when ctx has ended; what cannot be removed is logged.
func (b *Blobs) removeChunks(ctx context.Context, m manifest) {
	if m.ID == "" || m.Chunks == 0 {
		return
	}
	ctx, cancel := cleanupContext(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(bindingParallelism)
	for i := range m.Chunks {
		g.Go(func() error { return b.remove(gctx, m.chunkName(i)) })
	}
	err := g.Wait()
	if d := b.d.Load(); err == nil && d != nil && d.dirs {
		err = b.remove(ctx, m.chunkDir())
	}
	if err != nil {
		b.log.Warn("dapr: blob chunks left behind", "binding", b.binding, "dir", m.chunkDir(), "err", err)
	}
}

// remove deletes the file or empty directory name; a missing one is no
// error.
func (b *Blobs) remove(ctx context.Context, name string) error {
	if _, err := b.invoke(ctx, "delete", name, nil); err != nil && !b.isNotFound(err) {
		return fmt.Errorf("delete %s: %w", name, classifyBlob(err))
	}
	return nil
}

// cleanupContext is ctx without its end, bounded by cleanupTimeout.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}

// invoke runs one operation of the binding on the file or object name, in
// the binding's dialect.
func (b *Blobs) invoke(ctx context.Context, op, name string, data []byte) ([]byte, error) {
	d, err := b.dialect(ctx)
	if err != nil {
		return nil, err
	}
	return b.invokeRaw(ctx, op, d.metadata(op, name), data)
}

// invokeRaw runs one operation of the binding with the metadata given.
func (b *Blobs) invokeRaw(ctx context.Context, op string, md map[string]string, data []byte) ([]byte, error) {
	out, err := b.sc.client.InvokeBinding(ctx, &daprc.InvokeBindingRequest{
		Name:      b.binding,
		Operation: op,
		Data:      data,
		Metadata:  md,
	})
	if err != nil {
		return nil, err
	}
	return out.Data, nil
}

// isNotFound reports whether err is the binding's answer for a missing key.
func (b *Blobs) isNotFound(err error) bool {
	return b.marked(err, func(d *blobDialect) []string { return d.notFound })
}

// marked reports whether err, an error of the binding, bears one of the
// marks of the binding's dialect; errors before the binding was reached
// bear none.
func (b *Blobs) marked(err error, marks func(*blobDialect) []string) bool {
	d := b.d.Load()
	var pe *platform.Error
	if d == nil || errors.As(err, &pe) {
		return false
	}
	return containsAny(strings.ToLower(err.Error()), marks(d))
}

// classifyBlob is classify for errors of invoke, which come back
// classified already when the binding was not reached.
func classifyBlob(err error) error {
	var pe *platform.Error
	if errors.As(err, &pe) {
		return err
	}
	return classify(err, "")
}

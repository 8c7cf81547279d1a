package dapr

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/dflix/dflix/services/platform"
)

var (
	_ io.ReadSeekCloser = (*chunkReader)(nil)
	_ io.ReaderAt       = (*chunkReader)(nil)
)

// chunkReader reads a chunked blob, fetching the chunk at its offset when
// it needs it and keeping only that one. It is safe for concurrent use
// (calls are serialized), as io.ReaderAt asks.
type chunkReader struct {
	b   *Blobs
	ctx context.Context // Open's: it bounds every fetch, as the reader's lifetime
	key string
	m   manifest

	mu     sync.Mutex
	pos    int64  // offset of the next Read
	index  int64  // the chunk in buf, -1 for none
	buf    []byte // the bytes of chunk index
	closed bool
}

// newChunkReader returns a reader of the blob m at key; a blob stored whole
// is its one chunk, already read.
func newChunkReader(ctx context.Context, b *Blobs, key string, m manifest) *chunkReader {
	c := &chunkReader{b: b, ctx: ctx, key: key, m: m, index: -1}
	if m.ID == "" {
		c.index, c.buf = 0, m.whole
	}
	return c
}

// Read reads from the current offset.
func (c *chunkReader) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.readAt(p, c.pos)
	c.pos += int64(n)
	if n > 0 && err == io.EOF {
		err = nil // the next Read reports it
	}
	return n, err
}

// ReadAt reads len(p) bytes at off, or fewer and an error.
func (c *chunkReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, platform.Errorf(platform.KindInvalid, "dapr: blob read %q: negative offset %d", c.key, off)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readAt(p, off)
}

// readAt fills p from off, chunk by chunk.
func (c *chunkReader) readAt(p []byte, off int64) (int, error) {
	if c.closed {
		return 0, fmt.Errorf("dapr: blob read %q: %w", c.key, errReaderClosed)
	}
	n := 0
	for n < len(p) {
		if off >= c.m.Size {
			return n, io.EOF
		}
		i := off / c.m.ChunkSize
		if err := c.load(i); err != nil {
			return n, fmt.Errorf("dapr: blob read %q at %d: %w", c.key, off, err)
		}
		k := copy(p[n:], c.buf[off-i*c.m.ChunkSize:])
		n += k
		off += int64(k)
	}
	return n, nil
}

// load makes chunk i the one in buf.
func (c *chunkReader) load(i int64) error {
	if c.index == i {
		return nil
	}
	c.index, c.buf = -1, nil // let the old chunk go before the next arrives
	data, err := c.b.readChunk(c.ctx, c.key, c.m, i)
	if err != nil {
		return err
	}
	c.index, c.buf = i, data
	return nil
}

// Seek sets the offset of the next Read; it reads nothing. An offset past
// the end is allowed, and reads end there.
func (c *chunkReader) Seek(offset int64, whence int) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, fmt.Errorf("dapr: blob seek %q: %w", c.key, errReaderClosed)
	}
	var base int64
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = c.pos
	case io.SeekEnd:
		base = c.m.Size
	default:
		return 0, platform.Errorf(platform.KindInvalid, "dapr: blob seek %q: invalid whence %d", c.key, whence)
	}
	if base+offset < 0 {
		return 0, platform.Errorf(platform.KindInvalid, "dapr: blob seek %q: negative offset %d", c.key, base+offset)
	}
	c.pos = base + offset
	return c.pos, nil
}

// Close releases the chunk in memory; reads after it fail.
func (c *chunkReader) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed, c.index, c.buf, c.m.whole = true, -1, nil, nil
	return nil
}

// errReaderClosed is the error of a read after Close.
var errReaderClosed = platform.Errorf(platform.KindInvalid, "reader closed")

package upload

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/dflix/dflix/services/platform"
)

// partsReader reads an upload's parts one after the other, like an
// io.MultiReader of the opened parts, but opens each part only when the one
// before is used up and closes it then, so that a 10 GiB upload of 8 MiB
// parts does not hold 1,280 blobs open at once. A part that is shorter or
// longer than recorded fails the read.
type partsReader struct {
	ctx   context.Context
	blobs platform.Blob
	parts []Part
	cur   io.ReadCloser
	key   string
	left  int64 // bytes still expected from cur
}

func newPartsReader(ctx context.Context, blobs platform.Blob, parts []Part) *partsReader {
	return &partsReader{ctx: ctx, blobs: blobs, parts: parts}
}

func (p *partsReader) Read(b []byte) (int, error) {
	for {
		if p.cur == nil {
			if len(p.parts) == 0 {
				return 0, io.EOF
			}
			if err := p.next(); err != nil {
				return 0, err
			}
		}
		n, err := p.cur.Read(b)
		p.left -= int64(n)
		switch {
		case p.left < 0:
			return n, fmt.Errorf("part %s is longer than recorded", p.key)
		case errors.Is(err, io.EOF):
			if p.left != 0 {
				return n, fmt.Errorf("part %s is %d bytes shorter than recorded", p.key, p.left)
			}
			if cerr := p.closeCur(); cerr != nil {
				return n, cerr
			}
			if n > 0 {
				return n, nil
			}
		case err != nil:
			return n, fmt.Errorf("read part %s: %w", p.key, err)
		default:
			return n, nil
		}
	}
}

// next opens the next part.
func (p *partsReader) next() error {
	part := p.parts[0]
	rc, err := p.blobs.Open(p.ctx, part.Key)
	if err != nil {
		return fmt.Errorf("open part %s: %w", part.Key, err)
	}
	p.parts, p.cur, p.key, p.left = p.parts[1:], rc, part.Key, part.Size
	return nil
}

func (p *partsReader) closeCur() error {
	if p.cur == nil {
		return nil
	}
	err := p.cur.Close()
	p.cur = nil
	if err != nil {
		return fmt.Errorf("close part %s: %w", p.key, err)
	}
	return nil
}

// Close closes the part being read, if any.
func (p *partsReader) Close() error { return p.closeCur() }

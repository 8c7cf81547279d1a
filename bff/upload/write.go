package upload

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/dflix/dflix/services/platform"
)

// readBuffer is the buffer in front of a PATCH body, used to tell whether
// more bytes follow without storing an empty part.
const readBuffer = 64 << 10

// Write appends the bytes of body to the upload id, which must hold offset
// bytes so far, and returns the upload after. The body is stored in parts of
// at most Config.PartSize bytes; the stored offset advances by whole parts
// only, so when body breaks off, the bytes after the last whole part are
// dropped and the error says so. When the last byte is in, the upload is
// completed before Write returns.
//
// Errors: KindNotFound for an unknown upload (an expired one is also
// KindNotFound, 410 on the tus endpoint); KindConflict when offset is not
// the stored offset or another request wrote the upload at the same time;
// KindInvalid when body breaks off or holds more bytes than the upload's
// length (413 on the tus endpoint; the bytes up to the length are kept);
// a failed store keeps its kind (KindUnavailable).
func (s *Server) Write(ctx context.Context, id string, offset int64, body io.Reader) (Upload, error) {
	u, err := s.write(ctx, id, offset, body)
	if err != nil {
		return u, fmt.Errorf("upload: write %s: %w", id, err)
	}
	return u, nil
}

func (s *Server) write(ctx context.Context, id string, offset int64, body io.Reader) (Upload, error) {
	unlock, err := s.locks.lock(ctx, id)
	if err != nil {
		return Upload{}, err
	}
	defer unlock()
	u, etag, err := s.load(ctx, id)
	if err != nil {
		return Upload{}, err
	}
	if u.expired(s.deps.Clock()) {
		return Upload{}, gone()
	}
	if offset != u.Offset {
		return u, platform.Errorf(platform.KindConflict, "Upload-Offset %d does not match the upload's offset %d", offset, u.Offset)
	}
	br := bufio.NewReaderSize(body, readBuffer)
	if u, etag, err = s.writeParts(ctx, u, etag, br); err != nil {
		return u, err
	}
	if !u.complete() {
		return u, nil
	}
	if u, err = s.finish(ctx, u, etag); err != nil {
		return u, err
	}
	if _, err := br.Peek(1); err == nil {
		return u, platform.E(platform.KindInvalid, "the body holds more bytes than Upload-Length; the bytes up to it were kept",
			statusError{status: statusTooLarge})
	}
	return u, nil
}

// writeParts stores body as parts from the upload's offset until body ends
// or the upload is whole, saving the record after each part.
func (s *Server) writeParts(ctx context.Context, u Upload, etag string, body *bufio.Reader) (Upload, string, error) {
	h, err := restoreHash(u.HashState)
	if err != nil {
		return u, etag, err
	}
	nonce, err := newNonce()
	if err != nil {
		return u, etag, err
	}
	for !u.complete() {
		if _, err := body.Peek(1); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return u, etag, interrupted(ctx, err)
		}
		part, err := s.writePart(ctx, u, h, body, nonce)
		if err != nil {
			return u, etag, err
		}
		next := u
		next.Offset += part.Size
		next.Parts = append(append([]Part(nil), u.Parts...), part)
		next.ExpiresAt = s.deps.Clock().UTC().Add(s.cfg.Expiry)
		if next.HashState, err = marshalHash(h); err != nil {
			return u, etag, err
		}
		if etag, err = s.save(ctx, next, etag); err != nil {
			if platform.Is(err, platform.KindConflict) {
				s.deleteBlob(ctx, part.Key) // never recorded: nobody else can know it
			}
			return u, etag, err
		}
		u = next
	}
	return u, etag, nil
}

// writePart streams the next part of body (at most PartSize bytes, never
// past the upload's length) into its blob and the hash.
func (s *Server) writePart(ctx context.Context, u Upload, h hash.Hash, body io.Reader, nonce string) (Part, error) {
	key := partKey(u.ID, u.Offset, nonce)
	src := &bodyReader{r: io.LimitReader(body, min(s.cfg.PartSize, u.Length-u.Offset))}
	n, err := s.deps.Blobs.Put(ctx, key, io.TeeReader(src, h))
	switch {
	case src.err != nil || (err != nil && ctx.Err() != nil):
		s.deleteBlob(ctx, key)
		return Part{}, interrupted(ctx, errors.Join(src.err, err))
	case err != nil:
		s.deleteBlob(ctx, key)
		return Part{}, fmt.Errorf("store part at %d: %w", u.Offset, err)
	case n != src.n:
		s.deleteBlob(ctx, key)
		return Part{}, platform.E(platform.KindInternal, "internal error",
			fmt.Errorf("store part at %d: stored %d bytes of %d", u.Offset, n, src.n))
	}
	return Part{Key: key, Size: n}, nil
}

// interrupted is the error for a body that broke off (the client went away
// or its connection broke).
func interrupted(ctx context.Context, cause error) error {
	if ctx.Err() != nil {
		cause = errors.Join(cause, ctx.Err())
	}
	return platform.E(platform.KindInvalid, "the request body broke off; HEAD the upload to resume from its offset", cause)
}

// bodyReader counts the bytes read from a request body and remembers the
// error that ended it early, to tell a broken client from a failed store.
type bodyReader struct {
	r   io.Reader
	n   int64
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		b.err = err
	}
	return n, err
}

// restoreHash returns a SHA-256 that resumes from a marshalled state (a new
// one for none).
func restoreHash(state []byte) (hash.Hash, error) {
	h := sha256.New()
	if len(state) == 0 {
		return h, nil
	}
	u, ok := h.(encoding.BinaryUnmarshaler)
	if !ok {
		return nil, platform.E(platform.KindInternal, "internal error", errors.New("sha256 cannot restore its state"))
	}
	if err := u.UnmarshalBinary(state); err != nil {
		return nil, platform.E(platform.KindInternal, "corrupt upload", fmt.Errorf("restore hash: %w", err))
	}
	return h, nil
}

// marshalHash returns the running state of a SHA-256.
func marshalHash(h hash.Hash) ([]byte, error) {
	m, ok := h.(encoding.BinaryMarshaler)
	if !ok {
		return nil, platform.E(platform.KindInternal, "internal error", errors.New("sha256 cannot save its state"))
	}
	state, err := m.MarshalBinary()
	if err != nil {
		return nil, platform.E(platform.KindInternal, "internal error", fmt.Errorf("save hash: %w", err))
	}
	return state, nil
}

// newNonce returns a short random string that keeps part keys unique.
func newNonce() (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", platform.E(platform.KindInternal, "internal error", fmt.Errorf("random nonce: %w", err))
	}
	return hex.EncodeToString(b[:]), nil
}

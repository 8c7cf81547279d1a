package dapr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/google/uuid"
)

// manifestVersion is the layout a manifest describes, its "dflixBlob" field.
const manifestVersion = 1

// manifestReads is how often readManifest reads a manifest that looks half
// written before it takes it as it is.
const manifestReads = 4

// manifestMagic starts every manifest: a file at a key that does not start
// so holds a blob stored whole, before blobs were chunked.
var manifestMagic = []byte(`{"dflixBlob":`)

// errCorruptManifest marks a manifest that cannot be understood.
var errCorruptManifest = errors.New("corrupt blob manifest")

// manifest describes a stored blob: its size and the chunks that hold it,
// chunkDir/<ID>/<index>.
type manifest struct {
	Version   int    `json:"dflixBlob"` // first, so that it starts the JSON
	Size      int64  `json:"size"`
	ChunkSize int64  `json:"chunkSize"`
	Chunks    int64  `json:"chunks"`
	ID        string `json:"id"`

	// whole is the content of a blob stored whole (no ID, one chunk).
	whole []byte
}

// encode returns m as JSON.
func (m manifest) encode() []byte {
	data, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("dapr: encode blob manifest: %v", err)) // plain fields always encode
	}
	return data
}

// chunkDir is the directory of m's chunks.
func (m manifest) chunkDir() string { return path.Join(chunkDir, m.ID) }

// chunkName is the file of chunk i.
func (m manifest) chunkName(i int64) string {
	return path.Join(chunkDir, m.ID, fmt.Sprintf("%06d", i))
}

// chunkLen is the size of chunk i: ChunkSize, less for the last chunk.
func (m manifest) chunkLen(i int64) int64 {
	return min(m.ChunkSize, m.Size-i*m.ChunkSize)
}

// check reports a manifest whose fields do not agree as errCorruptManifest.
func (m manifest) check() error {
	switch {
	case m.Version != manifestVersion:
		return fmt.Errorf("%w: layout version %d, not %d", errCorruptManifest, m.Version, manifestVersion)
	case m.Size < 0 || m.ChunkSize <= 0 || m.Chunks != (m.Size+m.ChunkSize-1)/m.ChunkSize:
		return fmt.Errorf("%w: size %d, chunk size %d, %d chunks", errCorruptManifest, m.Size, m.ChunkSize, m.Chunks)
	}
	if _, err := uuid.Parse(m.ID); err != nil {
		return fmt.Errorf("%w: id %q", errCorruptManifest, m.ID)
	}
	return nil
}

// parseManifest reads the file at a key: a manifest, or a blob stored whole.
//
// Errors: KindInternal wrapping errCorruptManifest for a manifest that
// cannot be understood.
func parseManifest(data []byte) (manifest, error) {
	if !bytes.HasPrefix(data, manifestMagic) {
		size := int64(len(data))
		return manifest{Size: size, ChunkSize: max(size, 1), Chunks: min(size, 1), whole: data}, nil
	}
	var m manifest
	err := json.Unmarshal(data, &m)
	if err == nil {
		err = m.check()
	} else {
		err = fmt.Errorf("%w: %w", errCorruptManifest, err)
	}
	if err != nil {
		return manifest{}, platform.E(platform.KindInternal, "internal error", err)
	}
	return m, nil
}

// halfWritten reports whether data may be a manifest caught while it is
// written: the binding truncates a file, then writes it.
func halfWritten(data []byte) bool {
	return bytes.HasPrefix(manifestMagic, data) || (bytes.HasPrefix(data, manifestMagic) && !json.Valid(data))
}

// readManifest returns the manifest of the blob at key, reading it again a
// few times, briefly, while it looks half written.
//
// Errors: KindNotFound when no blob is there; KindInternal wrapping
// errCorruptManifest for a manifest that cannot be understood; else as
// classify.
func (b *Blobs) readManifest(ctx context.Context, key string) (manifest, error) {
	var data []byte
	for attempt := range manifestReads {
		if attempt > 0 {
			if err := pause(ctx, time.Duration(attempt)*time.Millisecond); err != nil {
				return manifest{}, err
			}
		}
		var err error
		if data, err = b.read(ctx, key); err != nil {
			return manifest{}, err
		}
		if !halfWritten(data) {
			break
		}
	}
	return parseManifest(data)
}

// pause waits for d or until ctx ends.
//
// Errors: KindUnavailable when ctx ends first.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return platform.E(platform.KindUnavailable, unavailableMessage, ctx.Err())
	case <-t.C:
		return nil
	}
}

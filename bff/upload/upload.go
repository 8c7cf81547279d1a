package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// Upload is one resumable upload as stored in the State at "upload:<id>".
type Upload struct {
	ID       string `json:"id"`
	VideoID  string `json:"videoId"`
	Filename string `json:"filename"`
	// Length is the whole file's size in bytes; Offset how many are stored.
	Length int64 `json:"length"`
	Offset int64 `json:"offset"`
	// Parts are the stored blobs, in order; their sizes add up to Offset.
	// Emptied once the upload is completed.
	Parts []Part `json:"parts,omitempty"`
	// HashState is the SHA-256 of the first Offset bytes, marshalled with
	// encoding.BinaryMarshaler so that the next PATCH, on any replica, goes
	// on hashing. Emptied once the upload is completed.
	HashState []byte    `json:"hashState,omitempty"`
	CreatedBy string    `json:"createdBy,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	// ExpiresAt is when an unfinished upload is gone; each PATCH moves it
	// Config.Expiry ahead. For a completed upload, when its record is swept.
	ExpiresAt   time.Time `json:"expiresAt"`
	Completed   bool      `json:"completed"`
	CompletedAt time.Time `json:"completedAt,omitzero"`
	// MediaID is the hex SHA-256 of the bytes, set on completion; the
	// joined file is at SourceKey(MediaID).
	MediaID string `json:"mediaId,omitempty"`
}

// Part is one stored piece of an upload's bytes.
type Part struct {
	Key  string `json:"key"`
	Size int64  `json:"size"`
}

// complete reports whether every byte is stored.
func (u Upload) complete() bool { return u.Offset == u.Length }

// expired reports whether an unfinished upload is past its expiry.
func (u Upload) expired(now time.Time) bool { return !u.Completed && !now.Before(u.ExpiresAt) }

// Storage layout.
const (
	recordPrefix  = "upload:"
	uploadsSet    = "uploads" // KeySet of every stored upload id
	uploadShards  = 8
	conflictTries = 8
	eventSource   = "bff"
)

// recordKey is the State key of an upload's record.
func recordKey(id string) string { return recordPrefix + id }

// partKey is the blob key of the part starting at offset; nonce keeps two
// racing writers of one offset (on two replicas) from overwriting each
// other's part, since only one of them can then record it.
func partKey(id string, offset int64, nonce string) string {
	return fmt.Sprintf("uploads/%s/part-%015d-%s", id, offset, nonce)
}

// partsPrefix is the blob key prefix of every part of an upload.
func partsPrefix(id string) string { return "uploads/" + id + "/" }

// SourceKey is the blob key of a completed media's whole file.
func SourceKey(mediaID string) string { return "media/" + mediaID + "/source" }

// validID reports whether id looks like an upload id: 128 bits in
// lower-case hex.
func validID(id string) bool {
	return len(id) == 32 && !strings.ContainsFunc(id, func(r rune) bool {
		return (r < '0' || r > '9') && (r < 'a' || r > 'f')
	})
}

// Server is the tus endpoint and the Go API behind the createUpload
// mutation. It is safe for concurrent use, also by several replicas sharing
// one State and Blob store.
type Server struct {
	cfg    Config
	deps   Deps
	outbox *platform.Outbox
	ids    *platform.KeySet
	locks  *keyedMutex
}

var _ http.Handler = (*Server)(nil)

// New returns a server over deps.
//
// Errors: unclassified when a required dependency is missing.
func New(cfg Config, deps Deps) (*Server, error) {
	deps, err := deps.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Server{
		cfg:    cfg.withDefaults(),
		deps:   deps,
		outbox: platform.NewOutbox(deps.State, deps.Publisher, deps.Logger),
		ids:    platform.NewKeySet(deps.State, uploadsSet, uploadShards),
		locks:  newKeyedMutex(),
	}, nil
}

// Get returns the upload with the given id, as stored.
//
// Errors: KindNotFound for an unknown (or malformed) id; a failed read
// keeps its kind (KindUnavailable, KindInternal).
func (s *Server) Get(ctx context.Context, id string) (Upload, error) {
	u, _, err := s.load(ctx, id)
	if err != nil {
		return Upload{}, fmt.Errorf("upload: get: %w", err)
	}
	return u, nil
}

// load reads an upload's record and its ETag.
func (s *Server) load(ctx context.Context, id string) (Upload, string, error) {
	if !validID(id) {
		return Upload{}, "", platform.E(platform.KindNotFound, "upload not found", nil)
	}
	var u Upload
	etag, err := platform.GetJSON(ctx, s.deps.State, recordKey(id), "upload not found", &u)
	if err != nil {
		return Upload{}, "", err
	}
	return u, etag, nil
}

// save writes an upload's record conditional on etag and returns the new
// ETag. The State does not return the ETag of a write, so the record is read
// back: a value other than the one written means another writer came in
// between, which counts as a lost race.
//
// Errors: KindConflict when another writer changed the record since etag.
func (s *Server) save(ctx context.Context, u Upload, etag string) (string, error) {
	data, err := json.Marshal(u)
	if err != nil {
		return "", fmt.Errorf("encode upload: %w", err)
	}
	op := platform.Op{Key: recordKey(u.ID), Value: data, ETag: etag}
	if err := s.deps.State.Transact(ctx, []platform.Op{op}); err != nil {
		return "", fmt.Errorf("save upload: %w", err)
	}
	item, err := s.deps.State.Get(ctx, op.Key)
	if err != nil {
		return "", fmt.Errorf("reread upload: %w", err)
	}
	if !bytes.Equal(item.Value, data) {
		return "", platform.E(platform.KindConflict, "the upload was changed by another request", nil)
	}
	return item.ETag, nil
}

// url is where the upload with the given id lives.
func (s *Server) url(id string) string { return s.cfg.PublicURL + s.cfg.BasePath + id }

package platform

import (
	"context"
	"io"
)

// Invoker calls a method of another service (an app) with a JSON body and
// returns the JSON response. A failed call returns a classified *Error whose
// kind is the one the callee returned, so a NotFound arrives as NotFound; a
// callee that cannot be reached is KindUnavailable.
type Invoker interface {
	Invoke(ctx context.Context, app, method string, body []byte) ([]byte, error)
}

// Blob stores large binary objects (media, uploads) by key. Keys are
// slash-separated paths such as "media/<id>/720p/seg-0001.ts".
//
// Errors: Open and Stat return KindNotFound for a missing key.
type Blob interface {
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	Stat(ctx context.Context, key string) (BlobInfo, error)
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, prefix string) ([]BlobInfo, error)
}

// BlobInfo describes one stored blob.
type BlobInfo struct {
	Key  string
	Size int64
}

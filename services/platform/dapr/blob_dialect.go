package dapr

import (
	"context"
	"fmt"
	"slices"

	daprc "github.com/dapr/go-sdk/client"
	"github.com/dflix/dflix/services/platform"
)

// Blob binding component types Blobs speaks.
const (
	localStorageType = "bindings.localstorage"
	s3Type           = "bindings.aws.s3"
)

// blobDialect is how Blobs speaks to one type of binding: the two agree on
// operations (create, get, delete, list) but not on how a key is named,
// how a missing one is reported, or what list takes and answers.
type blobDialect struct {
	// component is the binding's component type.
	component string
	// keyMeta is the request metadata naming the file or object.
	keyMeta string
	// extraMeta are sent with every operation of its name: aws.s3 decodes
	// base64 on create and returns raw bytes on get only when asked, and a
	// request's own metadata overrides the component's, so the adapter does
	// not depend on how the component was written.
	extraMeta map[string]map[string]string
	// notFound are the error texts of a missing key.
	notFound []string
	// collision are the error texts of a key a file or directory blocks.
	collision []string
	// dirs is whether keys are file paths with real directories: the
	// chunk directory is removed after its chunks, a listing is by
	// directory, and the root path is learnt from an error.
	dirs bool
}

var (
	// localStorageDialect is bindings.localstorage's: keys are file paths
	// under rootPath, errors are os errors.
	localStorageDialect = &blobDialect{
		component: localStorageType,
		keyMeta:   "fileName",
		notFound:  []string{"file not found", "no such file or directory", "is a directory", "not a directory"},
		collision: []string{"not a directory", "is a directory", "file exists"},
		dirs:      true,
	}
	// s3Dialect is bindings.aws.s3's (components-contrib 1.14): keys are
	// object keys of one bucket; get answers a missing one "object not
	// found" (S3's NoSuchKey), delete of a missing one succeeds. S3 itself
	// never reports collisions, but S3 servers that keep objects as files
	// (versitygw's posix backend) refuse a key below an object or on a
	// directory, with these texts.
	s3Dialect = &blobDialect{
		component: s3Type,
		keyMeta:   "key",
		extraMeta: map[string]map[string]string{
			"create": {"decodeBase64": "true"},
			"get":    {"encodeBase64": "false"},
		},
		notFound:  []string{"object not found", "nosuchkey"},
		collision: []string{"objectparentisfile", "existingobjectisdirectory", "not a directory", "is a directory"},
	}
)

// metadata is the request metadata of operation op on key name.
func (d *blobDialect) metadata(op, name string) map[string]string {
	md := map[string]string{d.keyMeta: name}
	for k, v := range d.extraMeta[op] {
		md[k] = v
	}
	return md
}

// blobDialectFor returns the dialect of a binding component type.
//
// Errors: KindInternal for a type Blobs does not speak.
func blobDialectFor(componentType string) (*blobDialect, error) {
	for _, d := range []*blobDialect{localStorageDialect, s3Dialect} {
		if d.component == componentType {
			return d, nil
		}
	}
	return nil, platform.Errorf(platform.KindInternal, "blob binding is %s; want %s or %s", componentType, localStorageType, s3Type)
}

// dialect returns the binding's dialect, reading its component type from
// the sidecar's metadata once: the same code then runs on either binding
// with nothing to configure.
//
// Errors: KindInternal when the sidecar has no such binding or it is of
// another type; else as classify.
func (b *Blobs) dialect(ctx context.Context) (*blobDialect, error) {
	if d := b.d.Load(); d != nil {
		return d, nil
	}
	b.dialectMu.Lock()
	defer b.dialectMu.Unlock()
	if d := b.d.Load(); d != nil {
		return d, nil
	}
	md, err := b.sc.client.GetMetadata(ctx)
	if err != nil {
		return nil, fmt.Errorf("dapr: blob binding %s: read the sidecar's metadata: %w", b.binding, classify(err, ""))
	}
	i := slices.IndexFunc(md.RegisteredComponents, func(c *daprc.MetadataRegisteredComponents) bool { return c.Name == b.binding })
	if i < 0 {
		return nil, platform.Errorf(platform.KindInternal, "dapr: no binding component named %q in the sidecar", b.binding)
	}
	d, err := blobDialectFor(md.RegisteredComponents[i].Type)
	if err != nil {
		return nil, fmt.Errorf("dapr: binding %s: %w", b.binding, err)
	}
	b.d.Store(d)
	return d, nil
}

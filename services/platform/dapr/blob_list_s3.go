package dapr

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dflix/dflix/services/platform"
)

// s3ListPage is how many keys one list call of aws.s3 asks for, S3's most.
const s3ListPage = 1000

// s3ListRequest is the body of aws.s3's list operation (components-contrib
// 1.14, bindings/aws/s3 listPayload); it takes no key metadata.
type s3ListRequest struct {
	Marker     string `json:"marker,omitempty"`
	Prefix     string `json:"prefix"`
	MaxResults int32  `json:"maxResults"`
	Delimiter  string `json:"delimiter,omitempty"`
}

// s3ListResponse is the part of its answer Blobs reads: the SDK's
// s3.ListObjectsOutput as encoding/json writes it (Go field names).
type s3ListResponse struct {
	Contents []struct {
		Key string `json:"Key"`
	} `json:"Contents"`
	CommonPrefixes []struct {
		Prefix string `json:"Prefix"`
	} `json:"CommonPrefixes"`
	IsTruncated bool   `json:"IsTruncated"`
	NextMarker  string `json:"NextMarker"`
}

// listObjects returns the keys of every blob whose key starts with prefix.
// The chunks are never walked: when the prefix could cover chunkDir, the
// level below the prefix is listed with a delimiter, and every common
// prefix but chunkDir's is listed whole.
func (b *Blobs) listObjects(ctx context.Context, prefix string) ([]string, error) {
	if !strings.HasPrefix(chunkDir+"/", prefix) {
		keys, _, err := b.listS3(ctx, prefix, "")
		return keys, err
	}
	keys, dirs, err := b.listS3(ctx, prefix, "/")
	if err != nil {
		return nil, err
	}
	for _, dir := range dirs {
		if dir == chunkDir+"/" {
			continue
		}
		below, _, err := b.listS3(ctx, dir, "")
		if err != nil {
			return nil, err
		}
		keys = append(keys, below...)
	}
	return keys, nil
}

// listS3 lists the objects under prefix, page by page: the keys that are
// blob keys, and the common prefixes when delimiter is set.
func (b *Blobs) listS3(ctx context.Context, prefix, delimiter string) (keys, dirs []string, err error) {
	req := s3ListRequest{Prefix: prefix, MaxResults: s3ListPage, Delimiter: delimiter}
	for {
		body, err := json.Marshal(req)
		if err != nil {
			return nil, nil, fmt.Errorf("encode list: %w", err)
		}
		out, err := b.invokeRaw(ctx, "list", nil, body)
		if err != nil {
			return nil, nil, classifyBlob(err)
		}
		var page s3ListResponse
		if err := json.Unmarshal(out, &page); err != nil {
			return nil, nil, platform.E(platform.KindInternal, "internal error", fmt.Errorf("decode list: %w", err))
		}
		last := ""
		for _, c := range page.Contents {
			last = max(last, c.Key)
			if checkBlobKey(c.Key) == nil {
				keys = append(keys, c.Key)
			}
		}
		for _, p := range page.CommonPrefixes {
			last = max(last, p.Prefix)
			dirs = append(dirs, p.Prefix)
		}
		if !page.IsTruncated {
			return keys, dirs, nil
		}
		// S3 sets NextMarker only with a delimiter; without, the next page
		// starts after the last key.
		next := page.NextMarker
		if next == "" {
			next = last
		}
		if next == "" || next == req.Marker {
			return nil, nil, platform.Errorf(platform.KindInternal, "dapr: blob binding %s: list of %q truncated without a marker to go on from", b.binding, prefix)
		}
		req.Marker = next
	}
}

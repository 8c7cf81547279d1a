package encoder

import (
	"context"

	"github.com/dflix/dflix/services/platform"
)

var _ API = (*Client)(nil)

// Client is the encoder API over a platform.Invoker (the app AppID). Errors
// keep the kind and message the service gave them.
type Client struct {
	inv platform.Invoker
}

// NewClient returns a Client that calls the encoder through inv.
func NewClient(inv platform.Invoker) *Client { return &Client{inv: inv} }

// GetJob calls Service.GetJob.
func (c *Client) GetJob(ctx context.Context, req GetJobRequest) (GetJobResponse, error) {
	return platform.Call[GetJobRequest, GetJobResponse](ctx, c.inv, AppID, MethodGetJob, req)
}

package platform

import (
	"context"
	"strconv"
)

// Binding is an output binding: one call to an external system through a
// named, configured component (a Dapr output binding, or an in-process
// stand-in). The adapters follow Dapr's bindings.http semantics:
//
//   - Operation is the lower-case HTTP method ("post", "get", "put",
//     "patch", "delete", "head", "options", "trace"; "create" means "post").
//     Data is the request body of post, put and patch and ignored otherwise.
//   - Metadata "path" is appended to the binding's URL (joined by one "/");
//     it may carry a query ("/charges?token=tok_1").
//   - Metadata keys that start with an upper-case letter are sent as
//     request headers ("Idempotency-Key", "Content-Type"); Content-Type
//     defaults to application/json when there is a body, Accept to
//     application/json. Other lower-case keys are options of the binding
//     ("errorIfNot2XX": "true" or "false" overrides the component's
//     setting for this call) and are not sent.
//   - The response Data is the response body; its Metadata carries
//     "statusCode" (BindingStatusCode, e.g. "201"), "status" ("201
//     Created") and the response headers, several values joined by ", ".
//
// Errors: KindInvalid for an unknown operation; KindUnavailable when the
// target cannot be reached (or ctx ends). A bindings.http component
// configured with errorIfNot2XX "false" (as dflix configures its payment
// gateway) returns a 4xx or 5xx as a normal response with its statusCode;
// with errorIfNot2XX "true", Dapr's default, a non-2xx status is an error of
// the status's kind (KindFromStatus) and the response is lost.
type Binding interface {
	InvokeBinding(ctx context.Context, req BindingRequest) (BindingResponse, error)
}

// Metadata keys of bindings.http requests and responses.
const (
	// BindingPath is the request metadata appended to the binding's URL.
	BindingPath = "path"
	// BindingStatusCode is the response metadata with the HTTP status.
	BindingStatusCode = "statusCode"
	// BindingErrorIfNot2XX is the request metadata ("true" or "false")
	// that overrides the component's errorIfNot2XX for one call.
	BindingErrorIfNot2XX = "errorIfNot2XX"
)

// BindingRequest is one call of an output binding; see Binding for what the
// fields mean to bindings.http.
type BindingRequest struct {
	Operation string
	Data      []byte
	Metadata  map[string]string
}

// BindingResponse is what an output binding answered; see Binding.
type BindingResponse struct {
	Data     []byte
	Metadata map[string]string
}

// StatusCode returns the HTTP status in Metadata (BindingStatusCode), or 0
// when there is none or it is not a number.
func (r BindingResponse) StatusCode() int {
	code, err := strconv.Atoi(r.Metadata[BindingStatusCode])
	if err != nil {
		return 0
	}
	return code
}

package platform

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Kind classifies an error once, where it happens, so every edge (HTTP status,
// GraphQL extensions.code, retry decisions) can map it without string matching.
type Kind string

// The error kinds. They travel on the wire as their string value.
const (
	KindInvalid         Kind = "invalid"
	KindNotFound        Kind = "not_found"
	KindConflict        Kind = "conflict"
	KindUnauthenticated Kind = "unauthenticated"
	KindForbidden       Kind = "forbidden"
	KindUnavailable     Kind = "unavailable"
	KindInternal        Kind = "internal"
	// KindRateLimited refuses a caller that made too many attempts (such as
	// failed sign-ins) until its window passes; retrying at once cannot help.
	KindRateLimited Kind = "rate_limited"
)

// Error is a classified error. Message is safe to show to a client; Err (the
// cause) is for logs only.
type Error struct {
	Kind    Kind
	Message string
	Err     error
	// Code refines Kind for clients that act on the exact cause (such as
	// MEDIA_NOT_READY or SUBSCRIPTION_REQUIRED); empty means the kind says
	// it all. It travels on the wire and becomes the GraphQL extensions.code.
	Code string
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a classified error whose client-safe message is the formatted
// text. A %w verb wraps a cause as usual.
func Errorf(kind Kind, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Message: err.Error(), Err: errors.Unwrap(err)}
}

// E classifies cause with kind and a client-safe message; the cause stays for logs.
func E(kind Kind, message string, cause error) error {
	return &Error{Kind: kind, Message: message, Err: cause}
}

// Coded is E with a Code that refines the kind for clients.
func Coded(kind Kind, code, message string, cause error) error {
	return &Error{Kind: kind, Message: message, Err: cause, Code: code}
}

// CodeOf returns the Code of the outermost classified error in err's chain,
// or "" when it has none.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// KindOf reports the kind of the outermost classified error in err's chain.
// Context cancellation and deadlines count as unavailable; anything
// unclassified is internal.
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return KindUnavailable
	}
	return KindInternal
}

// Is reports whether err is classified as kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }

// PublicMessage returns the message a client may see: the classified message,
// or a generic text for internal errors so that details never leak.
func PublicMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != KindInternal {
		return e.Message
	}
	switch KindOf(err) {
	case KindUnavailable:
		return "service unavailable, try again"
	default:
		return "internal error"
	}
}

var kindStatus = map[Kind]int{
	KindInvalid:         http.StatusBadRequest,
	KindNotFound:        http.StatusNotFound,
	KindConflict:        http.StatusConflict,
	KindUnauthenticated: http.StatusUnauthorized,
	KindForbidden:       http.StatusForbidden,
	KindUnavailable:     http.StatusServiceUnavailable,
	KindInternal:        http.StatusInternalServerError,
	KindRateLimited:     http.StatusTooManyRequests,
}

// HTTPStatus maps a kind to the HTTP status used on the wire.
func HTTPStatus(kind Kind) int {
	if s, ok := kindStatus[kind]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// KindFromStatus is the inverse of HTTPStatus, for responses that carry no
// error body (a proxy or sidecar answering on the service's behalf).
func KindFromStatus(status int) Kind {
	for k, s := range kindStatus {
		if s == status {
			return k
		}
	}
	switch {
	case status == http.StatusBadGateway, status == http.StatusGatewayTimeout:
		return KindUnavailable
	case status >= 400 && status < 500:
		return KindInvalid
	default:
		return KindInternal
	}
}

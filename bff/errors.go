package bff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/dflix/dflix/services/platform"
)

// The extensions.code values. gqlgen's own GRAPHQL_PARSE_FAILED and
// GRAPHQL_VALIDATION_FAILED, COMPLEXITY_LIMIT_EXCEEDED and
// DEPTH_LIMIT_EXCEEDED pass through unchanged.
const (
	CodeBadUserInput    = "BAD_USER_INPUT"
	CodeNotFound        = "NOT_FOUND"
	CodeConflict        = "CONFLICT"
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeUnavailable     = "UNAVAILABLE"
	CodeInternal        = "INTERNAL"
	CodeBadRequest      = "BAD_REQUEST"
	CodeDepthLimit      = "DEPTH_LIMIT_EXCEEDED"
	CodeComplexityLimit = "COMPLEXITY_LIMIT_EXCEEDED"
	// CodeAliasLimit: too many aliased fields, or a costly mutation (login,
	// register, ...) run under too many aliases (Config.AliasLimit,
	// Config.CostlyFieldLimit).
	CodeAliasLimit = "ALIAS_LIMIT_EXCEEDED"
	// CodeTokenLimit refines GRAPHQL_PARSE_FAILED: the document has more
	// tokens than the parser reads.
	CodeTokenLimit = "TOKEN_LIMIT_EXCEEDED"
	// CodeMediaNotReady refines CONFLICT: the video has no READY media to
	// play or download yet.
	CodeMediaNotReady = "MEDIA_NOT_READY"
	// CodeOperationLimit: a websocket connection already runs as many
	// operations as it may (wsOperationLimit); complete one first.
	CodeOperationLimit = "OPERATION_LIMIT_EXCEEDED"
	// CodeRateLimited: too many failed attempts (sign-ins); the message says
	// when to try again.
	CodeRateLimited = "RATE_LIMITED"
)

var kindCodes = map[platform.Kind]string{
	platform.KindInvalid:         CodeBadUserInput,
	platform.KindNotFound:        CodeNotFound,
	platform.KindConflict:        CodeConflict,
	platform.KindUnauthenticated: CodeUnauthenticated,
	platform.KindForbidden:       CodeForbidden,
	platform.KindUnavailable:     CodeUnavailable,
	platform.KindInternal:        CodeInternal,
	platform.KindRateLimited:     CodeRateLimited,
}

// CodeOf maps an error kind to its GraphQL code.
func CodeOf(kind platform.Kind) string {
	if c, ok := kindCodes[kind]; ok {
		return c
	}
	return CodeInternal
}

// presenter is the one place where errors become GraphQL errors.
type presenter struct{ log *slog.Logger }

// present maps err: errors gqlgen already coded keep their code (variable
// coercion failures become BAD_USER_INPUT), classified errors get the code
// of their kind and their public message, and anything else is INTERNAL
// with a generic message, the real error going to the log only.
func (p presenter) present(ctx context.Context, err error) *gqlerror.Error {
	var gqlErr *gqlerror.Error
	if !errors.As(err, &gqlErr) {
		gqlErr = gqlerror.WrapPath(graphql.GetPath(ctx), err)
	}
	if code, ok := gqlErr.Extensions["code"].(string); ok {
		if code == errcode.ValidationFailed && isVariablePath(gqlErr.Path) {
			return withCode(gqlErr, gqlErr.Message, CodeBadUserInput)
		}
		if code == errcode.ParseFailed && gqlErr.Message == tokenLimitMessage {
			return withCode(gqlErr, gqlErr.Message, CodeTokenLimit)
		}
		return gqlErr
	}
	var perr *platform.Error
	switch {
	case errors.As(err, &perr):
	case gqlErr.Err == nil && len(gqlErr.Path) == 0:
		// A request gqlgen could not read (body, transport): the message
		// describes the client's own input.
		return withCode(gqlErr, transportMessage(gqlErr.Message), CodeBadRequest)
	}
	kind := platform.KindOf(err)
	if kind == platform.KindInternal {
		p.log.ErrorContext(ctx, "graphql internal error", "path", gqlErr.Path.String(), "operation", operationName(ctx), "err", err)
	}
	code := platform.CodeOf(err)
	if code == "" || kind == platform.KindInternal {
		code = CodeOf(kind)
	}
	return withCode(gqlErr, platform.PublicMessage(err), code)
}

// recoverPanic turns a panic in a resolver into an internal error, logged
// with its stack.
func (p presenter) recoverPanic(ctx context.Context, v any) error {
	p.log.ErrorContext(ctx, "graphql resolver panic", "panic", fmt.Sprint(v), "operation", operationName(ctx), "stack", string(debug.Stack()))
	return platform.E(platform.KindInternal, "internal error", fmt.Errorf("panic: %v", v))
}

// writeError writes err as a GraphQL response without data, with the HTTP
// status of its kind (used before the GraphQL handler runs).
func (p presenter) writeError(w http.ResponseWriter, r *http.Request, err error) {
	gqlErr := p.present(r.Context(), err)
	status := platform.HTTPStatus(platform.KindOf(err))
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	writeResponse(w, status, gqlErr)
}

func writeResponse(w http.ResponseWriter, status int, errs ...*gqlerror.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(graphql.Response{Errors: errs})
}

func withCode(src *gqlerror.Error, message, code string) *gqlerror.Error {
	out := &gqlerror.Error{
		Message:    message,
		Path:       src.Path,
		Locations:  src.Locations,
		Rule:       src.Rule,
		Extensions: map[string]any{},
	}
	for k, v := range src.Extensions {
		out.Extensions[k] = v
	}
	out.Extensions["code"] = code
	return out
}

func isVariablePath(path ast.Path) bool {
	if len(path) == 0 {
		return false
	}
	name, ok := path[0].(ast.PathName)
	return ok && name == "variable"
}

func operationName(ctx context.Context) string {
	if !graphql.HasOperationContext(ctx) {
		return ""
	}
	return graphql.GetOperationContext(ctx).OperationName
}

package bff

import (
	"bufio"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// tokenLimitMessage is gqlparser's error for a document longer than
// parserTokenLimit, which the presenter turns into TOKEN_LIMIT_EXCEEDED.
var tokenLimitMessage = fmt.Sprintf("exceeded token limit of %d", parserTokenLimit)

// transportMessage replaces gqlgen's messages for a body it could not read
// or decode, which quote Go type names, decoder internals and the whole
// body back, with a plain description.
func transportMessage(msg string) string {
	switch {
	case strings.HasPrefix(msg, "json request body could not be decoded"):
		return "the request body is not a GraphQL request: send one JSON object with a query"
	case strings.HasPrefix(msg, "could not read request body"):
		return "could not read the request body"
	}
	return msg
}

// batchPeek is how far into a body to look for the '[' of a batch: past any
// whitespace a client could reasonably send first.
const batchPeek = 512

// refuseBatch answers a JSON array body (several operations in one
// request, which gqlgen does not run) with a 400 and a clear message, and
// reports whether it did. Otherwise r.Body still yields the whole body.
func refuseBatch(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost || r.Body == nil {
		return false
	}
	if media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); media != "application/json" {
		return false
	}
	br := bufio.NewReaderSize(r.Body, batchPeek)
	head, _ := br.Peek(batchPeek) // a shorter body comes back whole, with an error
	r.Body = struct {
		io.Reader
		io.Closer
	}{br, r.Body}
	if trimmed := strings.TrimLeft(string(head), " \t\r\n"); !strings.HasPrefix(trimmed, "[") {
		return false
	}
	writeResponse(w, http.StatusBadRequest, &gqlerror.Error{
		Message:    "batched operations are not supported: send one operation per request",
		Extensions: map[string]any{"code": CodeBadRequest},
	})
	return true
}

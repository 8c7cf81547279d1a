package bff_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// stableCodes are the extensions.code values a client may see (README).
// INTERNAL is left out: nothing a client sends may cause one while every
// service is up.
var stableCodes = map[string]bool{
	"UNAUTHENTICATED": true, "FORBIDDEN": true, "NOT_FOUND": true, "BAD_USER_INPUT": true, "BAD_REQUEST": true,
	"CONFLICT": true, "MEDIA_NOT_READY": true, "STREAM_LIMIT_REACHED": true, "SUBSCRIPTION_REQUIRED": true,
	"PAYMENT_DECLINED": true, "UNAVAILABLE": true, "RATE_LIMITED": true, "GRAPHQL_PARSE_FAILED": true,
	"GRAPHQL_VALIDATION_FAILED": true, "COMPLEXITY_LIMIT_EXCEEDED": true, "DEPTH_LIMIT_EXCEEDED": true,
	"ALIAS_LIMIT_EXCEEDED": true, "TOKEN_LIMIT_EXCEEDED": true, "OPERATION_LIMIT_EXCEEDED": true,
}

// fuzzOps are the operations FuzzGraphQLVariables sends variables to: each
// turns GraphQL input into a service request (input coercion, ID and cursor
// parsing, enum and scalar decoding); admin says whose token goes with it.
var fuzzOps = []struct {
	query string
	admin bool
}{
	{`mutation($input: CreateVideoInput!) { createVideo(input: $input) { id title } }`, true},
	{`mutation($id: ID!, $input: UpdateVideoInput!) { updateVideo(id: $id, input: $input) { id title } }`, true},
	{`query($first: Int, $after: String, $orderBy: VideoOrder) { videos(first: $first, after: $after, orderBy: $orderBy) { totalCount edges { cursor } } }`, false},
	{`query($q: String!, $first: Int, $after: String, $filter: VideoFilter) { search(query: $q, first: $first, after: $after, filter: $filter) { totalCount } }`, false},
	{`mutation($videoId: ID!, $tags: [String!]!) { addTags(videoId: $videoId, tags: $tags) }`, false},
	{`query($id: ID!) { video(id: $id) { id title myTags } }`, false},
	{`mutation($videoId: ID!, $filename: String!, $size: Int64!) { createUpload(videoId: $videoId, filename: $filename, size: $size) { url } }`, true},
	{`mutation($videoId: ID!, $positionSeconds: Float!) { recordProgress(videoId: $videoId, positionSeconds: $positionSeconds) { positionSeconds } }`, false},
}

// FuzzGraphQLVariables posts arbitrary variables JSON with a few fixed
// operations to a real BFF in front of in-process services. Whatever the
// variables: the answer is never a 5xx nor a panic, it is JSON, every error
// carries an extensions.code from the stable set (never INTERNAL), and a
// mutation that failed left the users, catalog and the viewer's tags as
// they were (nothing written half).
func FuzzGraphQLVariables(f *testing.F) {
	s := newStack(f, stackOptions{quiet: true})
	video := s.fixture.video
	for i, vars := range []string{
		`{"input":{"title":"Fuzz","releaseYear":2001,"durationSeconds":60,"ageRating":"PG"}}`,
		`{"id":"` + video + `","input":{"title":"","tags":null,"releaseYear":-1}}`,
		`{"first":5,"after":"e30","orderBy":{"field":"TITLE","descending":true}}`,
		`{"q":"fixture","first":101,"after":"b2Zmc2V0Oi0x","filter":{"year":2001,"genreId":"x"}}`,
		`{"videoId":"` + video + `","tags":["a","` + strings.Repeat("b", 300) + `",""]}`,
		`{"id":"../../etc"}`,
		`{"videoId":"` + video + `","filename":"../x.mp4","size":-1}`,
		`{"videoId":"` + video + `","positionSeconds":1e308}`,
	} {
		f.Add(uint8(i), []byte(vars))
	}
	f.Add(uint8(0), []byte(`{"input":{"title":"x","releaseYear":"2001","durationSeconds":1.5,"ageRating":"NOPE"}}`))
	f.Add(uint8(2), []byte(`{"first":9223372036854775808}`))
	f.Add(uint8(3), []byte(`[`))
	f.Add(uint8(4), []byte(`null`))
	f.Add(uint8(5), []byte(`{"id":{"nested":[1,2,3]}}`))
	f.Fuzz(func(t *testing.T, op uint8, vars []byte) {
		o := fuzzOps[int(op)%len(fuzzOps)]
		token := s.viewer.token
		if o.admin {
			token = s.admin.token
		}
		mutation := strings.HasPrefix(o.query, "mutation")
		var before snapshot
		if mutation {
			before = s.snapshot(t)
		}
		q, err := json.Marshal(o.query)
		require.NoError(t, err)
		body := append(append(append([]byte(`{"query":`), q...), `,"variables":`...), vars...)
		body = append(body, '}')
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		status, raw := s.send(t, req)
		require.Less(t, status, 500, "%s", raw)

		var res gqlResult
		require.NoError(t, json.Unmarshal(raw, &res), "not JSON: %s", raw)
		for _, e := range res.Errors {
			code, _ := e.Extensions["code"].(string)
			require.True(t, stableCodes[code], "code %q for %s: %s", code, vars, raw)
		}
		if mutation && len(res.Errors) > 0 {
			require.Equal(t, before, s.snapshot(t), "a failed mutation changed something: %s", raw)
		}
	})
}

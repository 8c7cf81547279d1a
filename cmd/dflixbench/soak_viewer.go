package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The GraphQL a soak viewer sends: what the web app asks on the home page,
// the search page and a title's page, and what its player sends.
const (
	soakBrowse = `query($after: String) { videos(first: 20, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { node { id title releaseYear durationSeconds ageRating categories { id name } genres { id name } myTags } } } }`
	soakContinue = `{ continueWatching(first: 10) { positionSeconds finished video { id title } } }`
	soakSearch   = `query($q: String!) { search(query: $q, first: 20) { totalCount
  edges { node { id title releaseYear genres { name } } }
  facets { genres { genre { name } count } years { year count } } } }`
	soakVideo = `query($id: ID!) { video(id: $id) { id title description releaseYear durationSeconds ageRating tags
  categories { name } genres { name } cast { name type } myTags media { status } } }`
	soakPlayback = `query($id: ID!) { playback(videoId: $id) { manifestUrl expiresAt renditions { name height } } }`
	soakProgress = `mutation($v: ID!, $p: Float!) { recordProgress(videoId: $v, positionSeconds: $p) { positionSeconds finished } }`
)

// segmentSeconds is the length of an HLS segment the encoder writes.
const segmentSeconds = 4

// viewer is one simulated viewer: its own account, its own seeded choices.
type viewer struct {
	base, token string
	client      *http.Client
	rng         *rand.Rand
	rec         *recorder
	spec        SoakSpec
	playable    []string
	// sizes maps a video's segment to its length, learnt
	// from whole fetches, so that a range stays inside the segment.
	sizes    *sync.Map
	sessions int
}

// run staggers the viewer's start over one longest pause, then loops
// sessions until ctx ends.
func (v *viewer) run(ctx context.Context) {
	if !v.pause(ctx, time.Duration(v.rng.Int64N(int64(v.spec.thinkMax)))) {
		return
	}
	for v.session(ctx) {
		v.sessions++
	}
}

// session is one visit: browse, search, open a title, play a READY one for
// a few segments while recording progress. It returns false when ctx ended.
func (v *viewer) session(ctx context.Context) bool {
	var ids []string
	cursor, ok := v.browse(ctx, nil, &ids)
	if !v.think(ctx) {
		return false
	}
	if ok && cursor != "" && v.rng.IntN(2) == 0 {
		v.browse(ctx, cursor, &ids)
		if !v.think(ctx) {
			return false
		}
	}
	if v.rng.IntN(3) == 0 {
		v.gql(ctx, "continueWatching", soakContinue, nil, nil)
		if !v.think(ctx) {
			return false
		}
	}
	v.search(ctx, &ids)
	if !v.think(ctx) {
		return false
	}
	if len(ids) > 0 {
		v.gql(ctx, "video", soakVideo, map[string]any{"id": ids[v.rng.IntN(len(ids))]}, nil)
		if !v.think(ctx) {
			return false
		}
	}
	return v.play(ctx, v.playable[v.rng.IntN(len(v.playable))])
}

func (v *viewer) browse(ctx context.Context, after any, ids *[]string) (string, bool) {
	var out struct {
		Videos struct {
			PageInfo struct {
				HasNextPage bool
				EndCursor   string
			}
			Edges []struct{ Node struct{ ID string } }
		}
	}
	if !v.gql(ctx, "browse", soakBrowse, map[string]any{"after": after}, &out) {
		return "", false
	}
	for _, e := range out.Videos.Edges {
		*ids = append(*ids, e.Node.ID)
	}
	if !out.Videos.PageInfo.HasNextPage {
		return "", true
	}
	return out.Videos.PageInfo.EndCursor, true
}

func (v *viewer) search(ctx context.Context, ids *[]string) {
	q := seedWords[v.rng.IntN(len(seedWords))]
	if v.rng.IntN(3) == 0 {
		q += " " + seedWords[v.rng.IntN(len(seedWords))]
	}
	var out struct {
		Search struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	if v.gql(ctx, "search", soakSearch, map[string]any{"q": q}, &out) {
		for _, e := range out.Search.Edges {
			*ids = append(*ids, e.Node.ID)
		}
	}
}

// play opens the title, asks playback, and plays a few segments of one
// rendition the way a player does: master and media playlists and the
// first segment back to back, then a segment per pause, progress every
// other segment and at the end.
func (v *viewer) play(ctx context.Context, video string) bool {
	v.gql(ctx, "video", soakVideo, map[string]any{"id": video}, nil)
	if !v.think(ctx) {
		return false
	}
	var pb struct {
		Playback struct{ ManifestURL string }
	}
	if !v.gql(ctx, "playback", soakPlayback, map[string]any{"id": video}, &pb) {
		return v.think(ctx)
	}
	master, err := url.Parse(v.base + pb.Playback.ManifestURL)
	if err != nil {
		v.rec.malformed("playback", fmt.Sprintf("manifest URL %q: %v", pb.Playback.ManifestURL, err))
		return v.think(ctx)
	}
	variants := v.playlist(ctx, "master", master)
	if len(variants) == 0 {
		return v.think(ctx)
	}
	segments := v.playlist(ctx, "playlist", variants[v.rng.IntN(len(variants))])
	if len(segments) == 0 {
		return v.think(ctx)
	}
	first := v.rng.IntN(len(segments))
	n := min(3+v.rng.IntN(4), len(segments)-first)
	for j := range n {
		v.segment(ctx, video, segments[first+j])
		if j%2 == 1 {
			v.progress(ctx, video, first+j+1)
		}
		if !v.think(ctx) {
			return false
		}
	}
	v.progress(ctx, video, first+n)
	return v.think(ctx)
}

func (v *viewer) progress(ctx context.Context, video string, segments int) {
	v.gql(ctx, "recordProgress", soakProgress, map[string]any{"v": video, "p": float64(segments * segmentSeconds)}, nil)
}

// playlist fetches an HLS playlist and returns its URIs resolved against
// it; nil when the fetch or the playlist failed (recorded).
func (v *viewer) playlist(ctx context.Context, kind string, u *url.URL) []*url.URL {
	body, ok := v.get(ctx, kind, u.String(), "", -1)
	if !ok {
		return nil
	}
	if !bytes.HasPrefix(body, []byte("#EXTM3U")) {
		v.rec.malformed(kind, fmt.Sprintf("%s: not an HLS playlist: %.60q", u.Path, body))
		return nil
	}
	var out []*url.URL
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ref, err := url.Parse(line)
		if err != nil {
			v.rec.malformed(kind, fmt.Sprintf("%s: URI %q: %v", u.Path, line, err))
			return nil
		}
		out = append(out, u.ResolveReference(ref))
	}
	if len(out) == 0 {
		v.rec.malformed(kind, u.Path+": lists nothing")
	}
	return out
}

// segment fetches one of video's segments: whole, or one time in four a
// range inside it once its length is known (a player seeking in a
// byte-range playlist).
func (v *viewer) segment(ctx context.Context, video string, u *url.URL) {
	rel, _ := belowToken(u.Path)
	key := video + "/" + rel // every video's ladder has the same paths
	if size, ok := v.sizes.Load(key); ok && v.rng.IntN(4) == 0 {
		n := size.(int64)
		from := v.rng.Int64N(max(n/2, 1))
		to := min(from+mediaRangeBytes, n) - 1
		v.get(ctx, "segmentRange", u.String(), fmt.Sprintf("bytes=%d-%d", from, to), to-from+1)
		return
	}
	body, ok := v.get(ctx, "segment", u.String(), "", -1)
	if ok {
		v.sizes.Store(key, int64(len(body)))
	}
}

// get fetches u (with a Range when rng is set) and records the answer: a
// range must come back 206 with want bytes, anything else 200.
func (v *viewer) get(ctx context.Context, kind, u, rng string, want int64) ([]byte, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		v.rec.malformed(kind, err.Error())
		return nil, false
	}
	status := http.StatusOK
	if rng != "" {
		req.Header.Set("Range", rng)
		status = http.StatusPartialContent
	}
	began := time.Now()
	resp, err := v.client.Do(req)
	if err != nil {
		v.rec.transport(ctx, kind, began, err)
		return nil, false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		v.rec.transport(ctx, kind, began, err)
		return nil, false
	}
	switch {
	case resp.StatusCode != status:
		v.rec.status(kind, began, resp.StatusCode, fmt.Sprintf("%s %s: %.120s", rng, u, body))
		return nil, false
	case want >= 0 && int64(len(body)) != want:
		v.rec.done(kind, began, resp.StatusCode, codeBadAnswer, fmt.Sprintf("%s: %d bytes for %s, want %d", u, len(body), rng, want))
		return nil, false
	}
	v.rec.done(kind, began, resp.StatusCode, "", "")
	return body, true
}

// gql posts one GraphQL operation and records the answer by HTTP status
// and by the first error's extensions.code; it decodes the data into out
// (which may be nil) and reports whether the answer had no errors.
func (v *viewer) gql(ctx context.Context, kind, query string, vars map[string]any, out any) bool {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.base+"/graphql", bytes.NewReader(body))
	if err != nil {
		v.rec.malformed(kind, err.Error())
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+v.token)
	began := time.Now()
	resp, err := v.client.Do(req)
	if err != nil {
		v.rec.transport(ctx, kind, began, err)
		return false
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		v.rec.transport(ctx, kind, began, err)
		return false
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	decodeErr := json.Unmarshal(raw, &r)
	switch {
	case resp.StatusCode >= 500 || (resp.StatusCode != http.StatusOK && len(r.Errors) == 0):
		v.rec.status(kind, began, resp.StatusCode, fmt.Sprintf("%.200s", raw))
		return false
	case decodeErr != nil:
		v.rec.done(kind, began, resp.StatusCode, codeBadAnswer, fmt.Sprintf("%v: %.200s", decodeErr, raw))
		return false
	case len(r.Errors) > 0:
		code := r.Errors[0].Extensions.Code
		if code == "" {
			code = "NO_CODE"
		}
		v.rec.done(kind, began, resp.StatusCode, code, r.Errors[0].Message)
		return false
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			v.rec.done(kind, began, resp.StatusCode, codeBadAnswer, err.Error())
			return false
		}
	}
	v.rec.done(kind, began, resp.StatusCode, "", "")
	return true
}

// think pauses for a random time between the spec's shortest and longest.
func (v *viewer) think(ctx context.Context) bool {
	return v.pause(ctx, v.spec.thinkMin+time.Duration(v.rng.Int64N(int64(v.spec.thinkMax-v.spec.thinkMin)+1)))
}

func (v *viewer) pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

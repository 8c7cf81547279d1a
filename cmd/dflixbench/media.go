package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dflix/dflix/demo"
)

// MediaResults are the figures of the media section: HLS segments of one
// demo rendition served by the BFF's media gateway (A: dflix --target=all,
// signed URLs, the embedded blob store) and by nginx (B) from the same
// files on disk, whole and by range.
type MediaResults struct {
	Video            string  `json:"video"`
	Rendition        string  `json:"rendition"`
	Segments         int     `json:"segments"`
	MeanSegmentBytes int64   `json:"meanSegmentBytes"`
	MeanSegmentMB    float64 `json:"meanSegmentMB"`
	RangeKiB         int     `json:"rangeKiB"`
	// Cores is the machine's, which the load driver shares with the
	// server it measures; nginx runs one worker per core.
	Cores int `json:"cores"`
	// Whole is a GET of a whole segment (200), cycling over the rendition's
	// segments; Ranges a "Range: bytes=a-b" of RangeKiB at a varying
	// offset (206).
	Whole  MediaComparison `json:"wholeSegments"`
	Ranges MediaComparison `json:"ranges"`
}

// MediaComparison is a comparison of the gateway (A) with nginx (B) and
// the bytes each moved: MB/s (10^6 bytes) is the median req/s times the
// body bytes of an answer.
type MediaComparison struct {
	Comparison
	// ACoresBusy and BCoresBusy are the server's CPU seconds per second
	// of a round (medians); DriverCoresBusy the load driver's and
	// OtherCoresBusy everything else's on the machine, over the whole
	// comparison (both sides, warm-ups included).
	ACoresBusy       float64 `json:"aCoresBusy"`
	BCoresBusy       float64 `json:"bCoresBusy"`
	DriverCoresBusy  float64 `json:"driverCoresBusy"`
	OtherCoresBusy   float64 `json:"otherCoresBusy"`
	Cores            float64 `json:"-"` // for the template's arithmetic
	ABytesPerRequest float64 `json:"aBytesPerRequest"`
	BBytesPerRequest float64 `json:"bBytesPerRequest"`
	AMBps            float64 `json:"aMBps"`
	BMBps            float64 `json:"bMBps"`
	RatioMBps        float64 `json:"ratioMBpsBtoA"`
}

// mediaRangeBytes is the size of a range request: 64 KiB, a player's
// probe of a file or a small byte-range segment.
const mediaRangeBytes = 64 << 10

// runMedia serves one rendition's segments through the media gateway and
// through nginx, whole and by range, in alternating rounds. The dflix
// process runs the whole platform (idle but for the gateway), so its CPU
// and memory include services nginx does not have.
func runMedia(ctx context.Context, env *Env, res *Results) error {
	if _, err := env.script(ctx, "infra.sh", "install", "nginx"); err != nil {
		return fmt.Errorf("media: install nginx: %w", err)
	}
	versionIfMissing(ctx, res, "nginx", nginxBinary(), "-v")
	pl, err := env.startOneProcess(ctx, true)
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	blobs := filepath.Join(pl.DataDir, "blobs")
	set, err := findSegments(ctx, pl, blobs)
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	workers := runtime.NumCPU()
	ng, nginxURL, err := env.startNginx(ctx, blobs, workers)
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	out := &MediaResults{Video: set.title, Rendition: set.rendition, Segments: len(set.sizes),
		MeanSegmentBytes: set.meanSize(), MeanSegmentMB: round3(float64(set.meanSize()) / 1e6), RangeKiB: mediaRangeBytes >> 10, Cores: workers}
	spec := LoadSpec{Concurrency: 16, Duration: pick(env, 4*time.Second, 1500*time.Millisecond), Warmup: pick(env, time.Second, 500*time.Millisecond), Rounds: pick(env, 5, 2)}
	gatewaySide := func() *mediaSide { return newMediaSide(set, set.gatewayURLs, spec.Concurrency) }
	nginxSide := func() *mediaSide { return newMediaSide(set, set.nginxURLs(nginxURL), spec.Concurrency) }
	if err := sameAnswers(ctx, gatewaySide(), nginxSide()); err != nil {
		return fmt.Errorf("media: %w", err)
	}

	for _, w := range []struct {
		name string
		out  *MediaComparison
		do   func(*mediaSide) func(context.Context) error
	}{
		{"whole segments", &out.Whole, func(s *mediaSide) func(context.Context) error { return s.whole }},
		{fmt.Sprintf("%d KiB ranges", mediaRangeBytes>>10), &out.Ranges, func(s *mediaSide) func(context.Context) error { return s.ranged }},
	} {
		env.Log.Info("media", "workload", w.name, "rounds", spec.Rounds)
		a, b := gatewaySide(), nginxSide()
		servers := func() float64 { return pl.Procs.Usage().CPUSeconds + ng.Set().Usage().CPUSeconds }
		watch, servers0 := startBusyWatch(), servers()
		c, err := compare(ctx, w.name, spec,
			Target{Name: "media gateway (dflix)", Procs: pl.Procs, Do: w.do(a)},
			Target{Name: "nginx", Procs: ng.Set(), Do: w.do(b)})
		if err != nil {
			return fmt.Errorf("media: %w", err)
		}
		*w.out = withThroughput(c, a, b, workers)
		w.out.DriverCoresBusy, w.out.OtherCoresBusy = watch.stop(servers() - servers0)
	}
	res.Media = out
	return nil
}

// withThroughput adds each side's MB/s and busy cores to c.
func withThroughput(c Comparison, a, b *mediaSide, cores int) MediaComparison {
	busy := func(rounds []Round) float64 {
		var xs []float64
		for _, r := range rounds {
			xs = append(xs, r.CPUSeconds/r.Seconds)
		}
		return round3(median(xs))
	}
	m := MediaComparison{Comparison: c, ABytesPerRequest: a.bytesPerAnswer(), BBytesPerRequest: b.bytesPerAnswer(),
		ACoresBusy: busy(c.A.Rounds), BCoresBusy: busy(c.B.Rounds), Cores: float64(cores)}
	m.AMBps = round1(c.A.Summary.RPS * m.ABytesPerRequest / 1e6)
	m.BMBps = round1(c.B.Summary.RPS * m.BBytesPerRequest / 1e6)
	m.RatioMBps = ratio(m.BMBps, m.AMBps)
	return m
}

// segmentSet is one rendition's segments: their gateway URLs (signed),
// their paths below the blob root (what nginx serves) and their sizes on
// disk.
type segmentSet struct {
	title, rendition string
	gatewayURLs      []string
	paths            []string // "media/<id>/hls/720p/seg-00000.ts"
	sizes            []int64
}

func (s segmentSet) meanSize() int64 {
	var sum int64
	for _, n := range s.sizes {
		sum += n
	}
	return sum / int64(max(len(s.sizes), 1))
}

func (s segmentSet) nginxURLs(base string) []string {
	urls := make([]string, len(s.paths))
	for i, p := range s.paths {
		urls[i] = base + "/" + p
	}
	return urls
}

// findSegments plays every demo clip as the admin (admins may always
// play), reads each master playlist and, of the 720p and 1080p renditions,
// picks the one with the largest segments on average: the demo clips are
// short, and the busiest picture makes the segments closest to a real
// title's.
func findSegments(ctx context.Context, pl *Platform, blobs string) (segmentSet, error) {
	client := &http.Client{Timeout: 30 * time.Second}
	var best segmentSet
	for _, clip := range demo.Clips {
		var found struct {
			VideosByName []struct {
				ID    string
				Media *struct{ ID string }
			} `json:"videosByName"`
		}
		if err := pl.Admin.Do(ctx, `query($t: String!) { videosByName(name: $t, exact: true) { id media { id } } }`,
			map[string]any{"t": clip.Title}, &found); err != nil {
			return best, fmt.Errorf("find demo video %q: %w", clip.Title, err)
		}
		if len(found.VideosByName) == 0 || found.VideosByName[0].Media == nil {
			return best, fmt.Errorf("demo video %q has no media", clip.Title)
		}
		video, mediaID := found.VideosByName[0].ID, found.VideosByName[0].Media.ID
		var play struct {
			Playback struct{ ManifestURL string } `json:"playback"`
		}
		if err := pl.Admin.Do(ctx, `query($id: ID!) { playback(videoId: $id) { manifestUrl } }`, map[string]any{"id": video}, &play); err != nil {
			return best, fmt.Errorf("playback of %q: %w", clip.Title, err)
		}
		master, err := url.Parse(pl.URL + play.Playback.ManifestURL)
		if err != nil {
			return best, fmt.Errorf("playback of %q: %w", clip.Title, err)
		}
		variants, err := playlistURIs(ctx, client, master, true)
		if err != nil {
			return best, err
		}
		for _, v := range variants {
			if v.height != 720 && v.height != 1080 {
				continue
			}
			segs, err := playlistURIs(ctx, client, v.url, false)
			if err != nil {
				return best, err
			}
			set := segmentSet{title: clip.Title}
			for _, s := range segs {
				// The gateway's path below the token is the blob's path
				// below the media's hls/ folder.
				rel, ok := belowToken(s.url.Path)
				if !ok {
					return best, fmt.Errorf("segment URL %s is not under %s<token>/", s.url, "/media/")
				}
				p := "media/" + mediaID + "/hls/" + rel
				st, err := os.Stat(filepath.Join(blobs, filepath.FromSlash(p)))
				if err != nil {
					return best, fmt.Errorf("segment of %q on disk: %w", clip.Title, err)
				}
				set.rendition = path.Dir(rel)
				set.gatewayURLs = append(set.gatewayURLs, s.url.String())
				set.paths = append(set.paths, p)
				set.sizes = append(set.sizes, st.Size())
			}
			if len(set.sizes) > 0 && set.meanSize() > best.meanSize() {
				best = set
			}
		}
	}
	if len(best.sizes) == 0 {
		return best, fmt.Errorf("no demo clip has a 720p or 1080p rendition")
	}
	for i, n := range best.sizes {
		if n <= mediaRangeBytes {
			return best, fmt.Errorf("segment %s is %d bytes, too small for %d-byte ranges", best.paths[i], n, mediaRangeBytes)
		}
	}
	return best, nil
}

// belowToken returns the part of a gateway path after "/media/<token>/".
func belowToken(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/media/")
	if !ok {
		return "", false
	}
	_, rel, ok := strings.Cut(rest, "/")
	return rel, ok && rel != ""
}

// playlistEntry is a URI of an HLS playlist, resolved against the
// playlist's URL (the token travels in the path), with the height of its
// variant in a master playlist.
type playlistEntry struct {
	url    *url.URL
	height int
}

// playlistURIs fetches an HLS playlist and lists its URIs; in a master
// playlist each with the RESOLUTION of the #EXT-X-STREAM-INF before it.
func playlistURIs(ctx context.Context, c *http.Client, u *url.URL, master bool) ([]playlistEntry, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	body, err := fetch(c, req, http.StatusOK)
	if err != nil {
		return nil, fmt.Errorf("playlist: %w", err)
	}
	if !bytes.HasPrefix(body, []byte("#EXTM3U")) {
		return nil, fmt.Errorf("playlist %s: not an HLS playlist: %.80q", u.Path, body)
	}
	var out []playlistEntry
	height := 0
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "#EXT-X-STREAM-INF:"):
			height = 0
			for attr := range strings.SplitSeq(strings.TrimPrefix(line, "#EXT-X-STREAM-INF:"), ",") {
				if res, ok := strings.CutPrefix(attr, "RESOLUTION="); ok {
					if _, h, ok := strings.Cut(res, "x"); ok {
						height, _ = strconv.Atoi(h)
					}
				}
			}
		case strings.HasPrefix(line, "#"):
		default:
			ref, err := url.Parse(line)
			if err != nil {
				return nil, fmt.Errorf("playlist %s: URI %q: %w", u.Path, line, err)
			}
			out = append(out, playlistEntry{url: u.ResolveReference(ref), height: height})
		}
	}
	if master && len(out) == 0 {
		return nil, fmt.Errorf("master playlist %s lists no variant", u.Path)
	}
	return out, nil
}

// mediaSide is one server's side of a workload: the same segments, sizes
// and request sequence on both sides, and a tally of the body bytes read.
type mediaSide struct {
	client  *http.Client
	urls    []string
	sizes   []int64
	next    atomic.Uint64
	bytes   atomic.Int64
	answers atomic.Int64
}

func newMediaSide(set segmentSet, urls []string, workers int) *mediaSide {
	c := newHTTPClient(workers)
	// Neither server compresses video, but a transport that asked would
	// measure something else if one did.
	c.Transport.(*http.Transport).DisableCompression = true
	return &mediaSide{client: c, urls: urls, sizes: set.sizes}
}

// bytesPerAnswer is the mean body size of the answers that passed.
func (s *mediaSide) bytesPerAnswer() float64 {
	n := s.answers.Load()
	if n == 0 {
		return 0
	}
	return float64(s.bytes.Load()) / float64(n)
}

// whole GETs the next segment and checks that all of it came.
func (s *mediaSide) whole(ctx context.Context) error {
	i := int((s.next.Add(1) - 1) % uint64(len(s.urls)))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.urls[i], nil)
	if err != nil {
		return err
	}
	return s.do(req, http.StatusOK, s.sizes[i], "")
}

// ranged asks for mediaRangeBytes of the next segment at an offset that
// varies from request to request (the same sequence on both sides) and
// checks the 206 and its Content-Range.
func (s *mediaSide) ranged(ctx context.Context) error {
	n := s.next.Add(1) - 1
	i := int(n % uint64(len(s.urls)))
	size := s.sizes[i]
	from := int64(splitmix(n) % uint64(size-mediaRangeBytes+1))
	to := from + mediaRangeBytes - 1
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.urls[i], nil)
	if err != nil {
		return err
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", from, to))
	return s.do(req, http.StatusPartialContent, mediaRangeBytes, fmt.Sprintf("bytes %d-%d/%d", from, to, size))
}

// do sends req and reads the body, failing unless the status, the length
// and (for a range) the Content-Range are as expected.
func (s *mediaSide) do(req *http.Request, status int, length int64, contentRange string) error {
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return fmt.Errorf("%s: read body: %w", req.URL.Path, err)
	}
	switch {
	case resp.StatusCode != status:
		return fmt.Errorf("%w: %s: HTTP %d, want %d", errStatus, req.URL.Path, resp.StatusCode, status)
	case resp.ContentLength != length || n != length:
		return fmt.Errorf("%s: Content-Length %d and %d bytes read, want %d", req.URL.Path, resp.ContentLength, n, length)
	case contentRange != "" && resp.Header.Get("Content-Range") != contentRange:
		return fmt.Errorf("%s: Content-Range %q, want %q", req.URL.Path, resp.Header.Get("Content-Range"), contentRange)
	}
	s.bytes.Add(n)
	s.answers.Add(1)
	return nil
}

// splitmix is SplitMix64's output function: well-spread offsets from a
// counter, the same on both sides.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// sameAnswers checks, before any load, that the two servers send the same
// bytes with the same media type for every segment, whole and for one
// range, so that the figures compare like with like.
func sameAnswers(ctx context.Context, a, b *mediaSide) error {
	get := func(s *mediaSide, i int, rng string) (string, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.urls[i], nil)
		if err != nil {
			return "", "", err
		}
		want := http.StatusOK
		if rng != "" {
			req.Header.Set("Range", rng)
			want = http.StatusPartialContent
		}
		resp, err := s.client.Do(req)
		if err != nil {
			return "", "", err
		}
		defer resp.Body.Close()
		h := sha256.New()
		if _, err := io.Copy(h, resp.Body); err != nil {
			return "", "", err
		}
		if resp.StatusCode != want {
			return "", "", fmt.Errorf("%w: %s: HTTP %d, want %d", errStatus, req.URL.Path, resp.StatusCode, want)
		}
		return fmt.Sprintf("%x", h.Sum(nil)), resp.Header.Get("Content-Type"), nil
	}
	for i := range a.urls {
		for _, rng := range []string{"", fmt.Sprintf("bytes=%d-%d", a.sizes[i]/3, a.sizes[i]/3+mediaRangeBytes-1)} {
			sumA, typeA, err := get(a, i, rng)
			if err != nil {
				return fmt.Errorf("gateway: %w", err)
			}
			sumB, typeB, err := get(b, i, rng)
			if err != nil {
				return fmt.Errorf("nginx: %w", err)
			}
			if sumA != sumB || typeA != typeB {
				return fmt.Errorf("segment %d (range %q): the gateway sends %s as %q, nginx %s as %q", i, rng, sumA[:12], typeA, sumB[:12], typeB)
			}
		}
	}
	return nil
}

// nginxBinary is Debian's nginx, which is in /usr/sbin: not on every
// user's PATH.
func nginxBinary() string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	return "/usr/sbin/nginx"
}

// startNginx runs nginx on a free loopback port serving root as static
// files, the way one would put it in front of a blob folder: sendfile
// (without TCP_CORK, see the config), one worker per core, no access log,
// keep-alive connections that last as long as the gateway's (Go's server
// closes none after N requests).
// Everything it writes stays in env.Work. It returns the process and the
// base URL.
func (e *Env) startNginx(ctx context.Context, root string, workers int) (*Proc, string, error) {
	prefix := filepath.Join(e.Work, "nginx")
	if err := os.MkdirAll(filepath.Join(prefix, "tmp"), 0o755); err != nil {
		return nil, "", fmt.Errorf("nginx: %w", err)
	}
	port, err := loopbackPort()
	if err != nil {
		return nil, "", fmt.Errorf("nginx: %w", err)
	}
	// As root the master would hand the workers to "nobody", who cannot
	// read the blob store's 0600 files; as anyone else "user" is ignored.
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;\n"
	}
	tmp := filepath.Join(prefix, "tmp")
	conf := fmt.Sprintf(`# written by dflixbench (cmd/dflixbench/media.go)
%[1]sworker_processes %[2]d;
master_process on;
pid %[3]s;
error_log %[4]s warn;
events {
	worker_connections 1024;
}
http {
	access_log off;
	sendfile on;
	# Debian's nginx.conf turns tcp_nopush (TCP_CORK) on; here it stalled
	# 64 KiB ranges at unaligned offsets on loopback for the peer's delayed
	# ACK (about 40 ms each), which measured corking, not serving.
	tcp_nopush off;
	keepalive_requests 1000000;
	client_body_temp_path %[5]s;
	proxy_temp_path %[5]s;
	fastcgi_temp_path %[5]s;
	uwsgi_temp_path %[5]s;
	scgi_temp_path %[5]s;
	# The types the media gateway sends (bff/media/serve.go).
	types {
		application/vnd.apple.mpegurl m3u8;
		video/mp2t ts;
		video/iso.segment m4s;
		video/mp4 mp4;
	}
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:%[6]d;
		root %[7]s;
		# What the start waits for: an answer that logs no error.
		location = /ready {
			return 204;
		}
	}
}
`, user, workers, filepath.Join(prefix, "nginx.pid"), filepath.Join(prefix, "error.log"), tmp, port, root)
	path := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, "", fmt.Errorf("nginx: %w", err)
	}
	// -e: before it reads the config, nginx would log to /var/log/nginx,
	// which only root may write.
	p, err := e.start(ProcSpec{Name: "nginx", Dir: prefix, Argv: []string{nginxBinary(),
		"-p", prefix + "/", "-c", path, "-e", filepath.Join(prefix, "error.log"), "-g", "daemon off;"}})
	if err != nil {
		return nil, "", fmt.Errorf("nginx: %w", err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if p.Exited() {
			return nil, "", fmt.Errorf("nginx exited at start: see %s and %s", filepath.Join(e.Logs, "nginx.log"), filepath.Join(prefix, "error.log"))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/ready", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusNoContent {
				return p, base, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, "", fmt.Errorf("nginx not answering on %s after 30s: see %s", base, filepath.Join(prefix, "error.log"))
		}
		select {
		case <-ctx.Done():
			return nil, "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// loopbackPort asks the kernel for a loopback port no one listens on. Another
// process could take it before nginx binds it; then nginx exits and says so.
func loopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
)

// The rpc section sends one interaction of dflix two ways in Dapr mode: the
// encoder telling catalog how far a video's encoding got (an
// encoding.progress fact). Both leave from the encoder's sidecar with the
// same CloudEvent body and end in the same handler of catalog (the route
// the sidecar delivers the catalog-media subscription to), so the
// receiver's work is identical and only the transport differs:
//
//   - service invocation: POST /v1.0/invoke/catalog/method/events/catalog-media;
//     the sender waits for the handler's answer;
//   - pub/sub: POST /v1.0/publish/pubsub/media; the sender is done when the
//     broker has the event, and catalog's sidecar delivers it later.
//
// The effect is read from the catalog app itself (its own port, no
// sidecar): the video's media percent.
const (
	rpcSender  = "http://127.0.0.1:3504" // the encoder's sidecar (dapr/dapr.yaml)
	rpcCatalog = "http://127.0.0.1:8082" // the catalog app (dapr/dapr.yaml)
	rpcPubSub  = "pubsub"                // components/redis/pubsub.yaml
	// rpcRoute is where catalog's sidecar delivers the media topic
	// (components/redis/subscription-catalog-media.yaml).
	rpcRoute = "/events/" + catalog.SubscriptionMedia
	// rpcDeadLetterTopic is catalog-media's own dead-letter topic
	// (components/subscriptions/catalog-media.yaml).
	rpcDeadLetterTopic = "deadletters." + catalog.SubscriptionMedia
	redisAddrPort      = "16379" // components/redis
)

// RPCResults are the figures of the rpc section. A is service invocation,
// B pub/sub; every ratio is pub/sub over invocation.
type RPCResults struct {
	Interaction string        `json:"interaction"`
	PoolVideos  int           `json:"poolVideos"`
	Config      RPCConfig     `json:"config"`
	Latency     RPCLatency    `json:"latency"`
	Throughput  RPCThroughput `json:"throughput"`
	Outage      RPCOutage     `json:"outage"`
	// Anomalies are what the run met on the way (see RPCAnomalies).
	Anomalies RPCAnomalies `json:"anomalies"`
	// Load is the rest of the machine during the latency and throughput
	// rounds: the cores busy with processes outside the platform, its
	// Redis and this driver, and the load average before and after.
	Load RPCLoad `json:"machineLoad"`
}

// RPCAnomalies count what went wrong in catalog whatever the transport.
// ProjectionBehind* count videos whose percent in catalog's read API was
// behind the one catalog stored (see percents), after each phase;
// CreateConflicts the createVideo calls refused with CONFLICT.
type RPCAnomalies struct {
	SetupVideos                int `json:"setupVideos"`
	CreateConflicts            int `json:"createConflicts"`
	ProjectionBehindSetup      int `json:"projectionBehindAfterSetup"`
	ProjectionBehindLatency    int `json:"projectionBehindAfterLatency"`
	ProjectionBehindThroughput int `json:"projectionBehindAfterThroughput"`
}

// rpcSides names the two transports, in the order of every pair below.
var rpcSides = [2]string{"service invocation", "pub/sub"}

func runRPC(ctx context.Context, env *Env, res *Results) error {
	pl, err := env.startDapr(ctx)
	defer env.dropDapr() // catalog is killed and restarted below: no later section may count on it
	if err != nil {
		return err
	}
	b, err := newRPCBench(ctx, env, pl)
	if err != nil {
		return err
	}
	defer b.state.Close()
	out := &RPCResults{
		Interaction: fmt.Sprintf("%s on topic %q: the encoder tells catalog how far a video's encoding got", encoder.EventEncodingProgress, encoder.Topic),
		Config:      readRPCConfig(pl),
	}
	res.RPC = out
	plan := rpcPlanFor(env)
	out.PoolVideos = plan.pool
	videos, err := b.makeVideos(ctx, plan.pool+plan.outageInteractions())
	if err != nil {
		return err
	}
	b.pool = videos[:plan.pool]
	an := &out.Anomalies
	an.SetupVideos, an.CreateConflicts = len(videos), int(b.conflicts.Load())
	if an.ProjectionBehindSetup, err = b.projectionLag(ctx, videos); err != nil {
		return err
	}
	load := b.startLoad()
	if out.Latency, err = b.latency(ctx, plan.latencyRounds, plan.latencyN); err != nil {
		return err
	}
	if an.ProjectionBehindLatency, err = b.projectionLag(ctx, b.pool); err != nil {
		return err
	}
	if out.Throughput, err = b.throughput(ctx, plan.tputRounds, plan.tputN, plan.tputWorkers); err != nil {
		return err
	}
	out.Load = load()
	if an.ProjectionBehindThroughput, err = b.projectionLag(ctx, b.pool); err != nil {
		return err
	}
	out.Outage, err = b.outage(ctx, videos[plan.pool:], plan)
	return err
}

// rpcPlan is how much the section sends.
type rpcPlan struct {
	pool                     int
	latencyRounds, latencyN  int
	tputRounds, tputN        int
	tputWorkers              int
	down, window, wait, step time.Duration
	rate                     int // per second and transport, during the outage
	lateAfter                time.Duration
}

func rpcPlanFor(env *Env) rpcPlan {
	return rpcPlan{
		pool:          pick(env, 100, 50),
		latencyRounds: pick(env, 6, 2), latencyN: pick(env, 100, 40),
		tputRounds: pick(env, 4, 2), tputN: pick(env, 1000, 150), tputWorkers: 16,
		down: 10 * time.Second, window: pick(env, 26*time.Second, 16*time.Second),
		wait: pick(env, 90*time.Second, 30*time.Second), step: 2 * time.Second,
		rate: 10, lateAfter: time.Second,
	}
}

func (p rpcPlan) outageInteractions() int {
	return 2 * p.rate * int(p.window/time.Second)
}

// rpcBench sends the interaction and reads its effect.
type rpcBench struct {
	env    *Env
	pl     *Platform
	client *http.Client
	run    int64 // makes the event ids of this run unique
	seq    atomic.Int64
	pool   []*rpcVideo // the videos of the latency and throughput rounds
	next   int         // the pool video the next interaction goes to
	redis  ProcSet
	state  *redisConn // catalog's state store
	// conflicts counts the createVideo calls that failed with CONFLICT.
	conflicts atomic.Int64
}

// rpcVideo is a video whose media is being "encoded": each interaction
// raises its percent by a tenth, the step progress events are rounded to.
type rpcVideo struct {
	ID, MediaID string
	step        int // the last percent sent, in tenths
}

// interaction is one progress event to send.
type interaction struct {
	video   *rpcVideo
	percent float64
	body    []byte
	eventID string
}

func newRPCBench(ctx context.Context, env *Env, pl *Platform) (*rpcBench, error) {
	pid, err := redisPID(ctx)
	if err != nil {
		return nil, err
	}
	comp := filepath.Join(pl.RunDir, "components", "redis", "state-catalog.yaml")
	db, err := strconv.Atoi(componentMeta(comp, "redisDB"))
	if err != nil {
		return nil, fmt.Errorf("rpc: redisDB of %s: %w", comp, err)
	}
	state, err := dialRedis(ctx, "127.0.0.1:"+redisAddrPort, db)
	if err != nil {
		return nil, err
	}
	return &rpcBench{env: env, pl: pl, client: newHTTPClient(64), run: time.Now().UnixNano(),
		redis: ProcSet{Roots: []int{pid}}, state: state}, nil
}

// transports returns the two ways of sending a body, in rpcSides order.
func (b *rpcBench) transports() [2]func(context.Context, []byte) error {
	return [2]func(context.Context, []byte) error{b.invoke, b.publish}
}

// invoke sends body to catalog's handler by service invocation. An answer
// other than SUCCESS is a failure: the handler did not record the fact.
// The error keeps the sidecar's whole answer, which says why.
func (b *rpcBench) invoke(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		rpcSender+"/v1.0/invoke/"+catalog.AppID+"/method"+rpcRoute, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var ack struct{ Status string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(out, &ack) != nil || ack.Status != "SUCCESS" {
		return fmt.Errorf("invoke: HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(out))
	}
	return nil
}

// publish sends body on the media topic through the same sidecar.
func (b *rpcBench) publish(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		rpcSender+"/v1.0/publish/"+rpcPubSub+"/"+encoder.Topic, bytes.NewReader(body))
	if err != nil {
		return err
	}
	// A complete CloudEvent: the sidecar keeps our id instead of wrapping it.
	req.Header.Set("Content-Type", "application/cloudevents+json")
	_, err = fetch(b.client, req, http.StatusNoContent)
	return err
}

// event encodes a media event as the encoder publishes it.
func (b *rpcBench) event(typ string, data any) ([]byte, string, error) {
	id := fmt.Sprintf("rpcbench-%d-%07d", b.run, b.seq.Add(1))
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, "", err
	}
	body, err := json.Marshal(map[string]any{
		"specversion": "1.0", "id": id, "type": typ, "source": "dflixbench",
		"time": time.Now().UTC().Format(time.RFC3339Nano), "datacontenttype": "application/json",
		"data": json.RawMessage(raw), "dflixtopic": encoder.Topic,
	})
	return body, id, err
}

// progress is the next interaction on v: its percent one tenth higher.
func (b *rpcBench) progress(v *rpcVideo) (interaction, error) {
	if v.step >= 1000 {
		return interaction{}, fmt.Errorf("video %s is at 100%%: the pool is too small for the rounds", v.ID)
	}
	v.step++
	pct := float64(v.step) / 10
	body, id, err := b.event(encoder.EventEncodingProgress, encoder.EncodingProgress{VideoID: v.ID, MediaID: v.MediaID, Percent: pct})
	return interaction{video: v, percent: pct, body: body, eventID: id}, err
}

// nextInteractions takes n interactions over the pool, round robin, so
// that interactions in flight together touch different videos.
func (b *rpcBench) nextInteractions(n int) ([]interaction, error) {
	out := make([]interaction, n)
	for i := range out {
		ia, err := b.progress(b.pool[b.next%len(b.pool)])
		if err != nil {
			return nil, err
		}
		b.next++
		out[i] = ia
	}
	return out, nil
}

// percents reads the media percent of each video as catalog stored it
// (its state store, read from Redis itself: the record the handler
// committed). A video whose media is not the one sent to is left out.
//
// Why not catalog's own read API: it answers from a projection that is
// updated after the commit, and that missed committed changes while the
// Redis state store's transactions could half-apply (an outbox write that
// lost an ETag race on a shared key had still written the video; the retry
// saw nothing to change and neither projected nor published it). The store
// is what the handler committed; projectionLag checks the two agree.
func (b *rpcBench) percents(ctx context.Context, videos []*rpcVideo) (map[string]float64, error) {
	cmds := make([][]string, len(videos))
	for i, v := range videos {
		cmds[i] = []string{"HGET", catalog.AppID + "||video/" + v.ID, "data"}
	}
	replies, err := b.state.pipeline(cmds)
	if err != nil {
		return nil, fmt.Errorf("read catalog's videos: %w", err)
	}
	out := make(map[string]float64, len(videos))
	for i, v := range videos {
		raw, _ := replies[i].(string)
		var stored struct {
			Media *struct {
				ID      string  `json:"id"`
				Percent float64 `json:"percent"`
			} `json:"media"`
		}
		if raw == "" || json.Unmarshal([]byte(raw), &stored) != nil || stored.Media == nil || stored.Media.ID != v.MediaID {
			continue
		}
		out[v.ID] = stored.Media.Percent
	}
	return out, nil
}

// projected reads the media percent of each video from catalog's read API
// (the catalog app itself, past its sidecar), as viewers would see it.
func (b *rpcBench) projected(ctx context.Context, videos []*rpcVideo) (map[string]float64, error) {
	ids := make([]string, len(videos))
	media := map[string]string{}
	for i, v := range videos {
		ids[i], media[v.ID] = v.ID, v.MediaID
	}
	req := catalog.GetVideosRequest{Caller: platform.Caller{UserID: "dflixbench", Role: platform.RoleAdmin}, IDs: ids}
	var resp catalog.GetVideosResponse
	if err := b.catalogCall(ctx, catalog.MethodGetVideos, req, &resp); err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(resp.Videos))
	for _, v := range resp.Videos {
		if v.Media != nil && v.Media.ID == media[v.ID] {
			out[v.ID] = v.Media.Percent
		}
	}
	return out, nil
}

// projectionLag counts the videos whose percent in catalog's read API is
// behind the one it stored.
func (b *rpcBench) projectionLag(ctx context.Context, videos []*rpcVideo) (int, error) {
	stored, err := b.percents(ctx, videos)
	if err != nil {
		return 0, err
	}
	shown, err := b.projected(ctx, videos)
	if err != nil {
		return 0, err
	}
	n := 0
	for id, p := range stored {
		if q, ok := shown[id]; !ok || q < p-0.01 {
			n++
		}
	}
	return n, nil
}

// catalogCall calls one of the catalog app's methods directly, past its
// sidecar, so reading the effect adds nothing to the path measured.
func (b *rpcBench) catalogCall(ctx context.Context, method string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rpcCatalog+"/"+platform.RoutePrefix+method, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	raw, err := fetch(b.client, req, http.StatusOK)
	if err != nil {
		return fmt.Errorf("catalog %s: %w", method, err)
	}
	return json.Unmarshal(raw, out)
}

// reached reports whether the effect of ia is visible in got.
func reached(got map[string]float64, v *rpcVideo, percent float64) bool {
	p, ok := got[v.ID]
	return ok && p >= percent-0.01
}

// makeVideos creates n videos through GraphQL as the admin and starts a
// media on each: an upload.completed handed to catalog's handler directly,
// so the encoder (which would try to encode it) never sees it.
func (b *rpcBench) makeVideos(ctx context.Context, n int) ([]*rpcVideo, error) {
	out := make([]*rpcVideo, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i := range out {
		g.Go(func() error {
			v, err := b.makeVideo(gctx, i)
			out[i] = v
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("rpc: create %d videos: %w", n, err)
	}
	if c := b.conflicts.Load(); c > 0 {
		b.env.Log.Warn("rpc: createVideo failed with CONFLICT and was retried", "times", c, "videos", n)
	}
	got, err := b.percents(ctx, out)
	if err != nil {
		return nil, err
	}
	if len(got) != n {
		return nil, fmt.Errorf("rpc: catalog stored the media the bench started on %d of %d videos", len(got), n)
	}
	return out, nil
}

func (b *rpcBench) makeVideo(ctx context.Context, i int) (*rpcVideo, error) {
	var created struct {
		CreateVideo struct{ ID string } `json:"createVideo"`
	}
	var err error
	for try := 0; try < 3; try++ {
		err = b.pl.Admin.Do(ctx, `mutation($i: CreateVideoInput!) { createVideo(input: $i) { id } }`, map[string]any{"i": map[string]any{
			"title": fmt.Sprintf("RPC bench %d", i), "releaseYear": 2024, "durationSeconds": 60, "ageRating": "G"}}, &created)
		// A create refused with CONFLICT ("key ... already exists": the
		// Redis state store's transactions have no rollback, so a retried
		// write can find its own first half) is retried and counted.
		if err == nil || !strings.Contains(err.Error(), "CONFLICT") {
			break
		}
		b.conflicts.Add(1)
	}
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%d/%s", b.run, created.CreateVideo.ID))
	v := &rpcVideo{ID: created.CreateVideo.ID, MediaID: hex.EncodeToString(sum[:])}
	body, _, err := b.event(encoder.EventUploadCompleted, encoder.UploadCompleted{VideoID: v.ID, MediaID: v.MediaID,
		SourceKey: "media/" + v.MediaID + "/source", Size: 1, Filename: "bench.mp4"})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rpcCatalog+rpcRoute, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if out, err := fetch(b.client, req, http.StatusOK); err != nil || !bytes.Contains(out, []byte("SUCCESS")) {
		return nil, fmt.Errorf("start the media of video %s: %v %.200s", v.ID, err, out)
	}
	return v, nil
}

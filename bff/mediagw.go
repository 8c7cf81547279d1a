package bff

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/dflix/dflix/bff/authn"
	"github.com/dflix/dflix/bff/media"
	"github.com/dflix/dflix/bff/progress"
	"github.com/dflix/dflix/bff/upload"
	"github.com/dflix/dflix/graph"
	"github.com/dflix/dflix/graph/model"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
)

var _ graph.Media = (*mediaGateway)(nil)

// Entitlements is what the media gateway needs from the subscription
// service: may the caller play, and at what resolution.
type Entitlements interface {
	StartStream(ctx context.Context, req subscription.StartStreamRequest) (subscription.StartStreamResponse, error)
	RecordProgress(ctx context.Context, req subscription.RecordProgressRequest) (subscription.RecordProgressResponse, error)
}

// mediaGateway is what the resolvers call for uploads, playback, downloads
// and encoding progress: it checks the video with catalog, as the caller,
// and signs URLs that the media routes serve.
type mediaGateway struct {
	catalog     catalog.API
	billing     Entitlements // nil: any signed-in viewer plays everything
	uploads     *upload.Server
	signer      *media.Signer
	hub         *progress.Hub
	playbackTTL time.Duration
	downloadTTL time.Duration
}

// CreateUpload starts a tus upload of a video's media (admin).
//
// Errors: KindUnauthenticated, KindForbidden; KindNotFound for an unknown
// video; KindInvalid for a bad filename or size.
func (g *mediaGateway) CreateUpload(ctx context.Context, caller platform.Caller, videoID, filename string, size int64) (model.Upload, error) {
	if err := caller.RequireAdmin(); err != nil {
		return model.Upload{}, err
	}
	if _, err := g.catalog.GetVideo(ctx, catalog.GetVideoRequest{Caller: caller, ID: videoID}); err != nil {
		return model.Upload{}, fmt.Errorf("bff: create upload for video %s: %w", videoID, err)
	}
	up, err := g.uploads.Create(ctx, upload.CreateRequest{VideoID: videoID, Filename: filename, Size: size, CreatedBy: caller.UserID})
	if err != nil {
		return model.Upload{}, fmt.Errorf("bff: create upload for video %s: %w", videoID, err)
	}
	return model.Upload{ID: up.ID, URL: up.URL, ExpiresAt: up.ExpiresAt}, nil
}

// Playback signs the master playlist of a READY video the caller may see
// and is entitled to play: the URL, like the renditions listed, stops at
// the plan's resolution, and the stream counts toward the plan's limit.
//
// Errors: KindNotFound for a video the caller cannot see; KindConflict with
// code MEDIA_NOT_READY when it has no READY media; KindForbidden with
// SUBSCRIPTION_REQUIRED and KindConflict with STREAM_LIMIT_REACHED from
// the subscription service.
func (g *mediaGateway) Playback(ctx context.Context, caller platform.Caller, videoID string) (model.Playback, error) {
	_, m, err := g.readyMedia(ctx, caller, videoID)
	if err != nil {
		return model.Playback{}, fmt.Errorf("bff: playback of video %s: %w", videoID, err)
	}
	maxHeight, err := g.startStream(ctx, caller, videoID)
	if err != nil {
		return model.Playback{}, fmt.Errorf("bff: playback of video %s: %w", videoID, err)
	}
	url, exp := g.signer.PlaybackURL(viewerOf(ctx, caller), videoID, m.ID, maxHeight, g.playbackTTL)
	out := model.Playback{ManifestURL: url, ExpiresAt: exp}
	for i, r := range m.Renditions {
		if maxHeight <= 0 || r.Height <= maxHeight {
			out.Renditions = append(out.Renditions, &m.Renditions[i])
		}
	}
	return out, nil
}

// startStream checks the caller's entitlement and counts the stream; it
// returns the tallest rendition allowed (0: any).
func (g *mediaGateway) startStream(ctx context.Context, caller platform.Caller, videoID string) (int, error) {
	if g.billing == nil {
		return 0, nil
	}
	resp, err := g.billing.StartStream(ctx, subscription.StartStreamRequest{Caller: caller, VideoID: videoID})
	if platform.Is(err, platform.KindUnavailable) {
		// Fail closed, and say why: the transport's own words ("sidecar or
		// component unavailable") tell a viewer nothing.
		return 0, platform.E(platform.KindUnavailable, "playback is unavailable: your subscription cannot be checked right now; try again shortly", err)
	}
	if err != nil {
		return 0, err
	}
	return resp.MaxResolution, nil
}

// RecordProgress records the caller's position in a video, with the
// video's duration from the catalog, and keeps its stream live.
//
// Errors: KindNotFound for a video the caller cannot see; KindInvalid for
// a negative position; KindUnavailable without a subscription service.
func (g *mediaGateway) RecordProgress(ctx context.Context, caller platform.Caller, videoID string, position float64) (model.WatchProgress, error) {
	if g.billing == nil {
		return model.WatchProgress{}, platform.Errorf(platform.KindUnavailable, "this deployment keeps no watch history")
	}
	resp, err := g.catalog.GetVideo(ctx, catalog.GetVideoRequest{Caller: caller, ID: videoID})
	if err != nil {
		return model.WatchProgress{}, fmt.Errorf("bff: record progress in video %s: %w", videoID, err)
	}
	v := resp.Video
	duration := float64(v.DurationSeconds)
	if v.Media != nil && v.Media.DurationSeconds > 0 {
		duration = v.Media.DurationSeconds
	}
	rec, err := g.billing.RecordProgress(ctx, subscription.RecordProgressRequest{Caller: caller, VideoID: videoID,
		PositionSeconds: position, DurationSeconds: duration})
	if err != nil {
		return model.WatchProgress{}, fmt.Errorf("bff: record progress in video %s: %w", videoID, err)
	}
	return model.WatchProgress{Progress: rec.Progress, Video: &v}, nil
}

// Download signs one rendition of a READY video as a whole MP4.
//
// Errors: as Playback, and KindInvalid for a rendition the video lacks.
func (g *mediaGateway) Download(ctx context.Context, caller platform.Caller, videoID, rendition string) (model.Download, error) {
	v, m, err := g.readyMedia(ctx, caller, videoID)
	if err != nil {
		return model.Download{}, fmt.Errorf("bff: download of video %s: %w", videoID, err)
	}
	maxHeight, err := g.startStream(ctx, caller, videoID)
	if err != nil {
		return model.Download{}, fmt.Errorf("bff: download of video %s: %w", videoID, err)
	}
	names := make([]string, 0, len(m.Renditions))
	for _, r := range m.Renditions {
		if r.Name != rendition {
			names = append(names, r.Name)
			continue
		}
		if maxHeight > 0 && r.Height > maxHeight {
			return model.Download{}, platform.Errorf(platform.KindForbidden, "your plan downloads up to %dp, not %s", maxHeight, r.Name)
		}
		filename := slug(v.Title) + "-" + r.Name
		url, exp := g.signer.DownloadURL(viewerOf(ctx, caller), videoID, m.ID, r.Name, filename, g.downloadTTL)
		return model.Download{URL: url, ExpiresAt: exp, Filename: filename + ".mp4", Size: r.DownloadSize}, nil
	}
	return model.Download{}, platform.Errorf(platform.KindInvalid, "video %s has no rendition %q (it has %s)", videoID, rendition, strings.Join(names, ", "))
}

// viewerOf names the caller in a media link, with the issue time of the
// access token on this request, so that revoking that token also stops the
// links it obtained.
func viewerOf(ctx context.Context, caller platform.Caller) media.Viewer {
	v := media.Viewer{UserID: caller.UserID}
	if id, ok := authn.IdentityFrom(ctx); ok && id.Caller.UserID == caller.UserID {
		v.IssuedAt = id.IssuedAt
	}
	return v
}

// readyMedia returns the video and its READY media.
func (g *mediaGateway) readyMedia(ctx context.Context, caller platform.Caller, videoID string) (catalog.Video, catalog.Media, error) {
	resp, err := g.catalog.GetVideo(ctx, catalog.GetVideoRequest{Caller: caller, ID: videoID})
	if err != nil {
		return catalog.Video{}, catalog.Media{}, err
	}
	m := resp.Video.Media
	if m == nil || m.Status != catalog.MediaReady {
		state := "no media uploaded"
		if m != nil {
			state = "its media is " + string(m.Status)
		}
		return catalog.Video{}, catalog.Media{}, platform.Coded(platform.KindConflict, CodeMediaNotReady,
			fmt.Sprintf("video %s is not ready to play: %s", videoID, state), nil)
	}
	return resp.Video, *m, nil
}

// WatchEncoding streams a video's media states (admin): what catalog last
// recorded, then every newer event, until READY or FAILED or ctx ends.
//
// Errors: KindUnauthenticated, KindForbidden; KindNotFound for an unknown
// video.
func (g *mediaGateway) WatchEncoding(ctx context.Context, caller platform.Caller, videoID string) (<-chan model.EncodingProgress, error) {
	if err := caller.RequireAdmin(); err != nil {
		return nil, err
	}
	w := g.hub.Watch(videoID) // before reading the state: no event falls in between
	resp, err := g.catalog.GetVideo(ctx, catalog.GetVideoRequest{Caller: caller, ID: videoID})
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("bff: watch encoding of video %s: %w", videoID, err)
	}
	if m := resp.Video.Media; m != nil {
		w.Seed(progress.Update{VideoID: videoID, MediaID: m.ID, Status: m.Status, Percent: m.Percent, Reason: m.Reason, Version: resp.Video.Version})
	}
	out := make(chan model.EncodingProgress)
	go func() {
		defer close(out)
		defer w.Close()
		for {
			u, ok := w.Next(ctx)
			if !ok {
				return
			}
			select {
			case out <- toProgress(u):
			case <-ctx.Done():
				return
			}
			if u.Final() {
				return
			}
		}
	}()
	return out, nil
}

func toProgress(u progress.Update) model.EncodingProgress {
	p := model.EncodingProgress{VideoID: u.VideoID, MediaID: u.MediaID, Status: u.Status, Percent: u.Percent}
	if u.Reason != "" {
		p.Reason = &u.Reason
	}
	return p
}

// RotateMediaSigningKey adds a media URL signing key that every replica
// signs with from its activation on (admin).
//
// Errors: KindUnauthenticated, KindForbidden; KindUnavailable when the
// ring cannot be read or written.
func (g *mediaGateway) RotateMediaSigningKey(ctx context.Context, caller platform.Caller) (model.MediaSigningKeyRotation, error) {
	if err := caller.RequireAdmin(); err != nil {
		return model.MediaSigningKeyRotation{}, err
	}
	rot, err := g.signer.RotateKey(ctx)
	if err != nil {
		return model.MediaSigningKeyRotation{}, fmt.Errorf("bff: rotate media signing key: %w", err)
	}
	return model.MediaSigningKeyRotation{Kid: rot.KID, ActiveAt: rot.ActiveAt, Keys: rot.Keys}, nil
}

// PosterURL signs a READY media's poster.
func (g *mediaGateway) PosterURL(videoID, mediaID string) string {
	u, _ := g.signer.PosterURL(videoID, mediaID)
	return u
}

// ThumbnailsURL signs a READY media's thumbnail strip: it sits beside the
// poster, so the poster's token serves it.
func (g *mediaGateway) ThumbnailsURL(videoID, mediaID string) string {
	return strings.TrimSuffix(g.PosterURL(videoID, mediaID), "poster.jpg") + "thumbnails.jpg"
}

// slug makes a title a safe file name: lower-case letters and digits
// joined by dashes.
func slug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if s == "" {
		return "video"
	}
	return s
}

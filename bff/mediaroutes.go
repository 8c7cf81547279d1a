package bff

import (
	"context"
	"fmt"
	"net/http"

	"github.com/dflix/dflix/bff/authn"
	"github.com/dflix/dflix/bff/media"
	"github.com/dflix/dflix/bff/upload"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// routeMedia mounts the tus upload endpoint and the media gateway, and
// builds the gateway the resolvers call.
func (s *Server) routeMedia(mux *http.ServeMux) error {
	uploads, err := upload.New(upload.Config{MaxSize: s.cfg.UploadMaxBytes, PublicURL: s.cfg.PublicURL}, upload.Deps{
		State: s.deps.State, Blobs: s.deps.Blobs, Publisher: s.deps.Publisher,
		Authorize: s.authorizeUpload, Clock: s.deps.Clock, Logger: s.deps.Logger.With("component", "uploads"),
	})
	if err != nil {
		return fmt.Errorf("bff: uploads: %w", err)
	}
	signer, err := media.NewSigner(s.deps.MediaKeys, max(s.cfg.PlaybackTTL, s.cfg.DownloadTTL))
	if err != nil {
		return fmt.Errorf("bff: media signer: %w", err)
	}
	// Playback follows a media state the cache may not have dropped yet.
	s.media = &mediaGateway{catalog: s.uncached, billing: s.deps.Subscription, uploads: uploads, signer: signer, hub: s.hub,
		playbackTTL: s.cfg.PlaybackTTL, downloadTTL: s.cfg.DownloadTTL}
	uploadCORS := corsPolicy{methods: upload.AllowedMethods(), headers: upload.AllowedHeaders(), expose: upload.ExposedHeaders()}
	mux.Handle("/uploads/", s.cors(uploadCORS, uploads))
	mux.Handle("/media/", s.cors(mediaCORS, media.NewGateway(signer, s.deps.Blobs, s.revocations, s.deps.Logger.With("component", "media"))))
	return nil
}

// authorizeUpload guards tus creation by POST: the request must carry an
// admin's bearer token, and the video must exist.
func (s *Server) authorizeUpload(ctx context.Context, r *http.Request, videoID string) (platform.Caller, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return platform.Caller{}, platform.E(platform.KindUnauthenticated, "sign in as an admin to upload", nil)
	}
	token, err := authn.BearerToken(header)
	if err != nil {
		return platform.Caller{}, err
	}
	id, err := s.verifier.Verify(ctx, token)
	if err != nil {
		return platform.Caller{}, err
	}
	if err := id.Caller.RequireAdmin(); err != nil {
		return platform.Caller{}, err
	}
	if _, err := s.deps.Catalog.GetVideo(ctx, catalog.GetVideoRequest{Caller: id.Caller, ID: videoID}); err != nil {
		return platform.Caller{}, fmt.Errorf("bff: authorize upload for video %s: %w", videoID, err)
	}
	return id.Caller, nil
}

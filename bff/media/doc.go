// Package media serves what the encoder produced (HLS playlists and
// segments, posters, thumbnails, whole-file MP4 downloads) from the Blob
// port, behind short-lived signed URLs.
//
// Why signed URLs: a video player fetches a master playlist, then rendition
// playlists, then hundreds of segments, by relative URL and without the
// viewer's bearer token (hls.js, Safari's native player, a download link, an
// <img>). So the BFF checks the viewer's entitlement once, when GraphQL asks
// for a playback URL, and returns a URL whose path carries a token:
// "/media/<token>/master.m3u8". Relative URLs in the playlists resolve under
// the same token, so every segment inherits the permission, and nothing but
// the token is needed to fetch it until it expires.
//
// The token is kid "." base64url(compact JSON claims) "." base64url of the
// HMAC-SHA256 of both, kid naming the signing key and the claims naming the video, the media (its content hash), the kind of
// access (the HLS ladder, the still images, or one rendition's download),
// the expiry in Unix seconds and, for playback and downloads, the viewer:
// their user id and the issue time of the access token they asked with.
// Changing any of these breaks the signature, so a link for one viewer or
// video cannot be made into another's, and the gateway refuses a viewer's
// links once Revocations says that access token was revoked (password
// change, refresh-token reuse, role change, deletion), checking in memory
// on every request.
// A link is still a bearer capability until then: whoever holds it can
// play, as HLS players fetch segments without credentials.
//
// The HMAC keys are 32 random bytes each, kept as a ring in the BFF's
// State (LoadKeyRing) and shared by every replica, so a URL signed by one
// replica is served by any. The newest key whose activation time has
// passed signs; every key in the ring verifies until it has not signed for
// longer than the longest URL lifetime (plus the activation delay).
// Signer.RotateKey adds a key that activates 30 s later: each replica
// reloads the ring every 10 s (KeyRing.Run) and when a token names a key it
// does not know (at most once per 10 s), so every replica knows a key
// before a URL it signed arrives. The one key of earlier versions (State
// key "media-signing-key") became the ring's first key and alone also
// verifies their two-part tokens (claims "." HMAC).
//
// Since the media id is in the signed claims and the path below the token cannot climb out of that
// media's folder, a token for one video can never read another's files.
//
// Gateway serves the files with HTTP range requests (single, open-ended,
// suffix and multi-range), conditional requests and caching that lasts at
// most as long as the token: media files are immutable under a content
// hash, but the URL stops working when the token expires.
package media

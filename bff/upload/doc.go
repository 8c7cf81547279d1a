// Package upload is the BFF's resumable upload endpoint: a tus 1.0 server
// (core protocol with the creation, termination and expiration extensions)
// that streams an admin's video file into the Blob port in parts and, once
// the last byte is in, announces the whole file with encoder's
// upload-completed event.
//
// Why tus: a video is gigabytes and a browser connection breaks. tus lets the
// client (tus-js-client in the web app) ask how much the server has (HEAD)
// and send the rest (PATCH), so a broken upload resumes where it stopped
// instead of starting over. Bytes never travel through GraphQL or pub/sub.
//
// How bytes are stored: each PATCH body is cut into parts of at most
// Config.PartSize bytes, each streamed into its own blob while a SHA-256 is
// computed over it. The upload's record in the State (offset, parts and the
// hash's marshalled running state) only advances after a part is wholly
// stored, so a connection that breaks mid-part loses only that part, and
// HEAD tells the client to resend from the end of the last whole part.
// Because the hash state lives in the shared State, a resumed upload may land
// on another BFF replica. Memory stays flat whatever the file size.
//
// Why the upload id is the permission: Create (the createUpload mutation, or
// a tus POST that passes Deps.Authorize) checks that the caller is an admin
// and returns an unguessable id of 128 random bits. Knowing the URL is then
// enough to HEAD, PATCH or DELETE it, like a presigned upload URL, so
// tus-js-client in a browser needs no extra header on every request.
//
// Completion: the media id is the hex SHA-256 of the bytes, and the parts
// are joined into "media/<mediaId>/source" (skipped when that blob already
// exists with the same size: the same file uploaded twice is stored once).
// Then one outbox write marks the upload completed and records the event, so
// the event is published at least once whatever crashes. Completion is
// idempotent: an upload whose bytes are all in but that is not marked
// completed is finished by the next HEAD or PATCH, or by Run's sweep.
//
// Server.Run relays the outbox and sweeps expired uploads (their parts and
// record are deleted). Uploads are enumerated through a platform.KeySet, so
// the sweep works on stores that cannot list keys.
//
// CORS is not done here: the BFF wraps the handler and uses ExposedHeaders
// and AllowedHeaders.
package upload

// Package encoder turns an uploaded source video into an HLS ladder: it
// consumes upload-completed events, probes the source with ffprobe, encodes
// every rendition at or below the source height in one ffmpeg run (H.264 and
// AAC, a master playlist, a poster and a thumbnail strip), checks quality with
// ffmpeg's own filters, and publishes progress and the outcome on Topic.
// Jobs are kept in the encoder's state, so a redelivered event does not
// encode twice and a job interrupted by a crash is picked up again.
//
// # Flow
//
// The subscription (Service.Subscriptions) only records the job of the
// media ("job:<mediaId>", queued) and returns; a second video of the same
// media joins the job, and gets the outcome at once if the job already
// ended. Service.Run claims queued jobs and encodes them:
//
//  1. copy media/<mediaId>/source to a scratch directory and ffprobe it
//     (no video stream, not a media file, or a truncated one fail the job
//     with a reason saying so);
//  2. one ffmpeg run decodes the source once and writes every rendition as
//     HLS (keyframes at every segment boundary, so segments align across
//     renditions), the poster, the thumbnail strip, and the log of
//     blackdetect, freezedetect and silencedetect; its -progress output
//     becomes EventEncodingProgress;
//  3. the output is reviewed: a top rendition much shorter than the source
//     means a truncated source, a smaller gap is a duration-drift finding,
//     and the master playlist is rewritten with BANDWIDTH, RESOLUTION and
//     CODECS on every variant;
//  4. each rendition is remuxed (no re-encode) into one MP4 for download;
//  5. the output replaces whatever is stored under the media's hls/ and mp4/
//     folders, the master playlist last, and the job ends done with its
//     Result, or failed with its Reason, with one outcome event per video
//     written through the outbox in the same transaction.
//
// # Blob layout
//
//	media/<mediaId>/source                  the upload (input)
//	media/<mediaId>/hls/master.m3u8         the master playlist
//	media/<mediaId>/hls/<name>/index.m3u8   a rendition ("240p" … "1080p")
//	media/<mediaId>/hls/<name>/seg-NNNNN.ts its MPEG-TS segments
//	media/<mediaId>/hls/poster.jpg          the poster, at the top size
//	media/<mediaId>/hls/thumbnails.jpg      the strip (see ThumbnailGrid)
//	media/<mediaId>/mp4/<name>.mp4          a rendition for download
//
// # Crashes and leases
//
// A claimed job is running under a lease (Config.LeaseDuration) that its
// runner renews; a running job whose lease lapsed is claimed again by any
// encoder, and one left by an earlier process with the same
// Config.InstanceID at once. Every claim counts an attempt, so a source that
// crashes the encoder fails after Config.MaxAttempts. A Run stopped by its
// context kills ffmpeg and hands its jobs back to the queue without
// counting the attempt.
package encoder

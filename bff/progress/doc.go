// Package progress fans a video's media states out to the BFF's
// encodingProgress subscribers. It follows catalog's video.changed events,
// not the encoder's own: catalog publishes one after it records each media
// fact, so a subscriber told READY can play at once. Every BFF replica
// consumes them as a broadcast, so a websocket on any replica sees every
// job's progress. A watcher keeps only
// the latest state of its video (progress is monotonic within one media), so
// a slow websocket never holds up the event consumer and never misses the
// final READY or FAILED.
package progress

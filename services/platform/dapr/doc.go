// Package dapr implements the platform ports over a Dapr sidecar (daprd
// 1.14, Go SDK v1.11.0); it is the only package that imports the Dapr SDK.
//
//   - State: a Dapr state store through the SDK's gRPC client, every write a
//     state transaction (see State for the per-store condition encodings).
//   - Publisher: each platform.Event published as a complete CloudEvent, so
//     subscribers get back the producer's id, type, source, time and topic.
//   - Subscriber: the app side of Dapr pub/sub over HTTP: GET /dapr/subscribe
//     and POST /events/<name>, answering SUCCESS, RETRY or DROP.
//   - DeadLetterStore: platform.DeadLetters over the app's dead-letter topics
//     (one per subscription) and the app's own State.
//   - Invoker: the sidecar's HTTP invoke API, so error kinds survive the trip
//     (the SDK's invocation handler turns every error into a 500).
//   - Blobs: a bindings.localstorage output binding; each blob a manifest
//     and chunks of Config.BlobChunkBytes, streamed both ways, so blobs of
//     any size (up to Config.MaxBlobBytes) take one chunk of memory, and
//     Open's reader seeks (io.ReadSeeker, io.ReaderAt) to serve ranges.
//
// Connect opens a Sidecar from a Config; cmd/dflix fills the Config from its
// flags and environment.
//
// # What the sidecar must have
//
//   - State stores: transactional with ETags (state.redis with
//     actorStateStore "false", state.postgresql, state.sqlite). The default
//     keyPrefix (the app id) keeps each service's keys apart.
//   - Config.PubSub ("pubsub") and Config.BroadcastPubSub ("broadcast"): two
//     components on the same broker with the same settings, consumerID
//     "{appID}" (the default) and "{uuid}" respectively; Redis streams start
//     a new consumer group at the stream's beginning, so a broadcast
//     subscriber replays the retained stream on every start (bound it with
//     maxLenApprox).
//   - A resiliency policy with a bounded inbound retry on both pub/sub
//     components: without one a RETRY is dead-lettered at once; with an
//     unbounded one never. The whole retry cycle must end within the redis
//     component's processingTimeout (15s by default), or the broker delivers
//     the event again meanwhile.
//   - Config.BlobBinding ("blobs"): bindings.localstorage with rootPath; and
//     daprd --max-body-size above 4/3 of Config.BlobChunkBytes plus some
//     slack (the default 4Mi for the default 2 MiB chunks), and above the
//     largest blob stored whole before blobs were chunked.
//   - With Config.DeclarativeSubscriptions, Subscription resources routing
//     each topic to /events/<name> with deadLetterTopic
//     Config.DeadLetterTopic + "." + <name>, and, when the app keeps a
//     DeadLetterStore, one routing each such topic (on Config.PubSub) to
//     /events/deadletters.<name>, with no deadLetterTopic.
package dapr

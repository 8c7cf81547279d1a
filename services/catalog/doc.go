// Package catalog is the video catalog: categories, genres, cast members
// and videos, browsing with filters and keyset pagination, full-text search
// (bleve, stemmed in English, Spanish and Portuguese, typo tolerant, with
// facets), search by title, and per-viewer tags.
//
// One API (catalog.go) is served in process by *Service, over HTTP by
// NewHandler, and called back through an Invoker by Client.
//
// # State
//
// The service owns one platform.State; it is the truth. Keys:
//
//	video/<id>                     a Video (JSON)
//	category/<id>                  a Category
//	genre/<id>                     a Genre
//	castmember/<id>                a CastMember
//	name/<kind>/<b64 folded name>  the id holding a name; kind is category,
//	                               genre or cast; inserted with IfAbsent so
//	                               names stay unique across replicas
//	usertags/<user id>             one user's tags: video id -> tags
//	outbox/event/<event id>        an event written but not yet published
//	videos|categories|genres|cast|outbox/shard/<nn>
//	                               platform.KeySet shards enumerating them
//
// Every write is one Transact (entity, name and key set ops, outbox entries),
// conditional on the ETags it read and retried as a whole on a conflict, so
// nothing is ever half written. Deleting a category, genre or cast member
// removes it from its videos in the same transaction.
//
// # Projection and events
//
// Each replica keeps an in-memory projection (videos with their browse
// orders pre-sorted, and the taxonomy) and a bleve index, both built from the
// state by New. A write updates them synchronously after its commit
// (read-your-writes on that replica), then its events go out through a
// transactional outbox (Run relays what could not be published at once). The
// other replicas apply the events of Topic (Subscriptions): videos by
// version, deletions as tombstone versions, taxonomy changes by reloading
// the entity, so duplicates and reordering are harmless.
//
// # Visibility
//
// Viewers and anonymous callers see published videos only; to them an
// unpublished video does not exist (KindNotFound, left out of lists).
// Admins see everything. Tags are private to the user who set them.
package catalog

package catalog

// Topic is where catalog publishes its facts.
const Topic = "catalog"

// Event types on Topic.
const (
	EventVideoChanged    = "video.changed"
	EventVideoDeleted    = "video.deleted"
	EventTagsChanged     = "tags.changed"
	EventTaxonomyChanged = "taxonomy.changed"
)

// VideoChanged is the payload of EventVideoChanged: the whole video after
// the change (consumers keep the highest Version).
type VideoChanged struct {
	Video Video `json:"video"`
}

// VideoDeleted is the payload of EventVideoDeleted.
type VideoDeleted struct {
	VideoID string `json:"videoId"`
	Version int64  `json:"version"`
}

// TagsChanged is the payload of EventTagsChanged: a user's tags on a video.
type TagsChanged struct {
	UserID  string   `json:"userId"`
	VideoID string   `json:"videoId"`
	Tags    []string `json:"tags"`
}

// TaxonomyChanged is the payload of EventTaxonomyChanged: a category, genre
// or cast member was created, changed or deleted.
type TaxonomyChanged struct {
	Kind    string `json:"kind"` // "category", "genre" or "cast"
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

package catalog

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/dflix/dflix/services/platform"
)

// Generated is what Generate wrote: the ids to filter by and every video
// with the names of its cast, which is the text the search index holds for
// it (title, description, cast names, tags).
type Generated struct {
	CategoryIDs []string
	GenreIDs    []string
	Cast        []CastMember
	Videos      []GeneratedVideo
}

// GeneratedVideo is one generated video and the names of its cast, in the
// order of CastIDs.
type GeneratedVideo struct {
	Video
	CastNames []string
}

// LongTailSize is how many distinct words the generated long tail has; see
// LongTailWord.
const LongTailSize = 20000

// generateChunk is how many videos one transaction of Generate writes: big
// enough that the key set shards are rewritten rarely, small enough to keep
// a transaction's memory modest.
const generateChunk = 5000

// Generate writes a synthetic catalog of n videos straight into state,
// exactly as the service stores it (entities, unique-name claims and key
// set shards), in a few large transactions: building it through the API
// would take minutes for 100,000 videos, most of them spent on outbox
// events nobody reads. Run it on an empty state; New then loads it like any
// other catalog. The same seed writes the same catalog, ids included.
//
// The text is shaped like real metadata, so that realistic queries hit:
// each description is about 30% stop words, 45% words of an English (and
// some Spanish and Portuguese) vocabulary of film words with a Zipf
// distribution (the commonest, "love", is in about 40% of the descriptions,
// the rarest in about 2%), with inflected forms for stemming ("run", "runs",
// "running"), and 25% words of a long tail of made-up names
// (LongTailWord), each in about 4 videos per 10,000. There are
// 10 categories, 20 genres, n/100 cast members (170 to 1,200) with
// realistic names, 1 to 3 tags per video, and 90% of the videos published.
//
// Errors: the state's, wrapped; KindConflict when state already holds a
// generated catalog's names.
func Generate(ctx context.Context, state platform.State, n int, seed uint64) (Generated, error) {
	g := newGenerator(seed, n)
	svc := &Service{state: state, cats: newCategories(state), genres: newGenres(state), casts: newCastMembers(state), videos: platform.NewKeySet(state, "videos", videoShards)}
	var out Generated
	var err error
	if out.CategoryIDs, err = writeTaxonomy(ctx, svc, svc.cats, genCategories, func(id, name string) Category {
		return Category{ID: id, Name: name, Description: "Everything in " + name + "."}
	}, g); err != nil {
		return Generated{}, err
	}
	if out.GenreIDs, err = writeTaxonomy(ctx, svc, svc.genres, genGenres, func(id, name string) Genre {
		return Genre{ID: id, Name: name}
	}, g); err != nil {
		return Generated{}, err
	}
	castIDs, err := writeTaxonomy(ctx, svc, svc.casts, g.castNames(n), func(id, name string) CastMember {
		out.Cast = append(out.Cast, CastMember{ID: id, Name: name, Type: CastActor})
		return out.Cast[len(out.Cast)-1]
	}, g)
	if err != nil {
		return Generated{}, err
	}
	castNames := make(map[string]string, len(out.Cast))
	for _, c := range out.Cast {
		castNames[c.ID] = c.Name
	}
	out.Videos = make([]GeneratedVideo, 0, n)
	for start := 0; start < n; start += generateChunk {
		var b platform.Batch
		ids := make([]string, 0, generateChunk)
		for i := start; i < min(start+generateChunk, n); i++ {
			v := g.video(i, out, castIDs, castNames)
			b.Set(videoKey(v.ID), v.Video, "", true)
			ids = append(ids, v.ID)
			out.Videos = append(out.Videos, v)
		}
		b.Add(svc.videos.AddOps(ctx, ids...))
		if err := commitBatch(ctx, state, &b); err != nil {
			return Generated{}, fmt.Errorf("generate videos %d to %d: %w", start, start+len(ids), err)
		}
	}
	return out, nil
}

// writeTaxonomy writes one entity per name, with its name claim and the key
// set, in one transaction, and returns the ids in the order of names.
func writeTaxonomy[T comparable](ctx context.Context, s *Service, t *taxonomy[T], names []string, mk func(id, name string) T, g *generator) ([]string, error) {
	var b platform.Batch
	ids := make([]string, len(names))
	for i, name := range names {
		ids[i] = g.id(genEpoch.Add(-time.Duration(len(names)-i) * time.Second))
		b.Set(t.entityKey(ids[i]), mk(ids[i], name), "", true)
		b.Set(t.nameKey(name), ids[i], "", true)
	}
	b.Add(t.set.AddOps(ctx, ids...))
	if err := commitBatch(ctx, s.state, &b); err != nil {
		return nil, fmt.Errorf("generate %s: %w", t.label, err)
	}
	return ids, nil
}

func commitBatch(ctx context.Context, state platform.State, b *platform.Batch) error {
	if err := b.Err(); err != nil {
		return err
	}
	return state.Transact(ctx, b.Ops())
}

// genEpoch is when the first generated video was created; the others follow
// a minute apart.
var genEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// generator draws the catalog's content from one seeded source.
type generator struct {
	r       *rand.Rand
	content *rand.Zipf
}

func newGenerator(seed uint64, n int) *generator {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	// s=1.1 and v=10 flatten the head: the commonest word is about 3.6% of
	// the vocabulary words drawn, the rarest about 0.1%.
	return &generator{r: r, content: rand.NewZipf(r, 1.1, 10, uint64(len(genVocabulary)-1))}
}

// id returns a UUID v7 of time at with random bits from the seeded source,
// so ids are both time-ordered like newID's and reproducible.
func (g *generator) id(at time.Time) string {
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[0:8], uint64(at.UnixMilli())<<16|g.r.Uint64()&0xffff)
	binary.BigEndian.PutUint64(u[8:16], g.r.Uint64())
	u[6] = 0x70 | u[6]&0x0f // version 7
	u[8] = 0x80 | u[8]&0x3f // RFC 4122 variant
	return u.String()
}

// video draws video i.
func (g *generator) video(i int, out Generated, castIDs []string, castNames map[string]string) GeneratedVideo {
	r := g.r
	at := genEpoch.Add(time.Duration(i) * time.Minute)
	v := Video{
		ID: g.id(at), Title: g.title(), Description: g.description(20 + r.IntN(30)),
		ReleaseYear: 1950 + r.IntN(75), DurationSeconds: 600 + r.IntN(9000), AgeRating: genRatings[r.IntN(len(genRatings))],
		CategoryIDs: []string{out.CategoryIDs[r.IntN(len(out.CategoryIDs))]},
		GenreIDs:    pickDistinct(r, out.GenreIDs, 1+r.IntN(2)),
		CastIDs:     pickDistinct(r, castIDs, 1+r.IntN(4)),
		Tags:        pickDistinct(r, genTags, 1+r.IntN(3)),
		Status:      StatusReady, Published: r.IntN(10) != 0, CreatedAt: at, UpdatedAt: at, Version: 1,
	}
	names := make([]string, len(v.CastIDs))
	for j, id := range v.CastIDs {
		names[j] = castNames[id]
	}
	return GeneratedVideo{Video: v, CastNames: names}
}

// title is one to four vocabulary words, sometimes after "The", sometimes
// with a long-tail name, capitalized.
func (g *generator) title() string {
	r := g.r
	var words []string
	if r.IntN(4) == 0 {
		words = append(words, "the")
	}
	for range 1 + r.IntN(4) {
		if r.IntN(10) == 0 {
			words = append(words, LongTailWord(r.IntN(LongTailSize)))
		} else {
			words = append(words, genVocabulary[g.content.Uint64()])
		}
	}
	for i, w := range words {
		first, size := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToUpper(first)) + w[size:]
	}
	return strings.Join(words, " ")
}

// description is n words: stop words, vocabulary and long tail.
func (g *generator) description(n int) string {
	r := g.r
	words := make([]string, n)
	for i := range words {
		switch p := r.IntN(100); {
		case p < 30:
			words[i] = genStopWords[r.IntN(len(genStopWords))]
		case p < 75:
			words[i] = genVocabulary[g.content.Uint64()]
		default:
			words[i] = LongTailWord(r.IntN(LongTailSize))
		}
	}
	return strings.Join(words, " ") + "."
}

// castNames returns n/100 (170 to 1,200) distinct "First Last" names.
func (g *generator) castNames(n int) []string {
	count := min(max(n/100, 170), 1200)
	all := make([]string, 0, len(genFirstNames)*len(genLastNames))
	for _, f := range genFirstNames {
		for _, l := range genLastNames {
			all = append(all, f+" "+l)
		}
	}
	g.r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	return all[:count]
}

// pickDistinct returns k distinct elements of from (k <= len(from)).
func pickDistinct(r *rand.Rand, from []string, k int) []string {
	out := make([]string, 0, k)
	for len(out) < k {
		s := from[r.IntN(len(from))]
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// LongTailWord returns word i (0 <= i < LongTailSize) of the long tail of
// made-up names in generated descriptions: three syllables, such as
// "kalomi". In a catalog of n videos each is in about n/2,500 of them.
func LongTailWord(i int) string {
	n := len(genSyllables)
	return genSyllables[i%n] + genSyllables[i/n%n] + genSyllables[i/(n*n)%n]
}

var genSyllables = strings.Fields(`ka lo mi ren tha vor sel dun bri zan quo fey mar tis gul
oth pha wen rix lum dra kel sor ny ber cam fal gor hin jas`)

var genStopWords = strings.Fields(`the a an of and in to with his her their on for from as by
who is are after when into`)

// genVocabulary is ordered from the commonest word to the rarest.
var genVocabulary = strings.Fields(`love life family world man woman young new old home time
night day city war friend friends father mother son daughter story dark last first secret lost
heart dream house town journey truth power death killer murder detective police past future
girl boy brother sister wife husband children school money game team fight live lives living
run runs running runner ran escape chase hunt hunter survive survival mission agent spy
soldier soldiers army king queen kingdom empire rebel rebels prince princess castle island
ocean sea river mountain forest desert storm winter summer fire ice stone silver golden hidden
shadow shadows ghost ghosts haunted monster monsters dragon dragons magic witch vampire zombie
alien aliens planet planets star stars space galaxy galaxies galactic gallery gala robot
robots machine interstellar wormhole astronaut mars moon sun earth light lights music
band singer dance dancer chef kitchen restaurant football boxing race racing car cars road
train plane pilot doctor hospital nurse lawyer judge prison crime criminal justice revenge
heist treasure pirate pirates ship wedding bride teacher student college village farm
horse horses dog dogs cat animal animals wild nature jungle beach holiday christmas comedy
mystery legend legends hero heroes villain battle battles dreams dreaming dreamer memory
memories broken fallen rising rise return returns beginning end ending forever tomorrow
yesterday midnight morning evening sunset sunrise neon cyber digital virtual corazón noche
ciudad amor guerra mujer canción luces verano historia viagem animais cidade saudade mar`)

var genCategories = strings.Split("Movies,Series,Documentaries,Kids,Anime,Stand-up,Shorts,Classics,Originals,Live Events", ",")

var genGenres = strings.Split("Drama,Comedy,Action,Thriller,Horror,Romance,Science Fiction,Fantasy,Documentary,Animation,"+
	"Crime,Mystery,Adventure,Family,Musical,War,Western,Biography,History,Sport", ",")

var genTags = strings.Split("classic,award winning,based on a true story,family friendly,space,heist,cult,coming of age,"+
	"feel good,dark,thriller,animated,holiday,sequel,remake,black and white,indie,blockbuster,time travel,road trip,"+
	"small town,dystopia,superhero,true crime,slow burn,mind bending,romantic,epic,witty,gritty", ",")

var genRatings = []AgeRating{RatingG, RatingPG, RatingPG13, RatingR, RatingNC17}

var genFirstNames = strings.Fields(`Ana Ben Carla David Elena Frank Grace Hugo Iris Jack Kate Leo
Maria Noah Olivia Paul Quinn Rosa Sam Tara Umar Vera Will Ximena Yusuf Zoe Lucas Sofia Mateo
Camila Diego Lucia Rafael Beatriz Tom Emma James Chloe Omar Nina`)

var genLastNames = strings.Fields(`Smith Johnson Garcia Silva Brown Miller Davis Rodriguez Martinez
Lopez Wilson Anderson Thomas Moore Jackson Martin Lee Perez Thompson White Harris Clark Lewis
Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson
Baker Hall Rivera Costa Santos Oliveira Pereira Almeida`)

import { useQuery } from "urql";
import { ErrorBox, Loading, VIDEO_CARD_FIELDS, VideoCard, useSession } from "../ui.jsx";

const CATEGORIES = `query Browse {
  categories { id name videos(first: 8) { edges { node { ${VIDEO_CARD_FIELDS} } } } }
}`;
const CONTINUE = `query Continue {
  continueWatching { video { ${VIDEO_CARD_FIELDS} } positionSeconds durationSeconds }
}`;

function ContinueRow() {
  const [{ data, error }] = useQuery({ query: CONTINUE, requestPolicy: "network-only" });
  // An entry whose video catalog could not send is left out.
  const items = ((data && data.continueWatching) || []).filter((w) => w.video);
  return (
    <section className="row" data-testid="row-continue">
      <h2>Continue watching</h2>
      <ErrorBox error={error} />
      {items.length === 0 && !error ? <p className="muted">Nothing in progress.</p> : null}
      <div className="cards">
        {items.map((w) => (
          <VideoCard
            key={w.video.id}
            video={w.video}
            progress={w.durationSeconds ? w.positionSeconds / w.durationSeconds : 0}
          />
        ))}
      </div>
    </section>
  );
}

export default function HomePage() {
  const session = useSession();
  const [{ data, error, fetching }] = useQuery({ query: CATEGORIES });
  return (
    <>
      {session ? <ContinueRow /> : null}
      <ErrorBox error={error} />
      {fetching && !data ? <Loading /> : null}
      {data && data.categories
        ? data.categories
            .filter((c) => c.videos.edges.length > 0)
            .map((c) => (
              <section className="row" key={c.id} data-category-id={c.id}>
                <h2>{c.name}</h2>
                <div className="cards">
                  {c.videos.edges.map(({ node }) => (
                    <VideoCard key={node.id} video={node} />
                  ))}
                </div>
              </section>
            ))
        : null}
      {data && data.categories && data.categories.every((c) => c.videos.edges.length === 0) ? (
        <p className="muted">The catalog is empty.</p>
      ) : null}
    </>
  );
}

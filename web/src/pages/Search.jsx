import { useState } from "react";
import { useQuery } from "urql";
import { ErrorBox, VIDEO_CARD_FIELDS, VideoCard, useDebounced } from "../ui.jsx";

const SEARCH = `query Search($query: String!, $filter: VideoFilter) {
  search(query: $query, first: 20, filter: $filter) {
    totalCount
    edges { node { ${VIDEO_CARD_FIELDS} } }
    facets {
      categories { category { id name } count }
      genres { genre { id name } count }
      years { year count }
    }
  }
}`;

function Facet({ label, active, onClick }) {
  return (
    <li>
      <button type="button" className={active ? "chip active" : "chip"} aria-pressed={active} onClick={onClick}>
        {label}
      </button>
    </li>
  );
}

export default function SearchPage() {
  const [text, setText] = useState("");
  const [filter, setFilter] = useState({});
  const query = useDebounced(text.trim(), 250);
  const [{ data, error, fetching }] = useQuery({
    query: SEARCH,
    variables: { query, filter },
    pause: query === "",
  });
  const result = query && data ? data.search : null;
  const toggle = (key, value) =>
    setFilter((f) => {
      const next = { ...f };
      if (next[key] === value) delete next[key];
      else next[key] = value;
      return next;
    });

  return (
    <section>
      <h1>Search</h1>
      <label className="search-label">
        <span className="sr-only">Search titles, descriptions, cast and tags</span>
        <input
          type="search"
          placeholder="Titles, people, tags…"
          value={text}
          autoFocus
          onChange={(e) => setText(e.target.value)}
          data-testid="search-input"
        />
      </label>
      <ErrorBox error={error} />
      {result ? (
        <div className="search-layout">
          <aside className="facets" aria-label="Filters">
            {Object.keys(filter).length > 0 ? (
              <button type="button" onClick={() => setFilter({})}>Clear filters</button>
            ) : null}
            {result.facets.categories.length ? <h3>Categories</h3> : null}
            <ul>
              {result.facets.categories.map((f) => (
                <Facet
                  key={f.category.id}
                  label={`${f.category.name} (${f.count})`}
                  active={filter.categoryId === f.category.id}
                  onClick={() => toggle("categoryId", f.category.id)}
                />
              ))}
            </ul>
            {result.facets.genres.length ? <h3>Genres</h3> : null}
            <ul>
              {result.facets.genres.map((f) => (
                <Facet
                  key={f.genre.id}
                  label={`${f.genre.name} (${f.count})`}
                  active={filter.genreId === f.genre.id}
                  onClick={() => toggle("genreId", f.genre.id)}
                />
              ))}
            </ul>
            {result.facets.years.length ? <h3>Years</h3> : null}
            <ul>
              {result.facets.years.map((f) => (
                <Facet
                  key={f.year}
                  label={`${f.year} (${f.count})`}
                  active={filter.year === f.year}
                  onClick={() => toggle("year", f.year)}
                />
              ))}
            </ul>
          </aside>
          <div>
            <p className="muted" aria-live="polite">
              {fetching ? "Searching…" : `${result.totalCount} result${result.totalCount === 1 ? "" : "s"}`}
            </p>
            <div className="cards grid" data-testid="search-results">
              {result.edges.map(({ node }) => (
                <VideoCard key={node.id} video={node} />
              ))}
            </div>
          </div>
        </div>
      ) : (
        <div className="cards grid" data-testid="search-results" />
      )}
    </section>
  );
}

import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { ErrorBox, Loading, useSession } from "../ui.jsx";

const VIDEO = `query Video($id: ID!) {
  video(id: $id) {
    id title description releaseYear durationSeconds ageRating status published
    tags myTags
    categories { id name }
    genres { id name }
    cast { id name type }
    media { id status percent posterUrl reason durationSeconds }
  }
}`;
const ADD = `mutation AddTags($videoId: ID!, $tags: [String!]!) { addTags(videoId: $videoId, tags: $tags) }`;
const REMOVE = `mutation RemoveTags($videoId: ID!, $tags: [String!]!) { removeTags(videoId: $videoId, tags: $tags) }`;

function duration(s) {
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
}

export default function VideoPage() {
  const { id } = useParams();
  const session = useSession();
  const [{ data, error, fetching }] = useQuery({ query: VIDEO, variables: { id } });
  const [tagText, setTagText] = useState("");
  const [myTags, setMyTags] = useState(null);
  const [tagError, setTagError] = useState(null);
  const [, addTags] = useMutation(ADD);
  const [, removeTags] = useMutation(REMOVE);

  // The video is null, with an error, when catalog cannot send it.
  if (error && !(data && data.video)) return <ErrorBox error={error} />;
  if (!data || !data.video) return fetching ? <Loading /> : null;
  const v = data.video;
  const tags = myTags || v.myTags;

  async function add(e) {
    e.preventDefault();
    const list = tagText.split(",").map((t) => t.trim()).filter(Boolean);
    if (!list.length) return;
    setTagError(null);
    const res = await addTags({ videoId: v.id, tags: list });
    if (res.error) setTagError(res.error);
    else {
      setMyTags(res.data.addTags);
      setTagText("");
    }
  }
  async function remove(tag) {
    setTagError(null);
    const res = await removeTags({ videoId: v.id, tags: [tag] });
    if (res.error) setTagError(res.error);
    else setMyTags(res.data.removeTags);
  }

  const mediaStatus = v.media ? v.media.status : "NO MEDIA";
  return (
    <article className="details">
      <div className="details-poster">
        {v.media && v.media.posterUrl ? (
          <img src={v.media.posterUrl} alt={`Poster of ${v.title}`} />
        ) : (
          <span className="poster-placeholder big" aria-hidden="true">{v.title.slice(0, 1)}</span>
        )}
      </div>
      <div className="details-body">
        <h1 data-testid="video-title">{v.title}</h1>
        <p className="meta">
          <span>{v.releaseYear}</span>
          <span className="badge">{v.ageRating}</span>
          {v.durationSeconds ? <span>{duration(v.durationSeconds)}</span> : null}
          <span data-testid="media-status">Media: {mediaStatus}
            {v.media && v.media.status === "PROCESSING" ? ` ${Math.round(v.media.percent)}%` : ""}</span>
          {!v.published ? <span className="badge">Unpublished</span> : null}
        </p>
        <Link to={`/watch/${v.id}`} className="button primary" data-testid="play-button">
          ▶ Play
        </Link>
        <p>{v.description}</p>
        {v.categories.length ? (
          <p><strong>Categories:</strong> {v.categories.map((c) => c.name).join(", ")}</p>
        ) : null}
        {v.genres.length ? (
          <p><strong>Genres:</strong> {v.genres.map((g) => g.name).join(", ")}</p>
        ) : null}
        {v.cast.length ? (
          <p>
            <strong>Cast:</strong>{" "}
            {v.cast.map((c) => `${c.name}${c.type === "DIRECTOR" ? " (director)" : ""}`).join(", ")}
          </p>
        ) : null}
        {v.tags.length ? (
          <p><strong>Tags:</strong> {v.tags.map((t) => <span key={t} className="chip static">{t}</span>)}</p>
        ) : null}
        <section>
          <h2>My tags</h2>
          <ul className="tags" data-testid="my-tags">
            {tags.map((t) => (
              <li key={t} className="chip static" data-tag={t}>
                {t}{" "}
                <button type="button" className="link-button" aria-label={`Remove tag ${t}`} onClick={() => remove(t)}>
                  ×
                </button>
              </li>
            ))}
          </ul>
          {session ? (
            <form onSubmit={add} className="inline-form">
              <label>
                <span className="sr-only">New tags, comma separated</span>
                <input
                  value={tagText}
                  placeholder="Add tags, comma separated"
                  onChange={(e) => setTagText(e.target.value)}
                  data-testid="tag-input"
                />
              </label>
              <button type="submit" data-testid="tag-add">Add</button>
            </form>
          ) : (
            <p className="muted"><Link to="/signin">Sign in</Link> to tag videos.</p>
          )}
          <ErrorBox error={tagError} />
        </section>
      </div>
    </article>
  );
}

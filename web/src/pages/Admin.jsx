import { useState } from "react";
import { NavLink, useParams } from "react-router-dom";
import { useMutation, useQuery, useSubscription } from "urql";
import * as tus from "tus-js-client";
import { getSession } from "../session.js";
import { ErrorBox, Loading, date, money, useSession } from "../ui.jsx";

const RATINGS = ["G", "PG", "PG13", "R", "NC17"];

// useAction runs a mutation, keeps its last error and refetches afterwards.
function useAction(query, after) {
  const [state, run] = useMutation(query);
  const [error, setError] = useState(null);
  const exec = async (vars) => {
    setError(null);
    const res = await run(vars || {});
    if (res.error) setError(res.error);
    if (after) after(res);
    return res;
  };
  return [exec, error, state.fetching];
}

const TABS = [
  ["videos", "Videos"],
  ["taxonomy", "Categories, genres & cast"],
  ["plans", "Plans"],
  ["users", "Users"],
  ["deadletters", "Dead letters"],
];

export default function AdminPage() {
  const { tab } = useParams();
  const session = useSession();
  if (!session || session.user.role !== "ADMIN") {
    return <ErrorBox error={{ code: "FORBIDDEN", message: "Admins only." }} />;
  }
  return (
    <section>
      <h1>Admin</h1>
      <nav className="tabs" aria-label="Admin sections">
        {TABS.map(([key, label]) => (
          <NavLink key={key} to={`/admin/${key}`} data-testid={`admin-tab-${key}`}>
            {label}
          </NavLink>
        ))}
      </nav>
      {tab === "videos" ? <VideosTab /> : null}
      {tab === "taxonomy" ? <TaxonomyTab /> : null}
      {tab === "plans" ? <PlansTab /> : null}
      {tab === "users" ? <UsersTab /> : null}
      {tab === "deadletters" ? <DeadLettersTab /> : null}
    </section>
  );
}

/* ---------------------------------------------------------------- videos */

// Kept small: the list asks for 50 of these (urql adds __typename to each
// selection) and the BFF limits query complexity to 1000.
const VIDEO_ROW = `id title releaseYear ageRating status published media { status percent }`;
const VIDEO_TAXA = `query VideoTaxa($id: ID!) { video(id: $id) { id description categories { id } genres { id } } }`;
const VIDEOS = `query AdminVideos {
  videos(first: 50, orderBy: { field: CREATED_AT, descending: true }) { totalCount edges { node { ${VIDEO_ROW} } } }
  categories { id name }
  genres { id name }
}`;
const CREATE_VIDEO = `mutation CreateVideo($input: CreateVideoInput!) { createVideo(input: $input) { ${VIDEO_ROW} } }`;
const UPDATE_VIDEO = `mutation UpdateVideo($id: ID!, $input: UpdateVideoInput!) { updateVideo(id: $id, input: $input) { ${VIDEO_ROW} } }`;
const PUBLISH = `mutation Publish($id: ID!) { publishVideo(id: $id) { ${VIDEO_ROW} } }`;
const UNPUBLISH = `mutation Unpublish($id: ID!) { unpublishVideo(id: $id) { ${VIDEO_ROW} } }`;
const DELETE_VIDEO = `mutation DeleteVideo($id: ID!) { deleteVideo(id: $id) }`;
const CREATE_UPLOAD = `mutation CreateUpload($videoId: ID!, $filename: String!, $size: Int64!) {
  createUpload(videoId: $videoId, filename: $filename, size: $size) { id url expiresAt }
}`;
const ENCODING = `subscription Encoding($videoId: ID!) {
  encodingProgress(videoId: $videoId) { videoId mediaId status percent reason }
}`;

function VideosTab() {
  const [res, reexec] = useQuery({ query: VIDEOS, requestPolicy: "network-only" });
  const refetch = () => reexec({ requestPolicy: "network-only" });
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [year, setYear] = useState(String(new Date().getFullYear()));
  const [dur, setDur] = useState("60");
  const [rating, setRating] = useState("PG");
  const [create, createError, creating] = useAction(CREATE_VIDEO, refetch);

  async function submit(e) {
    e.preventDefault();
    const r = await create({
      input: {
        title,
        description,
        releaseYear: parseInt(year, 10),
        durationSeconds: parseInt(dur, 10),
        ageRating: rating,
      },
    });
    if (!r.error) {
      setTitle("");
      setDescription("");
    }
  }

  const data = res.data;
  return (
    <>
      <form className="form panel" onSubmit={submit} aria-label="New video">
        <h2>New video</h2>
        <TitleFields testId="new-video" title={title} setTitle={setTitle} description={description} setDescription={setDescription} />
        <div className="form-row">
          <label>
            Release year
            <input type="number" required value={year} onChange={(e) => setYear(e.target.value)} data-testid="new-video-year" />
          </label>
          <label>
            Duration (seconds)
            <input type="number" min="0" required value={dur} onChange={(e) => setDur(e.target.value)} data-testid="new-video-duration" />
          </label>
          <label>
            Age rating
            <select value={rating} onChange={(e) => setRating(e.target.value)} data-testid="new-video-rating">
              {RATINGS.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </label>
        </div>
        <ErrorBox error={createError} />
        <button type="submit" className="primary" disabled={creating} data-testid="new-video-submit">Create video</button>
      </form>
      <h2>Videos {data && data.videos ? `(${data.videos.totalCount})` : ""}</h2>
      <ErrorBox error={res.error} />
      {!data && res.fetching ? <Loading /> : null}
      <ul className="admin-list">
        {data && data.videos
          ? data.videos.edges.map(({ node }) => (
              <VideoRow key={node.id} video={node} categories={data.categories || []} genres={data.genres || []} refetch={refetch} />
            ))
          : null}
      </ul>
    </>
  );
}

// TitleFields are a video's title and description, in the new-video and the
// edit forms alike.
function TitleFields({ testId, title, setTitle, description, setDescription }) {
  return (
    <>
      <label>
        Title
        <input required value={title} onChange={(e) => setTitle(e.target.value)} data-testid={`${testId}-title`} />
      </label>
      <label>
        Description
        <textarea value={description} onChange={(e) => setDescription(e.target.value)} data-testid={`${testId}-description`} />
      </label>
    </>
  );
}

function VideoRow({ video, categories, genres, refetch }) {
  const [editing, setEditing] = useState(false);
  const [uploadOpen, setUploadOpen] = useState(false);
  const [publish, publishError] = useAction(video.published ? UNPUBLISH : PUBLISH, refetch);
  const [del, delError] = useAction(DELETE_VIDEO, refetch);
  const media = video.media;
  return (
    <li className="admin-row" data-testid="admin-video-row" data-video-id={video.id} data-title={video.title}>
      <div className="admin-row-main">
        <div>
          <strong>{video.title}</strong> <span className="muted">{video.releaseYear} · {video.ageRating}</span>
          <div className="muted">
            {video.published ? "Published" : "Draft"} · status {video.status}
            {media ? ` · media ${media.status}${media.status === "PROCESSING" ? ` ${Math.round(media.percent)}%` : ""}` : " · no media"}
          </div>
        </div>
        <div className="actions">
          <button type="button" onClick={() => publish({ id: video.id })} data-testid="publish-toggle">
            {video.published ? "Unpublish" : "Publish"}
          </button>
          <button type="button" onClick={() => setEditing((x) => !x)} aria-expanded={editing} data-testid="edit-open">Edit</button>
          <button type="button" onClick={() => setUploadOpen((x) => !x)} aria-expanded={uploadOpen} data-testid="upload-open">Upload</button>
          <button type="button" className="danger" data-testid="video-delete"
            onClick={() => window.confirm(`Delete "${video.title}"?`) && del({ id: video.id })}>
            Delete
          </button>
        </div>
      </div>
      <ErrorBox error={publishError || delError} />
      {editing ? (
        <EditVideo video={video} categories={categories} genres={genres} onDone={() => { setEditing(false); refetch(); }} />
      ) : null}
      {uploadOpen ? <UploadPanel video={video} refetch={refetch} /> : null}
    </li>
  );
}

function EditVideo(props) {
  const [res] = useQuery({ query: VIDEO_TAXA, variables: { id: props.video.id }, requestPolicy: "network-only" });
  if (res.error) return <ErrorBox error={res.error} />;
  if (!res.data || res.stale) return <Loading />;
  return <EditVideoForm {...props} taxa={res.data.video} />;
}

function EditVideoForm({ video, taxa, categories, genres, onDone }) {
  const [title, setTitle] = useState(video.title);
  const [description, setDescription] = useState(taxa.description);
  const [cats, setCats] = useState(taxa.categories.map((c) => c.id));
  const [gens, setGens] = useState(taxa.genres.map((g) => g.id));
  const [update, error, busy] = useAction(UPDATE_VIDEO);
  const pick = (e) => Array.from(e.target.selectedOptions).map((o) => o.value);
  return (
    <form
      className="form"
      onSubmit={async (e) => {
        e.preventDefault();
        const r = await update({ id: video.id, input: { title, description, categoryIds: cats, genreIds: gens } });
        if (!r.error) onDone();
      }}
    >
      <TitleFields testId="edit-video" title={title} setTitle={setTitle} description={description} setDescription={setDescription} />
      <div className="form-row">
        <label>
          Categories
          <select multiple value={cats} onChange={(e) => setCats(pick(e))}>
            {categories.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select>
        </label>
        <label>
          Genres
          <select multiple value={gens} onChange={(e) => setGens(pick(e))}>
            {genres.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}
          </select>
        </label>
      </div>
      <ErrorBox error={error} />
      <button type="submit" className="primary" disabled={busy} data-testid="edit-video-save">Save</button>
    </form>
  );
}

function EncodingStatus({ videoId, onFinal }) {
  const [res] = useSubscription({ query: ENCODING, variables: { videoId } }, (prev, data) => {
    const p = data.encodingProgress;
    if (p.status === "READY" || p.status === "FAILED") onFinal();
    return data;
  });
  const p = res.data && res.data.encodingProgress;
  let text = "waiting for the encoder…";
  if (p) {
    if (p.status === "READY") text = "READY";
    else if (p.status === "FAILED") text = `FAILED${p.reason ? `: ${p.reason}` : ""}`;
    else text = `${p.status} ${Math.round(p.percent)}%`;
  }
  return (
    <>
      <p aria-live="polite">
        Encoding: <span data-testid="encoding-status">{text}</span>
      </p>
      {p && p.status === "PROCESSING" ? <progress max="100" value={p.percent} aria-label="Encoding progress" /> : null}
      <ErrorBox error={res.error} />
    </>
  );
}

function UploadPanel({ video, refetch }) {
  const [file, setFile] = useState(null);
  const [percent, setPercent] = useState(null);
  const [error, setError] = useState(null);
  const [watching, setWatching] = useState(video.media && video.media.status === "PROCESSING");
  const [running, setRunning] = useState(false);
  const [createUpload] = useAction(CREATE_UPLOAD);

  async function start() {
    if (!file) return;
    setError(null);
    setRunning(true);
    setPercent(0);
    const res = await createUpload({ videoId: video.id, filename: file.name, size: file.size });
    if (res.error) {
      setError(res.error);
      setRunning(false);
      return;
    }
    const s = getSession();
    const upload = new tus.Upload(file, {
      uploadUrl: res.data.createUpload.url,
      chunkSize: 5 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000],
      storeFingerprintForResuming: false,
      headers: s ? { Authorization: `Bearer ${s.accessToken}` } : {},
      metadata: { filename: file.name, filetype: file.type || "application/octet-stream" },
      onProgress(sent, total) {
        setPercent(total ? Math.floor((sent / total) * 100) : 0);
      },
      onError(err) {
        setRunning(false);
        setError({ code: "UPLOAD_FAILED", message: `Upload failed: ${err.message || err}` });
      },
      onSuccess() {
        setPercent(100);
        setRunning(false);
        setWatching(true);
        refetch();
      },
    });
    upload.start();
  }

  const inputId = `upload-${video.id}`;
  return (
    <div className="panel upload">
      <label htmlFor={inputId}>Media file</label>
      <input id={inputId} type="file" accept="video/*" onChange={(e) => setFile(e.target.files[0] || null)} data-testid="upload-file" />
      <button type="button" className="primary" onClick={start} disabled={!file || running} data-testid="upload-start">
        Start upload
      </button>
      {percent != null ? (
        <p>
          Upload: <progress max="100" value={percent} aria-label="Upload progress" />{" "}
          <span data-testid="upload-progress">{percent}%</span>
        </p>
      ) : null}
      <ErrorBox error={error} />
      {watching ? <EncodingStatus videoId={video.id} onFinal={refetch} /> : null}
    </div>
  );
}

/* -------------------------------------------------------------- taxonomy */

const TAXONOMY = `query Taxonomy {
  categories { id name description }
  genres { id name }
  castMembers { id name type }
}`;

function TaxonomyTab() {
  const [res, reexec] = useQuery({ query: TAXONOMY, requestPolicy: "network-only" });
  const refetch = () => reexec({ requestPolicy: "network-only" });
  const [createCategory, catErr] = useAction(`mutation($input: CreateCategoryInput!) { createCategory(input: $input) { id } }`, refetch);
  const [deleteCategory, delCatErr] = useAction(`mutation($id: ID!) { deleteCategory(id: $id) }`, refetch);
  const [createGenre, genErr] = useAction(`mutation($name: String!) { createGenre(name: $name) { id } }`, refetch);
  const [deleteGenre, delGenErr] = useAction(`mutation($id: ID!) { deleteGenre(id: $id) }`, refetch);
  const [createCast, castErr] = useAction(`mutation($input: CreateCastMemberInput!) { createCastMember(input: $input) { id } }`, refetch);
  const [deleteCast, delCastErr] = useAction(`mutation($id: ID!) { deleteCastMember(id: $id) }`, refetch);
  const [catName, setCatName] = useState("");
  const [catDesc, setCatDesc] = useState("");
  const [genName, setGenName] = useState("");
  const [castName, setCastName] = useState("");
  const [castType, setCastType] = useState("ACTOR");
  const d = res.data;
  return (
    <>
      <ErrorBox error={res.error} />
      {!d ? <Loading /> : null}
      <div className="columns">
        <TaxonomyPanel title="Categories" addLabel="Add category" kind="category" items={d && d.categories}
          error={catErr || delCatErr} onDelete={(id) => deleteCategory({ id })}
          onCreate={async () => {
            const r = await createCategory({ input: { name: catName, description: catDesc } });
            if (!r.error) { setCatName(""); setCatDesc(""); }
          }}>
          <label>Name <input required value={catName} onChange={(e) => setCatName(e.target.value)} data-testid="new-category-name" /></label>
          <label>Description <input value={catDesc} onChange={(e) => setCatDesc(e.target.value)} /></label>
        </TaxonomyPanel>
        <TaxonomyPanel title="Genres" addLabel="Add genre" kind="genre" items={d && d.genres}
          error={genErr || delGenErr} onDelete={(id) => deleteGenre({ id })}
          onCreate={async () => {
            const r = await createGenre({ name: genName });
            if (!r.error) setGenName("");
          }}>
          <label>Name <input required value={genName} onChange={(e) => setGenName(e.target.value)} data-testid="new-genre-name" /></label>
        </TaxonomyPanel>
        <TaxonomyPanel title="Cast" addLabel="Add cast member" kind="cast" items={d && d.castMembers}
          error={castErr || delCastErr} onDelete={(id) => deleteCast({ id })}
          detail={(c) => <span className="muted">({c.type.toLowerCase()})</span>}
          onCreate={async () => {
            const r = await createCast({ input: { name: castName, type: castType } });
            if (!r.error) setCastName("");
          }}>
          <label>Name <input required value={castName} onChange={(e) => setCastName(e.target.value)} data-testid="new-cast-name" /></label>
          <label>
            Role
            <select value={castType} onChange={(e) => setCastType(e.target.value)}>
              <option value="ACTOR">Actor</option>
              <option value="DIRECTOR">Director</option>
            </select>
          </label>
        </TaxonomyPanel>
      </div>
    </>
  );
}

// TaxonomyPanel is one kind of taxonomy: its create form (the fields are
// the children), its errors, and its entries, each with a Delete button.
function TaxonomyPanel({ title, addLabel, kind, items, error, onCreate, onDelete, detail, children }) {
  return (
    <section className="panel">
      <h2>{title}</h2>
      <form className="form" onSubmit={async (e) => { e.preventDefault(); await onCreate(); }}>
        {children}
        <button type="submit" data-testid={`new-${kind}-submit`}>{addLabel}</button>
      </form>
      <ErrorBox error={error} />
      <ul className="simple-list">
        {items && items.map((it) => (
          <li key={it.id} data-testid={`${kind}-row`} data-name={it.name}>
            {it.name}{detail ? <> {detail(it)}</> : null}{" "}
            <button type="button" className="danger" onClick={() => onDelete(it.id)} aria-label={`Delete ${kind} ${it.name}`}>Delete</button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/* ----------------------------------------------------------------- plans */

const ADMIN_PLANS = `query AdminPlans { plans { id name description priceMinor currency period trialDays maxResolution maxStreams active } }`;

function PlansTab() {
  const [res, reexec] = useQuery({ query: ADMIN_PLANS, requestPolicy: "network-only" });
  const refetch = () => reexec({ requestPolicy: "network-only" });
  const [createPlan, createErr, busy] = useAction(`mutation($input: PlanInput!) { createPlan(input: $input) { id } }`, refetch);
  const [deactivate, deErr] = useAction(`mutation($id: ID!) { deactivatePlan(id: $id) { id active } }`, refetch);
  const [f, setF] = useState({
    name: "", description: "", priceMinor: "999", currency: "USD", period: "MONTHLY",
    trialDays: "0", maxResolution: "1080", maxStreams: "2",
  });
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  return (
    <>
      <form className="form panel" onSubmit={async (e) => {
        e.preventDefault();
        const r = await createPlan({
          input: {
            name: f.name, description: f.description, priceMinor: parseInt(f.priceMinor, 10),
            currency: f.currency, period: f.period, trialDays: parseInt(f.trialDays, 10),
            maxResolution: parseInt(f.maxResolution, 10), maxStreams: parseInt(f.maxStreams, 10),
          },
        });
        if (!r.error) setF({ ...f, name: "", description: "" });
      }}>
        <h2>New plan</h2>
        <label>Name <input required value={f.name} onChange={set("name")} data-testid="new-plan-name" /></label>
        <label>Description <input value={f.description} onChange={set("description")} /></label>
        <div className="form-row">
          <label>Price (cents) <input type="number" min="0" required value={f.priceMinor} onChange={set("priceMinor")} data-testid="new-plan-price" /></label>
          <label>Currency <input required value={f.currency} onChange={set("currency")} maxLength={3} /></label>
          <label>
            Period
            <select value={f.period} onChange={set("period")}>
              <option value="MONTHLY">Monthly</option>
              <option value="YEARLY">Yearly</option>
            </select>
          </label>
        </div>
        <div className="form-row">
          <label>Trial days <input type="number" min="0" value={f.trialDays} onChange={set("trialDays")} /></label>
          <label>
            Max resolution
            <select value={f.maxResolution} onChange={set("maxResolution")}>
              <option value="480">480p</option>
              <option value="720">720p</option>
              <option value="1080">1080p</option>
            </select>
          </label>
          <label>Max streams <input type="number" min="1" value={f.maxStreams} onChange={set("maxStreams")} /></label>
        </div>
        <ErrorBox error={createErr} />
        <button type="submit" className="primary" disabled={busy} data-testid="new-plan-submit">Create plan</button>
      </form>
      <ErrorBox error={res.error || deErr} />
      <div className="table-wrap">
        <table>
          <thead><tr><th>Name</th><th>Price</th><th>Trial</th><th>Max</th><th>Active</th><th /></tr></thead>
          <tbody>
            {res.data && res.data.plans && res.data.plans.map((p) => (
              <tr key={p.id} data-testid="admin-plan-row" data-plan-name={p.name}>
                <td>{p.name}</td>
                <td>{money(p.priceMinor, p.currency)} / {p.period.toLowerCase()}</td>
                <td>{p.trialDays} d</td>
                <td>{p.maxResolution}p · {p.maxStreams} streams</td>
                <td>{p.active ? "yes" : "no"}</td>
                <td>
                  {p.active ? (
                    <button type="button" onClick={() => deactivate({ id: p.id })} data-testid="plan-deactivate">Deactivate</button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/* ----------------------------------------------------------------- users */

const USERS = `query Users { users(first: 50) { totalCount edges { node { id email displayName role createdAt } } } }`;

function UsersTab() {
  const session = useSession();
  const [res, reexec] = useQuery({ query: USERS, requestPolicy: "network-only" });
  const refetch = () => reexec({ requestPolicy: "network-only" });
  const [setRole, roleErr] = useAction(`mutation($userId: ID!, $role: Role!) { setUserRole(userId: $userId, role: $role) { id role } }`, refetch);
  const [deleteUser, delErr] = useAction(`mutation($userId: ID!) { deleteUser(userId: $userId) }`, refetch);
  return (
    <>
      <ErrorBox error={res.error || roleErr || delErr} />
      <div className="table-wrap">
        <table>
          <thead><tr><th>Email</th><th>Name</th><th>Joined</th><th>Role</th><th /></tr></thead>
          <tbody>
            {res.data && res.data.users && res.data.users.edges.map(({ node: u }) => (
              <tr key={u.id} data-testid="user-row" data-email={u.email}>
                <td>{u.email}</td>
                <td>{u.displayName}</td>
                <td>{date(u.createdAt)}</td>
                <td>
                  <label>
                    <span className="sr-only">Role of {u.email}</span>
                    <select value={u.role} onChange={(e) => setRole({ userId: u.id, role: e.target.value })} data-testid="user-role">
                      <option value="VIEWER">Viewer</option>
                      <option value="ADMIN">Admin</option>
                    </select>
                  </label>
                </td>
                <td>
                  {session && session.user.id !== u.id ? (
                    <button type="button" className="danger" data-testid="user-delete"
                      onClick={() => window.confirm(`Delete ${u.email}?`) && deleteUser({ userId: u.id })}>
                      Delete
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/* ---------------------------------------------------------- dead letters */

const DEAD = `query DeadLetters { deadLetters { id subscription topic eventId eventType source reason attempts failedAt payload } }`;

function DeadLettersTab() {
  const [res, reexec] = useQuery({ query: DEAD, requestPolicy: "network-only" });
  const refetch = () => reexec({ requestPolicy: "network-only" });
  const [redrive, err] = useAction(`mutation($id: String!) { redriveDeadLetter(id: $id) }`, refetch);
  const list = (res.data && res.data.deadLetters) || [];
  return (
    <>
      <p><button type="button" onClick={refetch}>Refresh</button></p>
      <ErrorBox error={res.error || err} />
      {res.data && res.data.deadLetters && list.length === 0 ? <p className="muted">No dead letters.</p> : null}
      <ul className="admin-list">
        {list.map((d) => (
          <li key={d.id} className="admin-row" data-testid="deadletter-row">
            <div className="admin-row-main">
              <div>
                <strong>{d.eventType}</strong> <span className="muted">from {d.source} on {d.topic}</span>
                <div className="muted">
                  consumer {d.subscription} · {d.attempts} attempts · {new Date(d.failedAt).toLocaleString()}
                </div>
                <div>Reason: {d.reason}</div>
                <details>
                  <summary>Payload</summary>
                  <pre>{d.payload}</pre>
                </details>
              </div>
              <div className="actions">
                <button type="button" onClick={() => redrive({ id: d.id })} data-testid="deadletter-redrive">Redrive</button>
              </div>
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}

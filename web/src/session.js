// The signed-in session: kept in localStorage, refreshed before it expires.
const KEY = "dflix.session";
const listeners = new Set();
let session = load();
let refreshing = null;
let timer = null;

function load() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) || "null");
    return s && s.accessToken && s.refreshToken ? s : null;
  } catch {
    return null;
  }
}

export function getSession() {
  return session;
}

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function setSession(payload) {
  session = payload
    ? {
        accessToken: payload.accessToken,
        refreshToken: payload.refreshToken,
        expiresAt: payload.expiresAt,
        user: payload.user,
      }
    : null;
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
  schedule();
  listeners.forEach((fn) => fn(session));
}

export function updateUser(user) {
  if (!session) return;
  session = { ...session, user: { ...session.user, ...user } };
  localStorage.setItem(KEY, JSON.stringify(session));
  listeners.forEach((fn) => fn(session));
}

const AUTH_FIELDS = "accessToken refreshToken expiresAt user { id email displayName role }";

async function rawGraphQL(query, variables) {
  const res = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

// refresh exchanges the refresh token for a new session; on a GraphQL error
// (the token was rotated or revoked) the session ends.
export function refresh() {
  if (refreshing) return refreshing;
  const current = session;
  if (!current) return Promise.resolve(null);
  refreshing = rawGraphQL(
    `mutation Refresh($t: String!) { refreshToken(refreshToken: $t) { ${AUTH_FIELDS} } }`,
    { t: current.refreshToken },
  )
    .then((body) => {
      if (session !== current) return session; // signed out or in meanwhile
      if (body && body.data && body.data.refreshToken) {
        setSession(body.data.refreshToken);
      } else {
        setSession(null);
      }
      return session;
    })
    .catch(() => session) // network trouble: keep the session, try later
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

function msUntilExpiry() {
  if (!session || !session.expiresAt) return Infinity;
  return new Date(session.expiresAt).getTime() - Date.now();
}

// ensureFresh refreshes the access token when it is about to expire.
export async function ensureFresh() {
  if (session && msUntilExpiry() < 30_000) await refresh();
  return session;
}

function schedule() {
  if (timer) clearTimeout(timer);
  timer = null;
  if (!session) return;
  const wait = Math.max(0, msUntilExpiry() - 60_000);
  timer = setTimeout(() => {
    refresh().then(() => {
      // a failed (network) refresh leaves the same session: retry soon
      if (session && msUntilExpiry() < 60_000) timer = setTimeout(schedule, 10_000);
    });
  }, Math.min(wait, 2 ** 31 - 1));
}

export async function signOut() {
  const current = session;
  setSession(null);
  if (current) {
    try {
      await rawGraphQL(`mutation Logout($t: String!) { logout(refreshToken: $t) }`, {
        t: current.refreshToken,
      });
    } catch {
      /* the session is gone locally either way */
    }
  }
}

export { AUTH_FIELDS };

schedule();

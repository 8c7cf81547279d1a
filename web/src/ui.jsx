import { useEffect, useState, useSyncExternalStore } from "react";
import { Link } from "react-router-dom";
import { getSession, subscribe } from "./session.js";

export const ERROR_MESSAGES = {
  UNAUTHENTICATED: "Please sign in to continue.",
  FORBIDDEN: "You are not allowed to do that.",
  NOT_FOUND: "We couldn't find that.",
  BAD_USER_INPUT: "Some of the input is not valid.",
  CONFLICT: "That already exists or conflicts with the current state.",
  MEDIA_NOT_READY: "This video isn't ready to play yet. Try again later.",
  SUBSCRIPTION_REQUIRED: "You need an active subscription to watch this.",
  STREAM_LIMIT_REACHED: "You're already watching on as many screens as your plan allows.",
  PAYMENT_DECLINED: "Your card was declined.",
  UNAVAILABLE: "The service is temporarily unavailable. Please try again.",
  INTERNAL: "Something went wrong on our side.",
  COMPLEXITY_LIMIT_EXCEEDED: "That request is too complex.",
  DEPTH_LIMIT_EXCEEDED: "That request is nested too deeply.",
  NETWORK: "Can't reach the server. Check your connection.",
};

// describeError turns an urql CombinedError (or any Error) into {code, message}.
export function describeError(error) {
  if (!error) return null;
  const gql = error.graphQLErrors && error.graphQLErrors[0];
  if (gql) {
    const code = (gql.extensions && gql.extensions.code) || "INTERNAL";
    const human = ERROR_MESSAGES[code] || ERROR_MESSAGES.INTERNAL;
    const detail = gql.message && gql.message !== human ? gql.message : "";
    return { code, message: detail ? `${human} (${detail})` : human };
  }
  if (error.networkError) return { code: "NETWORK", message: ERROR_MESSAGES.NETWORK };
  return { code: error.code || "INTERNAL", message: error.message || ERROR_MESSAGES.INTERNAL };
}

export function errorCode(error) {
  const d = describeError(error);
  return d && d.code;
}

export function ErrorBox({ error, children }) {
  const d = describeError(error);
  if (!d) return null;
  return (
    <div className="error" role="alert" data-testid="error" data-code={d.code}>
      {d.message}
      {children}
    </div>
  );
}

export function useSession() {
  return useSyncExternalStore(subscribe, getSession);
}

export function useDebounced(value, ms) {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function VideoCard({ video, progress }) {
  const poster = video.media && video.media.posterUrl;
  return (
    <Link
      to={`/videos/${video.id}`}
      className="card"
      data-testid="video-card"
      data-video-id={video.id}
    >
      {poster ? (
        <img src={poster} alt="" loading="lazy" />
      ) : (
        <span className="poster-placeholder" aria-hidden="true">
          {video.title.slice(0, 1)}
        </span>
      )}
      <span className="card-title">{video.title}</span>
      {video.releaseYear ? <span className="muted">{video.releaseYear}</span> : null}
      {progress != null ? (
        <progress max="100" value={Math.round(progress * 100)} aria-label="Watched" />
      ) : null}
    </Link>
  );
}

export function Loading() {
  return <p className="muted" aria-live="polite">Loading…</p>;
}

export function money(minor, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(
      Number(minor) / 100,
    );
  } catch {
    return `${(Number(minor) / 100).toFixed(2)} ${currency}`;
  }
}

export function date(s) {
  return s ? new Date(s).toLocaleDateString() : "";
}

export const VIDEO_CARD_FIELDS = "id title releaseYear media { posterUrl status }";

import { useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useClient, useQuery } from "urql";
import { ErrorBox, errorCode, useSession } from "../ui.jsx";

const PLAYBACK = `query Playback($videoId: ID!) {
  playback(videoId: $videoId) { manifestUrl expiresAt }
  video(id: $videoId) { id title }
}`;
const POSITIONS = `query Positions {
  continueWatching(first: 50) { video { id } positionSeconds durationSeconds finished }
  watchHistory(first: 50) { edges { node { video { id } positionSeconds durationSeconds finished } } }
}`;
const RECORD = `mutation Record($videoId: ID!, $positionSeconds: Float!) {
  recordProgress(videoId: $videoId, positionSeconds: $positionSeconds) { positionSeconds }
}`;

function resumePosition(data, id) {
  if (!data) return null;
  const entries = [
    ...(data.continueWatching || []),
    ...((data.watchHistory && data.watchHistory.edges.map((e) => e.node)) || []),
  ];
  const w = entries.find((e) => e.video && e.video.id === id);
  if (!w) return 0;
  if (w.finished) return 0;
  if (w.durationSeconds && w.positionSeconds > w.durationSeconds - 5) return 0;
  return w.positionSeconds;
}

function mediaErrorName(err) {
  if (!err) return "MEDIA_ERR";
  return (
    { 1: "MEDIA_ERR_ABORTED", 2: "MEDIA_ERR_NETWORK", 3: "MEDIA_ERR_DECODE", 4: "MEDIA_ERR_SRC_NOT_SUPPORTED" }[
      err.code
    ] || `MEDIA_ERR_${err.code}`
  );
}

export default function WatchPage() {
  const { id } = useParams();
  const session = useSession();
  const client = useClient();
  const videoRef = useRef(null);
  const resumeRef = useRef(null);
  const seekedRef = useRef(false);
  const [status, setStatus] = useState("loading");
  const [progressError, setProgressError] = useState(null);

  const [{ data, error }] = useQuery({
    query: PLAYBACK,
    variables: { videoId: id },
    requestPolicy: "network-only",
    pause: !session,
  });
  const [{ data: positions, fetching: posFetching }] = useQuery({
    query: POSITIONS,
    requestPolicy: "network-only",
    pause: !session,
  });
  const manifestUrl = data && data.playback ? data.playback.manifestUrl : null;

  // Resume where the viewer left off, once both the position and the media's
  // metadata are known.
  useEffect(() => {
    if (posFetching) return;
    resumeRef.current = resumePosition(positions, id);
    trySeek();
  }, [positions, posFetching, id]);

  function trySeek() {
    const v = videoRef.current;
    if (!v || seekedRef.current || resumeRef.current == null || v.readyState < 1) return;
    seekedRef.current = true;
    if (resumeRef.current > 0) v.currentTime = resumeRef.current;
  }

  // Attach the HLS stream.
  useEffect(() => {
    const v = videoRef.current;
    if (!manifestUrl || !v) return undefined;
    let hls = null;
    let cancelled = false;
    seekedRef.current = false;
    const autoplay = () => {
      v.play().catch(() => {
        v.muted = true;
        v.play().catch(() => setStatus("ready"));
      });
    };
    import("hls.js").then(({ default: Hls }) => {
      if (cancelled) return;
      if (Hls.isSupported()) {
        hls = new Hls();
        hls.on(Hls.Events.ERROR, (_evt, d) => {
          if (d.fatal) setStatus(`error: ${d.details || d.type}`);
        });
        hls.on(Hls.Events.MANIFEST_PARSED, autoplay);
        hls.loadSource(manifestUrl);
        hls.attachMedia(v);
      } else if (v.canPlayType("application/vnd.apple.mpegurl")) {
        v.src = manifestUrl;
        v.addEventListener("loadedmetadata", autoplay, { once: true });
      } else {
        setStatus("error: HLS_NOT_SUPPORTED");
      }
    });
    return () => {
      cancelled = true;
      if (hls) hls.destroy();
      v.removeAttribute("src");
    };
  }, [manifestUrl]);

  // Report progress once a second in, then every 5 s while playing, on
  // pause and on leaving the player.
  const sendRef = useRef(null);
  const firstSentRef = useRef(false);
  const lastPosRef = useRef(0);
  useEffect(() => {
    const v = videoRef.current;
    if (!manifestUrl || !v) return undefined;
    firstSentRef.current = false;
    lastPosRef.current = 0;
    const send = async () => {
      const position = v.currentTime || lastPosRef.current;
      if (!position) return;
      const res = await client
        .mutation(RECORD, { videoId: id, positionSeconds: position })
        .toPromise();
      if (res.error) {
        const code = errorCode(res.error);
        if (code === "STREAM_LIMIT_REACHED" || code === "SUBSCRIPTION_REQUIRED") v.pause();
        setProgressError(res.error);
      } else {
        setProgressError(null);
      }
    };
    sendRef.current = send;
    const timer = setInterval(() => {
      if (!v.paused && !v.ended) send();
    }, 5000);
    v.addEventListener("pause", send);
    return () => {
      clearInterval(timer);
      v.removeEventListener("pause", send);
      sendRef.current = null;
      send();
    };
  }, [manifestUrl, id, client]);

  if (!session) {
    return (
      <p>
        <Link to="/signin">Sign in</Link> to watch.
      </p>
    );
  }

  const code = errorCode(error);
  const setNonError = (s) => setStatus((cur) => (cur.startsWith("error") ? cur : s));
  return (
    <section className="watch">
      <h1>{data && data.video ? data.video.title : "Player"}</h1>
      {error ? (
        <ErrorBox error={error}>
          {code === "SUBSCRIPTION_REQUIRED" ? (
            <>
              {" "}
              <Link to="/plans">See plans</Link>
            </>
          ) : null}
          {code === "STREAM_LIMIT_REACHED" ? " Stop playback on another device and try again." : null}
        </ErrorBox>
      ) : null}
      <ErrorBox error={progressError}>
        {errorCode(progressError) === "SUBSCRIPTION_REQUIRED" ? (
          <>
            {" "}
            <Link to="/plans">See plans</Link>
          </>
        ) : null}
      </ErrorBox>
      <video
        ref={videoRef}
        controls
        playsInline
        data-testid="player"
        className="player"
        onLoadedMetadata={() => {
          setNonError("ready");
          trySeek();
        }}
        onPlaying={() => setNonError("playing")}
        onTimeUpdate={(e) => {
          if (e.currentTarget.currentTime) lastPosRef.current = e.currentTarget.currentTime;
          if (!firstSentRef.current && e.currentTarget.currentTime >= 1 && sendRef.current) {
            firstSentRef.current = true;
            sendRef.current();
          }
        }}
        onPause={() => setNonError("paused")}
        onWaiting={() => setNonError("buffering")}
        onEnded={() => setNonError("ended")}
        onError={(e) => {
          if (manifestUrl) setStatus(`error: ${mediaErrorName(e.currentTarget.error)}`);
        }}
      />
      <p className="muted" data-testid="player-status" aria-live="polite">
        {error ? "unavailable" : status}
      </p>
      <p>
        <Link to={`/videos/${id}`}>Back to details</Link>
      </p>
    </section>
  );
}

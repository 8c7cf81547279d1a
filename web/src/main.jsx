import { StrictMode, useEffect, useMemo } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Link, NavLink, Navigate, Route, Routes, useNavigate } from "react-router-dom";
import { Provider, useQuery } from "urql";
import { makeClient } from "./client.js";
import { signOut, updateUser } from "./session.js";
import { useSession } from "./ui.jsx";
import AuthPage from "./pages/Auth.jsx";
import HomePage from "./pages/Home.jsx";
import SearchPage from "./pages/Search.jsx";
import VideoPage from "./pages/Video.jsx";
import WatchPage from "./pages/Watch.jsx";
import PlansPage from "./pages/Plans.jsx";
import AdminPage from "./pages/Admin.jsx";
import "./styles.css";

function Me() {
  // Keeps the stored role current (an admin may have changed it).
  const [{ data }] = useQuery({ query: "query Me { me { id email displayName role } }" });
  useEffect(() => {
    if (data && data.me) updateUser(data.me);
  }, [data]);
  return null;
}

function Nav() {
  const session = useSession();
  const navigate = useNavigate();
  const user = session && session.user;
  return (
    <header className="topbar">
      <Link to="/" className="brand">dflix</Link>
      <nav aria-label="Main">
        <NavLink to="/" end data-testid="nav-home">Home</NavLink>
        <NavLink to="/search" data-testid="nav-search">Search</NavLink>
        <NavLink to="/plans" data-testid="nav-plans">Plans</NavLink>
        {user && user.role === "ADMIN" ? (
          <NavLink to="/admin" data-testid="nav-admin">Admin</NavLink>
        ) : null}
        {user ? (
          <>
            <span className="nav-user" data-testid="nav-user">{user.email}</span>
            <button
              type="button"
              className="link-button"
              data-testid="nav-signout"
              onClick={async () => {
                await signOut();
                navigate("/");
              }}
            >
              Sign out
            </button>
          </>
        ) : (
          <NavLink to="/signin" data-testid="nav-signin">Sign in</NavLink>
        )}
      </nav>
    </header>
  );
}

let previousClient = null;

function App() {
  const session = useSession();
  const userId = session ? session.user.id : "";
  // A new client per identity: no cached data leaks between users, and the
  // websocket reconnects with the new token.
  const client = useMemo(() => {
    if (previousClient) previousClient.dispose();
    previousClient = makeClient();
    return previousClient;
  }, [userId]);
  return (
    <Provider value={client}>
      <BrowserRouter>
        {userId ? <Me /> : null}
        <Nav />
        <main>
          <Routes>
            <Route path="/" element={<HomePage />} />
            <Route path="/signin" element={<AuthPage />} />
            <Route path="/search" element={<SearchPage />} />
            <Route path="/videos/:id" element={<VideoPage />} />
            <Route path="/watch/:id" element={<WatchPage />} />
            <Route path="/plans" element={<PlansPage />} />
            <Route path="/admin" element={<Navigate to="/admin/videos" replace />} />
            <Route path="/admin/:tab" element={<AdminPage />} />
            <Route path="*" element={<p>Page not found. <Link to="/">Go home</Link></p>} />
          </Routes>
        </main>
      </BrowserRouter>
    </Provider>
  );
}

createRoot(document.getElementById("root")).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

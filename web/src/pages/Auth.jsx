import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { useMutation } from "urql";
import { AUTH_FIELDS, setSession } from "../session.js";
import { ErrorBox } from "../ui.jsx";

const LOGIN = `mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { ${AUTH_FIELDS} }
}`;
const REGISTER = `mutation Register($input: RegisterInput!) {
  register(input: $input) { ${AUTH_FIELDS} }
}`;

export default function AuthPage() {
  const [mode, setMode] = useState("signin");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const [loginState, login] = useMutation(LOGIN);
  const [registerState, register] = useMutation(REGISTER);
  const [error, setError] = useState(null);
  const navigate = useNavigate();
  const signup = mode === "signup";
  const busy = loginState.fetching || registerState.fetching;

  async function onSubmit(e) {
    e.preventDefault();
    setError(null);
    const res = signup
      ? await register({ input: { email, password, displayName: name } })
      : await login({ email, password });
    if (res.error) {
      setError(res.error);
      return;
    }
    setSession(signup ? res.data.register : res.data.login);
    navigate("/");
  }

  return (
    <section className="narrow">
      <h1>{signup ? "Create your account" : "Sign in"}</h1>
      <form onSubmit={onSubmit} className="form">
        <label>
          Email
          <input
            type="email"
            required
            autoComplete="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            data-testid="auth-email"
          />
        </label>
        <label>
          Password
          <input
            type="password"
            required
            autoComplete={signup ? "new-password" : "current-password"}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            data-testid="auth-password"
          />
        </label>
        {signup ? (
          <label>
            Display name
            <input
              required
              autoComplete="nickname"
              value={name}
              onChange={(e) => setName(e.target.value)}
              data-testid="auth-name"
            />
          </label>
        ) : null}
        <ErrorBox error={error} />
        <button type="submit" className="primary" disabled={busy} data-testid="auth-submit">
          {signup ? "Sign up" : "Sign in"}
        </button>
      </form>
      <p>
        {signup ? "Already have an account? " : "New to dflix? "}
        <a
          href={signup ? "#signin" : "#signup"}
          data-testid="auth-toggle"
          onClick={(e) => {
            e.preventDefault();
            setError(null);
            setMode(signup ? "signin" : "signup");
          }}
        >
          {signup ? "Sign in" : "Create an account"}
        </a>
      </p>
    </section>
  );
}

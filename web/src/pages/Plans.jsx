import { useState } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { ErrorBox, Loading, date, money, useSession } from "../ui.jsx";

const PLAN_FIELDS = "id name description priceMinor currency period trialDays maxResolution maxStreams active";
const PLANS = `query Plans { plans { ${PLAN_FIELDS} } }`;
const MINE = `query MySubscription {
  mySubscription {
    status currentPeriodEnd trialEnd nextRetryAt
    plan { id name }
    nextPlan { id name }
    paymentMethod { brand last4 }
  }
  invoices(first: 20) {
    edges { node { id amountMinor currency status periodStart periodEnd declineReason brand last4 createdAt plan { name } } }
  }
}`;
const MEMBERSHIP = "status currentPeriodEnd trialEnd plan { id name } nextPlan { id name } paymentMethod { brand last4 }";
const SUBSCRIBE = `mutation Subscribe($planId: ID!, $card: CardInput!) {
  subscribe(planId: $planId, paymentMethod: $card) { ${MEMBERSHIP} }
}`;
const CHANGE = `mutation ChangePlan($planId: ID!) { changePlan(planId: $planId) { ${MEMBERSHIP} } }`;
const CANCEL = `mutation Cancel { cancelSubscription { ${MEMBERSHIP} } }`;
const RESUME = `mutation Resume { resumeSubscription { ${MEMBERSHIP} } }`;

function CardForm({ plan, onDone }) {
  const [number, setNumber] = useState("");
  const [expMonth, setExpMonth] = useState("");
  const [expYear, setExpYear] = useState("");
  const [cvc, setCvc] = useState("");
  const [error, setError] = useState(null);
  const [state, subscribe] = useMutation(SUBSCRIBE);
  async function submit(e) {
    e.preventDefault();
    setError(null);
    const res = await subscribe({
      planId: plan.id,
      card: {
        number: number.replace(/\s+/g, ""),
        expMonth: parseInt(expMonth, 10),
        expYear: parseInt(expYear, 10),
        cvc,
      },
    });
    if (res.error) setError(res.error);
    else onDone();
  }
  return (
    <form className="form card-form" onSubmit={submit} aria-label={`Subscribe to ${plan.name}`}>
      <h3>Subscribe to {plan.name}</h3>
      <label>
        Card number
        <input inputMode="numeric" autoComplete="cc-number" required value={number}
          onChange={(e) => setNumber(e.target.value)} data-testid="card-number" />
      </label>
      <div className="form-row">
        <label>
          Exp. month
          <input type="number" min="1" max="12" autoComplete="cc-exp-month" required value={expMonth}
            onChange={(e) => setExpMonth(e.target.value)} data-testid="card-exp-month" />
        </label>
        <label>
          Exp. year
          <input type="number" min="2000" max="2100" autoComplete="cc-exp-year" required value={expYear}
            onChange={(e) => setExpYear(e.target.value)} data-testid="card-exp-year" />
        </label>
        <label>
          CVC
          <input inputMode="numeric" autoComplete="cc-csc" required value={cvc}
            onChange={(e) => setCvc(e.target.value)} data-testid="card-cvc" />
        </label>
      </div>
      <ErrorBox error={error} />
      <button type="submit" className="primary" disabled={state.fetching} data-testid="subscribe-submit">
        {plan.trialDays ? `Start ${plan.trialDays}-day trial` : `Pay ${money(plan.priceMinor, plan.currency)}`}
      </button>
    </form>
  );
}

function MySubscription({ mine, refetch }) {
  const [, cancel] = useMutation(CANCEL);
  const [, resume] = useMutation(RESUME);
  const [error, setError] = useState(null);
  const run = async (fn) => {
    setError(null);
    const res = await fn();
    if (res.error) setError(res.error);
    refetch();
  };
  if (!mine.mySubscription) return <p className="muted" data-testid="my-subscription-status">No subscription yet.</p>;
  const s = mine.mySubscription;
  return (
    <div className="panel">
      <p>
        Plan <strong>{s.plan.name}</strong> — status{" "}
        <strong data-testid="my-subscription-status">{s.status}</strong>
      </p>
      {s.nextPlan ? <p>Changes to {s.nextPlan.name} from the next period.</p> : null}
      {s.trialEnd && s.status === "TRIALING" ? <p>Trial ends {date(s.trialEnd)}.</p> : null}
      <p>
        {s.status === "CANCELED" ? "Plays until" : "Current period ends"} {date(s.currentPeriodEnd)}.
        {" "}Card: {s.paymentMethod.brand} •••• {s.paymentMethod.last4}
      </p>
      {s.status === "CANCELED" ? (
        <button type="button" onClick={() => run(() => resume({}))} data-testid="subscription-resume">Resume</button>
      ) : s.status !== "EXPIRED" ? (
        <button type="button" onClick={() => run(() => cancel({}))} data-testid="subscription-cancel">Cancel subscription</button>
      ) : null}
      <ErrorBox error={error} />
    </div>
  );
}

export default function PlansPage() {
  const session = useSession();
  const [{ data, error, fetching }] = useQuery({ query: PLANS });
  const [mineRes, refetchMine] = useQuery({ query: MINE, pause: !session, requestPolicy: "network-only" });
  const [chosen, setChosen] = useState(null);
  const [changeError, setChangeError] = useState(null);
  const [, changePlan] = useMutation(CHANGE);
  const refetch = () => refetchMine({ requestPolicy: "network-only" });
  const mine = mineRes.data;
  const sub = mine && mine.mySubscription;
  const hasLiveSub = sub && sub.status !== "EXPIRED";
  const plans = data && data.plans ? data.plans.filter((p) => p.active) : [];
  const chosenPlan = plans.find((p) => p.id === chosen);

  async function change(plan) {
    setChangeError(null);
    const res = await changePlan({ planId: plan.id });
    if (res.error) setChangeError(res.error);
    setChosen(null);
    refetch();
  }

  return (
    <section>
      <h1>Plans</h1>
      <ErrorBox error={error} />
      {fetching && !data ? <Loading /> : null}
      <div className="plans">
        {plans.map((p) => (
          <div key={p.id} className={chosen === p.id ? "plan-card chosen" : "plan-card"} data-testid="plan-card" data-plan-name={p.name}>
            <h2>{p.name}</h2>
            <p className="price">
              {money(p.priceMinor, p.currency)} / {p.period === "YEARLY" ? "year" : "month"}
            </p>
            <p>{p.description}</p>
            <ul className="muted">
              <li>Up to {p.maxResolution}p</li>
              <li>{p.maxStreams} screen{p.maxStreams === 1 ? "" : "s"} at once</li>
              {p.trialDays ? <li>{p.trialDays}-day free trial</li> : null}
            </ul>
            {sub && hasLiveSub && sub.plan.id === p.id ? (
              <p><strong>Your plan</strong></p>
            ) : session ? (
              <button type="button" className="primary" data-testid="plan-choose"
                onClick={() => (hasLiveSub ? change(p) : setChosen(p.id))}>
                {hasLiveSub ? "Switch to this plan" : "Choose"}
              </button>
            ) : (
              <Link to="/signin" className="button">Sign in to choose</Link>
            )}
          </div>
        ))}
      </div>
      <ErrorBox error={changeError} />
      {chosenPlan && !hasLiveSub ? (
        <CardForm plan={chosenPlan} onDone={() => { setChosen(null); refetch(); }} />
      ) : null}
      {session ? (
        <>
          <h2>My subscription</h2>
          <ErrorBox error={mineRes.error} />
          {mine ? <MySubscription mine={mine} refetch={refetch} /> : <Loading />}
          <h2>Invoices</h2>
          {mine && mine.invoices && mine.invoices.edges.length ? (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr><th>Date</th><th>Plan</th><th>Amount</th><th>Status</th><th>Card</th></tr>
                </thead>
                <tbody>
                  {mine.invoices.edges.map(({ node: i }) => (
                    <tr key={i.id} data-testid="invoice-row">
                      <td>{date(i.createdAt)}</td>
                      <td>{i.plan ? i.plan.name : ""}</td>
                      <td>{money(i.amountMinor, i.currency)}</td>
                      <td>{i.status}{i.declineReason ? ` (${i.declineReason})` : ""}</td>
                      <td>{i.brand} •••• {i.last4}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p className="muted">No invoices.</p>
          )}
        </>
      ) : null}
    </section>
  );
}

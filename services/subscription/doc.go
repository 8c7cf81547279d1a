// Package subscription sells plans: admin-managed plans, one subscription
// per viewer with a trial, charges through a payment gateway (Payments)
// with idempotency keys, a renewal sweep that a cron binding or a ticker
// runs, and the entitlements that playback checks (plan resolution,
// concurrent streams), plus each viewer's watch progress for continue
// watching. Every subscription transition is an event on Topic.
//
// # Lifecycle
//
// Subscribe starts TRIALING (a plan with trial days; no charge) or charges
// the first period at once and starts ACTIVE; a declined first charge
// subscribes nothing. The sweep (Renew) charges a trial at its end and an
// ACTIVE subscription at its period's end for the next period [end,
// end+period), on the plan ChangePlan chose if any. A declined renewal
// makes it PAST_DUE (not entitled) and it is charged again after each delay
// of Config.RetrySchedule, counted from when the charge fell due; a decline
// after the last retry expires it. Cancel makes it CANCELED: playable until
// the period's end, then EXPIRED without a charge, unless Resume comes
// first. EXPIRED is final; Subscribe starts over. Periods are calendar
// months and years; Config.DayLength shortens every billing day (trials,
// retries, and periods of 30 and 365 days) to watch renewals in a test.
//
// # Exactly-once charges
//
// Every renewal charge carries the idempotency key
// "renew:<userId>:<periodStartUnix>:<attempt>": the viewer, the start of
// the period paid for (Unix seconds) and the attempt for that period (1,
// then 2, 3, ... for the retries). Any sweep that finds the same renewal
// due derives the same key, so racing sweeps (goroutines, replicas) and a
// sweep run again after a crash between the charge and its write all send
// one key, and the idempotent gateway charges it once.
//
// Before a charge is sent it is recorded as pending in the subscription's
// record (its key and the plan as charged, so a resend carries the same
// body), and a pending charge is sent again and settled before anything
// else happens to that subscription: a charge that may have gone through is
// never forgotten, not even when the viewer cancels meanwhile (the
// subscription then stays CANCELED until the end of the period it paid
// for). The outcome is written in one transaction conditional on the
// subscription's ETag, with the invoice (its id is the key, inserted
// IfAbsent) and the event (outbox); the period or the attempt moves on
// with it, so a sweep that loses the race rereads, finds the key no longer
// due and writes nothing. A charge whose outcome is unknown
// (KindUnavailable) leaves the subscription due, and the next sweep sends
// the same key.
//
// A first charge carries "subscribe:<userId>:<attempt uuid>"; a claim
// document keeps two Subscribe calls of one viewer from running at once.
// The claim writes the charge down (plan, period start, card token) before
// it is sent, and its viewer joins the "charging" key set in the same
// transaction; a Subscribe that fails after sending it (no answer, or the
// subscription not stored) leaves the claim lapsed, and a crashed one
// leaves it to lapse after its lease. The sweep reads that key set and
// takes each lapsed claim over as a Subscribe would (a write conditional
// on the claim's ETag, so of a sweep and a Subscribe racing for it exactly
// one goes on), sends the same charge under the same key, and finishes
// what Subscribe would have: approved, it stores the subscription with its
// PAID invoice and event (Recovered), or, when the viewer has a
// subscription meanwhile, overwrites nothing and logs the charge at error
// level for a refund unless it paid for that subscription; declined, it
// records the failed invoice; either way the claim is released. An unknown
// outcome keeps the claim for the next sweep. A viewer's next Subscribe to
// that plan may get there first, and sends the same charge under the same
// key too, so a retry never charges the card twice.
//
// # State
//
// All keys live in the service's own platform.State:
//
//	plan/<id>                 a plan
//	plan-name/<base64url>     {id}: one plan per lower-cased name (IfAbsent)
//	plans/shard/<nn>          platform.KeySet of plan ids
//	sub/<userId>              the viewer's subscription (card token, brand and
//	                          last four digits only; never the card number)
//	                          and its pending renewal charge, if any
//	subs/shard/<nn>           platform.KeySet of user ids with a subscription,
//	                          for the sweep and ListSubscriptions
//	subscribing/<userId>      a Subscribe in progress (lease of two minutes)
//	                          and the first charge it sent
//	charging/shard/<nn>       platform.KeySet of user ids whose claim holds a
//	                          first charge, for the sweep
//	invoice/<key>             one charge attempt; the id is its idempotency key
//	invoices/<userId>         the viewer's invoice ids, newest first (the
//	                          latest 1000)
//	streams/<userId>          {videoId: last seen} of the viewer's streams
//	history/<userId>          the viewer's progress per video, most recent
//	                          first (Config.HistoryLimit entries)
//	outbox/event/<id>         an event written but not yet published
//	outbox/shard/<nn>         platform.KeySet of outbox event ids
//
// # Known limitations
//
// An approved first charge whose subscription is not stored is recovered
// by the sweep only once its claim has lapsed (up to the two minutes'
// lease after a crash); if the viewer picks another plan without a trial
// in the meantime, or the sweep finds the viewer subscribed otherwise, or
// an approved renewal finds its subscription replaced, it is logged at
// error level for a refund: the Payments port has no refunds.
// A renewal the gateway keeps refusing with an error (not a decline) stays
// due and is logged at every sweep. The sweep and ListSubscriptions read
// every subscription, which suits thousands of viewers, not millions.
package subscription

// Package sandbox is dflix's stand-in for an external payment gateway: a
// small JSON API over HTTP, built into dflix so that subscriptions can be
// tried without a real payment provider. The subscription service reaches
// it the way it would reach a real gateway, through an output binding
// (Dapr's bindings.http, or embedded.HTTPBinding in one process) and the
// client in package gateway.
//
// # API
//
//	POST /tokens   {"number","expMonth","expYear","cvc"}
//	               201 {"token","brand","last4"}
//	               402 {"error":"invalid_card","message"}   bad number (Luhn), expired, bad CVC
//	POST /charges  header Idempotency-Key (required)
//	               {"token","amountMinor","currency","description"}
//	               200 {"chargeId","approved","declineReason"}
//	               400 invalid_request (no key, bad body), 404 unknown_token,
//	               409 idempotency_conflict (the key was used with another body)
//	GET  /charges?token=tok_…
//	               200 {"charges":[{"chargeId","idempotencyKey","token","amountMinor",…}]}
//
// Errors are {"error": code, "message": text}; a store that cannot be
// reached is 503 unavailable. A decline is a 200 with approved false and a
// declineReason.
//
// A charge is idempotent by its key: the same key and body return the
// stored result (the same chargeId, header Idempotent-Replayed: true)
// without charging again, also when requests with one key race; the
// same key with another body is 409.
//
// # Test cards
//
// Any expiry in the future and a CVC of 3 digits (4 for American Express)
// are accepted.
//
//	Number              Brand       Behaviour
//	4242424242424242    visa        every charge approved
//	5555555555554444    mastercard  every charge approved
//	4000000000000002    visa        every charge declined: card_declined
//	4000000000009995    visa        every charge declined: insufficient_funds
//	4000000000000341    visa        the token's first charge approved, every
//	                                later one declined: card_declined (a
//	                                subscription that fails on renewal)
//	any other number    by prefix   every charge approved
//	passing Luhn
//
// The brand comes from the prefix: 4 visa; 51–55 and 2221–2720
// mastercard; 34 and 37 amex; anything else "unknown".
//
// # What is kept
//
// State keys: "sandbox/token/<token>" (brand, last4 and the card's test
// behaviour), "sandbox/charge/<idempotency key>" (the result of that
// charge) and "sandbox/ledger/<token>" (the token's charges). The card
// number and CVC are never stored or logged; tokens are "tok_" and 24
// random hex digits.
package sandbox

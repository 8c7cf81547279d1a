// Package gateway is the payment gateway as the subscription service sees
// it: Client implements subscription.Payments over a platform.Binding (a
// Dapr bindings.http output binding, or embedded.HTTPBinding around the
// sandbox in one process) by calling the gateway's JSON API, the one that
// package sandbox serves and documents:
//
//	Tokenize  post /tokens   {"number","expMonth","expYear","cvc"}  → 201 {"token","brand","last4"}
//	Charge    post /charges  header Idempotency-Key
//	                         {"token","amountMinor","currency","description"} → 200 {"chargeId","approved","declineReason"}
//
// The binding must answer 4xx and 5xx as responses with their statusCode
// (bindings.http with errorIfNot2XX "false"), so the client can tell a
// refused card from a gateway that is down.
package gateway

import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "@urql/core";
import { createClient as createWSClient } from "graphql-ws";
import { ensureFresh, getSession } from "./session.js";

function wsUrl() {
  const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${window.location.host}/graphql`;
}

export function makeClient() {
  const ws = createWSClient({
    url: wsUrl(),
    lazy: true,
    connectionParams: async () => {
      const s = await ensureFresh();
      return s ? { Authorization: `Bearer ${s.accessToken}` } : {};
    },
  });
  const client = new Client({
    url: "/graphql",
    preferGetMethod: false,
    requestPolicy: "cache-and-network",
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
    fetch: async (url, opts = {}) => {
      const s = await ensureFresh();
      const headers = new Headers(opts.headers || {});
      if (s) headers.set("Authorization", `Bearer ${s.accessToken}`);
      return fetch(url, { ...opts, headers });
    },
  });
  client.dispose = () => ws.dispose();
  return client;
}

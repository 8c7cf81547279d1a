// Starts GraphiQL against the endpoint named by the page (dflix bff/graphiql).
(function () {
  var root = document.getElementById('graphiql');
  var endpoint = root.getAttribute('data-endpoint');
  var url = new URL(endpoint, window.location.href);
  var ws = new URL(endpoint, window.location.href);
  ws.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  var fetcher = GraphiQL.createFetcher({ url: url.toString(), subscriptionUrl: ws.toString() });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      shouldPersistHeaders: false
    })
  );
})();

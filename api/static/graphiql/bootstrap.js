// GraphiQL's bootstrap, served by the API as a file (the page's Content-Security-Policy allows no inline
// script). It starts GraphiQL from the bundle (graphiql.min.js, built by graphiql/build.sh) so that:
// - nothing is persisted: GraphiQL's storage (tabs, queries, headers, theme) is an object in this tab's
//   memory, never localStorage, and headers are not persisted, so a pasted token dies with the tab;
// - the sign-in button (to come, issue 12) has a hook: window.sanctuarySignIn.setAccessToken(token) hands
//   GraphiQL an access token kept in memory only (null signs out); GraphiQL then re-reads the schema, so the
//   docs explorer shows the caller's own role schema at once.
(function () {
  "use strict";
  var bundle = window.SanctuaryGraphiQLBundle;
  var element = document.getElementById("graphiql");
  var endpoint = element.getAttribute("data-endpoint") || window.location.pathname;
  var accessToken = null; // the signed-in person's access token: this variable is its only home

  function memoryStorage() {
    var items = new Map();
    return {
      getItem: function (key) {
        return items.has(key) ? items.get(key) : null;
      },
      setItem: function (key, value) {
        items.set(key, String(value));
      },
      removeItem: function (key) {
        items.delete(key);
      },
      clear: function () {
        items.clear();
      },
      get length() {
        return items.size;
      },
    };
  }

  var storage = memoryStorage();
  var root = bundle.createRoot(element);

  function fetcher() {
    // Headers typed in GraphiQL's headers pane take precedence over the signed-in token.
    var headers = accessToken ? { Authorization: "Bearer " + accessToken } : {};
    return bundle.createGraphiQLFetcher({ url: endpoint, headers: headers });
  }

  function render() {
    root.render(
      bundle.React.createElement(bundle.GraphiQL, {
        fetcher: fetcher(),
        storage: storage,
        shouldPersistHeaders: false,
        isHeadersEditorEnabled: true,
      }),
    );
  }

  window.sanctuarySignIn = Object.freeze({
    /** Use this access token (memory only) for every request, or none with null; re-reads the schema. */
    setAccessToken: function (token) {
      accessToken = token || null;
      render();
    },
    /** Whether an access token is held. */
    signedIn: function () {
      return accessToken !== null;
    },
  });
  render();
})();

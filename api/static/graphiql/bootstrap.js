// GraphiQL's bootstrap, served by the API as a file (the page's Content-Security-Policy allows no inline
// script). It starts GraphiQL from the bundle (graphiql.min.js, built by graphiql/build.sh) so that:
// - nothing is persisted: GraphiQL's storage (tabs, queries, headers, theme) is an object in this tab's
//   memory, never localStorage, and headers are not persisted, so a pasted token dies with the tab;
// - the Sign in / Sign out buttons (signin.js: OAuth 2.1 + PKCE against the API's own server) give GraphiQL
//   an access token held in memory only, sent on every request unless the headers pane names its own
//   Authorization; after sign-in or sign-out GraphiQL gets a new fetcher, which makes it read the schema
//   again, so the docs explorer shows the caller's own role schema at once; sign-out also starts GraphiQL
//   afresh (empty storage), so nothing the person queried stays on the page;
// - window.sanctuarySignIn.setAccessToken(token) hands GraphiQL a token by hand (memory only; null forgets it);
//   window.sanctuarySignIn.refreshNow() refreshes the signed-in tokens at once (as done before they expire).
(function () {
  "use strict";
  var bundle = window.SanctuaryGraphiQLBundle;
  var element = document.getElementById("graphiql");
  var endpoint = element.getAttribute("data-endpoint") || window.location.pathname;
  var status = document.getElementById("signin-status");
  var signInButton = document.getElementById("signin-button");
  var signOutButton = document.getElementById("signout-button");
  var handedToken = null; // a token handed over through the hook: memory only
  var storage = memoryStorage();
  var root = bundle.createRoot(element);
  var client = window.SanctuaryOAuth.create({
    redirectUri: window.location.origin + window.location.pathname,
    onChange: changed,
  });

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

  async function currentToken() {
    return (await client.accessToken()) || handedToken;
  }

  function namesAuthorization(headers) {
    return Object.keys(headers || {}).some(function (name) {
      return name.toLowerCase() === "authorization";
    });
  }

  /** fetch for GraphiQL: adds the signed-in token (fresh) unless the headers pane sent an Authorization. */
  async function authorizedFetch(url, init) {
    var options = Object.assign({}, init, { credentials: "omit" });
    var token = await currentToken();
    if (token && !namesAuthorization(options.headers)) {
      options.headers = Object.assign({}, options.headers, { Authorization: "Bearer " + token });
    }
    return window.fetch(url, options);
  }

  var generation = 0; // GraphiQL's React key: a new one starts it afresh

  function render(afresh) {
    // A new fetcher on every change of identity: GraphiQL then introspects again (new role schema).
    // Afresh (sign-out): a new, empty storage and a new mount, so the last person's queries, variables,
    // headers, results and history are gone from the page.
    if (afresh) {
      storage = memoryStorage();
      generation += 1;
    }
    root.render(
      bundle.React.createElement(bundle.GraphiQL, {
        key: String(generation),
        fetcher: bundle.createGraphiQLFetcher({ url: endpoint, fetch: authorizedFetch }),
        storage: storage,
        shouldPersistHeaders: false,
        isHeadersEditorEnabled: true,
      }),
    );
  }

  var bar = status.parentElement;
  var keepFocus = false; // a button of the bar was used: the focus moves to the one that replaces it

  function show(text, signedIn) {
    status.textContent = text;
    signInButton.hidden = signedIn;
    signOutButton.hidden = !signedIn;
    signInButton.disabled = false;
    signOutButton.disabled = false;
    bar.removeAttribute("aria-busy");
    document.body.setAttribute("data-signed-in", signedIn ? "true" : "false");
    if (keepFocus) {
      keepFocus = false;
      (signedIn ? signOutButton : signInButton).focus();
    }
  }

  function busy(text) {
    status.textContent = text;
    signInButton.disabled = true;
    signOutButton.disabled = true;
    bar.setAttribute("aria-busy", "true");
  }

  async function whoAmI() {
    try {
      var response = await authorizedFetch(endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ query: "query SignedInAs { me { alias roles } }" }),
      });
      var me = (await response.json()).data.me;
      return me ? me.alias + " (" + me.roles.join(", ").toLowerCase().replace(/_/g, " ") + ")" : null;
    } catch (failure) {
      return null;
    }
  }

  var showsSignedIn = false; // whom GraphiQL was last rendered for

  /** The client's news: signed in (again), or out; `unsettled` while signing out is still under way. */
  async function changed(signedIn, notice, unsettled) {
    if (!signedIn) {
      if (showsSignedIn) {
        render(true); // at once: the public schema, and nothing of the last person's on the page
        showsSignedIn = false;
      }
      if (unsettled) {
        busy("Signing out…"); // no Sign in until the browser's session has ended too
      } else {
        show((notice ? notice + " " : "") + "Not signed in: GraphiQL shows the public schema.", false);
      }
      return;
    }
    render(false);
    showsSignedIn = true;
    var who = await whoAmI();
    if (client.signedIn()) {
      show("Signed in as " + (who || "an unnamed member") + ": GraphiQL shows your role's schema.", true);
    }
  }

  signInButton.addEventListener("click", function () {
    keepFocus = true;
    busy("Signing in…");
    client.signIn().catch(function (failure) {
      show("Sign-in failed: " + failure.message + " Not signed in: GraphiQL shows the public schema.", false);
    });
  });
  signOutButton.addEventListener("click", function () {
    keepFocus = true;
    busy("Signing out…");
    client.signOut();
  });

  window.sanctuarySignIn = Object.freeze({
    /** Use this access token (memory only) when not signed in, or none with null; re-reads the schema. */
    setAccessToken: function (token) {
      handedToken = token || null;
      render();
    },
    /** Refresh the signed-in tokens now, as is done before they expire (a promise). */
    refreshNow: function () {
      return client.refresh();
    },
    /** Whether an access token is held (signed in, or handed over). */
    signedIn: function () {
      return client.signedIn() || handedToken !== null;
    },
  });

  render();
  if (/[?&](code|state|error)=/.test(window.location.search)) {
    busy("Signing in…"); // back from the sign-in page: until the exchange settles (changed() shows how)
  } else {
    show("Not signed in: GraphiQL shows the public schema.", false);
  }
  client.completeRedirect();
})();

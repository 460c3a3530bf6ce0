// GraphiQL's sign-in, served by the API as a file (the page's Content-Security-Policy allows no inline script).
// OAuth 2.1 authorization code with PKCE (S256) against the API's own authorization server, as the
// first-party public client `graphiql`, whose redirect URI is this page (<SANCTUARY_PUBLIC_URL>/graphql):
// - the code verifier comes from crypto.getRandomValues, its S256 challenge from crypto.subtle; `state` is
//   checked; verifier and state sit in sessionStorage only while the browser visits the sign-in page, and
//   are removed as soon as this page loads again (its URL is then cleaned with history.replaceState);
// - the access and refresh tokens live in this closure only: never localStorage, sessionStorage or cookies;
// - the access token is refreshed before it expires (the refresh token rotates on every use, so only one
//   refresh is ever in flight); when refreshing fails, authorization is asked again in the background, which
//   answers at once while the browser's sign-in session lives; otherwise the page shows it is signed out;
// - sign-out revokes the refresh and access tokens, forgets them and ends the browser's sign-in session.
// Every endpoint comes from /.well-known/oauth-authorization-server and must be on this page's origin.
(function () {
  "use strict";
  var CLIENT_ID = "graphiql";
  var SCOPE = "read write";
  var PENDING = "sanctuary.graphiql.pkce"; // sessionStorage key, for one round trip to the sign-in page
  var METADATA = "/.well-known/oauth-authorization-server";

  function base64url(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) {
      text += String.fromCharCode(bytes[i]);
    }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function randomString(size) {
    var bytes = new Uint8Array(size);
    crypto.getRandomValues(bytes);
    return base64url(bytes);
  }

  async function newRequest() {
    if (!window.crypto || !crypto.subtle) {
      throw new Error("Signing in needs a secure page (https, or http://localhost).");
    }
    var verifier = randomString(48); // 64 characters (RFC 7636: 43 to 128)
    var digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    return { verifier: verifier, challenge: base64url(new Uint8Array(digest)), state: randomString(24) };
  }

  function sameOrigin(url) {
    var parsed = new URL(url, window.location.origin);
    if (parsed.origin !== window.location.origin) {
      throw new Error("The authorization server names an endpoint on another origin.");
    }
    return parsed.href;
  }

  function form(values) {
    var body = new URLSearchParams();
    Object.keys(values).forEach(function (name) {
      body.set(name, values[name]);
    });
    return body;
  }

  /** The sign-in client; `onChange(signedIn, notice, unsettled)` is called on every change of state. */
  function create(options) {
    var redirectUri = options.redirectUri;
    var onChange = options.onChange;
    var tokens = null; // { access, refresh, expiresAt }: their only home
    var refreshing = null; // the one refresh in flight
    var timer = null;
    var metadata = null;

    function endpoints() {
      if (metadata === null) {
        metadata = fetch(METADATA, { credentials: "omit", cache: "no-store" })
          .then(function (response) {
            if (!response.ok) {
              throw new Error("The authorization server's metadata is unavailable.");
            }
            return response.json();
          })
          .then(function (document) {
            return {
              authorize: sameOrigin(document.authorization_endpoint),
              token: sameOrigin(document.token_endpoint),
              revoke: document.revocation_endpoint ? sameOrigin(document.revocation_endpoint) : null,
            };
          });
        metadata.catch(function () {
          metadata = null; // ask again next time
        });
      }
      return metadata;
    }

    function authorizeUrl(authorize, request, prompt) {
      var url = new URL(authorize);
      if (prompt) {
        url.searchParams.set("prompt", prompt);
      }
      var params = {
        response_type: "code",
        client_id: CLIENT_ID,
        redirect_uri: redirectUri,
        scope: SCOPE,
        state: request.state,
        code_challenge: request.challenge,
        code_challenge_method: "S256",
      };
      Object.keys(params).forEach(function (name) {
        url.searchParams.set(name, params[name]);
      });
      return url.href;
    }

    function forget() {
      tokens = null;
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
    }

    function keep(answer) {
      if (!answer || typeof answer.access_token !== "string" || typeof answer.refresh_token !== "string") {
        throw new Error("The token endpoint's answer holds no tokens.");
      }
      var lifetime = Math.max(Number(answer.expires_in) || 300, 10); // seconds
      forget();
      tokens = { access: answer.access_token, refresh: answer.refresh_token, expiresAt: Date.now() + lifetime * 1000 };
      var early = Math.min(60, lifetime / 5); // refresh a little before expiry
      timer = setTimeout(function () {
        refresh().catch(function () {});
      }, (lifetime - early) * 1000);
    }

    async function tokenRequest(values) {
      var token = (await endpoints()).token;
      var response = await fetch(token, {
        method: "POST",
        credentials: "omit",
        cache: "no-store",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        body: form(values),
      });
      if (!response.ok) {
        throw new Error("The token endpoint refused (" + response.status + ").");
      }
      return response.json();
    }

    async function exchange(code, verifier) {
      keep(
        await tokenRequest({
          grant_type: "authorization_code",
          code: code,
          redirect_uri: redirectUri,
          client_id: CLIENT_ID,
          code_verifier: verifier,
        }),
      );
    }

    /** Ask for a code without leaving the page (prompt=none): answered at once while the browser's sign-in
     * session lives (fetch follows the redirect to this page; its final URL carries the code, or
     * error=login_required); false otherwise. */
    async function silently() {
      var request = await newRequest();
      var response = await fetch(authorizeUrl((await endpoints()).authorize, request, "none"), {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "text/html" },
      });
      var landed = new URL(response.url);
      var expected = new URL(redirectUri);
      if (landed.origin + landed.pathname !== expected.origin + expected.pathname) {
        return false; // elsewhere (a sign-in or error page): not answered silently
      }
      var code = landed.searchParams.get("code");
      if (!code || landed.searchParams.get("state") !== request.state) {
        return false;
      }
      await exchange(code, request.verifier);
      return true;
    }

    /** Sign in: at once when the browser is signed in, otherwise through the sign-in page and back. */
    async function signIn() {
      if (await silently().catch(function () { return false; })) {
        onChange(true, null);
        return;
      }
      var request = await newRequest();
      var target = authorizeUrl((await endpoints()).authorize, request);
      sessionStorage.setItem(PENDING, JSON.stringify({ state: request.state, verifier: request.verifier }));
      window.location.assign(target);
    }

    /** On load: finish a sign-in this page was redirected back from (true if one was attempted). */
    async function completeRedirect() {
      var pending = sessionStorage.getItem(PENDING);
      sessionStorage.removeItem(PENDING); // the verifier's round trip ends here, whatever happened
      var params = new URLSearchParams(window.location.search);
      var code = params.get("code");
      var state = params.get("state");
      var error = params.get("error");
      if (code === null && state === null && error === null) {
        return false;
      }
      window.history.replaceState(null, "", window.location.pathname + window.location.hash);
      var expected = null;
      try {
        expected = JSON.parse(pending || "null");
      } catch (failure) {
        expected = null; // not ours: the answer is refused below
      }
      if (code === null || !expected || typeof expected.verifier !== "string" || state !== expected.state) {
        onChange(false, error ? "Sign-in was not completed." : "The sign-in answer did not match this page's request.");
        return true;
      }
      try {
        await exchange(code, expected.verifier);
      } catch (failure) {
        onChange(false, "Sign-in failed: " + failure.message);
        return true;
      }
      onChange(true, null);
      return true;
    }

    async function renew() {
      var spent = tokens;
      try {
        keep(await tokenRequest({ grant_type: "refresh_token", refresh_token: spent.refresh, client_id: CLIENT_ID }));
        return;
      } catch (failure) {
        forget(); // a refresh token is never sent twice: it rotates, and reuse ends the whole session
      }
      if (await silently().catch(function () { return false; })) {
        onChange(true, null); // the browser's session may be someone else's by now: show who
      } else {
        onChange(false, "Your session ended: sign in again.");
      }
    }

    function refresh() {
      if (tokens === null) {
        return Promise.resolve();
      }
      if (refreshing === null) {
        refreshing = renew().finally(function () {
          refreshing = null;
        });
      }
      return refreshing;
    }

    /** The access token to send now (refreshed first when about to expire), or null. */
    async function accessToken() {
      if (refreshing !== null) {
        await refreshing;
      } else if (tokens !== null && tokens.expiresAt - Date.now() < 10000) {
        await refresh();
      }
      return tokens === null ? null : tokens.access;
    }

    async function endBrowserSession() {
      // The sign-in pages' CSRF token is in their form (its cookie is HttpOnly): read it from the page.
      var page = await fetch("/signin", { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } });
      var field = new DOMParser().parseFromString(await page.text(), "text/html").querySelector("input[name=csrf]");
      if (field === null) {
        return;
      }
      await fetch("/signin/signout", {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        redirect: "manual",
        referrerPolicy: "same-origin", // the page's no-referrer would let a browser send `Origin: null`
        headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": field.value },
        body: form({ csrf: field.value }),
      });
    }

    async function revoke(token, hint) {
      var endpoint = (await endpoints()).revoke;
      if (endpoint === null) {
        return false;
      }
      var response = await fetch(endpoint, {
        method: "POST",
        credentials: "omit",
        cache: "no-store",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: form({ token: token, token_type_hint: hint, client_id: CLIENT_ID }),
      });
      return response.ok;
    }

    /** Sign out: revoke the refresh and access tokens, forget them, end the browser's sign-in session. */
    async function signOut() {
      if (refreshing !== null) {
        await refreshing.catch(function () {}); // what it brings is revoked below, not kept
      }
      var held = tokens;
      forget();
      onChange(false, null, true); // signed out at once on the page; the server side follows
      var failures = [];
      if (held !== null) {
        var revoked = await Promise.all([revoke(held.refresh, "refresh_token"), revoke(held.access, "access_token")])
          .catch(function () { return [false]; });
        if (revoked.indexOf(false) !== -1) {
          failures.push("the tokens could not be revoked");
        }
      }
      try {
        await endBrowserSession();
      } catch (failure) {
        failures.push("the browser's sign-in session could not be ended");
      }
      onChange(false, failures.length ? "Signed out here, but " + failures.join(" and ") + "." : null);
    }

    return Object.freeze({
      signIn: signIn,
      signOut: signOut,
      completeRedirect: completeRedirect,
      accessToken: accessToken,
      refresh: refresh,
      signedIn: function () {
        return tokens !== null;
      },
    });
  }

  window.SanctuaryOAuth = Object.freeze({ create: create, CLIENT_ID: CLIENT_ID, SCOPE: SCOPE });
})();

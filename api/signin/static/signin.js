// Passkey ceremonies of the sign-in pages: ask this server for options, let the browser's authenticator
// answer, send the answer back. No other site is contacted.
"use strict";

const b64 = {
  toBytes(text) {
    const base = text.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(base + "===".slice((base.length + 3) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  },
  fromBytes(buffer) {
    let raw = "";
    for (const byte of new Uint8Array(buffer)) raw += String.fromCharCode(byte);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
};

function creationOptions(json) {
  const options = { ...json, challenge: b64.toBytes(json.challenge), user: { ...json.user, id: b64.toBytes(json.user.id) } };
  options.excludeCredentials = (json.excludeCredentials || []).map((c) => ({ ...c, id: b64.toBytes(c.id) }));
  return options;
}

function requestOptions(json) {
  const options = { ...json, challenge: b64.toBytes(json.challenge) };
  options.allowCredentials = (json.allowCredentials || []).map((c) => ({ ...c, id: b64.toBytes(c.id) }));
  return options;
}

function serialize(credential) {
  const response = credential.response;
  const out = { id: credential.id, rawId: b64.fromBytes(credential.rawId), type: credential.type, response: {} };
  out.response.clientDataJSON = b64.fromBytes(response.clientDataJSON);
  if (response.attestationObject) {
    out.response.attestationObject = b64.fromBytes(response.attestationObject);
    out.response.transports = response.getTransports ? response.getTransports() : [];
  } else {
    out.response.authenticatorData = b64.fromBytes(response.authenticatorData);
    out.response.signature = b64.fromBytes(response.signature);
    if (response.userHandle) out.response.userHandle = b64.fromBytes(response.userHandle);
  }
  out.clientExtensionResults = credential.getClientExtensionResults();
  out.authenticatorAttachment = credential.authenticatorAttachment || undefined;
  return out;
}

async function post(url, csrf, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body),
  });
  if (response.status === 429) throw new Error("throttled");
  if (!response.ok) throw new Error("refused");
  return response.json();
}

async function ceremony(form) {
  const csrf = form.querySelector("input[name=csrf]").value;
  const options = await post(form.dataset.options, csrf, {});
  let credential;
  if (form.dataset.ceremony === "register") {
    credential = await navigator.credentials.create({ publicKey: creationOptions(options.publicKey) });
  } else {
    credential = await navigator.credentials.get({ publicKey: requestOptions(options.publicKey) });
  }
  const name = form.querySelector("input[name=name]");
  const result = await post(form.dataset.finish, csrf, {
    challengeId: options.challengeId,
    credential: serialize(credential),
    name: name ? name.value : "",
  });
  window.location.assign(result.redirect);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-ceremony]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const working = document.getElementById("working");
      const failed = document.getElementById("failed");
      failed.hidden = true;
      const throttled = document.getElementById("throttled");
      if (throttled) throttled.hidden = true;
      working.hidden = false;
      try {
        await ceremony(form);
      } catch (error) {
        working.hidden = true;
        const shown = error.message === "throttled" ? document.getElementById("throttled") : null;
        (shown || failed).hidden = false;
      }
    });
  }
});

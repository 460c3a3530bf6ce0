"""GraphiQL is served by the API itself: the page and every asset it names come from this origin, under a
strict Content-Security-Policy, with nothing loaded from a CDN and nothing persisted by the page."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from api.schema.engine import graphiql

BASE = "http://testserver"
HTML = {"Accept": "text/html"}
CDNS = ("unpkg", "jsdelivr", "cdnjs", "esm.sh", "googleapis", "cloudflare", "skypack", "jspm")
URL_HOST = re.compile(r"(?:https?:)?//([A-Za-z0-9.-]+\.[A-Za-z]{2,})")  # a URL's host, with or without scheme
EXPECTED_TYPES = {"script": "text/javascript", "stylesheet": "text/css"}


class _Links(HTMLParser):
    """The page's script sources and stylesheet links, and whether it holds any inline script or style."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.inline: list[str] = []
        self._tag: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self._tag = tag
        if tag == "script" and values.get("src"):
            self.urls.append(("script", values["src"] or ""))
        elif tag == "link" and values.get("rel") == "stylesheet":
            self.urls.append(("stylesheet", values.get("href") or ""))
        if any(name == "style" or name.startswith("on") for name in values):
            self.inline.append(f"attribute on <{tag}>")

    def handle_data(self, data: str) -> None:
        if self._tag in ("script", "style") and data.strip():
            self.inline.append(f"<{self._tag}> content")

    def handle_endtag(self, tag: str) -> None:
        self._tag = None


async def _page(client: httpx.AsyncClient) -> tuple[httpx.Response, _Links]:
    response = await client.get("/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    links = _Links()
    links.feed(response.text)
    return response, links


async def test_the_page_and_every_asset_it_names_are_served_by_the_api(client: httpx.AsyncClient) -> None:
    _, links = await _page(client)
    assert {kind for kind, _ in links.urls} == {"script", "stylesheet"}
    assert links.inline == []  # the policy allows no inline script (nor style)
    for kind, url in links.urls:
        absolute = urljoin(f"{BASE}/graphql", url)
        assert urlsplit(absolute).netloc == "testserver", url  # same origin
        response = await client.get(absolute)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith(EXPECTED_TYPES[kind]), url
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "immutable" in response.headers["cache-control"]
        assert "max-age=31536000" in response.headers["cache-control"]
        digest = url.split("/")[-2]
        assert re.fullmatch(r"[0-9a-f]{16}", digest), url  # the URL names the content


async def test_the_page_is_under_a_strict_content_security_policy(client: httpx.AsyncClient) -> None:
    response, _ = await _page(client)
    directives = {part.split()[0]: part.split()[1:] for part in response.headers["content-security-policy"].split("; ")}
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    for sources in directives.values():  # no third-party origin, no inline or eval, anywhere
        assert all(source in ("'self'", "'none'", "data:") for source in sources), sources
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


async def test_an_asset_url_that_does_not_name_its_content_is_not_found(client: httpx.AsyncClient) -> None:
    asset = graphiql.assets()["bootstrap.js"]
    assert (await client.get(asset.url)).status_code == 200
    assert (await client.get(f"{graphiql.PREFIX}/{'0' * 16}/bootstrap.js")).status_code == 404
    assert (await client.get(f"{graphiql.PREFIX}/{asset.digest}/page.html")).status_code == 404
    assert (await client.get(f"{graphiql.PREFIX}/{asset.digest}/..%2F..%2Fsettings.py")).status_code == 404


async def test_no_url_in_the_page_or_its_assets_points_to_a_cdn(client: httpx.AsyncClient) -> None:
    response, links = await _page(client)
    bodies = [response.text] + [(await client.get(urljoin(f"{BASE}/graphql", url))).text for _, url in links.urls]
    hosts = {host.lower() for body in bodies for host in URL_HOST.findall(body)}
    assert hosts  # the search finds hosts (the bundle names a few in comments and messages)
    assert [host for host in hosts if any(cdn in host for cdn in CDNS)] == []


def test_the_bootstrap_persists_nothing() -> None:
    """The bootstrap hands GraphiQL an in-memory storage and does not persist headers (the browser test
    proves the effect); the sign-in hook is there."""
    source = (Path(graphiql.STATIC) / "bootstrap.js").read_text()
    assert "storage: storage" in source
    assert "shouldPersistHeaders: false" in source
    assert "localStorage" not in source.replace("never localStorage", "")
    assert "window.sanctuarySignIn" in source


def test_the_sign_in_script_keeps_tokens_in_memory_only() -> None:
    """signin.js writes only the PKCE round trip (verifier and state) to sessionStorage, removes it when the
    page loads again, and never touches localStorage or cookies (the browser test proves the effect)."""
    source = (Path(graphiql.STATIC) / "signin.js").read_text()
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("//"))
    assert "localStorage" not in code
    assert "document.cookie" not in code
    assert re.findall(r"sessionStorage\.(\w+)\((\w+)", code) == [
        ("setItem", "PENDING"), ("getItem", "PENDING"), ("removeItem", "PENDING")
    ]  # fmt: skip
    assert 'code_challenge_method: "S256"' in code
    assert "crypto.getRandomValues" in code
    assert "history.replaceState" in code


def test_the_bundle_is_built_from_exactly_pinned_packages() -> None:
    """graphiql/build.sh runs `npm ci`: every dependency is pinned to one version, and the committed lockfile
    holds those versions (a rebuild gives the same bundle)."""
    folder = Path(graphiql.__file__).resolve().parents[3] / "graphiql"
    package = json.loads((folder / "package.json").read_text())
    lock = json.loads((folder / "package-lock.json").read_text())
    pinned = package["dependencies"] | package["devDependencies"]
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", version) for version in pinned.values()), pinned
    assert {name: lock["packages"][f"node_modules/{name}"]["version"] for name in pinned} == pinned
    assert lock["packages"][""]["dependencies"] | lock["packages"][""]["devDependencies"] == pinned


@pytest.mark.parametrize("enabled", [False])
async def test_without_graphiql_there_is_no_page_and_no_assets(
    enabled: bool, app: object, settings: object, sessionmaker: object, engine: object, sealer: object
) -> None:
    from api.app import configure_state, create_app

    off = settings.model_copy(update={"graphiql": enabled})  # type: ignore[attr-defined]
    app = create_app(off, engine=engine, sealer=sealer)  # type: ignore[arg-type]
    configure_state(app, engine=engine, sessionmaker=sessionmaker, sealer=sealer, settings=off)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        assert (await client.get("/graphql", headers=HTML)).status_code == 404
        assert (await client.get(graphiql.assets()["graphiql.min.js"].url)).status_code == 404

"""No error message quotes what the caller sent: canary values in every position never come back."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.models.enums import OrganizationKind, Role
from api.schema.engine.errors import MASKED_MESSAGE
from api.schema.engine.limits import DEFAULT_LIMITS
from api.schema.engine.request_body import prepare
from api.schema.engine.safe_errors import Sent, safe_message
from tests import factories as f
from tests.workflow import actor

NAME = "Cnry987654321"  # a canary where the document holds a name
TEXT = "Cnry A987654321, 12 Elm Street"  # a canary where it holds a value
LONG = "".join(hashlib.sha256(str(i).encode()).hexdigest() for i in range(8))  # past graphql-core's cut
ID = "Q29uZ3JlZ2F0aW9uOjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMA"
UPDATE = "mutation($input: CongregationUpdateInput!) { congregationUpdate(input: $input) { userErrors { code } } }"
PERSON = "mutation($input: PersonCreateInput!) { personCreate(input: $input) { userErrors { code } } }"


def update(fields: str) -> str:
    return f'mutation {{ congregationUpdate(input: {{id: "{ID}", {fields}}}) {{ userErrors {{ code }} }} }}'


def page(arguments: str) -> str:
    return f"{{ organizations(first: 1, {arguments}) {{ nodes {{ id }} }} }}"


INLINE = [
    update(f"publicName: {{{NAME}: 1}}"),
    update(f"publicName: {NAME}"),
    update("publicName: 987654321"),
    update(f'publicName: ["{TEXT}"]'),
    update(f'capacity: "{TEXT}"'),
    update("capacity: 98765432198765"),
    update("capacity: 1.987654321"),
    update(f'publicDeclaration: "{TEXT}"'),
    update(f'commitment: "{TEXT}"'),
    update(f"commitment: {NAME}"),
    update(f"{NAME}: 1"),
    update(f'expectedVersion: "{LONG}"'),
    f'mutation {{ congregationUpdate(input: {{id: {{a: "{TEXT}"}}}}) {{ userErrors {{ code }} }} }}',
    "mutation { congregationUpdate(input: {id: 9876.54321}) { userErrors { code } } }",
    f'mutation {{ personCreate(input: {{preferredName: "A", languages: [1, {NAME}, {{a: "{TEXT}"}}]}}) '
    "{ userErrors { code } } }",
    f'{{ congregations(first: "{TEXT}") {{ nodes {{ id }} }} }}',
    f'{{ congregations(first: "{LONG}") {{ nodes {{ id }} }} }}',
    page(f"orderBy: {NAME}"),
    page(f'orderBy: "{TEXT}"'),
    page(f'updatedSince: "{TEXT}"'),
    page('updatedSince: "2026-13-45T99:00:00+00:00 987654321"'),
    f'{{ node(id: {{a: "{TEXT}"}}) {{ id }} }}',
    f'{{ nodes(ids: ["{ID}", {NAME}]) {{ id }} }}',
    f"{{ node(id: {NAME}) {{ id }} }}",
]
NAMES = [
    f"{{ {NAME} }}",
    f"{{ congregations({NAME}: 1, first: 1) {{ nodes {{ id }} }} }}",
    f"{{ __typename @{NAME} }}",
    f"query($v: {NAME}) {{ __typename }}",
    f"{{ ...{NAME} }}",
    f"fragment {NAME} on Query {{ __typename }} {{ __typename }}",
    f"fragment {NAME} on Query {{ ...{NAME} }} {{ ...{NAME} }}",
    f"fragment F on {NAME} {{ __typename }} {{ ...F }}",
    f"query {NAME} {{ __typename }} query {NAME} {{ __typename }}",
    f"{{ congregations(first: 1) {{ nodes {{ {NAME} }} }} }}",
    f"{{ a: congregations(first: 1) {{ nodes {{ id }} }} a: regions(first: 1, {NAME}: 2) {{ nodes {{ id }} }} }}",
]
SYNTAX = [
    f'{{ "{TEXT}" }}',
    f'{{ x(a: "{TEXT}) }}',
    f"{{ {NAME}!!! }}",
    f'{{ x(a: "\\z{TEXT}") }}',
    f"{{ x(a: 987654321{NAME}) }}",
    f"{{ x(a: 9876543.21e{NAME}) }}",
    f"{{ {NAME} ",
    f"{{ x }} {NAME}",
]
VARIABLES: list[tuple[str, dict[str, Any]]] = [
    ("query($n: Int) { congregations(first: $n) { nodes { id } } }", {"n": TEXT}),
    ("query($n: Int) { congregations(first: $n) { nodes { id } } }", {"n": LONG}),
    ("query($n: Int) { congregations(first: $n) { nodes { id } } }", {"n": 98765432198765}),
    ("query($d: DateTime) { organizations(first: 1, updatedSince: $d) { nodes { id } } }", {"d": TEXT}),
    ("query($o: ConnectionOrder!) { organizations(first: 1, orderBy: $o) { nodes { id } } }", {"o": TEXT}),
    ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [{"a": TEXT}]}),
    ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [ID, None, 987654321.5]}),
    ("query($id: ID!) { node(id: $id) { id } }", {"id": {TEXT: TEXT}}),
    (UPDATE, {"input": {"id": ID, NAME: TEXT}}),
    (UPDATE, {"input": {"id": ID, "capacity": TEXT}}),
    (UPDATE, {"input": {"id": ID, "commitment": TEXT}}),
    (UPDATE, {"input": {"id": ID, "publicDeclaration": TEXT}}),
    (UPDATE, {"input": {"id": ID, "publicName": {TEXT: [TEXT]}}}),
    (UPDATE, {"input": TEXT}),
    (UPDATE, {"input": {TEXT: TEXT}}),
    (PERSON, {"input": {"preferredName": "A", "languages": [1, TEXT, {TEXT: 1}]}}),
    (PERSON, {"input": {"preferredName": [TEXT], "legalName": {"x": LONG}}}),
]


def leaked(text: str) -> list[str]:
    """The canaries (or any 10 characters of the long one) found in ``text``."""
    found = [canary for canary in ("Cnry", "cnry", "987654321", "Elm Street") if canary in text]
    found += [LONG[i : i + 10] for i in range(len(LONG) - 10) if LONG[i : i + 10] in text][:1]
    return found


@pytest.fixture
async def token(db: AsyncSession) -> str:
    everyone = await actor(db, await f.organization(db, OrganizationKind.LEGAL_AID), *Role)
    await db.commit()
    return everyone.token


async def _post(client: httpx.AsyncClient, token: str, body: dict[str, Any]) -> httpx.Response:
    response = await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, response.text
    return response


@pytest.mark.parametrize("query", INLINE + NAMES + SYNTAX)
async def test_no_literal_or_name_of_the_document_comes_back(client: httpx.AsyncClient, token: str, query: str) -> None:
    response = await _post(client, token, {"query": query})
    assert response.status_code == 400 or response.json().get("errors"), response.text
    assert leaked(response.text) == [], response.text
    assert MASKED_MESSAGE not in response.text  # an expected error, not an unexpected one
    assert all(error["message"].strip(" .") for error in response.json().get("errors", [])), response.text


@pytest.mark.parametrize(("query", "variables"), VARIABLES)
async def test_no_variable_value_comes_back_but_the_variable_is_named(
    client: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any]
) -> None:
    response = await _post(client, token, {"query": query, "variables": variables})
    errors = response.json()["errors"]
    assert leaked(response.text) == [], response.text
    assert any(f"'${name}'" in error["message"] for error in errors for name in variables), errors


async def test_an_unknown_operation_name_does_not_come_back(client: httpx.AsyncClient, token: str) -> None:
    body = {"query": "query A { __typename } query B { __typename }", "operationName": NAME}
    response = await _post(client, token, body)
    assert response.status_code == 400
    assert leaked(response.text) == [], response.text


async def test_useful_messages_stay(client: httpx.AsyncClient, token: str) -> None:
    unknown = await _post(client, token, {"query": "{ congregations(first: 1) { nodes { naem } } }"})
    assert unknown.json()["errors"][0]["message"] == "Cannot query field on type 'Congregation'."
    variables = {"input": {"id": ID, "capacity": "many"}}
    wrong = await _post(client, token, {"query": UPDATE, "variables": variables})
    assert wrong.json()["errors"][0]["message"] == "Variable '$input' got an invalid value at 'input.capacity'."
    fragment = await _post(client, token, {"query": f"{{ ...{NAME} }}"})
    assert fragment.json()["errors"][0]["message"] == "Unknown fragment."
    syntax = await _post(client, token, {"query": "{ congregations(first: 1) { nodes { id } }"})
    assert syntax.json()["errors"][0]["message"].startswith("Syntax Error: Expected Name")


def test_a_message_of_an_unknown_shape_that_echoes_the_request_is_replaced() -> None:
    sent = Sent([TEXT, LONG, "abc"], frozenset({"input"}))
    plain = "The request is invalid at this location."
    assert safe_message(f"Something new: {TEXT}!", sent) == plain
    assert leaked(safe_message(f"Cut: {LONG[:40]}...{LONG[-40:]}", sent)) == []
    assert leaked(safe_message(f"Cut: '{LONG[:40]}...{LONG[-40:]}'", sent)) == []
    assert safe_message("Bad abc here.", sent) == plain
    assert (
        safe_message("Variable '$input' has invalid value at .x.y: odd", sent)
        == "Variable '$input' got an invalid value."
    )
    free_text = Sent(["Immigration Court, Room 4"], frozenset())
    kept = "The mutation operation is not supported by the schema."
    assert safe_message(kept, free_text) == kept


def test_string_literals_and_the_variables_keys_and_values_of_a_request_are_never_echoed() -> None:
    literal, key, value = "Calle Canario 1234", "canaryVariableKey", "Valor Canario 5678"
    query = f'query Q($input: NodeInput) {{ node(id: "{literal}") {{ id }} }}'
    sent = Sent.of(prepare(orjson.dumps({"query": query, "variables": {"input": {key: value}}}), DEFAULT_LIMITS))
    for echoed in (literal, key, value):
        assert safe_message(f"Something new: {echoed}!", sent) == "The request is invalid at this location."

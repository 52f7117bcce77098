"""One operation compared with its match: lifecycle, parameters, request body, responses.

Request data is what the client sends (``sending``); responses and headers are what it reads.
A webhook turns this round: its request body is the payload the client *receives*, so it is
compared as read data, and the reply the client sends back is not compared (the vendor
accepts any 2xx).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from contracts.diff._documents import Side
from contracts.diff._match import Operation
from contracts.diff._schema import Found, SchemaDiff

__all__ = ["OperationDiff", "sunset"]


def sunset(node: dict[str, Any]) -> dt.date | str | None:
    """An operation's ``x-sunset`` date (oasdiff's extension), the raw text if not a date."""
    raw = node.get("x-sunset")
    if raw is None:
        return None
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw)[:10])
    except ValueError:
        return str(raw)


class OperationDiff:
    def __init__(self, old: Side, new: Side, schemas: SchemaDiff) -> None:
        self.old, self.new, self.schemas = old, new, schemas

    def compare(self, old: Operation, new: Operation) -> list[Found]:
        found = self._lifecycle(old, new)
        if old.webhook:
            return found + self._body(old.node, new.node, sending=False)
        found += self._parameters(old, new)
        found += self._body(old.node, new.node, sending=True)
        found += self._responses(old.node, new.node)
        return found

    def _lifecycle(self, old: Operation, new: Operation) -> list[Found]:
        found: list[Found] = []
        was, now = sunset(old.node), sunset(new.node)
        if not old.deprecated and new.deprecated:
            rule = "endpoint-deprecated-with-sunset" if now else "endpoint-deprecated"
            found.append((rule, "", f"deprecated{f' (sunset {now})' if now else ''}"))
        elif old.deprecated and not new.deprecated:
            found.append(("endpoint-reactivated", "", "no longer deprecated"))
        if isinstance(now, str):
            found.append(("api-deprecated-sunset-parse", "", f"x-sunset {now!r} is not a date"))
        elif new.deprecated and isinstance(was, dt.date):
            if now is None:
                found.append(("api-sunset-deleted", "", f"sunset date {was} removed"))
            elif now < was:
                what = f"sunset moved earlier, from {was} to {now}"
                found.append(("api-sunset-date-changed-too-small", "", what))
        a, b = old.node.get("operationId"), new.node.get("operationId")
        if a and b and a != b:
            found.append(("api-operation-id-changed", "", f"operationId {a} -> {b}"))
        if old.path != new.path and not old.webhook:
            slots = re.compile(r"\{([^}/]*)\}")
            names = zip(slots.findall(old.path), slots.findall(new.path), strict=False)
            for a, b in names:
                if a != b:
                    found.append(
                        (
                            "api-path-parameter-renamed",
                            f"parameters.path.{b}",
                            f"path parameter renamed {a} -> {b}",
                        )
                    )
        return found

    def _parameters_of(self, side: Side, op: Operation) -> dict[tuple[str, str], Any]:
        """(location, name or path position) -> (display name, parameter); an operation's
        own parameter overrides its path item's of the same name and location."""
        slots = re.findall(r"\{([^}/]*)\}", op.path)
        found = {}
        for raw in list(op.item.get("parameters", [])) + list(op.node.get("parameters", [])):
            param, _, _ = side.resolve(raw)
            name, where = str(param.get("name", "")), str(param.get("in", ""))
            if where == "path" and name in slots:
                key = (where, f"#{slots.index(name)}")
            else:
                key = (where, name.lower() if where == "header" else name)
            found[key] = (name, param)
        return found

    def _parameters(self, old: Operation, new: Operation) -> list[Found]:
        was = self._parameters_of(self.old, old)
        now = self._parameters_of(self.new, new)
        found: list[Found] = []
        for key in sorted(set(was) | set(now)):
            name, param = now[key] if key in now else was[key]
            where = f"parameters.{key[0]}.{name}"
            if key not in now:
                found.append(("request-parameter-removed", where, "parameter removed"))
                continue
            if key not in was:
                if key[0] == "path":
                    found.append(("new-request-path-parameter", where, "new path parameter"))
                elif param.get("required"):
                    found.append(
                        ("new-required-request-parameter", where, "new required parameter")
                    )
                else:
                    found.append(
                        ("new-optional-request-parameter", where, "optional parameter added")
                    )
                continue
            before = was[key][1]
            if bool(param.get("required")) != bool(before.get("required")):
                became = "required" if param.get("required") else "optional"
                found.append(
                    (f"request-parameter-became-{became}", where, f"parameter is now {became}")
                )
            if bool(param.get("deprecated")) != bool(before.get("deprecated")):
                rule = "deprecated" if param.get("deprecated") else "reactivated"
                found.append((f"request-parameter-{rule}", where, f"parameter {rule}"))
            for attr in ("style", "explode", "allowReserved"):
                if before.get(attr) != param.get(attr):
                    what = f"{attr} changed from {before.get(attr)} to {param.get(attr)}"
                    found.append(("request-parameter-style-changed", where, what))
            old_schema, new_schema = before.get("schema"), param.get("schema")
            if old_schema is not None and new_schema is not None:
                for rule, sub, what in self.schemas.compare(
                    old_schema, new_schema, True, "parameter"
                ):
                    found.append((rule, where + sub, what))
            found += self._content(before, param, where, sending=True, place="parameter")
        return found

    def _content(
        self, old: dict[str, Any], new: dict[str, Any], where: str, sending: bool, place: str
    ) -> list[Found]:
        """Media types and their schemas: one a client sends must still be accepted, one it
        reads must still be returned."""
        was, now = old.get("content") or {}, new.get("content") or {}
        found: list[Found] = []
        direction = "request" if sending else "response"
        kind = "parameter" if place == "parameter" else "body" if sending else ""
        for media in sorted(set(was) | set(now)):
            if media not in now:
                rule = f"{direction}-{kind + '-' if kind else ''}media-type-removed"
                found.append((rule, where, f"media type {media} removed"))
            elif media not in was:
                if place != "parameter":
                    rule = f"{direction}-{kind + '-' if kind else ''}media-type-added"
                    found.append((rule, where, f"media type {media} added"))
            else:
                a, b = (was[media] or {}).get("schema"), (now[media] or {}).get("schema")
                if a is not None and b is not None:
                    for rule, sub, what in self.schemas.compare(a, b, sending, place):
                        found.append((rule, where + sub, what))
        return found

    def _body(self, old_op: dict[str, Any], new_op: dict[str, Any], sending: bool) -> list[Found]:
        old, _, _ = self.old.resolve(old_op.get("requestBody", {}))
        new, _, _ = self.new.resolve(new_op.get("requestBody", {}))
        where = "requestBody"
        if not old and not new:
            return []
        if not sending:  # a webhook payload, read by the client
            return self._content(old, new, where, sending=False, place="body")
        if not new:
            return [("request-body-removed", where, "request body removed")]
        if not old:
            required = bool(new.get("required"))
            rule = f"request-body-added-{'required' if required else 'optional'}"
            return [(rule, where, "request body added")]
        found: list[Found] = []
        if bool(new.get("required")) != bool(old.get("required")):
            became = "required" if new.get("required") else "optional"
            found.append((f"request-body-became-{became}", where, f"request body is now {became}"))
        return found + self._content(old, new, where, sending=True, place="body")

    def _responses(self, old_op: dict[str, Any], new_op: dict[str, Any]) -> list[Found]:
        was = {str(k): v for k, v in (old_op.get("responses") or {}).items()}
        now = {str(k): v for k, v in (new_op.get("responses") or {}).items()}
        found: list[Found] = []
        for status in sorted(set(was) | set(now)):
            where = f"responses.{status}"
            success = "success" if status.upper().startswith("2") else "non-success"
            if status not in now:
                what = f"status {status} removed"
                found.append((f"response-{success}-status-removed", where, what))
                continue
            if status not in was:
                found.append((f"response-{success}-status-added", where, f"status {status} added"))
                continue
            old, _, _ = self.old.resolve(was[status])
            new, _, _ = self.new.resolve(now[status])
            found += self._headers(old, new, where)
            found += self._content(old, new, where, sending=False, place="body")
        return found

    def _headers(self, old: dict[str, Any], new: dict[str, Any], where: str) -> list[Found]:
        was = {str(k).lower(): (k, v) for k, v in (old.get("headers") or {}).items()}
        now = {str(k).lower(): (k, v) for k, v in (new.get("headers") or {}).items()}
        found: list[Found] = []
        for key in sorted(set(was) | set(now)):
            name = (now.get(key) or was[key])[0]
            at = f"{where}.headers.{name}"
            if key not in now:
                header, _, _ = self.old.resolve(was[key][1])
                level = "required" if header.get("required") else "optional"
                found.append((f"{level}-response-header-removed", at, "header removed"))
                continue
            if key not in was:
                found.append(("response-header-added", at, "header added"))
                continue
            a, _, _ = self.old.resolve(was[key][1])
            b, _, _ = self.new.resolve(now[key][1])
            if a.get("required") and not b.get("required"):
                found.append(
                    ("response-header-became-optional", at, "header no longer always sent")
                )
            if a.get("schema") is not None and b.get("schema") is not None:
                for rule, sub, what in self.schemas.compare(
                    a["schema"], b["schema"], False, "header"
                ):
                    found.append((rule, at + sub, what))
        return found

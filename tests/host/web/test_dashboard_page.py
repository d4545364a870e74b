"""The dashboard's page and what the server tells it (web/page.py): every config.json key has
a place in the settings form, secrets are the API's secrets, and the page's files are all
its own (nothing from another origin, every import there)."""

from __future__ import annotations

import re
from dataclasses import fields

from nocturne.config.model import Config
from nocturne.web import page
from nocturne.web.api import SECRETS, TOKENS
from nocturne.web.server import STATIC

PATHS = [key["path"] for group in page.SETTINGS for key in group["keys"]]


def config_keys() -> set[str]:
    keys = {f.name for f in fields(Config) if f.name != "path"}
    for name, cls in page.OBJECTS.items():
        keys.discard(name)
        keys |= {f"{name}.{f.name}" for f in fields(cls)}
    return keys


def test_every_config_key_has_one_place_in_the_form():
    assert len(PATHS) == len(set(PATHS))
    assert set(PATHS) == config_keys()


def test_the_forms_secrets_are_the_apis():
    secret = {key["path"] for group in page.SETTINGS for key in group["keys"]
              if key["type"] == "secret"}  # fmt: skip
    assert secret == {".".join(path) for path, _ in SECRETS} | {TOKENS}


def test_defaults_are_configs_own():
    document = page.dashboard_document()
    keys = {key["path"]: key for group in document["settings"] for key in group["keys"]}
    assert keys["limits.cpu"]["default"] == Config().limits.cpu
    assert keys["poll_interval"]["default"] == Config().poll_interval
    assert keys["mqtt.port"]["default"] == 1883 and keys["mqtt.host"]["default"] is None
    assert all(k["default"] is None for k in keys.values() if k["type"] == "secret")


def test_the_page_loads_only_its_own_files():
    files = {p.name: p.read_text() for p in STATIC.iterdir()}
    assert {"index.html", "app.js", "style.css"} <= set(files)
    for name, text in files.items():
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), name
        assert "@import" not in text and "url(http" not in text, name
        for target in re.findall(r"""from ["']\./([\w.]+)["']""", text):
            assert target in files, (name, target)
    for target in re.findall(r"""(?:src|href)="/static/([\w.]+)\"""", files["index.html"]):
        assert target in files, target

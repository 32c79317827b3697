"""Theme shells: protected pages filled into a shell are the pages the theme would render."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import mkdocs_build, site_env
from mkdocs.commands.build import build as mkdocs_build_in_process
from mkdocs.config import load_config

from generator import page_shells, site


def fake_page(slug: str, content: str) -> SimpleNamespace:
    """The attributes of a MkDocs page that a shell fills in."""
    url = f"i/{slug}/"
    return SimpleNamespace(content=content, canonical_url=f"https://status.example.com/{url}",
                           abs_url=f"/{url}", url=url,
                           file=SimpleNamespace(src_uri=url + "index.md", dest_uri=url + "index.html"))


def test_a_shell_filled_with_another_page_is_that_page() -> None:
    def render(page: SimpleNamespace) -> str:
        return (f'<html><link rel="canonical" href="{page.canonical_url}"><main>{page.content}</main>'
                f"<!-- {page.file.src_uri} --><a href=\"{page.abs_url}\">{page.url}</a></html>")

    first = fake_page("aaaa", '<script>{"u":"i/aaaa/","c":"xyz"}</script>')
    second = fake_page("bbbb", '<script>{"u":"i/bbbb/","c":"qrs"}</script>')
    shell = page_shells.cut(render(first), first)
    assert shell.fill(first) == render(first)
    assert shell.fill(second) == render(second)
    assert "aaaa" not in "".join(text for text, literal in shell.parts if literal)


@pytest.fixture
def verified_env() -> dict[str, str]:
    return site_env(**{site.VERIFY_SHELLS: "1"})


def test_every_filled_page_equals_the_theme_rendering(repo: Path, verified_env: dict[str, str]) -> None:
    result = mkdocs_build(repo, env=verified_env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_template_reading_more_of_the_page_is_caught(repo: Path, verified_env: dict[str, str]) -> None:
    # An override printing something of each page that a shell does not fill in.
    main = repo / "overrides" / "main.html"
    main.write_text(main.read_text(encoding="utf-8")
                    + "\n{% block footer %}{{ page.markdown | length }}{% endblock %}\n", encoding="utf-8")
    result = mkdocs_build(repo, env=verified_env)
    said = result.stdout + result.stderr
    assert result.returncode != 0
    assert "differs from the page the theme renders" in said, said
    assert "Traceback" not in said


def test_the_theme_renders_one_page_of_each_kind(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Built in this process, to count: the example site has 10 protected pages in 5 kinds."""
    for key, value in site_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(repo)
    mkdocs_build_in_process(load_config(str(repo / "mkdocs.yml"), site_dir=str(repo / "site")))
    hooks = next(m for name, m in sys.modules.items() if name.endswith("sitrep.py") and hasattr(m, "_build"))
    shells = hooks._build.shells
    protected = [p for p in hooks._build.pages.values() if p.protected]
    assert len(protected) > len(shells._shells)
    assert shells.rendered == len(shells._shells)

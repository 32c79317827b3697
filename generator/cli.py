"""The ``sitrep`` command: arguments in, exit status out; the one place errors become exit codes."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .config import Settings, load_settings
from .errors import InputError, Problem, SitrepError
from .model import SEVERITIES

Handler = Callable[[argparse.Namespace, Settings], int]


def _cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from .validate import validate

    if args.staged:
        from .precommit import check_staged

        return _report(check_staged(settings), "staged incident files OK")
    paths = [Path(p) for p in args.paths] or None
    catalogue, problems = validate(settings, paths)
    return _report(problems, f"{len(catalogue.incidents)} incidents OK")


def _report(problems: list[Problem], ok: str) -> int:
    for problem in problems:
        print(problem)
    errors = [p for p in problems if not p.warning]
    files = len({p.path for p in errors})
    if errors:
        print(f"{len(errors)} problem{'s' * (len(errors) != 1)} in {files} "
              f"file{'s' * (files != 1)}", file=sys.stderr)
        return 1
    print(ok, file=sys.stderr)
    return 0


def _mkdocs(settings: Settings, *extra: str) -> int:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    cmd = [sys.executable, "-m", "mkdocs", *extra, "-f", str(settings.root / "mkdocs.yml")]
    return subprocess.call(cmd, env=env, cwd=settings.root)


def _cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    extra = ["--site-dir", str(Path(args.site_dir).resolve())] if args.site_dir else []
    status = _mkdocs(settings, "build", "--quiet", *extra)
    if status == 0:
        where = args.site_dir or "site"
        print(f"built {where}/ (protected); sitrep link ID prints an incident's secure link")
    return status


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from .serve import serve

    return serve(settings, args.port, build=not args.no_build)


def _cmd_link(args: argparse.Namespace, settings: Settings) -> int:
    from .keys import secure_link
    from .model import PUBLIC
    from .secrets import load_secrets
    from .validate import validate

    catalogue, _ = validate(settings)
    incident = catalogue.incident(args.id)
    if incident is None:
        raise SitrepError(f"no valid incident {args.id!r} in {settings.incidents_dir}/ "
                          "(check the id with ls incidents/, and sitrep validate)")
    secrets = load_secrets(settings.state_dir, [c for c in catalogue.clients if c != PUBLIC])
    base = args.base_url or settings.site_url
    print(secure_link(base, secrets.site_secret, incident.id))
    return 0


def _cmd_install_hooks(args: argparse.Namespace, settings: Settings) -> int:
    from .precommit import install_hook

    path = install_hook(settings, force=args.force)
    print(f"installed {path}: commits with invalid incident files are now refused")
    return 0


def _authoring(name: str) -> Handler:
    def run(args: argparse.Namespace, settings: Settings) -> int:
        from . import authoring

        handler: Handler = getattr(authoring, name)
        return handler(args, settings)

    return run


def _add_authoring(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    new = sub.add_parser("new", help="declare an incident: write incidents/<id>.md")
    new.add_argument("--client", required=True, action="append",
                     help="client id from incidents/clients.yml, or public (repeatable)")
    new.add_argument("--title", required=True, help="one line, at most 100 characters")
    new.add_argument("--severity", required=True, choices=SEVERITIES)
    new.add_argument("--component", action="append", default=[], help="component id (repeatable)")
    new.add_argument("--eta", help="estimated fix: HH:MM, +90m or ISO 8601")
    new.add_argument("--message", help="first update for stakeholders")
    new.add_argument("--status", help="first status (default investigating, or scheduled)")
    new.add_argument("--at", help="time of the first update (default now)")
    new.add_argument("--started", help="when the failure began (default: --at)")
    new.add_argument("--drill", action="store_true", help="an exercise of the procedure")
    new.add_argument("--id", help="file name without .md (default: date, client and title)")
    new.set_defaults(handler=_authoring("cmd_new"))

    update = sub.add_parser("update", help="add an update to an incident")
    update.add_argument("id")
    update.add_argument("--status", required=True)
    update.add_argument("--message", required=True)
    update.add_argument("--eta", help="new estimated fix: HH:MM, +90m or ISO 8601")
    update.add_argument("--at", help="time of the update (default now)")
    update.set_defaults(handler=_authoring("cmd_update"))

    resolve = sub.add_parser("resolve", help="resolve an incident (complete a maintenance)")
    resolve.add_argument("id")
    resolve.add_argument("--message", required=True)
    resolve.add_argument("--at", help="time of resolution (default now)")
    resolve.set_defaults(handler=_authoring("cmd_resolve"))


def _notifying(module: str, name: str) -> Handler:
    def run(args: argparse.Namespace, settings: Settings) -> int:
        import importlib

        handler: Handler = getattr(importlib.import_module(f".{module}", __package__), name)
        return handler(args, settings)

    return run


def _add_notifying(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    notify = sub.add_parser("notify", help="send the SMS for each new commit not yet notified")
    notify.add_argument("--from", dest="from_rev", metavar="REV",
                        help="examine commits after REV (default: after the last one notified)")
    notify.add_argument("--to", dest="to_rev", default="HEAD", metavar="REV", help="last commit (HEAD)")
    notify.add_argument("--dry-run", action="store_true", help="say what would be sent; send nothing")
    notify.add_argument("--json", action="store_true", help="the summary as JSON")
    notify.add_argument("--max-age", default="24h",
                        help="first run: skip commits older than this (24h, 90m, 2d)")
    notify.add_argument("--claim-lease", type=float, default=600.0, metavar="SECONDS",
                        help="how long a claim keeps other runs off a message (default 600)")
    notify.add_argument("--decide-unknown", choices=("sent", "resend"),
                        help="after checking the provider's log: messages that may have gone were sent, "
                        "or must be sent again")
    notify.set_defaults(handler=_notifying("notify", "cmd_notify"))

    preview = sub.add_parser("preview", help="the exact SMS for an incident's latest event")
    preview.add_argument("id")
    preview.set_defaults(handler=_notifying("preview", "cmd_preview"))


def _cmd_import_cstate(args: argparse.Namespace, settings: Settings) -> int:
    from .cstate_import import cmd_import_cstate

    return cmd_import_cstate(args, settings)


def _add_import(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imports = sub.add_parser("import", help="convert the incidents of another status page")
    source = imports.add_subparsers(dest="source", required=True, metavar="SOURCE")
    cstate = source.add_parser("cstate", help="a cState (Hugo) site: content/issues/ and config.yml")
    cstate.add_argument("dir", metavar="DIR", help="the folder of the cState site")
    cstate.add_argument("--client", required=True, help="client id from incidents/clients.yml, or public")
    cstate.add_argument("--dry-run", action="store_true", help="report what would be written; write nothing")
    cstate.add_argument("--force", action="store_true", help="replace incident files that exist")
    cstate.add_argument("--write-clients", action="store_true",
                        help="add the components the incidents use to incidents/clients.yml")
    cstate.set_defaults(handler=_cmd_import_cstate)


def _add_procedure(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = sub.add_parser("check", help="what is overdue now: updates, ETAs, reviews, review actions")
    check.add_argument("--notify-staff", action="store_true",
                       help="text the staff once per overdue period (recorded in the ledger)")
    check.add_argument("--json", action="store_true", help="the result as JSON")
    check.set_defaults(handler=_notifying("check", "cmd_check"))

    drill = sub.add_parser("drill", help="the major incident procedure's exercises")
    what = drill.add_subparsers(dest="drill_command", required=True, metavar="WHAT")
    report = what.add_parser("report", help="the timings of a drill (or incident) as Markdown")
    report.add_argument("id")
    report.set_defaults(handler=_notifying("drill_report", "cmd_drill_report"))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sitrep command."""
    parser = argparse.ArgumentParser(prog="sitrep", description=__doc__)
    parser.add_argument("-f", "--config-file", type=Path, help="mkdocs.yml (default: found above cwd)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_authoring(sub)
    _add_notifying(sub)
    _add_import(sub)
    _add_procedure(sub)

    validate = sub.add_parser("validate", help="check incident files; every problem at once")
    validate.add_argument("paths", nargs="*", help="files or folders (default: all incidents)")
    validate.add_argument("--staged", action="store_true",
                          help="check what git has staged (the pre-commit hook)")
    validate.set_defaults(handler=_cmd_validate)

    build = sub.add_parser("build", help="build the protected site")
    build.add_argument("--site-dir", help="where to write it (default: site/)")
    build.set_defaults(handler=_cmd_build)

    serve = sub.add_parser("serve", help="build the protected site and serve it on 127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-build", action="store_true", help="serve the last build as it is")
    serve.set_defaults(handler=_cmd_serve)

    hooks = sub.add_parser("install-hooks", help="install the git pre-commit hook")
    hooks.add_argument("--force", action="store_true", help="replace a pre-commit hook of another tool")
    hooks.set_defaults(handler=_cmd_install_hooks)

    link = sub.add_parser("link", help="print the secure link to one incident")
    link.add_argument("id")
    link.add_argument("--base-url", help="site address (default: site_url of mkdocs.yml)")
    link.set_defaults(handler=_cmd_link)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; user mistakes print ``path:line: problem (fix)``, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config_file)
        status: int = args.handler(args, settings)
        return status
    except InputError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return exc.exit_code
    except SitrepError as exc:
        print(f"sitrep: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("sitrep: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

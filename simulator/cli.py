"""``simulator serve | credentials | token`` (argparse: the standard library's own CLI parser)."""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from simulator.core.auth import TOKEN_CLOCKS
from simulator.core.clock import parse_instant, wall_time
from simulator.core.errors import SimulatorError
from simulator.settings import LOG_FORMATS, OVERFLOW_MODES, WEBHOOK_POLICIES, Settings, from_env, host_list


def _instant(text: str) -> float:
    try:
        return parse_instant(text).timestamp()
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 instant: {text!r} ({error})") from None


def _vendor_names() -> list[str]:
    from simulator.app import VENDORS

    return [plugin.name for plugin in VENDORS]


def _token_vendors() -> list[str]:
    from simulator.app import VENDORS

    return [plugin.name for plugin in VENDORS if plugin.token is not None]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="simulator", description="Vendor API simulator")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="start every vendor and the admin API on one port")
    serve.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--seed", type=int, help="seed of the generated data (default 1)")
    serve.add_argument("--fixtures", type=Path, help="fixtures YAML (default fixtures/default.yaml)")
    serve.add_argument("--clock-start", type=_instant, help="ISO 8601 instant where every namespace clock begins")
    serve.add_argument("--freeze-clock", action="store_true", default=None,
                       help="start every namespace clock frozen (byte-identical answers with --clock-start)")
    serve.add_argument("--lenient", action="store_true", default=None,
                       help="serve requests that break the spec (the violation is journaled) instead of rejecting")
    serve.add_argument("--validate-responses", action="store_true", default=None,
                       help="check every response against the spec; a violating one becomes a 500 naming the rule")
    serve.add_argument("--journal-size", type=int, help="journal entries kept per namespace (default 1000)")
    serve.add_argument("--pagy-overflow", choices=OVERFLOW_MODES, help="Prevail page past the end (default empty_page)")
    serve.add_argument("--webhook-policy", choices=WEBHOOK_POLICIES,
                       help="'loopback' delivers webhooks only to loopback hosts (default any)")
    serve.add_argument("--webhook-allow", type=host_list, metavar="HOST[,HOST...]",
                       help="hosts webhooks may reach although they resolve to link-local or metadata addresses")
    serve.add_argument("--webhook-concurrency", type=int,
                       help="webhook deliveries in flight per namespace (default 16)")
    serve.add_argument("--webhook-timeout", type=float, help="seconds for one whole webhook delivery (default 5)")
    serve.add_argument("--access-log", action="store_true", default=None, help="log every request (slower)")
    serve.add_argument("--shutdown-timeout", type=float,
                       help="seconds to finish requests in flight and due webhooks on SIGTERM or Ctrl-C (default 10)")
    serve.add_argument("--log-format", choices=LOG_FORMATS,
                       help="json: one JSON line per request on standard output (default text: none)")
    serve.add_argument("--max-body-bytes", type=int, help="largest request body; larger gets 413 (default 10 MiB)")
    serve.add_argument("--max-header-bytes", type=int,
                       help="largest request line and header block; larger gets 414 / 431 (default 64 KiB)")
    serve.add_argument("--read-timeout", type=float,
                       help="seconds to receive a request's head, then its whole body; slower gets 408 (default 30)")
    serve.add_argument("--max-namespaces", type=int, help="namespaces at once; more get 429 (default 1000)")
    serve.add_argument("--namespace-ttl", type=float,
                       help="drop namespaces (but 'default') idle this many seconds; 0 keeps them (default 0)")
    serve.add_argument("--admin-token", help="require this token on /_sim/ (but health and signed downloads); "
                       "'generate' makes one and prints it")
    serve.add_argument("--faults", type=Path, metavar="PLAN.yaml",
                       help="fault plan (a YAML list of rules, as POST /_sim/faults takes) for every new namespace")
    serve.add_argument("--token-clock", choices=TOKEN_CLOCKS,
                       help="clock that judges JWT exp/nbf/iat: 'wall' (default) or each namespace's clock")
    serve.add_argument("--state-dir", type=Path, metavar="DIR",
                       help="keep namespaces (records, clock, effects, fault plan) in DIR across restarts")
    serve.add_argument("--replica-name", metavar="NAME",
                       help="name sent as X-Sim-Replica on health and namespace listing (default hostname:port)")

    creds = commands.add_parser("credentials", help="development credentials of the loaded fixtures")
    creds.add_argument("--json", action="store_true", help="print JSON")
    creds.add_argument("--fixtures", type=Path)

    report = commands.add_parser("report", help="contract coverage and spec violations of a namespace's traffic")
    report.add_argument("--url", default="http://127.0.0.1:8000", help="the running simulator")
    report.add_argument("--namespace", default="default", help="namespace whose traffic to report")
    report.add_argument("--format", choices=("text", "json", "junit", "html"), default="text")
    report.add_argument("--output", "-o", type=Path, help="write here instead of standard output")
    report.add_argument("--admin-token", default=os.environ.get("SIM_ADMIN_TOKEN") or None,
                        help="sent as X-Sim-Admin-Token, for a simulator that guards /_sim/ (default $SIM_ADMIN_TOKEN)")

    verify = commands.add_parser("verify", help="check a server (the real vendor or the simulator) against a spec")
    verify.add_argument("vendor", choices=_vendor_names())
    verify.add_argument("--base-url", required=True, help="e.g. https://prevail.ai or http://127.0.0.1:8000")
    verify.add_argument("-H", "--header", action="append", default=[], metavar="NAME: VALUE",
                        help="header sent with every request (credentials), repeatable")
    verify.add_argument("--max-examples", type=int, default=25, help="examples per operation (default 25)")
    verify.add_argument("--allow-writes", action="store_true", help="also exercise operations that change state")
    verify.add_argument("--spec", type=Path, help="another copy of the vendor's spec (default: the bundled one)")
    verify.add_argument("--seed", type=int, help="seed for reproducible runs")

    token = commands.add_parser("token", help="print a freshly signed JWT")
    token.add_argument("vendor", choices=_token_vendors())
    token.add_argument("--tenant", help="organisation slug / app client id (default: the first)")
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires (default 3600)")
    token.add_argument("--fixtures", type=Path)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return from_env().with_(
        host=getattr(args, "host", None), port=getattr(args, "port", None), seed=getattr(args, "seed", None),
        fixtures=getattr(args, "fixtures", None), clock_start=getattr(args, "clock_start", None),
        clock_frozen=getattr(args, "freeze_clock", None), lenient=getattr(args, "lenient", None),
        validate_responses=getattr(args, "validate_responses", None),
        journal_size=getattr(args, "journal_size", None), pagy_overflow=getattr(args, "pagy_overflow", None),
        webhook_policy=getattr(args, "webhook_policy", None), access_log=getattr(args, "access_log", None),
        log_format=getattr(args, "log_format", None), shutdown_timeout=getattr(args, "shutdown_timeout", None),
        webhook_allow=getattr(args, "webhook_allow", None),
        webhook_concurrency=getattr(args, "webhook_concurrency", None),
        webhook_timeout=getattr(args, "webhook_timeout", None),
        max_body_bytes=getattr(args, "max_body_bytes", None), max_header_bytes=getattr(args, "max_header_bytes", None),
        read_timeout=getattr(args, "read_timeout", None), max_namespaces=getattr(args, "max_namespaces", None),
        namespace_ttl=getattr(args, "namespace_ttl", None), admin_token=getattr(args, "admin_token", None),
        token_clock=getattr(args, "token_clock", None), faults=getattr(args, "faults", None),
        state_dir=getattr(args, "state_dir", None), replica_name=getattr(args, "replica_name", None),
    )


def serve(settings: Settings) -> int:
    from simulator.app import create_app
    from simulator.core.rand import secret_token
    from simulator.serving import AnnouncingServer, bind, uvicorn_config

    if settings.admin_token == "generate":
        settings = settings.with_(admin_token=secret_token())
    app = create_app(settings)  # checks the fixtures and the fault plan: a broken file is told before the bind
    try:
        sock = bind(settings.host, settings.port)
    except OSError as error:
        reason = "the port is already in use" if error.errno == errno.EADDRINUSE else error.strerror or str(error)
        print(f"simulator: cannot listen on {settings.host}:{settings.port}: {reason}", file=sys.stderr)
        return 2
    banner = f"simulator listening on http://{settings.host}:{settings.port} (admin: /_sim/health)"
    if settings.admin_token:
        banner += f"\nadmin token (send as X-Sim-Admin-Token on /_sim/): {settings.admin_token}"
    server = AnnouncingServer(uvicorn_config(app, settings, settings.host, settings.port), banner,
                              app.state.shutdown_deadline)
    # uvicorn shuts down gracefully on SIGTERM or Ctrl-C, then raises the signal again with this
    # handler back: a SIGTERM that was handled is then an ordinary exit 0, not death by signal.
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        with contextlib.suppress(KeyboardInterrupt, Terminated):  # Ctrl-C / SIGTERM: shut down cleanly
            server.run(sockets=[sock])
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


class Terminated(Exception):
    """SIGTERM, raised once the server has shut down gracefully."""


def _terminated(_signum: int, _frame: Any) -> None:
    raise Terminated


def all_credentials(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    from simulator.app import VENDORS, load_fixtures

    fixtures = load_fixtures(settings.fixtures)
    return {plugin.name: plugin.credentials(fixtures.get(plugin.name, {})) for plugin in VENDORS}


def _print_credentials(found: dict[str, list[dict[str, Any]]]) -> None:
    for vendor, entries in found.items():
        print(f"[{vendor}]")
        for entry in entries:
            for key, value in entry.items():
                print(f"  {key}: {value}")
            print()


def report(args: argparse.Namespace) -> int:
    """Exit 0 when the traffic broke no rule, 1 when it did, 2 when the simulator cannot be asked."""
    import httpx

    from simulator.core.store import DEFAULT_NAMESPACE
    from simulator.report import FORMATS, has_violations
    from simulator.report_html import JOURNAL_LIMIT, as_html

    headers = {"X-Sim-Admin-Token": args.admin_token} if args.admin_token else {}
    requests: list[dict[str, Any]] = []
    try:
        with httpx.Client(base_url=args.url.rstrip("/"), headers=headers, timeout=30) as client:
            # Any request naming a namespace creates it: ask for the list first, so a typo creates nothing.
            names = _answer(client.get("/_sim/namespaces"), args.url)["namespaces"]
            if args.namespace not in names and args.namespace != DEFAULT_NAMESPACE:
                print(f"simulator: no namespace {args.namespace!r}; known: {', '.join(names) or 'none'}",
                      file=sys.stderr)
                return 2
            scoped = {"X-Sim-Namespace": args.namespace}
            coverage = _answer(client.get("/_sim/coverage", headers=scoped), args.url)
            if args.format == "html":  # the page names the request behind each violation, from the journal
                journal = _answer(client.get("/_sim/journal", headers=scoped, params={
                    "violations": "true", "limit": JOURNAL_LIMIT}), args.url)
                requests = [e for e in journal["entries"] if e["kind"] == "request"]
    except httpx.HTTPError as error:
        print(f"simulator: cannot reach {args.url}: {error}", file=sys.stderr)
        return 2
    except _Unanswered as error:
        print(f"simulator: {error}", file=sys.stderr)
        return 2
    rendered = as_html(coverage, requests) if args.format == "html" else FORMATS[args.format](coverage)
    if args.output:
        try:
            args.output.write_text(rendered + "\n", encoding="utf-8")
        except OSError as error:
            print(f"simulator: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
            return 2
    else:
        print(rendered)
    return 1 if has_violations(coverage) else 0


class _Unanswered(Exception):
    """The server at --url answered, but not as a simulator's admin API does."""


def _answer(response: Any, url: str) -> Any:
    if response.status_code != 200:
        raise _Unanswered(f"{url} answered {response.status_code}: {' '.join(response.text[:500].split())}")
    try:
        return response.json()
    except ValueError:
        raise _Unanswered(f"{url} did not answer with JSON: is a simulator listening there?") from None


def verify(args: argparse.Namespace) -> int:
    """Exit 0 when nothing drifted, 1 when something did, 2 when the check could not run."""
    from simulator.app import VENDORS
    from simulator.core.spec import specs_dir
    from simulator.verify import render, run

    plugin = next(p for p in VENDORS if p.name == args.vendor)
    spec = args.spec or specs_dir() / plugin.spec_file
    if not spec.is_file():
        print(f"simulator: no spec at {spec}", file=sys.stderr)
        return 2
    try:
        outcome = run(spec, args.base_url, args.header, args.max_examples, args.allow_writes, args.seed)
    except RuntimeError as error:
        print(f"simulator: {error}", file=sys.stderr)
        return 2
    if outcome.exit_code not in (0, 1) or not outcome.checked:
        print(outcome.output[-4000:], file=sys.stderr)
        print("simulator: the check could not run (see schemathesis's output above)", file=sys.stderr)
        return 2
    print(render(outcome, spec, args.base_url))
    return 1 if outcome.drifted else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
    except ValueError as error:
        print(f"simulator: {error}", file=sys.stderr)
        return 2
    from simulator.core.persist_error import StoreError
    from simulator.fixtures import FixturesError

    try:
        return _run(args, settings)
    except (FixturesError, StoreError) as error:
        print(f"simulator: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        return serve(settings)
    if args.command == "report":
        return report(args)
    if args.command == "verify":
        return verify(args)
    if args.command == "credentials":
        found = all_credentials(settings)
        if args.json:
            print(orjson.dumps(found, option=orjson.OPT_INDENT_2).decode())
        else:
            _print_credentials(found)
        return 0
    from simulator.app import VENDORS, load_fixtures

    plugin = next(p for p in VENDORS if p.name == args.vendor)
    assert plugin.token is not None
    try:
        print(plugin.token(load_fixtures(settings.fixtures).get(plugin.name, {}), args.tenant, args.ttl, wall_time()))
    except SimulatorError as error:
        print(f"simulator: {error.message}", file=sys.stderr)
        return 2
    return 0

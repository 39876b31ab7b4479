"""The address rules of webhook deliveries: what is refused in every spelling, and what is let through."""

from __future__ import annotations

import asyncio
import ipaddress
import re

import pytest

from simulator.core.webhook_guard import Refused, Rules, literal_address, parse_target, refusal, resolve

METADATA_SPELLINGS = [
    "169.254.169.254", "2852039166", "0xa9fea9fe", "0xA9FEA9FE", "0251.0376.0251.0376", "0xa9.0xfe.0xa9.0xfe",
    "169.254.43518", "169.16689662", "169.254.169.254.", "0251.254.169.254", "[::ffff:169.254.169.254]",
    "[::ffff:a9fe:a9fe]", "[::169.254.169.254]", "[64:ff9b::a9fe:a9fe]", "[2002:a9fe:a9fe::1]", "[fd00:ec2::254]",
    "metadata.google.internal", "METADATA.google.internal.", "metadata.goog", "metadata", "instance-data",
    "169.254.170.2", "[fe80::1]", "[fe80::1%25eth0]", "[FE80::a9fe:a9fe]", "169.254.0.1", "100.100.100.200",
]


ANY = Rules()


def _resolve(url: str, rules: Rules = ANY, answers: list[str] | None = None) -> list[str]:
    asked: list[str] = []

    async def resolver(host: str, _port: int) -> list[str]:
        asked.append(host)
        return answers if answers is not None else ["93.184.215.14"]

    return asyncio.run(resolve(parse_target(url), rules, resolver))


@pytest.mark.parametrize("host", METADATA_SPELLINGS)
def test_link_local_and_metadata_are_refused_in_every_spelling(host: str) -> None:
    with pytest.raises(Refused, match=r"link-local|metadata"):
        _resolve(f"http://{host}/latest/meta-data/")


@pytest.mark.parametrize("spelling", ["2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "169.254.43518",
                                      "0xa9.254.0251.0xfe"])
def test_odd_ipv4_spellings_read_as_a_resolver_reads_them(spelling: str) -> None:
    assert literal_address(spelling) == ipaddress.ip_address("169.254.169.254")


@pytest.mark.parametrize("name", ["example.com", "1.2.3.4.5", "256.1.1.1", "0x1g.1.1.1", "08.1.1.1", "1..2",
                                  "+1.2.3.4", "1_2.3.4.5", "1.2.3.4 x", "4294967296", "1.2.65536"])
def test_names_that_only_look_like_addresses_are_names(name: str) -> None:
    assert literal_address(name) is None


def test_a_name_that_resolves_to_link_local_is_refused_unless_allowed_by_name() -> None:
    with pytest.raises(Refused, match=re.escape("sneaky.test resolves to 169.254.169.254, a cloud metadata address")):
        _resolve("http://sneaky.test/hook", answers=["127.0.0.1", "169.254.169.254"])
    allowed = Rules.of("any", ("Sneaky.test.",))
    assert _resolve("http://sneaky.test/hook", allowed, answers=["169.254.169.254"]) == ["169.254.169.254"]
    assert _resolve("http://metadata.google.internal/", Rules.of("any", ("metadata.google.internal",)),
                    answers=["169.254.169.254"]) == ["169.254.169.254"]
    assert refusal(ipaddress.ip_address("169.254.169.254"), "169.254.169.254", Rules.of("any", ("169.254.169.254",))) \
        is None


def test_other_addresses_keep_the_policy_meaning() -> None:
    assert _resolve("http://hooks.example.com/x", answers=["93.184.215.14"]) == ["93.184.215.14"]
    assert _resolve("http://10.0.0.8:9000/x") == ["10.0.0.8"]
    assert _resolve("http://0x7f000001:8080/x") == ["127.0.0.1"]  # connects to the address the spelling means
    assert _resolve("http://[::ffff:127.0.0.1]/x") == ["127.0.0.1"]
    loopback = Rules.of("loopback", ())
    assert _resolve("http://localhost:9/x", loopback, answers=["::1", "127.0.0.1"]) == ["::1", "127.0.0.1"]
    assert _resolve("http://[::1]:9/x", loopback) == ["::1"]
    for url in ("http://10.0.0.8/x", "https://hooks.example.com/x", "http://0.0.0.0/"):
        with pytest.raises(Refused, match="loopback"):
            _resolve(url, loopback, answers=["127.0.0.1"])
    with pytest.raises(Refused, match="loopback"):  # allowing a host lifts the link-local rule, not the policy
        _resolve("http://sneaky.test/", Rules.of("loopback", ("sneaky.test",)), answers=["169.254.169.254"])


def test_targets_are_parsed_into_what_a_delivery_needs() -> None:
    target = parse_target("https://Hooks.Example.com./a b/ü?x=1&y=2#frag")
    assert (target.scheme, target.host, target.port) == ("https", "hooks.example.com", 443)
    assert target.path == "/a%20b/%C3%BC?x=1&y=2" and target.host_header == "hooks.example.com"
    assert parse_target("http://[::1]:8080").host_header == "[::1]:8080"
    assert parse_target("http://127.0.0.1:80/").host_header == "127.0.0.1"
    for url, reason in [("ftp://example.com/", "only http"), ("http:///x", "no host"), ("http://h:99999/", "usable"),
                        ("http://" + "a" * 300 + "/", "longer than 253")]:
        with pytest.raises(Refused, match=reason):
            parse_target(url)

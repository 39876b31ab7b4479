"""Where a webhook may go: the address rules, and the resolution that pins the address a delivery uses.

A webhook URL is chosen by the client, so without rules it would let anyone who can reach the
simulator make it call into the network it runs in. Two classes of address are always refused:
link-local ones (``169.254.0.0/16``, ``fe80::/10``), where cloud metadata services answer with
credentials, and the metadata services' own names and addresses. Every spelling of an address is
read the way a resolver reads it (``2852039166``, ``0xa9fea9fe``, ``0251.0376.0251.0376``,
``::ffff:169.254.169.254``), and an IPv6 address that embeds an IPv4 one is judged by both. A host
named in ``--webhook-allow`` may reach these addresses anyway.

Names are resolved once per attempt, off the event loop, and the delivery connects to the addresses
that were checked: a name that resolves elsewhere a moment later (DNS rebinding) cannot swap them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

MAX_HOST_CHARS = 253  # the longest DNS name; longer hosts are refused before any parsing
METADATA_NAMES = frozenset({
    "metadata.google.internal", "metadata.goog", "metadata",  # Google Cloud
    "instance-data", "instance-data.ec2.internal",  # AWS
})
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(text) for text in (
    "169.254.169.254",  # AWS, Azure, Google Cloud, OpenStack, DigitalOcean (also link-local)
    "169.254.170.2",  # AWS ECS task credentials (also link-local)
    "fd00:ec2::254",  # AWS over IPv6
    "100.100.100.200",  # Alibaba Cloud
    "192.0.0.192",  # Oracle Cloud
    "168.63.129.16",  # Azure wire server
))
NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HEX = re.compile(r"0[xX][0-9a-fA-F]*")
_OCTAL = re.compile(r"0[0-7]+")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_PATH_SAFE = "/?:@!$&'()*+,;=%~-._"


class Refused(Exception):
    """The delivery must not be attempted (not retried either): the reason names the rule."""


@dataclass(frozen=True)
class Target:
    scheme: str  # http or https
    host: str  # lower case, without brackets, IPv6 zone or trailing dot
    port: int
    path: str  # path and query, at least "/"
    host_header: str  # as the receiver expects it: host, and the port when it is not the scheme's
    zone: str = ""  # an IPv6 zone ("%eth0") kept for connecting, never for judging


@dataclass(frozen=True)
class Rules:
    policy: str = "any"  # "any", or "loopback": only loopback addresses
    allow: frozenset[str] = frozenset()  # host names allowed to reach link-local and metadata addresses

    @classmethod
    def of(cls, policy: str, allow: tuple[str, ...] | frozenset[str]) -> Rules:
        return cls(policy, frozenset(_plain_host(host) for host in allow))


def _plain_host(host: str) -> str:
    return host.strip().lower().rstrip(".")


def parse_target(url: str) -> Target:
    """Split a webhook URL into what a delivery needs, or refuse it with the reason."""
    try:
        parts = urlsplit(url)
        port = parts.port
        raw_host = parts.hostname or ""
    except ValueError as error:
        raise Refused(f"not a usable URL ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused("only http and https URLs are delivered")
    host, _, zone = raw_host.partition("%")
    host = _plain_host(host)
    if not host:
        raise Refused("the URL has no host")
    if len(host) > MAX_HOST_CHARS:
        raise Refused(f"the host is longer than {MAX_HOST_CHARS} characters")
    try:
        host.encode("idna")
    except UnicodeError:
        raise Refused("the host is not a valid host name") from None
    default_port = 443 if scheme == "https" else 80
    port = default_port if port is None else port
    shown = f"[{host}]" if ":" in host else host.encode("idna").decode("ascii")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    path = quote(path, safe=_PATH_SAFE)  # spaces and non-ASCII as a browser would send them
    header = shown if port == default_port else f"{shown}:{port}"
    return Target(scheme, host, port, path, header, f"%{zone}" if zone else "")


def _ipv4_part(text: str) -> int | None:
    if _HEX.fullmatch(text):
        return int(text[2:] or "0", 16)
    if _OCTAL.fullmatch(text):
        return int(text, 8)
    if _DECIMAL.fullmatch(text):
        return int(text)
    return None


def _ipv4(host: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address in any spelling a resolver accepts (``inet_aton``): 1 to 4 parts, each decimal,
    octal (leading 0) or hex (0x); the last part fills the bytes that remain."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not 1 <= len(parts) <= 4 or any(len(part) > 12 for part in parts):  # 12: a 32-bit value in octal + "0"
        return None
    numbers = [_ipv4_part(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    *leading, last = [number for number in numbers if number is not None]
    if any(number > 255 for number in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def literal_address(host: str) -> Address | None:
    """The address a host written as an address stands for, or None for a name."""
    host = _plain_host(host).partition("%")[0]
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            return None
    return _ipv4(host)


def _embedded(address: Address) -> list[Address]:
    """The address and every IPv4 address it carries (mapped, compatible, NAT64, 6to4)."""
    found: list[Address] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        value = int(address)
        if address.ipv4_mapped is not None:
            found.append(address.ipv4_mapped)
        elif value >> 32 == 0 and value > 1:  # ::a.b.c.d, deprecated but still routed by some stacks
            found.append(ipaddress.IPv4Address(value))
        if address in NAT64:
            found.append(ipaddress.IPv4Address(value & 0xFFFFFFFF))
        if address.sixtofour is not None:
            found.append(address.sixtofour)
    return found


def refusal(address: Address, host: str, rules: Rules) -> str | None:
    """What ``address`` is that forbids reaching ``host`` there ("a link-local address"), or None."""
    candidates = _embedded(address)
    if rules.policy == "loopback" and not any(a.is_loopback for a in candidates):
        return "not a loopback address, and webhook_policy is loopback"
    if _plain_host(host) in rules.allow:
        return None
    for candidate in candidates:
        if candidate in METADATA_ADDRESSES:
            return "a cloud metadata address; allow the host with --webhook-allow"
        if candidate.is_link_local:
            return "a link-local address; allow the host with --webhook-allow"
    return None


async def system_resolver(host: str, port: int) -> list[str]:
    """The machine's resolver, on a worker thread (``getaddrinfo`` blocks)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def resolve(target: Target, rules: Rules, resolver: Resolver = system_resolver) -> list[str]:
    """The checked addresses to connect to, in the resolver's order. Raises :class:`Refused` when any
    address the host stands for is refused, and ``OSError`` when the name does not resolve."""
    literal = literal_address(target.host)
    if literal is not None:
        reason = refusal(literal, target.host, rules)
        if reason:
            raise Refused(f"{literal} is {reason}")
        mapped = literal.ipv4_mapped if isinstance(literal, ipaddress.IPv6Address) else None
        return [str(mapped or literal) + ("" if mapped else target.zone)]
    if rules.policy == "loopback" and target.host != "localhost":
        raise Refused(f"{target.host} is not a loopback host, and webhook_policy is loopback")
    if target.host in METADATA_NAMES and target.host not in rules.allow:
        raise Refused(f"{target.host} is a cloud metadata service; allow the host with --webhook-allow")
    resolved = await resolver(target.host, target.port)
    addresses: list[str] = []
    for text in resolved:
        plain = text.partition("%")[0]  # a zone stays in the address connected to
        try:
            address = ipaddress.ip_address(plain)
        except ValueError:
            raise Refused(f"the resolver answered {text[:64]!r}, not an address") from None
        reason = refusal(address, target.host, rules)
        if reason:
            raise Refused(f"{target.host} resolves to {address}, {reason}")
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise OSError(f"{target.host} resolves to no address")
    return addresses

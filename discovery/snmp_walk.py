"""Devices behind routers: MACs from the SNMP tables of routers and switches the user names
(method ``routers``, ``camaudit scan --snmp-router ADDR``).

An ARP sweep sees only its own segment; a camera one router hop away shows its IP but never
its MAC, so its OUI (the strongest maker evidence a silent device gives) is lost.  The
router knows it: its neighbour table maps every on-link IP to a MAC.  So does a switch's
forwarding database, per port.  These tables are read, never changed:

- ``ipNetToPhysicalTable`` (IP-MIB, RFC 4293, 1.3.6.1.2.1.4.35): IPv4 and IPv6 neighbours;
- ``ipNetToMediaTable`` (RFC 1213 / IP-MIB, 1.3.6.1.2.1.4.22): IPv4 ARP, what older agents
  have (both are read and merged: many agents fill only one);
- ``dot1dTpFdbTable`` (BRIDGE-MIB, RFC 4188, 1.3.6.1.2.1.17.4.3) and ``dot1qTpFdbTable``
  (Q-BRIDGE-MIB, RFC 4363, 1.3.6.1.2.1.17.7.1.2.2): MACs a switch learned, per port.

Each neighbour inside the scan's targets becomes an observation ``ip`` + ``mac`` with
``method="snmp-arp"`` and ``snmp.router`` (who said so), merged by IP into what the other
methods find; a forwarding-database MAC has no IP (``method="snmp-fdb"``, ``snmp.switch``,
``snmp.bridge_port``).  The router's own system group is read too.

Walks are bounded, whatever the agent does: GETBULK (GETNEXT for SNMPv1) column by column,
at most :data:`MAX_ROWS` rows per column; an OID that does not increase ends the walk with a
``walk_loop`` problem (RFC 3416 section 4.2.2 requires lexicographic order, and an agent
that answers the same OID forever would otherwise loop forever); every request has its
deadline (discovery/snmp.py) and the scan bounds the whole method.  Parsing (the pure
functions) is apart from I/O; they take :class:`~discovery.snmp.Varbind` lists.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from core.model import Observation, Problem, normalize_mac
from discovery.base import Network, ProbeContext, SnmpCredential
from discovery.snmp import (
    NO_SUCH_NAME,
    Oid,
    SnmpClient,
    SnmpError,
    Varbind,
    oid_text,
    query,
)
from discovery.targets import TargetError, interface_addresses, interface_addresses6

log = logging.getLogger(__name__)

MAX_ROWS = 16384  # per column walk: a large campus core; an endless agent stops here
ROUTER_ROWS_FACTOR = 4  # all columns of one router together: 4 x MAX_ROWS rows at most
BULK_REPETITIONS = 25  # rows per GETBULK: a reply stays well inside one 1500-byte frame... mostly
MAX_IPS_PER_MAC = 2  # a camera may carry a second address; more is a proxy (shared_macs)
ARP_METHOD = "snmp-arp"
FDB_METHOD = "snmp-fdb"

# IP-MIB ipNetToPhysicalEntry columns (index: ifIndex, address type, address)
PHYS_ADDRESS: Oid = (1, 3, 6, 1, 2, 1, 4, 35, 1, 4)
PHYS_TYPE: Oid = (1, 3, 6, 1, 2, 1, 4, 35, 1, 6)
PHYS_STATE: Oid = (1, 3, 6, 1, 2, 1, 4, 35, 1, 7)
# ipNetToMediaEntry columns (index: ifIndex, IPv4 address)
MEDIA_ADDRESS: Oid = (1, 3, 6, 1, 2, 1, 4, 22, 1, 2)
MEDIA_TYPE: Oid = (1, 3, 6, 1, 2, 1, 4, 22, 1, 4)
# dot1dTpFdbEntry (index: MAC) and dot1qTpFdbEntry (index: FDB id, MAC) columns
DOT1D_PORT: Oid = (1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 2)
DOT1D_STATUS: Oid = (1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 3)
DOT1Q_PORT: Oid = (1, 3, 6, 1, 2, 1, 17, 7, 1, 2, 2, 1, 2)
DOT1Q_STATUS: Oid = (1, 3, 6, 1, 2, 1, 17, 7, 1, 2, 2, 1, 3)

_INVALID_TYPE = 2  # ipNetToPhysicalType / ipNetToMediaType invalid(2)
_LOCAL_TYPE = 5  # ipNetToPhysicalType local(5): the router's own address
_UNUSABLE_STATE = frozenset({5, 7})  # ipNetToPhysicalState invalid(5), incomplete(7)
_LEARNED = 3  # dot1dTpFdbStatus / dot1qTpFdbStatus learned(3)

Fetch = Callable[[Oid], Awaitable[list[Varbind]]]


class WalkLoop(SnmpError):
    """The agent answered an OID that does not follow the one asked for."""

    def __init__(self, message: str) -> None:
        super().__init__("walk_loop", message)


@dataclass(frozen=True, slots=True)
class Neighbour:
    ip: str
    mac: str
    ifindex: int


@dataclass(frozen=True, slots=True)
class FdbEntry:
    mac: str
    port: int


@dataclass
class Walk:
    rows: list[Varbind]
    truncated: bool = False


# ---------------------------------------------------------------- walking (no sockets)


def under(oid: Oid, root: Oid) -> bool:
    return len(oid) > len(root) and oid[: len(root)] == root


async def walk(fetch: Fetch, root: Oid, max_rows: int = MAX_ROWS) -> Walk:
    """Every object under ``root``, in order, asking ``fetch`` for the ones after the last.

    Stops at the end of the subtree, at endOfMibView, at an empty reply, or after
    ``max_rows`` rows (``truncated``); raises :class:`WalkLoop` when the agent answers an
    OID that is not greater than the one asked after (an endless walk otherwise).
    """
    out = Walk([])
    current = root
    while True:
        batch = await fetch(current)
        if not batch:
            return out
        for vb in batch:
            if vb.kind == "end" or not under(vb.oid, root):
                return out
            if vb.oid <= current:
                raise WalkLoop(
                    f"the agent answered {oid_text(vb.oid)} after {oid_text(current)}: OIDs "
                    "must increase (RFC 3416); the walk was stopped"
                )
            if len(out.rows) >= max_rows:
                out.truncated = True
                return out
            out.rows.append(vb)
            current = vb.oid


def fetcher(client: SnmpClient, ip: str, cred: SnmpCredential) -> Fetch:
    """GETBULK from ``oid`` on (SNMPv2c/v3), GETNEXT on SNMPv1 (which has no GETBULK)."""

    async def fetch(oid: Oid) -> list[Varbind]:
        if cred.version != "1":
            return await client.bulk(ip, cred, [oid], BULK_REPETITIONS)
        try:
            return await client.next(ip, cred, [oid])
        except SnmpError as exc:
            if exc.kind == "refused" and exc.status == NO_SUCH_NAME:
                return []  # RFC 1157: a GETNEXT past the last object gets noSuchName
            raise

    return fetch


# ---------------------------------------------------------------- tables (pure)


def _by_index(rows: Iterable[Varbind], column: Oid) -> dict[Oid, Varbind]:
    return {vb.oid[len(column) :]: vb for vb in rows if under(vb.oid, column)}


def _int(vb: Varbind | None) -> int | None:
    return vb.value if vb is not None and vb.kind == "int" and isinstance(vb.value, int) else None


def _unicast_mac(vb: Varbind | None) -> str | None:
    if vb is None or vb.kind != "octets" or not isinstance(vb.value, bytes):
        return None
    if len(vb.value) != 6 or vb.value[0] & 0x01:  # not Ethernet, or a multicast MAC
        return None
    return normalize_mac(vb.value.hex())


def _inet(address_type: int, octets: Sequence[int]) -> str | None:
    """An InetAddress index part as text (zones of ipv4z/ipv6z dropped); None if unusable."""
    raw = bytes(octets) if all(0 <= o < 256 for o in octets) else b""
    if address_type in (1, 3) and len(raw) in (4, 8):  # ipv4, ipv4z (+ 4-octet zone)
        return str(ipaddress.IPv4Address(raw[:4]))
    if address_type in (2, 4) and len(raw) in (16, 20):  # ipv6, ipv6z
        addr = ipaddress.IPv6Address(raw[:16])
        # A link-local neighbour is reachable only on the router's own link.
        return None if addr.is_link_local else str(addr)
    return None


def physical_neighbours(
    addresses: Iterable[Varbind], types: Iterable[Varbind], states: Iterable[Varbind]
) -> list[Neighbour]:
    """ipNetToPhysicalTable rows: index = ifIndex . addressType . length . octets."""
    kinds, status = _by_index(types, PHYS_TYPE), _by_index(states, PHYS_STATE)
    out = []
    for index, vb in _by_index(addresses, PHYS_ADDRESS).items():
        if len(index) < 3 or index[2] != len(index) - 3:
            continue  # not an index this table can have: ignore the row, keep the rest
        ip = _inet(index[1], index[3:])
        mac = _unicast_mac(vb)
        kind, state = _int(kinds.get(index)), _int(status.get(index))
        if ip is None or mac is None or kind in (_INVALID_TYPE, _LOCAL_TYPE):
            continue
        if state in _UNUSABLE_STATE:
            continue
        out.append(Neighbour(ip, mac, index[0]))
    return out


def media_neighbours(addresses: Iterable[Varbind], types: Iterable[Varbind]) -> list[Neighbour]:
    """ipNetToMediaTable rows: index = ifIndex . a . b . c . d."""
    kinds = _by_index(types, MEDIA_TYPE)
    out = []
    for index, vb in _by_index(addresses, MEDIA_ADDRESS).items():
        if len(index) != 5 or not all(0 <= o < 256 for o in index[1:]):
            continue
        mac = _unicast_mac(vb)
        if mac is None or _int(kinds.get(index)) == _INVALID_TYPE:
            continue
        out.append(Neighbour(str(ipaddress.IPv4Address(bytes(index[1:]))), mac, index[0]))
    return out


def fdb_entries(
    ports: Iterable[Varbind], statuses: Iterable[Varbind], port_column: Oid, status_column: Oid
) -> list[FdbEntry]:
    """Learned MACs of a forwarding database: the MAC is the index's last six parts
    (dot1d: MAC; dot1q: FDB id . MAC)."""
    status = _by_index(statuses, status_column)
    out = []
    for index, vb in _by_index(ports, port_column).items():
        if len(index) < 6 or not all(0 <= o < 256 for o in index[-6:]):
            continue
        if _int(status.get(index)) != _LEARNED or index[-6] & 0x01:
            continue
        mac = normalize_mac(bytes(index[-6:]).hex())
        port = _int(vb)
        if mac and port is not None:
            out.append(FdbEntry(mac, port))
    return out


def merge_neighbours(*tables: Iterable[Neighbour]) -> list[Neighbour]:
    """One row per (IP, MAC), first table first."""
    seen: dict[tuple[str, str], Neighbour] = {}
    for table in tables:
        for row in table:
            seen.setdefault((row.ip, row.mac), row)
    return list(seen.values())


def in_scope(ip: str, networks: Sequence[Network], own: Iterable[str] = ()) -> bool:
    """Inside the scan's targets and not one of the scanner's own addresses."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if ip in set(own):
        return False
    return any(addr.version == n.version and addr in n for n in networks)


def shared_macs(rows: Iterable[Neighbour]) -> set[str]:
    """MACs that answer for more IPv4 addresses than one box plausibly has: a proxy-ARP
    router or firewall, whose MAC names none of the devices behind it."""
    ips: dict[str, set[str]] = {}
    for row in rows:
        if ":" not in row.ip:
            ips.setdefault(row.mac, set()).add(row.ip)
    return {mac for mac, found in ips.items() if len(found) > MAX_IPS_PER_MAC}


def neighbour_observation(router: str, row: Neighbour, shared: bool = False) -> Observation:
    """``ip`` + ``mac`` from the router; with ``shared``, the MAC is kept only as
    ``snmp.shared_mac`` (it is a proxy's, not the device's own)."""
    fields = {"ip": row.ip, "snmp.router": router}
    fields |= {"snmp.shared_mac": row.mac} if shared else {"mac": row.mac}
    return Observation(source="routers", fields=fields, method=ARP_METHOD)


def fdb_observation(switch: str, row: FdbEntry) -> Observation:
    fields = {"mac": row.mac, "snmp.switch": switch, "snmp.bridge_port": str(row.port)}
    return Observation(source="routers", fields=fields, method=FDB_METHOD)


# ---------------------------------------------------------------- reading one router


@dataclass
class TableRead:
    """What the column walks of one router gave, and what stopped them."""

    columns: dict[Oid, list[Varbind]]
    problems: list[Problem]


@dataclass
class RowBudget:
    """Rows one router may still give across all its columns (an endless agent would
    otherwise cost every column's full limit)."""

    left: int


async def read_columns(
    fetch: Fetch,
    router: str,
    columns: Sequence[Oid],
    max_rows: int = MAX_ROWS,
    budget: RowBudget | None = None,
) -> TableRead:
    """Walk each column; a failed walk costs that column (recorded), never the others,
    except a silent agent: after a timeout the rest is not asked (it would only wait)."""
    out = TableRead({}, [])
    budget = budget or RowBudget(ROUTER_ROWS_FACTOR * max_rows)
    for column in columns:
        if budget.left <= 0:
            out.problems.append(_cut(router, f"its row budget is spent; {oid_text(column)}"))
            break
        limit = min(max_rows, budget.left)
        try:
            result = await walk(fetch, column, limit)
        except SnmpError as exc:
            text = str(exc) if str(exc).startswith(router) else f"{router}: {exc}"
            out.problems.append(Problem("routers", exc.kind, text, ip=router))
            if exc.kind in ("timeout", "parse", "bad_credentials", "unreachable"):
                break
            continue
        budget.left -= len(result.rows)
        out.columns[column] = result.rows
        if result.truncated:
            out.problems.append(_cut(router, f"{oid_text(column)} has more than {limit} rows;"))
    return out


def _cut(router: str, what: str) -> Problem:
    return Problem("routers", "truncated", f"{router}: {what} read the first ones only", ip=router)


def neighbours_of(read: TableRead) -> list[Neighbour]:
    col = read.columns.get
    return merge_neighbours(
        physical_neighbours(col(PHYS_ADDRESS, []), col(PHYS_TYPE, []), col(PHYS_STATE, [])),
        media_neighbours(col(MEDIA_ADDRESS, []), col(MEDIA_TYPE, [])),
    )


def fdb_of(read: TableRead) -> list[FdbEntry]:
    col = read.columns.get
    seen: dict[str, FdbEntry] = {}
    for ports, statuses in ((DOT1Q_PORT, DOT1Q_STATUS), (DOT1D_PORT, DOT1D_STATUS)):
        for row in fdb_entries(col(ports, []), col(statuses, []), ports, statuses):
            seen.setdefault(row.mac, row)
    return list(seen.values())


ARP_COLUMNS = (PHYS_ADDRESS, PHYS_TYPE, PHYS_STATE, MEDIA_ADDRESS, MEDIA_TYPE)
FDB_COLUMNS = (DOT1Q_PORT, DOT1Q_STATUS, DOT1D_PORT, DOT1D_STATUS)


async def read_router(
    client: SnmpClient,
    router: str,
    cred: SnmpCredential,
    networks: Sequence[Network],
    own: Sequence[str] = (),
    max_rows: int = MAX_ROWS,
) -> AsyncIterator[Observation | Problem]:
    """The router's system group, then its neighbours inside ``networks``, then its FDB."""
    system = await query(client, router, cred)
    yield system
    if isinstance(system, Problem) and system.kind in ("timeout", "parse", "bad_credentials"):
        return  # it did not answer a plain GET: walking would only wait for the same
    fetch = fetcher(client, router, cred)
    budget = RowBudget(ROUTER_ROWS_FACTOR * max_rows)
    arp = await read_columns(fetch, router, ARP_COLUMNS, max_rows, budget)
    for problem in arp.problems:
        yield problem
    rows = neighbours_of(arp)
    inside = [row for row in rows if in_scope(row.ip, networks, own)]
    log.info("router %s: %d neighbours, %d inside the targets", router, len(rows), len(inside))
    shared = shared_macs(rows)
    for mac in sorted(shared):
        count = sum(1 for row in rows if row.mac == mac)
        yield Problem(
            "routers",
            "shared_mac",
            f"{router}: MAC {mac} answers for {count} addresses (proxy ARP or a next router?); "
            "not taken as the MAC of any of them",
            ip=router,
        )
    for row in inside:
        yield neighbour_observation(router, row, row.mac in shared)
    fdb = await read_columns(fetch, router, FDB_COLUMNS, max_rows, budget)
    for problem in fdb.problems:
        yield problem
    for entry in fdb_of(fdb):
        yield fdb_observation(router, entry)


async def own_addresses(interface: str | None) -> list[str]:
    """The scanner's addresses: a router lists us among its neighbours; we are no device."""
    if not interface:
        return []
    try:
        four = await asyncio.to_thread(interface_addresses, interface)
        six = await asyncio.to_thread(interface_addresses6, interface)
    except TargetError:
        return []
    return [str(a.ip) for a in four] + [str(a).partition("%")[0] for a in six]


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """Read the tables of every router in ``ctx.routers`` with the user's SNMP credentials."""
    if not ctx.routers:
        return
    own = await own_addresses(ctx.interface)
    async with SnmpClient(ctx.timeout) as client:
        for router in ctx.routers:
            cred = ctx.snmp_credentials(router)
            if cred is None:
                yield Problem(
                    "routers",
                    "no_credentials",
                    f"router {router}: no [[snmp]] entry in the credentials file covers it, so "
                    "it was not asked (camaudit never guesses a community)",
                    ip=router,
                )
                continue
            async for item in read_router(client, router, cred, ctx.networks, own):
                yield item
            ctx.on_host_done(router)

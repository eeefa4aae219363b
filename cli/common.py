"""Arguments several commands share: the site profile and the policy packs to judge with."""

from __future__ import annotations

import argparse
import datetime as dt

from core.model import Organisation, SiteProfile, SiteUse, normalize_jurisdiction


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def add_site_args(parser: argparse.ArgumentParser, *, date: bool = False) -> None:
    """--policy, --site-use, --jurisdiction, --organisation (and --date when ``date``)."""
    parser.add_argument(
        "--policy",
        action="append",
        default=[],
        metavar="ID",
        help="policy pack to judge against (repeatable; default: every built-in and user pack)",
    )
    parser.add_argument(
        "--site-use",
        action="append",
        default=[],
        choices=[u.value for u in SiteUse],
        metavar="USE",
        help="what the site is used for (repeatable; default general_commercial): "
        + ", ".join(u.value for u in SiteUse),
    )
    parser.add_argument(
        "--jurisdiction",
        action="append",
        default=[],
        metavar="CODE",
        help="where the site is (repeatable, ISO 3166 codes: us, us-la, gb (uk), au, ca, ca-qc; "
        "default us)",
    )
    parser.add_argument(
        "--organisation",
        choices=[o.value for o in Organisation],
        metavar="KIND",
        help="who runs the site; a policy that does not bind it gives 'not applicable' "
        "(default: not declared, every pack in the jurisdiction is judged): "
        + ", ".join(o.value for o in Organisation),
    )
    if date:
        parser.add_argument(
            "--date",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="assessment date for catalogue links and policies (default: today, UTC)",
        )


def add_site_name_arg(parser: argparse.ArgumentParser) -> None:
    """--site NAME: which site a scan or import belongs to (one inventory, many sites)."""
    parser.add_argument(
        "--site",
        default="",
        metavar="NAME",
        help="the site (building, campus) this scan belongs to; history, diff and reports "
        "can then be read per site (default: the unnamed site)",
    )


def db_arg_type(text: str) -> object:
    """--db: a SQLite file path, or a postgresql:// URL (passwords never in it)."""
    from inventory.backend import db_target  # noqa: PLC0415

    return db_target(text)


DB_HELP = (
    "inventory database: a SQLite file, or postgresql://USER@HOST:PORT/DBNAME (also "
    "postgresql:///DBNAME?host=/socket/dir); the password comes from ~/.pgpass, $PGPASSFILE, "
    "the OS keyring (service camaudit, user postgresql:USER@HOST:PORT/DBNAME) or a prompt, "
    "never from the URL (default: $CAMAUDIT_DB or the user data folder)"
)


def site_from_args(args: argparse.Namespace) -> SiteProfile:
    """The SiteProfile the site arguments describe (defaults where a value is absent)."""
    base = SiteProfile()
    uses = tuple(SiteUse(u) for u in args.site_use) or base.uses
    places = tuple(normalize_jurisdiction(j) for j in args.jurisdiction if j.strip())
    places = places or base.jurisdictions
    when = getattr(args, "date", None) or base.assessment_date
    org = Organisation(args.organisation) if args.organisation else None
    return SiteProfile(uses=uses, jurisdictions=places, assessment_date=when, organisation=org)

"""Bench data: one tenant (en, de), one API client and N segments, inserted set-based.

The tenant and the client go through the operator CLI (the documented way to make them); the
segments are generated in memory and written with one bulk INSERT in one transaction, which
takes about a second for 10,000 rows instead of minutes of HTTP calls.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

TENANT = "benchco"
LANGUAGES = ("en", "de")
MAIN_SITE = "main"
OTHER_SITES = ("b2b", "outlet", "ch", "at")
SCOPES = ("customersegment.segment_read", "customersegment.segment_manage")
CAMPAIGN_SCHEMA = "https://res.cloudinary.com/saas-ag/raw/upload/schemata/segmentCampaign_v1.json"

# (English, German) pairs; a name is qualifier + audience + place, in the same order in both.
QUALIFIERS = (
    ("Loyal", "Treue"),
    ("New", "Neue"),
    ("Lapsed", "Inaktive"),
    ("High-value", "Umsatzstarke"),
    ("Frequent", "Häufige"),
    ("Seasonal", "Saisonale"),
    ("Wholesale", "Großhandels-"),
    ("VIP", "VIP-"),
    ("Bargain-hunting", "Schnäppchenjagende"),
    ("Eco-minded", "Umweltbewusste"),
    ("First-time", "Erstmalige"),
    ("Returning", "Wiederkehrende"),
)
AUDIENCES = (
    ("customers", "Kunden"),
    ("shoppers", "Käufer"),
    ("buyers", "Einkäufer"),
    ("members", "Mitglieder"),
    ("newsletter subscribers", "Newsletter-Abonnenten"),
    ("trade accounts", "Geschäftskunden"),
    ("app users", "App-Nutzer"),
)
PLACES = (
    ("in Bavaria", "in Bayern"),
    ("in Berlin", "in Berlin"),
    ("in Hamburg", "in Hamburg"),
    ("in Austria", "in Österreich"),
    ("in Switzerland", "in der Schweiz"),
    ("in the Rhineland", "im Rheinland"),
    ("in Saxony", "in Sachsen"),
    ("near the Alps", "im Alpenraum"),
    ("across Europe", "europaweit"),
    ("online only", "nur online"),
)
BEHAVIOURS = (
    ("ordered at least three times this year", "in diesem Jahr mindestens dreimal bestellt haben"),
    ("left a cart in the last 30 days", "in den letzten 30 Tagen einen Warenkorb verlassen haben"),
    ("spent more than 1,000 EUR", "mehr als 1.000 EUR ausgegeben haben"),
    ("opened the last two newsletters", "die letzten beiden Newsletter geöffnet haben"),
    ("have not ordered for six months", "seit sechs Monaten nicht bestellt haben"),
    ("bought from the spring collection", "aus der Frühjahrskollektion gekauft haben"),
)
CHANNELS = ("email", "sms", "push", "onsite")


@dataclass(frozen=True)
class Seeded:
    tenant: str
    client_id: str
    client_secret: str
    segment_ids: list[str]
    main_site_count: int


def run_cli(env: dict[str, str], *args: str) -> str:
    """`flask --app wsgi ARGS` with the bench environment; returns stdout, raises on failure."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stderr or done.stdout}"
        )
    return done.stdout


def _localized(pair: tuple[str, str]) -> dict[str, str]:
    return dict(zip(LANGUAGES, pair, strict=True))


def _segment_id(rng: random.Random, index: int, name_en: str) -> str:
    """Mostly generated-style ids (24 hex), some readable custom ids as operators choose them."""
    if index % 10 == 0:
        slug = "-".join(name_en.lower().replace("-", " ").split()[:3])
        return f"{slug}-{index:05d}"
    return f"{rng.getrandbits(96):024x}"


def segment_rows(tenant_id: int, count: int, seed: int = 20250101) -> list[dict]:
    """`count` segment rows; exactly ceil(count / 3) of them on site `main`, spread randomly."""
    rng = random.Random(seed)
    sites = [MAIN_SITE if i % 3 == 0 else rng.choice(OTHER_SITES) for i in range(count)]
    rng.shuffle(sites)
    now = datetime.now(UTC).replace(microsecond=0)
    rows = []
    for index, site in enumerate(sites):
        qualifier, audience, place = (
            rng.choice(QUALIFIERS),
            rng.choice(AUDIENCES),
            rng.choice(PLACES),
        )
        name = _localized(
            (
                f"{qualifier[0]} {audience[0]} {place[0]}",
                f"{qualifier[1]} {audience[1]} {place[1]}",
            )
        )
        description = None
        if rng.random() < 0.5:
            behaviour = rng.choice(BEHAVIOURS)
            description = _localized(
                (
                    f"{audience[0].capitalize()} who {behaviour[0]}.",
                    f"{audience[1]}, die {behaviour[1]}.",
                )
            )
        valid_from = now - timedelta(days=rng.randint(1, 300)) if rng.random() < 0.4 else None
        valid_to = now + timedelta(days=rng.randint(30, 400)) if rng.random() < 0.2 else None
        mixins = metadata_mixins = None
        if rng.random() < 0.3:
            mixins = {
                "segmentCampaign": {
                    "channel": rng.choice(CHANNELS),
                    "budget": rng.randrange(500, 50_000, 250),
                    "owner": rng.choice(("crm-team", "growth", "emea-marketing")),
                }
            }
            metadata_mixins = {"segmentCampaign": CAMPAIGN_SCHEMA}
        created = now - timedelta(days=rng.randint(1, 365), seconds=rng.randint(0, 86_399))
        rows.append(
            {
                "tenant_id": tenant_id,
                "id": _segment_id(rng, index, name["en"]),
                "name": name,
                "description": description,
                "status": "ACTIVE" if rng.random() < 0.7 else "INACTIVE",
                "site_code": site,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "mixins": mixins,
                "metadata_mixins": metadata_mixins,
                "version": rng.randint(1, 5),
                "created_at": created,
                "modified_at": created + timedelta(days=rng.randint(0, 30)),
            }
        )
    return rows


def seed(database_url: str, env: dict[str, str], count: int) -> Seeded:
    """Migrate the empty database at `database_url`, then fill it (see the module docstring)."""
    run_cli(env, "db", "upgrade")
    run_cli(env, "tenants", "create", TENANT, "--languages", ",".join(LANGUAGES))
    scope_args = [arg for scope in SCOPES for arg in ("--scope", scope)]
    created = json.loads(
        run_cli(env, "api-clients", "create", "--tenant", TENANT, "--name", "bench", *scope_args)
    )

    # Imported here: the driver only needs the app for this step.
    from sqlalchemy import func, insert, select, text

    from segments_app import create_app
    from segments_app.extensions import db
    from segments_app.models import Segment, Tenant

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        try:
            tenant_id = db.session.scalar(select(Tenant.id).where(Tenant.name == TENANT))
            rows = segment_rows(tenant_id, count)
            db.session.execute(insert(Segment), rows)
            db.session.commit()
            # Planner statistics, as autovacuum (or a routine ANALYZE on SQLite) would have them.
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            main_count = db.session.scalar(
                select(func.count()).where(
                    Segment.tenant_id == tenant_id, Segment.site_code == MAIN_SITE
                )
            )
        finally:
            db.session.remove()
            db.engine.dispose()
    return Seeded(
        tenant=TENANT,
        client_id=created["client_id"],
        client_secret=created["client_secret"],
        segment_ids=[row["id"] for row in rows],
        main_site_count=main_count,
    )

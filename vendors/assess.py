"""assess(): the one way a device is identified and judged, for every caller.

The live scan, the importer, ``camaudit identify``, the GUI and the report all go through
:class:`Assessor`: identity on the site's assessment date, then one verdict per policy pack
that was asked for.  Packs are loaded once per assessor; what failed to load is kept in
``problems`` for the caller to show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from core.model import Device, EvidenceValue, Identity, Problem, SiteProfile, Verdict
from vendors.identify import identify
from vendors.judge import judge_all
from vendors.policies import Policy, load_policies

JUDGED_CACHE = 4096  # identities whose verdicts are kept for the devices that follow


class UnknownPolicyError(ValueError):
    """Policy packs were asked for by id and none of them could be loaded."""


@dataclass(frozen=True, slots=True)
class Assessment:
    """Who made a device and how each policy pack judges it."""

    identity: Identity
    verdicts: dict[str, Verdict] = field(default_factory=dict)


class Assessor:
    """Identity and verdicts under one site profile and one set of policy packs.

    ``policies``: pack ids to judge with (empty: every built-in and user pack; None: identify
    only, no verdicts).  ``packs`` gives already-loaded packs instead (then ``policies`` is
    ignored).  Raises :class:`UnknownPolicyError` when ids were given and none loaded.
    """

    def __init__(
        self,
        site: SiteProfile,
        policies: Sequence[str] | None = (),
        *,
        packs: Sequence[Policy] | None = None,
    ) -> None:
        self.site = site
        self.problems: list[str] = []
        if packs is not None:
            self.packs: tuple[Policy, ...] = tuple(packs)
        elif policies is None:
            self.packs = ()
        else:
            loaded = load_policies(list(policies) or None)
            self.problems = [str(e) for e in loaded.errors]
            if policies and not loaded.packs:
                raise UnknownPolicyError(
                    f"none of the policy packs {list(policies)} loaded: {'; '.join(self.problems)}"
                )
            self.packs = tuple(loaded.packs)
        self.judging = packs is not None or policies is not None
        self._verdicts: dict[Identity, Mapping[str, Verdict]] = {}

    @property
    def on(self) -> dt.date:
        """The date catalogue links and policy entries are read for."""
        return self.site.assessment_date

    @property
    def policy_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.packs)

    def load_problems(self) -> list[Problem]:
        """The packs that failed to load, as the problems a scan records."""
        return [Problem("policy", "load", f"policy pack not loaded: {p}") for p in self.problems]

    def evaluate(self, evidence: Device | Mapping[str, EvidenceValue]) -> Assessment:
        """The assessment of a device or of a flat evidence record."""
        identity = identify(evidence, on=self.on)
        if not self.judging:
            return Assessment(identity)
        return Assessment(identity, dict(self._judge(identity)))

    def _judge(self, identity: Identity) -> Mapping[str, Verdict]:
        # Judging reads neither the serial nor the firmware field (firmware that told the
        # maker is among the reasons), so devices that differ only there share verdicts: a
        # fleet of one model is judged once, and the store keeps one copy of them.
        key = replace(identity, serial=None, firmware=None)
        verdicts = self._verdicts.get(key)
        if verdicts is None:
            if len(self._verdicts) >= JUDGED_CACHE:
                self._verdicts.clear()
            verdicts = self._verdicts[key] = judge_all(identity, self.packs, self.site)
        return verdicts

    def assess(self, device: Device) -> Device:
        """Set ``device.identity`` and ``device.verdicts`` in place; return the device."""
        result = self.evaluate(device)
        device.identity, device.verdicts = result.identity, result.verdicts
        return device

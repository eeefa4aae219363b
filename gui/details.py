"""Device details: who made it and why we think so, every piece of evidence, each verdict.

The HTML is built by pure functions (``identity_html`` ...) so it is tested without
widgets; the widget only shows it.  Every value that came from a device is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from core import presentation
from core.model import Device, Identity, Reason, Verdict


def _e(value: object) -> str:
    if isinstance(value, tuple):
        value = ", ".join(str(v) for v in value)
    return html.escape("" if value is None else str(value))


def identity_html(dev: Device, names: Mapping[str, str] | None = None) -> str:
    ident = dev.identity
    rows: list[tuple[str, str | None]] = [
        ("Device", dev.key),
        ("IP", ", ".join(dev.ips)),
        ("MAC", dev.mac),
    ]
    if dev.mac_method:
        rows.append(("MAC from", dev.mac_method))
    parts = []
    if ident:
        who = presentation.identity_sentence(ident.maker, ident.brand, ident.relationship, names)
        parts.append(f"<h2>{_e(who)}</h2>")
        rows += [("Model", ident.model), ("Firmware", ident.firmware), ("Serial", ident.serial),
                 ("Confidence", f"{ident.confidence:.0%}"),
                 ("Components", ", ".join(ident.component_flags))]  # fmt: skip
    else:
        parts.append("<h2>Not identified yet</h2>")
    table = "".join(f"<tr><th align=left>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows if v)
    parts.append(f"<table cellspacing=2>{table}</table>")
    return "".join(parts)


def reasons_html(identity: Identity | None) -> str:
    if identity is None or not (identity.reasons or identity.conflicts):
        return "<h3>Evidence chain</h3><p>No identifying evidence.</p>"
    head = "<tr><th>Field</th><th>Value</th><th>Rule</th><th>Weight</th><th>Says</th></tr>"

    def rows(reasons: tuple[Reason, ...]) -> str:
        out = []
        for r in reasons:
            says = r.detail or (f"points to {r.indicates}" if r.indicates else "")
            out.append(f"<tr><td>{_e(r.field)}</td><td>{_e(r.value)}</td><td>{_e(r.rule)}</td>"
                       f"<td align=right>{r.weight:.2f}</td><td>{_e(says)}</td></tr>")  # fmt: skip
        return "".join(out)

    text = f"<h3>Evidence chain</h3><table border=1 cellspacing=0 cellpadding=3>{head}"
    text += rows(identity.reasons) + "</table>"
    if identity.conflicts:
        text += "<h3>Conflicting evidence</h3><table border=1 cellspacing=0 cellpadding=3>"
        text += head + rows(identity.conflicts) + "</table>"
    return text


def verdicts_html(
    verdicts: Mapping[str, Verdict], policy_names: Mapping[str, str] | None = None
) -> str:
    """Each verdict under its policy's display name (``policy_names``: id -> name), most
    severe first; a pack that does not bind the site reads "Not applicable" with why."""
    if not verdicts:
        return "<h3>Verdicts</h3><p>No policy applied.</p>"
    out = ["<h3>Verdicts</h3>"]
    ranked = sorted(verdicts.items(), key=lambda kv: (presentation.rank(kv[1].status), kv[0]))
    for policy, v in ranked:
        st = presentation.style(v.status)
        name = presentation.display_name(policy, policy_names)
        out.append(
            f"<p><b title='{_e(policy)}'>{_e(name)}</b>: "
            f"<span style='background:{st.colour};color:{st.text_colour}'>"
            f"&nbsp;{_e(st.label)}&nbsp;</span><br><i>{_e(st.explanation)}</i></p><ul>"
        )
        out.extend(f"<li>{_e(r)}</li>" for r in v.reasons)
        out.append("</ul>")
        for c in v.citations:
            link = f"<a href='{_e(c.url)}'>{_e(c.title)} {_e(c.clause)}</a>"
            out.append(f"<p>Citation: {link} ({_e(c.date)})</p>")
    return "".join(out)


def evidence_html(dev: Device) -> str:
    head = "<tr><th>Field</th><th>Value</th><th>Source</th><th>Seen</th></tr>"
    rows = "".join(
        f"<tr><td>{_e(i.field)}</td><td>{_e(i.value)}</td><td>{_e(i.source)}</td>"
        f"<td>{_e(i.seen_at.strftime('%H:%M:%S'))}</td></tr>"
        for i in dev.evidence
    )
    errors = "".join(
        f"<li><b>{_e(e.source)}</b> ({_e(e.kind)}): {_e(e.message)}</li>" for e in dev.errors
    )
    text = f"<h3>Raw evidence</h3><table border=1 cellspacing=0 cellpadding=3>{head}{rows}</table>"
    if errors:
        text += f"<h3>Problems met</h3><ul>{errors}</ul>"
    return text


def device_html(
    dev: Device,
    names: Mapping[str, str] | None = None,
    policy_names: Mapping[str, str] | None = None,
) -> str:
    return (identity_html(dev, names) + verdicts_html(dev.verdicts, policy_names)
            + reasons_html(dev.identity) + evidence_html(dev))  # fmt: skip


class DeviceDetails(QWidget):
    """Shows one device; links (citations) open in the system browser.

    Signals:
        none; the disposition editor lives beside it (gui/dispositions.py).
    """

    cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(True)
        self.browser.setObjectName("deviceDetails")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        self.names: dict[str, str] = {}  # catalogue id -> display name (makers, brands)
        self.policy_names: dict[str, str] = {}  # policy id -> display name ("NDAA §889")
        self.show_device(None)

    def show_device(self, dev: Device | None) -> None:
        if dev is None:
            self.browser.setHtml("<p>Select a device to see who made it and why.</p>")
            self.cleared.emit()
            return
        self.browser.setHtml(device_html(dev, self.names, self.policy_names))

    def text(self) -> str:
        return self.browser.toPlainText()

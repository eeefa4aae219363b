"""The scan panel: where to look, how, in which context, under which policies.

It only collects choices into a :class:`discovery.request.ScanRequest` (the one the command
line builds too); starting the scan is the main window's job.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import psutil
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.model import Organisation, SiteProfile, SiteUse
from core.presentation import ORGANISATION_LABELS
from discovery.methods import BY_NAME, SCAN_METHODS
from discovery.request import ScanRequest
from discovery.targets import TargetError, parse_targets
from gui.util import named

METHOD_COLUMNS = 4  # method boxes per row

# Checked at first start (US federal rules); the user's later choice is remembered.
DEFAULT_POLICIES = ("ndaa889", "fcc_covered_list")

SITE_USE_LABELS: dict[SiteUse, str] = {
    SiteUse.GENERAL_COMMERCIAL: "General commercial",
    SiteUse.PUBLIC_SAFETY: "Public safety",
    SiteUse.GOVERNMENT_FACILITY: "Government facility security",
    SiteUse.CRITICAL_INFRASTRUCTURE: "Critical infrastructure surveillance",
    SiteUse.NATIONAL_SECURITY: "National security",
}

JURISDICTIONS: tuple[tuple[str, str], ...] = (
    ("us", "United States (federal)"),
    ("us-la", "Louisiana"),
    ("gb", "United Kingdom"),
    ("au", "Australia"),
    ("ca", "Canada (federal)"),
    ("ca-qc", "Québec"),
)


@dataclass(frozen=True)
class InterfaceChoice:
    name: str
    network: str  # CIDR of the interface's own subnet, "" if none


def list_interfaces() -> list[InterfaceChoice]:
    """Interfaces with an IPv4 address, loopback last (it is rarely what a user wants)."""
    out: list[InterfaceChoice] = []
    for name, addrs in sorted(psutil.net_if_addrs().items()):
        for addr in addrs:
            if addr.family.name == "AF_INET" and addr.netmask:
                net = ipaddress.IPv4Network(f"{addr.address}/{addr.netmask}", strict=False)
                out.append(InterfaceChoice(name, str(net)))
                break
    return sorted(out, key=lambda c: c.name == "lo")


class ScanPanel(QWidget):
    """Scan choices plus Start and Cancel.

    Signals:
        start_requested(): the user pressed Start.
        cancel_requested(): the user pressed Cancel.
        credentials_requested(): the user wants the credentials manager.
    """

    start_requested = Signal()
    cancel_requested = Signal()
    credentials_requested = Signal()

    def __init__(self, policies: Sequence[tuple[str, str]], parent: QWidget | None = None):
        super().__init__(parent)
        self.interface = named(QComboBox(), "interface")
        self.targets = named(QLineEdit(), "targets")
        self.targets.setPlaceholderText("default: the interface's own subnet, e.g. 198.18.0.0/24")
        self.site_name = named(QLineEdit(), "siteName")
        self.site_name.setPlaceholderText("e.g. north building (one inventory, many sites)")
        self.site_name.setToolTip(
            "The site this scan is stored under: history, diffs and reports work per site or "
            "across sites (camaudit report --all-sites)."
        )
        self.snmp_routers = named(QLineEdit(), "snmpRouters")
        self.snmp_routers.setPlaceholderText("routers or switches, e.g. 198.18.0.1")
        self.snmp_routers.setToolTip(
            "Method 'routers': read these routers' ARP / neighbour tables and switches' "
            "forwarding tables over SNMP, so devices on routed subnets get MACs and makers. "
            "Each needs an SNMP entry under Credentials… (a community is never guessed)."
        )
        self.site_use = named(QComboBox(), "siteUse")
        for use, label in SITE_USE_LABELS.items():
            self.site_use.addItem(label, use)
        self.organisation = named(QComboBox(), "organisation")
        self.organisation.addItem("Not declared (every pack in the jurisdiction is judged)", None)
        for value, label in ORGANISATION_LABELS.items():
            self.organisation.addItem(label, value)
        self.organisation.setToolTip(
            "Who runs the site. A policy that does not bind this kind of organisation gives "
            "'Not applicable' instead of a verdict."
        )
        self.jurisdictions = named(QListWidget(), "jurisdictions")
        self.policies = named(QListWidget(), "policies")
        self.method_boxes: dict[str, QCheckBox] = {}
        self.start_button = named(QPushButton("Start scan"), "startButton")
        self.cancel_button = named(QPushButton("Cancel"), "cancelButton")
        self.credentials_button = named(QPushButton("Credentials…"), "credentialsButton")
        self._build(policies)
        self.setMaximumWidth(460)
        self.refresh_interfaces()
        self.set_running(False)

    def _build(self, policies: Sequence[tuple[str, str]]) -> None:
        where = QFormLayout()
        where.addRow("Interface", self.interface)
        where.addRow("Targets", self.targets)
        where.addRow("Site name", self.site_name)
        where.addRow("SNMP routers", self.snmp_routers)
        # Twenty methods: a compact grid of boxes, each explained in its tooltip (a line of
        # text each no longer fits beside the table on a 850-pixel-high screen).
        methods = QGridLayout()
        for index, method in enumerate(SCAN_METHODS):
            box = named(QCheckBox(method), f"method_{method}")
            box.setChecked(True)
            box.setToolTip(BY_NAME[method].explanation)
            self.method_boxes[method] = box
            methods.addWidget(box, index // METHOD_COLUMNS, index % METHOD_COLUMNS)
        for code, label in JURISDICTIONS:
            self._checkable(self.jurisdictions, label, code, checked=code == "us")
        for pid, title in policies:
            self._checkable(self.policies, f"{pid} — {title}", pid, checked=pid in DEFAULT_POLICIES)
        context = QFormLayout()
        context.addRow("Site use", self.site_use)
        context.addRow("Organisation", self.organisation)
        context.addRow("Jurisdictions", self.jurisdictions)
        context.addRow("Policies", self.policies)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.cancel_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        sections: tuple[tuple[str, QLayout], ...] = (
            ("Where", where),
            ("Methods", methods),
            ("Context", context),
        )
        for title, inner in sections:
            group = QGroupBox(title)
            group.setLayout(inner)
            layout.addWidget(group)
        layout.addWidget(self.credentials_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.start_button.clicked.connect(self.start_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.credentials_button.clicked.connect(self.credentials_requested)

    @staticmethod
    def _checkable(widget: QListWidget, label: str, data: str, *, checked: bool) -> None:
        item = QListWidgetItem(label, widget)
        item.setData(Qt.ItemDataRole.UserRole, data)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    @staticmethod
    def _checked(widget: QListWidget) -> tuple[str, ...]:
        return tuple(
            str(widget.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(widget.count())
            if widget.item(i).checkState() == Qt.CheckState.Checked
        )

    def refresh_interfaces(self) -> None:
        current = self.interface.currentData()
        self.interface.clear()
        for choice in list_interfaces():
            label = f"{choice.name} ({choice.network})" if choice.network else choice.name
            self.interface.addItem(label, choice)
        for i in range(self.interface.count()):
            if current is not None and self.interface.itemData(i) == current:
                self.interface.setCurrentIndex(i)

    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for child in (self.interface, self.targets, self.site_use, self.organisation,
                      self.jurisdictions, self.policies, *self.method_boxes.values()):  # fmt: skip
            child.setEnabled(not running)

    def apply_preset(self, interface: str | None, targets: Sequence[str]) -> None:
        for i in range(self.interface.count()):
            choice = self.interface.itemData(i)
            if isinstance(choice, InterfaceChoice) and choice.name == interface:
                self.interface.setCurrentIndex(i)
        self.targets.setText(", ".join(targets))

    def set_checked_policies(self, ids: Sequence[str]) -> None:
        for i in range(self.policies.count()):
            item = self.policies.item(i)
            wanted = item.data(Qt.ItemDataRole.UserRole) in ids
            item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)

    def checked_policies(self) -> tuple[str, ...]:
        return self._checked(self.policies)

    def set_organisation(self, value: str) -> None:
        index = self.organisation.findData(value or None)
        if index >= 0:
            self.organisation.setCurrentIndex(index)

    def _organisation(self) -> Organisation | None:
        value = self.organisation.currentData()
        return Organisation(value) if value else None

    def request(self) -> ScanRequest:
        """The scan the panel describes (no credentials: the window adds them).

        Raises TargetError, saying why, for targets that may not or cannot be scanned."""
        choice = self.interface.currentData()
        given = [t for t in self.targets.text().replace(",", " ").split() if t]
        if not given and isinstance(choice, InterfaceChoice) and choice.network:
            given = [choice.network]
        if not given:
            raise TargetError("Choose an interface or enter targets.")
        return ScanRequest(
            targets=tuple(str(net) for net in parse_targets(given)),
            interface=choice.name if isinstance(choice, InterfaceChoice) else None,
            methods=tuple(m for m, box in self.method_boxes.items() if box.isChecked()),
            site=SiteProfile(
                uses=(SiteUse(self.site_use.currentData()),),
                jurisdictions=self._checked(self.jurisdictions),
                organisation=self._organisation(),
            ),
            policies=self._checked(self.policies),
            origin="gui",
            site_name=" ".join(self.site_name.text().split()),
            snmp_routers=self._snmp_routers(),
        )

    def _snmp_routers(self) -> tuple[str, ...]:
        """The routers to read (method 'routers'): single addresses in the ranges targets may
        use.  Raises TargetError saying which entry is wrong."""
        out: list[str] = []
        for text in self.snmp_routers.text().replace(",", " ").split():
            try:
                address = str(ipaddress.ip_address(text))
            except ValueError:
                raise TargetError(f"SNMP routers: {text!r} is not an IP address") from None
            parse_targets([address])  # the same scope rules as targets
            if address not in out:
                out.append(address)
        return tuple(out)
